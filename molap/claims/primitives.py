"""Chapter 02's claims: how much of the corpus two and three CCA components capture."""

from __future__ import annotations

import numpy as np

from molap import pipeline as P
from molap.claims.verdicts import Claim, measured


def primitives_claims(p) -> list[Claim]:
    r2 = {row["components"]: row for row in P.r2_table(p)}
    return primitives_verdicts(r2[2]["r2"], r2[3]["r2"], r2[3]["corr"][:3])


def primitives_verdicts(a: float, b: float, corr) -> list[Claim]:
    """a, b: the CCA score with 2 and 3 components; corr: the first 3 canonical correlations."""
    return [
        measured("CCA variance captured, 2 / 3 components", "about 60% / 70%", f"R² {a:.3f} / {b:.3f}",
                 abs(a - 0.60) <= 0.05 and abs(b - 0.70) <= 0.05, "02_latent_primitives"),
        measured("Canonical correlations of the first 3 components", "0.999 / 0.997 / 0.998 (spec)",
                 " / ".join(f"{c:.4f}" for c in corr), bool(np.all(np.asarray(corr) > 0.99)),
                 "02_latent_primitives"),
    ]
