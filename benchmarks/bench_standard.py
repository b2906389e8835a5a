"""The `standard` profile's `molap reproduce` time on this machine, predicted from measured costs.

Every training item of the profile is one of a few computations: the nine heads of K frozen
reservoirs trained together, K sets of nine separate networks, K DNI networks through the nine
tasks in sequence, the pre-training of K networks, a perturbation sweep, the generalisation folds.
Each is timed here at the profile's sizes for two lengths (the difference gives the cost per
step, validation included; the rest is compilation and set-up), then multiplied out over the
profile's items (:func:`items`). The prediction is printed per stage, and as JSON on the last line.

Usage: python benchmarks/bench_standard.py [--profile standard] [--short 20] [--long 60]
       [--reuse COSTS.json] [--only NAME ...]

``--reuse`` takes the costs of an earlier run's JSON (its last line, or the committed
``benchmarks/results/standard-estimate-*.json``) and measures only the costs named by ``--only``
(and any the file lacks), so that one changed computation can be re-timed on a quiet machine.
"""

from __future__ import annotations

import argparse
import json
import time
from dataclasses import replace

import jax
import jax.numpy as jnp
import numpy as np

from molap import methods, network
from molap.analysis import perturb
from molap.analysis.perturbations import levels_for
from molap.methods import FrozenParams, TrainedRun, init_separate, stacked_forward
from molap.methods.frozen import MOLAP
from molap.profiles import get_profile
from molap.tasks import get_tasks
from molap.training import (
    Schedule,
    Trainer,
    evaluate_many,
    head_masks,
    heads_forward,
    init_heads,
    padded_batches,
    pretrain_folds,
    task_losses,
    task_outputs,
    time_weights,
)
from molap.training.dni import projected_adam

TASKS = get_tasks(None)


def timed(fn) -> float:
    t = time.perf_counter()
    jax.block_until_ready(fn())
    return time.perf_counter() - t


def trainer_cost(forward, params, mask, data, batch: int, *, tx=None, tasks=TASKS, n_steps: int = 20,
                 n_val: int = 500) -> tuple[float, float]:
    """(seconds per training step, seconds per validation of every task) of K networks trained
    together: the loss of :func:`molap.training.train_stacked` in molap's Trainer (compiled first)."""
    _, unit_mask = head_masks(tasks, 1)
    w = time_weights(5.0)

    def loss_fn(q, k, d=None):
        x, y = padded_batches(tasks, k, batch)
        return jnp.sum(task_losses(forward(q, x, d), y, unit_mask, w)) + 1e-5 * jnp.sum(q.w_in ** 2)

    k = jax.tree.leaves(params)[0].shape[0]
    keys = jax.random.split(jax.random.key(0), k)
    tr = Trainer(loss_fn, mask, Schedule(1e-3, 1, 10 ** 6, 1.0), key=keys, tx=tx, batched=True, data=data)
    state = tr.init(params)
    tr.run(params, state, 0, n_steps, chunk=n_steps)  # compile
    step = timed(lambda: tr.run(params, state, 0, n_steps, chunk=n_steps)[0]) / n_steps
    evaluate_many(forward, params, data, tasks, keys=keys, n_trials=n_val)  # compile
    t = time.perf_counter()
    evaluate_many(forward, params, data, tasks, keys=keys, n_trials=n_val)
    return step, time.perf_counter() - t


def _stack(tree, k):
    return jax.tree.map(lambda a: jnp.broadcast_to(a, (k,) + a.shape), tree)


def frozen_cost(p, k: int, batch: int):
    n = p.network.layout.n_units
    raw = network.init(jax.random.key(0), 1, 1, p.network.layout)
    heads = init_heads(TASKS, n, key=jax.random.key(1))
    mask, _ = head_masks(TASKS, n)
    return trainer_cost(lambda h, x, d: heads_forward(d[0], d[1], h, x), _stack(heads, k), _stack(mask, k),
                        (_stack(raw.w_rec, k), _stack(raw.b, k)), batch, n_val=p.training.n_val)


def fold_cost(p, n_variants: int = 4):
    """The generalisation folds' held-out heads: each of ``n_variants`` x 9 fold networks (its own
    reservoir) trains the head of the one task it left out, as :func:`molap.analysis.generalisation.run_variants`."""
    from molap.analysis.generalisation import fold_forward

    n, f = p.network.layout.n_units, len(TASKS)
    raw = network.init(jax.random.key(0), 1, 1, p.network.layout)
    heads = init_heads(TASKS, n, key=jax.random.key(1))
    mask, _ = head_masks(TASKS, n)
    data = (_stack(_stack(raw.w_rec, f), n_variants), _stack(_stack(raw.b, f), n_variants))
    return trainer_cost(lambda h, x, d: fold_forward(d[0], d[1], h, x), _stack(heads, n_variants),
                        _stack(mask, n_variants), data, p.training.batch, n_val=p.training.n_val)


def separate_cost(p, k: int, batch: int):
    init = network.init(jax.random.key(0), 1, 1, p.network.layout)
    params, mask = init_separate(TASKS, init, key=jax.random.key(1))
    return trainer_cost(lambda q, x, d: stacked_forward(q, x), _stack(params, k), _stack(mask, k), None, batch,
                        n_val=p.training.n_val)


def dni_cost(p, k: int):
    """One sequential DNI step (one task, the projected Adam update) of K networks with rule inputs."""
    n, width = p.dni.n_units, 3
    n_in = width + len(TASKS)
    q = network.init(jax.random.key(0), n_in, width, network.Layout(n, 2), p.network.g)
    mask = network.trainable(q, w_in=True, w_rec=True, w_out=True, b_out=True)
    proj = {"in": jnp.eye(n_in + n), "act": jnp.eye(n), "h": jnp.eye(n), "y": jnp.eye(width)}
    task = TASKS[4:5]  # one task's batch per step

    def forward(r, x, d):
        xx = jnp.concatenate([jnp.pad(x, ((0, 0), (0, 0), (0, 0), (0, width - x.shape[-1]))),
                              jnp.zeros(x.shape[:3] + (len(TASKS),))], -1)
        return task_outputs(jax.tree.map(lambda a: a[None], r), xx)[..., :task[0].n_out]

    tx = projected_adam(Schedule(1e-3, 1, 10 ** 6, 1.0), proj)
    step, _ = trainer_cost(forward, _stack(q, k), _stack(mask, k), None, p.training.batch, tx=tx, tasks=task,
                           n_val=p.evaluation.n_test)
    return step, 0.0


def per_step(run, short: int, long: int) -> tuple[float, float]:
    """(seconds per step, fixed seconds) from runs of ``short`` and ``long`` steps."""
    t_s, t_l = timed(lambda: run(short)), timed(lambda: run(long))
    step = max(t_l - t_s, 0.0) / (long - short)
    return step, max(t_s - short * step, 0.0)


def pretrain_cost(p, k: int, short: int, long: int, shared_key: bool = False):
    """Pre-training of k networks: each with its own key (the seeds' modules), or with one key
    shared by all (the generalisation folds of a seed: each step's corpus batch drawn once)."""
    from molap import pipeline

    one = pipeline.primitives("quick", "cca")  # the committed quick fit: the same shapes as any fit
    prim = jax.tree.map(lambda a: np.stack([np.asarray(a)] * k), one)
    init = network.init(jax.random.key(0), 1, 1, p.network.layout)

    def run(s):
        cfg = replace(p.pretrain, schedule=Schedule(p.pretrain.schedule.lr, 1, s, 1.0))
        key = jax.random.key(1) if shared_key else jax.random.split(jax.random.key(1), k)
        return pretrain_folds(prim, None, init, p.network.layout, cfg, key=key, progress=False).w_rec
    step, fixed = per_step(run, short, long)
    return step / p.network.layout.n_modules, fixed  # per step of one phase


def sweep_cost(p) -> float:
    raw = network.init(jax.random.key(0), 1, 1, p.network.layout)
    params = FrozenParams(raw.w_rec, raw.b, init_heads(TASKS, p.network.layout.n_units, key=jax.random.key(1)))
    nets = MOLAP.task_networks(TrainedRun("molap", 0, 0.0, [], None, None, None, None, params), p)
    levels = levels_for("m1")
    run = lambda: perturb.sweep(nets, "m1", levels, method="molap", n_draws=p.perturb.n_draws,  # noqa: E731
                                n_trials=p.perturb.n_trials, key=jax.random.key(0), test_key=jax.random.key(1)).paper
    timed(run)  # compile
    return timed(run)


def items(p, c: dict) -> dict[str, float]:
    """Predicted seconds per stage of ``molap reproduce`` from the measured costs ``c``: for each
    item, steps x cost per step + validations x cost per validation (+ fixed costs where measured)."""
    r = p.training
    s, evals = r.schedule.n_steps, r.schedule.n_steps // (r.val_every or r.schedule.block_steps)
    pilot = s // 5  # selection.PILOT_FRACTION: a fifth of the steps, as many validations
    n_tasks = len(TASKS)

    def train(cost, steps, n_evals):
        return cost[0] * steps + cost[1] * n_evals

    n_seeds = len(p.seeds)
    # the costs are measured on len(p.seeds) networks per family; a family trained on more (or
    # fewer) seeds (Profile.family_seeds) scales them, as vmapped networks on the CPU do
    more = {f: len(p.seeds_for(f)) / n_seeds for f in ("frozen", "separate", "dni", "dni_no_rule")}
    sweep = 0.0
    for b, st, *_ in p.sweep.points:
        sweep += train(c[f"sweep {b}"], st, 40) + train(c[f"sweep separate {b}"], st, 40)
    e = p.early
    return {
        "pre-training": more["frozen"] * (c["pretrain"][0] * p.pretrain.schedule.n_steps * 2 + c["pretrain"][1]),
        "learning rates": (train(c["frozen pilots"], pilot, evals) + train(c["separate pilots"], pilot, evals)
                           + 2 * c["dni pilots"][0] * pilot * n_tasks),
        "training": (more["frozen"] * train(c["frozen"], s, evals) + more["separate"] * train(c["separate"], s, evals)
                     + (more["dni"] + more["dni_no_rule"]) * c["dni"][0] * s * n_tasks),
        "schedule sweep": sweep,
        "early learning": (more["frozen"] * train(c["frozen"], e.steps, e.steps // e.val_every)
                           + more["separate"] * train(c["separate"], e.steps, e.steps // e.val_every)) if e.steps else 0.0,
        "perturbations": 6 * c["perturb"] * sum(len(p.perturb_seeds_for(methods.get(m).family))
                                                for m in methods.names()),  # one sweep per kind, method, seed
        "generalisation": n_seeds * (c["pretrain folds"][0] * p.pretrain.schedule.n_steps * 2 + c["pretrain folds"][1]
                                     + train(c["fold heads"], s, evals)),  # the 4 variants of a seed together
    }


def committed_stage_walls(p) -> dict[str, dict]:
    """Per stage of ``molap reproduce``: the wall seconds recorded in the provenance of the
    profile's committed entries computed on a CPU ({"wall_s", "entries", "other_device"}).
    Every item is looked up read-only; an entry counts once, in the first stage that reads it
    (stages come in dependency order), so a stage's figure is what computing it took."""
    from molap import store
    from molap.run import reproduce

    seen: set = set()
    out = {}
    for stage, its in reproduce.stages(p):
        wall, n, other = 0.0, 0, 0
        for _, thunk in its:
            with store.read_only(), store.recording() as used:
                try:
                    thunk()
                except store.MissingResult:
                    pass
            for f in sorted(used - seen):
                prov = store.load(f, with_meta=True)[1].get("provenance", {})
                if "cpu" in str(prov.get("device", "cpu")).lower() and prov.get("wall_s") is not None:
                    wall, n = wall + prov["wall_s"], n + 1
                else:
                    other += 1
            seen |= used
        out[stage] = {"wall_s": wall, "entries": n, "other_device": other}
    return out


def calibration(p, old_costs: dict) -> dict[str, float]:
    """Per stage, the committed entries' CPU wall time over what :func:`items` predicts from the
    costs measured with the code that computed them (``old_costs``): the share of a stage's time
    that the per-step costs do not see (validation beyond the timed one, compilation, host
    work). 1 where a stage has no CPU entries (computed elsewhere, e.g. on a GPU)."""
    walls = committed_stage_walls(p)
    pred = items(p, old_costs)
    return {k: (walls[k]["wall_s"] / pred[k] if walls.get(k, {}).get("entries") and pred[k] > 0
                and not walls[k]["other_device"] else 1.0) for k in pred}, walls


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--profile", default="standard")
    ap.add_argument("--short", type=int, default=20, help="pre-training steps of the shorter timed run")
    ap.add_argument("--long", type=int, default=60, help="pre-training steps of the longer timed run")
    ap.add_argument("--reuse", help="a JSON file of earlier costs (see the module docstring)")
    ap.add_argument("--only", nargs="+", default=[], help="with --reuse: the costs to measure again")
    ap.add_argument("--calibrate", metavar="OLD_COSTS.json",
                    help="scale each stage by its committed entries' wall time over the prediction from these costs "
                         "(the costs measured with the code that computed the committed entries)")
    a = ap.parse_args()
    p = get_profile(a.profile)
    n, b = len(p.seeds), p.training.batch
    measure = {"frozen": lambda: frozen_cost(p, 3 * n, b), "frozen pilots": lambda: frozen_cost(p, 3 * 3, b),
               "separate": lambda: separate_cost(p, n, b), "separate pilots": lambda: separate_cost(p, 3, b),
               "dni": lambda: dni_cost(p, n), "dni pilots": lambda: dni_cost(p, 3), "fold heads": lambda: fold_cost(p)}
    for bb, *_ in p.sweep.points:
        measure[f"sweep {bb}"] = lambda bb=bb: frozen_cost(p, 3 * len(p.sweep.seeds), bb)
        measure[f"sweep separate {bb}"] = lambda bb=bb: separate_cost(p, len(p.sweep.seeds), bb)
    measure["pretrain"] = lambda: pretrain_cost(p, 2 * n, a.short, a.long)
    measure["pretrain folds"] = lambda: pretrain_cost(p, 36, a.short, a.long, shared_key=True)
    measure["perturb"] = lambda: sweep_cost(p)
    unknown = sorted(set(a.only) - set(measure))
    if unknown or (a.only and not a.reuse):
        ap.error(f"--only needs --reuse and names from {sorted(measure)}; got {a.only}")
    c = {}
    if a.reuse:
        with open(a.reuse) as f:
            c = {k: tuple(v) if isinstance(v, list) else v for k, v in json.load(f)["costs"].items() if k in measure}
    t0 = time.perf_counter()
    for name, fn in measure.items():
        if name in a.only or name not in c:
            c[name] = fn()
    pred = items(p, c)
    redone = f" ({', '.join(a.only)} measured again, the rest from {a.reuse})" if a.reuse else ""
    print(f"profile {p.name}: costs measured in {time.perf_counter() - t0:.0f} s on {jax.devices()[0].device_kind}{redone}")
    for k, v in c.items():
        if isinstance(v, tuple):
            print(f"  {k:24s} {v[0] * 1e3:8.1f} ms per step, {v[1]:6.2f} s per validation or fixed")
    print(f"  {'perturbation sweep':24s} {c['perturb']:8.1f} s each")
    print("predicted `molap reproduce` time per stage (primitive fits not included):")
    for k, v in pred.items():
        print(f"  {k:24s} {v / 60:7.1f} min")
    total = sum(pred.values())
    print(f"  {'total':24s} {total / 60:7.1f} min ({total / 3600:.2f} h)")
    out = {"profile": p.name, "costs": c, "predicted_s": pred, "total_s": total}
    if a.calibrate:
        with open(a.calibrate) as f:
            old = {k: tuple(v) if isinstance(v, list) else v for k, v in json.load(f)["costs"].items()}
        factors, walls = calibration(p, old)
        cal = {k: v * factors[k] for k, v in pred.items()}
        print(f"calibrated on the committed entries' wall times (factor = committed / predicted from {a.calibrate}):")
        for k, v in cal.items():
            print(f"  {k:24s} {v / 60:7.1f} min  (x{factors[k]:.2f}; committed {walls[k]['wall_s'] / 60:.1f} min in "
                  f"{walls[k]['entries']} CPU entries, {walls[k]['other_device']} from another device)")
        print(f"  {'total':24s} {sum(cal.values()) / 60:7.1f} min ({sum(cal.values()) / 3600:.2f} h)")
        out |= {"calibration": factors, "committed_walls": walls, "calibrated_s": cal, "calibrated_total_s": sum(cal.values()),
                "calibrated_from": a.calibrate}
    print(json.dumps(out))


if __name__ == "__main__":
    main()
