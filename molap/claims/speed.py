"""Chapter 05's learning-speed claim: steps to criterion, MoLaP's against the other methods'."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from molap import pipeline as P
from molap.analysis.compare import CRITERION, steps_to_criterion, verdict
from molap.claims.verdicts import SPEED_MARGIN, Claim, compared

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


def speed_claims(p) -> list[Claim]:
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
