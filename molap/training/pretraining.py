"""Module pre-training (spec section 4.3): module k learns the k-th latent primitive (u_k -> v_k),
one module after the other, every other weight frozen (:func:`pretrain`, :func:`pretrain_folds`)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from molap import network
from molap.errors import MolapError
from molap.network import Layout, RNNParams
from molap.primitives import Primitives, transform
from molap.tasks import get_tasks, sample_corpus, stack_inputs
from molap.training.fused import Grads, task_outputs
from molap.training.trainer import Schedule, Trainer, fold_keys


@dataclass(frozen=True)
class PretrainConfig:
    """Module pre-training (spec 4.3): per module, Adam 3e-3, batch 200, 5 x 200 steps, lr / 3."""

    batch: int = 200
    schedule: Schedule = Schedule(3e-3, 5, 200, 3.0)
    l2: float = 1e-5  #: on the trainable recurrent block, sum of squares
    activity: float = 1e-7  #: on the mean squared activity (see the chapter "Pre-training")


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
    shared = key.ndim == 0  # one key for every fold: each step's corpus batch is drawn once for all
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

        units = layout.units(k)
        grads = Grads((units.start, units.stop))  # only module k's own block learns: no other W_rec gradient work

        def loss_fn(p, batch_key, prim, k=k, block=block, grads=grads):
            u, v = components(prim, batch_key, config.batch)
            one = RNNParams(p.w_in[None], p.w_rec, p.b, p.w_out[None], p.b_out[None], p.h0[None])
            y, energy = task_outputs(one, u[None, ..., k:k + 1], grads=grads, energy=True)
            mean_h2 = energy[0] / (config.batch * y.shape[2] * layout.n_units)
            return (jnp.mean((y[0] - v[..., k:k + 1]) ** 2) + config.l2 * jnp.sum((p.w_rec * block) ** 2)
                    + config.activity * mean_h2)

        batch_keys = fold_keys(kk, 1)
        trainer = Trainer(loss_fn, mask, config.schedule, key=batch_keys[0] if shared else batch_keys, batched=True,
                          data=prims)
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
