"""The paper's quantitative claims (reference spec section 11), each measured from a profile's
results and given a verdict. Every number comes from the cached experiments; nothing here is
typed in except the paper's own statements (quoted).

One module per section of the book (:mod:`~molap.claims.primitives`, :mod:`~molap.claims.counts`,
:mod:`~molap.claims.accuracy`, :mod:`~molap.claims.speed`, :mod:`~molap.claims.robustness`,
:mod:`~molap.claims.generalisation`), each a function of a profile that returns its claims; the
verdict machinery is :mod:`~molap.claims.verdicts`; this module holds the report over sections.

Two kinds of claim:

- a **measurement** (a number against the paper's bar: "more than 70% on every task") gets
  ``reproduced``, ``not reproduced`` or ``inconsistent`` (the paper contradicts itself);
- a **comparison** ("MoLaP above DNI") is a paired test over seeds (:func:`molap.analysis.compare.verdict`:
  a paired t-test at alpha 0.05 and two one-sided tests against a margin of +-2 points) of the
  per-seed difference the claim names, a - b, and gets ``better`` (a above b), ``equivalent``,
  ``worse`` or ``inconclusive``; the verdict the paper's statement predicts is ``expected``. A
  claim that names several comparisons ("above DNI and separate networks") takes the weakest of
  their verdicts (worse < inconclusive < equivalent < better) and that comparison's p.

Accuracy is judged on the decision units (:data:`FIELD`) against the trivial policy's decision
units; the paper's own score (:data:`PAPER_FIELD`), which a stimulus-blind policy passes on
T5-T9, is shown beside. Robustness is judged on each network's loss against its own intact
accuracy (the level-0 point of its sweep), so a network that learned less is not counted less
robust. DNI is judged right after each task's own training and at the end of the sequence.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from molap import store
from molap.claims.accuracy import Accuracy, accuracy_claims, accuracy_data, accuracy_verdicts
from molap.claims.counts import count_claims
from molap.claims.generalisation import Generalisation, generalisation_claims, generalisation_verdicts
from molap.claims.primitives import primitives_claims, primitives_verdicts
from molap.claims.robustness import lesion_claims, lesion_verdicts, loss
from molap.claims.speed import speed_claims, speed_verdicts, steps_to_learn
from molap.claims.verdicts import (
    COMPARISON_VERDICTS,
    MEASUREMENT_VERDICTS,
    VERDICTS,
    Claim,
    as_paper_says,
    compared,
    describe,
    measured,
    weakest,
)
from molap.errors import MolapError
from molap.profiles import get_profile

__all__ = ["Accuracy", "COMPARISON_VERDICTS", "Claim", "Generalisation", "MEASUREMENT_VERDICTS", "SECTIONS", "VERDICTS",
           "accuracy_claims", "accuracy_data", "accuracy_verdicts", "as_json", "as_paper_says", "compared",
           "count_claims", "describe", "generalisation_claims", "generalisation_verdicts", "lesion_claims",
           "lesion_verdicts", "loss", "measured", "primitives_claims", "primitives_verdicts", "report",
           "report_cached", "section", "speed_claims", "speed_verdicts", "steps_to_learn", "weakest"]

SECTIONS: dict[str, Callable] = {
    "Latent primitives (A.2.1)": primitives_claims,
    "Parameter counts (Table 1, section 4)": count_claims,
    "Accuracy (Fig 2)": accuracy_claims,
    "Learning speed": speed_claims,
    "Robustness (Figs 3, 4, S5)": lesion_claims,
    "Generalisation (Fig 5)": generalisation_claims,
}


def report(profile=None) -> dict[str, list[Claim]]:
    """Every claim of spec section 11 with our measurement and a verdict, by section."""
    p = get_profile(profile)
    return {name: fn(p) for name, fn in SECTIONS.items()}


def section(profile, name: str) -> list[Claim]:
    """The claims of one section (a key of :data:`SECTIONS`, or a unique prefix such as "Robustness")."""
    hits = [s for s in SECTIONS if s.startswith(name)]
    if len(hits) != 1:
        raise MolapError(f"unknown claims section {name!r}; expected one of {tuple(SECTIONS)}")
    return SECTIONS[hits[0]](get_profile(profile))


def report_cached(profile=None) -> dict[str, list[Claim] | None]:
    """:func:`report` from results already computed (cached or committed) only; a section whose
    results are not all there is None (nothing is computed)."""
    p = get_profile(profile)
    out = {}
    for name, fn in SECTIONS.items():
        try:
            with store.read_only():
                out[name] = fn(p)
        except store.MissingResult:
            out[name] = None
    return out


def as_json(profile=None, cached: bool = False) -> dict:
    """The report as JSON-ready data: {"profile", "claims": [{section, claim, paper, ours,
    verdict, chapter, kind, n_seeds, p, expected}], "missing_sections"}; ``cached``: judge only
    results already computed, and list the sections whose results are not all there."""
    p = get_profile(profile)
    rows = report_cached(p) if cached else report(p)
    out = []
    for sec, claims in rows.items():
        for c in claims or []:
            out.append({"section": sec, **c._asdict(),
                        "p": None if c.p is None or not np.isfinite(c.p) else float(c.p)})
    return {"profile": p.name, "claims": out, "missing_sections": [k for k, v in rows.items() if v is None]}
