"""The modular RNN (spec section 3): h_t = tanh(x_t W_in + h_{t-1} W_rec + b), y_t = h_t W_out + b_out.

N units split into contiguous modules (2 x 50 by default); every unit belongs to a module, and the
off-diagonal (inter-module) blocks of W_rec are random and frozen. No leak, no recurrent noise,
h0 = 0. Parameters are a named tuple (:class:`RNNParams`); what is trainable is data, a tuple of
the same shape holding 0/1 masks (:func:`trainable`), never a code path. :class:`molap.trained_network.ModularRNN`
wraps both as a Flax ``nnx.Module``, the object a user calls; the training loops work on the named tuples.

Storage is row-vector convention: W_in (n_in, N), W_rec (N, N) with W_rec[i, j] the weight from
unit i to unit j, W_out (N, n_out).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from molap.errors import MolapError


@dataclass(frozen=True)
class Layout:
    """N units in ``n_modules`` equal contiguous modules."""

    n_units: int = 100
    n_modules: int = 2

    def __post_init__(self):
        for name in ("n_units", "n_modules"):
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or v <= 0:
                raise MolapError(f"{name} must be a positive integer, got {v!r}")
        if self.n_units % self.n_modules:
            raise MolapError(
                f"{self.n_modules} modules do not divide {self.n_units} units; expected a unit count "
                f"that is a multiple of the module count"
            )

    @property
    def module_size(self) -> int:
        return self.n_units // self.n_modules

    def units(self, k: int) -> slice:
        """The units of module k (0-based)."""
        if not 0 <= k < self.n_modules:
            raise MolapError(f"module index {k!r} does not exist; expected 0..{self.n_modules - 1}")
        return slice(k * self.module_size, (k + 1) * self.module_size)

    def block(self, k: int, l: int | None = None) -> np.ndarray:
        """(N, N) 0/1 mask of the W_rec block from module k to module l (default l = k)."""
        m = np.zeros((self.n_units, self.n_units), np.float32)
        m[self.units(k), self.units(k if l is None else l)] = 1
        return m

    def intra(self) -> np.ndarray:
        """(N, N) mask of all intra-module blocks."""
        return sum(self.block(k) for k in range(self.n_modules))

    def inter(self) -> np.ndarray:
        """(N, N) mask of all inter-module blocks."""
        return 1 - self.intra()


class RNNParams(NamedTuple):
    """w_in (n_in, N), w_rec (N, N), b (N,), w_out (N, n_out), b_out (n_out,), h0 (N,).

    Leading batch axes (heads, seeds) are allowed on every field.
    """

    w_in: jax.Array
    w_rec: jax.Array
    b: jax.Array
    w_out: jax.Array
    b_out: jax.Array
    h0: jax.Array


def init(key: jax.Array, n_in: int, n_out: int, layout: Layout = Layout(), g: float = 1.5) -> RNNParams:
    """Random parameters: W_rec, b ~ N(0, g^2/N); W_in ~ N(0, 1/n_in); W_out ~ N(0, 1/N); h0 = 0."""
    n = layout.n_units
    k_in, k_rec, k_b, k_out = jax.random.split(key, 4)
    return RNNParams(
        w_in=jax.random.normal(k_in, (n_in, n)) / np.sqrt(n_in),
        w_rec=jax.random.normal(k_rec, (n, n)) * g / np.sqrt(n),
        b=jax.random.normal(k_b, (n,)) * g / np.sqrt(n),
        w_out=jax.random.normal(k_out, (n, n_out)) / np.sqrt(n),
        b_out=jnp.zeros((n_out,)),
        h0=jnp.zeros((n,)),
    )


def trainable(params: RNNParams, **masks) -> RNNParams:
    """A mask tuple shaped like ``params``: 0 everywhere except the named fields.

    Each keyword is a field name with True (all entries), False, or an array mask.
    """
    out = {}
    for name, p in params._asdict().items():
        m = masks.pop(name, False)
        out[name] = jnp.broadcast_to(jnp.asarray(m, jnp.float32), p.shape)
    if masks:
        raise MolapError(f"unknown parameter names {sorted(masks)}; expected {RNNParams._fields}")
    return RNNParams(**out)


def scan_unroll() -> int:
    """Time steps per loop iteration of :func:`run`: ``$MOLAP_SCAN_UNROLL`` (default 1). Larger
    values cut loop overhead on a GPU and compile longer; results are the same."""
    v = os.environ.get("MOLAP_SCAN_UNROLL", "1")
    if not v.isdigit() or int(v) < 1:
        raise MolapError(f"MOLAP_SCAN_UNROLL must be a positive integer, got {v!r}")
    return int(v)


def run(params: RNNParams, inputs: jax.Array, *, unroll: int | None = None, silence: jax.Array | None = None):
    """Run the network over time.

    inputs: (B, T, n_in). silence: optional (N,) 0/1 mask of units clamped to zero. ``unroll``
    defaults to :func:`scan_unroll`. Returns (outputs (B, T, n_out), states (B, T, N)).
    """
    unroll = scan_unroll() if unroll is None else unroll
    if inputs.ndim != 3 or inputs.shape[-1] != params.w_in.shape[0]:
        raise MolapError(
            f"inputs must have shape (trials, steps, {params.w_in.shape[0]}), got {tuple(inputs.shape)}"
        )
    if not isinstance(inputs, jax.core.Tracer) and not bool(jnp.isfinite(inputs).all()):
        raise MolapError("inputs contain NaN or inf; expected finite values")
    drive = inputs @ params.w_in + params.b  # (B, T, N): the input projection, hoisted out of the loop
    keep = 1.0 if silence is None else 1.0 - silence

    def step(h, d):
        h = jnp.tanh(d + h @ params.w_rec) * keep
        return h, h

    h0 = jnp.broadcast_to(params.h0 * keep, drive.shape[:1] + drive.shape[-1:])
    _, hs = jax.lax.scan(step, h0, jnp.swapaxes(drive, 0, 1), unroll=unroll)
    hs = jnp.swapaxes(hs, 0, 1)
    return hs @ params.w_out + params.b_out, hs


def outputs(params: RNNParams, inputs: jax.Array, *, silence: jax.Array | None = None) -> jax.Array:
    """The outputs of :func:`run` without its states, for evaluation: inputs (B, T, n_in) ->
    (B, T, n_out). The input projection and the readout are done step by step in the loop, and no
    (B, T, N) array is ever stored (a forward pass that keeps its states writes one such array
    and reads it back for the readout: on a CPU that memory traffic costs as much as the
    recurrence). The same values as ``run(...)[0]`` up to float rounding."""
    if inputs.ndim != 3 or inputs.shape[-1] != params.w_in.shape[0]:
        raise MolapError(
            f"inputs must have shape (trials, steps, {params.w_in.shape[0]}), got {tuple(inputs.shape)}"
        )
    keep = 1.0 if silence is None else 1.0 - silence

    def step(h, x):
        h = jnp.tanh(x @ params.w_in + params.b + h @ params.w_rec) * keep
        return h, h @ params.w_out + params.b_out

    h0 = jnp.broadcast_to(params.h0 * keep, inputs.shape[:1] + params.h0.shape[-1:])
    _, ys = jax.lax.scan(step, h0, jnp.swapaxes(inputs, 0, 1))
    return jnp.swapaxes(ys, 0, 1)


class TaskNetworks(NamedTuple):
    """Every task's network stacked on axis 0 (inputs and outputs padded to the widest task).

    shared: True when all tasks use one recurrent network (frozen modules, DNI): one draw then
    perturbs it for every task alike (False: one network per task, each drawn separately). layout: units split for the m1/m2/inter lesions.
    """

    params: RNNParams
    shared: bool
    layout: Layout
