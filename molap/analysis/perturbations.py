"""The perturbation kinds: one row each in :data:`PERTURBATIONS` (name, unit, the paper's levels, an
explicit random-stream index, the function that applies one draw). A new kind is one row; its
stream index must be new, and no kind's draws depend on the table's order.

Each kind is a pure function of (recurrent weights, key, level, layout) that returns the perturbed
weights and a silencing mask (or None):
- ``m1``, ``m2``: zero floor(p/100 * 2500) entries drawn without replacement from module 1's
  (2's) intra-module block of W_rec;
- ``inter``: zero floor(p/100 * n) of the n inter-module entries (the bias is left alone);
- ``global``: zero floor(p/100 * N^2) entries of all of W_rec;
- ``noise``: add N(0, sigma^2) to every entry of W_rec;
- ``silence``: clamp floor(p/100 * N) units to zero (the recurrence and the readout see 0).
For methods without modules, "module 1/2" are the first and last halves of the units.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import jax
import jax.numpy as jnp
import numpy as np

from molap.errors import MolapError
from molap.names import PERTURB_KINDS
from molap.network import Layout

LESION_LEVELS = tuple(float(p) for p in range(0, 55, 5))  #: percent
NOISE_LEVELS = tuple(round(0.005 * i, 3) for i in range(7))  #: sigma
UNITS = {"percent": "% weights lesioned", "percent units": "% units silenced", "sigma": "σ (noise std)"}
"""Each unit a level is in, as an axis label."""


def lesion(w_rec: jax.Array, key: jax.Array, percent, mask: jax.Array) -> jax.Array:
    """Zero floor(percent/100 * mask.sum()) entries of w_rec drawn without replacement where mask is 1."""
    n = jnp.sum(mask)
    k = jnp.floor(percent / 100.0 * n + 1e-4)
    u = jnp.where(mask > 0, jax.random.uniform(key, w_rec.shape), 2.0).ravel()
    rank = jnp.argsort(jnp.argsort(u)).reshape(w_rec.shape)
    return jnp.where(rank < k, 0.0, w_rec)


def add_noise(w_rec: jax.Array, key: jax.Array, sigma) -> jax.Array:
    """W_rec + N(0, sigma^2) on every entry."""
    return w_rec + sigma * jax.random.normal(key, w_rec.shape)


def silence_mask(n_units: int, key: jax.Array, percent) -> jax.Array:
    """(N,) 0/1 mask of floor(percent/100 * N) units drawn without replacement."""
    k = jnp.floor(percent / 100.0 * n_units + 1e-4)
    rank = jnp.argsort(jnp.argsort(jax.random.uniform(key, (n_units,))))
    return (rank < k).astype(jnp.float32)


@dataclass(frozen=True)
class Perturbation:
    """One perturbation kind. unit: what a level measures (a key of :data:`UNITS`); levels: the
    paper's grid; stream: the index folded into the seed's PERTURB stream for its sweeps (unique,
    never reused); apply(w_rec (N, N), key, level, layout) -> (w_rec (N, N), silence (N,) or None);
    region(layout) -> (N, N) 0/1 mask of the entries a weight lesion draws from (None otherwise)."""

    name: str
    unit: str
    levels: tuple[float, ...]
    stream: int
    apply: Callable
    region: Callable[[Layout], np.ndarray] | None = None
    summary: str = ""


def _weights(region: Callable[[Layout], np.ndarray]) -> Callable:
    return lambda w, key, level, layout: (lesion(w, key, level, jnp.asarray(region(layout))), None)


def _last_module(layout: Layout) -> np.ndarray:
    return layout.block(layout.n_modules - 1)


def _everything(layout: Layout) -> np.ndarray:
    return np.ones((layout.n_units, layout.n_units), np.float32)


PERTURBATIONS: dict[str, Perturbation] = {k.name: k for k in (
    Perturbation("m1", "percent", LESION_LEVELS, 0, _weights(lambda lay: lay.block(0)), lambda lay: lay.block(0),
                 "weights of module 1's block zeroed"),
    Perturbation("m2", "percent", LESION_LEVELS, 1, _weights(_last_module), _last_module,
                 "weights of module 2's block zeroed"),
    Perturbation("inter", "percent", LESION_LEVELS, 2, _weights(Layout.inter), Layout.inter,
                 "inter-module weights zeroed"),
    Perturbation("global", "percent", LESION_LEVELS, 3, _weights(_everything), _everything,
                 "weights of all of W_rec zeroed"),
    Perturbation("noise", "sigma", NOISE_LEVELS, 4, lambda w, key, level, layout: (add_noise(w, key, level), None),
                 summary="Gaussian noise added to every recurrent weight"),
    Perturbation("silence", "percent units", LESION_LEVELS, 5,
                 lambda w, key, level, layout: (w, silence_mask(w.shape[-1], key, level)),
                 summary="units clamped to zero"),
)}
KINDS = tuple(PERTURBATIONS)
assert KINDS == PERTURB_KINDS, "molap.names.PERTURB_KINDS must list the perturbation kinds"
assert len({k.stream for k in PERTURBATIONS.values()}) == len(KINDS), "stream indices must be unique"


def perturbation(kind: str) -> Perturbation:
    """The row of a kind; an unknown name is an error that lists the kinds."""
    if kind not in PERTURBATIONS:
        raise MolapError(f"unknown perturbation kind {kind!r}; expected one of {KINDS}")
    return PERTURBATIONS[kind]


def check_kind(kind: str) -> str:
    return perturbation(kind).name


def levels_for(kind: str) -> tuple[float, ...]:
    """The paper-protocol levels of a perturbation kind (percent, or sigma for noise)."""
    return perturbation(kind).levels


def check_levels(kind: str, levels: Sequence[float]) -> np.ndarray:
    """Levels as an array; percentages must lie in [0, 100], sigma must be >= 0."""
    lv = np.asarray(levels, np.float32)
    if lv.ndim != 1 or lv.size == 0:
        raise MolapError(f"levels must be a non-empty list of numbers, got {levels!r}")
    if perturbation(kind).unit == "sigma":
        if (lv < 0).any() or not np.isfinite(lv).all():
            raise MolapError(f"noise sigma must be >= 0, got {lv.tolist()}")
    elif not np.isfinite(lv).all() or (lv < 0).any() or (lv > 100).any():
        raise MolapError(f"lesion and silencing levels are percentages in [0, 100], got {lv.tolist()}")
    return lv


def region(kind: str, layout: Layout) -> np.ndarray:
    """(N, N) 0/1 mask of the W_rec entries a weight lesion draws from."""
    r = perturbation(kind).region
    if r is None:
        raise MolapError(f"{kind!r} is not a weight lesion")
    return r(layout)


def perturb(kind: str, w_rec: jax.Array, key: jax.Array, level, layout: Layout):
    """(perturbed w_rec, silence mask or None) for one draw."""
    return perturbation(kind).apply(w_rec, key, level, layout)
