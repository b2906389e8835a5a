"""How a claim gets its verdict: the :class:`Claim` record, measurements and paired comparisons,
and the bars every section reads.

The two kinds of claim (measurements and comparisons) and what each verdict means are set
out in :mod:`molap.claims`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

import numpy as np

from molap.analysis.compare import Verdict
from molap.tasks import TASK_NAMES

FIELD = "decision"  #: the score every accuracy verdict reads: the decision units alone
PAPER_FIELD = "paper"  #: the paper's score, shown beside
PAPER_BAR = 70.0  #: the paper's bar: more than 70% of decisions correct
NOISE_TOLERANCE = 5.0  #: points an accuracy may lose under noise and still count as robust
FIXATION_HIGH = 90.0  #: a fixation unit "stays high" above this score (%)
SPEED_MARGIN = 0.05
"""Equivalence margin of the learning-speed comparison, as a fraction of the run's steps."""
T5, T7, T9 = 4, 6, 8  #: the indices of T5, T7 and T9 in the corpus
MEASUREMENT_VERDICTS = ("reproduced", "not reproduced", "inconsistent")
COMPARISON_VERDICTS = ("better", "equivalent", "worse", "inconclusive")
VERDICTS = MEASUREMENT_VERDICTS + COMPARISON_VERDICTS
_STRENGTH = {"worse": 0, "inconclusive": 1, "equivalent": 2, "better": 3}
AFTER_OWN = " (after own task)"
"""Suffix of the label of a method that trains tasks in sequence, scored right after each task's
own training (the plain label is its score at the end of the sequence)."""


class Claim(NamedTuple):
    """One claim of the paper: what it says (``paper``), what we measured (``ours``), a verdict
    (one of :data:`VERDICTS`) and the chapter that shows it. kind: "measurement" or
    "comparison"; n_seeds: the seeds the verdict rests on (None: no trained network involved);
    p: the paired test's p (None for measurements); expected: the comparison verdict the paper's
    statement predicts (None for measurements)."""

    claim: str
    paper: str
    ours: str
    verdict: str
    chapter: str
    kind: str = "measurement"
    n_seeds: int | None = None
    p: float | None = None
    expected: str | None = None


def as_paper_says(c: Claim) -> bool:
    """Whether a claim came out as the paper states it: a comparison with the expected verdict, a
    measurement reproduced."""
    return c.verdict == (c.expected if c.kind == "comparison" else "reproduced")


def measured(claim, paper, ours, ok, chapter, n_seeds=None) -> Claim:
    """A measurement: reproduced if ``ok``."""
    return Claim(claim, paper, ours, "reproduced" if ok else "not reproduced", chapter, "measurement", n_seeds)


def weakest(tests: Sequence[tuple[str, Verdict]]) -> tuple[str, Verdict]:
    """The (label, Verdict) with the weakest verdict (worse < inconclusive < equivalent < better);
    among equals, the largest p."""
    return min(tests, key=lambda lv: (_STRENGTH[lv[1].verdict], -np.nan_to_num(lv[1].p, nan=1.0)))


def describe(label: str, v: Verdict, unit: str = "points") -> str:
    """One comparison in words: effect, 95% interval, p and verdict."""
    if v.n < 2:
        return f"{label} {v.effect:+.1f} {unit} (n = {v.n}: no test): {v.verdict}"
    return (f"{label} {v.effect:+.1f} {unit} [95% CI {v.ci[0]:+.1f}, {v.ci[1]:+.1f}], p = {v.p:.2g}: "
            f"{v.verdict}")


def compared(claim, paper, tests: Sequence[tuple[str, Verdict]], chapter, n_seeds, expected="better",
             unit="points", detail="") -> Claim:
    """A comparison claim from one or more paired tests (label, Verdict); the weakest decides."""
    _, w = weakest(tests)
    ours = "; ".join(describe(lab, v, unit) for lab, v in tests) + (f" ({detail})" if detail else "")
    return Claim(claim, paper, ours, w.verdict, chapter, "comparison", n_seeds, float(w.p), expected)


def scores(tests: Sequence[dict], field: str) -> np.ndarray:
    """(n_seeds, 9) the ``field`` of each seed's {task: Scores}, in the corpus's task order."""
    return np.array([[getattr(t[name], field) for name in TASK_NAMES] for t in tests])


def per_seed(a: np.ndarray, tasks=slice(None)) -> np.ndarray:
    """(n_seeds,) the mean over ``tasks`` of (n_seeds, 9) scores."""
    return np.asarray(a)[:, tasks].mean(1)
