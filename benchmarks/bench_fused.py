"""Training steps against their floor, side by side in one run: the fused pass before and after
the rewrite of ``molap/training/fused.py``, automatic differentiation, PyTorch, and the bare
recurrence chain of the same shapes.

The floor of a training step on a CPU is the recurrence itself, once forward and once in reverse:
``h = tanh(h @ W_rec)`` over 110 steps with the step's shapes (a "bare chain", timed here in the
same rounds). Each case is timed as molap's Trainer runs it (a jitted ``lax.scan`` over steps,
masked Adam, a fresh batch drawn inside every step); the data draw alone is timed beside it, and
``net`` figures subtract it. Cases:

- ``heads9``: the nine task heads on one frozen reservoir, batch 200 (the headline shape);
- ``frozen16``: the ``standard`` frozen family, 15 networks (3 methods x 5 seeds) of nine heads
  each, batch 16, each on its own reservoir;
- ``separate16``: the ``standard`` separate networks, 5 sets of nine per-task networks, batch 16,
  every weight trained;
- ``folds_pretrain``: the generalisation folds' module pre-training, 36 networks (4 variants x 9
  folds), batch 200, one module's block trained, the activity regulariser included;
- ``fold_heads``: the folds' held-out heads, 4 variants x 9 fold networks, batch 16, each head on
  its own frozen reservoir.

"before" is the fused pass as it was (``benchmarks/fused_before.py``, kept for this comparison
only; pre-training then ran automatic differentiation of ``network.run``). Every variant is timed
interleaved in the same rounds and each figure is the median over rounds. PyTorch (nine
``nn.RNN`` networks one after another, W_in and readout trained) runs where it is installed
(``benchmarks/run_all.py`` says how; not a project dependency).

Usage: python benchmarks/bench_fused.py [--steps 5] [--repeats 7] [--only CASE ...]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
import fused_before  # noqa: E402

from molap import network
from molap.methods import init_separate
from molap.network import Layout, RNNParams
from molap.primitives import transform
from molap.tasks import N_STEPS, get_tasks, sample_corpus, stack_inputs
from molap.training import (
    FROZEN,
    Grads,
    Schedule,
    Trainer,
    head_masks,
    init_heads,
    padded_batches,
    task_losses,
    task_outputs,
    time_weights,
)

TASKS = get_tasks(None)
N = 100


def timed(fn) -> float:
    t = time.perf_counter()
    jax.block_until_ready(fn())
    return time.perf_counter() - t


def stack(tree, k):
    return jax.tree.map(lambda a: jnp.broadcast_to(a, (k,) + jnp.shape(a)), tree)


def chain(shape_h, shape_w):
    """A bare recurrence chain: h (.., R, N) <- tanh(h @ W) for 110 steps (W (N, N) or (.., N, N))."""
    h0 = jax.random.normal(jax.random.key(1), shape_h) * 0.1
    w = jax.random.normal(jax.random.key(2), shape_w) * 1.5 / np.sqrt(N)
    f = jax.jit(lambda h: jax.lax.scan(lambda h, _: (jnp.tanh(h @ w), None), h, None, length=N_STEPS)[0])
    return lambda n: [f(h0) for _ in range(n)][-1]


def trainer(loss_fn, params, mask, *, data=None, n_nets=None):
    """A function of n: run n training steps (compiled first)."""
    if n_nets is None:
        tr = Trainer(loss_fn, mask, Schedule(1e-3, 1, 10 ** 6, 1.0), key=jax.random.key(2))
    else:
        tr = Trainer(loss_fn, mask, Schedule(1e-3, 1, 10 ** 6, 1.0), key=jax.random.split(jax.random.key(2), n_nets),
                     batched=True, data=data)
    state = {"p": params, "s": tr.init(params)}

    def run(n):
        p, s, _ = tr.run(state["p"], state["s"], 0, n, chunk=n)
        return p
    return run


def heads_loss(forward, batch):
    _, unit_mask = head_masks(TASKS, 1)
    w = time_weights(5.0)

    def loss_fn(h, k, d=None):
        x, y = padded_batches(TASKS, k, batch)
        return jnp.sum(task_losses(forward(h, x, d), y, unit_mask, w)) + 1e-5 * jnp.sum(h.w_in ** 2)
    return loss_fn


def heads_forward(fused, grads=None):
    def forward(h, x, d):
        p = RNNParams(h.w_in, d[0], d[1], h.w_out, h.b_out, jnp.zeros((h.w_in.shape[0], N)))
        return fused(p, x) if grads is None else fused(p, x, grads=grads)
    return forward


def autodiff_heads(h, x, d):
    def one(w_in, w_out, b_out, xi):
        return network.run(RNNParams(w_in, d[0], d[1], w_out, b_out, jnp.zeros((N,))), xi)[0]
    return jax.vmap(one)(h.w_in, h.w_out, h.b_out, x)


def gen(batch, n_nets=None):
    """The data draw alone: n steps' batches (one per network when n_nets)."""
    if n_nets is None:
        f = jax.jit(lambda k: padded_batches(TASKS, k, batch))
    else:
        f = jax.jit(jax.vmap(lambda k: padded_batches(TASKS, k, batch)))

    def run(n):
        out = None
        for i in range(n):
            k = jax.random.key(i) if n_nets is None else jax.random.split(jax.random.key(i), n_nets)
            out = f(k)
        return out
    return run


def case_heads9(batch=200):
    raw = network.init(jax.random.key(0), 1, 1, Layout(N, 2))
    heads = init_heads(TASKS, N, key=jax.random.key(1))
    mask, _ = head_masks(TASKS, N)
    d = (raw.w_rec, raw.b)

    def make(forward):
        loss = heads_loss(forward, batch)
        return trainer(lambda h, k: loss(h, k, d), heads, mask)
    return {"floor": chain((len(TASKS) * batch, N), (N, N)), "gen": gen(batch),
            "before": make(heads_forward(fused_before.task_outputs)), "after": make(heads_forward(task_outputs)),
            "autodiff": make(autodiff_heads)}


def case_frozen16(k=15, batch=16):
    raw = network.init(jax.random.key(0), 1, 1, Layout(N, 2))
    heads = stack(init_heads(TASKS, N, key=jax.random.key(1)), k)
    mask = stack(head_masks(TASKS, N)[0], k)
    data = (stack(raw.w_rec, k), stack(raw.b, k))

    def make(forward):
        return trainer(heads_loss(forward, batch), heads, mask, data=data, n_nets=k)
    return {"floor": chain((k, len(TASKS) * batch, N), (k, N, N)), "gen": gen(batch, k),
            "before": make(heads_forward(fused_before.task_outputs)), "after": make(heads_forward(task_outputs))}


def case_fold_heads(variants=4, batch=16):
    f = len(TASKS)
    raw = network.init(jax.random.key(0), 1, 1, Layout(N, 2))
    heads = stack(init_heads(TASKS, N, key=jax.random.key(1)), variants)
    mask = stack(head_masks(TASKS, N)[0], variants)
    data = (stack(stack(raw.w_rec, f), variants), stack(stack(raw.b, f), variants))

    def make(fused, grads=None):
        return trainer(heads_loss(heads_forward(fused, grads), batch), heads, mask, data=data, n_nets=variants)
    return {"floor": chain((variants, f, batch, N), (variants, f, N, N)), "gen": gen(batch, variants),
            "before": make(fused_before.task_outputs), "after": make(task_outputs, FROZEN)}


def case_separate16(k=5, batch=16):
    init = network.init(jax.random.key(0), 1, 1, Layout(N, 2))
    params, mask = init_separate(TASKS, init, key=jax.random.key(1))
    params, mask = stack(params, k), stack(mask, k)

    def make(fused):
        loss = heads_loss(lambda q, x, d: fused(q, x), batch)
        return trainer(lambda q, key: loss(q, key) + 1e-5 * jnp.sum(q.w_rec ** 2), params, mask, n_nets=k)
    return {"floor": chain((k, len(TASKS), batch, N), (k, len(TASKS), N, N)), "gen": gen(batch, k),
            "before": make(fused_before.task_outputs), "after": make(task_outputs)}


def case_folds_pretrain(k=36, batch=200, module=0):
    """One phase of pre-training, as molap.training.pretrain_folds runs it (one batch key shared by
    the folds), with the loss written with network.run (before) and with the fused pass (after)."""
    from molap import pipeline

    lay = Layout(N, 2)
    prim = jax.tree.map(lambda a: jnp.stack([jnp.asarray(a)] * k), pipeline.primitives("quick", "cca"))
    params = jax.vmap(lambda q: network.init(q, 1, 1, lay))(jax.random.split(jax.random.key(0), k))
    block = jnp.asarray(lay.block(module))
    mask = network.trainable(jax.tree.map(lambda a: a[0], params), w_in=True, w_out=True, b_out=True, w_rec=block)
    mask = stack(mask, k)
    units = lay.units(module)

    def components(pr, key):
        x, y = stack_inputs(sample_corpus(None, key, batch))
        return transform(pr, x, y)

    def before(p, key, pr):
        u, v = components(pr, key)
        y, h = network.run(p, u[..., module:module + 1])
        return (jnp.mean((y - v[..., module:module + 1]) ** 2) + 1e-5 * jnp.sum((p.w_rec * block) ** 2)
                + 1e-7 * jnp.mean(h ** 2))

    def after(p, key, pr):
        u, v = components(pr, key)
        one = RNNParams(p.w_in[None], p.w_rec, p.b, p.w_out[None], p.b_out[None], p.h0[None])
        y, e = task_outputs(one, u[None, ..., module:module + 1], grads=Grads((units.start, units.stop)), energy=True)
        return (jnp.mean((y[0] - v[..., module:module + 1]) ** 2) + 1e-5 * jnp.sum((p.w_rec * block) ** 2)
                + 1e-7 * e[0] / (batch * N_STEPS * N))

    def make(loss):
        tr = Trainer(loss, mask, Schedule(1e-3, 1, 10 ** 6, 1.0), key=jax.random.key(2), batched=True, data=prim)
        state = {"p": params, "s": tr.init(params)}
        return lambda n: tr.run(state["p"], state["s"], 0, n, chunk=n)[0]

    draw = jax.jit(lambda key: jax.vmap(lambda pr: components(pr, key))(prim))
    return {"floor": chain((k, batch, N), (k, N, N)), "gen": lambda n: [draw(jax.random.key(i)) for i in range(n)][-1],
            "before": make(before), "after": make(after)}


def torch_heads9(batch=200):
    """Nine torch.nn.RNN networks one after another, recurrent weights frozen, W_in and readout
    trained with Adam, on pre-drawn tensors (None where torch is not installed)."""
    try:
        import torch
    except ImportError:
        return None
    torch.set_num_threads(2)
    torch.manual_seed(0)
    nets = []
    for _ in TASKS:
        rnn = torch.nn.RNN(input_size=3, hidden_size=N, nonlinearity="tanh", batch_first=True)
        for frozen in (rnn.weight_hh_l0, rnn.bias_hh_l0, rnn.bias_ih_l0):
            frozen.requires_grad_(False)
        lin = torch.nn.Linear(N, 3)
        opt = torch.optim.Adam([rnn.weight_ih_l0] + list(lin.parameters()), lr=1e-2)
        nets.append((rnn, lin, opt, torch.randn(batch, N_STEPS, 3), torch.randn(batch, N_STEPS, 3)))

    def run(n):
        for _ in range(n):
            for rnn, lin, opt, x, y in nets:
                opt.zero_grad(set_to_none=True)
                hs, _ = rnn(x)
                torch.nn.functional.mse_loss(lin(hs), y).backward()
                opt.step()
    return run


def matmul_gflops(n: int = 2000) -> float:
    a = jax.random.normal(jax.random.key(0), (n, n))
    mm = jax.jit(lambda u: u @ u)
    jax.block_until_ready(mm(a))
    return 2 * n ** 3 / min(timed(lambda: mm(a)) for _ in range(5)) / 1e9


CASES = {"heads9": case_heads9, "frozen16": case_frozen16, "separate16": case_separate16,
         "folds_pretrain": case_folds_pretrain, "fold_heads": case_fold_heads}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--steps", type=int, default=5, help="training steps per timed call")
    ap.add_argument("--repeats", type=int, default=7, help="timed rounds (median taken)")
    ap.add_argument("--only", nargs="+", choices=list(CASES))
    a = ap.parse_args()
    t0 = time.perf_counter()
    fns = {}
    for name, make in CASES.items():
        if not a.only or name in a.only:
            for v, f in make().items():
                fns[f"{name}/{v}"] = f
    if (not a.only or "heads9" in a.only) and (tf := torch_heads9()) is not None:
        fns["heads9/torch"] = tf
    for f in fns.values():  # compile and warm up
        jax.block_until_ready(f(a.steps))
    setup_s = time.perf_counter() - t0
    times = {k: [] for k in fns}
    for _ in range(a.repeats):
        for k, f in fns.items():
            times[k].append(timed(lambda: f(a.steps)) / a.steps * 1e3)
    med = {k: statistics.median(v) for k, v in times.items()}
    peak = matmul_gflops()
    res = {"steps_per_call": a.steps, "repeats": a.repeats, "setup_s": setup_s, "matmul_peak_gflops": peak,
           "ms": med, "raw_ms": times, "cases": {}}
    print(f"device: {jax.devices()[0]} (jax {jax.__version__}); median of {a.repeats} rounds x {a.steps} steps, "
          f"all variants interleaved; matrix-product rate {peak:.0f} GFLOP/s")
    print(f"{'case/variant':28s} {'ms/step':>9s} {'net ms':>8s} {'x floor':>8s} {'net x floor':>11s}")
    for name in CASES:
        if f"{name}/floor" not in med:
            continue
        floor2 = 2 * med[f"{name}/floor"]
        g = med[f"{name}/gen"]
        c = {"floor_chain_ms": med[f"{name}/floor"], "gen_ms": g}
        for v in ("before", "after", "autodiff", "torch"):
            key = f"{name}/{v}"
            if key in med:
                net = med[key] - (g if v != "torch" else 0.0)
                c[v] = {"ms": med[key], "net_ms": net, "over_two_chains": med[key] / floor2,
                        "net_over_two_chains": net / floor2}
                print(f"{key:28s} {med[key]:9.2f} {net:8.2f} {med[key] / floor2:8.2f} {net / floor2:11.2f}")
        for v in ("floor", "gen"):
            print(f"{name + '/' + v:28s} {med[f'{name}/{v}']:9.2f}")
        if "before" in c and "after" in c:
            paired = statistics.median(b / x for b, x in zip(times[f"{name}/before"], times[f"{name}/after"]))
            c["speedup_after_over_before"] = med[f"{name}/before"] / med[f"{name}/after"]
            c["paired_speedup_after_over_before"] = paired
            print(f"{'  after vs before':28s} {c['speedup_after_over_before']:.2f}x faster (paired {paired:.2f}x)")
        res["cases"][name] = c
    from molap.views.benchmarks import step_work
    shapes = {"heads9": (1, 9, True, 200), "frozen16": (15, 9, True, 16), "separate16": (5, 9, False, 16),
              "fold_heads": (4, 9, True, 16)}  # (networks, tasks per network, frozen, batch)
    for name, (nets, tasks, frozen, batch) in shapes.items():
        if name in res["cases"]:
            _, flops = step_work(nets, tasks, N, frozen, batch, N_STEPS)
            c = res["cases"][name]
            for v in ("before", "after"):
                c[v]["gflops"] = flops / (c[v]["ms"] / 1e3) / 1e9
            print(f"  {name}: {c['after']['gflops']:.0f} GFLOP/s after, {c['before']['gflops']:.0f} before "
                  f"({100 * c['after']['gflops'] / peak:.0f}% and {100 * c['before']['gflops'] / peak:.0f}% of the "
                  f"matrix-product rate)")
    print(json.dumps(res))


if __name__ == "__main__":
    main()
