"""Perturbations of trained networks at test time (spec section 7); nothing is retrained.

Each perturbation is a pure function of (recurrent weights, key, level):
- ``m1``, ``m2``: zero floor(p/100 * 2500) entries drawn without replacement from module 1's
  (2's) intra-module block of W_rec;
- ``inter``: zero floor(p/100 * n) of the n inter-module entries (the bias is left alone);
- ``global``: zero floor(p/100 * N^2) entries of all of W_rec;
- ``noise``: add N(0, sigma^2) to every entry of W_rec;
- ``silence``: clamp floor(p/100 * N) units to zero (the recurrence and the readout see 0).
For methods without modules, "module 1/2" are the first and last halves of the units.

:func:`sweep` evaluates levels x draws x tasks as one vmapped computation (chunked with
``lax.map``) on one fixed test batch per task, so every level and draw sees the same trials.
"""

from __future__ import annotations

from typing import NamedTuple, Sequence

import jax
import jax.numpy as jnp
import numpy as np
from tqdm.auto import tqdm

from . import network, store
from .errors import MolapError
from .names import PERTURB_KINDS
from .metrics import TOLERANCE, window_means
from .network import Layout, RNNParams
from .tasks import Task, get_tasks
from .training import padded_batches

KINDS = PERTURB_KINDS
LESION_LEVELS = tuple(float(p) for p in range(0, 55, 5))  #: percent
NOISE_LEVELS = tuple(round(0.005 * i, 3) for i in range(7))  #: sigma


def levels_for(kind: str) -> tuple[float, ...]:
    """The paper-protocol levels of a perturbation kind (percent, or sigma for noise)."""
    check_kind(kind)
    return NOISE_LEVELS if kind == "noise" else LESION_LEVELS


def check_kind(kind: str) -> str:
    if kind not in KINDS:
        raise MolapError(f"unknown perturbation kind {kind!r}; expected one of {KINDS}")
    return kind


def check_levels(kind: str, levels: Sequence[float]) -> np.ndarray:
    """Levels as an array; percentages must lie in [0, 100], sigma must be >= 0."""
    lv = np.asarray(levels, np.float32)
    if lv.ndim != 1 or lv.size == 0:
        raise MolapError(f"levels must be a non-empty list of numbers, got {levels!r}")
    if kind == "noise":
        if (lv < 0).any() or not np.isfinite(lv).all():
            raise MolapError(f"noise sigma must be >= 0, got {lv.tolist()}")
    elif not np.isfinite(lv).all() or (lv < 0).any() or (lv > 100).any():
        raise MolapError(f"lesion and silencing levels are percentages in [0, 100], got {lv.tolist()}")
    return lv


def region(kind: str, layout: Layout) -> np.ndarray:
    """(N, N) 0/1 mask of the W_rec entries a lesion kind draws from."""
    if kind == "m1":
        return layout.block(0)
    if kind == "m2":
        return layout.block(layout.n_modules - 1) if layout.n_modules > 1 else layout.block(0)
    if kind == "inter":
        return layout.inter()
    if kind == "global":
        return np.ones((layout.n_units, layout.n_units), np.float32)
    raise MolapError(f"{kind!r} is not a weight lesion")


def lesion(w_rec: jax.Array, key: jax.Array, percent, mask: jax.Array) -> jax.Array:
    """Zero floor(percent/100 * mask.sum()) entries of w_rec drawn without replacement where mask is 1."""
    n = jnp.sum(mask)
    k = jnp.floor(percent / 100.0 * n + 1e-4)
    u = jnp.where(mask > 0, jax.random.uniform(key, w_rec.shape), 2.0).ravel()
    rank = jnp.argsort(jnp.argsort(u)).reshape(w_rec.shape)
    return jnp.where(rank < k, 0.0, w_rec)


def add_noise(w_rec: jax.Array, key: jax.Array, sigma) -> jax.Array:
    """W_rec + N(0, sigma^2) on every entry."""
    return w_rec + sigma * jax.random.normal(key, w_rec.shape)


def silence_mask(n_units: int, key: jax.Array, percent) -> jax.Array:
    """(N,) 0/1 mask of floor(percent/100 * N) units drawn without replacement."""
    k = jnp.floor(percent / 100.0 * n_units + 1e-4)
    rank = jnp.argsort(jnp.argsort(jax.random.uniform(key, (n_units,))))
    return (rank < k).astype(jnp.float32)


def perturb(kind: str, w_rec: jax.Array, key: jax.Array, level, layout: Layout):
    """(perturbed w_rec, silence mask or None) for one draw."""
    check_kind(kind)
    if kind == "noise":
        return add_noise(w_rec, key, level), None
    if kind == "silence":
        return w_rec, silence_mask(w_rec.shape[-1], key, level)
    return lesion(w_rec, key, level, jnp.asarray(region(kind, layout))), None


def sweep_key(seed: int, kind: str) -> jax.Array:
    """The key of a seed's sweep of one kind: fold_in(stream PERTURB, index of the kind)."""
    from .streams import Stream, stream

    return jax.random.fold_in(stream(seed, Stream.PERTURB), KINDS.index(check_kind(kind)))


def draw_key(key: jax.Array, draw, task=None) -> jax.Array:
    """The key of one draw of a sweep (``task``: the task index, for per-task networks); the sweep
    (:func:`evaluate_perturbed`) and the widgets draw through this one function."""
    k = jax.random.fold_in(jax.random.fold_in(key, draw), 0)
    return k if task is None else jax.random.fold_in(k, task)


def perturbed_draw(kind: str, w_rec: jax.Array, key: jax.Array, draw, level, layout: Layout, task=None):
    """(perturbed w_rec, silence mask or None) of one draw of a sweep with key ``key``: the one
    function through which the sweep (:func:`evaluate_perturbed`) and the widgets perturb."""
    return perturb(kind, w_rec, draw_key(key, draw, task), level, layout)


class TaskNetworks(NamedTuple):
    """Every task's network stacked on axis 0 (inputs and outputs padded to the widest task).

    shared: True when all tasks use one recurrent network (frozen modules, DNI): one draw then
    perturbs it for every task alike (False: one network per task, each drawn separately). layout: units split for the m1/m2/inter lesions.
    """

    params: RNNParams
    shared: bool
    layout: Layout


def _accuracies(out: jax.Array, y: jax.Array, unit_mask: jax.Array) -> jax.Array:
    """(n_tasks, 2): the paper's score and the decision units' score, in percent."""
    ok = jnp.abs(window_means(out.reshape((-1,) + out.shape[2:])) -
                 window_means(y.reshape((-1,) + y.shape[2:]))) <= TOLERANCE + 1e-6
    ok = ok.reshape(out.shape[:2] + ok.shape[-1:]).mean(1)  # (n_tasks, units)
    paper = jnp.sum(ok * unit_mask, 1) / jnp.sum(unit_mask, 1)
    dec = unit_mask.at[:, 0].set(0.0)
    return 100 * jnp.stack([paper, jnp.sum(ok * dec, 1) / jnp.sum(dec, 1)], -1)


def evaluate_perturbed(params: RNNParams, shared: bool, layout: Layout, kind: str, levels, *, key: jax.Array,
                       n_draws: int, x: jax.Array, y: jax.Array, unit_mask: jax.Array,
                       batch_size: int = 4, task_ids: tuple[int, ...] | None = None) -> jax.Array:
    """(n_levels, n_draws, n_tasks, 2) accuracies (paper's score, decision units) on a fixed batch.
    task_ids: each network's task index in the corpus (default 0..n_tasks-1), which per-task
    networks' draws fold in, so a task subset draws what the full sweep draws."""
    p = params
    n_tasks = p.w_rec.shape[0]
    ids = jnp.arange(n_tasks) if task_ids is None else jnp.asarray(task_ids)

    def one(args):
        level, draw = args
        if shared:  # one network: draw once, every task sees the same perturbed weights
            w, sil = perturbed_draw(kind, p.w_rec[0], key, draw, level, layout)
            w = jnp.broadcast_to(w, p.w_rec.shape)
            sil = None if sil is None else jnp.broadcast_to(sil, (n_tasks,) + sil.shape)
        else:
            w, sil = jax.vmap(lambda w_, i: perturbed_draw(kind, w_, key, draw, level, layout, i))(p.w_rec, ids)
        pp = p._replace(w_rec=w)
        if sil is None:
            out = jax.vmap(network.outputs)(pp, x)
        else:
            out = jax.vmap(lambda q, xi, s: network.outputs(q, xi, silence=s))(pp, x, sil)
        return _accuracies(out, y, unit_mask)

    lv = jnp.asarray(levels, jnp.float32)
    grid_l = jnp.repeat(lv, n_draws)
    grid_d = jnp.tile(jnp.arange(n_draws), lv.shape[0])
    n_dev = jax.local_device_count()
    if n_dev > 1 and grid_l.shape[0] % n_dev == 0:  # (level, draw) pairs split across devices
        from .sharding import mesh
        from jax.sharding import NamedSharding, PartitionSpec

        split = NamedSharding(mesh(), PartitionSpec("nets"))
        gl, gd = (jax.lax.with_sharding_constraint(g.reshape(n_dev, -1), split) for g in (grid_l, grid_d))
        acc = jax.vmap(lambda a, b: jax.lax.map(one, (a, b), batch_size=batch_size))(gl, gd)
    else:
        acc = jax.lax.map(one, (grid_l, grid_d), batch_size=batch_size)
    return acc.reshape(lv.shape[0], n_draws, n_tasks, 2)


_evaluate_jit = jax.jit(evaluate_perturbed,
                        static_argnames=("shared", "layout", "kind", "n_draws", "batch_size", "task_ids"))


@store.register
class Sweep(NamedTuple):
    """Accuracy of a trained method under one perturbation kind, every level and draw on one fixed
    test batch per task: levels (n_levels,) in percent (sigma for noise); paper and decision
    (n_levels, n_draws, n_tasks): the paper's score and the decision units' score, in percent."""

    method: str
    kind: str
    levels: np.ndarray
    tasks: list
    paper: np.ndarray
    decision: np.ndarray


def sweep(nets: TaskNetworks, kind: str, levels: Sequence[float] | None = None, *, method: str = "",
          tasks: Sequence[str | Task] | None = None, n_draws: int = 30, n_trials: int = 2000,
          key: jax.Array, test_key: jax.Array, batch_size: int = 4, progress: bool = True) -> Sweep:
    """Accuracy under one perturbation kind of every task's network in ``nets`` (all nine tasks,
    in corpus order; :meth:`molap.methods.Method.task_networks`), on ``tasks`` (default all).
    One compiled evaluation per level (a progress bar over levels; the draws of a level do not
    depend on the others, so this equals one call over all levels)."""
    check_kind(kind)
    lv = check_levels(kind, levels_for(kind) if levels is None else levels)
    if isinstance(n_draws, bool) or not isinstance(n_draws, (int, np.integer)) or n_draws < 1:
        raise MolapError(f"draw count must be a positive integer, got {n_draws!r}")
    all_tasks = get_tasks(None)
    ts = get_tasks(tasks)
    idx = np.array([[t.name for t in all_tasks].index(t.name) for t in ts])
    nets = nets._replace(params=jax.tree.map(lambda a: a[idx], nets.params))
    x, y = (a[idx] for a in padded_batches(all_tasks, test_key, n_trials))  # a subset sees the full sweep's trials
    w_in, w_out = nets.params.w_in.shape[1], nets.params.w_out.shape[2]
    x = jnp.pad(x, ((0, 0),) * 3 + ((0, w_in - x.shape[-1]),))
    y = jnp.pad(y, ((0, 0),) * 3 + ((0, w_out - y.shape[-1]),))
    unit_mask = jnp.asarray([[1.0 if j < t.n_out else 0.0 for j in range(w_out)] for t in ts])
    task_ids = tuple(int(i) for i in idx)
    acc = np.concatenate([
        np.asarray(_evaluate_jit(nets.params, nets.shared, nets.layout, kind, lv[j:j + 1], key=key,
                                 n_draws=int(n_draws), x=x, y=y, unit_mask=unit_mask, batch_size=batch_size,
                                 task_ids=task_ids))
        for j in tqdm(range(len(lv)), desc=f"perturbation sweep {method} {kind} ({n_draws} draws per level)".replace("  ", " "),
                      disable=not progress)])
    return Sweep(method, kind, lv, [t.name for t in ts], acc[..., 0], acc[..., 1])
