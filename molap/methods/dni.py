"""The DNI methods (Duncker et al. 2020) behind the method protocol: ``dni`` (rule inputs, readout
bias fixed at 0) and ``dni_no_rule`` (the MoLaP authors' variant). The algorithm, its settings and
its result are :mod:`molap.training.dni`."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import jax
import jax.numpy as jnp
import numpy as np

from molap import network
from molap.errors import MolapError
from molap.methods import base
from molap.methods.base import RunSpec, TrainedRun
from molap.methods.counts import ParameterCounts, count
from molap.network import Layout, RNNParams, TaskNetworks
from molap.tasks import get_tasks
from molap.training.dni import WIDTH, dni_scores, train_dni_many


@dataclass(frozen=True)
class DNI:
    """One network, the tasks in sequence, updates projected away from earlier tasks' subspaces;
    ``rule_inputs``: a one-hot task cue beside the task's inputs; ``train_b_out``: whether the
    readout bias trains (freely: no projection applies to it) or stays at 0 (Duncker et al.'s
    code trains no bias)."""

    name: str = "dni"
    family: str = "dni"
    summary: str = ("one network, tasks in sequence, DNI-projected updates, rule inputs, readout bias fixed at 0 "
                    "(Duncker et al. 2020)")
    rule_inputs: bool = True
    train_b_out: bool = False

    def key(self, profile) -> dict:
        k = {"g": profile.network.g, "dni": profile.dni, "rule_inputs": self.rule_inputs}
        return k if self.train_b_out else {**k, "readout_bias": "fixed at 0"}

    def pilot_key(self, profile) -> dict:
        # a pilot scores n_test validation trials after each task's own training
        return {"evaluation": profile.evaluation}

    def train(self, profile, specs: Sequence[RunSpec], *, tasks=None, pilot: bool = False, progress: bool = True):
        tasks = get_tasks(tasks)
        recipe, scale = base.shared_recipe(specs)
        keys, _, test_keys = base.run_keys(specs, pilot=pilot)
        rs = train_dni_many(tasks, recipe, profile.dni, profile.network.g, keys=keys, test_keys=test_keys,
                            n_test=profile.evaluation.n_test, rule_inputs=self.rule_inputs, lr_scale=scale,
                            train_b_out=self.train_b_out, progress=progress)
        return [TrainedRun(s.method, s.seed, s.recipe.schedule.lr, [t.name for t in tasks],
                           None if pilot else dni_scores(r, tasks, "final"), np.zeros(0), np.zeros((0, len(tasks), 5)),
                           r.losses.ravel(), r.params, dni_scores(r, tasks, "after_own"), r.own_params)
                for r, s in zip(rs, specs)]

    def pilot_score(self, run: TrainedRun) -> float:
        return float(np.mean([s.decision for s in run.after_own.values()]))

    def task_networks(self, run: TrainedRun, profile) -> TaskNetworks:
        """Each task's network: the network right after the task's own training where the run kept
        it (:attr:`molap.training.dni.DNIConfig.snapshots`; a network per task), else the end of
        the sequence (one network for every task). A task's rule input is constant over the trial,
        so its cue weights fold exactly into that task's bias: b_i = b + W_in[3 + i]."""
        k = len(run.tasks)
        if run.own_params is not None:
            nets, shared = RNNParams(*(jnp.asarray(a) for a in run.own_params)), False
        else:
            nets, shared = RNNParams(*(jnp.broadcast_to(a, (k,) + a.shape) for a in run.params)), True
        n_in = nets.w_in.shape[1]
        if n_in == WIDTH + k:
            cue = nets.w_in[jnp.arange(k), WIDTH + jnp.arange(k)]  # (k, N): task i's cue row of its network
            nets = nets._replace(w_in=nets.w_in[:, :WIDTH], b=nets.b + cue)
        elif n_in != WIDTH:
            raise MolapError(f"a DNI network has {WIDTH} inputs, or {WIDTH + k} with rule inputs; got {n_in}")
        return TaskNetworks(nets, shared, Layout(nets.w_rec.shape[-1], 2))

    def counts(self, tasks, profile) -> ParameterCounts:
        d = profile.dni
        width_in = max(t.n_in for t in tasks) + (len(tasks) if self.rule_inputs else 0)
        p = network.init(jax.random.key(0), width_in, max(t.n_out for t in tasks), Layout(d.n_units, 2))
        trained = count(p, network.trainable(p, w_in=True, w_rec=True, w_out=True, b_out=self.train_b_out))
        return ParameterCounts(count(p), trained, trained, len(tasks) * trained)


DNI_METHOD = DNI()
DNI_NO_RULE = DNI(name="dni_no_rule", family="dni_no_rule", rule_inputs=False, train_b_out=True,
                  summary="DNI as in the MoLaP authors' code: shared zero-padded inputs, no rule inputs, a trained "
                          "readout bias")
