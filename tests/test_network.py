import jax
import jax.numpy as jnp
import numpy as np
import pytest
from flax import nnx

from molap import MolapError, network
from molap.network import Layout
from molap.trained_network import ModularRNN


def test_layout_masks():
    lay = Layout(100, 2)
    assert lay.module_size == 50
    assert lay.block(0)[:50, :50].all() and lay.block(0).sum() == 2500
    assert lay.block(0, 1)[:50, 50:].all() and lay.block(0, 1).sum() == 2500
    assert lay.intra().sum() == 5000 and lay.inter().sum() == 5000
    assert (lay.intra() + lay.inter() == 1).all()
    assert Layout(150, 3).intra().sum() == 3 * 2500


@pytest.mark.parametrize("units, modules", [(100, 3), (0, 1), (10, 0), (10.5, 2)])
def test_bad_layouts(units, modules):
    with pytest.raises(MolapError):
        Layout(units, modules)


def test_bad_module_index():
    with pytest.raises(MolapError, match="module index 2 does not exist"):
        Layout(100, 2).block(2)


def test_init_statistics():
    p = network.init(jax.random.key(0), 3, 2, Layout(400, 2), g=1.5)
    assert abs(float(p.w_rec.std()) - 1.5 / 20) < 0.002
    assert p.w_in.shape == (3, 400) and p.w_out.shape == (400, 2) and float(jnp.abs(p.h0).max()) == 0


def test_run_matches_explicit_loop():
    p = network.init(jax.random.key(1), 2, 3, Layout(20, 2))
    x = jax.random.normal(jax.random.key(2), (4, 7, 2))
    y, h = network.run(p, x)
    hh = jnp.zeros((4, 20))
    for t in range(7):
        hh = jnp.tanh(x[:, t] @ p.w_in + hh @ p.w_rec + p.b)
        np.testing.assert_allclose(h[:, t], hh, atol=1e-5)
        np.testing.assert_allclose(y[:, t], hh @ p.w_out + p.b_out, atol=1e-5)


def test_silenced_units_read_zero():
    p = network.init(jax.random.key(1), 2, 3, Layout(20, 2))
    x = jax.random.normal(jax.random.key(2), (4, 7, 2))
    sil = jnp.zeros(20).at[jnp.array([1, 5, 19])].set(1.0)
    _, h = network.run(p, x, silence=sil)
    assert float(jnp.abs(h[..., jnp.array([1, 5, 19])]).max()) == 0.0


def test_wrong_input_shape():
    p = network.init(jax.random.key(1), 2, 3, Layout(20, 2))
    with pytest.raises(MolapError, match=r"inputs must have shape \(trials, steps, 2\)"):
        network.run(p, jnp.zeros((4, 7, 3)))


def test_trainable_masks():
    p = network.init(jax.random.key(1), 2, 3, Layout(20, 2))
    m = network.trainable(p, w_in=True, w_rec=Layout(20, 2).block(1))
    assert float(m.w_in.min()) == 1 and float(m.w_out.max()) == 0 and float(m.w_rec.sum()) == 100
    with pytest.raises(MolapError, match="unknown parameter names"):
        network.trainable(p, w_inn=True)


def test_nnx_module():
    model = ModularRNN(3, 2, Layout(20, 2), rngs=nnx.Rngs(0))
    out = model(jnp.zeros((5, 110, 3)))
    assert out.shape == (5, 110, 2)
    params = nnx.state(model, nnx.Param)
    assert len(jax.tree.leaves(params)) == 6
    assert float(model.mask.w_rec.max()) == 0 and float(model.mask.w_in.min()) == 1


@pytest.mark.parametrize("silenced", [False, True])
def test_outputs_without_states_match_run(silenced):
    """The evaluation path (no states kept, projections in the loop) gives run's outputs."""
    p = network.init(jax.random.key(0), 3, 2, Layout(10, 2))._replace(b_out=jnp.array([0.3, -0.2]))
    x = jax.random.normal(jax.random.key(1), (4, 15, 3))
    sil = (jnp.arange(10) % 3 == 0).astype(jnp.float32) if silenced else None
    np.testing.assert_allclose(network.outputs(p, x, silence=sil), network.run(p, x, silence=sil)[0],
                               rtol=1e-5, atol=1e-6)
    with pytest.raises(MolapError, match="inputs must have shape"):
        network.outputs(p, x[..., :2])
