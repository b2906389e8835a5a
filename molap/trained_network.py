"""A trained run as one object: save it, load it, run it on new inputs.

    net = trained_network.from_run(pipeline.trained("standard", "molap", 0), "standard")
    trained_network.save("molap-s0.npz", net)
    net = trained_network.load("molap-s0.npz")
    batch, y = trained_network.predict(net, "delay_pro", jax.random.key(7), 100)  # y (100, 110, 3)
    y = trained_network.outputs(net, "delay_pro", my_inputs)                     # (B, 110, n_in) -> (B, 110, n_out)

Every task's network is stored as a plain RNN (:class:`molap.network.RNNParams`: MoLaP's frozen
modules with the task's head, a separate network, or DNI's network with the task's rule input
folded into its bias), so running one needs no method code. Tasks are stored by name and
definition (:meth:`molap.tasks.Task.fingerprint`): a task outside the package is passed back as
the :class:`~molap.tasks.Task` object, and one whose definition changed is refused.
"""

from __future__ import annotations

from pathlib import Path
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from molap import store
from molap.errors import MolapError
from molap.network import RNNParams
from molap.network import run as run_network
from molap.tasks import N_STEPS, Batch, Task, get_task, sample


class TrainedNetwork(NamedTuple):
    """method, seed, profile: what was trained; recipe: the task-training recipe's fields (a dict);
    tasks: the task names, in order; definitions: their fingerprints; params: every task's
    network, stacked on axis 0 (inputs and outputs padded to the widest task); test: {task:
    Scores} on the run's test set."""

    method: str
    seed: int
    profile: str
    recipe: dict
    tasks: list
    definitions: list
    params: RNNParams
    test: dict


def from_run(run, profile, tasks=None) -> TrainedNetwork:
    """The :class:`TrainedNetwork` of a :class:`molap.methods.TrainedRun` of ``profile``;
    ``tasks``: the Task objects it was trained on when they are not all the package's own."""
    from dataclasses import asdict

    from molap import methods
    from molap.pipeline.selection import selected_recipe
    from molap.profiles import get_profile

    p = get_profile(profile)
    ts = [get_task(t) for t in (run.tasks if tasks is None else tasks)]
    if [t.name for t in ts] != list(run.tasks):
        raise MolapError(f"the run was trained on {list(run.tasks)}; got tasks {[t.name for t in ts]}")
    nets = methods.get(run.method).task_networks(run, p).params
    recipe = asdict(selected_recipe(p, run.method))
    recipe["schedule"]["lr"] = float(run.lr)
    return TrainedNetwork(run.method, int(run.seed), p.name, recipe, [t.name for t in ts],
                          [t.fingerprint() for t in ts], jax.tree.map(np.asarray, nets), dict(run.test or {}))


def save(path: str | Path, net: TrainedNetwork) -> Path:
    """Write a trained network to ``path`` (a .npz file; the extension is added when missing)."""
    if not isinstance(net, TrainedNetwork):
        raise MolapError(f"expected a TrainedNetwork (trained_network.from_run), got {type(net).__name__}")
    path = Path(path)
    if path.suffix != ".npz":
        path = path.with_name(path.name + ".npz")
    if path.is_dir() or not path.parent.is_dir():
        raise MolapError(f"cannot write {str(path)!r}: expected a file path in an existing directory")
    return store.save(path, net)


def load(path: str | Path) -> TrainedNetwork:
    """Read a trained network written by :func:`save`."""
    path = Path(path)
    if not path.is_file():
        raise MolapError(f"no trained network at {str(path)!r}: expected a .npz file written by trained_network.save")
    net = store.load(path)
    if not isinstance(net, TrainedNetwork):
        raise MolapError(f"{str(path)!r} holds a {type(net).__name__}, not a TrainedNetwork")
    return net


def _task(net: TrainedNetwork, task: str | Task) -> tuple[int, Task]:
    name = task.name if isinstance(task, Task) else task
    if name not in net.tasks:
        raise MolapError(f"task {name!r} is not one of this network's tasks: {net.tasks}")
    i = net.tasks.index(name)
    t = get_task(task)
    if t.fingerprint() != net.definitions[i]:
        raise MolapError(f"task {name!r}: its definition differs from the one the network was trained on "
                         "(pass the Task object it was trained on)")
    return i, t


_run_jit = jax.jit(lambda p, x: run_network(p, x)[0])


def outputs(net: TrainedNetwork, task: str | Task, inputs) -> np.ndarray:
    """The network's outputs (B, 110, n_out) for a task's inputs (B, 110, n_in), in the task's
    scaled units (as :func:`molap.tasks.sample` draws them)."""
    i, t = _task(net, task)
    x = np.asarray(inputs, np.float32)
    if x.ndim != 3 or x.shape[1:] != (N_STEPS, t.n_in):
        raise MolapError(f"task {t.name!r}: inputs must have shape (trials, {N_STEPS}, {t.n_in}), got {x.shape}")
    if not np.isfinite(x).all():
        raise MolapError(f"task {t.name!r}: inputs contain NaN or inf; expected finite values")
    p = jax.tree.map(lambda a: jnp.asarray(a[i]), net.params)
    x = np.pad(x, ((0, 0), (0, 0), (0, p.w_in.shape[0] - t.n_in)))
    return np.asarray(_run_jit(p, jnp.asarray(x)))[..., :t.n_out]


def predict(net: TrainedNetwork, task: str | Task, key: jax.Array, n_trials: int) -> tuple[Batch, np.ndarray]:
    """Fresh trials of a task from ``key`` and the network's outputs on them."""
    _, t = _task(net, task)
    batch = sample(t, key, n_trials)
    return batch, outputs(net, t, batch.inputs)
