"""Chapter 08's generalisation claims (Fig 5): tasks held out of the corpus."""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from molap import pipeline as P
from molap.analysis.compare import verdict
from molap.claims.verdicts import FIELD, PAPER_BAR, T7, Claim, compared, measured, per_seed, scores


class Generalisation(NamedTuple):
    """(n_seeds, 9) decision units: each task held out of the corpus (leave-one-out ``held``,
    leave-two-out ``held2`` with its trivial policy ``held2_trivial``), and in the full corpus
    with PCA and with CCA (MoLaP) primitives, on the same seeds."""

    held: np.ndarray
    held2: np.ndarray
    held2_trivial: np.ndarray
    pca_full: np.ndarray
    molap_full: np.ndarray


def generalisation_claims(p) -> list[Claim]:
    folds = {mode: [P.generalisation(p, mode, "cca", s) for s in p.seeds] for mode in ("loo", "l2o")}
    full = {m: [P.trained(p, m, s).test for s in p.seeds] for m in ("pca", "molap")}
    return generalisation_verdicts(Generalisation(
        scores([f.test for f in folds["loo"]], FIELD), scores([f.test for f in folds["l2o"]], FIELD),
        scores([f.test for f in folds["l2o"]], "trivial_decision"), scores(full["pca"], FIELD),
        scores(full["molap"], FIELD)))


def generalisation_verdicts(g: Generalisation) -> list[Claim]:
    n = len(g.held)
    m2, t2 = g.held2.mean(0), g.held2_trivial.mean(0)
    high = int(((m2 > PAPER_BAR) & (m2 > t2)).sum())
    return [
        compared("Leave-one-out: held-out task above full-corpus PCA pre-training", "above",
                 [("held out - PCA", verdict(per_seed(g.held) - per_seed(g.pca_full)))], "08_generalisation", n,
                 detail=f"mean over tasks per seed; per task, above on {int((g.held.mean(0) > g.pca_full.mean(0)).sum())}/9"),
        compared("T7 is noticeably worse when held out", "worse",
                 [("in the corpus - held out", verdict(g.molap_full[:, T7] - g.held[:, T7]))], "08_generalisation", n),
        measured("Leave-two-out stays high (> 70%) on most tasks", "majority",
                 f"{high}/9 tasks above {PAPER_BAR:.0f}% and the trivial policy (mean over {n} seeds)", high >= 5,
                 "08_generalisation", n),
    ]
