"""Run profiles and the cached pipeline: primitives -> pre-trained modules -> task heads -> scores.

Two profiles: ``quick`` (small; CI, tests and a laptop) and ``paper`` (the paper's sizes: CCA on
2000 aligned trials per task, batch 200, the full schedules, 2000-trial test sets, 5 seeds).
``MOLAP_PROFILE`` picks the book's profile. Every stage is cached on disk, keyed by its
configuration (:mod:`molap.store`).

Keys: seed s gives ``root = key(s)``; the network's initial weights use ``fold_in(root, 0)``,
pre-training ``fold_in(root, 1)``, task training ``fold_in(root, 2)``, validation
``fold_in(root, 3)`` and the test set ``fold_in(root, 4)``: the test trials come from a stream
that no training step draws from.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field, replace

import jax
import numpy as np

from . import network, store
from .errors import MolapError
from .metrics import Scores
from .network import Layout, RNNParams
from .primitives import Primitives, PrimitivesConfig, fit as fit_primitives
from .tasks import TASK_NAMES, get_tasks
from .training import (
    HeadConfig,
    Heads,
    HeadsResult,
    PretrainConfig,
    PretrainResult,
    Schedule,
    evaluate_heads,
    pretrain,
    train_heads,
)

for _cls in (RNNParams, Heads, HeadsResult, PretrainResult, Primitives, Scores):
    store.register(_cls)

METHODS = ("molap", "random", "pca")
"""Methods with frozen recurrent weights: CCA pre-training, no pre-training, PCA pre-training."""

INIT, PRETRAIN, HEADS, VAL, TEST = range(5)


@dataclass(frozen=True)
class Profile:
    """Everything that sets the size of a run."""

    name: str
    primitives_trials: int
    n_components: int
    layout: Layout
    g: float
    pretrain: PretrainConfig
    heads: HeadConfig
    n_test: int
    seeds: tuple[int, ...]
    primitives_seed: int = 0


PROFILES = {
    "quick": Profile(
        name="quick",
        primitives_trials=500,
        n_components=2,
        layout=Layout(100, 2),
        g=1.5,
        pretrain=PretrainConfig(batch=64, schedule=Schedule(3e-3, 5, 60, 3.0)),
        heads=HeadConfig(batch=64, schedule=Schedule(1e-2, 10, 150, 1.5), n_val=200),
        n_test=500,
        seeds=(0,),
    ),
    "paper": Profile(
        name="paper",
        primitives_trials=2000,
        n_components=2,
        layout=Layout(100, 2),
        g=1.5,
        pretrain=PretrainConfig(),
        heads=HeadConfig(),
        n_test=2000,
        seeds=(0, 1, 2, 3, 4),
    ),
}


def get_profile(profile: str | Profile | None = None) -> Profile:
    """A profile by name; None reads ``MOLAP_PROFILE`` (default ``quick``)."""
    if isinstance(profile, Profile):
        return profile
    name = profile or os.environ.get("MOLAP_PROFILE", "quick")
    if name not in PROFILES:
        raise MolapError(f"unknown profile {name!r}; expected one of {tuple(PROFILES)}")
    return PROFILES[name]


def check_method(method: str) -> str:
    if method not in METHODS:
        raise MolapError(f"unknown method {method!r}; expected one of {METHODS}")
    return method


def check_seed(seed) -> int:
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)):
        raise MolapError(f"seed must be an integer, got {seed!r}")
    return int(seed)


def stream(seed: int, which: int) -> jax.Array:
    """The key of one random stream (INIT, PRETRAIN, HEADS, VAL, TEST) of a seed."""
    return jax.random.fold_in(jax.random.key(check_seed(seed)), which)


def primitives_config(profile: Profile, method: str = "cca", tasks=None) -> PrimitivesConfig:
    names = None if tasks is None else tuple(t.name for t in get_tasks(tasks))
    return PrimitivesConfig(method, profile.n_components, profile.primitives_trials, profile.primitives_seed, names)


def primitives(profile: str | Profile | None = None, method: str = "cca", tasks=None) -> Primitives:
    """The fitted primitives of a profile (cached)."""
    cfg = primitives_config(get_profile(profile), method, tasks)
    return store.cached("primitives", cfg, lambda: fit_primitives(cfg))


def initial_network(profile: Profile, seed: int) -> RNNParams:
    """The random network every method of a seed starts from (1 input, 1 output)."""
    return network.init(stream(seed, INIT), 1, 1, profile.layout, profile.g)


def modules(profile: str | Profile | None = None, method: str = "molap", seed: int = 0, tasks=None):
    """Frozen recurrent weights of a method: dict(w_rec, b, pretrain) (cached).

    ``molap`` pre-trains on CCA primitives, ``pca`` on PCA primitives, ``random`` keeps the
    initial reservoir (pretrain is None).
    """
    p = get_profile(profile)
    check_method(method)
    init = initial_network(p, seed)
    if method == "random":
        return {"w_rec": init.w_rec, "b": init.b, "pretrain": None}
    prim_method = "cca" if method == "molap" else "pca"
    cfg = {"profile": p, "method": method, "seed": seed, "tasks": tasks}

    def compute():
        prim = primitives(p, prim_method, tasks)
        r = pretrain(prim, tasks, init, p.layout, p.pretrain, key=stream(seed, PRETRAIN))
        return {"w_rec": r.w_rec, "b": r.b, "pretrain": r}

    return store.cached("modules", cfg, compute)


def trained(profile: str | Profile | None = None, method: str = "molap", seed: int = 0,
            heads: HeadConfig | None = None) -> dict:
    """Task heads trained on a method's frozen modules and their test scores (cached).

    Returns dict(w_rec, b, heads: HeadsResult, test: {task: Scores}, tasks).
    """
    p = get_profile(profile)
    check_method(method)
    hc = heads or p.heads
    cfg = {"profile": p, "method": method, "seed": seed, "heads": hc}

    def compute():
        m = modules(p, method, seed)
        res = train_heads(m["w_rec"], m["b"], None, hc, key=stream(seed, HEADS), val_key=stream(seed, VAL))
        test = evaluate_heads(m["w_rec"], m["b"], res.heads, get_tasks(None), key=stream(seed, TEST),
                              n_trials=p.n_test)
        return {"w_rec": m["w_rec"], "b": m["b"], "heads": res, "test": test, "tasks": list(TASK_NAMES)}

    return store.cached("trained", cfg, compute)


def score_rows(test: dict) -> list[dict]:
    """Per-task rows of test scores for tables."""
    from .tasks import PAPER_LABELS

    return [dict(label=PAPER_LABELS.get(name, name), task=name, **s._asdict()) for name, s in test.items()]


def r2_table(profile: str | Profile | None = None, max_components: int = 4) -> list[dict]:
    """CCA score and canonical correlations for 1..max_components components (cached)."""
    from .primitives import r2_curve

    p = get_profile(profile)
    cfg = {"trials": p.primitives_trials, "seed": p.primitives_seed, "max": max_components}
    return store.cached("r2", cfg, lambda: r2_curve(max_components, p.primitives_trials, p.primitives_seed))
