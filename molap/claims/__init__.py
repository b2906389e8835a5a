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
- a **comparison** ("MoLaP above DNI") is a set of paired tests over seeds, the seed being the
  unit of analysis (:func:`molap.analysis.compare.verdict`: per seed one number, a paired t-test,
  an exact sign-flip test, and two one-sided tests against a margin stated on the endpoint's own
  scale: :data:`~molap.claims.verdicts.ACCURACY_MARGIN`, :data:`~molap.claims.verdicts.SPEED_MARGIN`,
  :data:`~molap.claims.verdicts.THRESHOLD_MARGINS`). A claim's comparisons are Holm-corrected
  together and combined by :data:`~molap.claims.verdicts.RULE`: the claim gets the verdict its
  statement predicts (``expected``) only if every comparison does; an equivalence or a reversal
  against any comparator refutes a "better than" claim. An inconclusive comparison reports the
  effect its n could have detected.

Endpoints are chosen off the ceiling: accuracy comparisons read the per-seed mean over T5-T9
(T1-T4 are at 100% for every frozen-module method), on the decision units (:data:`FIELD`) against
the trivial policy's; the paper's own score (:data:`PAPER_FIELD`), which a stimulus-blind policy
passes on T5-T9, is shown beside. Learning speed reads the per-seed mean of log10 steps to
criterion. Robustness reads thresholds (:mod:`molap.analysis.thresholds`): where each network's
accuracy has fallen halfway from intact to the trivial policy; a network enters a robustness
comparison on a task only where it learned it (:data:`~molap.claims.verdicts.LEARNED`), and what
was left out is shown. DNI, which trains tasks in sequence, is compared right after each task's own
training; its forgetting by the end of the sequence is reported on its own.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from molap import store
from molap.claims.accuracy import Accuracy, accuracy_claims, accuracy_data, accuracy_verdicts
from molap.claims.counts import count_claims
from molap.claims.generalisation import Generalisation, generalisation_claims, generalisation_verdicts
from molap.claims.primitives import primitives_claims, primitives_verdicts
from molap.claims.robustness import Robustness, lesion_claims, lesion_verdicts, loss, robustness_data
from molap.claims.speed import speed_claims, speed_verdicts, steps_to_learn
from molap.claims.verdicts import (
    COMPARISON_VERDICTS,
    MEASUREMENT_VERDICTS,
    RULE,
    VERDICTS,
    Claim,
    Comparison,
    as_paper_says,
    combine,
    compared,
    describe,
    measured,
)
from molap.errors import MolapError
from molap.profiles import get_profile

__all__ = ["Accuracy", "COMPARISON_VERDICTS", "Claim", "Comparison", "Generalisation", "MEASUREMENT_VERDICTS", "RULE",
           "Robustness", "SECTIONS", "VERDICTS", "accuracy_claims", "accuracy_data", "accuracy_verdicts", "as_json",
           "as_paper_says", "combine", "compared", "count_claims", "describe", "generalisation_claims",
           "generalisation_verdicts", "lesion_claims", "lesion_verdicts", "loss", "measured", "primitives_claims",
           "primitives_verdicts", "report", "report_cached", "robustness_data", "section", "speed_claims",
           "speed_verdicts", "steps_to_learn"]

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
    verdict, chapter, kind, n_seeds, p, expected, comparisons: [{comparison, n, effect, ci95, p, p_exact,
    p_holm, verdict, excluded, ...}], rule}], "rule", "missing_sections"}; ``cached``: judge only
    results already computed, and list the sections whose results are not all there."""
    p = get_profile(profile)
    rows = report_cached(p) if cached else report(p)
    out = []
    for sec, claims in rows.items():
        for c in claims or []:
            out.append({"section": sec, **c._asdict(), "comparisons": [r.as_dict() for r in c.comparisons],
                        "p": None if c.p is None or not np.isfinite(c.p) else float(c.p)})
    return {"profile": p.name, "rule": RULE, "claims": out,
            "missing_sections": [k for k, v in rows.items() if v is None]}
