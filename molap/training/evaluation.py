"""Scoring trained networks on fresh trials: :func:`evaluate` (one network), :func:`evaluate_heads`
(heads on a frozen reservoir) and :func:`evaluate_many` (K networks, one compiled forward pass)."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import jax
import jax.numpy as jnp
import numpy as np

from molap.errors import MolapError
from molap.metrics import NON_FINITE_OUTPUTS, Scores, score, score_counts, scores_from_counts
from molap.streams import check_key
from molap.tasks import Task, get_tasks
from molap.training.heads import Heads, heads_forward, padded_batches
from molap.training.trainer import as_keys


def evaluate(forward: Callable, params, tasks: Sequence[str | Task], *, key: jax.Array,
             n_trials: int) -> dict[str, Scores]:
    """Scores of every task (names or :class:`Task` objects) on ``n_trials`` fresh trials from
    ``key``; forward(params, x) -> outputs."""
    tasks = get_tasks(tasks)
    check_key(key)
    x, y = padded_batches(tasks, key, n_trials)
    out = forward(params, x)
    return {t.name: score(out[i, ..., :t.n_out], y[i, ..., :t.n_out], t.scored_window) for i, t in enumerate(tasks)}


_heads_forward_jit = jax.jit(heads_forward)


def evaluate_heads(w_rec, b, heads: Heads, tasks: Sequence[str | Task], *, key: jax.Array, n_trials: int,
                   silence=None) -> dict[str, Scores]:
    """Scores of every task's head on the frozen reservoir (w_rec, b)."""
    return evaluate(lambda h, x: _heads_forward_jit(w_rec, b, h, x, silence=silence), heads, tasks, key=key,
                    n_trials=n_trials)


_EVAL_FNS: dict = {}


def _eval_fn(forward: Callable, tasks: tuple, n_trials: int):
    """One compiled function per forward pass, task list (the Task objects: two tasks of one name
    may differ) and size: (K-stacked params, data, keys (K,)) -> (per task :func:`score_counts` (leading axis K), finite
    (K, n_tasks)), every network's trials drawn, run and counted on the device."""
    k = (forward, tuple(tasks), n_trials)
    if k not in _EVAL_FNS:
        def one(p, d, key):
            x, y = padded_batches(tasks, key, n_trials)
            o = forward(p, x, d)
            outs = [(o[i, ..., :t.n_out], y[i, ..., :t.n_out], t.scored_window) for i, t in enumerate(tasks)]
            return [score_counts(a, b, w) for a, b, w in outs], jnp.stack([jnp.isfinite(a).all() for a, _, _ in outs])

        _EVAL_FNS[k] = jax.jit(jax.vmap(one))  # data None: an empty pytree, nothing mapped
    return _EVAL_FNS[k]


def evaluate_many(forward: Callable, params, data, tasks: Sequence[Task], *, keys: jax.Array,
                  n_trials: int) -> list[dict[str, Scores]]:
    """:func:`evaluate` for K networks (leading axis K on params and data; keys (K,)): the K
    networks' trials are drawn, run and scored in one compiled, vmapped call with one transfer
    to the host (scores equal to :func:`evaluate`'s one network at a time); forward(params, x,
    data) -> outputs."""
    keys = as_keys(keys)
    counts, finite = jax.device_get(_eval_fn(forward, tuple(tasks), n_trials)(params, data, keys))
    if not np.all(finite):
        raise MolapError(NON_FINITE_OUTPUTS)
    return [{t.name: scores_from_counts(*(c[j] for c in counts[i]), n_trials=n_trials) for i, t in enumerate(tasks)}
            for j in range(len(keys))]
