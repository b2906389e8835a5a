import jax
import numpy as np
import pytest
from sklearn.cross_decomposition import CCA

from molap import MolapError
from molap.primitives import PrimitivesConfig, corpus_matrices, fit, sample_components, transform


@pytest.fixture(scope="module")
def cca():
    return fit(PrimitivesConfig("cca", 2, 200, 0))


def test_cca_r2_and_correlations(cca):
    assert 0.53 <= cca.r2 <= 0.60  # the paper's "60%"; spec 0.55-0.58
    assert np.all(cca.corr > 0.99)


def test_transform_agrees_with_sklearn(cca):
    x, y = corpus_matrices(None, jax.random.key(0), 200)
    ref = CCA(n_components=2, scale=True).fit(x, y)
    u_ref, v_ref = ref.transform(x, y)
    u, v = transform(cca, x.astype(np.float32), y.astype(np.float32))
    for a, b in ((np.asarray(u), u_ref), (np.asarray(v), v_ref)):
        for k in range(2):  # same component up to sign and affine scaling
            assert abs(np.corrcoef(a[:, k], b[:, k])[0, 1]) > 0.9999
    assert abs(ref.score(x, y) - cca.r2) < 1e-6


def test_components_scaled_to_unit_interval(cca):
    u, v = sample_components(cca, None, jax.random.key(0), 200)
    for a in (u, v):
        a = np.asarray(a)
        assert a.shape == (200, 110, 2)
        assert -0.05 < a.min() and a.max() < 1.05
    # fit-set extremes map to exactly 0 and 1
    assert np.allclose(np.asarray(v).min((0, 1)), 0, atol=1e-5) and np.allclose(np.asarray(v).max((0, 1)), 1, atol=1e-5)


def test_sign_is_fixed_and_deterministic(cca):
    again = fit(PrimitivesConfig("cca", 2, 200, 0))
    np.testing.assert_array_equal(cca.x_weights, again.x_weights)
    assert np.all(cca.x_weights[np.abs(cca.x_weights).argmax(0), [0, 1]] > 0)


def test_pca_variants():
    p = fit(PrimitivesConfig("pca", 2, 200, 0))
    assert p.x_weights.shape == (25, 2) and p.y_weights.shape == (22, 2)
    assert 0.3 < p.explained_x[0] < 0.42 and 0.4 < p.explained_y[0] < 0.5
    j = fit(PrimitivesConfig("pca_joint", 2, 200, 0))
    u, v = sample_components(j, None, jax.random.key(1), 10)
    np.testing.assert_allclose(u, v, atol=1e-6)  # the code's echo variant


def test_task_subset_drops_channels():
    p = fit(PrimitivesConfig("cca", 2, 100, 0, ("mem_dm1", "delay_pro", "multi_mem")))
    assert p.x_mean.shape == (2 + 3 + 3,) and p.y_mean.shape == (2 + 3 + 2,)
    with pytest.raises(MolapError, match="fitted on 8 and 7"):
        x, y = corpus_matrices(None, jax.random.key(0), 2)
        transform(p, x, y)


@pytest.mark.parametrize("cfg, msg", [
    (PrimitivesConfig("ica", 2, 10), "unknown primitive kind 'ica'"),
    (PrimitivesConfig("cca", 23, 10), r"component count must be an integer in \[1, 22\]"),
    (PrimitivesConfig("cca", 0, 10), "component count"),
    (PrimitivesConfig("cca", 2, 10, tasks=()), "empty task list"),
    (PrimitivesConfig("cca", 2, 10, tasks=("nope",)), "unknown task 'nope'"),
])
def test_bad_input(cfg, msg):
    with pytest.raises(MolapError, match=msg):
        fit(cfg)
