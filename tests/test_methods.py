import jax
import jax.numpy as jnp
import numpy as np
import pytest

from molap import MolapError, network
from molap import pipeline as P
from molap.claims import counts as table1
from molap.methods import counts, init_separate, train_separate
from molap.network import Layout
from molap.tasks import get_tasks, sample
from molap.training import Schedule, TaskTraining, evaluate
from molap.training.dni import DNIConfig, covariances, dni_inputs, projected_adam, train_dni

TINY = TaskTraining(batch=8, schedule=Schedule(1e-2, 1, 4, 1.0), n_val=8)


def test_separate_trains_every_weight_of_each_network():
    ts = get_tasks(["delay_pro", "mem_dm1"])
    init = network.init(jax.random.key(0), 1, 1, Layout(20, 2))
    params, mask = init_separate(ts, init, key=jax.random.key(1))
    assert params.w_rec.shape == (2, 20, 20) and float(mask.w_rec.min()) == 1
    res = train_separate(ts, init, TINY, key=jax.random.key(2), val_key=jax.random.key(3), progress=False)
    # each network's recurrent weights moved, from the same start
    assert not bool(jnp.all(res.heads.w_rec[0] == init.w_rec)) and not bool(jnp.all(res.heads.w_rec[1] == res.heads.w_rec[0]))
    assert float(jnp.abs(res.heads.w_in[1, 2]).max()) == 0  # padding stays zero


def test_dni_projection_removes_protected_directions():
    p = network.init(jax.random.key(0), 3, 3, Layout(10, 2))
    x = jax.random.normal(jax.random.key(1), (16, 110, 3))
    y = jax.random.normal(jax.random.key(2), (16, 110, 3))
    c = covariances(p, x, y)
    assert c["in"].shape == (13, 13) and c["act"].shape == (10, 10) and c["h"].shape == (10, 10) and c["y"].shape == (3, 3)
    np.testing.assert_allclose(c["in"], c["in"].T, atol=1e-5)
    # a covariance concentrated on one input direction: updates along it are suppressed ~1000x
    s = jnp.zeros((13, 13)).at[0, 0].set(1.0)
    proj = {"in": jnp.linalg.inv(s / 1e-3 + jnp.eye(13)), "act": jnp.eye(10), "h": jnp.eye(10), "y": jnp.eye(3)}
    tx = projected_adam(Schedule(1e-2, 1, 1, 1.0), proj)
    g = jax.tree.map(jnp.ones_like, p)
    u, _ = tx.update(g, tx.init(p), p)
    ratio = float(jnp.abs(u.w_in[0]).max()) / float(jnp.abs(u.w_in[1]).max())
    assert ratio == pytest.approx(1 / 1001, rel=1e-3)
    assert float(jnp.abs(u.w_rec).min()) > 0


def test_dni_runs_a_sequence_and_reports_both_evaluations():
    ts = get_tasks(["delay_pro", "delay_anti"])
    r = train_dni(ts, TINY, DNIConfig(n_units=20, n_cov=16), key=jax.random.key(0), rule_inputs=True,
                  n_test=16, test_key=jax.random.key(2), progress=False)
    assert r.after_own.shape == (2, 5) and r.final.shape == (2, 5) and r.params.w_in.shape == (3 + 2, 20)
    assert float(jnp.abs(r.params.b_out).max()) == 0.0  # Duncker's setting: the readout bias stays at 0
    free = train_dni(ts, TINY, DNIConfig(n_units=20, n_cov=16), key=jax.random.key(0), rule_inputs=True,
                     n_test=16, test_key=jax.random.key(2), train_b_out=True, progress=False)
    assert float(jnp.abs(free.params.b_out).max()) > 0
    x = dni_inputs(jnp.zeros((4, 110, 2)), 1, 9, True)
    assert x.shape == (4, 110, 12) and float(x[..., 3 + 1].min()) == 1 and float(x[..., 3].max()) == 0
    with pytest.raises(MolapError, match="names a task twice"):
        train_dni(get_tasks(["delay_pro"]) * 2, TINY, key=jax.random.key(0),
                  n_test=4, test_key=jax.random.key(2))


def test_counts_agree_with_hand_calculation():
    real = table1.real_counts()
    # heads: n_in*100 + 100*n_out + n_out  -> 603 (T1-T4), 402 (T5-T6), 502 (T7-T9)
    assert counts.head_counts(get_tasks(None), Layout()) == [603] * 4 + [402] * 2 + [502] * 3
    assert real["molap"].total == 10_000 + 100 + 4722 == real["random"].total
    # pre-training: per phase a 50x50 block + input (100) + readout (100) + readout bias (1)
    assert real["molap"].trained == 2 * (2500 + 201) + 4722 and real["molap"].pretrained == 2 * 2701
    assert real["random"].trained == real["random"].updates == 4722 and real["random"].pretrained == 0
    assert real["separate"].per_task == pytest.approx((4 * 10_703 + 2 * 10_502 + 3 * 10_602) / 9)
    assert real["dni"].trained == (3 + 9) * 200 + 200 * 200 + 200 * 3  # 9 rule inputs, readout bias fixed at 0
    assert real["dni_no_rule"].trained == 3 * 200 + 200 * 200 + 200 * 3 + 3
    assert real["dni"].updates == 9 * real["dni"].trained
    s = table1.stated_sizes()
    assert s["separate"]["total"] == 91_800 and s["dni"]["total"] == 10_200
    assert s["molap"]["trained"] == 7_000 and s["molap"]["pretrained"] == 5_200
    assert table1.PAPER_TABLE1["separate"]["total"] == 10 * s["separate"]["total"]


def test_bad_method_and_seed():
    with pytest.raises(MolapError, match="unknown method 'lstm'"):
        P.trained("tiny", "lstm")
    with pytest.raises(MolapError, match="seed must be an integer"):
        P.trained("tiny", "molap", seed=1.5)
    with pytest.raises(MolapError, match="seed must lie in"):
        P.trained("tiny", "molap", seed=2 ** 32)
    with pytest.raises(MolapError, match="unknown profile"):
        P.get_profile("huge")
    with pytest.raises(MolapError, match="has no frozen modules"):
        P.modules("tiny", "dni", 0)


def test_dni_rule_inputs_fold_into_each_tasks_bias_for_sweeps():
    """A DNI network with rule inputs, as perturbation sweeps see it: task i's network on the
    task's own inputs gives the outputs of the whole network on the inputs with task i's cue."""
    from molap.methods import DNI_METHOD, TrainedRun
    from molap.profiles import TINY as TINY_PROFILE

    ts = get_tasks(["delay_pro", "mem_dm1"])
    r = train_dni(ts, TINY, DNIConfig(n_units=20, n_cov=16), key=jax.random.key(0), rule_inputs=True,
                  n_test=8, test_key=jax.random.key(2), progress=False)
    run = TrainedRun("dni", 0, 0.01, [t.name for t in ts], None, None, None, None, r.params)
    nets = DNI_METHOD.task_networks(run, TINY_PROFILE)
    assert nets.shared and nets.params.w_in.shape == (2, 3, 20) and nets.params.b.shape == (2, 20)
    for i, t in enumerate(ts):
        x = sample(t, jax.random.key(5), 4).inputs
        whole = network.run(r.params, dni_inputs(x, i, len(ts), True))[0]
        mine = network.run(jax.tree.map(lambda a: a[i], nets.params), dni_inputs(x, i, len(ts), False))[0]
        np.testing.assert_allclose(mine, whole, rtol=1e-4, atol=1e-5)


def test_dni_snapshots_are_the_network_right_after_each_task_and_sweeps_use_them():
    """With snapshots, task i's network is the sequence's network after task i: bit for bit the
    end of a run on the first i + 1 tasks; the sweeps' networks are those, one per task."""
    from molap.methods import DNI_NO_RULE, TrainedRun
    from molap.profiles import TINY as TINY_PROFILE

    ts = get_tasks(["delay_pro", "mem_dm1", "delay_anti"])
    cfg = DNIConfig(n_units=20, n_cov=16, snapshots=True)
    args = dict(key=jax.random.key(0), rule_inputs=False, n_test=8, test_key=jax.random.key(2), progress=False)
    r = train_dni(ts, TINY, cfg, **args)
    assert r.own_params.w_rec.shape == (3, 20, 20)
    first_two = train_dni(ts[:2], TINY, DNIConfig(n_units=20, n_cov=16), **args)
    assert first_two.own_params is None
    np.testing.assert_array_equal(np.asarray(r.own_params.w_rec[1]), np.asarray(first_two.params.w_rec))
    np.testing.assert_array_equal(np.asarray(r.own_params.w_out[2]), np.asarray(r.params.w_out))
    assert not np.array_equal(np.asarray(r.own_params.w_rec[0]), np.asarray(r.params.w_rec))
    run = TrainedRun("dni_no_rule", 0, 0.01, [t.name for t in ts], None, None, None, None, r.params,
                     own_params=r.own_params)
    nets = DNI_NO_RULE.task_networks(run, TINY_PROFILE)
    assert not nets.shared and nets.params.w_rec.shape == (3, 20, 20)
    np.testing.assert_array_equal(np.asarray(nets.params.w_rec), np.asarray(r.own_params.w_rec))


LEARNS = TaskTraining(batch=16, schedule=Schedule(3e-3, 2, 200, 1.5), n_val=64)
"""A tiny budget (400 steps at batch 16) in which both methods below learn Delay Pro and Anti."""


def test_separate_networks_learn_a_small_task_pair_in_a_tiny_budget():
    from molap.methods.separate import _forward

    ts = get_tasks(["delay_pro", "delay_anti"])
    init = network.init(jax.random.key(0), 1, 1, Layout(40, 2))
    r = train_separate(ts, init, LEARNS, key=jax.random.key(1), val_key=jax.random.key(2), progress=False)
    scores = evaluate(_forward, r.heads, ts, key=jax.random.key(3), n_trials=200)
    assert all(s.decision >= 90 for s in scores.values()), scores


def test_dni_with_rule_inputs_learns_each_task_right_after_its_own_training():
    ts = get_tasks(["delay_pro", "delay_anti"])
    r = train_dni(ts, LEARNS, DNIConfig(n_units=100, n_cov=200), key=jax.random.key(1), rule_inputs=True,
                  n_test=200, test_key=jax.random.key(3), progress=False)
    assert (r.after_own[:, 2] >= 90).all(), r.after_own[:, 2]
