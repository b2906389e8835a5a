"""The book's examples of tasks from outside the package, as the chapter "The task corpus" writes
them: a task with its own trial variables and response epoch, and two neurogym environments.

The chapter defines :func:`delayed_match`'s task in a notebook cell; this copy lets ``molap
reproduce`` compute (and the committed results hold) its runs, found by the task's definition
(:meth:`molap.tasks.Task.fingerprint`), and a hidden cell checks that the two are the same task.
"""

from __future__ import annotations

import jax.numpy as jnp

from molap.tasks import N_STEPS, Task, on

NEUROGYM_ENVS = (("PerceptualDecisionMaking-v0", {"dt": 25}), ("DelayMatchSample-v0", {"dt": 40}))
"""The neurogym environments of the chapter, each at a time step that fits its trials into 100 steps."""
OWN_TASK_METHODS = ("molap", "random")
"""The frozen methods whose modules learn the examples."""


def delayed_match(trial):
    match = trial.vars["match"]  # 0 or 1
    test = jnp.where(match == 1, trial.theta1, trial.theta1 + jnp.pi)
    t = jnp.arange(N_STEPS)
    start = 55 + 5 * trial.vars["delay"]  # 55, 60 or 65
    test_on = ((t >= start) & (t < start + 10)).astype(jnp.float32)
    stim = (on(35, 45)[:, None] * jnp.stack([jnp.cos(trial.theta1), jnp.sin(trial.theta1)])
            + test_on[:, None] * jnp.stack([jnp.cos(test), jnp.sin(test)]))
    return stim, on(90, N_STEPS)[:, None] * (2.0 * match - 1.0)


MATCH_TASK = Task("delayed_match", inputs=("cos", "sin"), outputs=("match",), signals=delayed_match,
                  response=(90, N_STEPS), variables=(("match", 2), ("delay", 3)),
                  description="match or non-match after a variable delay")


def neurogym_available() -> bool:
    import importlib.util

    return importlib.util.find_spec("neurogym") is not None


def neurogym_examples() -> list[Task]:
    """The chapter's neurogym environments as tasks (needs the extra ``molap[neurogym]``)."""
    from molap.tasks.neurogym import from_neurogym

    return [from_neurogym(env, **kw) for env, kw in NEUROGYM_ENVS]
