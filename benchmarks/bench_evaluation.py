"""Validation of K networks: scored on the device in one vmapped call (``evaluate_many``) against
the code before it (network after network, each task's scores computed eagerly with a host
round trip per score). Both are timed interleaved in the same rounds; each figure is the median
over rounds, after a compiling call.

The real paper-profile run on the H100 took about 50 s per 1000-step block of 15 networks where
the probe's training steps alone take 19 s (benchmarks/results/reproduce-paper-h100.txt and
h100-training-probe.txt); a block is 1000 steps and one validation of K networks x 9 tasks x
n_val trials, so this is where the gap can come from. On the CPU the forward pass dominates and
the ratio is small; the host round trips it removes cost far more on a GPU.

Usage: python benchmarks/bench_evaluation.py [--networks 15] [--trials 500] [--units 100] [--repeats 3]
"""

from __future__ import annotations

import argparse
import json
import statistics
import time

import jax

from molap import metrics
from molap.tasks import get_tasks
from molap.training import evaluate_many
from molap.training.evaluation import as_keys
from molap.training.heads import heads_forward, init_heads, padded_batches


def _eager_score(o, y, window):
    paper = metrics.correct_paper(o, y, window)
    code = metrics.correct_code(o, y, window)
    trivial = metrics._best_constant(metrics.window_means(y, window)).at[0].set(1.0)
    return (float(100 * paper.mean()), float(100 * code.mean()), float(100 * paper[:, 1:].mean()),
            float(100 * trivial.mean()), float(100 * trivial[1:].mean()))


_COMPILED: dict = {}


def network_by_network(forward, params, data, tasks, keys, n_trials):
    """The code before evaluate_many counted on the device (kept here to be measured against)."""
    k = (forward, tuple(tasks), n_trials)
    if k not in _COMPILED:
        _COMPILED[k] = jax.jit(lambda p, d, key: (forward(p, padded_batches(tasks, key, n_trials)[0], d),
                                             padded_batches(tasks, key, n_trials)[1]))
    out = []
    for j in range(len(keys)):
        o, y = _COMPILED[k](jax.tree.map(lambda a: a[j], params), jax.tree.map(lambda a: a[j], data), keys[j])
        out.append({t.name: _eager_score(o[i, ..., :t.n_out], y[i, ..., :t.n_out], t.scored_window)
                    for i, t in enumerate(tasks)})
    return out


def _forward(h, x, d):
    return heads_forward(d[0], d[1], h, x)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--networks", type=int, default=15)
    ap.add_argument("--trials", type=int, default=500)
    ap.add_argument("--units", type=int, default=100)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--json", default=None, help="also write the rows here")
    a = ap.parse_args(argv)
    tasks, n, K = get_tasks(None), a.units, a.networks
    keys = jax.random.split(jax.random.key(0), K)
    w = 1.5 / n ** 0.5 * jax.random.normal(jax.random.key(1), (K, n, n))
    b = 0.1 * jax.random.normal(jax.random.key(2), (K, n))
    heads = jax.vmap(lambda k: init_heads(tasks, n, key=k))(keys)
    vkeys = as_keys(jax.random.split(jax.random.key(3), K))
    runs = {"evaluate_many (one call, counted on the device)":
            lambda: evaluate_many(_forward, heads, (w, b), tasks, keys=vkeys, n_trials=a.trials),
            "network by network, eager scores (before)":
            lambda: network_by_network(_forward, heads, (w, b), tasks, vkeys, a.trials)}
    for f in runs.values():
        f()  # compile
    times = {name: [] for name in runs}
    for _ in range(a.repeats):
        for name, f in runs.items():
            t = time.perf_counter()
            f()
            times[name].append(time.perf_counter() - t)
    med = {name: statistics.median(v) for name, v in times.items()}
    base = med["evaluate_many (one call, counted on the device)"]
    print(f"{jax.devices()[0].device_kind}: {K} networks x {len(tasks)} tasks x {a.trials} trials, N={n}, "
          f"median of {a.repeats}")
    rows = [{"what": name, "seconds": round(s, 3), "ratio": round(s / base, 2)} for name, s in med.items()]
    for r in rows:
        print(f"{r['what']:<52} {r['seconds']:8.3f} s   x{r['ratio']:.2f}")
    if a.json:
        with open(a.json, "w") as fh:
            json.dump({"kind": "evaluation", "device": jax.devices()[0].device_kind, "networks": K,
                       "trials": a.trials, "units": n, "rows": rows}, fh, indent=1)


if __name__ == "__main__":
    main()
