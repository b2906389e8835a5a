"""The generic training loop: masked Adam on any parameter pytree (:class:`Trainer`, :func:`fit`).

Frozen entries are left bit-identical (the update is applied with ``where``), a fresh batch is
drawn every step from ``fold_in(key, step)``, steps run as a jitted ``lax.scan`` in chunks, and a
NaN loss stops training with an error.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass

import jax
import jax.numpy as jnp
import numpy as np
import optax
from tqdm.auto import tqdm

from molap.errors import MolapError
from molap.store import checkpoint


@dataclass(frozen=True)
class Schedule:
    """Adam with a piecewise-constant learning rate: ``n_blocks`` blocks, lr divided by ``decay``
    after each."""

    lr: float
    n_blocks: int
    block_steps: int
    decay: float

    def __post_init__(self):
        def count(v, lo):
            return not isinstance(v, bool) and isinstance(v, (int, np.integer)) and v >= lo

        def finite(v):
            return not isinstance(v, bool) and isinstance(v, (int, float, np.number)) and bool(np.isfinite(v))

        if self.lr is not None and not (finite(self.lr) and self.lr >= 0):
            raise MolapError(f"lr must be a finite learning rate >= 0 (or None: chosen by the pilots), got {self.lr!r}")
        for name in ("n_blocks", "block_steps"):
            if not count(getattr(self, name), 1):
                raise MolapError(f"{name} must be a positive integer, got {getattr(self, name)!r}")
        if not (finite(self.decay) and self.decay > 0):
            raise MolapError(f"decay (the lr divisor per block) must be a finite number > 0, got {self.decay!r}")

    @property
    def n_steps(self) -> int:
        return self.n_blocks * self.block_steps

    def learning_rate(self):
        bounds = {self.block_steps * i: 1.0 / self.decay for i in range(1, self.n_blocks)}
        return optax.piecewise_constant_schedule(self.lr, bounds)


def clip_per_network(max_norm: float, axis_networks: bool = True) -> optax.GradientTransformation:
    """Scale gradients to a norm of at most ``max_norm``: per entry of the leading (task) axis of
    every leaf when ``axis_networks`` (stacked per-task networks or heads: each task's network is
    clipped on its own), else over the whole pytree (one network)."""

    def update(g, state, params=None):
        leaves = jax.tree.leaves(g)
        if axis_networks:
            sq = sum(jnp.sum(a.reshape(a.shape[0], -1) ** 2, 1) for a in leaves)
        else:
            sq = sum(jnp.sum(a ** 2) for a in leaves)
        scale = max_norm / jnp.maximum(jnp.sqrt(sq), max_norm)
        return jax.tree.map(lambda a: a * jnp.reshape(scale, jnp.shape(scale) + (1,) * (a.ndim - jnp.ndim(scale))),
                            g), state

    return optax.GradientTransformation(lambda p: optax.EmptyState(), update)


def scale_fields(tx: optax.GradientTransformation, factors: dict[str, float]) -> optax.GradientTransformation:
    """``tx``, then its updates of the named fields of a NamedTuple of parameters multiplied by
    their factors (``{"w_rec": 0.1}``: those weights learn at a tenth of the learning rate)."""

    def update(g, state, params=None):
        u, state = tx.update(g, state, params)
        return u._replace(**{f: getattr(u, f) * c for f, c in factors.items()}), state

    return optax.GradientTransformation(tx.init, update)


def chunk_steps() -> int:
    """Optimiser steps per jitted call of :meth:`Trainer.run`: ``$MOLAP_CHUNK_STEPS`` (default 50;
    the largest divisor of a run's steps up to it is used). Larger chunks mean fewer host round
    trips on a GPU; the steps, and so the results, are the same (``tests/test_checkpoint.py``)."""
    v = os.environ.get("MOLAP_CHUNK_STEPS", "50")
    if not v.isdigit() or int(v) < 1:
        raise MolapError(f"MOLAP_CHUNK_STEPS must be a positive integer, got {v!r}")
    return int(v)


class Trainer:
    """Masked Adam on a parameter pytree; compiled once, run in chunks of steps.

    loss_fn(params, key) -> scalar loss (draws its own batch from key); step s uses the batch key
    ``fold_in(key, s)``. Entries where ``mask`` is 0 are never changed (bit-identical).

    ``batched=True`` trains K independent networks in one vmapped step: params, mask and ``data``
    (per-network constants, e.g. frozen recurrent weights) have a leading axis K, ``key`` is a
    (K,) key array, ``lr_scale`` (K,) multiplies each network's learning rate, and
    loss_fn(params, key, data) is one network's loss. Network k follows exactly the steps it would
    take alone with key ``key[k]``. With ``batched=True`` a single key (shape ()) is shared by
    all K networks: each step's batch is then drawn once for all of them (the same batches as K
    copies of the key, without K times the sampling). The K axis is sharded across local devices
    when there are several (:func:`molap.training.sharding.shard`).
    """

    def __init__(self, loss_fn: Callable, mask, schedule: Schedule, *, key: jax.Array,
                 tx: optax.GradientTransformation | None = None, batched: bool = False, data=None,
                 lr_scale=None):
        self.schedule, self.mask, self.batched = schedule, mask, batched
        self.tx = tx if tx is not None else optax.adam(schedule.learning_rate())
        grad_fn = jax.value_and_grad(loss_fn)
        tx = self.tx

        def single(p, s, k, m, d, scale, step):
            loss, g = grad_fn(p, jax.random.fold_in(k, step), *(() if d is None else (d,)))
            g = jax.tree.map(lambda a, mm: a * mm, g, m)
            upd, s = tx.update(g, s, p)
            p = jax.tree.map(lambda a, u, mm: jnp.where(mm > 0, a + scale * u, a), p, upd, m)
            return p, s, loss

        if batched:
            one_key = key.ndim == 0
            n = len(jax.tree.leaves(mask)[0])
            scales = jnp.ones((n,)) if lr_scale is None else jnp.asarray(lr_scale, jnp.float32)
            if scales.shape != (n,):
                raise MolapError(f"lr_scale must have shape ({n},), got {tuple(scales.shape)}")
            from molap.training.sharding import shard
            mask, data, scales = shard((mask, data, scales))
            key = key if one_key else shard(key)
            vstep = jax.vmap(single, (0, 0, None if one_key else 0, 0, None if data is None else 0, 0, None))

            def one(carry, step):
                p, s, loss = vstep(*carry, key, mask, data, scales, step)
                return (p, s), loss
        else:
            if data is not None or lr_scale is not None:
                raise MolapError("data and lr_scale need batched=True")

            def one(carry, step):
                p, s, loss = single(*carry, key, mask, None, 1.0, step)
                return (p, s), loss

        self._chunk = jax.jit(lambda p, s, steps: jax.lax.scan(one, (p, s), steps))

    def init(self, params):
        if self.batched:
            from molap.training.sharding import shard
            return shard(jax.vmap(self.tx.init)(params))
        return self.tx.init(params)

    def run(self, params, opt_state, start: int, n_steps: int, *, chunk: int | None = None, desc: str | None = None):
        """Steps [start, start + n_steps): returns (params, opt_state, losses (n_steps,) or (n_steps, K)).
        Within a :func:`molap.store.checkpoint.budget` the run checkpoints itself and resumes exactly."""
        chunk = chunk_steps() if chunk is None else chunk
        chunk = max(c for c in range(1, min(chunk, n_steps) + 1) if n_steps % c == 0)
        place = None
        if self.batched:
            from molap.training.sharding import shard
            params = shard(params)
            place = shard
        bar = tqdm(total=n_steps, desc=desc, disable=desc is None, leave=False, mininterval=2.0)

        def step(carry, c0):
            return self._chunk(*carry, jnp.arange(c0, c0 + chunk))

        def on_chunk(ls, c0):
            if not np.all(np.isfinite(ls)):
                bad = c0 + int(np.argmax(~np.isfinite(ls).reshape(chunk, -1).all(1)))
                raise MolapError(f"loss became {ls[~np.isfinite(ls)][0]} at step {bad}; "
                                 f"expected a finite loss (lower the learning rate?)")
            bar.update(chunk)

        (params, opt_state), losses = checkpoint.run_chunks(step, (params, opt_state), start, n_steps, chunk,
                                                            on_chunk=on_chunk, place=place)
        bar.close()
        return params, opt_state, losses


def fit(loss_fn: Callable, params, mask, schedule: Schedule, *, key: jax.Array, desc: str | None = None):
    """Train ``params`` where ``mask`` is 1 for the whole ``schedule``: (params, losses (n_steps,))."""
    tr = Trainer(loss_fn, mask, schedule, key=key)
    params, _, losses = tr.run(params, tr.init(params), 0, schedule.n_steps, desc=desc)
    return params, losses


def as_keys(keys) -> jax.Array:
    """A (K,) key array from a key array or a sequence of keys."""
    if isinstance(keys, jax.Array) and keys.ndim == 1 or not isinstance(keys, (jax.Array, np.ndarray, list, tuple)):
        return keys  # (an int or other non-key is left for the caller's key check to name)
    return jnp.stack(list(keys))


def fold_keys(keys: jax.Array, i: int) -> jax.Array:
    """fold_in(k, i) for each key of a (K,) key array."""
    return jax.vmap(lambda k: jax.random.fold_in(k, i))(keys)
