"""Training: a generic masked-Adam loop, sequential module pre-training, and task heads.

- :func:`fit` trains any parameter pytree under a same-shaped 0/1 mask; frozen entries are left
  bit-identical (the update is applied with ``where``), a fresh batch is drawn every step from
  ``fold_in(key, step)``, steps run as a jitted ``lax.scan`` in chunks, and a NaN loss stops
  training with an error.
- :func:`pretrain` trains module k on the k-th latent primitive (u_k -> v_k), one module after
  the other (spec section 4.3).
- :func:`train_heads` trains every task's input and readout weights on frozen recurrent weights,
  all tasks at once in one vmapped step (inputs and outputs padded to the widest task and masked).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, NamedTuple, Sequence

import jax
import jax.numpy as jnp
import numpy as np
import optax
from tqdm.auto import tqdm

from . import network
from .errors import MolapError
from .metrics import Scores, score
from .network import Layout, RNNParams
from .primitives import Primitives, transform
from .tasks import GO, N_STEPS, Task, get_tasks, sample, sample_corpus, stack_inputs


@dataclass(frozen=True)
class Schedule:
    """Adam with a piecewise-constant learning rate: ``n_blocks`` blocks, lr divided by ``decay``."""

    lr: float
    n_blocks: int
    block_steps: int
    decay: float

    @property
    def n_steps(self) -> int:
        return self.n_blocks * self.block_steps

    def learning_rate(self):
        bounds = {self.block_steps * i: 1.0 / self.decay for i in range(1, self.n_blocks)}
        return optax.piecewise_constant_schedule(self.lr, bounds)


@dataclass(frozen=True)
class PretrainConfig:
    """Module pre-training (spec 4.3): per module, Adam 3e-3, batch 200, 5 x 200 steps, lr / 3."""

    batch: int = 200
    schedule: Schedule = Schedule(3e-3, 5, 200, 3.0)
    l2: float = 1e-5  #: on the trainable recurrent block, sum of squares
    activity: float = 1e-7  #: on the mean squared activity (see the chapter "Pre-training")


@dataclass(frozen=True)
class HeadConfig:
    """Task training of input and readout weights.

    The default is the recipe of spec section 12.8: the response epoch weighted x5 in the loss,
    10 blocks of 1000 steps, lr 1e-2 divided by 1.5 per block. :meth:`paper_literal` gives the
    spec's literal reading of the paper (10 x 200 steps, lr / 3, no weighting).
    """

    batch: int = 200
    schedule: Schedule = Schedule(1e-2, 10, 1000, 1.5)
    response_weight: float = 5.0
    l2: float = 1e-5  #: on the input weights
    n_val: int = 500  #: validation trials per task, evaluated after every block

    @staticmethod
    def paper_literal(batch: int = 200) -> "HeadConfig":
        return HeadConfig(batch=batch, schedule=Schedule(1e-2, 10, 200, 3.0), response_weight=1.0)


# --------------------------------------------------------------------------------------------
# The generic loop
# --------------------------------------------------------------------------------------------


class Trainer:
    """Masked Adam on a parameter pytree; compiled once, run in chunks of steps.

    loss_fn(params, key) -> scalar loss (draws its own batch from key); step s uses the batch key
    ``fold_in(key, s)``. Entries where ``mask`` is 0 are never changed (bit-identical).

    ``batched=True`` trains K independent networks in one vmapped step: params, mask and ``data``
    (per-network constants, e.g. frozen recurrent weights) have a leading axis K, ``key`` is a
    (K,) key array, ``lr_scale`` (K,) multiplies each network's learning rate, and
    loss_fn(params, key, data) is one network's loss. Network k follows exactly the steps it would
    take alone with key ``key[k]``. The K axis is sharded across local devices when there are
    several (:func:`molap.sharding.shard`).
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
            n = len(key)
            scales = jnp.ones((n,)) if lr_scale is None else jnp.asarray(lr_scale, jnp.float32)
            if scales.shape != (n,):
                raise MolapError(f"lr_scale must have shape ({n},), got {tuple(scales.shape)}")
            from .sharding import shard
            key, mask, data, scales = shard((key, mask, data, scales))
            vstep = jax.vmap(single, (0, 0, 0, 0, None if data is None else 0, 0, None))

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
            from .sharding import shard
            return shard(jax.vmap(self.tx.init)(params))
        return self.tx.init(params)

    def run(self, params, opt_state, start: int, n_steps: int, *, chunk: int = 50, desc: str | None = None):
        """Steps [start, start + n_steps): returns (params, opt_state, losses (n_steps,) or (n_steps, K))."""
        chunk = max(c for c in range(1, min(chunk, n_steps) + 1) if n_steps % c == 0)
        if self.batched:
            from .sharding import shard
            params = shard(params)
        losses = []
        bar = tqdm(total=n_steps, desc=desc, disable=desc is None, leave=False, mininterval=2.0)
        for c0 in range(start, start + n_steps, chunk):
            (params, opt_state), ls = self._chunk(params, opt_state, jnp.arange(c0, c0 + chunk))
            ls = np.asarray(ls)
            if not np.all(np.isfinite(ls)):
                bad = c0 + int(np.argmax(~np.isfinite(ls).reshape(chunk, -1).all(1)))
                raise MolapError(f"loss became {ls[~np.isfinite(ls)][0]} at step {bad}; "
                                 f"expected a finite loss (lower the learning rate?)")
            losses.append(ls)
            bar.update(chunk)
        bar.close()
        return params, opt_state, np.concatenate(losses)


def fit(loss_fn: Callable, params, mask, schedule: Schedule, *, key: jax.Array, desc: str | None = None):
    """Train ``params`` where ``mask`` is 1 for the whole ``schedule``: (params, losses (n_steps,))."""
    tr = Trainer(loss_fn, mask, schedule, key=key)
    params, _, losses = tr.run(params, tr.init(params), 0, schedule.n_steps, desc=desc)
    return params, losses


# --------------------------------------------------------------------------------------------
# Pre-training
# --------------------------------------------------------------------------------------------


class PretrainResult(NamedTuple):
    """w_rec (N, N) and b (N,) after pre-training; losses (n_modules, n_steps); test_mse and
    target_var (n_modules,): held-out MSE of each module's map and the variance of its target;
    phase_w_in, phase_w_out (n_modules, N) and phase_b_out (n_modules,): each phase's input and
    readout weights (discarded for task training, kept for figures)."""

    w_rec: jax.Array
    b: jax.Array
    losses: np.ndarray
    test_mse: np.ndarray
    target_var: np.ndarray
    phase_w_in: jax.Array
    phase_w_out: jax.Array
    phase_b_out: jax.Array


def pretrain(prim: Primitives, tasks: Sequence[str] | None, init: RNNParams, layout: Layout,
             config: PretrainConfig = PretrainConfig(), *, key: jax.Array, n_test: int = 500,
             progress: bool = True) -> PretrainResult:
    """Pre-train module k on primitive k (u_k -> v_k), k = 0, 1, ...; others and all inter-module
    weights frozen. ``init`` supplies W_rec and b (its input and readout are replaced per phase)."""
    stacked = jax.tree.map(lambda a: np.asarray(a)[None], prim)
    r = pretrain_folds(stacked, tasks, init, layout, config, key=key, n_test=n_test, progress=progress)
    return jax.tree.map(lambda a: a[0], r)


def pretrain_folds(prims: Primitives, tasks: Sequence[str] | None, init: RNNParams, layout: Layout,
                   config: PretrainConfig = PretrainConfig(), *, key: jax.Array, n_test: int = 500,
                   progress: bool = True, n_phases: int | None = None) -> PretrainResult:
    """:func:`pretrain` for F primitive maps at once (every field of ``prims`` has a leading axis F,
    all fitted to the columns of ``tasks``), in one vmapped step per phase. ``init`` is shared or
    has a leading axis F (one initial network per fold, e.g. per seed); ``key`` is one key shared
    by the folds or a (F,) key array. Every field of the result has a leading axis F.
    ``n_phases`` stops after the first modules (a prefix of the full run, step for step)."""
    r = prims.x_weights.shape[-1]
    n_folds = prims.x_weights.shape[0]
    if layout.n_modules > r:
        raise MolapError(f"{layout.n_modules} modules need {layout.n_modules} primitives, got {r}")
    n_phases = layout.n_modules if n_phases is None else n_phases
    if not 1 <= n_phases <= layout.n_modules:
        raise MolapError(f"n_phases must be an integer in [1, {layout.n_modules}], got {n_phases!r}")
    task_names = None if tasks is None else tuple(t.name for t in get_tasks(tasks))
    keys = key if key.ndim == 1 else jnp.stack([key] * n_folds)
    if len(keys) != n_folds:
        raise MolapError(f"expected {n_folds} keys (one per fold), got {len(keys)}")
    per_fold = init.w_rec.ndim == 3
    w_rec = init.w_rec if per_fold else jnp.broadcast_to(init.w_rec, (n_folds,) + init.w_rec.shape)
    b = init.b if per_fold else jnp.broadcast_to(init.b, (n_folds,) + init.b.shape)
    prims = jax.tree.map(jnp.asarray, prims)

    def components(prim, batch_key, n):
        x, y = stack_inputs(sample_corpus(task_names, batch_key, n))
        return transform(prim, x, y)  # (n, 110, r) each

    all_losses, mses, vars_, phases = [], [], [], []
    for k in range(n_phases):
        kk = fold_keys(keys, k)
        params = jax.vmap(lambda q: network.init(jax.random.fold_in(q, 0), 1, 1, layout))(kk)._replace(w_rec=w_rec, b=b)
        block = jnp.asarray(layout.block(k))
        mask = network.trainable(jax.tree.map(lambda a: a[0], params), w_in=True, w_out=True, b_out=True, w_rec=block)
        mask = jax.tree.map(lambda a: jnp.broadcast_to(a, (n_folds,) + a.shape), mask)

        def loss_fn(p, batch_key, prim, k=k, block=block):
            u, v = components(prim, batch_key, config.batch)
            y, h = network.run(p, u[..., k:k + 1])
            return (jnp.mean((y - v[..., k:k + 1]) ** 2) + config.l2 * jnp.sum((p.w_rec * block) ** 2)
                    + config.activity * jnp.mean(h ** 2))

        trainer = Trainer(loss_fn, mask, config.schedule, key=fold_keys(kk, 1), batched=True, data=prims)
        params, _, losses = trainer.run(params, trainer.init(params), 0, config.schedule.n_steps,
                                        desc=f"pre-training module {k + 1} ({n_folds} networks)" if progress else None)

        def held_out(p, prim, q, k=k):
            u, v = components(prim, jax.random.fold_in(q, 2), n_test)
            y, _ = network.run(p, u[..., k:k + 1])
            return jnp.mean((y - v[..., k:k + 1]) ** 2), jnp.var(v[..., k])

        mse, var = jax.jit(jax.vmap(held_out))(params, prims, kk)
        mses.append(np.asarray(mse))
        vars_.append(np.asarray(var))
        all_losses.append(losses.T)
        phases.append((params.w_in[:, 0], params.w_out[:, :, 0], params.b_out[:, 0]))
        w_rec = params.w_rec
    pw_in, pw_out, pb_out = (jnp.stack(a, 1) for a in zip(*phases))
    return PretrainResult(w_rec, b, np.stack(all_losses, 1), np.stack(mses, 1), np.stack(vars_, 1), pw_in, pw_out,
                          pb_out)


def phase_network(result: PretrainResult, k: int) -> RNNParams:
    """Module k's pre-training network (1 input, 1 output) with the final recurrent weights."""
    n = result.w_rec.shape[0]
    return RNNParams(result.phase_w_in[k][None, :], result.w_rec, result.b, result.phase_w_out[k][:, None],
                     result.phase_b_out[k][None], jnp.zeros((n,)))


# --------------------------------------------------------------------------------------------
# Task heads
# --------------------------------------------------------------------------------------------


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


def time_weights(response_weight: float) -> jax.Array:
    """(110,) loss weights: ``response_weight`` on the response epoch, 1 elsewhere."""
    t = jnp.arange(N_STEPS)
    return jnp.where(t >= GO, response_weight, 1.0)


def heads_forward(w_rec: jax.Array, b: jax.Array, heads: Heads, x: jax.Array, *, silence=None) -> jax.Array:
    """All tasks through one frozen reservoir: x (n_tasks, B, 110, max_in) -> (n_tasks, B, 110, max_out)."""
    n = w_rec.shape[0]

    def one(w_in, w_out, b_out, xi):
        p = RNNParams(w_in, w_rec, b, w_out, b_out, jnp.zeros((n,)))
        return network.run(p, xi, silence=silence)[0]

    return jax.vmap(one)(heads.w_in, heads.w_out, heads.b_out, x)


def task_losses(out: jax.Array, y: jax.Array, unit_mask: jax.Array, weights: jax.Array) -> jax.Array:
    """(n_tasks,) time-weighted MSE of each task over its valid output units.

    out, y: (n_tasks, B, 110, max_out); unit_mask: (n_tasks, max_out); weights: (110,).
    """
    w = weights[None, None, :, None] * unit_mask[:, None, None, :]
    return jnp.sum(w * (out - y) ** 2, (1, 2, 3)) / jnp.sum(w * jnp.ones_like(y), (1, 2, 3))


def evaluate(forward: Callable, params, tasks: Sequence[Task], *, key: jax.Array, n_trials: int) -> dict[str, Scores]:
    """Scores of every task on ``n_trials`` fresh trials from ``key``; forward(params, x) -> outputs."""
    x, y = padded_batches(tasks, key, n_trials)
    out = forward(params, x)
    return {t.name: score(out[i, ..., :t.n_out], y[i, ..., :t.n_out]) for i, t in enumerate(tasks)}


_heads_forward_jit = jax.jit(heads_forward)


def evaluate_heads(w_rec, b, heads: Heads, tasks: Sequence[Task], *, key: jax.Array, n_trials: int,
                   silence=None) -> dict[str, Scores]:
    """Scores of every task's head on the frozen reservoir (w_rec, b)."""
    return evaluate(lambda h, x: _heads_forward_jit(w_rec, b, h, x, silence=silence), heads, tasks, key=key,
                    n_trials=n_trials)


class HeadsResult(NamedTuple):
    """Trained per-task parameters (``heads``: Heads, or stacked RNNParams for separate networks),
    training losses (n_steps,) summed over tasks, and the validation curve: curve_steps (n_blocks,)
    and curve (n_blocks, n_tasks, 5) Scores fields after each block. A result of K networks
    trained together has a leading axis K on heads, losses and curve (:func:`unstack` splits it)."""

    heads: Any
    losses: np.ndarray
    curve_steps: np.ndarray
    curve: np.ndarray


def unstack(result: HeadsResult, k: int) -> HeadsResult:
    """Network k of a result trained for K networks together."""
    return HeadsResult(jax.tree.map(lambda a: a[k], result.heads), result.losses[k], result.curve_steps,
                       result.curve[k])


def _keys(keys) -> jax.Array:
    """A (K,) key array from a key array or a sequence of keys."""
    return keys if isinstance(keys, jax.Array) and keys.ndim == 1 else jnp.stack(list(keys))


def fold_keys(keys: jax.Array, i: int) -> jax.Array:
    """fold_in(k, i) for each key of a (K,) key array."""
    return jax.vmap(lambda k: jax.random.fold_in(k, i))(keys)


_EVAL_FNS: dict = {}


def _eval_fn(forward: Callable, tasks: tuple, n_trials: int):
    """One compiled (outputs, targets) function per forward pass, task list and size."""
    k = (forward, tuple(t.name for t in tasks), n_trials)
    if k not in _EVAL_FNS:
        _EVAL_FNS[k] = jax.jit(lambda p, d, key: (forward(p, padded_batches(tasks, key, n_trials)[0], d),
                                                  padded_batches(tasks, key, n_trials)[1]))
    return _EVAL_FNS[k]


def evaluate_many(forward: Callable, params, data, tasks: Sequence[Task], *, keys: jax.Array,
                  n_trials: int) -> list[dict[str, Scores]]:
    """:func:`evaluate` for K networks (leading axis K on params and data; keys (K,)), one after
    the other with one compiled forward pass; forward(params, x, data) -> outputs."""
    keys = _keys(keys)
    fwd = _eval_fn(forward, tuple(tasks), n_trials)
    out = []
    for j in range(len(keys)):
        pick = lambda a: a[j]  # noqa: E731
        o, y = fwd(jax.tree.map(pick, params), None if data is None else jax.tree.map(pick, data), keys[j])
        out.append({t.name: score(o[i, ..., :t.n_out], y[i, ..., :t.n_out]) for i, t in enumerate(tasks)})
    return out


def train_stacked(forward: Callable, params, mask, tasks: Sequence[Task], config: HeadConfig,
                  penalty: Callable, *, key: jax.Array, val_key: jax.Array, desc: str | None,
                  data=None, lr_scale=None) -> HeadsResult:
    """Train K networks' per-task parameters (stacked on a task axis), all tasks and networks in
    one step.

    params, mask, data: a leading network axis K, then the task axis; key, val_key: (K,) keys;
    lr_scale: (K,) learning-rate factors (default 1). forward(params, x (n_tasks, B, 110, max_in),
    data) -> (n_tasks, B, 110, max_out) for one network; penalty(params) -> its regulariser. Each
    network's loss is the sum over tasks of :func:`task_losses`. Returns a K-network result.
    """
    _, unit_mask = head_masks(tasks, 1)
    weights = time_weights(config.response_weight)
    key, val_key = _keys(key), _keys(val_key)

    def loss_fn(p, k, d=None):
        x, y = padded_batches(tasks, k, config.batch)
        return jnp.sum(task_losses(forward(p, x, d), y, unit_mask, weights)) + penalty(p)

    sched = config.schedule
    trainer = Trainer(loss_fn, mask, sched, key=key, batched=True, data=data, lr_scale=lr_scale)
    losses, curve, opt_state = [], [], trainer.init(params)
    bar = tqdm(range(sched.n_blocks), desc=desc, disable=desc is None)
    for blk in bar:
        params, opt_state, ls = trainer.run(params, opt_state, blk * sched.block_steps, sched.block_steps)
        losses.append(ls)
        val = evaluate_many(forward, params, data, tasks, keys=val_key, n_trials=config.n_val)
        curve.append([[list(v[t.name]) for t in tasks] for v in val])
        bar.set_postfix(loss=f"{ls[-1].mean():.4f}",
                        decision=f"{np.mean([s.decision for v in val for s in v.values()]):.1f}%")
    steps = np.arange(1, sched.n_blocks + 1) * sched.block_steps
    return HeadsResult(params, np.concatenate(losses).T, steps, np.array(curve).swapaxes(0, 1))


def _frozen_forward(h: Heads, x: jax.Array, d) -> jax.Array:
    return heads_forward(d[0], d[1], h, x)


def train_heads_many(w_rec: jax.Array, b: jax.Array, tasks: Sequence[str | Task] | None = None,
                     config: HeadConfig = HeadConfig(), *, keys: jax.Array, val_keys: jax.Array,
                     lr_scale=None, progress: bool = True) -> HeadsResult:
    """:func:`train_heads` for K frozen reservoirs at once: w_rec (K, N, N), b (K, N), keys and
    val_keys (K,), lr_scale (K,). Network k's heads equal what train_heads gives alone with
    key=keys[k], val_key=val_keys[k] (up to float rounding)."""
    ts = get_tasks(tasks)
    keys = _keys(keys)
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
                config: HeadConfig = HeadConfig(), *, key: jax.Array, val_key: jax.Array,
                progress: bool = True) -> HeadsResult:
    """Train every task's input and readout weights on the frozen (w_rec, b), all tasks at once."""
    res = train_heads_many(jnp.asarray(w_rec)[None], jnp.asarray(b)[None], tasks, config, keys=key[None],
                           val_keys=val_key[None], progress=progress)
    return unstack(res, 0)
