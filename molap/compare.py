"""Comparing methods over seeds: summary tables, paired tests, learning speed."""

from __future__ import annotations

from typing import Mapping, Sequence

import numpy as np
from scipy import stats

from .metrics import Scores
from .tasks import PAPER_LABELS, TASK_NAMES

FIELDS = Scores._fields


def scores_array(runs: Sequence[dict], key: str = "test") -> np.ndarray:
    """(n_seeds, n_tasks, 5) test scores of one method's runs."""
    return np.array([[list(r[key][t]) for t in TASK_NAMES] for r in runs])


def summary_rows(results: Mapping[str, Sequence[dict]], field: str = "decision") -> list[dict]:
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


def paired(results: Mapping[str, Sequence[dict]], a: str, b: str, field: str = "decision") -> dict:
    """Paired comparison of methods a and b over seeds (same seeds, same data streams).

    Per seed, the mean over tasks of ``field``; returns the per-seed differences a - b, their mean,
    and a paired t-test (nan with fewer than 2 seeds), plus per-task mean differences.
    """
    j = FIELDS.index(field)
    x, y = scores_array(results[a])[..., j], scores_array(results[b])[..., j]
    d = x.mean(1) - y.mean(1)
    t, p = (stats.ttest_rel(x.mean(1), y.mean(1)) if len(d) > 1 and np.ptp(d) > 0 else (np.nan, np.nan))
    return {"diffs": d.tolist(), "mean": float(d.mean()), "t": float(t), "p": float(p), "n": len(d),
            "per_task": (x - y).mean(0).tolist()}


def steps_to(run: dict, threshold: float, field: str = "decision") -> float:
    """First validation step at which the task-mean ``field`` reaches ``threshold`` (nan if never)."""
    j = FIELDS.index(field)
    curve = np.asarray(run["curve"])[..., j].mean(1)
    hit = np.nonzero(curve >= threshold)[0]
    return float(run["curve_steps"][hit[0]]) if len(hit) else float("nan")


def verdict(pair: dict, a: str, b: str, alpha: float = 0.05) -> str:
    """One sentence on a paired comparison, from the measured numbers."""
    n, m, p = pair["n"], pair["mean"], pair["p"]
    if n < 3 or not np.isfinite(p):
        return (f"{a} - {b}: {m:+.2f} points over {n} seed(s); too few seeds for a test, "
                f"so no benefit of either can be claimed from this run.")
    if p >= alpha:
        return (f"{a} - {b}: {m:+.2f} points (paired t-test over {n} seeds, p = {p:.2f}): "
                f"no measurable difference.")
    better = a if m > 0 else b
    return f"{a} - {b}: {m:+.2f} points (paired t-test over {n} seeds, p = {p:.3f}): {better} is better."
