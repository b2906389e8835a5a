import jax
import jax.numpy as jnp
import numpy as np
import pytest

from molap import MolapError, Task, on, sample, sample_corpus, tasks
from molap.tasks import ANGLES, GO, LEAD, NOISE_STD, STIM_ON

KEY = jax.random.key(0)


@pytest.fixture(scope="module")
def corpus():
    return sample_corpus(None, KEY, 400)


def test_shapes_and_channel_counts(corpus):
    assert list(corpus) == list(tasks.TASK_NAMES)
    assert sum(b.inputs.shape[-1] for b in corpus.values()) == 25
    assert sum(b.targets.shape[-1] for b in corpus.values()) == 22
    for name, b in corpus.items():
        t = tasks.get_task(name)
        assert b.inputs.shape == (400, 110, t.n_in) and b.inputs.dtype == jnp.float32
        assert b.targets.shape == (400, 110, t.n_out) and b.targets.dtype == jnp.float32


def test_epochs():
    assert tasks.epoch_table() == [
        dict(epoch="leading zeros", start=0, end=10, steps=10),
        dict(epoch="fixation", start=10, end=35, steps=25),
        dict(epoch="stimulus / memory", start=35, end=85, steps=50),
        dict(epoch="response", start=85, end=110, steps=25),
    ]


def _raw(batch, task):
    """Undo the affine scaling."""
    r_in, r_out = task.scale()
    return batch.inputs * 2 * r_in - r_in, batch.targets * 2 * r_out - r_out


def test_targets_match_definitions(corpus):
    th1 = ANGLES[corpus["delay_pro"].theta1][:, None]
    for name, b in corpus.items():
        t = tasks.get_task(name)
        _, y = _raw(b, t)
        th2 = ANGLES[b.theta2][:, None]
        fix = on(LEAD, GO)
        np.testing.assert_allclose(y[:, :, 0], jnp.broadcast_to(fix, y.shape[:2]), atol=1e-5)
        resp = y[:, GO:, 1:]
        pre = y[:, :GO, 1:]
        np.testing.assert_allclose(pre, 0, atol=1e-5)
        c1, s1, c2, s2 = jnp.cos(th1), jnp.sin(th1), jnp.cos(th2), jnp.sin(th2)
        expected = {
            "delay_pro": (c1, s1), "mem_pro": (c1, s1),
            "delay_anti": (-c1, -s1), "mem_anti": (-c1, -s1),
            "mem_dm1": (jnp.maximum(c1, c2),), "context_mem_dm1": (jnp.maximum(c1, c2),),
            "mem_dm2": (jnp.maximum(s1, s2),), "context_mem_dm2": (jnp.maximum(s1, s2),),
            "multi_mem": (jnp.maximum(c1 + s1, c2 + s2),),
        }[name]
        for j, e in enumerate(expected):
            np.testing.assert_allclose(resp[:, :, j], jnp.broadcast_to(e, resp.shape[:2]), atol=1e-5)


def test_anti_is_opposite(corpus):
    for pro, anti in (("delay_pro", "delay_anti"), ("mem_pro", "mem_anti")):
        a = corpus[pro].targets[:, GO:, 1:] - 0.5
        b = corpus[anti].targets[:, GO:, 1:] - 0.5
        np.testing.assert_allclose(a, -b, atol=1e-6)


def test_decision_targets_are_the_larger_pulse(corpus):
    b = corpus["mem_dm1"]
    x, y = _raw(b, tasks.get_task("mem_dm1"))
    p1 = x[:, 35:45, 1].mean(1)  # noisy pulse means
    p2 = x[:, 65:75, 1].mean(1)
    larger = jnp.where(p1 > p2, p1, p2)
    clear = jnp.abs(p1 - p2) > 0.1
    np.testing.assert_allclose(larger[clear], y[clear, GO, 1], atol=0.05)


def test_stimulus_timing(corpus):
    x, _ = _raw(corpus["delay_pro"], tasks.get_task("delay_pro"))
    assert float(jnp.abs(x[:, :STIM_ON, 1:]).max()) < 0.15  # noise only
    x, _ = _raw(corpus["mem_pro"], tasks.get_task("mem_pro"))
    assert float(jnp.abs(x[:, GO:, 1:]).max()) < 0.15  # off at go


def test_determinism_and_alignment():
    a = sample("multi_mem", KEY, 50)
    b = sample("multi_mem", KEY, 50)
    c = sample("multi_mem", jax.random.key(1), 50)
    assert bool(jnp.all(a.inputs == b.inputs)) and bool(jnp.all(a.targets == b.targets))
    assert not bool(jnp.all(a.inputs == c.inputs))
    full = sample_corpus(None, KEY, 50)
    assert bool(jnp.all(full["multi_mem"].inputs == a.inputs))
    assert all(bool(jnp.all(v.theta1 == a.theta1)) for v in full.values())
    fix = [v.inputs[:, :, 0] for v in full.values()]
    assert all(bool(jnp.all(f == fix[0])) for f in fix)
    assert bool(jnp.all(full["mem_pro"].inputs == full["mem_anti"].inputs))
    assert not bool(jnp.all(full["delay_pro"].inputs == full["delay_anti"].inputs))
    assert not bool(jnp.all(full["mem_dm1"].theta2 == full["mem_dm2"].theta2))


def test_noise_statistics():
    b = sample("delay_pro", KEY, 2000)
    x, _ = _raw(b, tasks.get_task("delay_pro"))
    clean = jax.vmap(tasks.get_task("delay_pro").clean)(ANGLES[b.theta1], ANGLES[b.theta2])[0]
    noise = x - clean
    assert float(jnp.abs(noise[:, :LEAD]).max()) == 0.0
    assert abs(float(noise[:, LEAD:].std()) - NOISE_STD) < 2e-4
    assert abs(float(noise[:, LEAD:].mean())) < 2e-4
    # the angles are uniform over the 36-angle grid
    counts = np.bincount(np.asarray(b.theta1), minlength=36)
    assert counts.min() > 20 and counts.max() < 100


def test_scaling_bounds():
    for name in tasks.TASK_NAMES:
        t = tasks.get_task(name)
        a1, a2 = jnp.meshgrid(ANGLES, ANGLES, indexing="ij")
        x, y = jax.vmap(t.clean)(a1.ravel(), a2.ravel())
        r_in, r_out = t.scale()
        for v, r in ((x, r_in), (y, r_out)):
            s = (v + r) / (2 * r)
            assert float(s.min()) >= -1e-6 and float(s.max()) <= 1 + 1e-6
    assert tasks.get_task("delay_pro").scale() == (1.0, 1.0)
    assert tasks.get_task("multi_mem").scale()[1] == pytest.approx(1.4088, abs=1e-4)


def test_minmax_scaling_option():
    b = sample("delay_pro", KEY, 100, scaling="minmax")
    assert float(b.inputs.min()) == 0.0 and float(b.inputs.max()) == pytest.approx(1.0)
    with pytest.raises(MolapError, match="scaling"):
        sample("delay_pro", KEY, 10, scaling="zscore")


def test_jittable_and_vmappable():
    f = jax.jit(lambda k: sample("mem_dm2", k, 8).inputs)
    keys = jax.random.split(KEY, 3)
    out = jax.vmap(f)(keys)
    assert out.shape == (3, 8, 110, 2)
    np.testing.assert_array_equal(out[0], sample("mem_dm2", keys[0], 8).inputs)


def test_custom_task():
    def sig(trial):
        return on(35, 85)[:, None] * jnp.cos(trial.theta1) * 2, on(85, 110)[:, None] * jnp.sin(trial.theta1)

    t = Task("double", ("c",), ("s",), sig)
    assert t.scale() == (2.0, 1.0)
    b = sample(t, KEY, 10)
    assert b.inputs.shape == (10, 110, 2) and b.targets.shape == (10, 110, 2)


@pytest.mark.parametrize("bad", [0, -3, 2.5, "10", True])
def test_bad_trial_counts(bad):
    with pytest.raises(MolapError, match="positive integer"):
        sample("delay_pro", KEY, bad)


def test_unknown_and_empty_tasks():
    with pytest.raises(MolapError, match="unknown task 'nope'"):
        sample("nope", KEY, 10)
    with pytest.raises(MolapError, match="empty"):
        sample_corpus([], KEY, 10)
    with pytest.raises(MolapError, match="more than once"):
        sample_corpus(["mem_pro", "mem_pro"], KEY, 10)


PINNED = {  # sha256 (16 hex digits) of sample(task, key(0), 16)'s arrays rounded to 4 decimals
    "delay_pro": "27e937206ba45f0e",
    "delay_anti": "979c7d3220787bf6",
    "mem_pro": "056b1fbf098ae111",
    "mem_anti": "e1896b595702f5bb",
    "mem_dm1": "f23820c94a1fbf32",
    "mem_dm2": "508cc4a097234657",
    "context_mem_dm1": "bdbc1746db8419e3",
    "context_mem_dm2": "972311c0e83d4115",
    "multi_mem": "a705e4fc56ecfa8b",
}


@pytest.mark.parametrize("name", list(PINNED))
def test_the_nine_tasks_arrays_are_pinned(name):
    """Changes to the task API must leave every corpus task's trials (and so every cached result) as they are."""
    import hashlib

    b = sample(name, jax.random.key(0), 16)
    h = hashlib.sha256()
    for a in (b.inputs, b.targets, b.theta1, b.theta2):
        h.update(np.round(np.asarray(a, np.float64), 4).tobytes())
    assert h.hexdigest()[:16] == PINNED[name]
