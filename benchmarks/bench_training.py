"""Training-step throughput: molap's task heads (JAX) vs a PyTorch nn.RNN baseline, on CPU.

(a) one task head (delay_pro) trained on frozen recurrent weights, (b) all nine heads in one
step, both with molap's own Trainer (masked Adam, jitted lax.scan over steps; every step draws a
fresh task batch inside the step) and its fused forward and backward pass
(:mod:`molap.training.fused`), (b') the nine heads with automatic differentiation of
``network.run`` per task (the training path before the fused one), (c) torch.nn.RNN(3 -> N, tanh)
+ Linear + Adam, one full step (forward, MSE backward, step) on pre-generated random tensors,
with the recurrent weights and biases frozen as in MoLaP's heads, (d) torch doing nine such
networks one after another. JAX data generation is also timed alone and subtracted. The FLOP
rate of the nine heads is set against this machine's float32 matrix-product rate, measured in
the same run on a 2000 x 2000 product.

All variants are timed interleaved in the same rounds (so background load hits them alike) and
each figure is the median over rounds.

Usage: python benchmarks/bench_training.py [--batch 200] [--units 100] [--steps 5] [--torch-steps 2]
       [--repeats 5] [--threads 2,1]
"""

from __future__ import annotations

import argparse
import json
import statistics
import time

import jax
import jax.numpy as jnp

from molap import network, training
from molap.network import Layout
from molap.tasks import N_STEPS, get_tasks


def autodiff_forward(w_rec, b, heads, x):
    """The nine heads through ``network.run`` per task, differentiated automatically."""
    def one(w_in, w_out, b_out, xi):
        return network.run(network.RNNParams(w_in, w_rec, b, w_out, b_out, jnp.zeros_like(b)), xi)[0]
    return jax.vmap(one)(heads.w_in, heads.w_out, heads.b_out, x)


def jax_setup(names, n_units: int, batch: int, n_steps: int, forward=training.heads_forward):
    """(step runner, data generator) for the heads of ``names`` (None: all nine)."""
    p = network.init(jax.random.key(0), 1, 1, Layout(n_units, 2))
    ts = get_tasks(names)
    heads = training.init_heads(ts, n_units, key=jax.random.key(1))
    mask, unit_mask = training.head_masks(ts, n_units)
    w = training.time_weights(5.0)
    l2 = 1e-5

    def loss_fn(h, k):  # the loss of training.train_heads
        x, y = training.padded_batches(ts, k, batch)
        out = forward(p.w_rec, p.b, h, x)
        return jnp.sum(training.task_losses(out, y, unit_mask, w)) + l2 * jnp.sum(h.w_in ** 2)

    tr = training.Trainer(loss_fn, mask, training.Schedule(1e-2, 1, 1000, 1.0), key=jax.random.key(2))
    state = {"h": heads, "s": tr.init(heads), "start": 0}

    def run_chunk():
        h, s, losses = tr.run(state["h"], state["s"], state["start"], n_steps, chunk=n_steps)
        jax.block_until_ready(h)
        state.update(h=h, s=s, start=state["start"] + n_steps)
        return losses

    gen = jax.jit(lambda k: training.padded_batches(ts, k, batch))
    ctr = [0]

    def gen_chunk():  # n_steps batches, like one chunk of training
        for _ in range(n_steps):
            ctr[0] += 1
            jax.block_until_ready(gen(jax.random.key(ctr[0])))

    run_chunk()  # compile
    gen_chunk()
    return run_chunk, gen_chunk, len(ts)


def torch_setup(n_nets: int, n_units: int, batch: int, n_steps: int):
    import torch

    torch.manual_seed(0)
    nets = []
    for _ in range(n_nets):
        rnn = torch.nn.RNN(input_size=3, hidden_size=n_units, nonlinearity="tanh", batch_first=True)
        for frozen in (rnn.weight_hh_l0, rnn.bias_hh_l0, rnn.bias_ih_l0):  # a task head: W_in and readout
            frozen.requires_grad_(False)
        lin = torch.nn.Linear(n_units, 3)
        opt = torch.optim.Adam([rnn.weight_ih_l0] + list(lin.parameters()), lr=1e-2)
        x = torch.randn(batch, N_STEPS, 3)
        y = torch.randn(batch, N_STEPS, 3)
        nets.append((rnn, lin, opt, x, y))

    def step(rnn, lin, opt, x, y):
        opt.zero_grad(set_to_none=True)
        hs, _ = rnn(x)
        loss = torch.nn.functional.mse_loss(lin(hs), y)
        loss.backward()
        opt.step()
        return loss

    def run_chunk():
        for _ in range(n_steps):
            for net in nets:  # nine heads: one network after another
                step(*net)

    run_chunk()  # warm-up
    return run_chunk


def matmul_gflops(n: int = 2000, repeats: int = 5) -> float:
    """This machine's float32 matrix-product rate (GFLOP/s): the best of ``repeats`` n x n products."""
    a = jax.random.normal(jax.random.key(0), (n, n))
    mm = jax.jit(lambda u: u @ u)
    jax.block_until_ready(mm(a))
    best = min(timed(lambda: jax.block_until_ready(mm(a))) for _ in range(repeats))
    return 2 * n ** 3 / best / 1e9


def timed(fn) -> float:
    t = time.perf_counter()
    fn()
    return time.perf_counter() - t


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--batch", type=int, default=200)
    ap.add_argument("--units", type=int, default=100)
    ap.add_argument("--steps", type=int, default=5, help="training steps per timed call")
    ap.add_argument("--repeats", type=int, default=5, help="timed rounds (median taken)")
    ap.add_argument("--torch-steps", type=int, default=2, help="torch training steps per timed call")
    ap.add_argument("--threads", default="2,1",
                    help="torch.set_num_threads values, comma-separated; the first is the headline figure")
    a = ap.parse_args()

    import torch

    threads = [int(t) for t in a.threads.split(",")]
    torch.set_num_threads(threads[0])
    t0 = time.perf_counter()
    j1, g1, _ = jax_setup(["delay_pro"], a.units, a.batch, a.steps)
    j9, g9, _ = jax_setup(None, a.units, a.batch, a.steps)
    j9a, _, _ = jax_setup(None, a.units, a.batch, a.steps, forward=autodiff_forward)
    c1 = torch_setup(1, a.units, a.batch, a.torch_steps)
    c9 = torch_setup(9, a.units, a.batch, a.torch_steps)
    setup_s = time.perf_counter() - t0

    def with_threads(f, n):
        def g():
            torch.set_num_threads(n)
            f()
        return g

    fns = {"jax_1": (j1, a.steps), "jax_9": (j9, a.steps), "jax_9_autodiff": (j9a, a.steps), "jaxgen_1": (g1, a.steps), "jaxgen_9": (g9, a.steps)}
    for i, n in enumerate(threads):
        sfx = "" if i == 0 else f"_t{n}"
        fns[f"torch_1{sfx}"] = (with_threads(c1, n), a.torch_steps)
        fns[f"torch_9{sfx}"] = (with_threads(c9, n), a.torch_steps)
    times = {k: [] for k in fns}
    for _ in range(a.repeats):
        for k, (f, n) in fns.items():
            times[k].append(timed(f) / n)
    torch.set_num_threads(threads[0])
    med = {k: statistics.median(v) for k, v in times.items()}
    spread = {k: (min(v), max(v)) for k, v in times.items()}

    ms = lambda s: s * 1e3  # noqa: E731
    res = {
        "jax_1head_ms": ms(med["jax_1"]),
        "jax_9heads_ms": ms(med["jax_9"]),
        "jax_datagen_1task_ms": ms(med["jaxgen_1"]),
        "jax_datagen_9tasks_ms": ms(med["jaxgen_9"]),
        "jax_1head_nogen_ms": ms(med["jax_1"] - med["jaxgen_1"]),
        "jax_9heads_nogen_ms": ms(med["jax_9"] - med["jaxgen_9"]),
        "torch_1net_ms": ms(med["torch_1"]),
        "torch_9nets_ms": ms(med["torch_9"]),
    }
    res["jax_9heads_autodiff_ms"] = ms(med["jax_9_autodiff"])
    res["speedup_fused_over_autodiff_9"] = med["jax_9_autodiff"] / med["jax_9"]
    res["speedup_over_torch_9"] = med["torch_9"] / med["jax_9"]
    from molap.views.benchmarks import step_work
    _, flops = step_work(1, 9, a.units, True, a.batch, N_STEPS)
    res["jax_9heads_gflops"] = flops / med["jax_9"] / 1e9
    res["jax_9heads_autodiff_gflops"] = flops / med["jax_9_autodiff"] / 1e9
    res["matmul_peak_gflops"] = matmul_gflops()
    res["ratio_jax_9_over_1"] = med["jax_9"] / med["jax_1"]
    res["ratio_jax_9_over_1_nogen"] = (med["jax_9"] - med["jaxgen_9"]) / (med["jax_1"] - med["jaxgen_1"])
    res["ratio_torch_9_over_1"] = med["torch_9"] / med["torch_1"]
    res["ratio_jax_over_torch_1"] = med["jax_1"] / med["torch_1"]
    res["ratio_jax_over_torch_9"] = med["jax_9"] / med["torch_9"]
    res["ratio_jax_over_torch_1_nogen"] = (med["jax_1"] - med["jaxgen_1"]) / med["torch_1"]
    res["ratio_jax_over_torch_9_nogen"] = (med["jax_9"] - med["jaxgen_9"]) / med["torch_9"]
    for n in threads[1:]:
        res[f"torch_1net_ms_threads{n}"] = ms(med[f"torch_1_t{n}"])
        res[f"torch_9nets_ms_threads{n}"] = ms(med[f"torch_9_t{n}"])
        res[f"ratio_jax_over_torch_1_threads{n}"] = med["jax_1"] / med[f"torch_1_t{n}"]
        res[f"ratio_jax_over_torch_9_threads{n}"] = med["jax_9"] / med[f"torch_9_t{n}"]
    # paired: the ratio within each round, then the median over rounds (robust to load that changes between rounds)
    pr = lambda n, d: statistics.median(x / y for x, y in zip(times[n], times[d]))  # noqa: E731
    res["paired_ratio_jax_9_over_1"] = pr("jax_9", "jax_1")
    res["paired_speedup_fused_over_autodiff_9"] = pr("jax_9_autodiff", "jax_9")
    res["paired_speedup_over_torch_9"] = pr("torch_9", "jax_9")
    res["paired_ratio_jax_over_torch_1"] = pr("jax_1", "torch_1")
    res["paired_ratio_jax_over_torch_9"] = pr("jax_9", "torch_9")
    for n in threads[1:]:
        res[f"paired_ratio_jax_over_torch_1_threads{n}"] = pr("jax_1", f"torch_1_t{n}")
        res[f"paired_ratio_jax_over_torch_9_threads{n}"] = pr("jax_9", f"torch_9_t{n}")
    tstep = a.batch * N_STEPS
    res["throughput_trialsteps_per_s"] = {
        "jax_1head": tstep / med["jax_1"], "jax_9heads": 9 * tstep / med["jax_9"],
        "torch_1net": tstep / med["torch_1"], "torch_9nets": 9 * tstep / med["torch_9"],
    } | {f"torch_{m}{'net' if m == 1 else 'nets'}_threads{n}": m * tstep / med[f"torch_{m}_t{n}"]
         for n in threads[1:] for m in (1, 9)}

    print(f"device: {jax.devices()[0]} (jax {jax.__version__}), torch {torch.__version__} "
          f"({torch.get_num_threads()} threads); N={a.units}, batch={a.batch}, {N_STEPS} time steps, float32, Adam")
    print(f"median of {a.repeats} rounds x {a.steps} steps (torch: {a.torch_steps} steps), all variants interleaved per round; "
          f"setup+compile {setup_s:.1f} s")
    print("JAX steps include drawing a fresh task batch inside the step; torch uses pre-generated random tensors.")
    print(f"{'variant':34s} {'ms/step':>9s} {'min..max':>17s} {'trial-steps/s':>14s}")
    rows = [("JAX, 1 head (delay_pro)", "jax_1", 1), ("JAX, 9 heads (one fused step)", "jax_9", 9),
            ("JAX, 9 heads (autodiff of run)", "jax_9_autodiff", 9),
            ("JAX data gen alone, 1 task", "jaxgen_1", None), ("JAX data gen alone, 9 tasks", "jaxgen_9", None),
            (f"torch nn.RNN, 1 network, {threads[0]} thr", "torch_1", 1),
            (f"torch, 9 networks in seq., {threads[0]} thr", "torch_9", 9)]
    for n in threads[1:]:
        rows += [(f"torch nn.RNN, 1 network, {n} thr", f"torch_1_t{n}", 1),
                 (f"torch, 9 networks in seq., {n} thr", f"torch_9_t{n}", 9)]
    for label, k, n in rows:
        thr = f"{n * tstep / med[k]:14,.0f}" if n else f"{'':14s}"
        print(f"{label:34s} {ms(med[k]):9.2f} {ms(spread[k][0]):8.2f}..{ms(spread[k][1]):<8.2f} {thr}")
    print(f"{'JAX, 1 head minus data gen':34s} {res['jax_1head_nogen_ms']:9.2f}")
    print(f"{'JAX, 9 heads minus data gen':34s} {res['jax_9heads_nogen_ms']:9.2f}")
    print("ratios:")
    print(f"  fused / autodiff, nine heads   {res['speedup_fused_over_autodiff_9']:6.2f}x faster (paired "
          f"{res['paired_speedup_fused_over_autodiff_9']:.2f}x)")
    print(f"  over torch, nine heads         {res['speedup_over_torch_9']:6.2f}x faster (paired "
          f"{res['paired_speedup_over_torch_9']:.2f}x)")
    print(f"  nine heads: {res['jax_9heads_gflops']:.1f} GFLOP/s fused, {res['jax_9heads_autodiff_gflops']:.1f} "
          f"autodiff; matrix-product rate of this machine {res['matmul_peak_gflops']:.1f} GFLOP/s")
    print(f"  JAX 9 heads / 1 head           {res['ratio_jax_9_over_1']:6.2f}  (without data gen "
          f"{res['ratio_jax_9_over_1_nogen']:.2f}; 9 would mean no gain from vmapping)")
    print(f"  torch 9 nets / 1 net           {res['ratio_torch_9_over_1']:6.2f}")
    print(f"  (torch figures below use {threads[0]} threads)")
    print(f"  JAX / torch, one network       {res['ratio_jax_over_torch_1']:6.2f}  (without data gen "
          f"{res['ratio_jax_over_torch_1_nogen']:.2f}; < 1 means JAX faster)")
    print(f"  JAX / torch, nine heads        {res['ratio_jax_over_torch_9']:6.2f}  (without data gen "
          f"{res['ratio_jax_over_torch_9_nogen']:.2f})")
    for n in threads[1:]:
        print(f"  JAX / torch ({n} thread), one network {res[f'ratio_jax_over_torch_1_threads{n}']:6.2f}, "
              f"nine heads {res[f'ratio_jax_over_torch_9_threads{n}']:.2f}")
    print("  paired (per-round ratio, median over rounds): JAX 9/1 heads "
          f"{res['paired_ratio_jax_9_over_1']:.2f}; JAX/torch({threads[0]} thr) one {res['paired_ratio_jax_over_torch_1']:.2f}, "
          f"nine {res['paired_ratio_jax_over_torch_9']:.2f}"
          + "".join(f"; JAX/torch({n} thr) one {res[f'paired_ratio_jax_over_torch_1_threads{n}']:.2f}, "
                    f"nine {res[f'paired_ratio_jax_over_torch_9_threads{n}']:.2f}" for n in threads[1:]))
    raw = {k: [ms(t) for t in v] for k, v in times.items()}
    print(json.dumps({"batch": a.batch, "units": a.units, "steps_per_call": a.steps,
                      "torch_steps_per_call": a.torch_steps, "repeats": a.repeats, "torch_threads": threads, **res, "raw_ms": raw}))


if __name__ == "__main__":
    main()
