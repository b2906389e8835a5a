"""Learning curves against trials seen, and the schedule sweep behind the ``standard`` recipe.

A curve (:func:`curves`) is one method and seed trained with one recipe and scored on the
validation stream every ``val_every`` steps, exactly as a learning-rate pilot is (no test trial
is touched): the Scores of every task after each evaluation, against the trials each task has
seen (steps x batch). Curves are cached by configuration like every result; each entry's
provenance holds the wall time it took, so a sweep reads in measured CPU seconds.

:func:`sweep_recipe` is one point of the schedule sweep (a batch size, a number of steps, the lr
decay); :func:`sweep_rows` tabulates, per point and method, when every task had reached
criterion (decision units >= :data:`molap.analysis.compare.CRITERION` and above the trivial policy) on
every seed, the final mean decision-unit accuracy, and the seconds per network.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import NamedTuple

import numpy as np

from molap import methods, store
from molap.analysis.compare import CRITERION, at_criterion, steps_to_criterion
from molap.errors import MolapError
from molap.methods import RunSpec, TrainedRun
from molap.metrics import Scores
from molap.pipeline.stages import seeds_of
from molap.profiles import Profile, get_profile
from molap.streams import check_seed
from molap.training import Schedule, TaskTraining


def sweep_recipe(base: TaskTraining, batch: int, n_steps: int, decay: float = 1.5, n_blocks: int = 10,
                 n_evals: int = 40) -> TaskTraining:
    """``base`` at another batch size and length: ``n_blocks`` blocks of n_steps / n_blocks steps,
    lr divided by ``decay`` after each, validated ``n_evals`` times in all."""
    if n_steps % n_evals or n_evals % n_blocks:
        raise MolapError(f"{n_steps} steps do not split into {n_blocks} blocks of {n_evals // n_blocks} "
                         f"evaluations each; expected n_steps a multiple of n_evals, n_evals of n_blocks")
    return replace(base, batch=batch, schedule=Schedule(base.schedule.lr, n_blocks, n_steps // n_blocks, decay),
                   val_every=n_steps // n_evals)


def curve_config(profile: Profile, method: str, seed: int, recipe: TaskTraining) -> dict:
    """The cache key of one curve (validation stream, like a pilot)."""
    m = methods.get(method)
    return {"method": method, "networks": m.key(profile), "pilot": m.pilot_key(profile), "training": recipe,
            "seed": seed, "scored_on": "validation"}


def curves(profile: str | Profile | None, method: str, recipe: TaskTraining, seeds: Sequence[int],
           *, progress: bool = True) -> list[TrainedRun]:
    """One curve per seed (cached). The missing curves of the method's whole family (at each
    method's selected learning rate) are trained together in one vmapped run."""
    from molap.pipeline.selection import learning_rate, with_lr

    p = get_profile(profile)
    seeds = [check_seed(s) for s in seeds]
    fam = methods.family(method)
    specs = [RunSpec(m, s, with_lr(recipe, learning_rate(p, m).lr)) for m in fam for s in seeds]
    configs = [curve_config(p, s.method, s.seed, s.recipe) for s in specs]
    runs = store.cached_many("curve", configs, lambda idx: methods.get(method).train(
        p, [specs[i] for i in idx], pilot=True, progress=progress))
    return [r for r, s in zip(runs, specs) if s.method == method]


def early_recipe(profile: str | Profile | None) -> TaskTraining | None:
    """The profile's task-training recipe cut to its first :attr:`EarlySetup.steps` steps and
    validated every :attr:`EarlySetup.val_every` steps (None: the profile has no early stage).
    Validation draws its own stream, so these runs are the first steps of the profile's runs."""
    p = get_profile(profile)
    e, s = p.early, p.training.schedule
    if not e.steps:
        return None
    if e.steps % s.block_steps or e.steps > s.n_steps or s.block_steps % e.val_every:
        raise MolapError(f"early learning to {e.steps} steps every {e.val_every}: expected whole blocks of "
                         f"{s.block_steps} steps, at most {s.n_steps}, and a divisor of the block")
    return replace(p.training, schedule=replace(s, n_blocks=e.steps // s.block_steps), val_every=e.val_every)


def early(profile: str | Profile | None, method: str, *, progress: bool = True) -> list[TrainedRun]:
    """The early-learning curves of a method on its family's seeds (:func:`early_recipe`; cached)."""
    p = get_profile(profile)
    recipe = early_recipe(p)
    if recipe is None:
        raise MolapError(f"profile {p.name!r} has no early-learning stage (its early.steps is 0)")
    return curves(p, method, recipe, seeds_of(p, method), progress=progress)


def sweep_recipes(profile: str | Profile | None) -> list[TaskTraining]:
    """The recipes of the profile's schedule sweep (:class:`molap.profiles.SweepSetup`)."""
    p = get_profile(profile)
    base = replace(p.training, clip=None)  # the sweep is unclipped
    return [sweep_recipe(base, pt[0], pt[1], pt[2] if len(pt) > 2 else p.sweep.decay) for pt in p.sweep.points]


def swept_methods() -> tuple[str, ...]:
    """The methods with learning curves (those that train their tasks together)."""
    return tuple(m for m in methods.names() if isinstance(methods.get(m), methods.TrainsTasksTogether))


def seconds(profile: str | Profile | None, method: str, recipe: TaskTraining, seed: int) -> float | None:
    """Wall seconds one curve took (its share of the run it was trained in), from its provenance."""
    from molap.pipeline.selection import learning_rate, with_lr

    p = get_profile(profile)
    meta = store.lookup_meta("curve", curve_config(p, method, seed, with_lr(recipe, learning_rate(p, method).lr)))
    return None if meta is None else meta.get("provenance", {}).get("wall_s")


class SweepRow(NamedTuple):
    """One sweep point and method: batch, steps, decay; all_learned_step: the first evaluation
    step at which every task had reached criterion, on the worst seed (nan: some seed never);
    seeds_learned: seeds on which every task did; tasks_learned: (seed, task) pairs at criterion
    at the last evaluation, of n_seeds x the number of tasks; final: the last evaluation's decision-unit
    accuracy, mean over tasks and seeds; worst_task: the lowest task mean at the last evaluation;
    seconds: wall seconds per network (mean over seeds); trials: trials per task at the end."""

    method: str
    batch: int
    steps: int
    decay: float
    all_learned_step: float
    seeds_learned: int
    n_seeds: int
    tasks_learned: int
    final: float
    worst_task: float
    seconds: float
    trials: int


def sweep_rows(profile, method: str, recipes: Sequence[TaskTraining], seeds: Sequence[int]) -> list[SweepRow]:
    """:class:`SweepRow` per recipe (curves computed if missing)."""
    rows = []
    j = Scores.column("decision")
    for r in recipes:
        runs = curves(profile, method, r, seeds, progress=False)
        every_task = np.array([np.nanmax(steps_to_criterion(run, CRITERION)) if not np.isnan(
            steps_to_criterion(run, CRITERION)).any() else np.nan for run in runs])
        last = np.array([np.asarray(run.curve)[-1, :, j] for run in runs])  # (seeds, tasks)
        secs = [seconds(profile, method, r, s) for s in seeds]
        rows.append(SweepRow(method, r.batch, r.schedule.n_steps, r.schedule.decay,
                             float(np.max(every_task)) if not np.isnan(every_task).any() else np.nan,
                             int(np.sum(~np.isnan(every_task))), len(runs),
                             int(sum(at_criterion(run)[-1].sum() for run in runs)), float(last.mean()),
                             float(last.mean(0).min()), float(np.mean([s for s in secs if s is not None] or [np.nan])),
                             r.batch * r.schedule.n_steps))
    return rows
