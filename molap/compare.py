"""Comparing methods over seeds: summary tables, paired tests, learning speed."""

from __future__ import annotations

from typing import Mapping, Sequence

import numpy as np

from .metrics import Scores
from .tasks import PAPER_LABELS, TASK_NAMES

FIELDS = Scores._fields


def scores_array(runs: Sequence, field: str | None = None, tasks: Sequence[str] = TASK_NAMES) -> np.ndarray:
    """(n_runs, n_tasks, 5) test scores of runs (anything with a ``test`` {task: Scores}), or
    (n_runs, n_tasks) of one Scores ``field``."""
    a = np.array([[list(r.test[t]) for t in tasks] for r in runs])
    return a if field is None else a[..., FIELDS.index(field)]


def summary_rows(results: Mapping[str, Sequence], field: str = "decision") -> list[dict]:
    """One row per task: mean and sd over seeds of ``field`` for every method."""
    j = FIELDS.index(field)
    rows = []
    for i, t in enumerate(TASK_NAMES):
        row = {"label": PAPER_LABELS[t], "task": t}
        for m, runs in results.items():
            a = scores_array(runs)[:, i, j]
            row[m] = float(a.mean())
            row[f"{m}_sd"] = float(a.std())
        rows.append(row)
    return rows


def paired(results: Mapping[str, Sequence], a: str, b: str, field: str = "decision") -> dict:
    """Paired comparison of methods a and b over seeds (same seeds, same data streams).

    Per seed, the mean over tasks of ``field``; returns the per-seed differences a - b, their mean,
    and a paired t-test (nan with fewer than 2 seeds), plus per-task mean differences.
    """
    from scipy import stats  # imported here: scipy.stats takes about a second to import

    j = FIELDS.index(field)
    x, y = scores_array(results[a])[..., j], scores_array(results[b])[..., j]
    d = x.mean(1) - y.mean(1)
    t, p = (stats.ttest_rel(x.mean(1), y.mean(1)) if len(d) > 1 and np.ptp(d) > 0 else (np.nan, np.nan))
    return {"diffs": d.tolist(), "mean": float(d.mean()), "t": float(t), "p": float(p), "n": len(d),
            "per_task": (x - y).mean(0).tolist()}


def steps_to(run, threshold: float, field: str = "decision") -> float:
    """First validation step at which the task-mean ``field`` reaches ``threshold`` (nan if never)."""
    j = FIELDS.index(field)
    curve = np.asarray(run.curve)[..., j].mean(1)
    hit = np.nonzero(curve >= threshold)[0]
    return float(run.curve_steps[hit[0]]) if len(hit) else float("nan")


CRITERION = 90.0
"""Decision-unit accuracy (%) a task must reach, above the trivial policy, to count as learned."""


def steps_to_criterion(run, criterion: float = CRITERION) -> np.ndarray:
    """(n_tasks,) the first validation step at which each task's decision units reach ``criterion``
    and beat the trivial policy's decision units (nan: never within the run's curve)."""
    curve = np.asarray(run.curve)
    dec, triv = curve[..., FIELDS.index("decision")], curve[..., FIELDS.index("trivial_decision")]
    hit = (dec >= criterion) & (dec > triv)  # (n_blocks, n_tasks)
    first = np.where(hit.any(0), hit.argmax(0), -1)
    steps = np.asarray(run.curve_steps, float)
    return np.where(first >= 0, steps[np.maximum(first, 0)], np.nan)
