"""Task heads: every task's input and readout weights on one shared reservoir, stacked on a task
axis and padded to the widest task (:class:`Heads`), with the padded batches and forward pass."""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from molap import network
from molap.network import Layout, RNNParams
from molap.tasks import Task, sample
from molap.training.fused import task_outputs


class Heads(NamedTuple):
    """Stacked task heads, padded to the widest task: w_in (n_tasks, max_in, N),
    w_out (n_tasks, N, max_out), b_out (n_tasks, max_out)."""

    w_in: jax.Array
    w_out: jax.Array
    b_out: jax.Array


def _widths(tasks: Sequence[Task]) -> tuple[int, int]:
    return max(t.n_in for t in tasks), max(t.n_out for t in tasks)


def head_masks(tasks: Sequence[Task], n_units: int) -> tuple[Heads, jax.Array]:
    """(trainable mask as Heads, output-unit mask (n_tasks, max_out)) for padded heads."""
    mi, mo = _widths(tasks)
    rows = np.array([[1.0 if j < t.n_in else 0.0 for j in range(mi)] for t in tasks], np.float32)
    cols = np.array([[1.0 if j < t.n_out else 0.0 for j in range(mo)] for t in tasks], np.float32)
    mask = Heads(
        w_in=jnp.asarray(np.repeat(rows[:, :, None], n_units, 2)),
        w_out=jnp.asarray(np.repeat(cols[:, None, :], n_units, 1)),
        b_out=jnp.asarray(cols),
    )
    return mask, jnp.asarray(cols)


def init_heads(tasks: Sequence[Task], n_units: int, *, key: jax.Array) -> Heads:
    """Fresh heads, one key per task (fold_in by task index); padded entries are zero."""
    mi, mo = _widths(tasks)
    w_in, w_out = [], []
    for i, t in enumerate(tasks):
        p = network.init(jax.random.fold_in(key, i), t.n_in, t.n_out, Layout(n_units, 1))
        w_in.append(jnp.pad(p.w_in, ((0, mi - t.n_in), (0, 0))))
        w_out.append(jnp.pad(p.w_out, ((0, 0), (0, mo - t.n_out))))
    return Heads(jnp.stack(w_in), jnp.stack(w_out), jnp.zeros((len(tasks), mo)))


def padded_batches(tasks: Sequence[Task], key: jax.Array, n: int) -> tuple[jax.Array, jax.Array]:
    """One batch per task (key fold_in(key, i)), padded: x (n_tasks, n, 110, max_in), y likewise."""
    mi, mo = _widths(tasks)
    xs, ys = [], []
    for i, t in enumerate(tasks):
        b = sample(t, jax.random.fold_in(key, i), n)
        xs.append(jnp.pad(b.inputs, ((0, 0), (0, 0), (0, mi - t.n_in))))
        ys.append(jnp.pad(b.targets, ((0, 0), (0, 0), (0, mo - t.n_out))))
    return jnp.stack(xs), jnp.stack(ys)


def heads_forward(w_rec: jax.Array, b: jax.Array, heads: Heads, x: jax.Array, *, silence=None) -> jax.Array:
    """All tasks through one frozen reservoir: x (n_tasks, B, 110, max_in) -> (n_tasks, B, 110, max_out).

    Without ``silence`` this is :func:`molap.training.fused.task_outputs` (one matrix product over
    every task's trials per step, the hand-written backward pass); with it, :func:`molap.network.outputs`
    per task with the silenced units clamped to zero.
    """
    n = w_rec.shape[0]
    if silence is None:
        zeros = jnp.zeros((heads.w_in.shape[0], n))
        return task_outputs(RNNParams(heads.w_in, w_rec, b, heads.w_out, heads.b_out, zeros), x)

    def one(w_in, w_out, b_out, xi):
        p = RNNParams(w_in, w_rec, b, w_out, b_out, jnp.zeros((n,)))
        return network.outputs(p, xi, silence=silence)

    return jax.vmap(one)(heads.w_in, heads.w_out, heads.b_out, x)
