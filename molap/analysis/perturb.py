"""Perturbation sweeps of trained networks at test time (spec section 7); nothing is retrained.
The kinds (lesions, noise, silencing) are the rows of :data:`molap.analysis.perturbations.PERTURBATIONS`.

:func:`sweep` evaluates levels x draws x tasks as one vmapped computation (chunked with
``lax.map``) on one fixed test batch per task, so every level and draw sees the same trials.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
from tqdm.auto import tqdm

from molap import network
from molap.analysis.perturbations import (
    check_kind,
    check_levels,
    levels_for,
    perturbation,
)
from molap.errors import MolapError
from molap.metrics import TOLERANCE, window_means
from molap.network import Layout, RNNParams, TaskNetworks
from molap.streams import Stream, stream
from molap.tasks import Task, get_tasks
from molap.training import padded_batches


def sweep_key(seed: int, kind: str) -> jax.Array:
    """The key of a seed's sweep of one kind: fold_in(stream PERTURB, the kind's own stream index),
    so no kind's draws depend on where it sits in :data:`PERTURBATIONS`."""
    return jax.random.fold_in(stream(seed, Stream.PERTURB), perturbation(kind).stream)


def draw_key(key: jax.Array, draw, task=None) -> jax.Array:
    """The key of one draw of a sweep (``task``: the task index, for per-task networks); the sweep
    (:func:`evaluate_perturbed`) and the widgets draw through this one function."""
    k = jax.random.fold_in(jax.random.fold_in(key, draw), 0)
    return k if task is None else jax.random.fold_in(k, task)


def perturbed_draw(kind: str, w_rec: jax.Array, key: jax.Array, draw, level, layout: Layout, task=None):
    """(perturbed w_rec, silence mask or None) of one draw of a sweep with key ``key``: the one
    function through which the sweep (:func:`evaluate_perturbed`) and the widgets perturb."""
    return perturbation(kind).apply(w_rec, draw_key(key, draw, task), level, layout)


def _accuracies(out: jax.Array, y: jax.Array, unit_mask: jax.Array) -> jax.Array:
    """(n_tasks, 2): the paper's score and the decision units' score, in percent."""
    ok = jnp.abs(window_means(out.reshape((-1,) + out.shape[2:])) -
                 window_means(y.reshape((-1,) + y.shape[2:]))) <= TOLERANCE + 1e-6
    ok = ok.reshape(out.shape[:2] + ok.shape[-1:]).mean(1)  # (n_tasks, units)
    paper = jnp.sum(ok * unit_mask, 1) / jnp.sum(unit_mask, 1)
    dec = unit_mask.at[:, 0].set(0.0)
    return 100 * jnp.stack([paper, jnp.sum(ok * dec, 1) / jnp.sum(dec, 1)], -1)


def evaluate_perturbed(params: RNNParams, shared: bool, layout: Layout, kind: str, levels, *, key: jax.Array,
                       n_draws: int, x: jax.Array, y: jax.Array, unit_mask: jax.Array,
                       batch_size: int = 4, task_ids: tuple[int, ...] | None = None) -> jax.Array:
    """(n_levels, n_draws, n_tasks, 2) accuracies (paper's score, decision units) on a fixed batch.
    task_ids: each network's task index in the corpus (default 0..n_tasks-1), which per-task
    networks' draws fold in, so a task subset draws what the full sweep draws."""
    p = params
    n_tasks = p.w_rec.shape[0]
    ids = jnp.arange(n_tasks) if task_ids is None else jnp.asarray(task_ids)

    def one(args):
        level, draw = args
        if shared:  # one network: draw once, every task sees the same perturbed weights
            w, sil = perturbed_draw(kind, p.w_rec[0], key, draw, level, layout)
            w = jnp.broadcast_to(w, p.w_rec.shape)
            sil = None if sil is None else jnp.broadcast_to(sil, (n_tasks,) + sil.shape)
        else:
            w, sil = jax.vmap(lambda w_, i: perturbed_draw(kind, w_, key, draw, level, layout, i))(p.w_rec, ids)
        pp = p._replace(w_rec=w)
        if sil is None:
            out = jax.vmap(network.outputs)(pp, x)
        else:
            out = jax.vmap(lambda q, xi, s: network.outputs(q, xi, silence=s))(pp, x, sil)
        return _accuracies(out, y, unit_mask)

    lv = jnp.asarray(levels, jnp.float32)
    grid_l = jnp.repeat(lv, n_draws)
    grid_d = jnp.tile(jnp.arange(n_draws), lv.shape[0])
    n_dev = jax.local_device_count()
    if n_dev > 1 and grid_l.shape[0] % n_dev == 0:  # (level, draw) pairs split across devices
        from jax.sharding import NamedSharding, PartitionSpec

        from molap.training.sharding import mesh

        split = NamedSharding(mesh(), PartitionSpec("nets"))
        gl, gd = (jax.lax.with_sharding_constraint(g.reshape(n_dev, -1), split) for g in (grid_l, grid_d))
        acc = jax.vmap(lambda a, b: jax.lax.map(one, (a, b), batch_size=batch_size))(gl, gd)
    else:
        acc = jax.lax.map(one, (grid_l, grid_d), batch_size=batch_size)
    return acc.reshape(lv.shape[0], n_draws, n_tasks, 2)


_evaluate_jit = jax.jit(evaluate_perturbed,
                        static_argnames=("shared", "layout", "kind", "n_draws", "batch_size", "task_ids"))


class Sweep(NamedTuple):
    """Accuracy of a trained method under one perturbation kind, every level and draw on one fixed
    test batch per task: levels (n_levels,) in percent (sigma for noise); paper and decision
    (n_levels, n_draws, n_tasks): the paper's score and the decision units' score, in percent."""

    method: str
    kind: str
    levels: np.ndarray
    tasks: list
    paper: np.ndarray
    decision: np.ndarray


def sweep(nets: TaskNetworks, kind: str, levels: Sequence[float] | None = None, *, method: str = "",
          tasks: Sequence[str | Task] | None = None, n_draws: int = 30, n_trials: int = 2000,
          key: jax.Array, test_key: jax.Array, batch_size: int = 4, progress: bool = True) -> Sweep:
    """Accuracy under one perturbation kind of every task's network in ``nets`` (all nine tasks,
    in corpus order; :meth:`molap.methods.Method.task_networks`), on ``tasks`` (default all).
    One compiled evaluation per level (a progress bar over levels; the draws of a level do not
    depend on the others, so this equals one call over all levels)."""
    check_kind(kind)
    lv = check_levels(kind, levels_for(kind) if levels is None else levels)
    if isinstance(n_draws, bool) or not isinstance(n_draws, (int, np.integer)) or n_draws < 1:
        raise MolapError(f"draw count must be a positive integer, got {n_draws!r}")
    all_tasks = get_tasks(None)
    ts = get_tasks(tasks)
    idx = np.array([[t.name for t in all_tasks].index(t.name) for t in ts])
    nets = nets._replace(params=jax.tree.map(lambda a: a[idx], nets.params))
    x, y = (a[idx] for a in padded_batches(all_tasks, test_key, n_trials))  # a subset sees the full sweep's trials
    w_in, w_out = nets.params.w_in.shape[1], nets.params.w_out.shape[2]
    x = jnp.pad(x, ((0, 0),) * 3 + ((0, w_in - x.shape[-1]),))
    y = jnp.pad(y, ((0, 0),) * 3 + ((0, w_out - y.shape[-1]),))
    unit_mask = jnp.asarray([[1.0 if j < t.n_out else 0.0 for j in range(w_out)] for t in ts])
    task_ids = tuple(int(i) for i in idx)
    acc = np.concatenate([
        np.asarray(_evaluate_jit(nets.params, nets.shared, nets.layout, kind, lv[j:j + 1], key=key,
                                 n_draws=int(n_draws), x=x, y=y, unit_mask=unit_mask, batch_size=batch_size,
                                 task_ids=task_ids))
        for j in tqdm(range(len(lv)), desc=f"perturbation sweep {method} {kind} ({n_draws} draws per level)".replace("  ", " "),
                      disable=not progress)])
    return Sweep(method, kind, lv, [t.name for t in ts], acc[..., 0], acc[..., 1])
