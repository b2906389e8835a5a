"""The paper's Table 1 beside ours, and its claims: parameters stored, trained and updated.

Three tables:
- :data:`PAPER_TABLE1`: the numbers as printed in the paper (quoted, for comparison only);
- :func:`stated_sizes`: the same rows by the paper's own stated sizes (N = 100, one input, one
  readout, weights only), by formula;
- :func:`real_counts`: our networks, counted from the actual parameter pytrees of each registered
  method and their trainable masks (:mod:`molap.methods.counts`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

from molap import methods
from molap.claims.verdicts import Claim, measured
from molap.methods.counts import ParameterCounts
from molap.profiles import get_profile
from molap.tasks import Task, get_tasks

PAPER_TABLE1 = {  # as printed in the paper's Table 1 (quoted)
    "separate": {"total": 9.18e5, "trained": 9.18e5, "per_task": 1.02e5},
    "dni": {"total": 1.02e5, "trained": 9.18e5, "per_task": 1.02e5},
    "molap": {"total": 1.2e5, "trained": 5.2e3, "per_task": 2e2},
}


def stated_sizes(n_units: int = 100, n_tasks: int = 9, n_modules: int = 2, dni_units: int = 100) -> dict:
    """Table 1 by the paper's stated sizes: weights only, one input and one readout unit."""
    net = n_units * n_units + 2 * n_units  # W_rec + W_in + W_out
    dni = dni_units * dni_units + 2 * dni_units
    m = n_units // n_modules
    pre = n_modules * (m * m + 2 * m)  # blocks + an input and a readout per module (the paper's 5.2e3)
    heads = n_tasks * 2 * n_units
    return {
        "separate": {"total": n_tasks * net, "trained": n_tasks * net, "per_task": net, "updates": n_tasks * net},
        "dni": {"total": dni, "trained": dni, "per_task": dni, "updates": n_tasks * dni},
        "molap": {"total": n_units * n_units + heads, "trained": pre + heads, "per_task": 2 * n_units,
                  "updates": pre + heads, "pretrained": pre},
    }


def real_counts(tasks: Sequence[str | Task] | None = None, profile=None) -> dict[str, ParameterCounts]:
    """Every registered method's counts for the profile's networks (default: the paper's sizes)."""
    p = get_profile("paper" if profile is None else profile)
    ts = get_tasks(tasks)
    return {m: methods.get(m).counts(ts, p) for m in methods.names()}


def table_rows(counts: dict, methods: Sequence[str] = ("separate", "dni", "molap")) -> list[dict]:
    """Rows (method, total, trained, per_task, updates) for a Markdown table."""
    rows = []
    for m in methods:
        c = counts[m]._asdict() if hasattr(counts[m], "_asdict") else counts[m]
        rows.append({"method": m, **{k: c.get(k, float("nan")) for k in ("total", "trained", "per_task", "updates")}})
    return rows


class Ratios(NamedTuple):
    """The ratios Table 1's claims rest on, each computed here only. Updates of DNI over MoLaP:
    printed in the paper, by stated sizes (with and without the task heads), ours; separate over
    MoLaP, ours (None unless our counts were given); x10: the paper's totals over the stated-size
    totals per method; molap_over_dni: total parameters at stated sizes."""

    paper: float
    stated: float
    stated_without_heads: float
    ours_dni: float | None
    ours_separate: float | None
    x10: dict
    molap_over_dni: float


def ratios(real: dict[str, ParameterCounts] | None = None) -> Ratios:
    """:class:`Ratios` from the printed table, the stated sizes and ``real`` (:func:`real_counts`)."""
    t1, stated = PAPER_TABLE1, stated_sizes()
    return Ratios(t1["dni"]["trained"] / t1["molap"]["trained"], stated["dni"]["updates"] / stated["molap"]["updates"],
                  stated["dni"]["updates"] / stated["molap"]["pretrained"],
                  None if real is None else real["dni"].updates / real["molap"].updates,
                  None if real is None else real["separate"].updates / real["molap"].updates,
                  {m: t1[m]["total"] / stated[m]["total"] for m in ("separate", "dni", "molap")},
                  stated["molap"]["total"] / stated["dni"]["total"])


def count_claims(p) -> list[Claim]:
    s, r = stated_sizes(), ratios()
    table1 = Claim("Table 1 parameter counts (N = 100)", "separate 9.18e5, DNI 1.02e5, MoLaP 1.2e5",
                   f"{s['separate']['total']:,} / {s['dni']['total']:,} / {s['molap']['total']:,} "
                   f"(printed = {r.x10['separate']:.0f}x these)",
                   "inconsistent" if abs(r.x10["separate"] - 1) > 0.01 else "reproduced", "06_parameter_counts")
    return [
        table1,
        measured("MoLaP total vs DNI", "+18%", f"{100 * (r.molap_over_dni - 1):+.1f}%",
                 abs(r.molap_over_dni - 1.18) < 0.03, "06_parameter_counts"),
        measured("About two orders of magnitude fewer updates than DNI",
                 f"~100x (printed numbers: {r.paper:.0f}x)", f"{r.stated:.1f}x", r.stated >= 50,
                 "06_parameter_counts"),
    ]
