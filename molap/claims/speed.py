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
    runs = {m: [P.trained(p, m, s) for s in p.seeds] for m in ("molap",) + SPEED_METHODS}
    return speed_verdicts({m: steps_to_learn(r) for m, r in runs.items()}, p.training.schedule.n_steps)


def speed_verdicts(steps: dict, n_steps: int) -> list[Claim]:
    """steps: {method: (n_seeds, 9) steps to criterion}; n_steps: the run's length (the margin is
    :data:`SPEED_MARGIN` of it). Paired over seeds and tasks: other - MoLaP (positive: MoLaP faster)."""
    margin = SPEED_MARGIN * n_steps
    tests = [(f"{k} - MoLaP", verdict((steps[k] - steps["molap"]).ravel(), margin=margin))
             for k in SPEED_METHODS if k in steps]
    n = len(steps["molap"])
    return [compared("Pre-trained primitives make the heads learn faster (steps to criterion)",
                     "few parameter updates (Table 1), learning from the primitives", tests,
                     "05_comparing_methods", n, unit="steps",
                     detail=f"paired over {n} seeds x 9 tasks; criterion {CRITERION:.0f}% decision units above "
                            f"the trivial policy; margin +-{margin:.0f} steps")]
