"""Perturbation-sweep time: one trained-like MoLaP network, all nine tasks, molap.analysis.perturb.sweep.

The paper protocol is 11 levels x 30 draws x 9 tasks x 2000 test trials per perturbation kind.
On a small CPU that is minutes per kind, so by default the sweep is *measured* at a smaller size
(--draws / --trials) and the paper size is *extrapolated* linearly in levels x draws x trials (the work is
levels x draws forward passes of 9 x trials trials; compilation is not scaled, and the test-batch
generation inside sweep, which is separately timed, is scaled by trials only).

The first sweep call in a process also compiles the task sampler for that trial count (eager
``padded_batches``), which is the bulk of the first m1 call; the silence call after it reuses it. Pass
--draws 30 --trials 2000 to measure the paper size directly (then nothing is extrapolated).

Timed: kinds "m1" (module-1 weight lesions) and "silence" (unit silencing), first call
(compile + run) and later calls (run only; median of --repeats); then a few values of sweep's
``batch_size`` (level x draw evaluations vmapped per lax.map chunk) on kind m1, interleaved.

The "trained" network is random (network.init + fresh heads): the cost does not depend on the values.

Usage: python benchmarks/bench_perturb.py [--levels 11] [--draws 4] [--trials 500] [--repeats 2]
       [--batch-sizes 1,4,11] [--bs-draws 2] [--bs-trials 500] [--bs-repeats 2] [--paper-draws 30] [--paper-trials 2000]
"""

from __future__ import annotations

import argparse
import json
import statistics
import time

import jax
import numpy as np

from molap import network, training
from molap.analysis import perturb as P
from molap.analysis.perturbations import LESION_LEVELS
from molap.network import Layout
from molap.tasks import get_tasks

LAYOUT = Layout(100, 2)


def fake_run() -> P.TaskNetworks:
    """One MoLaP-like network: a random reservoir with fresh heads, as a sweep sees it."""
    from molap.methods import TrainedRun
    from molap.methods.frozen import MOLAP, FrozenParams
    from molap.profiles import PAPER

    p = network.init(jax.random.key(0), 1, 1, LAYOUT)
    params = FrozenParams(p.w_rec, p.b, training.init_heads(get_tasks(None), 100, key=jax.random.key(1)))
    return MOLAP.task_networks(TrainedRun("molap", 0, 0.0, [], None, None, None, None, params), PAPER)


def sweep_time(run, kind, levels, draws, trials, batch_size, seed=0) -> float:
    t = time.perf_counter()
    r = P.sweep(run, kind, levels, method="molap", n_draws=draws, n_trials=trials,
                key=jax.random.key(seed), test_key=jax.random.key(1), batch_size=batch_size)
    dt = time.perf_counter() - t
    assert r.paper.shape == (len(levels), draws, 9), r.paper.shape
    assert np.isfinite(r.paper).all() and np.isfinite(r.decision).all()
    return dt


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--levels", type=int, default=11, help="first n of the paper's 11 levels (0..50%%)")
    ap.add_argument("--draws", type=int, default=4, help="draws per level, measured")
    ap.add_argument("--trials", type=int, default=500, help="test trials per task, measured")
    ap.add_argument("--repeats", type=int, default=2, help="timed calls after the compiling one (median)")
    ap.add_argument("--batch-size", type=int, default=4, help="sweep batch_size for the kind timings")
    ap.add_argument("--batch-sizes", default="1,4,11", help="batch_size values compared (kind m1)")
    ap.add_argument("--bs-draws", type=int, default=2, help="draws for the batch_size comparison")
    ap.add_argument("--bs-trials", type=int, default=500, help="trials for the batch_size comparison")
    ap.add_argument("--bs-repeats", type=int, default=2)
    ap.add_argument("--paper-draws", type=int, default=30)
    ap.add_argument("--paper-trials", type=int, default=2000)
    a = ap.parse_args()

    levels = LESION_LEVELS[: a.levels]
    run = fake_run()
    scale = (a.paper_draws * a.paper_trials) / (a.draws * a.trials)
    extrapolated = scale != 1 or a.levels != 11
    out = {"levels": len(levels), "draws": a.draws, "trials": a.trials, "tasks": 9, "batch_size": a.batch_size,
           "paper_draws": a.paper_draws, "paper_trials": a.paper_trials, "scale_to_paper": scale,
           "extrapolated": extrapolated, "kinds": {}}
    t_all = time.perf_counter()

    # kinds: first call compiles; later calls interleaved across kinds
    first = {k: sweep_time(run, k, levels, a.draws, a.trials, a.batch_size) for k in ("m1", "silence")}
    later = {k: [] for k in first}
    for r in range(a.repeats):
        for k in first:
            later[k].append(sweep_time(run, k, levels, a.draws, a.trials, a.batch_size, seed=r + 1))
    evals = len(levels) * a.draws
    ts = get_tasks(None)
    gen = []
    for r in range(max(3, a.repeats)):
        t = time.perf_counter()
        jax.block_until_ready(training.padded_batches(ts, jax.random.key(100 + r), a.trials))
        gen.append(time.perf_counter() - t)
    gen_s = statistics.median(gen)
    out["test_batch_gen_s"] = gen_s
    for k in first:
        run_s = statistics.median(later[k])
        paper_run = (run_s - gen_s) * scale * 11 / len(levels) + gen_s * a.paper_trials / a.trials
        out["kinds"][k] = {
            "first_call_s": first[k], "run_s": run_s, "run_s_all": later[k],
            "compile_overhead_s": first[k] - run_s,
            "ms_per_level_draw": run_s / evals * 1e3,
            "trial_steps_per_s": evals * 9 * a.trials * 110 / run_s,
            "paper_size_run_s": paper_run,
            "paper_size_first_call_s": paper_run + (first[k] - run_s),
        }

    # batch_size comparison (kind m1), interleaved rounds; each value compiles once first
    bss = [int(b) for b in a.batch_sizes.split(",")]
    bs_levels = levels
    bs_first = {b: sweep_time(run, "m1", bs_levels, a.bs_draws, a.bs_trials, b) for b in bss}
    bs_t = {b: [] for b in bss}
    for r in range(a.bs_repeats):
        for b in bss:
            bs_t[b].append(sweep_time(run, "m1", bs_levels, a.bs_draws, a.bs_trials, b, seed=r + 1))
    bs_med = {b: statistics.median(v) for b, v in bs_t.items()}
    best = min(bs_med, key=bs_med.get)
    out["batch_size_cmp"] = {"kind": "m1", "levels": len(bs_levels), "draws": a.bs_draws, "trials": a.bs_trials,
                             "first_call_s": bs_first, "run_s": bs_med, "run_s_all": bs_t, "fastest": best}
    out["total_bench_s"] = time.perf_counter() - t_all

    print(f"device: {jax.devices()[0]} (jax {jax.__version__}); MoLaP network N=100 (2 x 50), 9 tasks, "
          f"110 steps; sweep batch_size={a.batch_size}")
    print(f"measured size: {len(levels)} levels x {a.draws} draws x 9 tasks x {a.trials} trials "
          f"({evals} level-draw evaluations); later calls: median of {a.repeats}")
    print(f"test-batch generation inside sweep (eager padded_batches, {a.trials} trials x 9 tasks): "
          f"{gen_s * 1e3:.0f} ms per call (included in the times below)")
    tag = "EXTRAPOLATED" if extrapolated else "measured"
    print(f"paper size: 11 levels x {a.paper_draws} draws x 9 tasks x {a.paper_trials} trials "
          f"({tag}{f', x{scale * 11 / len(levels):.1f} linear in levels x draws x trials' if extrapolated else ''})")
    print(f"{'kind':8s} {'1st call s':>10s} {'later s':>8s} {'compile s':>9s} {'ms/lvl-draw':>11s} "
          f"{'trial-steps/s':>14s} | {'paper run s':>11s} {'paper 1st s':>11s}")
    for k, v in out["kinds"].items():
        print(f"{k:8s} {v['first_call_s']:10.2f} {v['run_s']:8.2f} {v['compile_overhead_s']:9.2f} "
              f"{v['ms_per_level_draw']:11.1f} {v['trial_steps_per_s']:14,.0f} | {v['paper_size_run_s']:11.1f} "
              f"{v['paper_size_first_call_s']:11.1f}")
    print(f"batch_size comparison (kind m1, {len(bs_levels)} levels x {a.bs_draws} draws x {a.bs_trials} trials, "
          f"median of {a.bs_repeats}, interleaved):")
    for b in bss:
        print(f"  batch_size={b:<3d} first call {bs_first[b]:6.2f} s, later {bs_med[b]:6.2f} s"
              f"{'   <- fastest' if b == best else ''}")
    print(f"total benchmark time {out['total_bench_s']:.0f} s")
    print(json.dumps(out))


if __name__ == "__main__":
    main()
