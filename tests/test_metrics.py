import jax
import jax.numpy as jnp
import numpy as np
import pytest

from molap import MolapError, metrics, sample, sample_corpus

KEY = jax.random.key(3)


def test_exact_targets_score_100():
    for name, b in sample_corpus(None, KEY, 300).items():
        s = metrics.score(b.targets, b.targets)
        assert s.paper == 100.0 and s.decision == 100.0, name
        assert s.code == 100.0 or name in ("delay_pro", "delay_anti", "mem_pro", "mem_anti"), name


def test_random_guesses_score_near_chance():
    b = sample("delay_pro", KEY, 2000)
    guess = jax.random.uniform(KEY, (2000, 1, 3))
    s = metrics.score(jnp.broadcast_to(guess, b.targets.shape), b.targets)
    assert 10 < s.paper < 25  # a 0.2-wide window on [0, 1]


def test_paper_rule_is_absolute():
    t = jnp.full((4, 110, 2), 0.5)
    o = t.at[:, -30:, 1].add(jnp.array([0.05, 0.099, 0.11, -0.2])[:, None])
    c = np.asarray(metrics.correct_paper(o, t))
    assert c[:, 0].all() and c[:, 1].tolist() == [True, True, False, False]
    s = metrics.score(o, t)
    assert s.paper == pytest.approx(75.0) and s.decision == pytest.approx(50.0)


def test_code_rule_is_relative():
    t = jnp.full((3, 110, 2), 0.5)
    o = t.at[:, -30:, 1].multiply(jnp.array([1.05, 1.12, 0.85])[:, None])
    o = o.at[:, -30:, 0].multiply(jnp.array([1.12, 1.12, 1.12])[:, None])
    c = np.asarray(metrics.correct_code(o, t))
    assert c[:, 0].tolist() == [True, True, True]  # 15% tolerance for fixation
    assert c[:, 1].tolist() == [True, False, False]


def test_window_is_last_30_steps():
    t = jnp.zeros((1, 110, 2))
    o = t.at[:, :80].set(1.0)  # wrong only before the window
    assert metrics.accuracy(o, t) == 100.0
    o = t.at[:, 80:].set(1.0)
    assert metrics.accuracy(o, t) == 0.0


def test_trivial_policy():
    # targets whose decision means are 0.9 for 70% of trials and 0.1 for 30%
    m = jnp.where(jnp.arange(100) < 70, 0.9, 0.1)
    t = jnp.broadcast_to(m[:, None, None], (100, 110, 2)).at[:, :, 0].set(1.0)
    s = metrics.score(t, t)
    assert s.trivial_decision == pytest.approx(70.0) and s.trivial == pytest.approx(85.0)


@pytest.mark.parametrize("shapes", [((5, 110, 3), (5, 110, 2)), ((110, 3), (110, 3)), ((5, 10, 3), (5, 10, 3)),
                                    ((5, 110, 1), (5, 110, 1))])
def test_bad_shapes(shapes):
    a, b = (jnp.zeros(s) for s in shapes)
    with pytest.raises(MolapError):
        metrics.score(a, b)
