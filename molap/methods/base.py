"""What a training method is (:class:`Method`), the registry of methods, and a trained run.

Every method implements the same protocol; the pipeline (:mod:`molap.pipeline`), the learning-rate
pilots, perturbation sweeps, parameter counts and the CLI read the registry and dispatch on no
method's name (the book names the paper's methods where the paper's protocol does). A new method is one file with a class that implements :class:`Method` and a call
to :func:`register`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, NamedTuple, Protocol

import numpy as np

from molap.errors import MolapError
from molap.training import TaskTraining

if TYPE_CHECKING:  # pragma: no cover
    from molap.methods.counts import ParameterCounts
    from molap.network import TaskNetworks
    from molap.profiles import Profile
    from molap.tasks import Task


class RunSpec(NamedTuple):
    """One network of a method to train: the method's name, the seed and the task-training recipe."""

    method: str
    seed: int
    recipe: TaskTraining


class TrainedRun(NamedTuple):
    """One method trained on the corpus with one recipe, and tested.

    method, seed, lr: what was trained; tasks: the n_tasks task names, in order. test: {task:
    Scores} on the seed's test set (None for a learning-rate pilot). curve_steps (n_blocks,) and
    curve (n_blocks, n_tasks, 5): the validation Scores fields after each block (empty for methods
    that train tasks in sequence). losses: the training loss per step. params: the trained
    parameters, a method-specific named tuple (:class:`molap.methods.frozen.FrozenParams`,
    stacked per-task :class:`molap.network.RNNParams`, ...). after_own: {task: Scores} right after
    each task's own training, for methods that train tasks in sequence; None otherwise.
    own_params: for those methods, the parameters right after each task's own training, every leaf
    stacked (n_tasks, ...), where the method keeps them; None otherwise.
    """

    method: str
    seed: int
    lr: float
    tasks: list
    test: dict | None
    curve_steps: np.ndarray
    curve: np.ndarray
    losses: np.ndarray
    params: Any
    after_own: dict | None = None
    own_params: Any = None


class Method(Protocol):
    """A training method.

    name: the registry name; family: methods of one family have the same shapes and train
    together in one vmapped run (with each other's seeds and learning rates); summary: one line.
    Methods with frozen recurrent modules also have ``modules(profile, seed, tasks)`` (->
    :class:`molap.methods.frozen.Modules`); the pipeline's frozen-module stages use it.
    """

    name: str
    family: str
    summary: str

    def key(self, profile: Profile) -> dict:
        """The profile's sub-configurations that this method's trained networks depend on, beyond
        the task-training recipe, the test set and the seed (part of every cache key of its runs)."""

    def train(self, profile: Profile, specs: Sequence[RunSpec], *, tasks: Sequence[Task] | None = None,
              pilot: bool = False, progress: bool = True) -> list[TrainedRun]:
        """Train several runs of this method's family together (recipes differ only in their
        learning rate) on ``tasks`` (default the nine; frozen modules stay those of the corpus). A
        pilot scores on the validation stream and has no test scores."""

    def pilot_score(self, run: TrainedRun) -> float:
        """The number a learning-rate pilot maximises: the mean decision-unit accuracy over tasks."""

    def pilot_key(self, profile: Profile) -> dict:
        """What the pilot score depends on beyond :meth:`key` and the recipe (part of the key of
        the learning-rate selection; usually empty)."""

    def task_networks(self, run: TrainedRun, profile: Profile) -> TaskNetworks:
        """Every task's network of a trained run, for perturbation sweeps."""

    def counts(self, tasks: Sequence[Task], profile: Profile) -> ParameterCounts:
        """Parameter counts of this method's networks (the paper's Table 1)."""


def final_validation_score(run: TrainedRun) -> float:
    """Mean decision-unit accuracy over tasks at the last validation block."""
    from molap.metrics import Scores

    return float(np.mean(np.asarray(run.curve)[-1, :, Scores.column("decision")]))


class TrainsTasksTogether:
    """Defaults for methods that train all tasks at once and validate after every block: the pilot
    score is the last block's mean decision-unit accuracy, and it depends on nothing else."""

    def pilot_score(self, run: TrainedRun) -> float:
        return final_validation_score(run)

    def pilot_key(self, profile) -> dict:
        return {}


_REGISTRY: dict[str, Method] = {}


def register(method: Method) -> Method:
    """Add a method to the registry (its name must be new)."""
    for attr in ("name", "family", "summary", "key", "train", "pilot_score", "pilot_key", "task_networks", "counts"):
        if not hasattr(method, attr):
            raise MolapError(f"a method needs {attr!r}; {method!r} has none")
    if method.name in _REGISTRY:
        raise MolapError(f"a method named {method.name!r} is already registered")
    _REGISTRY[method.name] = method
    return method


def unregister(name: str) -> None:
    """Remove a method (for tests that register a toy method)."""
    _REGISTRY.pop(name, None)


def names() -> tuple[str, ...]:
    """Every registered method, in registration order."""
    return tuple(_REGISTRY)


def get(name: str) -> Method:
    """A registered method by name."""
    if not isinstance(name, str) or name not in _REGISTRY:
        raise MolapError(f"unknown method {name!r}; expected one of {names()}")
    return _REGISTRY[name]


def family(name: str) -> tuple[str, ...]:
    """The methods trained together with ``name`` (its family), in registration order."""
    fam = get(name).family
    return tuple(m for m, v in _REGISTRY.items() if v.family == fam)


def families() -> list[tuple[str, ...]]:
    """Every family's methods, in registration order."""
    out: list[tuple[str, ...]] = []
    for m in _REGISTRY:
        f = family(m)
        if f not in out:
            out.append(f)
    return out


def initial_network(profile: Profile, seed: int):
    """The random network every method of a seed starts from (1 input, 1 output; stream INIT)."""
    from molap import network
    from molap.streams import Stream, stream

    return network.init(stream(seed, Stream.INIT), 1, 1, profile.network.layout, profile.network.g)


def shared_recipe(specs: Sequence[RunSpec]) -> tuple[TaskTraining, np.ndarray]:
    """(the first spec's recipe, (K,) learning-rate factors of every spec relative to it); runs
    trained together may differ only in their learning rate."""
    from dataclasses import replace

    base = specs[0].recipe
    for s in specs:
        if replace(s.recipe, schedule=replace(s.recipe.schedule, lr=base.schedule.lr)) != base:
            raise MolapError("runs trained together may differ only in their learning rate")
    return base, np.array([s.recipe.schedule.lr / base.schedule.lr for s in specs], np.float32)


def run_keys(specs: Sequence[RunSpec], *, pilot: bool):
    """(train, validation, test) (K,) key arrays of the specs' seeds; a pilot's "test" draws come
    from the validation stream."""
    import jax.numpy as jnp

    from molap.streams import Stream, stream

    def keys(which):
        return jnp.stack([stream(s.seed, which) for s in specs])

    return keys(Stream.TRAIN), keys(Stream.VAL), keys(Stream.VAL if pilot else Stream.TEST)


def stack(items):
    """Stack a list of same-shaped pytrees on a new leading axis (as numpy arrays)."""
    import jax

    return jax.tree.map(lambda *a: np.stack([np.asarray(x) for x in a]), *items)
