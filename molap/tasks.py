"""The task API and the nine cognitive tasks of the MoLaP corpus.

Every trial has 110 steps: 10 leading zeros, fixation [10, 35), stimulus or memory [35, 85)
and response [85, 110) (reference spec section 1.2). A task is a :class:`Task`: a name, the names
of its stimulus input and decision output channels, and a pure function that maps the trial's
angles to noise-free signals. The fixation input and the fixation target (channel 0 of both) and
the noise, scaling and batching are added here, the same for every task.

A new task takes a few lines::

    def reverse(trial):
        stim = on(35, 85)[:, None] * jnp.stack([jnp.cos(trial.theta1), jnp.sin(trial.theta1)])
        resp = on(85, 110)[:, None] * jnp.stack([-jnp.sin(trial.theta1), jnp.cos(trial.theta1)])
        return stim, resp

    rotate = Task("rotate90", inputs=("cos", "sin"), outputs=("cos", "sin"), signals=reverse)
    batch = sample(rotate, jax.random.key(0), 200)
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass, field
from typing import Callable, Mapping, NamedTuple, Sequence

import jax
import jax.numpy as jnp
import numpy as np

from .errors import MolapError

# Timeline (0-based, half-open step indices on the 110-step axis).
N_STEPS = 110
LEAD = 10  #: leading all-zero steps
STIM_ON = 35  #: end of the fixation-only epoch
GO = 85  #: go cue: fixation input off, response epoch starts
PULSE1 = (35, 45)
PULSE2 = (65, 75)
EPOCHS: tuple[tuple[str, int, int], ...] = (
    ("leading zeros", 0, LEAD),
    ("fixation", LEAD, STIM_ON),
    ("stimulus / memory", STIM_ON, GO),
    ("response", GO, N_STEPS),
)
N_ANGLES = 36  #: angle grid 0, 10, ..., 350 degrees
ANGLES = jnp.arange(N_ANGLES, dtype=jnp.float32) * (2 * np.pi / N_ANGLES)
NOISE_STD = 0.02  #: input noise std (0.002 / sqrt(0.01)), on steps [10, 110), raw units


def on(start: int, end: int) -> jax.Array:
    """(110,) float32 indicator of the steps [start, end)."""
    t = jnp.arange(N_STEPS)
    return ((t >= start) & (t < end)).astype(jnp.float32)


class Trial(NamedTuple):
    """The random variables of one trial: two angles (radians), scalars."""

    theta1: jax.Array
    theta2: jax.Array


Signals = Callable[[Trial], tuple[jax.Array, jax.Array]]
"""Maps a trial to noise-free, unscaled (stimulus inputs (110, n_in - 1), decision targets
(110, n_out - 1)); the fixation channels are added by the framework."""


@dataclass(frozen=True)
class Task:
    """A cognitive task: channel names and a noise-free signal function.

    Attributes:
        name: unique identifier.
        inputs: names of the stimulus input channels (fixation, channel 0, is implicit).
        outputs: names of the decision output channels (fixation, channel 0, is implicit).
        signals: ``Trial -> (stim (110, len(inputs)), targets (110, len(outputs)))``, raw units.
        noise_group: tasks in one corpus draw with the same group share their stimulus noise
            (the authors' code gives Mem Pro and Mem Anti identical inputs).
        description: one line for tables.
    """

    name: str
    inputs: tuple[str, ...]
    outputs: tuple[str, ...]
    signals: Signals = field(repr=False)
    noise_group: str | None = None
    description: str = ""

    @property
    def n_in(self) -> int:
        return 1 + len(self.inputs)

    @property
    def n_out(self) -> int:
        return 1 + len(self.outputs)

    @property
    def n_steps(self) -> int:
        return N_STEPS

    @property
    def input_names(self) -> tuple[str, ...]:
        return ("fix",) + tuple(self.inputs)

    @property
    def output_names(self) -> tuple[str, ...]:
        return ("fix",) + tuple(self.outputs)

    def clean(self, theta1: jax.Array, theta2: jax.Array) -> tuple[jax.Array, jax.Array]:
        """Noise-free raw signals of one trial: inputs (110, n_in), targets (110, n_out)."""
        stim, dec = self.signals(Trial(theta1, theta2))
        stim = jnp.asarray(stim, jnp.float32).reshape(N_STEPS, len(self.inputs))
        dec = jnp.asarray(dec, jnp.float32).reshape(N_STEPS, len(self.outputs))
        fix = on(LEAD, GO)[:, None]
        return jnp.concatenate([fix, stim], 1), jnp.concatenate([fix, dec], 1)

    def scale(self) -> tuple[float, float]:
        """Half-widths (r_in, r_out) of the fixed affine maps v -> (v + r) / 2r onto [0, 1].

        r is the largest absolute noise-free value over the whole angle grid (at least 1), so
        zero maps to 0.5 in every task: 1 for the inputs of all nine tasks, 1 for the targets of
        T1-T8 and 1.4088 (cos 40 deg + sin 40 deg) for Multi Mem.
        """
        return _scale(self)


def _scale(task: Task) -> tuple[float, float]:
    key = (task.name, task.signals)
    if key not in _SCALE_CACHE:
        with jax.ensure_compile_time_eval():
            a1, a2 = jnp.meshgrid(ANGLES, ANGLES, indexing="ij")
            x, y = jax.vmap(task.clean)(a1.ravel(), a2.ravel())
            r_in = max(1.0, float(jnp.abs(x).max()))
            r_out = max(1.0, float(jnp.abs(y).max()))
        _SCALE_CACHE[key] = (r_in, r_out)
    return _SCALE_CACHE[key]


_SCALE_CACHE: dict = {}


# --------------------------------------------------------------------------------------------
# The nine tasks (reference spec section 1.3)
# --------------------------------------------------------------------------------------------


def _cos_sin(theta: jax.Array) -> jax.Array:
    return jnp.stack([jnp.cos(theta), jnp.sin(theta)])


def _delay(anti: bool) -> Signals:
    def signals(trial: Trial):
        stim = on(STIM_ON, N_STEPS)[:, None] * _cos_sin(trial.theta1)
        goal = trial.theta1 + (np.pi if anti else 0.0)
        return stim, on(GO, N_STEPS)[:, None] * _cos_sin(goal)

    return signals


def _memory(anti: bool) -> Signals:
    def signals(trial: Trial):
        stim = on(STIM_ON, GO)[:, None] * _cos_sin(trial.theta1)
        sign = -1.0 if anti else 1.0
        return stim, on(GO, N_STEPS)[:, None] * sign * _cos_sin(trial.theta1)

    return signals


def _pulses(a1: jax.Array, a2: jax.Array) -> jax.Array:
    """(110,) channel carrying a1 during pulse 1 and a2 during pulse 2."""
    return on(*PULSE1) * a1 + on(*PULSE2) * a2


def _dm(channel: str, both: bool) -> Signals:
    f = jnp.cos if channel == "cos" else jnp.sin

    def signals(trial: Trial):
        c = _pulses(jnp.cos(trial.theta1), jnp.cos(trial.theta2))
        s = _pulses(jnp.sin(trial.theta1), jnp.sin(trial.theta2))
        own = c if channel == "cos" else s
        stim = jnp.stack([c, s], 1) if both else own[:, None]
        goal = jnp.maximum(f(trial.theta1), f(trial.theta2))
        return stim, on(GO, N_STEPS)[:, None] * goal

    return signals


def _multi_mem(trial: Trial):
    c = _pulses(jnp.cos(trial.theta1), jnp.cos(trial.theta2))
    s = _pulses(jnp.sin(trial.theta1), jnp.sin(trial.theta2))
    s1 = jnp.cos(trial.theta1) + jnp.sin(trial.theta1)
    s2 = jnp.cos(trial.theta2) + jnp.sin(trial.theta2)
    return jnp.stack([c, s], 1), on(GO, N_STEPS)[:, None] * jnp.maximum(s1, s2)


CS = ("cos", "sin")
TASKS: Mapping[str, Task] = {
    t.name: t
    for t in (
        Task("delay_pro", CS, CS, _delay(False), description="Delay Pro: respond toward the stimulus, which stays on"),
        Task("delay_anti", CS, CS, _delay(True), description="Delay Anti: respond opposite the stimulus, which stays on"),
        Task("mem_pro", CS, CS, _memory(False), "mem", "Mem Pro: stimulus off at go; respond toward it"),
        Task("mem_anti", CS, CS, _memory(True), "mem", "Mem Anti: stimulus off at go; respond opposite it"),
        Task("mem_dm1", ("cos",), ("max",), _dm("cos", False), description="Mem Dm 1: report the larger of two cos pulses"),
        Task("mem_dm2", ("sin",), ("max",), _dm("sin", False), description="Mem Dm 2: report the larger of two sin pulses"),
        Task("context_mem_dm1", CS, ("max",), _dm("cos", True), description="Context Mem Dm 1: both channels; report the larger cos pulse"),
        Task("context_mem_dm2", CS, ("max",), _dm("sin", True), description="Context Mem Dm 2: both channels; report the larger sin pulse"),
        Task("multi_mem", CS, ("max",), _multi_mem, description="Multi Mem: report the larger cos + sin sum of two pulse pairs"),
    )
}
TASK_NAMES: tuple[str, ...] = tuple(TASKS)
PAPER_LABELS = {name: f"T{i + 1}" for i, name in enumerate(TASK_NAMES)}


def get_task(task: str | Task) -> Task:
    """Look a task up by name (a :class:`Task` passes through)."""
    if isinstance(task, Task):
        return task
    if task not in TASKS:
        raise MolapError(f"unknown task {task!r}; expected one of: {', '.join(TASK_NAMES)}")
    return TASKS[task]


def get_tasks(tasks: Sequence[str | Task] | None = None) -> tuple[Task, ...]:
    """Resolve a task list (None: all nine); rejects empty lists and repeats."""
    if tasks is None:
        return tuple(TASKS.values())
    if isinstance(tasks, (str, Task)):
        tasks = [tasks]
    out = tuple(get_task(t) for t in tasks)
    if not out:
        raise MolapError("empty task list; expected at least one task")
    names = [t.name for t in out]
    dup = sorted({n for n in names if names.count(n) > 1})
    if dup:
        raise MolapError(f"task named more than once: {', '.join(dup)}")
    return out


# --------------------------------------------------------------------------------------------
# Batches
# --------------------------------------------------------------------------------------------


class Batch(NamedTuple):
    """A batch of trials as the network sees them (scaled to [0, 1]).

    inputs: (B, 110, n_in) float32; targets: (B, 110, n_out) float32;
    theta1, theta2: (B,) angle indices into the 36-angle grid.
    """

    inputs: jax.Array
    targets: jax.Array
    theta1: jax.Array
    theta2: jax.Array


def _tag(name: str) -> int:
    return zlib.crc32(name.encode()) & 0x7FFFFFFF


def check_trials(n_trials) -> int:
    """Validate a trial count: a positive integer."""
    if isinstance(n_trials, bool) or not isinstance(n_trials, (int, np.integer)) or n_trials <= 0:
        raise MolapError(f"trial count must be a positive integer, got {n_trials!r}")
    return int(n_trials)


def _draw(tasks: tuple[Task, ...], key: jax.Array, n: int, scaling: str) -> dict[str, Batch]:
    k_theta1, k_fix, k_theta2, k_stim = (jax.random.fold_in(key, i) for i in range(4))
    th1 = jax.random.randint(k_theta1, (n,), 0, N_ANGLES)
    noise_window = on(LEAD, N_STEPS)[None, :]
    fix_noise = NOISE_STD * noise_window * jax.random.normal(k_fix, (n, N_STEPS))
    out = {}
    for task in tasks:
        th2 = jax.random.randint(jax.random.fold_in(k_theta2, _tag(task.name)), (n,), 0, N_ANGLES)
        x, y = jax.vmap(task.clean)(ANGLES[th1], ANGLES[th2])
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
        out[task.name] = Batch(x, y, th1, th2)
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
