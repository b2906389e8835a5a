"""Task training: the recipe (:class:`TaskTraining`) and the loop that trains K networks' per-task
parameters together, all tasks in one vmapped step (:func:`train_stacked`); heads on frozen
reservoirs (:func:`train_heads`, :func:`train_heads_many`)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
import optax
from tqdm.auto import tqdm

from molap import store
from molap.errors import MolapError
from molap.streams import check_key
from molap.tasks import GO, N_STEPS, Task, get_tasks
from molap.training.evaluation import evaluate_many
from molap.training.heads import Heads, head_masks, heads_forward, init_heads, padded_batches
from molap.training.trainer import Schedule, Trainer, as_keys, clip_per_network, fold_keys


@dataclass(frozen=True)
class TaskTraining:
    """The task-training recipe of every method (batch, schedule, loss weighting, L2, validation).

    Frozen-module methods train their heads with it, separate networks and DNI their whole
    networks. The default is the recipe of spec section 12.8: the response epoch weighted x5 in the loss,
    10 blocks of 1000 steps, lr 1e-2 divided by 1.5 per block. :meth:`paper_literal` gives the
    spec's literal reading of the paper (10 x 200 steps, lr / 3, no weighting).
    """

    batch: int = 200
    schedule: Schedule = Schedule(1e-2, 10, 1000, 1.5)
    response_weight: float = 5.0
    l2: float = 1e-5  #: on the input weights
    n_val: int = 500  #: validation trials per task, evaluated after every block
    clip: float | None = field(default=None, metadata=store.OMIT_DEFAULT)
    """Clip each task network's gradient to this norm before Adam (None: no clipping)."""
    val_every: int | None = field(default=None, metadata=store.OMIT_DEFAULT)
    """Validate every this many steps (a divisor of the block's steps; None: after every block)."""

    def __post_init__(self):
        from molap.names import MAX_TRIALS

        for name in ("batch", "n_val"):
            n = getattr(self, name)
            if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or not 0 < n <= MAX_TRIALS:
                raise MolapError(f"{name} must be a positive number of trials per task (at most {MAX_TRIALS:,}), "
                                 f"got {n!r}")
        for name in ("response_weight", "l2"):
            w = getattr(self, name)
            if isinstance(w, bool) or not isinstance(w, (int, float, np.floating)) or not np.isfinite(w) or w < 0:
                raise MolapError(f"{name} must be a finite number >= 0, got {w!r}")
        v, b = self.val_every, self.schedule.block_steps
        if v is not None and (isinstance(v, bool) or not isinstance(v, int) or v <= 0 or b % v):
            raise MolapError(f"val_every must be a positive divisor of the block's {b} steps, got {v!r}")
        if self.clip is not None and not (isinstance(self.clip, (int, float)) and np.isfinite(self.clip) and self.clip > 0):
            raise MolapError(f"clip must be a positive gradient norm or None, got {self.clip!r}")

    def optimizer(self, per_task: bool = True) -> optax.GradientTransformation:
        """Adam on :attr:`schedule`, after gradient clipping if :attr:`clip` is set (per task
        network when ``per_task``, else over the whole parameter pytree)."""
        adam = optax.adam(self.schedule.learning_rate())
        return adam if self.clip is None else optax.chain(clip_per_network(self.clip, per_task), adam)

    @staticmethod
    def paper_literal(batch: int = 200) -> TaskTraining:
        return TaskTraining(batch=batch, schedule=Schedule(1e-2, 10, 200, 3.0), response_weight=1.0)


def time_weights(response_weight: float, response: tuple[int, int] = (GO, N_STEPS)) -> jax.Array:
    """(110,) loss weights: ``response_weight`` on the response epoch [start, end), 1 elsewhere."""
    t = jnp.arange(N_STEPS)
    if tuple(response) == (GO, N_STEPS):  # the nine tasks' epoch, as it always was computed
        return jnp.where(t >= GO, response_weight, 1.0)
    return jnp.where((t >= response[0]) & (t < response[1]), response_weight, 1.0)


def task_weights(tasks: Sequence[Task], response_weight: float) -> jax.Array:
    """Loss weights of every task's response epoch: (110,) when the tasks share the nine tasks'
    epoch, else (n_tasks, 110)."""
    if all(t.response == (GO, N_STEPS) for t in tasks):
        return time_weights(response_weight)
    return jnp.stack([time_weights(response_weight, t.response) for t in tasks])


def task_losses(out: jax.Array, y: jax.Array, unit_mask: jax.Array, weights: jax.Array) -> jax.Array:
    """(n_tasks,) time-weighted MSE of each task over its valid output units.

    out, y: (n_tasks, B, 110, max_out); unit_mask: (n_tasks, max_out); weights: (110,), or
    (n_tasks, 110) per task (:func:`task_weights`).
    """
    w = (weights[None, None, :, None] if weights.ndim == 1 else weights[:, None, :, None]) * unit_mask[:, None, None, :]
    return jnp.sum(w * (out - y) ** 2, (1, 2, 3)) / jnp.sum(w * jnp.ones_like(y), (1, 2, 3))


class HeadsResult(NamedTuple):
    """Trained per-task parameters (``heads``: Heads, or stacked RNNParams for separate networks),
    training losses (n_steps,) summed over tasks, and the validation curve: curve_steps (n_evals,)
    and curve (n_evals, n_tasks, 5) Scores fields after each block (or every ``val_every`` steps). A result of K networks
    trained together has a leading axis K on heads, losses and curve (:func:`unstack` splits it)."""

    heads: Any
    losses: np.ndarray
    curve_steps: np.ndarray
    curve: np.ndarray


def unstack(result: HeadsResult, k: int) -> HeadsResult:
    """Network k of a result trained for K networks together."""
    return HeadsResult(jax.tree.map(lambda a: a[k], result.heads), result.losses[k], result.curve_steps,
                       result.curve[k])


def train_stacked(forward: Callable, params, mask, tasks: Sequence[Task], config: TaskTraining,
                  penalty: Callable, *, key: jax.Array, val_key: jax.Array, desc: str | None,
                  data=None, lr_scale=None, tx: optax.GradientTransformation | None = None) -> HeadsResult:
    """Train K networks' per-task parameters (stacked on a task axis), all tasks and networks in
    one step.

    params, mask, data: a leading network axis K, then the task axis; key, val_key: (K,) keys (or
    one training key shared by the K networks, whose batches are then drawn once per step);
    lr_scale: (K,) learning-rate factors (default 1); tx: the optimiser (default
    ``config.optimizer()``). forward(params, x (n_tasks, B, 110, max_in),
    data) -> (n_tasks, B, 110, max_out) for one network; penalty(params) -> its regulariser. Each
    network's loss is the sum over tasks of :func:`task_losses`. Returns a K-network result.
    """
    _, unit_mask = head_masks(tasks, 1)
    weights = task_weights(tasks, config.response_weight)
    one_key = isinstance(key, jax.Array) and key.ndim == 0  # shared by the K networks: batches drawn once
    key, val_key = (key if one_key else as_keys(key)), as_keys(val_key)

    def loss_fn(p, k, d=None):
        x, y = padded_batches(tasks, k, config.batch)
        return jnp.sum(task_losses(forward(p, x, d), y, unit_mask, weights)) + penalty(p)

    sched = config.schedule
    every = config.val_every or sched.block_steps
    trainer = Trainer(loss_fn, mask, sched, key=key, tx=config.optimizer() if tx is None else tx, batched=True, data=data,
                      lr_scale=lr_scale)
    losses, curve, opt_state = [], [], trainer.init(params)
    bar = tqdm(range(sched.n_steps // every), desc=desc, disable=desc is None)
    for i in bar:
        params, opt_state, ls = trainer.run(params, opt_state, i * every, every)
        losses.append(ls)
        val = evaluate_many(forward, params, data, tasks, keys=val_key, n_trials=config.n_val)
        curve.append([[list(v[t.name]) for t in tasks] for v in val])
        bar.set_postfix(loss=f"{ls[-1].mean():.4f}",
                        decision=f"{np.mean([s.decision for v in val for s in v.values()]):.1f}%")
    steps = np.arange(1, sched.n_steps // every + 1) * every
    return HeadsResult(params, np.concatenate(losses).T, steps, np.array(curve).swapaxes(0, 1))


def _frozen_forward(h: Heads, x: jax.Array, d) -> jax.Array:
    return heads_forward(d[0], d[1], h, x)


def train_heads_many(w_rec: jax.Array, b: jax.Array, tasks: Sequence[str | Task] | None = None,
                     config: TaskTraining = TaskTraining(), *, keys: jax.Array, val_keys: jax.Array,
                     lr_scale=None, progress: bool = True) -> HeadsResult:
    """:func:`train_heads` for K frozen reservoirs at once: w_rec (K, N, N), b (K, N), keys and
    val_keys (K,), lr_scale (K,). Network k's heads equal what train_heads gives alone with
    key=keys[k], val_key=val_keys[k] (up to float rounding)."""
    ts = get_tasks(tasks)
    keys = check_key(as_keys(keys), "keys", None)
    check_key(as_keys(val_keys), "val_keys", keys.shape)
    if w_rec.ndim != 3 or b.shape != w_rec.shape[:2] or len(keys) != w_rec.shape[0]:
        raise MolapError(f"expected w_rec (K, N, N), b (K, N) and K keys; got {tuple(w_rec.shape)}, "
                         f"{tuple(b.shape)} and {len(keys)} keys")
    n = w_rec.shape[-1]
    heads = jax.vmap(lambda k: init_heads(ts, n, key=jax.random.fold_in(k, 0)))(keys)
    mask, _ = head_masks(ts, n)
    mask = jax.tree.map(lambda a: jnp.broadcast_to(a, (len(keys),) + a.shape), mask)
    return train_stacked(_frozen_forward, heads, mask, ts, config, lambda h: config.l2 * jnp.sum(h.w_in ** 2),
                         key=fold_keys(keys, 1), val_key=val_keys, data=(jnp.asarray(w_rec), jnp.asarray(b)),
                         lr_scale=lr_scale, desc=f"training task heads ({len(keys)} networks)" if progress else None)


def train_heads(w_rec: jax.Array, b: jax.Array, tasks: Sequence[str | Task] | None = None,
                config: TaskTraining = TaskTraining(), *, key: jax.Array, val_key: jax.Array,
                progress: bool = True) -> HeadsResult:
    """Train every task's input and readout weights on the frozen (w_rec, b), all tasks at once."""
    check_key(key, "key"), check_key(val_key, "val_key")
    res = train_heads_many(jnp.asarray(w_rec)[None], jnp.asarray(b)[None], tasks, config, keys=key[None],
                           val_keys=val_key[None], progress=progress)
    return unstack(res, 0)
