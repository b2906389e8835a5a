"""An independent re-evaluation of committed trained networks: the stored weights run by a plain
NumPy forward pass on fresh trials (a key no stream of the pipeline uses), scored by a NumPy
version of the decision-unit rule, agree with the committed test accuracies within sampling
error."""

import jax
import numpy as np
import pytest

from molap import methods, store
from molap import pipeline as P
from molap.profiles import get_profile
from molap.tasks import TASK_NAMES, get_task, sample

FRESH = 1000  #: fresh trials per task
FRESH_KEY = 20261201  #: a key outside the pipeline's streams


def numpy_forward(w_in, w_rec, b, w_out, b_out, h0, x):
    """h_t = tanh(x_t W_in + b + h_{t-1} W_rec) from h0; y_t = h_t W_out + b_out. x (B, T, n_in)."""
    h = np.broadcast_to(h0, (x.shape[0], w_rec.shape[0])).astype(np.float64)
    ys = []
    for t in range(x.shape[1]):
        h = np.tanh(x[:, t] @ w_in + b + h @ w_rec)
        ys.append(h @ w_out + b_out)
    return np.stack(ys, 1)


def decision_accuracy(y, target) -> float:
    """% of (trial, decision unit) pairs whose mean over the last 30 steps is within 0.1 of the target's."""
    m, ms = y[:, -30:].mean(1), target[:, -30:].mean(1)
    return float(100 * (np.abs(m - ms)[:, 1:] <= 0.1 + 1e-6).mean())


@pytest.mark.parametrize("profile, method, seed", [
    ("quick", "molap", 0), ("quick", "separate", 0), ("standard", "molap", 0), ("standard", "random", 0),
    ("standard", "separate", 0),
    # networks of the seeds added for the verdicts (the frozen family to 20 seeds, separate networks to 10)
    ("standard", "molap", 5), ("standard", "pca", 9), ("standard", "random", 14), ("standard", "pca", 19),
    ("standard", "separate", 7)])
def test_committed_networks_score_the_same_on_fresh_trials(profile, method, seed, committed_only):
    p = get_profile(profile)
    if seed not in P.seeds_of(p, method):
        pytest.skip(f"seed {seed} is not among {profile}'s {method} seeds")
    with store.read_only():
        try:
            run = P.trained(p, method, seed)
        except store.MissingResult:
            pytest.skip(f"{profile} {method} not committed")
    nets = methods.get(method).task_networks(run, p).params
    diffs = []
    for i, name in enumerate(TASK_NAMES):
        t = get_task(name)
        batch = sample(t, jax.random.fold_in(jax.random.key(FRESH_KEY), i), FRESH)
        x, target = np.asarray(batch.inputs, np.float64), np.asarray(batch.targets, np.float64)
        q = [np.asarray(a[i], np.float64) for a in nets]  # w_in, w_rec, b, w_out, b_out, h0
        y = numpy_forward(q[0][:t.n_in], q[1], q[2], q[3][:, :t.n_out], q[4][:t.n_out], q[5], x)
        ours, committed = decision_accuracy(y, target), run.test[name].decision
        pq = max(committed, 1.0) / 100
        se = 100 * np.sqrt(pq * (1 - pq) * (1 / FRESH + 1 / p.evaluation.n_test))
        diffs.append((name, ours, committed, se))
    bad = [d for d in diffs if abs(d[1] - d[2]) > 4 * d[3] + 1.0]
    assert not bad, f"re-evaluated vs committed (task, ours, committed, se): {bad}"
