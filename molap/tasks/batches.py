"""Batches of trials drawn in JAX: noise, scaling to [0, 1] and the corpus matrices."""

from __future__ import annotations

import zlib
from collections.abc import Mapping, Sequence
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from molap.errors import MolapError
from molap.names import MAX_TRIALS
from molap.streams import check_key
from molap.tasks.corpus import PAPER_LABELS, get_task, get_tasks
from molap.tasks.task import ANGLES, EPOCHS, LEAD, N_ANGLES, N_STEPS, NOISE_STD, Task, on


class Batch(NamedTuple):
    """A batch of trials as the network sees them (scaled to [0, 1]).

    inputs: (B, 110, n_in) float32; targets: (B, 110, n_out) float32;
    theta1, theta2: (B,) angle indices into the 36-angle grid; variables: {name: (B,) int} the
    task's own trial variables (:attr:`Task.variables`; empty for the nine tasks).
    """

    inputs: jax.Array
    targets: jax.Array
    theta1: jax.Array
    theta2: jax.Array
    variables: Mapping[str, jax.Array] = {}  # noqa: RUF012 (never mutated)


def _tag(name: str) -> int:
    return zlib.crc32(name.encode()) & 0x7FFFFFFF




def check_trials(n_trials) -> int:
    """Validate a trial count: a positive integer of at most :data:`MAX_TRIALS`."""
    if isinstance(n_trials, bool) or not isinstance(n_trials, (int, np.integer)) or n_trials <= 0:
        raise MolapError(f"trial count must be a positive integer, got {n_trials!r}")
    if n_trials > MAX_TRIALS:
        raise MolapError(f"trial count must be at most {MAX_TRIALS:,} per task and batch, got {n_trials!r}")
    return int(n_trials)


def _draw(tasks: tuple[Task, ...], key: jax.Array, n: int, scaling: str) -> dict[str, Batch]:
    k_theta1, k_fix, k_theta2, k_stim = (jax.random.fold_in(key, i) for i in range(4))
    th1 = jax.random.randint(k_theta1, (n,), 0, N_ANGLES)
    noise_window = on(LEAD, N_STEPS)[None, :]
    fix_noise = NOISE_STD * noise_window * jax.random.normal(k_fix, (n, N_STEPS))
    out = {}
    for task in tasks:
        th2 = jax.random.randint(jax.random.fold_in(k_theta2, _tag(task.name)), (n,), 0, N_ANGLES)
        k_vars = jax.random.fold_in(jax.random.fold_in(key, 4), _tag(task.name))  # only tasks with variables use it
        vs = {v: jax.random.randint(jax.random.fold_in(k_vars, _tag(v)), (n,), 0, m) for v, m in task.variables}
        x, y = jax.vmap(task.clean)(ANGLES[th1], ANGLES[th2], vs)
        group = task.noise_group or task.name
        k = jax.random.fold_in(k_stim, _tag(group))
        stim_noise = NOISE_STD * jax.random.normal(k, (n, N_STEPS, task.n_in - 1))
        noise = jnp.concatenate([fix_noise[..., None], stim_noise * noise_window[..., None]], -1)
        x = x + noise
        if scaling == "affine":
            r_in, r_out = task.scale()
            x, y = (x + r_in) / (2 * r_in), (y + r_out) / (2 * r_out)
        else:  # the authors' per-batch min-max of each whole tensor
            x = (x - x.min()) / (x.max() - x.min())
            y = (y - y.min()) / (y.max() - y.min())
        out[task.name] = Batch(x, y, th1, th2, vs) if vs else Batch(x, y, th1, th2)
    return out


_SCALINGS = ("affine", "minmax")


def _check_scaling(scaling: str) -> None:
    if scaling not in _SCALINGS:
        raise MolapError(f"unknown scaling {scaling!r}; expected one of {_SCALINGS}")


def sample_corpus(
    tasks: Sequence[str | Task] | None, key: jax.Array, n_trials: int, *, scaling: str = "affine"
) -> dict[str, Batch]:
    """One aligned draw of several tasks: {name: Batch}.

    All tasks share the first angle and the fixation noise of each trial, tasks of one noise
    group share their stimulus noise, and the second angle and other noise are per task. A
    task's batch does not depend on which other tasks are drawn with it, so
    ``sample(t, key, n) == sample_corpus(..., key, n)[t.name]``.
    """
    ts = get_tasks(tasks)
    check_key(key)
    n = check_trials(n_trials)
    _check_scaling(scaling)
    for t in ts:
        t.scale()  # host-side, before tracing
    out = _draw_jit(ts, key, n, scaling)
    return {t.name: out[t.name] for t in ts}  # jit returns dicts sorted by key


def sample(task: str | Task, key: jax.Array, n_trials: int, *, scaling: str = "affine") -> Batch:
    """A batch of ``n_trials`` trials of one task, from an explicit key (jittable inside)."""
    t = get_task(task)
    return sample_corpus([t], key, n_trials, scaling=scaling)[t.name]


_draw_jit = jax.jit(_draw, static_argnums=(0, 2, 3))


def stack_inputs(batches: Mapping[str, Batch]) -> tuple[jax.Array, jax.Array]:
    """Concatenate a corpus draw along channels: X (B, 110, sum n_in), Y (B, 110, sum n_out)."""
    xs = [b.inputs for b in batches.values()]
    ys = [b.targets for b in batches.values()]
    return jnp.concatenate(xs, -1), jnp.concatenate(ys, -1)


def epoch_table() -> list[dict]:
    """The epochs as rows of {epoch, start, end, steps}."""
    return [dict(epoch=e, start=a, end=b, steps=b - a) for e, a, b in EPOCHS]


def task_table(tasks: Sequence[str | Task] | None = None) -> list[dict]:
    """One row per task: name, paper label, n_in, n_out, n_steps, channels, description."""
    return [
        dict(
            name=t.name,
            label=PAPER_LABELS.get(t.name, "new"),
            n_in=t.n_in,
            n_out=t.n_out,
            n_steps=t.n_steps,
            inputs=list(t.input_names),
            outputs=list(t.output_names),
            description=t.description,
        )
        for t in get_tasks(tasks)
    ]
