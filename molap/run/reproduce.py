"""Run every experiment of the book in dependency order, filling the cache (``molap reproduce``)."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable
from pathlib import Path
from typing import NamedTuple

from molap import methods, names, store
from molap import pipeline as P
from molap.analysis import generalisation as folds_of
from molap.analysis.generalisation import MODES
from molap.analysis.perturbations import KINDS
from molap.pipeline import curves
from molap.pipeline.selection import learning_rate
from molap.primitives import KINDS as PRIMITIVE_KINDS
from molap.profiles import Profile, get_profile
from molap.store import checkpoint
from molap.tasks import examples
from molap.training import TaskTraining


def each(calls: list[Callable]) -> list:
    """Every call's result. A read-only miss (:class:`molap.store.MissingResult`) is raised only
    after every call was tried, so :func:`check` looks up every seed of an item, not only those
    before the first one missing (their entries would seem to belong to no item)."""
    out, miss = [], None
    for c in calls:
        try:
            out.append(c())
        except store.MissingResult as e:
            miss = miss or e
    if miss is not None:
        raise miss
    return out


class Item(NamedTuple):
    """One item of ``molap reproduce``: its ``stage`` and ``name`` (as logged and checked), ``run``
    (computes or loads its results), and what it computes, read by the timing model
    (:mod:`molap.run.timing`) instead of the name: ``methods`` (trained together: a family, or
    the methods of an item), ``seeds``, ``kind`` (a primitive or perturbation kind), ``mode`` (a
    fold mode), ``n_tasks`` (tasks trained, when not the corpus's nine) and ``literal`` (the
    paper's literal recipe)."""

    stage: str
    name: str
    run: Callable
    methods: tuple[str, ...] = ()
    seeds: tuple[int, ...] = ()
    kind: str | None = None
    mode: str | None = None
    n_tasks: int = 9
    literal: bool = False


def seed_label(seeds) -> str:
    """How an item names its seeds: "seeds 0, 1, 2", a run of more than five as "seeds 0-19"."""
    seeds = tuple(seeds)
    if len(seeds) > 5 and seeds == tuple(range(seeds[0], seeds[-1] + 1)):
        return f"seeds {seeds[0]}-{seeds[-1]}"
    return f"seeds {', '.join(map(str, seeds))}"


def items(profile: Profile) -> list[Item]:
    """Every item in dependency order. Runs trained together (a method family over all seeds, the
    pilots of a family) are one item. Methods come from the registry."""
    p = profile
    s0 = p.pilot_seed
    seeds = seed_label(p.seeds)
    fams = methods.families()
    pre = P.pretrained_methods()
    pre_seeds = P.seeds_of(p, pre[0])
    own = [("the book's own task", lambda: [examples.MATCH_TASK], 1)]
    if examples.neurogym_available():
        own.append(("the book's neurogym tasks", examples.neurogym_examples, len(examples.NEUROGYM_ENVS)))
    return (
        [Item("primitives", k, lambda k=k: P.primitives(p, k), kind=k) for k in PRIMITIVE_KINDS]
        + [Item("primitives", "r2 table", lambda: P.r2_table(p))]
        + [Item("primitives", f"{mode} {k} folds", lambda mode=mode, k=k: P.fold_primitives(p, mode, k), kind=k,
                mode=mode) for mode in MODES for k in ("cca", "pca")]
        + [Item("pre-training", f"{' and '.join(pre)}, {seed_label(pre_seeds)}",
                lambda: each([lambda m=m, s=s: P.modules(p, m, s) for m in pre for s in pre_seeds]), pre, pre_seeds)]
        + [Item("learning rates", ", ".join(f), lambda f=f: [learning_rate(p, m) for m in f], f, (s0,)) for f in fams]
        + [Item("training", f"{', '.join(f)}, {seed_label(P.seeds_of(p, f[0]))}",
                lambda f=f: each([lambda m=m, s=s: P.trained(p, m, s) for m in f for s in P.seeds_of(p, f[0])]), f,
                P.seeds_of(p, f[0])) for f in fams]
        + [Item("training", "molap, paper's literal recipe",
                lambda: P.trained(p, "molap", s0, recipe=TaskTraining.paper_literal(p.training.batch)), ("molap",),
                (s0,), literal=True)]
        + [Item("schedule sweep", f"{', '.join(f)}, batch {r.batch}, {r.schedule.n_steps} steps, decay {r.schedule.decay:g}",
                lambda f=f, r=r: curves.curves(p, f[0], r, p.sweep.seeds), f, p.sweep.seeds)
           for r in curves.sweep_recipes(p) for f in fams if f[0] in curves.swept_methods()]
        + [Item("early learning", f"{', '.join(f)}, {seed_label(P.seeds_of(p, f[0]))}",
                lambda f=f: curves.early(p, f[0]), f, P.seeds_of(p, f[0]))
           for f in fams if f[0] in curves.swept_methods() and curves.early_recipe(p) is not None]
        + [Item("perturbations", f"{m} {k}, {seed_label(P.perturb_seeds_of(p, m))}",
                lambda m=m, k=k: each([lambda s=s: P.perturbation(p, m, k, s) for s in P.perturb_seeds_of(p, m)]),
                (m,), P.perturb_seeds_of(p, m), k)
           for m in methods.names() for k in KINDS]
        + [Item("generalisation", f"{mode} {k}, {seeds}",
                lambda mode=mode, k=k: each([lambda s=s: P.generalisation(p, mode, k, s) for s in p.seeds]),
                ("molap",), p.seeds, k, mode) for mode, k in P.VARIANTS]
        + [Item("generalisation", f"new tasks, {m}", lambda m=m: P.new_task_heads(p, m, s0), (m,), (s0,),
                n_tasks=len(folds_of.new_tasks())) for m in P.NEW_TASK_METHODS]
        + [Item("generalisation", f"{what}, {m}", lambda m=m, ts=ts: P.trained(p, m, s0, tasks=ts()), (m,), (s0,),
                n_tasks=n) for what, ts, n in own for m in examples.OWN_TASK_METHODS]
    )


def stages(profile: Profile) -> list[tuple[str, list[tuple[str, Callable]]]]:
    """(stage name, [(item name, thunk)]) of :func:`items`, in dependency order."""
    out: dict[str, list] = {stage: [] for stage in names.STAGES}
    for it in items(profile):
        out.setdefault(it.stage, []).append((it.name, it.run))
    return list(out.items())


STAGES = names.STAGES


def reproduce(profile: str | Profile | None = None, log: Callable[[str], None] = print,
              only: tuple[str, ...] | None = None, budget_s: float | None = None) -> list[dict]:
    """Compute (or load) every result, stage by stage; returns per-stage wall times. ``only``
    restricts to some stages (their inputs are still computed or loaded as needed).

    ``budget_s``: stop after this many seconds (:mod:`molap.store.checkpoint`): what finished is cached,
    a training run in progress is checkpointed, and :class:`~molap.store.checkpoint.OutOfBudget` is
    raised with ``.summary`` (the stages so far) and ``.remaining`` (the items not finished); the
    same call again resumes, bit-identically."""
    p = get_profile(profile)
    summary = []
    todo = [(name, items) for name, items in stages(p) if not only or name in only]
    with checkpoint.budget(budget_s) if budget_s is not None else contextlib.nullcontext():
        for s_i, (name, items) in enumerate(todo):
            t0 = time.perf_counter()
            for i, (item, thunk) in enumerate(items):
                t = time.perf_counter()
                try:
                    thunk()
                except checkpoint.OutOfBudget as e:
                    summary.append({"stage": name, "items": i, "wall_s": time.perf_counter() - t0})
                    e.summary = summary
                    e.remaining = [f"{name}: {it}" for it, _ in items[i:]] + [
                        f"{n}: {it}" for n, its in todo[s_i + 1:] for it, _ in its]
                    log(f"[{name} {i + 1}/{len(items)}] {item}: stopped after the time budget "
                        f"({time.perf_counter() - t:.1f} s of it)")
                    raise
                log(f"[{name} {i + 1}/{len(items)}] {item}: {time.perf_counter() - t:.1f} s")
            summary.append({"stage": name, "items": len(items), "wall_s": time.perf_counter() - t0})
    return summary


def check(profile: str | Profile | None = None, used: set | None = None) -> list[str]:
    """The items whose results are neither cached nor committed for the current configuration
    (missing or stale); computes nothing. The entry files found are added to ``used``."""
    p = get_profile(profile)
    missing = []
    with store.read_only(), store.recording() as seen:
        for name, items in stages(p):
            for item, thunk in items:
                try:
                    thunk()
                except store.MissingResult as e:
                    missing.append(f"{name}: {item}: {e}")
    if used is not None:
        used |= seen
    return missing


class Audit(NamedTuple):
    """missing: {profile: items neither cached nor committed (see :func:`check`)}; orphans: committed
    entries (``results/``) that no item of those profiles asks for (stale results of an older
    configuration or code schema)."""

    missing: dict[str, list[str]]
    orphans: list[Path]


def audit(profiles=("quick", "standard", "paper")) -> Audit:
    """Every item of the given profiles looked up once (nothing computed)."""
    used: set = set()
    missing = {prof: check(prof, used) for prof in profiles}
    return Audit(missing, sorted(p for p in store.results_dir().glob("*.npz") if p.resolve() not in used))


def orphans(profiles=("quick", "standard", "paper")) -> list[Path]:
    """Committed entries that no item of the given profiles asks for (:attr:`Audit.orphans`)."""
    return audit(profiles).orphans
