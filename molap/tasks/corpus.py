"""The nine cognitive tasks of the MoLaP corpus (reference spec section 1.3) and lookup by name."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import jax
import jax.numpy as jnp
import numpy as np

from molap import names
from molap.errors import MolapError
from molap.tasks.extra import EXTRA_TASKS
from molap.tasks.task import GO, N_STEPS, PULSE1, PULSE2, STIM_ON, Signals, Task, Trial, on


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
assert TASK_NAMES == names.TASK_NAMES, "molap.names.TASK_NAMES must list the corpus in order"
PAPER_LABELS = {name: f"T{i + 1}" for i, name in enumerate(TASK_NAMES)}


def get_task(task: str | Task) -> Task:
    """A task from a :class:`Task` (passed through), a corpus task's name, the name of one of
    the package's extra tasks (:mod:`molap.tasks.extra`), or ``path/to/file.py:NAME`` or
    ``package.module:NAME`` naming a :class:`Task` object there."""
    if isinstance(task, Task):
        return task
    if not isinstance(task, str):
        raise MolapError(f"a task is a Task or a task name, got {task!r}")
    if task in TASKS:
        return TASKS[task]
    if task in EXTRA_TASKS:
        return EXTRA_TASKS[task]
    if ":" in task:
        return load_task(task)
    raise MolapError(f"unknown task {task!r}; expected one of: {', '.join(TASK_NAMES)}; an extra task "
                     f"({', '.join(EXTRA_TASKS)}); or path/to/file.py:NAME or package.module:NAME")


def load_task(spec: str) -> Task:
    """The :class:`Task` named by ``path/to/file.py:NAME`` or ``package.module:NAME``."""
    import importlib
    import importlib.util
    from pathlib import Path

    where, _, attr = spec.rpartition(":")
    if not where or not attr.isidentifier():
        raise MolapError(f"task {spec!r}: expected path/to/file.py:NAME or package.module:NAME")
    if where.endswith(".py"):
        path = Path(where)
        if not path.is_file():
            raise MolapError(f"task {spec!r}: no file {where!r}")
        mod_spec = importlib.util.spec_from_file_location(f"molap_user_tasks.{path.stem}", path)
        module = importlib.util.module_from_spec(mod_spec)
        try:
            mod_spec.loader.exec_module(module)
        except Exception as e:
            raise MolapError(f"task {spec!r}: running {where!r} raised {type(e).__name__}: {e}") from None
    else:
        try:
            module = importlib.import_module(where)
        except ImportError as e:
            raise MolapError(f"task {spec!r}: cannot import module {where!r} ({e})") from None
    value = getattr(module, attr, None)
    if not isinstance(value, Task):
        got = "nothing" if value is None else type(value).__name__
        raise MolapError(f"task {spec!r}: expected {attr!r} in {where!r} to be a molap Task, found {got}")
    return value


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
