"""Networks trained together: the batched path equals separate runs, and shards over devices."""

import os
import subprocess
import sys
import textwrap

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from molap import network
from molap.network import Layout
from molap.training import Schedule, TaskTraining, train_heads, train_heads_many

LAY = Layout(20, 2)
CFG = TaskTraining(batch=8, schedule=Schedule(1e-2, 2, 5, 1.5), n_val=16)


def test_networks_trained_together_equal_networks_trained_alone():
    nets = [network.init(jax.random.key(s), 1, 1, LAY) for s in (0, 1)]
    keys, vals = jax.random.split(jax.random.key(7), 2), jax.random.split(jax.random.key(8), 2)
    both = train_heads_many(jnp.stack([n.w_rec for n in nets]), jnp.stack([n.b for n in nets]), ["delay_pro", "mem_dm1"],
                            CFG, keys=keys, val_keys=vals, lr_scale=jnp.array([1.0, 0.3]), progress=False)
    for j, n in enumerate(nets):
        cfg = CFG if j == 0 else TaskTraining(CFG.batch, Schedule(3e-3, 2, 5, 1.5), n_val=CFG.n_val)
        alone = train_heads(n.w_rec, n.b, ["delay_pro", "mem_dm1"], cfg, key=keys[j], val_key=vals[j], progress=False)
        np.testing.assert_allclose(both.heads.w_in[j], alone.heads.w_in, rtol=1e-4, atol=1e-6)
        np.testing.assert_allclose(both.losses[j], alone.losses, rtol=1e-4)
        np.testing.assert_allclose(both.curve[j], alone.curve, atol=1e-3)


TWO_DEVICES = textwrap.dedent("""
    import jax, jax.numpy as jnp, numpy as np
    from molap import network
    from molap.analysis import perturb
    from molap.network import Layout
    from molap.training.sharding import shard
    from molap.tasks import get_tasks
    from molap.training import TaskTraining, Schedule, init_heads, train_heads_many
    from molap.methods.frozen import FrozenParams, RANDOM
    from molap.methods import TrainedRun
    from molap.profiles import QUICK
    def nets9(net):
        params = FrozenParams(net.w_rec, net.b, init_heads(get_tasks(None), 100, key=jax.random.key(1)))
        return RANDOM.task_networks(TrainedRun("random", 0, 0.0, [], None, None, None, None, params), QUICK)
    assert jax.local_device_count() == 2, jax.devices()
    nets = [network.init(jax.random.key(s), 1, 1, Layout(20, 2)) for s in (0, 1)]
    cfg = TaskTraining(batch=8, schedule=Schedule(1e-2, 1, 5, 1.5), n_val=16)
    r = train_heads_many(jnp.stack([n.w_rec for n in nets]), jnp.stack([n.b for n in nets]), ["delay_pro"], cfg,
                         keys=jax.random.split(jax.random.key(7), 2), val_keys=jax.random.split(jax.random.key(8), 2),
                         progress=False)
    assert len(r.heads.w_in.sharding.device_set) == 2, r.heads.w_in.sharding
    assert len(shard(jnp.zeros((3, 4))).sharding.device_set) == 1  # odd sizes stay put
    np.save("w_in.npy", np.asarray(r.heads.w_in))
    net = network.init(jax.random.key(0), 1, 1, Layout(100, 2))
    s = perturb.sweep(nets9(net), "m1", (0.0, 20.0), n_draws=2, n_trials=16,
                      key=jax.random.key(2), test_key=jax.random.key(3))
    np.save("acc.npy", np.stack([s.paper, s.decision], -1))
""")


@pytest.fixture(scope="module")
def two_devices(tmp_path_factory):
    """One process with two host devices computes both sharded results (one JAX start for both)."""
    out = tmp_path_factory.mktemp("two_devices")
    flags = f"{os.environ.get('XLA_FLAGS', '')} --xla_force_host_platform_device_count=2"  # and the session's
    env = dict(os.environ, XLA_FLAGS=flags.strip(), JAX_PLATFORMS="cpu")
    subprocess.run([sys.executable, "-c", TWO_DEVICES], cwd=out, env=env, check=True, timeout=600)
    return out


def test_networks_trained_together_shard_across_two_host_devices(two_devices):
    nets = [network.init(jax.random.key(s), 1, 1, LAY) for s in (0, 1)]
    cfg = TaskTraining(batch=8, schedule=Schedule(1e-2, 1, 5, 1.5), n_val=16)
    r = train_heads_many(jnp.stack([n.w_rec for n in nets]), jnp.stack([n.b for n in nets]), ["delay_pro"], cfg,
                         keys=jax.random.split(jax.random.key(7), 2), val_keys=jax.random.split(jax.random.key(8), 2),
                         progress=False)
    np.testing.assert_allclose(np.load(two_devices / "w_in.npy"), np.asarray(r.heads.w_in), rtol=1e-4, atol=1e-6)


def test_lesion_draws_split_across_two_host_devices(two_devices):
    from molap.analysis import perturb
    from molap.methods import TrainedRun
    from molap.methods.frozen import RANDOM, FrozenParams
    from molap.profiles import QUICK
    from molap.tasks import get_tasks
    from molap.training import init_heads

    net = network.init(jax.random.key(0), 1, 1, Layout(100, 2))
    params = FrozenParams(net.w_rec, net.b, init_heads(get_tasks(None), 100, key=jax.random.key(1)))
    nets = RANDOM.task_networks(TrainedRun("random", 0, 0.0, [], None, None, None, None, params), QUICK)
    s = perturb.sweep(nets, "m1", (0.0, 20.0), n_draws=2, n_trials=16, key=jax.random.key(2),
                      test_key=jax.random.key(3))
    r = np.stack([s.paper, s.decision], -1)
    np.testing.assert_allclose(np.load(two_devices / "acc.npy"), r, atol=1e-4)
