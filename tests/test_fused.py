"""The fused training forward (molap.training.fused): the same outputs and gradients as automatic
differentiation of network.run, network by network, for a shared reservoir and for per-network
weights, alone and vmapped over networks as the trainer runs it; frozen weights get zero
gradients by construction, a pre-trained block exactly its own, and the activity sum its own."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from molap import network
from molap.errors import MolapError
from molap.network import RNNParams
from molap.training import task_outputs
from molap.training.fused import FROZEN, TRAINED, Grads, outputs

K, B, T, N_IN, N, N_OUT = 3, 5, 12, 2, 8, 3


def _params(key, shared: bool, n_in: int = N_IN, n_out: int = N_OUT) -> RNNParams:
    ks = jax.random.split(key, 6)
    w_rec = jax.random.normal(ks[1], (N, N) if shared else (K, N, N)) * 1.5 / np.sqrt(N)
    b = jax.random.normal(ks[2], (N,) if shared else (K, N)) * 0.3
    return RNNParams(jax.random.normal(ks[0], (K, n_in, N)), w_rec, b, jax.random.normal(ks[3], (K, N, n_out)),
                     jax.random.normal(ks[4], (K, n_out)), jax.random.normal(ks[5], (K, N)) * 0.5)


def _plain_run(p: RNNParams, x):
    """network.run per network (automatic differentiation through lax.scan): (outputs, states)."""
    shared = p.w_rec.ndim == 2
    return jax.vmap(lambda w_in, w_rec, b, w_out, b_out, h0, xi: network.run(
        RNNParams(w_in, w_rec, b, w_out, b_out, h0), xi),
        (0, None if shared else 0, None if shared else 0, 0, 0, 0, 0))(*p, x)


def _plain(p, x):
    return _plain_run(p, x)[0]


def _loss(forward, p, x, y):
    return jnp.sum(jnp.sin(forward(p, x)) * y)  # a loss whose output cotangent differs everywhere


def _close(a, b, name):
    assert a.shape == b.shape, name
    np.testing.assert_allclose(a, b, rtol=2e-4, atol=2e-5 * float(jnp.max(jnp.abs(b))), err_msg=name)


def _data(n_in=N_IN, n_out=N_OUT, lead=()):
    x = jax.random.normal(jax.random.key(1), lead + (K, B, T, n_in))
    y = jax.random.normal(jax.random.key(2), lead + (K, B, T, n_out))
    return x, y


@pytest.mark.parametrize("shared", [True, False], ids=["shared reservoir", "per-network weights"])
@pytest.mark.parametrize("widths", [(N_IN, N_OUT), (7, 6)], ids=["narrow (element-wise)", "wide (matrix products)"])
def test_outputs_and_gradients_match_autodiff(shared, widths):
    p = _params(jax.random.key(0), shared, *widths)
    x, y = _data(*widths)
    np.testing.assert_allclose(task_outputs(p, x), _plain(p, x), rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(outputs(p, x), _plain(p, x), rtol=1e-5, atol=1e-5)
    g_fast = jax.grad(lambda q: _loss(lambda a, b: task_outputs(a, b, grads=TRAINED), q, x, y))(p)
    g_ref = jax.grad(lambda q: _loss(_plain, q, x, y))(p)
    for name, a, b in zip(RNNParams._fields, g_fast, g_ref):
        assert float(jnp.max(jnp.abs(b))) > 0, name  # every gradient is exercised
        _close(a, b, name)


def test_per_network_weights_on_many_trials_accumulate_the_same_gradient_in_the_loop(monkeypatch):
    """Separate networks on at least LOOP_TRIALS trials sum dW_rec in the reverse scan; on fewer,
    after it: both equal automatic differentiation (LOOP_TRIALS lowered so that B trials count)."""
    from molap.training import fused

    p = _params(jax.random.key(0), False)
    x, y = _data()
    g_ref = jax.grad(lambda q: _loss(_plain, q, x, y))(p)
    for threshold in (B, B + 1):  # in the loop, after it
        monkeypatch.setattr(fused, "LOOP_TRIALS", threshold)
        g = jax.grad(lambda q: _loss(lambda a, b: task_outputs(a, b, grads=TRAINED), q, x, y))(p)
        for name, a, b in zip(RNNParams._fields, g, g_ref):
            _close(a, b, f"{name}, threshold {threshold}")


@pytest.mark.parametrize("shared", [True, False], ids=["shared reservoir", "per-network weights"])
def test_frozen_weights_get_zero_gradients_and_the_rest_match(shared):
    p = _params(jax.random.key(0), shared)
    x, y = _data()
    g_fast = jax.grad(lambda q: _loss(lambda a, b: task_outputs(a, b, grads=FROZEN), q, x, y))(p)
    g_ref = jax.grad(lambda q: _loss(_plain, q, x, y))(p)
    for name, a, b in zip(RNNParams._fields, g_fast, g_ref):
        if name in ("w_rec", "b"):
            assert not np.any(np.asarray(a)), name
        else:
            _close(a, b, name)


def test_the_default_freezes_a_shared_reservoir_and_trains_per_network_weights():
    x, y = _data()
    for shared, trained in ((True, False), (False, True)):
        p = _params(jax.random.key(0), shared)
        g = jax.grad(lambda q: _loss(task_outputs, q, x, y))(p)
        assert bool(np.any(np.asarray(g.w_rec))) == trained
        assert bool(np.any(np.asarray(g.b))) == trained


@pytest.mark.parametrize("shared", [True, False], ids=["shared reservoir", "per-network weights"])
def test_a_block_of_the_recurrent_weights_gets_exactly_its_own_gradient(shared):
    """Module pre-training: only W_rec[lo:hi, lo:hi] learns."""
    p = _params(jax.random.key(0), shared)
    x, y = _data()
    lo, hi = 2, 6
    g = jax.grad(lambda q: _loss(lambda a, b: task_outputs(a, b, grads=Grads((lo, hi))), q, x, y))(p)
    ref = jax.grad(lambda q: _loss(_plain, q, x, y))(p)
    block = np.zeros((N, N), bool)
    block[lo:hi, lo:hi] = True
    block = np.broadcast_to(block, ref.w_rec.shape)
    _close(jnp.where(block, g.w_rec, 0.0), jnp.where(block, ref.w_rec, 0.0), "w_rec block")
    assert not np.any(np.asarray(g.w_rec)[~block])


def test_the_activity_sum_and_its_gradient_match_autodiff():
    """Pre-training's activity regulariser: sum of h^2 over trials, steps and units, per network."""
    p = _params(jax.random.key(0), False)
    x, y = _data()

    def loss_fast(q):
        out, e = task_outputs(q, x, energy=True)
        return jnp.sum(jnp.sin(out) * y) + jnp.sum(e * jnp.arange(1.0, K + 1))

    def loss_ref(q):
        out, h = _plain_run(q, x)
        return jnp.sum(jnp.sin(out) * y) + jnp.sum(jnp.sum(h ** 2, (1, 2, 3)) * jnp.arange(1.0, K + 1))

    np.testing.assert_allclose(loss_fast(p), loss_ref(p), rtol=1e-5)
    for name, a, b in zip(RNNParams._fields, jax.grad(loss_fast)(p), jax.grad(loss_ref)(p)):
        _close(a, b, name)


def test_gradients_match_under_vmap_over_networks():
    """The trainer vmaps the loss over the networks of a family (one reservoir each)."""
    ps = jax.vmap(lambda k: _params(k, True))(jax.random.split(jax.random.key(3), 2))
    x, y = _data(lead=(2,))
    grad = lambda f: jax.jit(jax.vmap(jax.grad(lambda q, xi, yi: _loss(f, q, xi, yi))))(ps, x, y)  # noqa: E731
    for name, a, b in zip(RNNParams._fields, grad(lambda a, b: task_outputs(a, b, grads=TRAINED)), grad(_plain)):
        _close(a, b, name)


@pytest.mark.parametrize("grads", [Grads("some"), Grads((3, 2)), Grads((0, N + 1)), "all"])
def test_a_bad_gradient_spec_is_refused(grads):
    p = _params(jax.random.key(0), True)
    with pytest.raises(MolapError, match="Grads"):
        task_outputs(p, _data()[0], grads=grads)
