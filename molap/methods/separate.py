"""Separate networks: one N = 100 network per task, every weight trained (spec 5.4).

All nine networks start from the same recurrent weights as MoLaP's initial network and train
together in one vmapped step (inputs and outputs padded to the widest task and masked).
"""

from __future__ import annotations

from typing import Sequence

import jax
import jax.numpy as jnp

from .. import network
from ..network import RNNParams
from ..tasks import Task
from ..training import HeadConfig, HeadsResult, _keys, fold_keys, head_masks, init_heads, train_stacked, unstack


def stacked_forward(params: RNNParams, x: jax.Array, *, silence=None) -> jax.Array:
    """Per-task networks stacked on axis 0: x (n_tasks, B, 110, max_in) -> outputs."""
    return jax.vmap(lambda p, xi: network.run(p, xi, silence=silence)[0])(params, x)


def init_separate(tasks: Sequence[Task], init: RNNParams, *, key: jax.Array) -> tuple[RNNParams, RNNParams]:
    """(stacked parameters, stacked trainable mask): W_rec and b from ``init`` for every task."""
    n, k = init.w_rec.shape[0], len(tasks)
    heads = init_heads(tasks, n, key=key)
    hmask, _ = head_masks(tasks, n)
    rep = lambda a: jnp.broadcast_to(a, (k,) + a.shape)  # noqa: E731
    params = RNNParams(heads.w_in, rep(init.w_rec), rep(init.b), heads.w_out, heads.b_out, jnp.zeros((k, n)))
    mask = RNNParams(hmask.w_in, jnp.ones((k, n, n)), jnp.ones((k, n)), hmask.w_out, hmask.b_out, jnp.zeros((k, n)))
    return params, mask


def train_separate_many(tasks: Sequence[Task], inits: RNNParams, config: HeadConfig, *, keys: jax.Array,
                        val_keys: jax.Array, lr_scale=None, progress: bool = True) -> HeadsResult:
    """:func:`train_separate` for K initial networks at once (every field of ``inits`` with a
    leading axis K; keys, val_keys and lr_scale (K,))."""
    keys = _keys(keys)
    params, mask = jax.vmap(lambda i, k: init_separate(tasks, i, key=jax.random.fold_in(k, 0)))(inits, keys)
    return train_stacked(lambda p, x, d: stacked_forward(p, x), params, mask, tasks, config,
                         lambda p: config.l2 * (jnp.sum(p.w_in ** 2) + jnp.sum(p.w_rec ** 2)),
                         key=fold_keys(keys, 1), val_key=val_keys, lr_scale=lr_scale,
                         desc=f"training separate networks ({len(keys)} sets)" if progress else None)


def train_separate(tasks: Sequence[Task], init: RNNParams, config: HeadConfig, *, key: jax.Array,
                   val_key: jax.Array, progress: bool = True) -> HeadsResult:
    """Train one full network per task; L2 on W_in and W_rec."""
    res = train_separate_many(tasks, jax.tree.map(lambda a: jnp.asarray(a)[None], init), config, keys=key[None],
                              val_keys=val_key[None], progress=progress)
    return unstack(res, 0)
