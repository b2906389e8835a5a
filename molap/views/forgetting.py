"""DNI's forgetting (book chapter 05): for methods that train their tasks in sequence, each task's
decision-unit accuracy right after its own training and after the whole sequence."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from molap import methods
from molap.analysis import compare
from molap.methods import TrainedRun
from molap.tasks import TASK_NAMES
from molap.views.tables import show_table


def forgetting_rows(runs: Sequence[TrainedRun]) -> list[dict]:
    """Per task, a sequential method's decision-unit accuracy right after its own training and
    after the whole sequence (means over seeds), and the drop."""
    own = compare.scores_array([r._replace(test=r.after_own) for r in runs], "decision").mean(0)
    final = compare.scores_array(runs, "decision").mean(0)
    return [dict(label=f"T{i + 1}", task=t, own=own[i], final=final[i], drop=own[i] - final[i])
            for i, t in enumerate(TASK_NAMES)]


def forgetting_lines(c) -> list[str]:
    """``c``: a :class:`molap.views.comparing_methods.Comparison`.
    Per sequential method: on how many tasks the decision units reach criterion right after the
    task's own training and after the whole sequence (means over seeds), and the mean drop."""
    out = []
    for m, runs in c.results.items():
        if runs[0].after_own is None:
            continue
        rows = forgetting_rows(runs)
        own = sum(r["own"] >= compare.CRITERION for r in rows)
        final = sum(r["final"] >= compare.CRITERION for r in rows)
        out.append(f"{m}: {own} of {len(rows)} tasks at {compare.CRITERION:g}% or more right after their own "
                   f"training, {final} after all {len(rows)}; {np.mean([r['drop'] for r in rows]):.1f} points "
                   f"forgotten on average ({len(runs)} seeds)")
    return out


def show_forgetting(c, method: str | None = None) -> None:
    """:func:`forgetting_rows` of a method that trains tasks in sequence (default: every such
    method, each under a line naming it)."""
    seq = [method] if method else [m for m, runs in c.results.items() if runs[0].after_own is not None]
    for m in seq:
        print(f"{m}: {methods.get(m).summary}")
        show_table(forgetting_rows(c.results[m]),
                   headers=["", "task", "after its own training", "after all nine", "forgotten (points)"])
