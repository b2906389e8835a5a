"""Latent primitives: CCA (MoLaP) and PCA (control) of the aligned task corpus (spec section 2).

The corpus matrix has one row per (trial, time step) and the tasks side by side as columns: X holds
every task's input channels (25 for the nine tasks) and Y every task's target channels (22). The
map is fitted once on a large aligned draw with scikit-learn, frozen, sign-fixed, and each
component is scaled to [0, 1] with the fit set's minimum and maximum. Component k of the input
side (u_k) and of the target side (v_k) is what module k learns to map.

Kinds (:data:`KINDS`):
- ``cca``: canonical correlation analysis (the paper). ``r2`` is scikit-learn's ``CCA.score``,
  the paper's "variance captured".
- ``pca``: separate PCAs of the standardised inputs and targets (what the paper describes).
- ``pca_joint``: one PCA of [X | Y], the same score as input and target (what the authors'
  code does, through a slicing bug; spec section 2.6).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from molap import store
from molap.errors import MolapError
from molap.names import MAX_FIT_TRIALS
from molap.streams import check_seed
from molap.tasks import TASK_NAMES, get_tasks, sample_corpus, stack_inputs

KINDS = ("cca", "pca", "pca_joint")

"""Primitive kinds (the word ``method`` is kept for training methods, :mod:`molap.methods`)."""


@dataclass(frozen=True)
class PrimitivesConfig:
    """What to fit: the kind (:data:`KINDS`), number of components, corpus size and seed, task subset (None: all)."""

    kind: str = "cca"
    n_components: int = 2
    n_trials: int = 2000
    seed: int = 0
    tasks: tuple[str, ...] | None = None


class Primitives(NamedTuple):
    """A frozen linear map from the corpus to r components on each side.

    x_mean, x_scale: (n_x,); x_weights: (n_x, r); likewise for y. u_lo, u_hi, v_lo, v_hi: (r,)
    scaling of each component to [0, 1]. r2: CCA score (CCA) or nan; corr: (r,) correlation of
    u_k and v_k on the fit set; explained_x, explained_y: (r,) explained-variance ratios (PCA) or
    nan.
    """

    x_mean: np.ndarray
    x_scale: np.ndarray
    x_weights: np.ndarray
    y_mean: np.ndarray
    y_scale: np.ndarray
    y_weights: np.ndarray
    u_lo: np.ndarray
    u_hi: np.ndarray
    v_lo: np.ndarray
    v_hi: np.ndarray
    r2: float
    corr: np.ndarray
    explained_x: np.ndarray
    explained_y: np.ndarray


def corpus_matrices(tasks: Sequence[str] | None, key: jax.Array, n_trials: int) -> tuple[np.ndarray, np.ndarray]:
    """An aligned corpus draw as row matrices X (n_trials * 110, n_x), Y (n_trials * 110, n_y).

    Y is rounded to 1e-6: the targets are exactly collinear (pro + anti is constant), and the
    float32 rounding residue of that identity (about 1e-8) is amplified by CCA's pseudo-inverse
    into scores of -1e8. Rounding restores the exact identity; X carries real noise (0.01).
    """
    names = [t.name for t in get_tasks(tasks)]
    if set(names) <= set(TASK_NAMES):  # a task's batch does not depend on the others drawn with it: draw the
        full = sample_corpus(None, key, n_trials)  # whole corpus (one compiled draw for every subset, e.g.
        x, y = stack_inputs({n: full[n] for n in names})  # the 36 folds' corpora) and keep the tasks asked for
    else:
        x, y = stack_inputs(sample_corpus(tasks, key, n_trials))
    x = np.asarray(x.reshape(-1, x.shape[-1]), np.float64)
    y = np.round(np.asarray(y.reshape(-1, y.shape[-1]), np.float64), 6)
    return x, y


def _check(config: PrimitivesConfig, n_x: int, n_y: int) -> None:
    if config.kind not in KINDS:
        raise MolapError(f"unknown primitive kind {config.kind!r}; expected one of {KINDS}")
    n = config.n_trials
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or not 2 <= n <= MAX_FIT_TRIALS:
        raise MolapError(f"n_trials (trials per task in the corpus) must be an integer in [2, {MAX_FIT_TRIALS}], "
                         f"got {n!r}")
    r = config.n_components
    limit = min(n_x, n_y)
    if isinstance(r, bool) or not isinstance(r, (int, np.integer)) or not 1 <= r <= limit:
        raise MolapError(
            f"component count must be an integer in [1, {limit}] (the smaller of {n_x} input and "
            f"{n_y} target columns), got {r!r}"
        )


def _standardise(a: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    mean, scale = a.mean(0), a.std(0, ddof=1)
    return mean, np.where(scale > 0, scale, 1.0)


def _sign_fix(wx: np.ndarray, wy: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Make each component's largest-magnitude input weight positive (both sides flip together)."""
    idx = np.abs(wx).argmax(0)
    s = np.sign(wx[idx, np.arange(wx.shape[1])])
    s[s == 0] = 1.0
    return wx * s, wy * s


def fit(config: PrimitivesConfig = PrimitivesConfig(), *, progress: bool = True) -> Primitives:
    """Fit the primitives on an aligned corpus draw from ``config.seed`` (a progress bar over the
    two phases: drawing the corpus, fitting)."""
    from sklearn.cross_decomposition import CCA
    from sklearn.decomposition import PCA
    from tqdm.auto import tqdm

    tasks = get_tasks(config.tasks)
    _check(config, sum(t.n_in for t in tasks), sum(t.n_out for t in tasks))  # before the corpus is drawn
    bar = tqdm(total=2, desc=f"{config.kind} primitives: drawing {config.n_trials} trials per task",
               disable=not progress, leave=False)
    x, y = corpus_matrices(tasks, jax.random.key(check_seed(config.seed)), config.n_trials)
    bar.update()
    bar.set_description(f"{config.kind} primitives: fitting {config.n_components} components on {len(x)} rows")
    r = int(config.n_components)
    xm, xs = _standardise(x)
    ym, ys = _standardise(y)
    xz, yz = (x - xm) / xs, (y - ym) / ys
    nan = np.full(r, np.nan)
    r2, ex, ey = float("nan"), nan, nan
    if config.kind == "cca":
        cca = CCA(n_components=r, scale=False, max_iter=500, tol=1e-6)
        cca.fit(xz, yz)
        wx, wy = cca.x_rotations_, cca.y_rotations_
        r2 = float(cca.score(xz, yz))
    elif config.kind == "pca":
        px, py = PCA(r).fit(xz), PCA(r).fit(yz)
        wx, wy = px.components_.T, py.components_.T
        ex, ey = px.explained_variance_ratio_, py.explained_variance_ratio_
        # pair the signs: u_k and v_k positively correlated
        s = np.sign(np.sum((xz @ wx) * (yz @ wy), 0))
        wy = wy * np.where(s == 0, 1.0, s)
    else:  # pca_joint: one PCA on [X | Y]; module k echoes the joint score k
        p = PCA(r).fit(np.concatenate([xz, yz], 1))
        w = p.components_.T  # (n_x + n_y, r): scores use both sides
        ex = ey = p.explained_variance_ratio_
        wx = w  # applied to [x | y] by transform()
        wy = w
    wx, wy = _sign_fix(wx, wy)
    u, v = _project(xz, yz, wx, wy, config.kind == "pca_joint")
    corr = np.array([np.corrcoef(u[:, k], v[:, k])[0, 1] for k in range(r)])
    bar.update()
    bar.close()
    f32 = lambda a: np.asarray(a, np.float32)  # noqa: E731
    return Primitives(
        f32(xm), f32(xs), f32(wx), f32(ym), f32(ys), f32(wy),
        f32(u.min(0)), f32(u.max(0)), f32(v.min(0)), f32(v.max(0)),
        r2, corr, np.asarray(ex), np.asarray(ey),
    )


def _project(xz, yz, wx, wy, joint: bool):
    if joint:
        s = np.concatenate([xz, yz], 1) @ wx
        return s, s
    return xz @ wx, yz @ wy


def transform(prim: Primitives, x: jax.Array, y: jax.Array) -> tuple[jax.Array, jax.Array]:
    """Corpus inputs x (..., n_x) and targets y (..., n_y) -> components u, v (..., r) in [0, 1]."""
    if x.shape[-1] != prim.x_mean.shape[0] or y.shape[-1] != prim.y_mean.shape[0]:
        raise MolapError(
            f"corpus has {x.shape[-1]} input and {y.shape[-1]} target columns; these primitives "
            f"were fitted on {prim.x_mean.shape[0]} and {prim.y_mean.shape[0]}"
        )

    def project(a, mean, scale, w):  # ((a - mean) / scale) @ w, the standardisation folded into w: no
        w = w / scale[:, None]       # standardised copy of the corpus, and under vmap over maps of one
        return a @ w - mean @ w      # corpus draw, one matrix product for all maps

    if prim.x_weights.shape[0] != prim.x_mean.shape[0]:  # joint PCA
        u = v = project(jnp.concatenate([x, y], -1), jnp.concatenate([prim.x_mean, prim.y_mean]),
                        jnp.concatenate([prim.x_scale, prim.y_scale]), prim.x_weights)
    else:
        u, v = project(x, prim.x_mean, prim.x_scale, prim.x_weights), project(y, prim.y_mean, prim.y_scale, prim.y_weights)
    return (u - prim.u_lo) / (prim.u_hi - prim.u_lo), (v - prim.v_lo) / (prim.v_hi - prim.v_lo)


def sample_components(prim: Primitives, tasks: Sequence[str] | None, key: jax.Array, n_trials: int):
    """A fresh aligned corpus draw through the frozen map: u, v (n_trials, 110, r) in [0, 1]."""
    x, y = stack_inputs(sample_corpus(tasks, key, n_trials))
    return transform(prim, x, y)


def r2_curve(max_components: int, n_trials: int, seed: int = 0, tasks=None) -> list[dict]:
    """CCA score and canonical correlations for 1..max_components components."""
    rows = []
    for r in range(1, max_components + 1):
        p = fit(PrimitivesConfig("cca", r, n_trials, seed, tasks))
        rows.append(dict(components=r, r2=p.r2, corr=[float(c) for c in p.corr]))
    return rows


def channel_names(tasks: Sequence[str] | None = None) -> tuple[list[str], list[str]]:
    """Labels of the corpus columns: ('T1 fix', 'T1 cos', ...) for inputs and for targets."""
    from molap.tasks import PAPER_LABELS

    ts = get_tasks(tasks)
    lab = lambda t: PAPER_LABELS.get(t.name, t.name)  # noqa: E731
    return ([f"{lab(t)} {c}" for t in ts for c in t.input_names],
            [f"{lab(t)} {c}" for t in ts for c in t.output_names])


def fit_cached(config: PrimitivesConfig) -> Primitives:
    """:func:`fit`, cached on disk by its configuration (:mod:`molap.store`)."""
    return store.cached("primitives", config, lambda: fit(config))
