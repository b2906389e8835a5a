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
    """

    def __init__(self, loss_fn: Callable, mask, schedule: Schedule, *, key: jax.Array,
                 tx: optax.GradientTransformation | None = None):
        self.schedule, self.mask = schedule, mask
        self.tx = tx if tx is not None else optax.adam(schedule.learning_rate())
        grad_fn = jax.value_and_grad(loss_fn)
        tx = self.tx

        def one(carry, step):
            p, s = carry
            loss, g = grad_fn(p, jax.random.fold_in(key, step))
            g = jax.tree.map(lambda a, m: a * m, g, mask)
            upd, s = tx.update(g, s, p)
            p = jax.tree.map(lambda a, u, m: jnp.where(m > 0, a + u, a), p, upd, mask)
            return (p, s), loss

        self._chunk = jax.jit(lambda p, s, steps: jax.lax.scan(one, (p, s), steps))

    def init(self, params):
        return self.tx.init(params)

    def run(self, params, opt_state, start: int, n_steps: int, *, chunk: int = 50, desc: str | None = None):
        """Steps [start, start + n_steps): returns (params, opt_state, losses (n_steps,))."""
        chunk = max(c for c in range(1, min(chunk, n_steps) + 1) if n_steps % c == 0)
        losses = []
        bar = tqdm(total=n_steps, desc=desc, disable=desc is None, leave=False, mininterval=2.0)
        for c0 in range(start, start + n_steps, chunk):
            (params, opt_state), ls = self._chunk(params, opt_state, jnp.arange(c0, c0 + chunk))
            ls = np.asarray(ls)
            if not np.all(np.isfinite(ls)):
                bad = c0 + int(np.argmin(np.isfinite(ls)))
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
                   progress: bool = True) -> PretrainResult:
    """:func:`pretrain` for F primitive maps at once (every field of ``prims`` has a leading axis F,
    all fitted to the columns of ``tasks``), each from the same initial network, in one vmapped
    step per phase. Every field of the result has a leading axis F."""
    r = prims.x_weights.shape[-1]
    n_folds = prims.x_weights.shape[0]
    if layout.n_modules > r:
        raise MolapError(f"{layout.n_modules} modules need {layout.n_modules} primitives, got {r}")
    task_names = None if tasks is None else tuple(t.name for t in get_tasks(tasks))
    rep = lambda a: jnp.broadcast_to(a, (n_folds,) + a.shape)  # noqa: E731
    w_rec, b = rep(init.w_rec), rep(init.b)

    def components(batch_key, n):
        x, y = stack_inputs(sample_corpus(task_names, batch_key, n))
        return jax.vmap(transform, (0, None, None))(prims, x, y)  # (F, n, 110, r) each

    all_losses, mses, vars_, phases = [], [], [], []
    for k in range(layout.n_modules):
        kk = jax.random.fold_in(key, k)
        head = network.init(jax.random.fold_in(kk, 0), 1, 1, layout)
        params = jax.tree.map(rep, head)._replace(w_rec=w_rec, b=b)
        block = jnp.asarray(layout.block(k))
        mask = jax.tree.map(rep, network.trainable(head, w_in=True, w_out=True, b_out=True, w_rec=block))

        def loss_fn(p, batch_key, k=k, block=block):
            u, v = components(batch_key, config.batch)
            y, h = jax.vmap(network.run)(p, u[..., k:k + 1])
            mse = jnp.mean((y - v[..., k:k + 1]) ** 2, (1, 2, 3))
            return jnp.sum(mse + config.l2 * jnp.sum((p.w_rec * block) ** 2, (1, 2))
                           + config.activity * jnp.mean(h ** 2, (1, 2, 3)))

        params, losses = fit(loss_fn, params, mask, config.schedule, key=jax.random.fold_in(kk, 1),
                             desc=f"pre-training module {k + 1}" if progress else None)
        u, v = components(jax.random.fold_in(kk, 2), n_test)
        y, _ = jax.vmap(network.run)(params, u[..., k:k + 1])
        mses.append(np.asarray(jnp.mean((y - v[..., k:k + 1]) ** 2, (1, 2, 3))))
        vars_.append(np.asarray(jnp.var(v[..., k], (1, 2))))
        all_losses.append(losses)
        phases.append((params.w_in[:, 0], params.w_out[:, :, 0], params.b_out[:, 0]))
        w_rec = params.w_rec
    pw_in, pw_out, pb_out = (jnp.stack(a, 1) for a in zip(*phases))
    # losses are summed over folds (one shared step); each fold gets the summed curve / F
    curve = np.stack(all_losses) / n_folds
    return PretrainResult(w_rec, b, np.broadcast_to(curve, (n_folds,) + curve.shape).copy(), np.stack(mses, 1),
                          np.stack(vars_, 1), pw_in, pw_out, pb_out)


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


def evaluate_heads(w_rec, b, heads: Heads, tasks: Sequence[Task], *, key: jax.Array, n_trials: int,
                   silence=None) -> dict[str, Scores]:
    """Scores of every task's head on the frozen reservoir (w_rec, b)."""
    fwd = jax.jit(lambda h, x: heads_forward(w_rec, b, h, x, silence=silence))
    return evaluate(fwd, heads, tasks, key=key, n_trials=n_trials)


class HeadsResult(NamedTuple):
    """Trained per-task parameters (``heads``: Heads, or stacked RNNParams for separate networks),
    training losses (n_steps,) summed over tasks, and the validation curve: curve_steps (n_blocks,)
    and curve (n_blocks, n_tasks, 5) Scores fields after each block."""

    heads: Any
    losses: np.ndarray
    curve_steps: np.ndarray
    curve: np.ndarray


def train_stacked(forward: Callable, params, mask, tasks: Sequence[Task], config: HeadConfig,
                  penalty: Callable, *, key: jax.Array, val_key: jax.Array, desc: str | None) -> HeadsResult:
    """Train per-task parameters stacked on a leading task axis, all tasks in one step.

    forward(params, x (n_tasks, B, 110, max_in)) -> (n_tasks, B, 110, max_out); penalty(params) ->
    the regulariser. The loss is the sum over tasks of :func:`task_losses`.
    """
    _, unit_mask = head_masks(tasks, 1)
    weights = time_weights(config.response_weight)

    def loss_fn(p, k):
        x, y = padded_batches(tasks, k, config.batch)
        return jnp.sum(task_losses(forward(p, x), y, unit_mask, weights)) + penalty(p)

    sched = config.schedule
    trainer = Trainer(loss_fn, mask, sched, key=key)
    fwd = jax.jit(forward)
    losses, curve, opt_state = [], [], trainer.init(params)
    bar = tqdm(range(sched.n_blocks), desc=desc, disable=desc is None)
    for blk in bar:
        params, opt_state, ls = trainer.run(params, opt_state, blk * sched.block_steps, sched.block_steps)
        losses.append(ls)
        val = evaluate(fwd, params, tasks, key=val_key, n_trials=config.n_val)
        curve.append([list(val[t.name]) for t in tasks])
        bar.set_postfix(loss=f"{ls[-1]:.4f}", decision=f"{np.mean([v.decision for v in val.values()]):.1f}%")
    steps = np.arange(1, sched.n_blocks + 1) * sched.block_steps
    return HeadsResult(params, np.concatenate(losses), steps, np.array(curve))


def train_heads(w_rec: jax.Array, b: jax.Array, tasks: Sequence[str | Task] | None = None,
                config: HeadConfig = HeadConfig(), *, key: jax.Array, val_key: jax.Array,
                progress: bool = True) -> HeadsResult:
    """Train every task's input and readout weights on the frozen (w_rec, b), all tasks at once."""
    ts = get_tasks(tasks)
    n = w_rec.shape[0]
    heads = init_heads(ts, n, key=jax.random.fold_in(key, 0))
    mask, _ = head_masks(ts, n)
    return train_stacked(lambda h, x: heads_forward(w_rec, b, h, x), heads, mask, ts, config,
                         lambda h: config.l2 * jnp.sum(h.w_in ** 2), key=jax.random.fold_in(key, 1),
                         val_key=val_key, desc="training task heads" if progress else None)
