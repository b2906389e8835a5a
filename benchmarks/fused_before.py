"""The fused pass as it was before the rewrite of molap/training/fused.py (commit c0e5b49), kept only
for benchmarks/bench_fused.py's side-by-side comparison.

The training forward pass of K task networks with a hand-written backward pass (:func:`task_outputs`).

Every training step of task heads, separate networks and DNI runs K networks (one per task) over
110 steps and differentiates a loss of their outputs. Automatic differentiation of
:func:`molap.network.run` materialises the drive, the states and their cotangents as
(B, T, N) arrays several times over; on a CPU each such pass over memory costs about as much as
the recurrent matrix products. Here the forward scan computes the input projection, the
recurrence and the readout in one loop body and keeps only the states h_t; the reverse scan
computes every gradient inside its body (accumulated in the carry), so no (B, T, N) cotangent
is ever stored:

    da_t   = (dh_t + dy_t W_out^T) * (1 - h_t^2)
    dh_t-1 = da_t W_rec^T,   dW_in += x_t^T da_t,   dW_out += h_t^T dy_t,   dW_rec += h_t-1^T da_t

A shared (frozen) reservoir (``w_rec`` (N, N)) is one matrix product over all K x B trials per
step and has no W_rec gradient work; per-network weights (``w_rec`` (K, N, N)) get theirs. The
gradients equal automatic differentiation of :func:`molap.network.run` up to float rounding
(tests/test_fused.py).
"""

from __future__ import annotations

import jax
import jax.numpy as jnp

from molap.network import RNNParams


def _forward(p: RNNParams, xt: jax.Array):
    """p: K networks' parameters (w_rec (N, N) shared or (K, N, N)); xt (T, K, B, n_in).
    Returns (outputs (T, K, B, n_out), states (T, K, B, N))."""
    shared = p.w_rec.ndim == 2
    h0 = jnp.broadcast_to(p.h0[:, None, :], xt.shape[1:3] + p.h0.shape[-1:])
    b = p.b if shared else p.b[:, None, :]

    def step(h, x):
        rec = h @ p.w_rec if shared else jnp.einsum("kbn,knm->kbm", h, p.w_rec)
        h = jnp.tanh(jnp.einsum("kbi,kin->kbn", x, p.w_in) + b + rec)
        return h, (jnp.einsum("kbn,kno->kbo", h, p.w_out) + p.b_out[:, None, :], h)

    _, (out, hs) = jax.lax.scan(step, h0, xt)
    return out, hs


@jax.custom_vjp
def _outputs(p: RNNParams, xt: jax.Array) -> jax.Array:
    return _forward(p, xt)[0]


def _outputs_fwd(p, xt):
    out, hs = _forward(p, xt)
    return out, (p, xt, hs)


def _outputs_bwd(res, dy):
    p, xt, hs = res
    shared = p.w_rec.ndim == 2
    n_steps = xt.shape[0]
    h0 = jnp.broadcast_to(p.h0[:, None, :], hs.shape[1:])
    w_rec_t = p.w_rec.T if shared else jnp.swapaxes(p.w_rec, 1, 2)
    w_out_t = jnp.swapaxes(p.w_out, 1, 2)

    def step(carry, t):
        dh, g = carry
        h, x, d = hs[t], xt[t], dy[t]
        h_prev = jnp.where(t > 0, hs[jnp.maximum(t - 1, 0)], h0)
        da = (dh + jnp.einsum("kbo,kon->kbn", d, w_out_t)) * (1 - h * h)
        g = g._replace(
            w_in=g.w_in + jnp.einsum("kbi,kbn->kin", x, da),
            w_out=g.w_out + jnp.einsum("kbn,kbo->kno", h, d),
            b_out=g.b_out + jnp.sum(d, 1),
            b=g.b + (jnp.sum(da, (0, 1)) if shared else jnp.sum(da, 1)),
            w_rec=g.w_rec + (jnp.einsum("kbn,kbm->nm", h_prev, da) if shared
                             else jnp.einsum("kbn,kbm->knm", h_prev, da)),
        )
        dh = da @ w_rec_t if shared else jnp.einsum("kbm,kmn->kbn", da, w_rec_t)
        return (dh, g), None

    zeros = jax.tree.map(jnp.zeros_like, p)
    (dh, g), _ = jax.lax.scan(step, (jnp.zeros_like(hs[0]), zeros), jnp.arange(n_steps), reverse=True)
    g = g._replace(h0=jnp.sum(dh, 1))
    return g, jnp.zeros_like(xt)


_outputs.defvjp(_outputs_fwd, _outputs_bwd)


def task_outputs(params: RNNParams, x: jax.Array) -> jax.Array:
    """K networks, network k on its own trials: x (K, B, T, n_in) -> outputs (K, B, T, n_out).

    params: w_in (K, n_in, N), w_out (K, N, n_out), b_out (K, n_out), h0 (K, N), and either a
    shared reservoir (w_rec (N, N), b (N,)) or one per network (w_rec (K, N, N), b (K, N)).
    Differentiable in params (not in x), with the hand-written backward pass of the module
    docstring; the same outputs as :func:`molap.network.run` network by network.
    """
    out = _outputs(params, jnp.transpose(x, (2, 0, 1, 3)))
    return jnp.transpose(out, (1, 2, 0, 3))
