"""Parameter counts (chapter "Parameter counts", the paper's Table 1): the printed table, the
table by the paper's stated sizes, our networks' counts, and the ratios the claims rest on."""

from __future__ import annotations

from molap.claims import counts
from molap.claims.counts import Ratios
from molap.views.tables import show_table

COLUMNS = ["method", "total", "trained", "per_task"]



def show_paper_table() -> None:
    rows = [dict(method=m, **v) for m, v in counts.PAPER_TABLE1.items()]
    show_table(rows, COLUMNS, ["the paper's Table 1", "total", "trained", "per task"], digits=0)


def show_stated_table() -> None:
    show_table(counts.table_rows(counts.stated_sizes()), COLUMNS + ["updates"],
               ["by the paper's stated sizes (N = 100)", "total", "trained", "per task", "updates"], digits=0)


def show_real_table() -> None:
    show_table(counts.table_rows(counts.real_counts(), ("separate", "dni", "molap", "random")), COLUMNS + ["updates"],
               ["our networks (real widths, biases)", "total", "trained", "per task", "updates"], digits=0)


def ratios() -> Ratios:
    """The ratios with our networks' counts (:func:`molap.claims.counts.ratios`)."""
    return counts.ratios(counts.real_counts())


def ratio_lines(r: Ratios) -> str:
    return "\n".join([
        f"paper's total / stated-size total: {r.x10}",
        f"updates, DNI / MoLaP: the paper's numbers {r.paper:.0f}x; stated sizes {r.stated:.1f}x "
        f"(without the task heads {r.stated_without_heads:.1f}x); our networks {r.ours_dni:.1f}x (DNI at N = 200)",
        f"updates, separate / MoLaP, our networks: {r.ours_separate:.1f}x",
        f"total parameters, MoLaP / DNI at stated sizes: {r.molap_over_dni:.3f}"])


def check(r: Ratios) -> None:
    """The chapter's checks: the exponent slip, and the ratios' ranges."""
    import numpy as np

    assert np.allclose([r.x10["separate"], r.x10["dni"]], 10.0, rtol=1e-6)  # the exponent slip
    assert abs(r.x10["molap"] - 10.0) < 0.2
    assert 12 < r.stated < 14 and 17 < r.stated_without_heads < 18
    assert 170 < r.paper < 180
    assert 20 < r.ours_dni < 60 and 5 < r.ours_separate < 15
