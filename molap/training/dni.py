"""Dynamical non-interference (DNI; Duncker et al. 2020), as the paper's baseline (spec 5.5-5.7).

One N = 200 network learns the tasks in sequence (T1 -> T9) through a shared input layer (3
channels, narrower tasks zero-padded) and a shared readout (3 units, padded units excluded from
loss and metric). After each task, uncentred covariances of that task's activity are averaged
(equal weights over tasks) into four subspaces; the Adam update of every later task is projected
away from them:

    kernel K = [W_in; W_rec]:  dK -> P_in dK P_act,   readout: dW_out -> P_h dW_out P_y,
    P = (S / alpha + I)^-1,    S_in = cov([x_t; h_{t-1}]), S_act = K^T S_in K,
    S_h = cov(h_t), S_y = cov(targets).

Two registered methods: ``dni`` appends a one-hot task cue to the inputs (rule inputs: Duncker's
and Yang's setting, the main DNI baseline), ``dni_no_rule`` has none (the MoLaP authors' code).
Without rule inputs the network cannot tell Pro from Anti (identical inputs, opposite targets),
so after the whole sequence it must fail one task of each pair.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
import optax
from tqdm.auto import tqdm

from molap import network
from molap.errors import MolapError
from molap.metrics import NON_FINITE_OUTPUTS, Scores, score_counts, scores_from_counts
from molap.network import Layout, RNNParams
from molap.store.keys import OMIT_DEFAULT
from molap.tasks import Task, sample
from molap.training.fused import Grads, task_outputs
from molap.training.task_training import TaskTraining, time_weights
from molap.training.trainer import Trainer, as_keys, fold_keys

WIDTH = 3  #: shared input and output width (the widest task)


@dataclass(frozen=True)
class DNIConfig:
    """DNI settings beside the shared training recipe. ``snapshots``: keep the network as it was
    right after each task's own training (:attr:`DNIResult.own_params`), so that perturbation
    sweeps test each task on the network that had just learned it, not on the end of the
    sequence, which has forgotten earlier tasks (unset, it is in no cache key)."""

    n_units: int = 200
    alpha: float = 1e-3
    n_cov: int = 2000  #: fresh trials per task for the covariances
    snapshots: bool = field(default=False, metadata=OMIT_DEFAULT)


class DNIResult(NamedTuple):
    """params: the final network; after_own: (n_tasks, 5) scores right after each task's training;
    final: (n_tasks, 5) scores after the whole sequence; losses (n_tasks, n_steps); own_params:
    the network right after each task's training, every leaf stacked (n_tasks, ...) (None unless
    :attr:`DNIConfig.snapshots`)."""

    params: RNNParams
    after_own: np.ndarray
    final: np.ndarray
    losses: np.ndarray
    own_params: RNNParams | None = None


def dni_inputs(x: jax.Array, task_index: int, n_tasks: int, rule_inputs: bool) -> jax.Array:
    """Pad task inputs (B, 110, n_in) to the shared width, plus a one-hot cue if asked."""
    x = jnp.pad(x, ((0, 0), (0, 0), (0, WIDTH - x.shape[-1])))
    if rule_inputs:
        cue = jnp.zeros(x.shape[:2] + (n_tasks,)).at[..., task_index].set(1.0)
        x = jnp.concatenate([x, cue], -1)
    return x


def _projector(s: jax.Array, alpha: float) -> jax.Array:
    return jnp.linalg.inv(s / alpha + jnp.eye(s.shape[0]))


class ProjectedState(NamedTuple):
    """Adam's state and the four projection matrices (in, act, h, y) it applies."""

    adam: Any
    proj: dict


def projected_adam(schedule, proj: dict | None = None, *, adam: optax.GradientTransformation | None = None
                   ) -> optax.GradientTransformation:
    """Adam (or the given ``adam``, e.g. with clipping before it), then the DNI projection of the
    kernel and readout updates. The projections live in the optimiser state
    (:class:`ProjectedState`), so networks trained together may each have their own; ``init``
    uses ``proj``."""
    adam = optax.adam(schedule.learning_rate()) if adam is None else adam

    def init(params):
        if proj is None:
            raise MolapError("projected_adam needs the projections to build its state")
        return ProjectedState(adam.init(params), proj)

    def update(g, state, params=None):
        u, a = adam.update(g, state.adam, params)
        pr = state.proj
        n_in = u.w_in.shape[0]
        k = jnp.concatenate([u.w_in, u.w_rec], 0)
        k = pr["in"] @ k @ pr["act"]
        w_out = pr["h"] @ u.w_out @ pr["y"]
        return u._replace(w_in=k[:n_in], w_rec=k[n_in:], w_out=w_out), ProjectedState(a, pr)

    return optax.GradientTransformation(init, update)


def covariances(params: RNNParams, x: jax.Array, y: jax.Array) -> dict:
    """Uncentred covariances of one task's trials: x (B, 110, n_in), y (B, 110, 3)."""
    _, h = network.run(params, x)
    h_prev = jnp.concatenate([jnp.broadcast_to(params.h0, h[:, :1].shape), h[:, :-1]], 1)
    z = jnp.concatenate([x, h_prev], -1).reshape(-1, x.shape[-1] + h.shape[-1])
    s_in = z.T @ z / z.shape[0]
    kern = jnp.concatenate([params.w_in, params.w_rec], 0)
    hf = h.reshape(-1, h.shape[-1])
    yf = y.reshape(-1, y.shape[-1])
    return {"in": s_in, "act": kern.T @ s_in @ kern, "h": hf.T @ hf / hf.shape[0], "y": yf.T @ yf / yf.shape[0]}


def train_dni_many(tasks: Sequence[Task], config: TaskTraining, dni: DNIConfig = DNIConfig(), g: float = 1.5, *,
                   keys: jax.Array, test_keys: jax.Array, n_test: int, rule_inputs: bool = True, lr_scale=None,
                   train_b_out: bool = False, progress: bool = True) -> list[DNIResult]:
    """:func:`train_dni` for K networks at once (keys, test_keys and lr_scale (K,)), each with its
    own projections; network k equals train_dni with key=keys[k], test_key=test_keys[k].
    ``train_b_out``: the readout bias trains without projection (else it stays at 0)."""
    names = [t.name for t in tasks]
    if len(set(names)) != len(names):
        raise MolapError(f"a DNI order names a task twice: {names}")
    keys, test_keys = as_keys(keys), as_keys(test_keys)
    n_nets, n_tasks = len(keys), len(tasks)
    n_in = WIDTH + (n_tasks if rule_inputs else 0)
    params = jax.vmap(lambda k: network.init(jax.random.fold_in(k, 0), n_in, WIDTH, Layout(dni.n_units, 2), g))(keys)
    mask = network.trainable(jax.tree.map(lambda a: a[0], params), w_in=True, w_rec=True, w_out=True,
                             b_out=train_b_out)
    mask = jax.tree.map(lambda a: jnp.broadcast_to(a, (n_nets,) + a.shape), mask)
    wide = [t.name for t in tasks if t.n_in > WIDTH or t.n_out > WIDTH]
    if wide:
        raise MolapError(f"a DNI network is {WIDTH} inputs and {WIDTH} outputs wide (the widest corpus task); "
                         f"wider tasks: {', '.join(wide)}")
    cov_sum = None
    after_own, losses, snaps = [], [], []

    def batch(i, t, k, n):
        b = sample(t, k, n)
        x = dni_inputs(b.inputs, i, n_tasks, rule_inputs)
        y = jnp.pad(b.targets, ((0, 0), (0, 0), (0, WIDTH - t.n_out)))
        return x, y

    fns = {}

    def test_scores(params, i, t):  # (K, 5): task i on every network's test trials, counted on the device
        if i not in fns:
            def one(p, k, i=i, t=t):
                x, y = batch(i, t, k, n_test)
                o = network.outputs(p, x)[..., :t.n_out]
                return score_counts(o, y[..., :t.n_out], t.scored_window), jnp.isfinite(o).all()
            fns[i] = jax.jit(jax.vmap(one))
        counts, finite = jax.device_get(fns[i](params, fold_keys(test_keys, i)))
        if not np.all(finite):
            raise MolapError(NON_FINITE_OUTPUTS)
        return np.array([list(scores_from_counts(*(c[j] for c in counts), n_trials=n_test)) for j in range(n_nets)])

    for i, t in enumerate(tqdm(tasks, desc=f"DNI task sequence ({n_nets} networks)", disable=not progress)):
        unit = jnp.array([1.0 if j < t.n_out else 0.0 for j in range(WIDTH)])
        weights = time_weights(config.response_weight, t.response)

        def loss_fn(p, k, i=i, t=t, unit=unit, weights=weights):
            x, y = batch(i, t, k, config.batch)
            out = task_outputs(jax.tree.map(lambda a: a[None], p), x[None], grads=Grads("all"))[0]  # b is not trained
            w = weights[None, :, None] * unit[None, None, :]
            mse = jnp.sum(w * (out - y) ** 2) / jnp.sum(w * jnp.ones_like(y))
            return mse + config.l2 * (jnp.sum(p.w_in ** 2) + jnp.sum(p.w_rec ** 2))

        task_keys = fold_keys(keys, 100 + i)
        inner = config.optimizer(per_task=False)  # a fresh Adam state for every task
        if cov_sum is None:
            trainer = Trainer(loss_fn, mask, config.schedule, key=task_keys, tx=inner, batched=True,
                              lr_scale=lr_scale)
            state = trainer.init(params)
        else:
            proj = jax.vmap(lambda c: {k: _projector(v / i, dni.alpha) for k, v in c.items()})(cov_sum)
            trainer = Trainer(loss_fn, mask, config.schedule, key=task_keys,
                              tx=projected_adam(config.schedule, adam=inner), batched=True, lr_scale=lr_scale)
            state = ProjectedState(jax.vmap(inner.init)(params), proj)
        params, _, ls = trainer.run(params, state, 0, config.schedule.n_steps)
        losses.append(ls.T)
        after_own.append(test_scores(params, i, t))
        if dni.snapshots:
            snaps.append(jax.device_get(params))
        cov_keys = fold_keys(keys, 200 + i)
        c = jax.jit(jax.vmap(lambda p, k: covariances(p, *batch(i, t, k, dni.n_cov))))(params, cov_keys)
        cov_sum = c if cov_sum is None else jax.tree.map(jnp.add, cov_sum, c)
    final = np.stack([test_scores(params, i, t) for i, t in enumerate(tasks)], 1)
    after = np.stack(after_own, 1)  # (K, n_tasks, 5)
    loss_arr = np.stack(losses, 1)  # (K, n_tasks, n_steps)
    own = jax.tree.map(lambda *a: np.stack(a, 1), *snaps) if snaps else None  # leaves (K, n_tasks, ...)
    return [DNIResult(jax.tree.map(lambda a: a[j], params), after[j], final[j], loss_arr[j],
                      None if own is None else jax.tree.map(lambda a: a[j], own)) for j in range(n_nets)]


def train_dni(tasks: Sequence[Task], config: TaskTraining, dni: DNIConfig = DNIConfig(), g: float = 1.5, *,
              key: jax.Array, n_test: int, test_key: jax.Array,
              rule_inputs: bool = True, train_b_out: bool = False, progress: bool = True) -> DNIResult:
    """Train the tasks in order with DNI projections; evaluate after each task and at the end (on
    test trials: DNI has no validation set)."""
    return train_dni_many(tasks, config, dni, g, keys=key[None], test_keys=test_key[None], n_test=n_test,
                          rule_inputs=rule_inputs, train_b_out=train_b_out, progress=progress)[0]


def dni_scores(result: DNIResult, tasks: Sequence[Task], which: str = "final") -> dict[str, Scores]:
    """{task: Scores} after the whole sequence (``final``) or right after each task (``after_own``)."""
    arr = result.final if which == "final" else result.after_own
    return {t.name: Scores(*map(float, arr[i])) for i, t in enumerate(tasks)}
