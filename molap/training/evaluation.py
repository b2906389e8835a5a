"""Scoring trained networks on fresh trials: :func:`evaluate` (one network), :func:`evaluate_heads`
(heads on a frozen reservoir) and :func:`evaluate_many` (K networks, one compiled forward pass)."""

from __future__ import annotations

from typing import Callable, Sequence

import jax

from ..metrics import Scores, score
from ..streams import check_key
from ..tasks import Task, get_tasks
from .heads import Heads, heads_forward, padded_batches
from .trainer import as_keys


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
    """One compiled (outputs, targets) function per forward pass, task list (the Task objects: two
    tasks of one name may differ) and size."""
    k = (forward, tuple(tasks), n_trials)
    if k not in _EVAL_FNS:
        _EVAL_FNS[k] = jax.jit(lambda p, d, key: (forward(p, padded_batches(tasks, key, n_trials)[0], d),
                                                  padded_batches(tasks, key, n_trials)[1]))
    return _EVAL_FNS[k]


def evaluate_many(forward: Callable, params, data, tasks: Sequence[Task], *, keys: jax.Array,
                  n_trials: int) -> list[dict[str, Scores]]:
    """:func:`evaluate` for K networks (leading axis K on params and data; keys (K,)), one after
    the other with one compiled forward pass; forward(params, x, data) -> outputs."""
    keys = as_keys(keys)
    fwd = _eval_fn(forward, tuple(tasks), n_trials)
    out = []
    for j in range(len(keys)):
        pick = lambda a: a[j]  # noqa: E731
        o, y = fwd(jax.tree.map(pick, params), None if data is None else jax.tree.map(pick, data), keys[j])
        out.append({t.name: score(o[i, ..., :t.n_out], y[i, ..., :t.n_out], t.scored_window) for i, t in enumerate(tasks)})
    return out
