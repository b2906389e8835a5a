"""Early learning (chapter 05's section "Early learning"): the first steps of every method that
trains its tasks together, validated often, on each family's seeds (:func:`molap.pipeline.curves.early`),
their curves with the spread over seeds, and the endpoints the learning-speed claim reads
(:mod:`molap.claims.speed`)."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np

from molap.claims.speed import EARLY_BUDGETS, SPEED_METHODS, early_endpoints
from molap.metrics import Scores
from molap.pipeline import curves
from molap.views.tables import show_table

METHODS = ("molap",) + SPEED_METHODS
LATE = slice(4, None)


def runs(profile) -> dict | None:
    """{method: [TrainedRun per seed]} of the profile's early stage (None: it has none)."""
    if curves.early_recipe(profile) is None:
        return None
    return {m: curves.early(profile, m, progress=False) for m in METHODS}


def plot_early(profile):
    """Decision units against steps, over all nine tasks (left) and T5-T9 (right): the mean over
    seeds and, shaded, the range over seeds. None where the profile has no early stage."""
    rs = runs(profile)
    if rs is None:
        return None
    j = Scores.column("decision")
    fig, axes = plt.subplots(1, 2, figsize=(11, 3.8), sharey=True)
    for ax, (tasks, name) in zip(axes, ((slice(None), "all nine tasks"), (LATE, "T5-T9"))):
        for m, rr in rs.items():
            steps = np.asarray(rr[0].curve_steps)
            a = np.array([np.asarray(r.curve)[:, tasks, j].mean(1) for r in rr])  # (seeds, evals)
            ax.plot(steps, a.mean(0), label=f"{m} ({len(rr)} seeds)")
            ax.fill_between(steps, a.min(0), a.max(0), alpha=0.15)
        ax.set_xlabel("training steps per task")
        ax.set_title(f"validation decision units, {name} (band: range over seeds)", fontsize=9)
    axes[0].set_ylabel("%")
    axes[0].legend(fontsize=8)
    plt.tight_layout()
    return fig


def early_rows(profile) -> list[dict]:
    """Per method: seeds, the mean (sd) over seeds of each endpoint, and the censored pairs."""
    rs = runs(profile)
    if rs is None:
        return []
    out = []
    for m, rr in rs.items():
        e = early_endpoints(rr)
        row = {"method": m, "seeds": len(rr)}
        for b in EARLY_BUDGETS:
            row[f"area to {b}"] = f"{e.area[b].mean():.1f} ({e.area[b].std(ddof=1):.1f})"
        row["log10 steps"] = f"{e.log_steps.mean():.2f} ({e.log_steps.std(ddof=1):.2f})"
        row["never at criterion"] = f"{e.censored}/{e.n_pairs}"
        out.append(row)
    return out


def show_early(profile) -> None:
    """:func:`early_rows` as a table, or a line saying the profile has no early stage."""
    rows = early_rows(profile)
    if not rows:
        print(f"profile {profile.name!r} has no early-learning stage")
        return
    show_table(rows)
