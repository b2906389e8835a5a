"""Generalisation (chapter "Generalisation", the paper's Fig 5): the primitives without a
held-out task, the held-out heads beside the full-corpus runs, and tasks in no corpus."""

from __future__ import annotations

from typing import NamedTuple

import matplotlib.pyplot as plt
import numpy as np

from molap import pipeline as P
from molap.analysis.generalisation import Folds, NewTaskHeads
from molap.methods import TrainedRun
from molap.tasks import PAPER_LABELS, TASK_NAMES, get_tasks
from molap.views import plots

COLUMNS = ("full_cca", "loo_cca", "l2o_cca", "full_pca", "loo_pca", "l2o_pca")
LABELS = ("full corpus, CCA", "leave-one-out, CCA", "leave-two-out, CCA", "full corpus, PCA", "leave-one-out, PCA",
          "leave-two-out, PCA")


class Generalisation(NamedTuple):
    """One seed's folds {(mode, kind): Folds}, full-corpus runs {method: TrainedRun} (molap, pca),
    the full corpus's 2-component CCA score, and the new tasks' heads {method: NewTaskHeads}."""

    folds: dict[tuple[str, str], Folds]
    full: dict[str, TrainedRun]
    r2_full: float
    new: dict[str, NewTaskHeads]


def load(profile, seed: int) -> Generalisation:
    folds = {(mode, k): P.generalisation(profile, mode, k, seed) for mode, k in P.VARIANTS}
    full = {m: P.trained(profile, m, seed) for m in ("molap", "pca")}
    new = {m: P.new_task_heads(profile, m, seed) for m in P.NEW_TASK_METHODS}
    return Generalisation(folds, full, P.r2_table(profile)[1]["r2"], new)


def r2_rows(g: Generalisation) -> list[dict]:
    """Each held-out task's CCA score without it (and without it and the next)."""
    loo, l2o = g.folds[("loo", "cca")], g.folds[("l2o", "cca")]
    return [dict(label=PAPER_LABELS[t], task=t, loo=100 * loo.r2[i], l2o=100 * l2o.r2[i], out="+".join(l2o.left_out[i]))
            for i, t in enumerate(TASK_NAMES)]


R2_HEADERS = ["", "held out", "CCA R² without it (%)", "R² without it and the next (%)", "left out (L2O)"]


def held_out_rows(g: Generalisation) -> list[dict]:
    """Decision units per task: full corpus and each fold variant, with the trivial policy."""
    f = g.folds
    src = {"full_cca": g.full["molap"], "full_pca": g.full["pca"], "loo_cca": f[("loo", "cca")],
           "l2o_cca": f[("l2o", "cca")], "loo_pca": f[("loo", "pca")], "l2o_pca": f[("l2o", "pca")]}
    order = ("full_cca", "full_pca", "loo_cca", "l2o_cca", "loo_pca", "l2o_pca")
    return [dict(label=PAPER_LABELS[t], **{k: src[k].test[t].decision for k in order},
                 trivial=g.full["molap"].test[t].trivial_decision) for t in TASK_NAMES]


def fig5(rows: list[dict]):
    """Held-out tasks as bars (decision units), the trivial policy as black marks."""
    fig, ax = plt.subplots(figsize=(13, 3.5))
    plots.bar_scores(rows, COLUMNS, LABELS, ax=ax, ylabel="decision units, %",
                     title="held-out tasks (decision units; black: trivial policy)")
    ax.plot(np.arange(9), [r["trivial"] for r in rows], "k_", ms=25, mew=2)
    return fig


def drops(rows: list[dict]) -> str:
    """How much each task loses (CCA, decision units) when held out of the corpus."""
    d = {r["label"]: r["full_cca"] - r["loo_cca"] for r in rows}
    worst = max(d, key=d.get)
    return (f"largest drop when held out: {worst} ({d[worst]:+.1f} points); T7: {d['T7']:+.1f}; "
            f"mean drop (CCA): {np.mean(list(d.values())):+.1f} points")


def new_task_rows(g: Generalisation) -> list[dict]:
    m, r = g.new["molap"], g.new["random"]
    return [dict(task=t, molap=m.test[t].decision, random=r.test[t].decision, paper=m.test[t].paper,
                 trivial=m.test[t].trivial_decision) for t in m.tasks]


NEW_HEADERS = ["new task", "MoLaP, decision units %", "random reservoir, decision units %", "MoLaP, paper's score %",
               "trivial policy, decision units %"]


def check(g: Generalisation) -> None:
    """Fold fits near the full corpus's (spec: 0.545-0.568); a held-out task's columns carry no
    weight; the new tasks were scored."""
    loo = g.folds[("loo", "cca")]
    assert np.all((loo.r2 > 0.50) & (loo.r2 < 0.62)), loo.r2
    starts = np.cumsum([0] + [t.n_in for t in get_tasks(None)])
    assert all(np.all(loo.x_weights[i, starts[i]:starts[i + 1]] == 0) for i in range(9))
    m = g.new["molap"]
    assert len(m.tasks) >= 2 and all(0 <= m.test[t].paper <= 100 for t in m.tasks)

