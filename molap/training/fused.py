"""K networks' forward pass over time with a hand-written backward pass (:func:`task_outputs`).

Every training step (task heads, separate networks, DNI, module pre-training) runs K networks
over 110 steps and differentiates a loss of their outputs. Automatic differentiation of
:func:`molap.network.run` materialises the drive, the states and their cotangents as (B, T, N)
arrays several times over; on a CPU each such pass over memory costs about as much as the
recurrent matrix products. Here the forward scan does the input projection, the recurrence and
the readout in one loop body and keeps only the states h_t; the reverse scan computes the input
and readout gradients in its body (accumulated in the carry):

    da_t   = (dh_t + dy_t W_out^T + 2 c h_t) * (1 - h_t^2)
    dh_t-1 = da_t W_rec^T,   dW_in += x_t^T da_t,   dW_out += h_t^T dy_t

and, where W_rec learns, dW_rec = sum_t h_t-1^T da_t as one matrix product over every (step,
trial) row after the reverse scan, which then emits da_t (the learning block's columns only; for
a frozen reservoir no (T, K, B, N) cotangent is stored at all), or, for per-network weights
learnt whole on many trials (:data:`LOOP_TRIALS`), accumulated in the reverse scan's body

(c: the cotangent of the optional activity sum, see ``energy``). **Freezing is data given to the
pass, not a mask applied afterwards**: ``recurrent`` names which recurrent weights get a gradient
(none, all, or one diagonal block: a module being pre-trained) and ``bias`` whether b does; the
others get zeros and cost nothing (the reverse scan's body holds one product with W_rec and no
(N, N) accumulation for a frozen reservoir). Without differentiation, or for evaluation, the
forward keeps no states (:func:`outputs`).

Measured on the 2-core CPU (``benchmarks/bench_fused.py``): storing the states is the one cost
beyond the two recurrent chains (a fresh (T, K, B, N) array is written once per step), and
small-width projections and the input and readout weights' gradients (n_in or n_out up to
:data:`SMALL`) are cheaper as fused element-wise sums than as many tiny batched matrix products
(the standard frozen family's step: 1.34x faster with the input gradient so, and another 1.08x
with the readout's; separate networks 1.09x), so they are computed that way; the readout itself
is not (its element-wise form was 3-5% slower), and accumulating the readout's gradient after the
loop, or computing the readout there from the stored states, was slower. The gradients equal
automatic differentiation of :func:`molap.network.run` up to float rounding
(``tests/test_fused.py``).
"""

from __future__ import annotations

from functools import partial
from typing import NamedTuple

import jax
import jax.numpy as jnp

from molap.errors import MolapError
from molap.network import RNNParams

SMALL = 4
"""Input or output widths up to this are projected by element-wise sums (one fused loop with the
nonlinearity) rather than by a batched matrix product."""

LOOP_TRIALS = 64
"""Per-network recurrent weights learnt whole (separate networks) on at least this many trials
per network accumulate their gradient in the reverse scan, one (trials x N) product per step;
on fewer, one product over all (step, trial) rows after the scan is faster (2-core CPU, paired:
in the loop 1.34x faster at 200 trials, 1.22x at 64; 0.94x at 32, about 0.86x at 16)."""


class Grads(NamedTuple):
    """Which reservoir weights a pass differentiates (hashable, static): ``recurrent`` is None
    (frozen), ``"all"``, or (start, stop), the diagonal block W_rec[start:stop, start:stop]; ``bias``
    whether b gets a gradient. W_in, W_out, b_out and h0 always do."""

    recurrent: None | str | tuple[int, int] = None
    bias: bool = False


FROZEN = Grads()
TRAINED = Grads("all", True)


def _project_in(x: jax.Array, w_in: jax.Array) -> jax.Array:
    """x (K, B, n_in), w_in (K, n_in, N) -> (K, B, N)."""
    n_in = x.shape[-1]
    if n_in > SMALL:
        return jnp.einsum("kbi,kin->kbn", x, w_in)
    acc = x[..., 0, None] * w_in[:, None, 0]
    for i in range(1, n_in):
        acc = acc + x[..., i, None] * w_in[:, None, i]
    return acc


def _back_out(d: jax.Array, w_out: jax.Array) -> jax.Array:
    """The readout's cotangent to the states: d (K, B, n_out), w_out (K, N, n_out) -> (K, B, N)."""
    n_out = d.shape[-1]
    if n_out > SMALL:
        return jnp.einsum("kbo,kno->kbn", d, w_out)
    acc = d[..., 0, None] * w_out[:, None, :, 0]
    for o in range(1, n_out):
        acc = acc + d[..., o, None] * w_out[:, None, :, o]
    return acc


def _outer(a: jax.Array, b: jax.Array) -> jax.Array:
    """One step's weight gradient a^T b summed over trials: a (K, B, P), b (K, B, Q) -> (K, P, Q)
    (the input weights': x^T da; the readout's: h^T dy); an element-wise sum when P or Q is narrow."""
    if min(a.shape[-1], b.shape[-1]) > SMALL:
        return jnp.einsum("kbp,kbq->kpq", a, b)
    return jnp.sum(a[..., None] * b[:, :, None, :], 1)


def _recur(h: jax.Array, w_rec: jax.Array, transpose: bool = False) -> jax.Array:
    """h (K, B, N) times a shared w_rec (N, N) (one product over all K x B rows) or per-network
    w_rec (K, N, N); with ``transpose``, times its transpose."""
    if w_rec.ndim == 2:
        return h @ (w_rec.T if transpose else w_rec)
    return jnp.einsum("kbm,knm->kbn" if transpose else "kbn,knm->kbm", h, w_rec)


def _scan(p: RNNParams, xt: jax.Array, *, store: bool, energy: bool):
    """xt (T, K, B, n_in) -> (outputs (T, K, B, n_out), states (T, K, B, N) if ``store`` else None,
    activity sum (K,) of h^2 over steps, trials and units if ``energy`` else None)."""
    shared = p.w_rec.ndim == 2
    h0 = jnp.broadcast_to(p.h0[:, None, :], xt.shape[1:3] + p.h0.shape[-1:])
    b = p.b if shared else p.b[:, None, :]

    def step(carry, x):
        h, e = carry
        h = jnp.tanh(_project_in(x, p.w_in) + b + _recur(h, p.w_rec))
        y = jnp.einsum("kbn,kno->kbo", h, p.w_out) + p.b_out[:, None, :]
        if energy:
            e = e + jnp.sum(h * h, (1, 2))
        return (h, e), ((y, h) if store else y)

    e0 = jnp.zeros(xt.shape[1:2], xt.dtype)
    (_, e), ys = jax.lax.scan(step, (h0, e0), xt)
    out, hs = ys if store else (ys, None)
    return out, hs, (e if energy else None)


@partial(jax.custom_vjp, nondiff_argnums=(2, 3))
def _fused(p: RNNParams, xt: jax.Array, grads: Grads, energy: bool):
    out, _, e = _scan(p, xt, store=False, energy=energy)
    return (out, e) if energy else out


def _fused_fwd(p, xt, grads, energy):
    out, hs, e = _scan(p, xt, store=True, energy=energy)
    return ((out, e) if energy else out), (p, xt, hs)


def _fused_bwd(grads: Grads, energy: bool, res, cts):
    p, xt, hs = res
    dy, de = cts if energy else (cts, None)
    shared = p.w_rec.ndim == 2
    h0 = jnp.broadcast_to(p.h0[:, None, :], hs.shape[1:])
    rec = grads.recurrent
    lo, hi = (0, p.w_rec.shape[-1]) if rec == "all" else (rec or (0, 0))
    # per-network weights learnt whole, on many trials: accumulate their gradient step by step
    in_loop = rec == "all" and not shared and hs.shape[2] >= LOOP_TRIALS

    def step(carry, t):
        dh, g = carry
        h, x, d = hs[t], xt[t], dy[t]
        if energy:
            dh = dh + 2 * de[:, None, None] * h
        da = (dh + _back_out(d, p.w_out)) * (1 - h * h)
        g = dict(g, w_in=g["w_in"] + _outer(x, da), w_out=g["w_out"] + _outer(h, d), b_out=g["b_out"] + jnp.sum(d, 1))
        if grads.bias:
            g["b"] = g["b"] + (jnp.sum(da, (0, 1)) if shared else jnp.sum(da, 1))
        if in_loop:
            h_prev = jnp.where(t > 0, jax.lax.dynamic_index_in_dim(hs, jnp.maximum(t - 1, 0), keepdims=False), h0)
            g["w_rec"] = g["w_rec"] + jnp.einsum("kbn,kbm->knm", h_prev, da)
        return (_recur(da, p.w_rec, transpose=True), g), (None if rec is None or in_loop else da[..., lo:hi])

    n = p.w_rec.shape[-1]
    g0 = {"w_in": jnp.zeros_like(p.w_in), "w_out": jnp.zeros_like(p.w_out), "b_out": jnp.zeros_like(p.b_out)}
    if grads.bias:
        g0["b"] = jnp.zeros_like(p.b)
    if in_loop:
        g0["w_rec"] = jnp.zeros_like(p.w_rec)
    (dh, g), das = jax.lax.scan(step, (jnp.zeros_like(hs[0]), g0), jnp.arange(xt.shape[0]), reverse=True)
    w_rec = g["w_rec"] if in_loop else jnp.zeros_like(p.w_rec)
    if rec is not None and not in_loop:  # one product over all (step, trial) rows
        h_prev = jnp.concatenate([h0[None], hs[:-1]], 0)[..., lo:hi]
        block = jnp.einsum("tkbn,tkbm->nm" if shared else "tkbn,tkbm->knm", h_prev, das)
        w_rec = block if (lo, hi) == (0, n) else w_rec.at[..., lo:hi, lo:hi].set(block)
    return (RNNParams(g["w_in"], w_rec, g.get("b", jnp.zeros_like(p.b)), g["w_out"], g["b_out"], jnp.sum(dh, 1)),
            jnp.zeros_like(xt))


_fused.defvjp(_fused_fwd, _fused_bwd)


def _check_grads(grads: Grads, n: int) -> Grads:
    if not isinstance(grads, Grads):
        raise MolapError(f"grads must be a molap.training.fused.Grads, got {grads!r}")
    r = grads.recurrent
    ok = r is None or r == "all" or (isinstance(r, tuple) and len(r) == 2 and 0 <= r[0] < r[1] <= n)
    if not ok:
        raise MolapError(f"Grads.recurrent must be None, 'all' or a block (start, stop) within 0..{n}, got {r!r}")
    return grads


def task_outputs(params: RNNParams, x: jax.Array, *, grads: Grads | None = None, energy: bool = False):
    """K networks, network k on its own trials: x (K, B, T, n_in) -> outputs (K, B, T, n_out).

    params: w_in (K, n_in, N), w_out (K, N, n_out), b_out (K, n_out), h0 (K, N), and either a
    shared reservoir (w_rec (N, N), b (N,)) or one per network (w_rec (K, N, N), b (K, N)).
    Differentiable in params (not in x), with the hand-written backward pass of the module
    docstring; ``grads`` says which reservoir weights get a gradient (default: none for a shared
    reservoir, :data:`FROZEN`; all for per-network weights, :data:`TRAINED`); the others' gradients
    are zero. ``energy``: also return the activity sum (K,) of h^2 over trials, steps and units
    (differentiable: a regulariser on the states). The same outputs as :func:`molap.network.run`
    network by network.
    """
    n = params.w_rec.shape[-1]
    grads = _check_grads((FROZEN if params.w_rec.ndim == 2 else TRAINED) if grads is None else grads, n)
    r = _fused(params, jnp.transpose(x, (2, 0, 1, 3)), grads, energy)
    out, e = r if energy else (r, None)
    out = jnp.transpose(out, (1, 2, 0, 3))
    return (out, e) if energy else out


def outputs(params: RNNParams, x: jax.Array) -> jax.Array:
    """:func:`task_outputs` for evaluation: the forward pass alone, keeping no states (not for
    differentiation). x (K, B, T, n_in) -> (K, B, T, n_out)."""
    out, _, _ = _scan(params, jnp.transpose(x, (2, 0, 1, 3)), store=False, energy=False)
    return jnp.transpose(out, (1, 2, 0, 3))
