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
    """Paired comparison of methods a and b over the seeds both have (same data streams).

    Per seed, the mean over tasks of ``field``; returns the per-seed differences a - b, their mean,
    and a paired t-test (nan with fewer than 2 seeds), plus per-task mean differences.
    """
    from scipy import stats  # imported here: scipy.stats takes about a second to import

    j = FIELDS.index(field)
    ra, rb = shared_seeds(results[a], results[b])
    x, y = scores_array(ra)[..., j], scores_array(rb)[..., j]
    d = x.mean(1) - y.mean(1)
    t, p = (stats.ttest_rel(x.mean(1), y.mean(1)) if len(d) > 1 and np.ptp(d) > 0 else (np.nan, np.nan))
    return {"diffs": d.tolist(), "mean": float(d.mean()), "t": float(t), "p": float(p), "n": len(d),
            "per_task": (x - y).mean(0).tolist()}


def shared_seeds(a: Sequence, b: Sequence) -> tuple[list, list]:
    """The runs of a and b (anything with a ``seed``) on the seeds both have, in a's order."""
    by_seed = {r.seed: r for r in b}
    common = [r for r in a if r.seed in by_seed]
    return common, [by_seed[r.seed] for r in common]


MARGIN = 2.0
"""Equivalence margin of paired comparisons, in decision-unit points: a difference whose 90%
interval lies within +-MARGIN is "equivalent" (two one-sided tests at alpha)."""

ALPHA = 0.05


POWER = 0.8
"""The power at which an inconclusive comparison reports the effect its n could have detected."""
EXACT_ENUMERATE = 20
"""Up to this many pairs the sign-flip test enumerates all 2^n sign patterns; above, it draws
2^16 of them with a fixed generator (deterministic)."""


class Verdict(NamedTuple):
    """A paired comparison of a - b over seeds: n pairs; effect: mean difference; ci: its 95%
    interval (t); ci_equivalence: its 90% (1 - 2 alpha) interval, the one the equivalence test
    reads; p: two-sided paired t-test of no difference (nan where the differences have no
    spread); p_exact: the exact two-sided sign-flip (permutation) p of the mean difference;
    p_equivalent: two one-sided tests against +-margin (the larger of the two p); detectable: the
    effect a two-sided test at alpha would detect with :data:`POWER` at this n and spread;
    verdict: "equivalent" (p_equivalent < alpha: the 90% interval lies within +-margin), else
    "better" / "worse" (both p and p_exact < alpha, by the sign of the effect), else
    "inconclusive"."""

    n: int
    effect: float
    ci: tuple[float, float]
    ci_equivalence: tuple[float, float]
    p: float
    p_equivalent: float
    margin: float
    verdict: str
    p_exact: float = float("nan")
    detectable: float = float("nan")

    @property
    def p_difference(self) -> float:
        """The p a difference is decided on: the larger of the t-test's and the exact test's
        (the exact one alone where the t-test is undefined)."""
        return float(np.nanmax([self.p, self.p_exact])) if np.isfinite(self.p_exact) else self.p


def sign_flip_p(diffs: Sequence[float]) -> float:
    """Exact two-sided sign-flip p of the mean of paired differences: the fraction of the 2^n
    sign patterns whose |mean| is at least the observed one (all patterns up to
    :data:`EXACT_ENUMERATE` pairs, in blocks of 2^16; beyond, 2^16 drawn with a fixed generator).
    Its smallest value is 2 / 2^n: 0.0625 with 5 pairs, 0.002 with 10."""
    d = np.asarray(diffs, float)
    n = len(d)
    if n == 0:
        return float("nan")
    target = abs(d.sum()) - 1e-9 * max(1.0, float(np.abs(d).max())) * n
    if n > EXACT_ENUMERATE:
        signs = np.random.default_rng(0).choice((-1.0, 1.0), size=(2 ** 16, n))
        return float(np.mean(np.abs(signs @ d) >= target))
    low = min(n, 16)  # the last ``low`` pairs' patterns in one block, the first n - low pairs outside
    block = 1 - 2 * ((np.arange(2 ** low)[:, None] >> np.arange(low)) & 1).astype(float)
    inner = block @ d[n - low:]
    hits = 0
    for outer in range(2 ** (n - low)):
        head = sum(-x if (outer >> i) & 1 else x for i, x in enumerate(d[:n - low]))
        hits += int(np.sum(np.abs(head + inner) >= target))
    return hits / 2 ** n


def detectable_effect(sd: float, n: int, alpha: float = 0.05, power: float = POWER) -> float:
    """The smallest true mean difference a two-sided paired t-test at ``alpha`` detects with
    ``power`` at n pairs of spread ``sd`` (the usual approximation: (t_{1-alpha/2} + t_power) sd / sqrt(n))."""
    from scipy import stats

    if n < 2:
        return float("nan")
    df = n - 1
    return float((stats.t.ppf(1 - alpha / 2, df) + stats.t.ppf(power, df)) * sd / np.sqrt(n))


def verdict(diffs: Sequence[float], margin: float = MARGIN, alpha: float = ALPHA) -> Verdict:
    """:class:`Verdict` from per-seed paired differences (a - b). Fewer than 2 pairs: inconclusive.
    Identical differences (zero spread, e.g. both at 100% on every seed) have no t-test: equivalent
    if within the margin, else decided by the exact test alone (which 5 pairs can never pass)."""
    from scipy import stats  # imported here: scipy.stats takes about a second to import

    if not margin > 0:
        raise MolapError(f"margin must be a positive number, got {margin!r}")
    d = np.asarray(diffs, float)
    if d.ndim != 1 or not np.isfinite(d).all():
        raise MolapError(f"diffs must be a 1-D sequence of finite numbers, got {diffs!r}")
    n, mean = len(d), float(d.mean()) if len(d) else float("nan")
    nan2 = (float("nan"), float("nan"))
    if n < 2:
        return Verdict(n, mean, nan2, nan2, float("nan"), float("nan"), margin, "inconclusive")
    sd = float(d.std(ddof=1))
    exact = sign_flip_p(d)
    if sd == 0.0:
        inside = abs(mean) < margin
        v = "equivalent" if inside else ("better" if mean > 0 else "worse") if exact < alpha else "inconclusive"
        return Verdict(n, mean, (mean, mean), (mean, mean), float("nan"), 0.0 if inside else 1.0, margin, v,
                       exact, 0.0)
    se, df = sd / np.sqrt(n), n - 1
    half = float(stats.t.ppf(1 - alpha / 2, df) * se)
    half_eq = float(stats.t.ppf(1 - alpha, df) * se)
    p = float(2 * stats.t.sf(abs(mean) / se, df))
    p_eq = float(max(stats.t.sf((mean + margin) / se, df), stats.t.cdf((mean - margin) / se, df)))
    out = Verdict(n, mean, (mean - half, mean + half), (mean - half_eq, mean + half_eq), p, p_eq, margin, "",
                  exact, detectable_effect(sd, n, alpha))
    return out._replace(verdict=decide(mean, out.p_difference, p_eq, alpha))


def decide(effect: float, p_difference: float, p_equivalent: float, alpha: float = ALPHA) -> str:
    """The verdict of one comparison from its p values (see :class:`Verdict`)."""
    if p_equivalent < alpha:
        return "equivalent"
    if p_difference < alpha:
        return "better" if effect > 0 else "worse"
    return "inconclusive"


def holm(ps: Sequence[float]) -> np.ndarray:
    """Holm's step-down adjustment of p values (nan stays nan and takes no part)."""
    p = np.asarray(ps, float)
    out = np.full(len(p), np.nan)
    ok = np.flatnonzero(np.isfinite(p))
    m, running = len(ok), 0.0
    for rank, i in enumerate(ok[np.argsort(p[ok], kind="stable")]):
        running = max(running, min(1.0, (m - rank) * p[i]))
        out[i] = running
    return out


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
