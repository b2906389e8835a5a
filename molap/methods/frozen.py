"""Frozen recurrent modules with trained task heads: MoLaP and its controls (spec sections 4, 5).

One class, :class:`FrozenModules`, three instances: ``molap`` pre-trains its two modules on CCA
primitives, ``pca`` on PCA primitives, ``random`` keeps the initial reservoir. Each task then
trains only its input and readout weights on the frozen (W_rec, b). The whole family trains
together in one vmapped run (all seeds and learning rates). A subclass may override
:meth:`FrozenModules.reservoir` to freeze another recurrent network.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import NamedTuple

import jax
import jax.numpy as jnp

from molap import network, store
from molap.methods import base
from molap.methods.base import RunSpec, TrainedRun
from molap.methods.counts import ParameterCounts, count, head_counts
from molap.network import RNNParams, TaskNetworks
from molap.primitives import PrimitivesConfig, fit_cached
from molap.streams import Stream, check_seed, stream
from molap.tasks import get_tasks
from molap.training import Heads, PretrainResult, evaluate_heads, pretrain_folds, train_heads_many, unstack


class Modules(NamedTuple):
    """Frozen recurrent weights: w_rec (N, N), b (N,); pretrain: the pre-training record
    (:class:`molap.training.PretrainResult`), or None for a reservoir that was not pre-trained."""

    w_rec: jax.Array
    b: jax.Array
    pretrain: PretrainResult | None


class FrozenParams(NamedTuple):
    """A trained frozen-module network: the frozen w_rec (N, N) and b (N,), and every task's head
    (:class:`molap.training.Heads`, padded to the widest task)."""

    w_rec: jax.Array
    b: jax.Array
    heads: Heads


def primitives_config(profile, kind: str, tasks=None) -> PrimitivesConfig:
    """The primitive fit of a kind on the profile's corpus (``tasks``: a subset, None for all)."""
    names = None if tasks is None else tuple(t.name for t in get_tasks(tasks))
    s = profile.primitives
    return PrimitivesConfig(kind, s.n_components, s.n_trials, s.seed, names)


def pretrained_kinds() -> tuple[str, ...]:
    """The primitive kinds of the registered frozen-module methods that pre-train (in order)."""
    kinds = []
    for name in base.names():
        k = getattr(base.get(name), "primitives", None)
        if isinstance(base.get(name), FrozenModules) and k is not None and k not in kinds:
            kinds.append(k)
    return tuple(kinds)


def modules_config(profile, kind: str, seed: int, tasks=None) -> dict:
    """The cache key of modules pre-trained on the primitives of ``kind``."""
    return {"primitives": primitives_config(profile, kind, tasks), "network": profile.network,
            "pretrain": profile.pretrain, "seed": seed}


def pretrained(profile, kind: str, seed: int, tasks=None) -> Modules:
    """Modules pre-trained on the primitives of ``kind`` from the seed's initial network (cached).
    A missing entry of the full corpus is computed together with every other missing
    (pre-trained kind x the family's seeds), in one vmapped pre-training."""
    p = profile
    seeds = p.seeds_for(FrozenModules.family)
    in_group = tasks is None and seed in seeds and kind in pretrained_kinds()
    group = [(k, s) for k in pretrained_kinds() for s in seeds] if in_group else [(kind, seed)]
    cfgs = [modules_config(p, k, s, tasks) for k, s in group]

    def compute(idx):
        sel = [group[i] for i in idx]
        prims = base.stack([fit_cached(primitives_config(p, k, tasks)) for k, _ in sel])
        init = base.stack([base.initial_network(p, s) for _, s in sel])
        keys = jnp.stack([stream(s, Stream.PRETRAIN) for _, s in sel])
        r = pretrain_folds(prims, tasks, init, p.network.layout, p.pretrain, key=keys)
        return [Modules(r.w_rec[j], r.b[j], jax.tree.map(lambda a, j=j: a[j], r)) for j in range(len(sel))]

    i = group.index((kind, seed))
    return store.cached_many("modules", cfgs, compute, asked=i)[i]


@dataclass(frozen=True)
class FrozenModules(base.TrainsTasksTogether):
    """A frozen recurrent network with trained task heads (see the module docstring).

    primitives: the primitive kind its modules are pre-trained on (None: not pre-trained).
    """

    name: str
    primitives: str | None
    summary: str
    family: str = "frozen"

    def key(self, profile) -> dict:
        if self.primitives is None:
            return {"network": profile.network}
        return {"primitives": primitives_config(profile, self.primitives), "network": profile.network,
                "pretrain": profile.pretrain}

    def reservoir(self, profile, seed: int) -> Modules:
        """The frozen weights when not pre-trained: the seed's initial network."""
        init = base.initial_network(profile, seed)
        return Modules(init.w_rec, init.b, None)

    def modules(self, profile, seed: int = 0, tasks=None) -> Modules:
        """The frozen recurrent weights of a seed (pre-trained ones cached; ``tasks``: the corpus)."""
        seed = check_seed(seed)
        if self.primitives is None:
            return self.reservoir(profile, seed)
        return pretrained(profile, self.primitives, seed, tasks)

    def train(self, profile, specs: Sequence[RunSpec], *, tasks=None, pilot: bool = False, progress: bool = True):
        p, tasks = profile, get_tasks(tasks)
        recipe, scale = base.shared_recipe(specs)
        keys, val_keys, test_keys = base.run_keys(specs, pilot=pilot)
        ms = [base.get(s.method).modules(p, s.seed) for s in specs]
        res = train_heads_many(jnp.stack([m.w_rec for m in ms]), jnp.stack([m.b for m in ms]), tasks, recipe,
                               keys=keys, val_keys=val_keys, lr_scale=scale, progress=progress)
        runs = []
        for j, (m, s) in enumerate(zip(ms, specs)):
            r = unstack(res, j)
            test = None if pilot else evaluate_heads(m.w_rec, m.b, r.heads, tasks, key=test_keys[j],
                                                     n_trials=p.evaluation.n_test)
            runs.append(TrainedRun(s.method, s.seed, s.recipe.schedule.lr, [t.name for t in tasks], test, r.curve_steps,
                                   r.curve, r.losses, FrozenParams(m.w_rec, m.b, r.heads)))
        return runs

    def task_networks(self, run: TrainedRun, profile) -> TaskNetworks:
        h, w_rec, b = run.params.heads, run.params.w_rec, run.params.b
        k, n = h.w_in.shape[0], w_rec.shape[0]
        rep = lambda a: jnp.broadcast_to(a, (k,) + a.shape)  # noqa: E731
        return TaskNetworks(RNNParams(h.w_in, rep(w_rec), rep(b), h.w_out, h.b_out, jnp.zeros((k, n))), True,
                            profile.network.layout)

    def counts(self, tasks, profile) -> ParameterCounts:
        layout = profile.network.layout
        heads = head_counts(tasks, layout)
        reservoir = network.init(jax.random.key(0), 1, 1, layout)
        shared = count(reservoir, fields=("w_rec", "b"))
        pre = 0
        if self.primitives is not None:  # each phase trains one block plus an input and a readout
            for j in range(layout.n_modules):
                mask = network.trainable(reservoir, w_in=True, w_out=True, b_out=True, w_rec=layout.block(j))
                pre += count(reservoir, mask)
        return ParameterCounts(shared + sum(heads), pre + sum(heads), sum(heads) / len(heads), pre + sum(heads), pre)


MOLAP = FrozenModules("molap", "cca", "modules pre-trained on CCA primitives; task heads trained")
RANDOM = FrozenModules("random", None, "the initial random reservoir, not pre-trained; task heads trained")
PCA = FrozenModules("pca", "pca", "modules pre-trained on PCA primitives; task heads trained")
