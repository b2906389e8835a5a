"""Run every experiment of the book in dependency order, filling the cache (``molap reproduce``)."""

from __future__ import annotations

import time
from typing import Callable

from . import experiments as E
from .methods import FROZEN, METHODS
from .perturb import KINDS
from .training import HeadConfig


def stages(profile: E.Profile) -> list[tuple[str, list[tuple[str, Callable]]]]:
    """(stage name, [(item name, thunk)]) in dependency order."""
    p = profile
    s0 = p.seeds[0]
    return [
        ("primitives", [(m, lambda m=m: E.primitives(p, m)) for m in ("cca", "pca", "pca_joint")]
         + [("r2 table", lambda: E.r2_table(p))]),
        ("pre-training", [(f"{m} seed {s}", lambda m=m, s=s: E.modules(p, m, s))
                          for m in FROZEN if m != "random" for s in p.seeds]),
        ("learning rates", [(m, lambda m=m: E.learning_rate(p, m)) for m in METHODS]),
        ("training", [(f"{m} seed {s}", lambda m=m, s=s: E.trained(p, m, s)) for m in METHODS for s in p.seeds]
         + [("molap, paper's literal recipe", lambda: E.trained(p, "molap", s0,
                                                                 heads=HeadConfig.paper_literal(p.heads.batch)))]),
        ("perturbations", [(f"{m} {k}", lambda m=m, k=k: E.perturbation(p, m, k, s0)) for m in METHODS for k in KINDS]),
        ("generalisation", [(f"{mode} {m}", lambda mode=mode, m=m: E.generalisation(p, mode, m, s0))
                            for mode in ("loo", "l2o") for m in ("cca", "pca")]
         + [(f"new tasks, {m}", lambda m=m: E.new_task_heads(p, m, s0)) for m in ("molap", "random")]),
    ]


def reproduce(profile: str | E.Profile | None = None, log: Callable[[str], None] = print) -> list[dict]:
    """Compute (or load from the cache) every result; returns per-stage wall times."""
    p = E.get_profile(profile)
    summary = []
    for name, items in stages(p):
        t0 = time.perf_counter()
        for i, (item, thunk) in enumerate(items):
            t = time.perf_counter()
            thunk()
            log(f"[{name} {i + 1}/{len(items)}] {item}: {time.perf_counter() - t:.1f} s")
        summary.append({"stage": name, "items": len(items), "wall_s": time.perf_counter() - t0})
    return summary
