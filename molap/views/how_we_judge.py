"""How we judge (the book's page "How we judge"): the rules every verdict of :mod:`molap.claims`
follows, with the margins and bars as the package states them."""

from __future__ import annotations

from molap.analysis.compare import ALPHA, CRITERION, POWER
from molap.claims.robustness import COARSE
from molap.claims.verdicts import ACCURACY_MARGIN, LEARNED, PAPER_BAR, RULE, SPEED_MARGIN, THRESHOLD_MARGINS
from molap.views.tables import show_table


def margin_rows() -> list[dict]:
    """One row per endpoint: what is measured per seed and the equivalence margin."""
    return [
        {"endpoint": "accuracy", "per seed": "mean decision units over T5-T9 (%)",
         "margin": f"±{ACCURACY_MARGIN:g} points"},
        {"endpoint": "learning speed", "per seed": f"mean over tasks of log10 steps to {CRITERION:g}% above the "
         "trivial policy", "margin": f"±{SPEED_MARGIN:g} (a factor of {10 ** SPEED_MARGIN:.2f})"},
        {"endpoint": "robustness (lesions)", "per seed": "mean threshold over learned tasks (% weights)",
         "margin": f"±{THRESHOLD_MARGINS['percent']:g} percentage points"},
        {"endpoint": "robustness (silencing)", "per seed": "mean threshold over learned tasks (% units)",
         "margin": f"±{THRESHOLD_MARGINS['percent units']:g} percentage points"},
        {"endpoint": "robustness (noise)", "per seed": "mean threshold over learned tasks (σ)",
         "margin": f"±{THRESHOLD_MARGINS['sigma']:g}"},
    ]


def show_margins() -> None:
    show_table(margin_rows(), ["endpoint", "per seed", "margin"])


def numbers() -> dict:
    """The bars the page's prose quotes (glued)."""
    return {"alpha": ALPHA, "power": round(100 * POWER), "learned": LEARNED, "bar": PAPER_BAR,
            "coarse": round(100 * COARSE), "rule": RULE}
