"""The task API: the 110-step timeline, :class:`Trial` and :class:`Task` (see :mod:`molap.tasks`)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from ..errors import MolapError


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
        stim, dec = jnp.asarray(stim, jnp.float32), jnp.asarray(dec, jnp.float32)
        want = ((N_STEPS, len(self.inputs)), (N_STEPS, len(self.outputs)))
        if stim.size != N_STEPS * len(self.inputs) or dec.size != N_STEPS * len(self.outputs):
            raise MolapError(f"task {self.name!r}: signals must return stimulus inputs of shape {want[0]} and targets "
                             f"of shape {want[1]} (one column per channel name), got {stim.shape} and {dec.shape}")
        stim, dec = stim.reshape(want[0]), dec.reshape(want[1])
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
            if not (bool(jnp.isfinite(x).all()) and bool(jnp.isfinite(y).all())):
                side = "stimulus inputs" if not bool(jnp.isfinite(x).all()) else "targets"
                raise MolapError(f"task {task.name!r}: signals gave non-finite {side} (NaN or inf) on the angle grid; "
                                 "expected finite values for every pair of angles")
            r_in = max(1.0, float(jnp.abs(x).max()))
            r_out = max(1.0, float(jnp.abs(y).max()))
        _SCALE_CACHE[key] = (r_in, r_out)
    return _SCALE_CACHE[key]


_SCALE_CACHE: dict = {}
