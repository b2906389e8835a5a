"""Dynamical non-interference (DNI; Duncker et al. 2020), as the paper's baseline (spec 5.5-5.7).

One N = 200 network learns the tasks in sequence (T1 -> T9) through a shared input layer (3
channels, narrower tasks zero-padded) and a shared readout (3 units, padded units excluded from
loss and metric). After each task, uncentred covariances of that task's activity are averaged
(equal weights over tasks) into four subspaces; the Adam update of every later task is projected
away from them:

    kernel K = [W_in; W_rec]:  dK -> P_in dK P_act,   readout: dW_out -> P_h dW_out P_y,
    P = (S / alpha + I)^-1,    S_in = cov([x_t; h_{t-1}]), S_act = K^T S_in K,
    S_h = cov(h_t), S_y = cov(targets).

Without rule inputs the network cannot tell Pro from Anti (identical inputs, opposite targets);
``rule_inputs=True`` appends a one-hot task cue (Duncker's and Yang's setting).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple, Sequence

import jax
import jax.numpy as jnp
import numpy as np
import optax
from tqdm.auto import tqdm

from .. import network
from ..errors import MolapError
from ..metrics import Scores, score
from ..network import Layout, RNNParams
from ..tasks import Task, sample
from ..training import HeadConfig, Trainer, time_weights

WIDTH = 3  #: shared input and output width (the widest task)


@dataclass(frozen=True)
class DNIConfig:
    """DNI settings beside the shared training recipe."""

    n_units: int = 200
    alpha: float = 1e-3
    n_cov: int = 2000  #: fresh trials per task for the covariances
    rule_inputs: bool = False


class DNIResult(NamedTuple):
    """params: the final network; after_own: (n_tasks, 5) scores right after each task's training;
    final: (n_tasks, 5) scores after the whole sequence; losses (n_tasks, n_steps)."""

    params: RNNParams
    after_own: np.ndarray
    final: np.ndarray
    losses: np.ndarray


def dni_inputs(x: jax.Array, task_index: int, n_tasks: int, rule_inputs: bool) -> jax.Array:
    """Pad task inputs (B, 110, n_in) to the shared width, plus a one-hot cue if asked."""
    x = jnp.pad(x, ((0, 0), (0, 0), (0, WIDTH - x.shape[-1])))
    if rule_inputs:
        cue = jnp.zeros(x.shape[:2] + (n_tasks,)).at[..., task_index].set(1.0)
        x = jnp.concatenate([x, cue], -1)
    return x


def _projector(s: jax.Array, alpha: float) -> jax.Array:
    return jnp.linalg.inv(s / alpha + jnp.eye(s.shape[0]))


def projected_adam(schedule, proj: dict) -> optax.GradientTransformation:
    """Adam, then the DNI projection of the kernel and readout updates."""
    adam = optax.adam(schedule.learning_rate())

    def update(g, state, params=None):
        u, state = adam.update(g, state, params)
        n_in = u.w_in.shape[0]
        k = jnp.concatenate([u.w_in, u.w_rec], 0)
        k = proj["in"] @ k @ proj["act"]
        w_out = proj["h"] @ u.w_out @ proj["y"]
        return u._replace(w_in=k[:n_in], w_rec=k[n_in:], w_out=w_out), state

    return optax.GradientTransformation(adam.init, update)


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


def train_dni(tasks: Sequence[Task], config: HeadConfig, dni: DNIConfig = DNIConfig(), g: float = 1.5, *,
              key: jax.Array, val_key: jax.Array, n_test: int, test_key: jax.Array,
              progress: bool = True) -> DNIResult:
    """Train the tasks in order with DNI projections; evaluate after each task and at the end."""
    names = [t.name for t in tasks]
    if len(set(names)) != len(names):
        raise MolapError(f"a DNI order names a task twice: {names}")
    n_tasks = len(tasks)
    n_in = WIDTH + (n_tasks if dni.rule_inputs else 0)
    params = network.init(jax.random.fold_in(key, 0), n_in, WIDTH, Layout(dni.n_units, 2), g)
    mask = network.trainable(params, w_in=True, w_rec=True, w_out=True, b_out=True)
    weights = time_weights(config.response_weight)
    cov_sum, n_seen = None, 0
    after_own, losses = [], []

    def batch(i, t, k, n):
        b = sample(t, k, n)
        x = dni_inputs(b.inputs, i, n_tasks, dni.rule_inputs)
        y = jnp.pad(b.targets, ((0, 0), (0, 0), (0, WIDTH - t.n_out)))
        return x, y

    def scores(p, i, t, k, n):
        x, y = batch(i, t, k, n)
        out, _ = network.run(p, x)
        return score(out[..., :t.n_out], y[..., :t.n_out])

    for i, t in enumerate(tqdm(tasks, desc="DNI task sequence", disable=not progress)):
        unit = jnp.array([1.0 if j < t.n_out else 0.0 for j in range(WIDTH)])

        def loss_fn(p, k, i=i, t=t, unit=unit):
            x, y = batch(i, t, k, config.batch)
            out, _ = network.run(p, x)
            w = weights[None, :, None] * unit[None, None, :]
            mse = jnp.sum(w * (out - y) ** 2) / jnp.sum(w * jnp.ones_like(y))
            return mse + config.l2 * (jnp.sum(p.w_in ** 2) + jnp.sum(p.w_rec ** 2))

        if cov_sum is None:
            tx = optax.adam(config.schedule.learning_rate())
        else:
            mean = {k: v / n_seen for k, v in cov_sum.items()}
            tx = projected_adam(config.schedule, {k: _projector(v, dni.alpha) for k, v in mean.items()})
        trainer = Trainer(loss_fn, mask, config.schedule, key=jax.random.fold_in(key, 100 + i), tx=tx)
        params, _, ls = trainer.run(params, trainer.init(params), 0, config.schedule.n_steps)
        losses.append(ls)
        after_own.append(list(scores(params, i, t, jax.random.fold_in(test_key, i), n_test)))
        x, y = batch(i, t, jax.random.fold_in(key, 200 + i), dni.n_cov)
        c = jax.jit(covariances)(params, x, y)
        cov_sum = c if cov_sum is None else jax.tree.map(jnp.add, cov_sum, c)
        n_seen += 1
    final = [list(scores(params, i, t, jax.random.fold_in(test_key, i), n_test)) for i, t in enumerate(tasks)]
    return DNIResult(params, np.array(after_own), np.array(final), np.stack(losses))


def dni_scores(result: DNIResult, tasks: Sequence[Task], which: str = "final") -> dict[str, Scores]:
    """{task: Scores} after the whole sequence (``final``) or right after each task (``after_own``)."""
    arr = result.final if which == "final" else result.after_own
    return {t.name: Scores(*map(float, arr[i])) for i, t in enumerate(tasks)}
