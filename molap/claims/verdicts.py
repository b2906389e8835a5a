"""How a claim gets its verdict: the :class:`Claim` record, measurements and paired comparisons,
and the bars every section reads.

The two kinds of claim (measurements and comparisons) and what each verdict means are set
out in :mod:`molap.claims`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

import numpy as np

from molap.analysis.compare import ALPHA, Verdict, decide, holm
from molap.errors import MolapError
from molap.tasks import TASK_NAMES

FIELD = "decision"  #: the score every accuracy verdict reads: the decision units alone
PAPER_FIELD = "paper"  #: the paper's score, shown beside
PAPER_BAR = 70.0  #: the paper's bar: more than 70% of decisions correct
NOISE_TOLERANCE = 5.0  #: points an accuracy may lose under noise and still count as robust
FIXATION_HIGH = 90.0  #: a fixation unit "stays high" above this score (%)
ACCURACY_MARGIN = 2.0
"""Equivalence margin of accuracy comparisons: +-2 decision-unit points on the per-seed T5-T9 mean."""
SPEED_MARGIN = 0.1
"""Equivalence margin of steps to criterion: +-0.1 in the per-seed mean of log10 steps (a factor of 1.26)."""
THRESHOLD_MARGINS = {"percent": 0.5, "percent units": 0.5, "sigma": 0.0005}
"""Equivalence margins of robustness thresholds, by the unit of the perturbation's level: half a
percentage point of weights lesioned or units silenced, 0.0005 of noise sigma."""
T5, T7, T9 = 4, 6, 8  #: the indices of T5, T7 and T9 in the corpus
MEASUREMENT_VERDICTS = ("reproduced", "not reproduced", "inconsistent")
COMPARISON_VERDICTS = ("better", "equivalent", "worse", "inconclusive")
VERDICTS = MEASUREMENT_VERDICTS + COMPARISON_VERDICTS
AFTER_OWN = " (after own task)"
"""Suffix of the label of a method that trains tasks in sequence, scored right after each task's
own training (the plain label is its score at the end of the sequence)."""


RULE = ("a claim's comparisons are corrected together (Holm); each is 'equivalent' if its 90% interval lies "
        "within the stated margin, 'better' or 'worse' if both the paired t-test and the exact sign-flip test "
        "reject no difference; the claim gets the verdict its statement predicts only if every comparison does, "
        "else the strongest refutation: a reversal, then an equivalence (or a difference, for a claim of "
        "equivalence), then inconclusive")
"""How a claim's verdict is combined from its comparisons (the book's "How we judge")."""
_REFUTATIONS = {"better": ("worse", "equivalent", "inconclusive"), "equivalent": ("worse", "better", "inconclusive"),
                "worse": ("better", "equivalent", "inconclusive")}
LEARNED = 90.0
"""A network has learned a task when its intact decision units reach this (%) and beat the trivial
policy's; a comparator enters a comparison on a task only where it learned it."""


class Comparison(NamedTuple):
    """One comparison of a claim: label (``"MoLaP - DNI"``), the uncorrected paired test
    (:class:`molap.analysis.compare.Verdict`), its Holm-adjusted p values (of a difference, of
    equivalence) over the claim's comparisons, the verdict after correction, the unit of its
    effect and what was left out (``excluded``: e.g. "3 of 45 (seed, task) pairs not learned")."""

    label: str
    test: Verdict
    p_holm: float
    p_equivalent_holm: float
    verdict: str
    unit: str = "points"
    excluded: str = ""

    def as_dict(self) -> dict:
        """JSON-ready: comparator, n, effect, 95% interval, p, Holm p, exact p, verdict, excluded."""
        t = self.test
        return {"comparison": self.label, "n": t.n, "effect": _num(t.effect), "unit": self.unit,
                "ci95": [_num(t.ci[0]), _num(t.ci[1])], "margin": t.margin, "p": _num(t.p),
                "p_exact": _num(t.p_exact), "p_holm": _num(self.p_holm), "p_equivalent": _num(t.p_equivalent),
                "p_equivalent_holm": _num(self.p_equivalent_holm), "detectable": _num(t.detectable),
                "verdict": self.verdict, "excluded": self.excluded}


def _num(x) -> float | None:
    return None if x is None or not np.isfinite(x) else float(x)


class Claim(NamedTuple):
    """One claim of the paper: what it says (``paper``), what we measured (``ours``), a verdict
    (one of :data:`VERDICTS`) and the chapter that shows it. kind: "measurement" or
    "comparison"; n_seeds: the seeds the verdict rests on (None: no trained network involved;
    the largest n of its comparisons); p: the deciding comparison's Holm-adjusted p (None for
    measurements); expected: the comparison verdict the paper's statement predicts (None for
    measurements); comparisons: the claim's :class:`Comparison` rows; rule: how they were combined
    (:data:`RULE`)."""

    claim: str
    paper: str
    ours: str
    verdict: str
    chapter: str
    kind: str = "measurement"
    n_seeds: int | None = None
    p: float | None = None
    expected: str | None = None
    comparisons: tuple = ()
    rule: str = ""


def as_paper_says(c: Claim) -> bool:
    """Whether a claim came out as the paper states it: a comparison with the expected verdict, a
    measurement reproduced."""
    return c.verdict == (c.expected if c.kind == "comparison" else "reproduced")


def measured(claim, paper, ours, ok, chapter, n_seeds=None) -> Claim:
    """A measurement: reproduced if ``ok``."""
    return Claim(claim, paper, ours, "reproduced" if ok else "not reproduced", chapter, "measurement", n_seeds)


def corrected(tests: Sequence[tuple], unit: str = "points", alpha: float = ALPHA) -> list[Comparison]:
    """The comparisons of one claim, Holm-corrected together. tests: (label, Verdict), (label,
    Verdict, excluded) or (label, Verdict, excluded, usable); a comparison that is not usable (its
    endpoint cannot tell the networks apart, e.g. a grid that starts past the cliff) is
    inconclusive whatever its p."""
    ph = holm([t[1].p_difference for t in tests])
    pe = holm([t[1].p_equivalent for t in tests])
    out = []
    for (label, v, *rest), a, b in zip(tests, ph, pe):
        usable = rest[1] if len(rest) > 1 else True
        v_ = decide(v.effect, a, b, alpha) if v.n >= 2 and usable else "inconclusive"
        out.append(Comparison(label, v, float(a), float(b), v_, unit, rest[0] if rest else ""))
    return out


def combine(rows: Sequence[Comparison], expected: str = "better") -> tuple[str, Comparison]:
    """The claim's verdict and the comparison that decides it, by :data:`RULE`: every comparison
    as expected gives the expected verdict (decided by the one with the largest p); else the
    strongest refutation present (the clearest one of that verdict decides)."""
    vs = [r.verdict for r in rows]
    if all(v == expected for v in vs):
        return expected, max(rows, key=lambda r: np.nan_to_num(_p(r), nan=1.0))
    for v in _REFUTATIONS[expected]:
        hits = [r for r in rows if r.verdict == v]
        if hits:
            pick = max if v == "inconclusive" else min
            return v, pick(hits, key=lambda r: np.nan_to_num(_p(r), nan=1.0))
    raise MolapError(f"no comparison verdict in {vs}")


def _p(r: Comparison) -> float:
    return r.p_equivalent_holm if r.verdict == "equivalent" else r.p_holm


def describe(c: Comparison) -> str:
    """One comparison in words: effect, 95% interval, p (Holm-adjusted, exact), verdict, and for an
    inconclusive one the effect its n could have detected."""
    v, u = c.test, c.unit
    fmt = (lambda x: f"{x:+.2g}") if u not in ("points", "steps") else (lambda x: f"{x:+.1f}")
    if v.n < 2:
        return f"{c.label} {fmt(v.effect)} {u} (n = {v.n}: no test): {c.verdict}"
    out = (f"{c.label} {fmt(v.effect)} {u} [95% CI {fmt(v.ci[0])}, {fmt(v.ci[1])}], n = {v.n}, "
           f"p = {v.p:.2g} (exact {v.p_exact:.2g}; Holm {c.p_holm:.2g}): {c.verdict}")
    if c.verdict == "inconclusive":
        out += f" (n = {v.n} detects {abs(v.detectable):.2g} {u} at 80% power; margin +-{v.margin:g})"
    return out + (f" [{c.excluded}]" if c.excluded else "")


SPELLED_OUT = 3
"""A claim with more comparisons than this names only the deciding one in ``ours`` (all are in
:attr:`Claim.comparisons`, :func:`comparison_rows` and ``molap claims --json``)."""


def comparison_rows(c: Claim) -> list[dict]:
    """One row per comparison of a claim, for a table: comparison, n, effect, 95% CI, p, exact p,
    Holm p, verdict, left out."""
    out = []
    for r in c.comparisons:
        t = r.test
        out.append({"comparison": r.label, "n": t.n, "effect": f"{t.effect:+.3g} {r.unit}",
                    "95% CI": f"[{t.ci[0]:+.3g}, {t.ci[1]:+.3g}]", "p": f"{t.p:.2g}", "exact p": f"{t.p_exact:.2g}",
                    "Holm p": f"{r.p_holm:.2g}", "verdict": r.verdict, "left out": r.excluded})
    return out


def compared(claim, paper, tests: Sequence[tuple], chapter, n_seeds=None, expected="better", unit="points",
             detail="") -> Claim:
    """A comparison claim from one or more paired tests ((label, Verdict) or (label, Verdict,
    excluded)), corrected together and combined by :data:`RULE`."""
    rows = corrected(tests, unit)
    v, decider = combine(rows, expected)
    if len(rows) > SPELLED_OUT:
        tally = ", ".join(f"{sum(r.verdict == k for r in rows)} {k}" for k in COMPARISON_VERDICTS)
        ours = f"{len(rows)} comparisons ({tally}); deciding: {describe(decider)}"
    else:
        ours = "; ".join(describe(r) for r in rows)
    ours += f" ({detail})" if detail else ""
    n = max(r.test.n for r in rows) if n_seeds is None else n_seeds
    return Claim(claim, paper, ours, v, chapter, "comparison", n, _p(decider), expected, tuple(rows), RULE)


def scores(tests: Sequence[dict], field: str) -> np.ndarray:
    """(n_seeds, 9) the ``field`` of each seed's {task: Scores}, in the corpus's task order."""
    return np.array([[getattr(t[name], field) for name in TASK_NAMES] for t in tests])


def per_seed(a: np.ndarray, tasks=slice(None)) -> np.ndarray:
    """(n_seeds,) the mean over ``tasks`` of (n_seeds, 9) scores."""
    return np.asarray(a)[:, tasks].mean(1)


def learned(intact: np.ndarray, trivial: np.ndarray) -> np.ndarray:
    """(n_seeds, 9) bool: intact decision units at :data:`LEARNED` or more and above the trivial policy's."""
    intact, trivial = np.asarray(intact), np.asarray(trivial)
    return (intact >= LEARNED) & (intact > trivial)


def masked_per_seed(diff: np.ndarray, keep: np.ndarray, tasks=slice(None)) -> tuple[np.ndarray, str]:
    """Per seed, the mean of (n_seeds, 9) ``diff`` over the ``tasks`` kept by ``keep``; seeds with no
    task kept are dropped. Returns ((n_kept_seeds,), a note of what was left out, "" if nothing)."""
    d, k = np.asarray(diff, float)[:, tasks], np.asarray(keep, bool)[:, tasks]
    counts = k.sum(1)
    vals = np.array([d[i, k[i]].mean() for i in range(len(d)) if counts[i]])
    left = int(k.size - k.sum())
    note = f"{left} of {k.size} (seed, task) pairs left out, not learned" if left else ""
    if left and (counts == 0).any():
        note += f"; {int((counts == 0).sum())} seed(s) with none"
    return vals, note
