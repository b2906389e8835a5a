"""Probe: step time of the vmapped training loops for several scan unrolls (ms per step).

usage: python benchmarks/gpu_probe.py UNROLL [UNROLL ...]  (env: PROBE_B, PROBE_STEPS, PROBE_WHAT, PROBE_JSON)

Prints one line per loop and writes the rows as JSON (``"kind": "gpu-probe"``) to $PROBE_JSON
(default: $OUT/gpu-probe.json, or gpu_out/gpu-probe.json); ``molap.views.benchmarks.probe_rows`` reads
such a file once it is copied to ``benchmarks/results/NAME.json``. Each row names the networks
trained together, tasks per network, units and whether only heads on a frozen reservoir train:
the inputs of the FLOP model ``molap.views.benchmarks.step_work``.
"""
import json
import os
import sys
import time
from pathlib import Path

import jax
import jax.numpy as jnp

print("jax", jax.__version__, jax.devices(), flush=True)
from molap import network
from molap.network import Layout
from molap.tasks import N_STEPS, get_tasks, sample
from molap.training import (
    Schedule,
    Trainer,
    head_masks,
    heads_forward,
    init_heads,
    padded_batches,
    task_losses,
    time_weights,
)

tasks = get_tasks(None)
B = int(os.environ.get("PROBE_B", 200)); STEPS = int(os.environ.get("PROBE_STEPS", 200))
sched = Schedule(1e-2, 1, 1000, 1.5)
_, unit_mask = head_masks(tasks, 1)
w8 = time_weights(5.0)

def timeit(name, loss_fn, params, mask, keys, data=None, *, nets, tasks_per_net, units, frozen):
    tr = Trainer(loss_fn, mask, sched, key=keys, batched=True, data=data)
    s = tr.init(params)
    t = time.perf_counter(); p, s, _ = tr.run(params, s, 0, 50); jax.block_until_ready(p)
    comp = time.perf_counter() - t
    t = time.perf_counter(); p, s, _ = tr.run(p, s, 50, STEPS); jax.block_until_ready(p)
    dt = (time.perf_counter() - t) / STEPS
    print(f"unroll {os.environ.get('MOLAP_SCAN_UNROLL', '1'):>3} {name:32s} compile+50 {comp:6.1f} s  {dt*1e3:8.2f} ms/step", flush=True)
    TIMES.setdefault(os.environ.get("MOLAP_SCAN_UNROLL", "1"), []).append(dt)
    ROWS.append({"what": name, "unroll": int(os.environ.get("MOLAP_SCAN_UNROLL", "1")), "compile_s": comp,
                 "ms_per_step": dt * 1e3, "nets": nets, "tasks_per_net": tasks_per_net, "units": units, "frozen": frozen})

TIMES, ROWS = {}, []
WHAT = os.environ.get("PROBE_WHAT", "heads,dni").split(",")
for u in sys.argv[1:]:
    os.environ["MOLAP_SCAN_UNROLL"] = u
    K = 15
    net = network.init(jax.random.key(1), 1, 1, Layout(100, 2))
    heads = init_heads(tasks, 100, key=jax.random.key(2))
    hmask, _ = head_masks(tasks, 100)
    st = lambda a, K: jnp.stack([a] * K)
    def hl(h, k, d):
        x, y = padded_batches(tasks, k, B)
        return jnp.sum(task_losses(heads_forward(d[0], d[1], h, x), y, unit_mask, w8))
    if "heads" in WHAT: timeit(f"nine heads x {K} nets", hl, jax.tree.map(lambda a: st(a, K), heads), jax.tree.map(lambda a: st(a, K), hmask),
           jax.random.split(jax.random.key(0), K), data=(st(net.w_rec, K), st(net.b, K)),
           nets=K, tasks_per_net=len(tasks), units=100, frozen=True)
    t0 = tasks[0]
    dn = network.init(jax.random.key(4), 3, 3, Layout(200, 2))
    dm = network.trainable(dn, w_in=True, w_rec=True, w_out=True, b_out=True)
    def dl(p, k):
        b = sample(t0, k, B)
        x = jnp.pad(b.inputs, ((0, 0), (0, 0), (0, 3 - t0.n_in))); y = jnp.pad(b.targets, ((0, 0), (0, 0), (0, 3 - t0.n_out)))
        return jnp.mean((network.run(p, x)[0] - y) ** 2)
    if "dni" in WHAT: timeit("dni N=200 x 5", dl, jax.tree.map(lambda a: st(a, 5), dn), jax.tree.map(lambda a: st(a, 5), dm),
           jax.random.split(jax.random.key(0), 5), nets=5, tasks_per_net=1, units=200, frozen=False)

best = min(TIMES, key=lambda u: sum(TIMES[u]))
print(f"BEST_UNROLL={best}", flush=True)
dest = Path(os.environ.get("PROBE_JSON") or Path(os.environ.get("OUT", "gpu_out")) / "gpu-probe.json")
dest.parent.mkdir(parents=True, exist_ok=True)
dest.write_text(json.dumps({"kind": "gpu-probe", "date": time.strftime("%Y-%m-%d"), "jax": jax.__version__,
                            "devices": [str(d) for d in jax.devices()], "batch": B, "time_steps": N_STEPS,
                            "warmup_steps": 50, "steps": STEPS, "best_unroll": int(best), "rows": ROWS}, indent=1) + "\n")
print(f"wrote {dest}", flush=True)
