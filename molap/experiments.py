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
import jax.numpy as jnp
import numpy as np

from . import network, store
from .errors import MolapError
from .metrics import Scores
from .network import Layout, RNNParams
from .primitives import Primitives, PrimitivesConfig, fit as fit_primitives
from .tasks import TASK_NAMES, get_tasks
from .methods import (FROZEN, METHODS, DNIConfig, DNIResult, dni_scores, stacked_forward, train_dni_many,
                      train_separate_many)
from .training import (
    HeadConfig,
    Heads,
    HeadsResult,
    PretrainConfig,
    PretrainResult,
    Schedule,
    evaluate,
    evaluate_heads,
    pretrain_folds,
    train_heads_many,
    unstack,
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


def cached_fit(cfg: PrimitivesConfig) -> Primitives:
    """:func:`molap.primitives.fit`, cached by its configuration."""
    return store.cached("primitives", cfg, lambda: fit_primitives(cfg))


def fold_primitives(profile: str | Profile | None = None, mode: str = "loo", method: str = "cca"):
    """Every generalisation fold's fitted map (cached): (folds, stacked Primitives)."""
    from .generalize import fit_folds

    p = get_profile(profile)
    return fit_folds(mode, method, p.n_components, p.primitives_trials, p.primitives_seed, cached_fit)


def primitives(profile: str | Profile | None = None, method: str = "cca", tasks=None) -> Primitives:
    """The fitted primitives of a profile (cached)."""
    cfg = primitives_config(get_profile(profile), method, tasks)
    return cached_fit(cfg)


def initial_network(profile: Profile, seed: int) -> RNNParams:
    """The random network every method of a seed starts from (1 input, 1 output)."""
    return network.init(stream(seed, INIT), 1, 1, profile.layout, profile.g)


def _stack(items):
    return jax.tree.map(lambda *a: np.stack([np.asarray(x) for x in a]), *items)


def family(method: str) -> tuple[str, ...]:
    """The methods trained together with ``method`` in one vmapped run (same shapes)."""
    return FROZEN if method in FROZEN else (method,)


def modules(profile: str | Profile | None = None, method: str = "molap", seed: int = 0, tasks=None):
    """Frozen recurrent weights of a method: dict(w_rec, b, pretrain) (cached).

    ``molap`` pre-trains on CCA primitives, ``pca`` on PCA primitives, ``random`` keeps the
    initial reservoir (pretrain is None). A missing entry of the full corpus is computed together
    with every other missing (molap and pca) x profile seed, in one vmapped pre-training.
    """
    p = get_profile(profile)
    check_method(method, FROZEN)
    seed = check_seed(seed)
    if method == "random":
        init = initial_network(p, seed)
        return {"w_rec": init.w_rec, "b": init.b, "pretrain": None}
    group = [(m, s) for m in ("molap", "pca") for s in p.seeds] if tasks is None and seed in p.seeds else []
    group = group or [(method, seed)]
    cfgs = [{"profile": training_fields(p), "method": m, "seed": s, "tasks": tasks} for m, s in group]

    def compute(idx):
        sel = [group[i] for i in idx]
        prims = _stack([primitives(p, "cca" if m == "molap" else "pca", tasks) for m, _ in sel])
        init = _stack([initial_network(p, s) for _, s in sel])
        keys = jnp.stack([stream(s, PRETRAIN) for _, s in sel])
        r = pretrain_folds(prims, tasks, init, p.layout, p.pretrain, key=keys)
        return [{"w_rec": r.w_rec[j], "b": r.b[j], "pretrain": jax.tree.map(lambda a, j=j: a[j], r)}
                for j in range(len(sel))]

    return store.cached_many("modules", cfgs, compute)[group.index((method, seed))]


def _run_many(p: Profile, specs: list[tuple[str, int, HeadConfig]], *, pilot: bool = False,
              progress: bool = True) -> list[dict]:
    """Train several (method, seed, recipe) of one family together (recipes may differ only in
    their learning rate): a list of dict(test, curve_steps, curve, losses, method-specific).
    A pilot scores DNI's per-task evaluation on the validation stream and skips the test set."""
    tasks = get_tasks(None)
    methods = {m for m, _, _ in specs}
    if len({family(m) for m in methods}) != 1:
        raise MolapError(f"methods {sorted(methods)} cannot be trained together")
    base = specs[0][2]
    for _, _, hc in specs:
        if replace(hc, schedule=replace(hc.schedule, lr=base.schedule.lr)) != base:
            raise MolapError("runs trained together may differ only in their learning rate")
    scale = np.array([hc.schedule.lr / base.schedule.lr for _, _, hc in specs], np.float32)
    keys = jnp.stack([stream(s, HEADS) for _, s, _ in specs])
    val_keys = jnp.stack([stream(s, VAL) for _, s, _ in specs])
    test_keys = jnp.stack([stream(s, VAL if pilot else TEST) for _, s, _ in specs])
    method = specs[0][0]
    outs = []
    if method in FROZEN:
        ms = [modules(p, m, s) for m, s, _ in specs]
        w_rec, b = jnp.stack([m["w_rec"] for m in ms]), jnp.stack([m["b"] for m in ms])
        res = train_heads_many(w_rec, b, None, base, keys=keys, val_keys=val_keys, lr_scale=scale, progress=progress)
        for j, m in enumerate(ms):
            r = unstack(res, j)
            test = None if pilot else evaluate_heads(m["w_rec"], m["b"], r.heads, tasks, key=test_keys[j],
                                                     n_trials=p.n_test)
            outs.append((r, test, {"w_rec": m["w_rec"], "b": m["b"], "heads": r.heads}))
    elif method == "separate":
        inits = _stack([initial_network(p, s) for _, s, _ in specs])
        res = train_separate_many(tasks, inits, base, keys=keys, val_keys=val_keys, lr_scale=scale, progress=progress)
        fwd = jax.jit(stacked_forward)
        for j in range(len(specs)):
            r = unstack(res, j)
            test = None if pilot else evaluate(fwd, r.heads, tasks, key=test_keys[j], n_trials=p.n_test)
            outs.append((r, test, {"params": r.heads}))
    else:  # dni
        rs = train_dni_many(tasks, base, p.dni, p.g, keys=keys, test_keys=test_keys, n_test=p.n_test, lr_scale=scale,
                            progress=progress)
        for r in rs:
            res = HeadsResult(None, r.losses.ravel(), np.zeros(0), np.zeros((0, len(tasks), 5)))
            outs.append((res, dni_scores(r, tasks, "final"),
                         {"params": r.params, "after_own": dni_scores(r, tasks, "after_own")}))
    return [extra | {"test": test, "losses": r.losses, "curve_steps": r.curve_steps, "curve": r.curve,
                     "tasks": list(TASK_NAMES), "method": m, "seed": s, "lr": hc.schedule.lr}
            for (r, test, extra), (m, s, hc) in zip(outs, specs)]


def with_lr(hc: HeadConfig, lr: float, fraction: int = 1) -> HeadConfig:
    """The recipe at another learning rate (and 1/fraction of the steps per block)."""
    s = hc.schedule
    return replace(hc, schedule=replace(s, lr=lr, block_steps=max(1, s.block_steps // fraction)))


def learning_rate(profile: str | Profile | None = None, method: str = "molap") -> dict:
    """The learning rate of a method, chosen by one rule for every method (cached).

    For each lr in :data:`LR_GRID`, a pilot run (seed ``profile.seeds[0]``, 1/5 of the steps)
    is scored on the validation stream by the mean decision-unit accuracy over tasks (for DNI,
    right after each task's own training); the best lr wins. Returns dict(lr, grid, scores).
    The pilots of a method family (:func:`family`) run together.
    """
    p = get_profile(profile)
    check_method(method)
    group = family(method)
    cfgs = [{"profile": training_fields(p), "seed": p.seeds[0], "method": m, "grid": LR_GRID,
             "fraction": PILOT_FRACTION, "scored_on": "validation"} for m in group]

    def compute(idx):
        specs = [(group[i], p.seeds[0], with_lr(p.heads, lr, PILOT_FRACTION)) for i in idx for lr in LR_GRID]
        runs = _run_many(p, specs, pilot=True, progress=False)
        out = []
        for j in range(len(idx)):
            scores = []
            for r in runs[j * len(LR_GRID):(j + 1) * len(LR_GRID)]:
                src = r["after_own"] if r["method"] == "dni" else (
                    {n: Scores(*r["curve"][-1, i]) for i, n in enumerate(TASK_NAMES)})
                scores.append(float(np.mean([s.decision for s in src.values()])))
            out.append({"lr": float(LR_GRID[int(np.argmax(scores))]), "grid": list(LR_GRID), "scores": scores})
        return out

    return store.cached_many("lr", cfgs, compute)[group.index(method)]


def trained(profile: str | Profile | None = None, method: str = "molap", seed: int = 0,
            heads: HeadConfig | None = None, lr: float | None = None) -> dict:
    """A method trained with the profile's recipe and tested (cached).

    The learning rate is the method's selected one (:func:`learning_rate`) unless ``lr`` or a
    full ``heads`` recipe is given. Returns dict(test: {task: Scores}, curve_steps, curve, losses,
    lr, ...) plus w_rec, b, heads (frozen methods), params (separate, DNI) and after_own (DNI).
    With the profile's recipe, every missing run of the method's family and the profile's seeds
    is trained together in one vmapped run.
    """
    p = get_profile(profile)
    check_method(method)
    seed = check_seed(seed)
    if heads is None and lr is None and seed in p.seeds:
        group = [(m, s, with_lr(p.heads, learning_rate(p, m)["lr"])) for m in family(method) for s in p.seeds]
    else:
        group = [(method, seed, heads if heads is not None else
                  with_lr(p.heads, learning_rate(p, method)["lr"] if lr is None else lr))]
    cfgs = [{"profile": training_fields(p), "method": m, "seed": s, "heads": hc} for m, s, hc in group]
    by_lr = {}
    for i, (_, _, hc) in enumerate(group):
        by_lr.setdefault(replace(hc, schedule=replace(hc.schedule, lr=0.0)), []).append(i)

    def compute(idx):
        out = {}
        for members in by_lr.values():
            todo = [i for i in idx if i in members]
            if todo:
                out.update(zip(todo, _run_many(p, [group[i] for i in todo])))
        return [out[i] for i in idx]

    mine = [i for i, (m, s, _) in enumerate(group) if (m, s) == (method, seed)][0]
    return store.cached_many("trained", cfgs, compute)[mine]


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


VARIANTS = (("loo", "cca"), ("loo", "pca"), ("l2o", "cca"), ("l2o", "pca"))
"""The generalisation variants (mode, primitives) of the book, trained together."""


def generalisation(profile: str | Profile | None = None, mode: str = "loo", method: str = "cca",
                   seed: int = 0) -> dict:
    """Leave-one-out or leave-two-out folds for CCA or PCA primitives (cached; see
    :mod:`molap.generalize`). The heads use the learning rate chosen for ``molap``. Missing
    variants of :data:`VARIANTS` are computed together."""
    from . import generalize

    p = get_profile(profile)
    generalize.folds(mode)
    if method not in ("cca", "pca"):
        raise MolapError(f"unknown primitives method {method!r}; expected 'cca' or 'pca'")
    seed = check_seed(seed)
    hc = with_lr(p.heads, learning_rate(p, "molap")["lr"])
    group = list(VARIANTS) if (mode, method) in VARIANTS else [(mode, method)]
    cfgs = [{"profile": training_fields(p), "mode": mo, "method": me, "seed": seed, "heads": hc} for mo, me in group]

    def compute(idx):
        return generalize.run_variants(
            [group[i] for i in idx], init=initial_network(p, seed), layout=p.layout, pretrain_config=p.pretrain,
            head_config=hc, n_components=p.n_components, n_trials=p.primitives_trials,
            primitives_seed=p.primitives_seed, key=stream(seed, PRETRAIN), val_key=stream(seed, VAL),
            test_key=stream(seed, TEST), n_test=p.n_test, fit_fn=cached_fit)

    return store.cached_many("generalise", cfgs, compute)[group.index((mode, method))]


def new_task_heads(profile: str | Profile | None = None, method: str = "molap", seed: int = 0) -> dict:
    """Heads for the tasks in no corpus (:mod:`molap.extra_tasks`) on a method's frozen modules
    (cached; the frozen methods' missing entries are trained together)."""
    from .generalize import new_tasks

    p = get_profile(profile)
    check_method(method, FROZEN)
    seed = check_seed(seed)
    hc = with_lr(p.heads, learning_rate(p, "molap")["lr"])
    ts = new_tasks()
    group = [m for m in ("molap", "random") if m != method] + [method]
    cfgs = [{"profile": training_fields(p), "method": m, "seed": seed, "heads": hc, "tasks": [t.name for t in ts]}
            for m in group]

    def compute(idx):
        ms = [modules(p, group[i], seed) for i in idx]
        res = train_heads_many(jnp.stack([m["w_rec"] for m in ms]), jnp.stack([m["b"] for m in ms]), ts, hc,
                               keys=jnp.stack([stream(seed, HEADS)] * len(idx)),
                               val_keys=jnp.stack([stream(seed, VAL)] * len(idx)))
        out = []
        for j, m in enumerate(ms):
            r = unstack(res, j)
            test = evaluate_heads(m["w_rec"], m["b"], r.heads, ts, key=stream(seed, TEST), n_trials=p.n_test)
            out.append({"tasks": [t.name for t in ts], "test": test, "curve_steps": r.curve_steps, "curve": r.curve})
        return out

    return store.cached_many("newtasks", cfgs, compute)[-1]
