"""Chapter 05's learning-speed claim: steps to criterion, MoLaP's against the other methods'."""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

import numpy as np

from molap import pipeline as P
from molap.analysis.compare import CRITERION, steps_to_criterion, verdict
from molap.claims.verdicts import ACCURACY_MARGIN, SPEED_MARGIN, Claim, compared
from molap.metrics import Scores
from molap.pipeline import curves

SPEED_METHODS = ("random", "pca", "separate")
"""The methods whose steps to criterion MoLaP's are compared with (those with learning curves)."""


def steps_to_learn(runs: Sequence) -> np.ndarray:
    """(n_seeds, 9) steps to criterion per seed and task; a task never at criterion counts as one
    validation interval past the end of its run (censored)."""
    out = []
    for r in runs:
        steps = np.asarray(r.curve_steps, float)
        end = steps[-1] + (steps[-1] - steps[-2] if len(steps) > 1 else steps[-1])
        out.append(np.nan_to_num(steps_to_criterion(r), nan=end))
    return np.array(out)


EARLY_BUDGETS = (1000, 3000)
"""The step budgets of the early-learning endpoints: area under the decision-unit curve up to each."""


def curve_area(run, to_step: float) -> float:
    """Mean decision units over tasks, averaged over the validation curve from its first
    evaluation up to ``to_step`` (trapezoid over the evaluation steps), in points."""
    steps = np.asarray(run.curve_steps, float)
    keep = steps <= to_step
    dec = np.asarray(run.curve)[keep][..., Scores.column("decision")].mean(1)
    x = steps[keep]
    return float(np.trapezoid(dec, x) / (x[-1] - x[0])) if len(x) > 1 else float(dec[0])


class Early(NamedTuple):
    """Early-learning endpoints per method, each (n_seeds,): area under the decision-unit curve up
    to each budget of :data:`EARLY_BUDGETS` ({budget: (n_seeds,)}), the mean over tasks of log10
    steps to criterion (``log_steps``), how many (seed, task) pairs never reached criterion, and
    the seeds of the rows."""

    area: dict
    log_steps: np.ndarray
    censored: int
    n_pairs: int
    seeds: tuple = ()

    def paired(self, other: Early, field: str, budget: int | None = None) -> np.ndarray:
        """(n_shared_seeds,) self minus other on the seeds both have: ``field`` "area" (at
        ``budget``) or "log_steps"."""
        common = [s for s in self.seeds if s in other.seeds]

        def pick(e):
            v = e.area[budget] if field == "area" else e.log_steps
            return np.asarray(v)[[e.seeds.index(s) for s in common]]

        return pick(self) - pick(other)


def early_endpoints(runs: Sequence) -> Early:
    """:class:`Early` of one method's early-learning runs (one per seed)."""
    steps = steps_to_learn(runs)
    end = float(runs[0].curve_steps[-1])
    return Early({b: np.array([curve_area(r, b) for r in runs]) for b in EARLY_BUDGETS},
                 np.log10(steps).mean(1), int((steps > end).sum()), steps.size, tuple(r.seed for r in runs))


def early_claims(p) -> list[Claim]:
    ms = ("molap",) + SPEED_METHODS
    return early_verdicts({m: early_endpoints(curves.early(p, m, progress=False)) for m in ms})


def early_verdicts(e: dict) -> list[Claim]:
    """e: {method: :class:`Early`}, molap among them, paired on shared seeds. MoLaP - other for the
    areas (positive: MoLaP higher early), other - MoLaP for log steps (positive: MoLaP faster);
    every comparison of the claim corrected together."""
    tests = []
    for k in SPEED_METHODS:
        if k not in e:
            continue
        for b in EARLY_BUDGETS:
            tests.append((f"MoLaP - {k}, area to {b} steps",
                          verdict(e["molap"].paired(e[k], "area", b), ACCURACY_MARGIN)))
        tests.append((f"{k} - MoLaP, log10 steps", verdict(e[k].paired(e["molap"], "log_steps"), SPEED_MARGIN)))
    cens = ", ".join(f"{m} {v.censored}/{v.n_pairs}" for m, v in e.items())
    return [compared("Pre-trained primitives make the heads learn faster (early learning)",
                     "few parameter updates (Table 1), learning from the primitives", tests, "05_comparing_methods",
                     unit="points / log10 steps",
                     detail=f"areas: mean decision units over the validation curve up to each budget (margin "
                            f"+-{ACCURACY_MARGIN:g} points); log10 steps to {CRITERION:.0f}% above the trivial policy "
                            f"(margin +-{SPEED_MARGIN:g}); never at criterion within the stage: {cens}")]


def speed_claims(p) -> list[Claim]:
    if curves.early_recipe(p) is not None:
        return early_claims(p)
    ms = ("molap",) + SPEED_METHODS
    runs = {m: [P.trained(p, m, s) for s in P.seeds_of(p, m)] for m in ms}
    return speed_verdicts({m: steps_to_learn(r) for m, r in runs.items()}, {m: P.seeds_of(p, m) for m in ms},
                          float(runs["molap"][0].curve_steps[-1]))


def speed_verdicts(steps: dict, seeds: dict | None = None, end: float | None = None) -> list[Claim]:
    """steps: {method: (n_seeds, 9) steps to criterion}; seeds: {method: its rows' seeds} (None:
    the same seeds); end: the runs' last validation step (a task at criterion only past it is
    censored). The endpoint per seed: the mean over tasks of log10 steps; paired on shared seeds,
    other - MoLaP (positive: MoLaP faster), margin :data:`SPEED_MARGIN`."""
    rows = (lambda m: tuple(range(len(steps[m])))) if seeds is None else (lambda m: tuple(seeds[m]))
    tests = []
    for k in SPEED_METHODS:
        if k not in steps:
            continue
        common = [s for s in rows("molap") if s in rows(k)]
        a = np.log10(steps[k][[rows(k).index(s) for s in common]])
        b = np.log10(steps["molap"][[rows("molap").index(s) for s in common]])
        tests.append((f"{k} - MoLaP", verdict((a - b).mean(1), margin=SPEED_MARGIN)))
    cens = {m: int((np.asarray(v) > end).sum()) for m, v in steps.items()} if end is not None else {}
    note = ", ".join(f"{m} {c}/{np.asarray(steps[m]).size}" for m, c in cens.items())
    return [compared("Pre-trained primitives make the heads learn faster (steps to criterion)",
                     "few parameter updates (Table 1), learning from the primitives", tests,
                     "05_comparing_methods", unit="log10 steps",
                     detail=f"per seed, the mean over tasks of log10 steps to {CRITERION:.0f}% decision units above "
                            f"the trivial policy; margin +-{SPEED_MARGIN:g} (a factor of {10 ** SPEED_MARGIN:.2f})"
                            + (f"; never at criterion (counted one validation past the end): {note}" if note else ""))]
