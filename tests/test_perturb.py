import jax
import jax.numpy as jnp
import numpy as np
import pytest

from molap import MolapError, network, pipeline
from molap.analysis import perturb as P
from molap.analysis import perturbations as K
from molap.network import Layout

LAY = Layout(100, 2)
W = jax.random.normal(jax.random.key(0), (100, 100)) + 5.0  # no zeros before lesioning


@pytest.mark.parametrize("kind, n_region", [("m1", 2500), ("m2", 2500), ("inter", 5000), ("global", 10000)])
@pytest.mark.parametrize("percent", [0, 5, 30, 50, 100])
def test_lesions_zero_exact_counts_inside_their_region(kind, n_region, percent):
    w, sil = K.perturb(kind, W, jax.random.key(1), percent, LAY)
    assert sil is None
    zero = np.asarray(w == 0)
    assert zero.sum() == int(percent / 100 * n_region)
    assert not zero[np.asarray(K.region(kind, LAY)) == 0].any()


def test_lesion_draws_differ_and_repeat():
    a, _ = K.perturb("m1", W, jax.random.key(1), 30, LAY)
    b, _ = K.perturb("m1", W, jax.random.key(2), 30, LAY)
    c, _ = K.perturb("m1", W, jax.random.key(1), 30, LAY)
    assert not bool(jnp.all((a == 0) == (b == 0))) and bool(jnp.all(a == c))


def test_noise_statistics():
    w, _ = K.perturb("noise", jnp.zeros((100, 100)), jax.random.key(3), 0.02, LAY)
    assert abs(float(w.std()) - 0.02) < 5e-4 and abs(float(w.mean())) < 5e-4


def test_silencing_clamps_units_to_zero():
    _, sil = K.perturb("silence", W, jax.random.key(4), 30, LAY)
    assert int(sil.sum()) == 30
    from molap import network

    p = network.init(jax.random.key(5), 2, 2, LAY)
    _, h = network.run(p, jax.random.normal(jax.random.key(6), (3, 20, 2)), silence=sil)
    assert float(jnp.abs(h[..., np.asarray(sil) > 0]).max()) == 0.0


@pytest.mark.parametrize("kind, levels, msg", [
    ("m1", [-5], r"percentages in \[0, 100\]"), ("global", [120], r"percentages in \[0, 100\]"),
    ("noise", [-0.01], "sigma must be >= 0"), ("m1", [], "non-empty"),
    ("m1", [float("nan")], r"percentages in \[0, 100\], got \[nan\]"), ("noise", [float("inf")], "sigma must be >= 0"),
])
def test_bad_levels(kind, levels, msg):
    with pytest.raises(MolapError, match=msg):
        K.check_levels(kind, levels)


def test_bad_kind_draws_and_module():
    with pytest.raises(MolapError, match="unknown perturbation kind 'm3'"):
        K.check_kind("m3")
    with pytest.raises(MolapError, match="module index 2 does not exist"):
        Layout(100, 2).block(2)
    with pytest.raises(MolapError, match="draw count must be a positive integer"):
        P.sweep(None, "m1", [0], n_draws=0, key=jax.random.key(0), test_key=jax.random.key(1))


def test_sweep_level_zero_matches_the_unperturbed_test(tiny_frozen):
    prof = tiny_frozen
    run = pipeline.trained(prof, "random", 0)
    s = pipeline.perturbation(prof, "random", "global", 0, levels=[0, 50])
    n = prof.perturb.n_draws
    assert s.paper.shape == s.decision.shape == (2, n, 9) and s.tasks == run.tasks
    # level 0 leaves the network intact: every draw equals the unperturbed test score
    assert prof.perturb.n_trials == prof.evaluation.n_test
    for field in ("paper", "decision"):
        ref = np.array([getattr(run.test[t], field) for t in s.tasks])
        np.testing.assert_allclose(getattr(s, field)[0], np.broadcast_to(ref, (n, 9)), atol=1e-3)


def test_a_draw_is_the_same_in_the_sweep_a_task_subset_and_by_hand():
    """perturbed_draw is the one source of a draw: per-task networks swept over all tasks, over a
    subset, and perturbed by hand for one task (as the widget does) give the same accuracy."""
    from molap.metrics import score
    from molap.tasks import get_tasks
    from molap.training import padded_batches

    ts, lay = get_tasks(None), Layout(20, 2)
    nets = [network.init(jax.random.key(i), 3, 3, lay) for i in range(9)]
    params = jax.tree.map(lambda *a: jnp.stack(a), *nets)
    tn = P.TaskNetworks(params, False, lay)
    kw = dict(n_draws=2, n_trials=16, key=P.sweep_key(0, "global"), test_key=jax.random.key(3))
    full = P.sweep(tn, "global", [50.0], **kw)
    sub = P.sweep(tn, "global", [50.0], tasks=["mem_dm1", "multi_mem"], **kw)
    np.testing.assert_array_equal(sub.paper, full.paper[..., [4, 8]])
    i, draw = 8, 1
    w, _ = P.perturbed_draw("global", params.w_rec[i], kw["key"], draw, 50.0, lay, i)
    assert int((w == 0).sum()) == 200  # half of the 400 entries
    x, y = padded_batches(ts, kw["test_key"], 16)
    out, _ = network.run(nets[i]._replace(w_rec=w), x[i])
    n_out = ts[i].n_out
    assert score(out[..., :n_out], y[i, ..., :n_out]).paper == pytest.approx(float(full.paper[0, draw, i]), abs=1e-3)


def test_a_kinds_draws_follow_its_own_stream_index_not_its_place_in_the_table(monkeypatch):
    """Reordering the table (or inserting a kind) changes no kind's draws: the key folds in the
    row's explicit stream index, which every row has uniquely."""
    assert len({k.stream for k in K.PERTURBATIONS.values()}) == len(K.KINDS)
    before = {k: np.asarray(jax.random.key_data(P.sweep_key(3, k))) for k in K.KINDS}
    reordered = dict(reversed(list(K.PERTURBATIONS.items())))
    monkeypatch.setattr(K, "PERTURBATIONS", reordered)
    monkeypatch.setattr(P, "perturbation", lambda kind: reordered[kind])
    after = {k: np.asarray(jax.random.key_data(P.sweep_key(3, k))) for k in K.KINDS}
    assert all(np.array_equal(before[k], after[k]) for k in K.KINDS)
    assert K.perturbation("silence").stream == 5  # the committed sweeps' draws: fold_in(PERTURB, 5)


def test_a_profile_sets_its_own_levels_per_kind():
    from dataclasses import replace

    from molap.profiles import TINY, PerturbSetup

    p = replace(TINY, perturb=replace(TINY.perturb, levels=(("m1", (0.0, 1.0, 2.0)),)))
    assert p.perturb.levels_of("m1") == (0.0, 1.0, 2.0) and p.perturb.levels_of("noise") is None
    with pytest.raises(MolapError, match="unknown perturbation kind"):
        PerturbSetup(levels=(("m3", (1.0,)),))
