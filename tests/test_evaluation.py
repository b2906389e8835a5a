"""evaluate_many: K networks drawn, run and scored on the device in one call, equal to evaluate."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from molap import metrics
from molap.errors import MolapError
from molap.tasks import get_tasks
from molap.training import evaluate, evaluate_many
from molap.training.heads import heads_forward, init_heads, padded_batches

N, K = 24, 3


def _networks(scale=1.0):
    tasks = get_tasks(None)
    keys = jax.random.split(jax.random.key(3), K)
    w = 1.5 / N ** 0.5 * jax.random.normal(jax.random.key(1), (K, N, N))
    b = 0.1 * jax.random.normal(jax.random.key(2), (K, N))
    heads = jax.vmap(lambda k: init_heads(tasks, N, key=k))(keys)
    heads = heads._replace(w_out=heads.w_out * scale)
    return tasks, w, b, heads, jax.random.split(jax.random.key(4), K)


def _forward(h, x, d):
    return heads_forward(d[0], d[1], h, x)


def _eager(outputs, targets, window):
    """The scores as computed eagerly, one JAX operation at a time (the code before scores were
    counted on the device): the committed results were scored this way; its means differ from the
    correctly rounded ones in the last bit of float32 at most."""
    paper = metrics.correct_paper(outputs, targets, window)
    code = metrics.correct_code(outputs, targets, window)
    trivial = metrics._best_constant(metrics.window_means(targets, window)).at[0].set(1.0)
    return metrics.Scores(float(100 * paper.mean()), float(100 * code.mean()), float(100 * paper[:, 1:].mean()),
                          float(100 * trivial.mean()), float(100 * trivial[1:].mean()))


def test_evaluate_many_equals_evaluate_one_network_at_a_time():
    tasks, w, b, heads, vkeys = _networks()
    many = evaluate_many(_forward, heads, (w, b), tasks, keys=vkeys, n_trials=40)
    for j in range(K):
        hj = jax.tree.map(lambda a: a[j], heads)
        one = evaluate(lambda h, x: heads_forward(w[j], b[j], h, x), hj, tasks, key=vkeys[j], n_trials=40)
        assert many[j] == one  # every score of every task, exactly
        x, y = padded_batches(tasks, vkeys[j], 40)
        o = heads_forward(w[j], b[j], hj, x)
        for i, t in enumerate(tasks):
            np.testing.assert_allclose(one[t.name], _eager(o[i, ..., :t.n_out], y[i, ..., :t.n_out], t.scored_window),
                                       rtol=3e-7)
    assert len({s.paper for m in many for s in m.values()}) > 3  # the scores differ: not a constant


def test_evaluate_many_refuses_non_finite_outputs():
    tasks, w, b, heads, vkeys = _networks(scale=jnp.nan)
    with pytest.raises(MolapError, match="NaN or inf"):
        evaluate_many(_forward, heads, (w, b), tasks, keys=vkeys, n_trials=8)
