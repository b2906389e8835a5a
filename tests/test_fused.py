"""The fused training forward (molap.training.fused): the same outputs and gradients as automatic
differentiation of network.run, network by network, for a shared reservoir and for per-network
weights, alone and vmapped over networks as the trainer runs it."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from molap import network
from molap.network import RNNParams
from molap.training import task_outputs

K, B, T, N_IN, N, N_OUT = 3, 5, 12, 2, 8, 3


def _params(key, shared: bool) -> RNNParams:
    ks = jax.random.split(key, 6)
    w_rec = jax.random.normal(ks[1], (N, N) if shared else (K, N, N)) * 1.5 / np.sqrt(N)
    b = jax.random.normal(ks[2], (N,) if shared else (K, N)) * 0.3
    return RNNParams(jax.random.normal(ks[0], (K, N_IN, N)), w_rec, b, jax.random.normal(ks[3], (K, N, N_OUT)),
                     jax.random.normal(ks[4], (K, N_OUT)), jax.random.normal(ks[5], (K, N)) * 0.5)


def _plain(p: RNNParams, x):
    """network.run per network (automatic differentiation through lax.scan)."""
    shared = p.w_rec.ndim == 2
    return jax.vmap(lambda w_in, w_rec, b, w_out, b_out, h0, xi: network.run(
        RNNParams(w_in, w_rec, b, w_out, b_out, h0), xi)[0],
        (0, None if shared else 0, None if shared else 0, 0, 0, 0, 0))(*p, x)


def _loss(forward, p, x, y):
    return jnp.sum(jnp.sin(forward(p, x)) * y)  # a loss whose output cotangent differs everywhere


@pytest.mark.parametrize("shared", [True, False], ids=["shared reservoir", "per-network weights"])
def test_outputs_and_gradients_match_autodiff(shared):
    p = _params(jax.random.key(0), shared)
    x = jax.random.normal(jax.random.key(1), (K, B, T, N_IN))
    y = jax.random.normal(jax.random.key(2), (K, B, T, N_OUT))
    np.testing.assert_allclose(task_outputs(p, x), _plain(p, x), rtol=1e-5, atol=1e-5)
    g_fast = jax.grad(lambda q: _loss(task_outputs, q, x, y))(p)
    g_ref = jax.grad(lambda q: _loss(_plain, q, x, y))(p)
    for name, a, b in zip(RNNParams._fields, g_fast, g_ref):
        assert a.shape == b.shape, name
        assert float(jnp.max(jnp.abs(b))) > 0, name  # every gradient is exercised
        np.testing.assert_allclose(a, b, rtol=2e-4, atol=2e-5 * float(jnp.max(jnp.abs(b))), err_msg=name)


def test_gradients_match_under_vmap_over_networks():
    """The trainer vmaps the loss over the networks of a family (one reservoir each)."""
    ps = jax.vmap(lambda k: _params(k, True))(jax.random.split(jax.random.key(3), 2))
    x = jax.random.normal(jax.random.key(4), (2, K, B, T, N_IN))
    y = jax.random.normal(jax.random.key(5), (2, K, B, T, N_OUT))
    grad = lambda f: jax.jit(jax.vmap(jax.grad(lambda q, xi, yi: _loss(f, q, xi, yi))))(ps, x, y)  # noqa: E731
    for name, a, b in zip(RNNParams._fields, grad(task_outputs), grad(_plain)):
        np.testing.assert_allclose(a, b, rtol=2e-4, atol=2e-5 * float(jnp.max(jnp.abs(b))), err_msg=name)

