"""Latent primitives (chapter "Latent primitives", paper 3.3 and A.2.1): the CCA score table,
the components over a trial, the weights of each component, CCA beside the two PCA readings,
and the chapter's checks on what its text states."""

from __future__ import annotations

from typing import NamedTuple

import jax
import numpy as np

from molap import pipeline as P
from molap.primitives import Primitives, channel_names, sample_components
from molap.views import plots
from molap.views.checks import require
from molap.views.tables import show_table

PAPER_R2 = {1: "", 2: "≈ 60%", 3: "≈ 70%", 4: ""}
"""The paper's statement of the variance captured, by number of components."""
SAMPLE_KEY, SAMPLE_TRIALS = 11, 8
"""The fresh corpus draw the component figures (and their checks) use."""
TRIALS = (0, 1, 2, 3)
"""The trials each component figure draws."""


class Components(NamedTuple):
    """A fresh aligned draw through a frozen map: u (input side), v (target side), (B, 110, r)."""

    u: np.ndarray
    v: np.ndarray


def intro(profile) -> str:
    """The chapter's first line: the profile and the size of the CCA fit."""
    n = profile.primitives.n_trials
    return f"profile {profile.name!r}: CCA on {n} aligned trials per task ({n * 110} rows)"


def _corr_text(corr, digits: int) -> str:
    return ", ".join(f"{c:.{digits}f}" for c in corr)


def r2_rows(r2: list[dict]) -> list[dict]:
    """One row per number of components: CCA score in %, the paper's statement, correlations."""
    return [dict(k=r["components"], r2=100 * r["r2"], paper=PAPER_R2.get(r["components"], ""),
                 corr=_corr_text(r["corr"], 4)) for r in r2]


def show_r2_table(profile) -> None:
    """The CCA score and canonical correlations for 1 to 4 components."""
    show_table(r2_rows(P.r2_table(profile)),
               headers=["components", "R² (CCA.score), %", "paper", "canonical correlations"])


def components(prim: Primitives) -> Components:
    """The components of the chapter's fixed fresh draw (:data:`SAMPLE_KEY`, :data:`SAMPLE_TRIALS`)."""
    u, v = sample_components(prim, None, jax.random.key(SAMPLE_KEY), SAMPLE_TRIALS)
    return Components(np.asarray(u), np.asarray(v))


def plot_components(prim: Primitives, title: str):
    """The components of a few trials of the fixed draw (solid: input side, dashed: target side)."""
    c = components(prim)
    return plots.plot_components(c.u, c.v, trials=TRIALS, title=title)


def plot_weights(prim: Primitives, title: str = "CCA weights (standardised columns)"):
    """Each component's weights on the input and target columns of the corpus."""
    xn, yn = channel_names()
    return plots.plot_weights(prim.x_weights, prim.y_weights, xn, yn, title=title)


def _percent(a) -> list:
    return np.round(100 * a, 1).tolist()


def comparison_rows(r2_two: float, cca: Primitives, pca: Primitives, joint: Primitives) -> list[dict]:
    """CCA, the paper's separate PCA and the code's joint PCA: variance and corr(u_k, v_k)."""
    return [
        dict(m="CCA", a=f"R² 2 comps: {100 * r2_two:.1f}%", b=_corr_text(cca.corr, 3)),
        dict(m="PCA (paper: separate)",
             a=f"explained var. inputs {_percent(pca.explained_x)}, targets {_percent(pca.explained_y)}",
             b=_corr_text(pca.corr, 3)),
        dict(m="PCA (code: joint)", a=f"explained var. {_percent(joint.explained_x)}", b=_corr_text(joint.corr, 3)),
    ]


def _r2_by_components(profile) -> dict[int, float]:
    return {r["components"]: r["r2"] for r in P.r2_table(profile)}


def show_comparison(profile) -> None:
    """The table of CCA beside the two PCA readings (paper A.2.2, spec 2.6)."""
    rows = comparison_rows(_r2_by_components(profile)[2], P.primitives(profile, "cca"),
                           P.primitives(profile, "pca"), P.primitives(profile, "pca_joint"))
    show_table(rows, headers=["primitives", "variance", "corr(u_k, v_k)"])


def check_r2(r2: list[dict]) -> None:
    """The verdict's numbers: about 56% / 67%, three correlations above 0.99, a fourth near 0."""
    by_k = {r["components"]: r["r2"] for r in r2}
    require(0.54 <= by_k[2] <= 0.59, f"R² with 2 components outside [0.54, 0.59]: {by_k}")
    require(0.66 <= by_k[3] <= 0.69, f"R² with 3 components outside [0.66, 0.69]: {by_k}")
    require(all(c > 0.99 for c in r2[2]["corr"]), f"a canonical correlation of 3 components <= 0.99: {r2[2]}")
    require(r2[3]["corr"][3] < 0.1, f"the fourth component carries something: {r2[3]}")


def check_components(c: Components) -> None:
    """Component 1 is the fixation step; component 2 is flat before the go cue, trial-dependent after."""
    u, v = c.u, c.v
    require(u[:, 15:80, 0].mean() > 0.8 and u[:, 90:, 0].mean() < 0.2 and v[:, :10, 0].max() < 0.2,
             "component 1 is not the fixation step")
    require(v[:, 20:80, 1].std(0).max() < 0.02 and v[:, 90:, 1].std(0).mean() > 0.1,
             "component 2 is not flat before the go cue and trial-dependent after it")


def check_pca(pca: Primitives, joint: Primitives) -> None:
    """PC1s are a matched pair, PC2s are not; the code's joint PCA has input == target."""
    require(pca.corr[0] > 0.9, f"PC1 of inputs and targets are not both the fixation step: {pca.corr}")
    require(pca.corr[1] < 0.6, f"the PC2s are a matched pair: {pca.corr}")
    require(np.allclose(joint.corr, 1.0), f"joint PCA: input != target: {joint.corr}")


def check(profile) -> None:
    """Every check on what the chapter's text states (raises AssertionError with a message)."""
    check_r2(P.r2_table(profile))
    check_components(components(P.primitives(profile, "cca")))
    check_pca(P.primitives(profile, "pca"), P.primitives(profile, "pca_joint"))
