import jax
import jax.numpy as jnp
import numpy as np
import pytest

from molap import MolapError, network, store
from molap.network import Layout
from molap.primitives import PrimitivesConfig
from molap.primitives import fit as fit_primitives
from molap.tasks import get_tasks
from molap.training import (
    PretrainConfig,
    Schedule,
    TaskTraining,
    evaluate_heads,
    fit,
    head_masks,
    pretrain,
    train_heads,
)

LAY = Layout(20, 2)


@pytest.fixture(scope="module")
def pre():
    prim = fit_primitives(PrimitivesConfig("cca", 2, 50, 0))
    init = network.init(jax.random.key(0), 1, 1, LAY)
    cfg = PretrainConfig(batch=16, schedule=Schedule(3e-3, 2, 20, 3.0))
    return init, pretrain(prim, None, init, LAY, cfg, key=jax.random.key(1), n_test=32, progress=False)


def test_pretraining_freezes_everything_but_the_intra_blocks(pre):
    init, r = pre
    intra = LAY.intra() > 0
    assert bool(jnp.all(r.w_rec[~intra] == init.w_rec[~intra]))  # bit-identical
    assert bool(jnp.all(r.b == init.b))
    assert float(jnp.mean(r.w_rec[intra] != init.w_rec[intra])) > 0.99
    assert r.losses.shape == (2, 40) and np.all(np.isfinite(r.losses))
    assert r.losses[0, -5:].mean() < r.losses[0, :5].mean()


def test_pretraining_is_deterministic(pre):
    init, r = pre
    prim = fit_primitives(PrimitivesConfig("cca", 2, 50, 0))
    again = pretrain(prim, None, init, LAY, PretrainConfig(batch=16, schedule=Schedule(3e-3, 2, 20, 3.0)),
                     key=jax.random.key(1), n_test=32, progress=False)
    np.testing.assert_array_equal(r.w_rec, again.w_rec)


def test_heads_train_only_heads(pre):
    _, r = pre
    ts = get_tasks(["delay_pro", "mem_dm1"])
    cfg = TaskTraining(batch=16, schedule=Schedule(1e-2, 2, 15, 1.5), n_val=16)
    w_rec0 = np.asarray(r.w_rec).copy()
    res = train_heads(r.w_rec, r.b, ts, cfg, key=jax.random.key(2), val_key=jax.random.key(3), progress=False)
    np.testing.assert_array_equal(np.asarray(r.w_rec), w_rec0)
    # padded entries of the narrower task stay exactly zero
    assert float(jnp.abs(res.heads.w_in[1, 2]).max()) == 0 and float(jnp.abs(res.heads.w_out[1, :, 2]).max()) == 0
    assert res.losses.shape == (30,) and res.losses[-1] < res.losses[0]
    assert res.curve.shape == (2, 2, 5)
    s = evaluate_heads(r.w_rec, r.b, res.heads, ts, key=jax.random.key(4), n_trials=32)
    assert set(s) == {"delay_pro", "mem_dm1"}


def test_head_masks_cover_each_task_width():
    ts = get_tasks(None)
    mask, units = head_masks(ts, 10)
    assert mask.w_in.shape == (9, 3, 10)
    assert [int(m[:, 0].sum()) for m in mask.w_in] == [t.n_in for t in ts]
    assert [int(u.sum()) for u in units] == [t.n_out for t in ts]


def test_masked_adam_leaves_frozen_entries_bit_identical():
    params = {"a": jnp.arange(6.0).reshape(2, 3), "b": jnp.ones(3)}
    mask = {"a": jnp.array([[1.0, 0, 1], [0, 0, 1]]), "b": jnp.zeros(3)}
    loss = lambda p, k: jnp.sum((p["a"] - 10) ** 2) + jnp.sum(p["b"] ** 2)  # noqa: E731
    out, losses = fit(loss, params, mask, Schedule(0.1, 1, 20, 1.0), key=jax.random.key(0))
    frozen = np.asarray(mask["a"]) == 0
    np.testing.assert_array_equal(np.asarray(out["a"])[frozen], np.asarray(params["a"])[frozen])
    np.testing.assert_array_equal(out["b"], params["b"])
    assert np.all(np.asarray(out["a"])[~frozen] > np.asarray(params["a"])[~frozen])


def test_nan_loss_is_a_clear_error():
    loss = lambda p, k: jnp.log(p["x"] - 5.0)  # noqa: E731  (nan for x < 5)
    with pytest.raises(MolapError, match="loss became nan at step 0"):
        fit(loss, {"x": jnp.ones(())}, {"x": jnp.ones(())}, Schedule(0.1, 1, 10, 1.0), key=jax.random.key(0))


def test_schedule_decays_per_block():
    lr = Schedule(1e-2, 3, 10, 2.0).learning_rate()
    assert float(lr(0)) == pytest.approx(1e-2) and float(lr(10)) == pytest.approx(5e-3)
    assert float(lr(25)) == pytest.approx(2.5e-3)


def test_network_round_trip(tmp_path, pre):
    _, r = pre
    p = network.init(jax.random.key(5), 3, 2, LAY)
    store.save(tmp_path / "net.npz", {"net": p, "pretrain": r, "note": "x"}, seed=5)
    back, meta = store.load(tmp_path / "net.npz", with_meta=True)
    assert type(back["net"]) is network.RNNParams and back["note"] == "x" and meta["seed"] == 5
    for a, b in zip(back["net"], p):
        np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(back["pretrain"].w_rec, r.w_rec)


def test_corrupt_or_missing_files(tmp_path):
    bad = tmp_path / "bad.npz"
    bad.write_bytes(b"not a zip file")
    with pytest.raises(MolapError, match="corrupt result file"):
        store.load(bad)
    with pytest.raises(MolapError, match="no saved result"):
        store.load(tmp_path / "missing.npz")
    with pytest.raises(MolapError, match="does not exist"):
        store.save(tmp_path / "no" / "x.npz", {"a": 1})


def test_cache_recomputes_corrupt_entries(tmp_path, monkeypatch):
    monkeypatch.setenv("MOLAP_CACHE", str(tmp_path))
    calls = []
    compute = lambda: calls.append(1) or {"v": np.arange(3)}  # noqa: E731
    a = store.cached("t", {"x": 1}, compute)
    b = store.cached("t", {"x": 1}, compute)
    assert len(calls) == 1 and np.array_equal(a["v"], b["v"])
    store.cached("t", {"x": 2}, compute)
    assert len(calls) == 2
    path = next(tmp_path.glob("t-*.npz"))
    for p in tmp_path.glob("t-*.npz"):
        p.write_bytes(b"garbage")
    with pytest.warns(UserWarning, match="corrupt"):
        c = store.cached("t", {"x": 1}, compute)
    assert len(calls) == 3 and np.array_equal(c["v"], np.arange(3)) and path.exists()


def test_a_read_only_miss_names_the_result_asked_for(tmp_path, monkeypatch):
    """Results computed together: the error names the configuration the caller asked for, not
    the first missing one of its group."""
    monkeypatch.setenv("MOLAP_CACHE", str(tmp_path))
    monkeypatch.setenv("MOLAP_RESULTS", str(tmp_path))
    configs = [{"method": "other"}, {"method": "mine"}]
    with store.read_only(), pytest.raises(store.MissingResult, match="'mine'.*together with 1 other"):
        store.cached_many("t", configs, lambda idx: [{} for _ in idx], asked=1)
    with store.read_only(), pytest.raises(store.MissingResult, match="'other'.*together with 1 other"):
        store.cached_many("t", configs, lambda idx: [{} for _ in idx])


def test_recipe_options_are_checked_and_clipping_bounds_each_task_network():
    import optax

    with pytest.raises(MolapError, match="val_every must be a positive divisor of the block's 10 steps, got 3"):
        TaskTraining(schedule=Schedule(1e-2, 2, 10, 1.5), val_every=3)
    with pytest.raises(MolapError, match="clip must be a positive gradient norm or None, got -1"):
        TaskTraining(clip=-1)
    tx = TaskTraining(clip=1.0).optimizer()
    assert isinstance(tx, optax.GradientTransformation)
    from molap.training.trainer import clip_per_network

    g = {"a": jnp.array([[3.0, 4.0], [0.3, 0.4]])}  # task 0 norm 5, task 1 norm 0.5
    out, _ = clip_per_network(1.0).update(g, None)
    np.testing.assert_allclose(out["a"], [[0.6, 0.8], [0.3, 0.4]], rtol=1e-6)
    whole, _ = clip_per_network(1.0, axis_networks=False).update(g, None)
    np.testing.assert_allclose(np.linalg.norm(whole["a"]), 1.0, rtol=1e-6)
    lr = Schedule(1e-2, 2, 10, 2.0).learning_rate()
    np.testing.assert_allclose([lr(0), lr(9), lr(10), lr(19)], [1e-2, 1e-2, 5e-3, 5e-3], rtol=1e-6)


def test_scale_fields_slows_the_named_weights_only():
    import optax

    from molap.methods import get as get_method
    from molap.methods import train_separate
    from molap.profiles import TINY
    from molap.training import scale_fields

    p = network.init(jax.random.key(0), 2, 2, Layout(8, 2))
    g = jax.tree.map(lambda a: jnp.full_like(a, 0.3), p)
    tx = optax.adam(1e-2)  # the factor scales Adam's update: scaling the gradient before Adam would not show
    plain, _ = tx.update(g, tx.init(p), p)
    slow, _ = scale_fields(tx, {"w_rec": 0.1, "b": 0.1}).update(g, tx.init(p), p)
    np.testing.assert_allclose(slow.w_rec, 0.1 * plain.w_rec, rtol=1e-6)
    np.testing.assert_allclose(slow.b, 0.1 * plain.b, rtol=1e-6)
    for f in ("w_in", "w_out", "b_out", "h0"):
        np.testing.assert_array_equal(getattr(slow, f), getattr(plain, f))
    # separate networks' recurrent weights learn at a tenth of the rate; the factor is in their key
    assert get_method("separate").key(TINY)["recurrent_lr_scale"] == 0.1
    # and training uses it: at a factor of 0 the recurrent weights stay as they were
    init = network.init(jax.random.key(1), 3, 3, Layout(8, 2))
    ts = get_tasks(["delay_pro"])
    r = train_separate(ts, init, TINY.training, key=jax.random.key(2), val_key=jax.random.key(3),
                       recurrent_lr_scale=0.0, progress=False)
    np.testing.assert_array_equal(np.asarray(r.heads.w_rec[0]), np.asarray(init.w_rec))
    np.testing.assert_array_equal(np.asarray(r.heads.b[0]), np.asarray(init.b))
    assert not np.array_equal(np.asarray(r.heads.w_out[0]), np.zeros_like(np.asarray(r.heads.w_out[0])))
    moved = train_separate(ts, init, TINY.training, key=jax.random.key(2), val_key=jax.random.key(3), progress=False)
    assert not np.array_equal(np.asarray(moved.heads.w_rec[0]), np.asarray(init.w_rec))


def test_folds_sharing_one_key_draw_each_batch_once_with_the_same_result():
    """pretrain_folds with one key for every fold (each step's corpus batch drawn once, as the
    generalisation folds do) gives bit-identical results to the same key copied per fold."""
    from molap.training import pretrain_folds

    prim = fit_primitives(PrimitivesConfig("cca", 2, 20, 0))
    prims = jax.tree.map(lambda a: np.stack([np.asarray(a)] * 3), prim)
    layout = Layout(12, 2)
    init = network.init(jax.random.key(0), 1, 1, layout)
    cfg = PretrainConfig(batch=4, schedule=Schedule(3e-3, 1, 3, 1.0))
    k = jax.random.key(7)
    one = pretrain_folds(prims, None, init, layout, cfg, key=k, n_test=8, progress=False)
    copies = pretrain_folds(prims, None, init, layout, cfg, key=jnp.stack([k] * 3), n_test=8, progress=False)
    np.testing.assert_array_equal(np.asarray(one.w_rec), np.asarray(copies.w_rec))
    np.testing.assert_array_equal(one.losses, copies.losses)
