"""Comparing methods over seeds: summary tables, paired tests, learning speed."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import NamedTuple

import numpy as np

from molap.errors import MolapError
from molap.metrics import Scores
from molap.tasks import PAPER_LABELS, TASK_NAMES

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


MARGIN = 2.0
"""Equivalence margin of paired comparisons, in decision-unit points: a difference whose 90%
interval lies within +-MARGIN is "equivalent" (two one-sided tests at alpha)."""

ALPHA = 0.05


class Verdict(NamedTuple):
    """A paired comparison of a - b over seeds: n pairs; effect: mean difference; ci: its 95%
    interval (t); ci_equivalence: its 90% (1 - 2 alpha) interval, the one the equivalence test
    reads; p: two-sided paired t-test of no difference; p_equivalent: two one-sided tests against
    +-margin (the larger of the two p); verdict: "equivalent" (p_equivalent < alpha: the 90%
    interval lies within +-margin, even where p < alpha says the difference is not exactly 0),
    else "better" / "worse" (p < alpha, by the sign of the effect), else "inconclusive"."""

    n: int
    effect: float
    ci: tuple[float, float]
    ci_equivalence: tuple[float, float]
    p: float
    p_equivalent: float
    margin: float
    verdict: str


def verdict(diffs: Sequence[float], margin: float = MARGIN, alpha: float = ALPHA) -> Verdict:
    """:class:`Verdict` from per-seed paired differences (a - b). Fewer than 2 pairs: inconclusive.
    Identical differences (zero spread, e.g. both at 100% on every seed) are exact: equivalent if
    within the margin, else better or worse with p = 0."""
    from scipy import stats  # imported here: scipy.stats takes about a second to import

    if not margin > 0:
        raise MolapError(f"margin must be a positive number of points, got {margin!r}")
    d = np.asarray(diffs, float)
    if d.ndim != 1 or not np.isfinite(d).all():
        raise MolapError(f"diffs must be a 1-D sequence of finite numbers, got {diffs!r}")
    n, mean = len(d), float(d.mean()) if len(d) else float("nan")
    nan2 = (float("nan"), float("nan"))
    if n < 2:
        return Verdict(n, mean, nan2, nan2, float("nan"), float("nan"), margin, "inconclusive")
    sd = float(d.std(ddof=1))
    if sd == 0.0:
        inside = abs(mean) < margin
        p = 1.0 if mean == 0 else 0.0
        v = "equivalent" if inside else ("better" if mean > 0 else "worse")
        return Verdict(n, mean, (mean, mean), (mean, mean), p, 0.0 if inside else 1.0, margin, v)
    se, df = sd / np.sqrt(n), n - 1
    half = float(stats.t.ppf(1 - alpha / 2, df) * se)
    half_eq = float(stats.t.ppf(1 - alpha, df) * se)
    p = float(2 * stats.t.sf(abs(mean) / se, df))
    p_eq = float(max(stats.t.sf((mean + margin) / se, df), stats.t.cdf((mean - margin) / se, df)))
    v = "equivalent" if p_eq < alpha else ("better" if mean > 0 else "worse") if p < alpha else "inconclusive"
    return Verdict(n, mean, (mean - half, mean + half), (mean - half_eq, mean + half_eq), p, p_eq, margin, v)


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
    hit = at_criterion(run, criterion)
    first = np.where(hit.any(0), hit.argmax(0), -1)
    steps = np.asarray(run.curve_steps, float)
    return np.where(first >= 0, steps[np.maximum(first, 0)], np.nan)


def at_criterion(run, criterion: float = CRITERION) -> np.ndarray:
    """(n_evals, n_tasks) bool: whether each task's validation decision units are at ``criterion``
    and above the trivial policy's at each evaluation of ``run``'s curve."""
    curve = np.asarray(run.curve)
    dec, triv = curve[..., FIELDS.index("decision")], curve[..., FIELDS.index("trivial_decision")]
    return (dec >= criterion) & (dec > triv)
