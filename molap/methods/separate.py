"""Separate networks: one N = 100 network per task, every weight trained (spec 5.4).

All nine networks start from the same recurrent weights as MoLaP's initial network and train
together in one vmapped step (inputs and outputs padded to the widest task and masked).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import jax
import jax.numpy as jnp

from molap import network
from molap.methods import base
from molap.methods.base import RunSpec, TrainedRun
from molap.methods.counts import ParameterCounts, count
from molap.network import RNNParams, TaskNetworks
from molap.tasks import Task, get_tasks
from molap.training import (
    HeadsResult,
    TaskTraining,
    as_keys,
    evaluate,
    fold_keys,
    head_masks,
    init_heads,
    scale_fields,
    task_outputs,
    train_stacked,
    unstack,
)


def stacked_forward(params: RNNParams, x: jax.Array, *, silence=None) -> jax.Array:
    """Per-task networks stacked on axis 0: x (n_tasks, B, 110, max_in) -> outputs (the fused
    :func:`molap.training.fused.task_outputs` unless units are silenced)."""
    if silence is None:
        return task_outputs(params, x)
    return jax.vmap(lambda p, xi: network.outputs(p, xi, silence=silence))(params, x)


def init_separate(tasks: Sequence[Task], init: RNNParams, *, key: jax.Array) -> tuple[RNNParams, RNNParams]:
    """(stacked parameters, stacked trainable mask): W_rec and b from ``init`` for every task."""
    n, k = init.w_rec.shape[0], len(tasks)
    heads = init_heads(tasks, n, key=key)
    hmask, _ = head_masks(tasks, n)
    rep = lambda a: jnp.broadcast_to(a, (k,) + a.shape)  # noqa: E731
    params = RNNParams(heads.w_in, rep(init.w_rec), rep(init.b), heads.w_out, heads.b_out, jnp.zeros((k, n)))
    mask = RNNParams(hmask.w_in, jnp.ones((k, n, n)), jnp.ones((k, n)), hmask.w_out, hmask.b_out, jnp.zeros((k, n)))
    return params, mask


RECURRENT_LR_SCALE = 0.1
"""The recurrent weights and bias of a separate network learn at this fraction of the learning
rate of its input and readout weights."""


def train_separate_many(tasks: Sequence[Task], inits: RNNParams, config: TaskTraining, *, keys: jax.Array,
                        val_keys: jax.Array, lr_scale=None, recurrent_lr_scale: float = RECURRENT_LR_SCALE,
                        progress: bool = True) -> HeadsResult:
    """:func:`train_separate` for K initial networks at once (every field of ``inits`` with a
    leading axis K; keys, val_keys and lr_scale (K,)). The recurrent weights and bias learn at
    ``recurrent_lr_scale`` times the learning rate (1: every weight alike)."""
    keys = as_keys(keys)
    params, mask = jax.vmap(lambda i, k: init_separate(tasks, i, key=jax.random.fold_in(k, 0)))(inits, keys)
    return train_stacked(lambda p, x, d: stacked_forward(p, x), params, mask, tasks, config,
                         lambda p: config.l2 * (jnp.sum(p.w_in ** 2) + jnp.sum(p.w_rec ** 2)),
                         key=fold_keys(keys, 1), val_key=val_keys, lr_scale=lr_scale,
                         tx=scale_fields(config.optimizer(), {"w_rec": recurrent_lr_scale, "b": recurrent_lr_scale}),
                         desc=f"training separate networks ({len(keys)} sets)" if progress else None)


def train_separate(tasks: Sequence[Task], init: RNNParams, config: TaskTraining, *, key: jax.Array,
                   val_key: jax.Array, recurrent_lr_scale: float = RECURRENT_LR_SCALE,
                   progress: bool = True) -> HeadsResult:
    """Train one full network per task; L2 on W_in and W_rec; the recurrent weights and bias at
    ``recurrent_lr_scale`` times the learning rate."""
    res = train_separate_many(tasks, jax.tree.map(lambda a: jnp.asarray(a)[None], init), config, keys=key[None],
                              val_keys=val_key[None], recurrent_lr_scale=recurrent_lr_scale, progress=progress)
    return unstack(res, 0)


_forward = jax.jit(stacked_forward)


@dataclass(frozen=True)
class Separate(base.TrainsTasksTogether):
    """One network per task, every weight trained (:func:`train_separate_many`), the recurrent
    weights and bias at ``recurrent_lr_scale`` times the learning rate of the input and readout
    weights (which learn at the rate every method's heads do)."""

    name: str = "separate"
    family: str = "separate"
    summary: str = "one network per task, every weight trained (recurrent weights at a tenth of the learning rate)"
    recurrent_lr_scale: float = RECURRENT_LR_SCALE

    def key(self, profile) -> dict:
        k = {"network": profile.network}
        return k if self.recurrent_lr_scale == 1.0 else {**k, "recurrent_lr_scale": self.recurrent_lr_scale}

    def train(self, profile, specs: Sequence[RunSpec], *, tasks=None, pilot: bool = False, progress: bool = True):
        tasks = get_tasks(tasks)
        recipe, scale = base.shared_recipe(specs)
        keys, val_keys, test_keys = base.run_keys(specs, pilot=pilot)
        inits = base.stack([base.initial_network(profile, s.seed) for s in specs])
        res = train_separate_many(tasks, inits, recipe, keys=keys, val_keys=val_keys, lr_scale=scale,
                                  recurrent_lr_scale=self.recurrent_lr_scale, progress=progress)
        runs = []
        for j, s in enumerate(specs):
            r = unstack(res, j)
            test = None if pilot else evaluate(_forward, r.heads, tasks, key=test_keys[j],
                                               n_trials=profile.evaluation.n_test)
            runs.append(TrainedRun(s.method, s.seed, s.recipe.schedule.lr, [t.name for t in tasks], test, r.curve_steps,
                                   r.curve, r.losses, r.heads))
        return runs

    def task_networks(self, run: TrainedRun, profile) -> TaskNetworks:
        return TaskNetworks(run.params, False, profile.network.layout)

    def counts(self, tasks, profile) -> ParameterCounts:
        n = []
        for t in tasks:
            p = network.init(jax.random.key(0), t.n_in, t.n_out, profile.network.layout)
            n.append(count(p, network.trainable(p, w_in=True, w_rec=True, b=True, w_out=True, b_out=True)))
        return ParameterCounts(sum(n), sum(n), sum(n) / len(n), sum(n))


SEPARATE = Separate()
