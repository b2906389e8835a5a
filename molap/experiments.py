"""Run profiles and the cached pipeline: primitives -> pre-trained modules -> task heads -> scores.

Two profiles: ``quick`` (small; CI, tests and a laptop) and ``paper`` (the paper's sizes: CCA on
2000 aligned trials per task, batch 200, the full schedules, 2000-trial test sets, 5 seeds).
``MOLAP_PROFILE`` picks the book's profile. Every stage is cached on disk, keyed by its
configuration (:mod:`molap.store`).

Keys: seed s gives ``root = key(s)``; the network's initial weights use ``fold_in(root, 0)``,
pre-training ``fold_in(root, 1)``, task training ``fold_in(root, 2)``, validation
``fold_in(root, 3)``, the test set ``fold_in(root, 4)`` and perturbation draws
``fold_in(root, 5)``: the test trials come from a stream that no training step draws from.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, replace

import jax
import numpy as np

from . import network, store
from .errors import MolapError
from .metrics import Scores
from .network import Layout, RNNParams
from .primitives import Primitives, PrimitivesConfig, fit as fit_primitives
from .tasks import TASK_NAMES, get_tasks
from .methods import FROZEN, METHODS, DNIConfig, DNIResult, dni_scores, stacked_forward, train_dni, train_separate
from .training import (
    HeadConfig,
    Heads,
    HeadsResult,
    PretrainConfig,
    PretrainResult,
    Schedule,
    evaluate,
    evaluate_heads,
    pretrain,
    train_heads,
)

for _cls in (RNNParams, Heads, HeadsResult, PretrainResult, Primitives, Scores, DNIResult):
    store.register(_cls)

LR_GRID = (1e-3, 3e-3, 1e-2)
"""Learning rates searched for every method by the same rule (:func:`learning_rate`)."""
PILOT_FRACTION = 5
"""A pilot run uses 1/PILOT_FRACTION of the profile's task-training steps."""

INIT, PRETRAIN, HEADS, VAL, TEST, PERTURB = range(6)


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
    dni: DNIConfig = DNIConfig()
    n_draws: int = 30  #: random draws per perturbation level
    perturb_trials: int = 2000  #: test trials per task under perturbation
    primitives_seed: int = 0


PROFILES = {
    "tiny": Profile(  # smoke tests only: every stage runs, nothing is learned
        name="tiny",
        primitives_trials=50,
        n_components=2,
        layout=Layout(100, 2),
        g=1.5,
        pretrain=PretrainConfig(batch=16, schedule=Schedule(3e-3, 2, 10, 3.0)),
        heads=HeadConfig(batch=16, schedule=Schedule(1e-2, 2, 10, 1.5), n_val=32),
        n_test=64,
        seeds=(0, 1),
        dni=DNIConfig(n_cov=64),
        n_draws=2,
        perturb_trials=64,
    ),
    "quick": Profile(
        name="quick",
        primitives_trials=500,
        n_components=2,
        layout=Layout(100, 2),
        g=1.5,
        pretrain=PretrainConfig(batch=32, schedule=Schedule(3e-3, 5, 60, 3.0)),
        heads=HeadConfig(batch=32, schedule=Schedule(1e-2, 10, 100, 1.5), n_val=200),
        n_test=500,
        seeds=(0, 1),
        dni=DNIConfig(n_cov=500),
        n_draws=3,
        perturb_trials=200,
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


def training_fields(p: Profile) -> dict:
    """The parts of a profile that determine training results (the cache key of trained runs):
    everything but its name, its seed list and the perturbation sizes."""
    return {k: getattr(p, k) for k in ("primitives_trials", "n_components", "layout", "g", "pretrain", "heads",
                                        "n_test", "dni", "primitives_seed")}


def get_profile(profile: str | Profile | None = None) -> Profile:
    """A profile by name; None reads ``MOLAP_PROFILE`` (default ``quick``)."""
    if isinstance(profile, Profile):
        return profile
    name = profile or os.environ.get("MOLAP_PROFILE", "quick")
    if name not in PROFILES:
        raise MolapError(f"unknown profile {name!r}; expected one of {tuple(PROFILES)}")
    return PROFILES[name]


def check_method(method: str, allowed: tuple[str, ...] = METHODS) -> str:
    if method not in allowed:
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
    check_method(method, FROZEN)
    init = initial_network(p, seed)
    if method == "random":
        return {"w_rec": init.w_rec, "b": init.b, "pretrain": None}
    prim_method = "cca" if method == "molap" else "pca"
    cfg = {"profile": training_fields(p), "method": method, "seed": seed, "tasks": tasks}

    def compute():
        prim = primitives(p, prim_method, tasks)
        r = pretrain(prim, tasks, init, p.layout, p.pretrain, key=stream(seed, PRETRAIN))
        return {"w_rec": r.w_rec, "b": r.b, "pretrain": r}

    return store.cached("modules", cfg, compute)


def _run(p: Profile, method: str, seed: int, hc: HeadConfig, progress: bool = True) -> dict:
    """Train one method with one recipe: dict(test, curve_steps, curve, losses, method-specific)."""
    tasks = get_tasks(None)
    key, val_key, test_key = stream(seed, HEADS), stream(seed, VAL), stream(seed, TEST)
    if method in FROZEN:
        m = modules(p, method, seed)
        res = train_heads(m["w_rec"], m["b"], None, hc, key=key, val_key=val_key, progress=progress)
        test = evaluate_heads(m["w_rec"], m["b"], res.heads, tasks, key=test_key, n_trials=p.n_test)
        out = {"w_rec": m["w_rec"], "b": m["b"], "heads": res.heads}
    elif method == "separate":
        res = train_separate(tasks, initial_network(p, seed), hc, key=key, val_key=val_key, progress=progress)
        test = evaluate(jax.jit(stacked_forward), res.heads, tasks, key=test_key, n_trials=p.n_test)
        out = {"params": res.heads}
    else:  # dni
        r = train_dni(tasks, hc, p.dni, p.g, key=key, val_key=val_key, n_test=p.n_test, test_key=test_key,
                      progress=progress)
        test = dni_scores(r, tasks, "final")
        out = {"params": r.params, "after_own": dni_scores(r, tasks, "after_own")}
        res = HeadsResult(None, r.losses.ravel(), np.zeros(0), np.zeros((0, len(tasks), 5)))
    return out | {"test": test, "losses": res.losses, "curve_steps": res.curve_steps, "curve": res.curve,
                  "tasks": list(TASK_NAMES), "method": method, "seed": seed}


def with_lr(hc: HeadConfig, lr: float, fraction: int = 1) -> HeadConfig:
    """The recipe at another learning rate (and 1/fraction of the steps per block)."""
    s = hc.schedule
    return replace(hc, schedule=replace(s, lr=lr, block_steps=max(1, s.block_steps // fraction)))


def learning_rate(profile: str | Profile | None = None, method: str = "molap") -> dict:
    """The learning rate of a method, chosen by one rule for every method (cached).

    For each lr in :data:`LR_GRID`, a pilot run (seed ``profile.seeds[0]``, 1/5 of the steps)
    is scored on the validation stream by the mean decision-unit accuracy over tasks (for DNI,
    right after each task's own training); the best lr wins. Returns dict(lr, grid, scores).
    """
    p = get_profile(profile)
    check_method(method)
    cfg = {"profile": training_fields(p), "seed": p.seeds[0], "method": method, "grid": LR_GRID,
           "fraction": PILOT_FRACTION}

    def compute():
        scores = []
        for lr in LR_GRID:
            r = _run(p, method, p.seeds[0], with_lr(p.heads, lr, PILOT_FRACTION), progress=False)
            src = r["after_own"] if method == "dni" else (
                {n: Scores(*r["curve"][-1, i]) for i, n in enumerate(TASK_NAMES)})
            scores.append(float(np.mean([s.decision for s in src.values()])))
        return {"lr": float(LR_GRID[int(np.argmax(scores))]), "grid": list(LR_GRID), "scores": scores}

    return store.cached("lr", cfg, compute)


def trained(profile: str | Profile | None = None, method: str = "molap", seed: int = 0,
            heads: HeadConfig | None = None, lr: float | None = None) -> dict:
    """A method trained with the profile's recipe and tested (cached).

    The learning rate is the method's selected one (:func:`learning_rate`) unless ``lr`` or a
    full ``heads`` recipe is given. Returns dict(test: {task: Scores}, curve_steps, curve, losses,
    lr, ...) plus w_rec, b, heads (frozen methods), params (separate, DNI) and after_own (DNI).
    """
    p = get_profile(profile)
    check_method(method)
    seed = check_seed(seed)
    if heads is None:
        lr = learning_rate(p, method)["lr"] if lr is None else lr
        heads = with_lr(p.heads, lr)
    cfg = {"profile": training_fields(p), "method": method, "seed": seed, "heads": heads}
    return store.cached("trained", cfg, lambda: _run(p, method, seed, heads) | {"lr": heads.schedule.lr})


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


def perturbation(profile: str | Profile | None = None, method: str = "molap", kind: str = "m1", seed: int = 0,
                 levels=None) -> dict:
    """Accuracy of a trained method under one perturbation kind (cached; see :func:`molap.perturb.sweep`).

    Returns dict(levels, acc (levels, draws, tasks, 2): paper's score and decision units, tasks).
    """
    from . import perturb

    p = get_profile(profile)
    check_method(method)
    perturb.check_kind(kind)
    lv = perturb.levels_for(kind) if levels is None else tuple(float(v) for v in perturb.check_levels(kind, levels))
    cfg = {"profile": training_fields(p), "lr_seed": p.seeds[0], "n_draws": p.n_draws, "trials": p.perturb_trials,
           "method": method, "kind": kind, "seed": seed, "levels": lv}

    def compute():
        run = trained(p, method, seed)
        return perturb.sweep(run, method, kind, lv, layout=p.layout, n_draws=p.n_draws, n_trials=p.perturb_trials,
                             key=jax.random.fold_in(stream(seed, PERTURB), perturb.KINDS.index(kind)),
                             test_key=stream(seed, TEST))

    return store.cached("perturb", cfg, compute)


def generalisation(profile: str | Profile | None = None, mode: str = "loo", method: str = "cca",
                   seed: int = 0) -> dict:
    """Leave-one-out or leave-two-out folds for CCA or PCA primitives (cached; see
    :mod:`molap.generalize`). The heads use the learning rate chosen for ``molap``."""
    from . import generalize

    p = get_profile(profile)
    generalize.folds(mode)
    if method not in ("cca", "pca"):
        raise MolapError(f"unknown primitives method {method!r}; expected 'cca' or 'pca'")
    hc = with_lr(p.heads, learning_rate(p, "molap")["lr"])
    cfg = {"profile": training_fields(p), "mode": mode, "method": method, "seed": seed, "heads": hc}

    def compute():
        return generalize.run_folds(
            mode, method, init=initial_network(p, seed), layout=p.layout, pretrain_config=p.pretrain,
            head_config=hc, n_components=p.n_components, n_trials=p.primitives_trials,
            primitives_seed=p.primitives_seed, key=stream(seed, PRETRAIN), val_key=stream(seed, VAL),
            test_key=stream(seed, TEST), n_test=p.n_test)

    return store.cached("generalise", cfg, compute)


def new_task_heads(profile: str | Profile | None = None, method: str = "molap", seed: int = 0) -> dict:
    """Heads for the tasks in no corpus (:mod:`molap.extra_tasks`) on a method's frozen modules."""
    from .generalize import new_tasks

    p = get_profile(profile)
    check_method(method, FROZEN)
    hc = with_lr(p.heads, learning_rate(p, "molap")["lr"])
    ts = new_tasks()
    cfg = {"profile": training_fields(p), "method": method, "seed": seed, "heads": hc, "tasks": [t.name for t in ts]}

    def compute():
        m = modules(p, method, seed)
        res = train_heads(m["w_rec"], m["b"], ts, hc, key=stream(seed, HEADS), val_key=stream(seed, VAL))
        test = evaluate_heads(m["w_rec"], m["b"], res.heads, ts, key=stream(seed, TEST), n_trials=p.n_test)
        return {"tasks": [t.name for t in ts], "test": test, "curve_steps": res.curve_steps, "curve": res.curve}

    return store.cached("newtasks", cfg, compute)
