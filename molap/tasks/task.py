"""The task API: the 110-step timeline, :class:`Trial` and :class:`Task` (see :mod:`molap.tasks`)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from molap.errors import MolapError

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
    """The random variables of one trial: two angles (radians), scalars, and ``vars``: the task's own
    discrete variables ({name: int scalar in [0, n)}, see :attr:`Task.variables`; empty for the
    nine tasks)."""

    theta1: jax.Array
    theta2: jax.Array
    vars: Mapping[str, jax.Array] = {}  # noqa: RUF012 (never mutated)


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
        response: the response epoch [start, end) on the 110-step axis: the fixation input and
            target are on from step 10 to ``start`` (the go cue), and the loss weighs the response
            epoch by the recipe's ``response_weight``. Default [85, 110), the nine tasks' epoch.
        window: the steps [start, end) whose mean output is scored (:mod:`molap.metrics`); None
            (default): the last 30 steps of the response epoch (:attr:`scored_window`).
        variables: the task's own discrete trial variables as (name, number of values) pairs, each
            drawn uniformly per trial and passed to ``signals`` in ``trial.vars`` (a match flag, a
            delay length, an index into a bank of trials).
        scale_range: the half-widths (r_in, r_out) of the scaling map, for tasks whose largest
            value cannot be found on the angle grid (default: found there, see :meth:`scale`).
    """

    name: str
    inputs: tuple[str, ...]
    outputs: tuple[str, ...]
    signals: Signals = field(repr=False)
    noise_group: str | None = None
    description: str = ""
    response: tuple[int, int] = (GO, N_STEPS)
    window: tuple[int, int] | None = None
    variables: tuple[tuple[str, int], ...] = ()
    scale_range: tuple[float, float] | None = None

    def __post_init__(self):
        if not isinstance(self.name, str) or not self.name:
            raise MolapError(f"a task's name must be a non-empty string, got {self.name!r}")
        for side in ("inputs", "outputs"):
            names = getattr(self, side)
            if isinstance(names, str) or not all(isinstance(c, str) for c in names) or len(names) == 0:
                raise MolapError(f"task {self.name!r}: {side} must be a non-empty sequence of channel names "
                                 f"(fixation, channel 0, is implicit), got {names!r}")
            object.__setattr__(self, side, tuple(names))
        if not callable(self.signals):
            raise MolapError(f"task {self.name!r}: signals must be a function Trial -> (stimulus inputs, targets), "
                             f"got {self.signals!r}")
        if self.noise_group is not None and not isinstance(self.noise_group, str):
            raise MolapError(f"task {self.name!r}: noise_group must be a string or None, got {self.noise_group!r}")
        object.__setattr__(self, "response", _steps(self.name, "response", self.response, LEAD + 1, N_STEPS))
        if self.window is not None:
            object.__setattr__(self, "window", _steps(self.name, "window", self.window, LEAD, N_STEPS))
        object.__setattr__(self, "variables", _variables(self.name, self.variables))
        if self.scale_range is not None:
            r = self.scale_range
            if (len(r) != 2 or not all(isinstance(v, (int, float, np.floating)) and np.isfinite(v) and v > 0 for v in r)):
                raise MolapError(f"task {self.name!r}: scale_range must be two finite positive half-widths "
                                 f"(r_in, r_out), got {r!r}")
            object.__setattr__(self, "scale_range", (float(r[0]), float(r[1])))

    @property
    def scored_window(self) -> tuple[int, int]:
        """The steps [start, end) whose mean output is scored: :attr:`window`, or by default the
        last 30 steps of the response epoch (for the nine tasks [80, 110), the paper's rule)."""
        if self.window is not None:
            return self.window
        end = self.response[1]
        return max(LEAD, end - WINDOW), end

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

    def clean(self, theta1: jax.Array, theta2: jax.Array, vars: Mapping[str, jax.Array] | None = None
              ) -> tuple[jax.Array, jax.Array]:
        """Noise-free raw signals of one trial: inputs (110, n_in), targets (110, n_out)."""
        vs = {} if vars is None else dict(vars)
        if set(vs) != {n for n, _ in self.variables}:
            raise MolapError(f"task {self.name!r}: a trial needs the variables {[n for n, _ in self.variables]}, "
                             f"got {sorted(vs)}")
        try:
            stim, dec = self.signals(Trial(theta1, theta2, vs) if vs else Trial(theta1, theta2))
        except KeyError as e:
            raise MolapError(f"task {self.name!r}: signals read trial variable {e.args[0]!r}, which the task does not "
                             f"declare; declared: {[n for n, _ in self.variables]} (Task(..., variables=(("
                             f"{e.args[0]!r}, n_values),)))") from None
        stim, dec = jnp.asarray(stim, jnp.float32), jnp.asarray(dec, jnp.float32)
        want = ((N_STEPS, len(self.inputs)), (N_STEPS, len(self.outputs)))
        if stim.size != N_STEPS * len(self.inputs) or dec.size != N_STEPS * len(self.outputs):
            raise MolapError(f"task {self.name!r}: signals must return stimulus inputs of shape {want[0]} and targets "
                             f"of shape {want[1]} (one column per channel name), got {stim.shape} and {dec.shape}")
        stim, dec = stim.reshape(want[0]), dec.reshape(want[1])
        fix = on(LEAD, self.response[0])[:, None]
        return jnp.concatenate([fix, stim], 1), jnp.concatenate([fix, dec], 1)

    def scale(self) -> tuple[float, float]:
        """Half-widths (r_in, r_out) of the fixed affine maps v -> (v + r) / 2r onto [0, 1].

        r is the largest absolute noise-free value over the probe trials (:meth:`probe`: the whole
        angle grid; at least 1), or the task's ``scale_range``, so
        zero maps to 0.5 in every task: 1 for the inputs of all nine tasks, 1 for the targets of
        T1-T8 and 1.4088 (cos 40 deg + sin 40 deg) for Multi Mem.
        """
        return _scale(self)

    def probe(self) -> tuple[jax.Array, jax.Array]:
        """Noise-free raw signals of the task's probe trials: every pair of grid angles, each with
        the task's variables (if any) drawn from a fixed key. (P, 110, n_in), (P, 110, n_out)."""
        a1, a2 = jnp.meshgrid(ANGLES, ANGLES, indexing="ij")
        k = jax.random.key(PROBE_SEED)
        vs = {n: jax.random.randint(jax.random.fold_in(k, i), (a1.size,), 0, m)
              for i, (n, m) in enumerate(self.variables)}
        return jax.vmap(self.clean)(a1.ravel(), a2.ravel(), vs)

    def fingerprint(self) -> str:
        """A hash of the task's definition (16 hex digits): its channels, epochs, variables, noise
        group, scaling and its noise-free signals on the probe trials (:meth:`probe`). Two tasks
        with one fingerprint give the same trials from the same key; results of tasks outside the
        corpus are cached under it."""
        import hashlib

        h = hashlib.sha256(repr((self.name, self.inputs, self.outputs, self.noise_group, self.response,
                                 self.scored_window, self.variables, self.scale())).encode())
        with jax.ensure_compile_time_eval():
            for a in self.probe():
                h.update(np.round(np.asarray(a, np.float64), 5).tobytes())
        return h.hexdigest()[:16]


PROBE_SEED = 0
"""The key of the probe trials' variables (:meth:`Task.probe`)."""
WINDOW = 30
"""Steps of the default metric window: the last 30 steps of the response epoch."""


def _steps(name: str, what: str, value, lo: int, hi: int) -> tuple[int, int]:
    """A [start, end) step range with lo <= start < end <= hi, or one clear error."""
    ok = (isinstance(value, (tuple, list)) and len(value) == 2
          and all(isinstance(v, (int, np.integer)) and not isinstance(v, bool) for v in value))
    if not ok or not (lo <= value[0] < value[1] <= hi):
        raise MolapError(f"task {name!r}: {what} must be two integer steps (start, end) with "
                         f"{lo} <= start < end <= {hi}, got {value!r}")
    return int(value[0]), int(value[1])


def _variables(name: str, value) -> tuple[tuple[str, int], ...]:
    """The task's variables as ((name, n values), ...), or one clear error."""
    items = tuple(value.items()) if isinstance(value, Mapping) else value
    try:
        out = tuple((n, m) for n, m in items)
    except (TypeError, ValueError):
        out = None
    if out is None or not all(isinstance(n, str) and n.isidentifier() and isinstance(m, (int, np.integer))
                              and not isinstance(m, bool) and m >= 1 for n, m in out):
        raise MolapError(f"task {name!r}: variables must be (name, number of values >= 1) pairs, got {value!r}")
    names = [n for n, _ in out]
    if len(set(names)) != len(names):
        raise MolapError(f"task {name!r}: variable named more than once in {names}")
    return tuple((n, int(m)) for n, m in out)


def _scale(task: Task) -> tuple[float, float]:
    if task.scale_range is not None:
        return task.scale_range
    key = (task.name, task.signals, task.response, task.variables)
    if key not in _SCALE_CACHE:
        with jax.ensure_compile_time_eval():
            x, y = task.probe()
            if not (bool(jnp.isfinite(x).all()) and bool(jnp.isfinite(y).all())):
                side = "stimulus inputs" if not bool(jnp.isfinite(x).all()) else "targets"
                raise MolapError(f"task {task.name!r}: signals gave non-finite {side} (NaN or inf) on the angle grid; "
                                 "expected finite values for every pair of angles")
            r_in = max(1.0, float(jnp.abs(x).max()))
            r_out = max(1.0, float(jnp.abs(y).max()))
        _SCALE_CACHE[key] = (r_in, r_out)
    return _SCALE_CACHE[key]


_SCALE_CACHE: dict = {}
