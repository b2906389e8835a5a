"""A network as one object: the Flax nnx module :class:`ModularRNN`, called on inputs.

One network (a fresh one, ``ModularRNN(n_in, n_out, layout, rngs=nnx.Rngs(0))``) or every task's
network of a trained run, stacked on axis 0:

    net = trained_network.from_run(pipeline.trained("standard", "molap", 0), "standard")
    y = net(my_inputs, "delay_pro")                          # (B, 110, n_in) -> (B, 110, n_out)
    trained_network.save("molap-s0.npz", net)
    net = trained_network.load("molap-s0.npz")
    batch, y = trained_network.predict(net, "delay_pro", jax.random.key(7), 100)  # y (100, 110, 3)

Every task's network is a plain RNN (:class:`molap.network.RNNParams`: MoLaP's frozen modules with
the task's head, a separate network, or DNI's network with the task's rule input folded into its
bias), so running one needs no method code. Its weights are ``nnx.Param`` and which entries train
is data (:class:`Trainable` masks), as in every method. Tasks are kept by name and definition
(:meth:`molap.tasks.Task.fingerprint`): a task outside the package is passed back as the
:class:`~molap.tasks.Task` object, and one whose definition changed is refused.
"""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
from flax import nnx

from molap import methods, store
from molap.errors import MolapError
from molap.network import Layout, RNNParams, init, run, trainable
from molap.pipeline.selection import selected_recipe
from molap.profiles import get_profile
from molap.tasks import N_STEPS, Batch, Task, get_task, sample


class Trainable(nnx.Variable):
    """A 0/1 mask of which entries of a parameter are trainable (not a parameter itself)."""


class TrainedNetwork(NamedTuple):
    """What :func:`save` writes: method, seed, profile: what was trained; recipe: the task-training
    recipe's fields (a dict); tasks: the task names, in order; definitions: their fingerprints;
    params: every task's network, stacked on axis 0 (inputs and outputs padded to the widest
    task); test: {task: Scores} on the run's test set."""

    method: str
    seed: int
    profile: str
    recipe: dict
    tasks: list
    definitions: list
    params: RNNParams
    test: dict


class ModularRNN(nnx.Module):
    """A modular RNN as a Flax nnx module: parameters (``nnx.Param``) and per-entry trainable masks
    (:class:`Trainable`; default: the MoLaP task head, input and readout weights).

    Built from ``n_in``, ``n_out``, ``layout`` and ``g`` (a fresh network, drawn from ``rngs``) or
    from ``params``: one network, or one per task stacked on axis 0 with ``record`` (a
    :class:`TrainedNetwork` without its params) saying what was trained; :func:`from_run` builds
    the latter. Called on inputs (B, T, n_in) -> outputs (B, T, n_out); a stacked network also
    takes the task."""

    def __init__(self, n_in: int = 0, n_out: int = 0, layout: Layout = Layout(), g: float = 1.5, *,
                 rngs: nnx.Rngs | None = None, params: RNNParams | None = None, mask: RNNParams | None = None,
                 record: TrainedNetwork | None = None):
        if params is None:
            params = init((rngs or nnx.Rngs(0)).params(), n_in, n_out, layout, g)
        self.stacked = params.w_rec.ndim == 3
        if self.stacked and record is None:
            raise MolapError("a network per task needs its record (the tasks it was trained on): "
                             "build it with trained_network.from_run or load")
        self.layout = Layout(params.w_rec.shape[-1], layout.n_modules)
        if mask is None:
            mask = trainable(params, w_in=True, w_out=True, b_out=True)
        self.record = None if record is None else record._replace(params=None)
        for name in RNNParams._fields:
            setattr(self, name, nnx.Param(jnp.asarray(getattr(params, name))))
            setattr(self, f"{name}_trainable", Trainable(jnp.asarray(getattr(mask, name))))

    @property
    def params(self) -> RNNParams:
        return RNNParams(*(getattr(self, n)[...] for n in RNNParams._fields))

    @property
    def mask(self) -> RNNParams:
        return RNNParams(*(getattr(self, f"{n}_trainable")[...] for n in RNNParams._fields))

    @property
    def tasks(self) -> list:
        """The task names of a trained network, in order ([] for one fresh network)."""
        return [] if self.record is None else list(self.record.tasks)

    def task(self, task: str | Task) -> tuple[int, Task]:
        """(index, Task) of one of a trained network's tasks, its definition checked."""
        name = task.name if isinstance(task, Task) else task
        if name not in self.tasks:
            raise MolapError(f"task {name!r} is not one of this network's tasks: {self.tasks}")
        i = self.tasks.index(name)
        t = get_task(task)
        if t.fingerprint() != self.record.definitions[i]:
            raise MolapError(f"task {name!r}: its definition differs from the one the network was trained on "
                             "(pass the Task object it was trained on)")
        return i, t

    def __call__(self, inputs: jax.Array, task: str | Task | None = None) -> jax.Array:
        """inputs (B, T, n_in) -> outputs (B, T, n_out); ``task``: which task's network of a trained
        one (its inputs (B, 110, the task's n_in), in the task's scaled units)."""
        if not self.stacked:
            if task is not None:
                raise MolapError("a single network takes no task; expected task=None")
            return run(self.params, inputs)[0]
        i, t = self.task(task)
        x = np.asarray(inputs, np.float32)
        if x.ndim != 3 or x.shape[1:] != (N_STEPS, t.n_in):
            raise MolapError(f"task {t.name!r}: inputs must have shape (trials, {N_STEPS}, {t.n_in}), got {x.shape}")
        if not np.isfinite(x).all():
            raise MolapError(f"task {t.name!r}: inputs contain NaN or inf; expected finite values")
        p = jax.tree.map(lambda a: a[i], self.params)
        x = np.pad(x, ((0, 0), (0, 0), (0, p.w_in.shape[0] - t.n_in)))
        return _run_jit(p, jnp.asarray(x))[..., :t.n_out]


_run_jit = jax.jit(lambda p, x: run(p, x)[0])


def from_run(run, profile, tasks=None) -> ModularRNN:
    """The trained network of a :class:`molap.methods.TrainedRun` of ``profile``; ``tasks``: the
    Task objects it was trained on when they are not all the package's own."""
    p = get_profile(profile)
    ts = [get_task(t) for t in (run.tasks if tasks is None else tasks)]
    if [t.name for t in ts] != list(run.tasks):
        raise MolapError(f"the run was trained on {list(run.tasks)}; got tasks {[t.name for t in ts]}")
    nets = methods.get(run.method).task_networks(run, p)
    recipe = asdict(selected_recipe(p, run.method))
    recipe["schedule"]["lr"] = float(run.lr)
    record = TrainedNetwork(run.method, int(run.seed), p.name, recipe, [t.name for t in ts],
                            [t.fingerprint() for t in ts], None, dict(run.test or {}))
    return ModularRNN(params=jax.tree.map(np.asarray, nets.params), layout=nets.layout, record=record)


def save(path: str | Path, net: ModularRNN) -> Path:
    """Write a trained network to ``path`` (a .npz file; the extension is added when missing)."""
    if not (isinstance(net, ModularRNN) and net.stacked):
        raise MolapError(f"expected a trained ModularRNN (trained_network.from_run), got {type(net).__name__}")
    path = Path(path)
    if path.suffix != ".npz":
        path = path.with_name(path.name + ".npz")
    if path.is_dir() or not path.parent.is_dir():
        raise MolapError(f"cannot write {str(path)!r}: expected a file path in an existing directory")
    return store.save(path, net.record._replace(params=jax.tree.map(np.asarray, net.params)))


def load(path: str | Path) -> ModularRNN:
    """Read a trained network written by :func:`save`."""
    path = Path(path)
    if not path.is_file():
        raise MolapError(f"no trained network at {str(path)!r}: expected a .npz file written by trained_network.save")
    rec = store.load(path)
    if not isinstance(rec, TrainedNetwork):
        raise MolapError(f"{str(path)!r} holds a {type(rec).__name__}, not a TrainedNetwork")
    return ModularRNN(params=rec.params, layout=Layout(rec.params.w_rec.shape[-1], 2), record=rec)


def outputs(net: ModularRNN, task: str | Task, inputs) -> np.ndarray:
    """The network's outputs (B, 110, n_out) for a task's inputs (B, 110, n_in): ``net(inputs, task)``."""
    return np.asarray(net(inputs, task))


def predict(net: ModularRNN, task: str | Task, key: jax.Array, n_trials: int) -> tuple[Batch, np.ndarray]:
    """Fresh trials of a task from ``key`` and the network's outputs on them."""
    _, t = net.task(task)
    batch = sample(t, key, n_trials)
    return batch, outputs(net, t, batch.inputs)
