"""Tasks that are in no corpus, written with the public task API (used for generalisation).

- ``mem_rotate90``: a memory task; report the remembered angle rotated by +90 degrees.
- ``mem_dm_min``: two cos pulses, as Mem Dm 1, but report the *smaller* one.
- ``pulse_sum``: two cos pulses; report their mean.
"""

from __future__ import annotations

import jax.numpy as jnp
import numpy as np

from molap.tasks.task import GO, N_STEPS, PULSE1, PULSE2, STIM_ON, Task, Trial, on


def _rotate90(trial: Trial):
    stim = on(STIM_ON, GO)[:, None] * jnp.stack([jnp.cos(trial.theta1), jnp.sin(trial.theta1)])
    goal = trial.theta1 + np.pi / 2
    return stim, on(GO, N_STEPS)[:, None] * jnp.stack([jnp.cos(goal), jnp.sin(goal)])


def _pulses(trial: Trial):
    c1, c2 = jnp.cos(trial.theta1), jnp.cos(trial.theta2)
    return on(*PULSE1) * c1 + on(*PULSE2) * c2, c1, c2


def _dm_min(trial: Trial):
    ch, c1, c2 = _pulses(trial)
    return ch[:, None], on(GO, N_STEPS)[:, None] * jnp.minimum(c1, c2)


def _pulse_sum(trial: Trial):
    ch, c1, c2 = _pulses(trial)
    return ch[:, None], on(GO, N_STEPS)[:, None] * (c1 + c2) / 2


EXTRA_TASKS = {
    t.name: t
    for t in (
        Task("mem_rotate90", ("cos", "sin"), ("cos", "sin"), _rotate90,
             description="Mem Rotate: report the remembered angle + 90 deg"),
        Task("mem_dm_min", ("cos",), ("min",), _dm_min, description="Mem Dm Min: report the smaller of two cos pulses"),
        Task("pulse_sum", ("cos",), ("mean",), _pulse_sum, description="Pulse Mean: report the mean of two cos pulses"),
    )
}
