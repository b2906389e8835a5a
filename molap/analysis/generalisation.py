"""Generalisation to tasks left out of the corpus (paper section 4.2, Fig 5; spec section 8).

Leave-one-out: for each task T_i, the primitives are fitted on the corpus without T_i, both
modules are pre-trained from the same initial network, and only T_i's head is trained and tested.
Leave-two-out leaves T_i and T_{i+1} out (T9 pairs with T1) and tests T_i. Each fold's map is
embedded in the full corpus's columns (zero weight on the left-out channels), so all folds
pre-train in one vmapped computation and train their heads in another.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from molap import names
from molap.errors import MolapError
from molap.network import RNNParams
from molap.primitives import Primitives, PrimitivesConfig, fit
from molap.tasks import TASK_NAMES, Task, get_tasks
from molap.training import (
    FROZEN,
    Heads,
    TaskTraining,
    evaluate,
    head_masks,
    init_heads,
    pretrain_folds,
    task_outputs,
    train_stacked,
    unstack,
)

MODES = names.MODES


def folds(mode: str, tasks: Sequence[str] = TASK_NAMES) -> list[tuple[str, tuple[str, ...]]]:
    """(tested task, tasks left out of the corpus) for every fold."""
    if mode not in MODES:
        raise MolapError(f"unknown generalisation mode {mode!r}; expected one of {MODES}")
    n = len(tasks)
    if mode == "loo":
        return [(t, (t,)) for t in tasks]
    return [(tasks[i], (tasks[i], tasks[(i + 1) % n])) for i in range(n)]


def embed(prim: Primitives, kept: Sequence[str], all_tasks: Sequence[str] = TASK_NAMES) -> Primitives:
    """A primitive map fitted on the ``kept`` tasks' columns, as a map on all tasks' columns with
    zero weight (mean 0, scale 1) on the left-out tasks' channels."""
    ts, kept_ts = get_tasks(all_tasks), get_tasks(kept)
    if prim.x_weights.shape[0] != sum(t.n_in for t in kept_ts):
        raise MolapError("embed() supports separate-weight maps (cca, pca), not the joint PCA")

    def widen(vec_or_mat, side: str, fill: float):
        out, pos = [], 0
        for t in ts:
            w = t.n_in if side == "x" else t.n_out
            if t.name in kept:
                out.append(np.asarray(vec_or_mat)[pos:pos + w])
                pos += w
            else:
                shape = (w,) + np.asarray(vec_or_mat).shape[1:]
                out.append(np.full(shape, fill, np.float32))
        return np.concatenate(out, 0)

    order = [t.name for t in ts if t.name in kept]
    if order != [t.name for t in kept_ts]:
        raise MolapError("kept tasks must be listed in corpus order")
    return prim._replace(
        x_mean=widen(prim.x_mean, "x", 0.0), x_scale=widen(prim.x_scale, "x", 1.0),
        x_weights=widen(prim.x_weights, "x", 0.0), y_mean=widen(prim.y_mean, "y", 0.0),
        y_scale=widen(prim.y_scale, "y", 1.0), y_weights=widen(prim.y_weights, "y", 0.0),
        r2=np.float32(prim.r2), corr=np.asarray(prim.corr, np.float32),
        explained_x=np.asarray(prim.explained_x, np.float32), explained_y=np.asarray(prim.explained_y, np.float32))


KINDS = ("cca", "pca")
"""The primitive kinds a fold can be fitted with (maps on separate input and target weights)."""


def check_kind(kind: str) -> str:
    if kind not in KINDS:
        raise MolapError(f"unknown primitive kind {kind!r} for generalisation; expected one of {KINDS}")
    return kind


class Folds(NamedTuple):
    """Every fold of one generalisation variant (mode, primitive kind), F folds.

    tasks: the tested task of each fold; left_out: the tasks left out of its corpus; r2 (F,) and
    corr (F, r): each fold's primitive fit; test: {task: Scores} of the held-out head on the test
    set; pretrain_mse, pretrain_var (F, n_modules): held-out pre-training MSE and target variance;
    curve_steps (n_blocks,), curve (n_blocks, F, 5): validation scores; x_weights (F, n_x, r).
    """

    mode: str
    kind: str
    tasks: list
    left_out: list
    r2: np.ndarray
    corr: np.ndarray
    test: dict
    pretrain_mse: np.ndarray
    pretrain_var: np.ndarray
    curve_steps: np.ndarray
    curve: np.ndarray
    x_weights: np.ndarray


class NewTaskHeads(NamedTuple):
    """Heads trained for tasks in no corpus on a method's frozen modules: method, seed, tasks;
    test {task: Scores}; curve_steps (n_blocks,), curve (n_blocks, n_tasks, 5)."""

    method: str
    seed: int
    tasks: list
    test: dict
    curve_steps: np.ndarray
    curve: np.ndarray


def fit_folds(mode: str, kind: str, n_components: int, n_trials: int, seed: int,
              fit_fn: Callable[[PrimitivesConfig], Primitives] = fit) -> tuple[list, Primitives]:
    """Fit every fold's primitives: (fold list, stacked embedded Primitives with leading axis F).
    ``fit_fn`` fits one configuration (e.g. a cached fit)."""
    check_kind(kind)
    fs = folds(mode)
    maps = []
    for _, out in fs:
        kept = tuple(t for t in TASK_NAMES if t not in out)
        maps.append(embed(fit_fn(PrimitivesConfig(kind, n_components, n_trials, seed, kept)), kept))
    return fs, jax.tree.map(lambda *a: np.stack([np.asarray(x) for x in a]), *maps)


def fold_forward(w_rec: jax.Array, b: jax.Array, heads: Heads, x: jax.Array) -> jax.Array:
    """Fold f's head on fold f's network: w_rec (F, N, N), b (F, N), x (F, B, 110, max_in) (the
    fused :func:`molap.training.task_outputs`; the frozen w_rec and b get no gradient, by construction)."""
    return task_outputs(RNNParams(heads.w_in, w_rec, b, heads.w_out, heads.b_out, jnp.zeros(b.shape)), x, grads=FROZEN)


def run_variants(variants: Sequence[tuple[str, str]], *, init: RNNParams, layout, pretrain_config,
                 head_config: TaskTraining, n_components: int, n_trials: int, primitives_seed: int, key: jax.Array,
                 train_key: jax.Array, val_key: jax.Array, test_key: jax.Array, n_test: int, progress: bool = True,
                 fit_fn: Callable[[PrimitivesConfig], Primitives] = fit) -> list[Folds]:
    """Several (mode, kind) variants, all their folds pre-trained in one vmapped computation and
    all their held-out heads trained in another; one :class:`Folds` per variant.

    The keys are those of the full-corpus run of the same seed, so that a fold differs from it
    only in the corpus its modules were pre-trained on: ``key`` pre-trains (as the full corpus's
    modules are), ``train_key`` initialises the heads and draws their training batches, and
    ``val_key`` and ``test_key`` draw the same validation and test trials, task by task (the
    tested tasks are in corpus order, as the full run's heads are)."""
    fits = [fit_folds(mode, kind, n_components, n_trials, primitives_seed, fit_fn) for mode, kind in variants]
    tested_names = [t for t, _ in fits[0][0]]
    if any([t for t, _ in fs] != tested_names for fs, _ in fits):
        raise MolapError("variants trained together must test the same tasks in the same order")
    n_v, n_f = len(variants), len(tested_names)
    prims = jax.tree.map(lambda *a: np.concatenate(a), *[pr for _, pr in fits])  # (V * F, ...)
    pre = pretrain_folds(prims, None, init, layout, pretrain_config, key=key, progress=progress)
    w_rec = pre.w_rec.reshape((n_v, n_f) + pre.w_rec.shape[1:])
    b = pre.b.reshape((n_v, n_f) + pre.b.shape[1:])
    tested = get_tasks(tested_names)
    n = init.w_rec.shape[0]
    rep = lambda a: jnp.broadcast_to(jnp.asarray(a), (n_v,) + jnp.shape(a))  # noqa: E731
    if tested_names != list(TASK_NAMES):
        raise MolapError(f"folds must test the corpus's tasks in corpus order to pair with its run, got {tested_names}")
    heads = jax.tree.map(rep, init_heads(tested, n, key=jax.random.fold_in(train_key, 0)))  # as train_heads_many
    mask = jax.tree.map(rep, head_masks(tested, n)[0])
    res = train_stacked(lambda h, x, d: fold_forward(d[0], d[1], h, x), heads, mask, tested, head_config,
                        lambda h: head_config.l2 * jnp.sum(h.w_in ** 2), key=jax.random.fold_in(train_key, 1),
                        val_key=jnp.stack([val_key] * n_v), data=(w_rec, b),
                        desc=f"{n_v} variant(s): training the held-out heads" if progress else None)
    fwd = jax.jit(fold_forward)
    out = []
    for v, (fs, pr) in enumerate(fits):
        r = unstack(res, v)
        test = evaluate(lambda h, x, v=v: fwd(w_rec[v], b[v], h, x), r.heads, tested, key=test_key, n_trials=n_test)
        sl = slice(v * n_f, (v + 1) * n_f)
        out.append(Folds(variants[v][0], variants[v][1], tested_names, [list(o) for _, o in fs], np.asarray(pr.r2),
                         np.asarray(pr.corr), test, pre.test_mse[sl], pre.target_var[sl], r.curve_steps, r.curve,
                         pr.x_weights))
    return out


def new_tasks() -> tuple[Task, ...]:
    """Tasks in no corpus, written with the public task API (see :mod:`molap.tasks.extra`)."""
    from molap.tasks.extra import EXTRA_TASKS

    return tuple(EXTRA_TASKS.values())
