"""Learning-rate selection: one rule for every method (:func:`learning_rate`).

For each lr in :data:`LR_GRID`, a pilot run (the profile's pilot seed, 1/:data:`PILOT_FRACTION`
of the task-training steps) is scored on the validation stream by the method's pilot score (the
mean decision-unit accuracy over tasks; for methods that train tasks in sequence, right after each
task's own training); the best lr wins. The pilots of a method family run together.
"""

from __future__ import annotations

import math
from dataclasses import replace
from typing import NamedTuple

from molap import methods, store
from molap.methods import RunSpec
from molap.profiles import Profile, get_profile
from molap.training import TaskTraining

LR_GRID = (1e-3, 3e-3, 1e-2)
"""Learning rates searched for every method by the same rule."""
PILOT_FRACTION = 5
"""A pilot run uses 1/PILOT_FRACTION of the profile's task-training steps."""


class LRChoice(NamedTuple):
    """The selected learning rate ``lr``, the ``grid`` searched and each pilot's score (percent)."""

    lr: float
    grid: list
    scores: list


def with_lr(recipe: TaskTraining, lr: float, fraction: int = 1) -> TaskTraining:
    """The recipe at another learning rate (and 1/fraction of the steps per block; validation
    every gcd(val_every, the new block's steps) steps if the recipe sets val_every)."""
    s = recipe.schedule
    block = max(1, s.block_steps // fraction)
    every = None if recipe.val_every is None else math.gcd(recipe.val_every, block)
    return replace(recipe, schedule=replace(s, lr=lr, block_steps=block), val_every=every)


def lr_config(profile: Profile, method: str) -> dict:
    """The cache key of a method's learning-rate selection: the recipe without its learning rate
    (every pilot sets its own), what the method's networks and its pilot score depend on."""
    p, m = profile, methods.get(method)
    recipe = replace(p.training, schedule=replace(p.training.schedule, lr=None))
    return {"method": method, "networks": m.key(p), "pilot": m.pilot_key(p), "training": recipe,
            "seed": p.pilot_seed, "grid": LR_GRID, "fraction": PILOT_FRACTION, "scored_on": "validation"}


def learning_rate(profile: str | Profile | None = None, method: str = "molap") -> LRChoice:
    """The learning rate of a method, chosen by the rule of the module docstring (cached)."""
    p = get_profile(profile)
    group = methods.family(method)
    cfgs = [lr_config(p, m) for m in group]

    def compute(idx):
        specs = [RunSpec(group[i], p.pilot_seed, with_lr(p.training, lr, PILOT_FRACTION)) for i in idx for lr in LR_GRID]
        runs = methods.get(method).train(p, specs, pilot=True, progress=True)
        out = []
        for j in range(len(idx)):
            scores = [methods.get(r.method).pilot_score(r) for r in runs[j * len(LR_GRID):(j + 1) * len(LR_GRID)]]
            out.append(LRChoice(float(LR_GRID[scores.index(max(scores))]), list(LR_GRID), scores))
        return out

    i = group.index(method)
    return store.cached_many("lr", cfgs, compute, asked=i)[i]


def selected_recipe(profile: Profile, method: str) -> TaskTraining:
    """The profile's task-training recipe at the method's selected learning rate."""
    return with_lr(profile.training, learning_rate(profile, method).lr)
