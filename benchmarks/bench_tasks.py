"""Task-batch generation speed: jitted JAX (molap) vs neurogym's Dataset, if neurogym is installed.

Usage: python benchmarks/bench_tasks.py [--trials 200] [--repeats 50]
"""

from __future__ import annotations

import argparse
import json
import time

import jax

from molap import TASK_NAMES, sample, sample_corpus


def bench(fn, repeats: int) -> float:
    fn(0)  # compile
    t = time.perf_counter()
    for i in range(repeats):
        jax.block_until_ready(fn(i + 1))
    return (time.perf_counter() - t) / repeats


def neurogym_time(trials: int, repeats: int) -> float | None:
    """Seconds per batch of `trials` 110-step trials from neurogym's Dataset, after a warm-up.

    DelayMatchSample-v0 (fixation input + 2 stimulus channels, two noisy pulses separated by a delay,
    then a response epoch) is the neurogym task closest to this corpus. At dt=10 ms its epochs are
    set to molap's timeline: fixation [0, 35), sample [35, 45), delay [45, 65), test [65, 75),
    decision [75, 110), so one trial is exactly 110 steps (molap's two-pulse tasks: pulses at
    [35, 45) and [65, 75), 110 steps). cache_len=109 rounds up to a 110-step cache: each call then
    generates exactly one new trial per batch element; the default cache regenerates two per call.
    """
    try:
        import neurogym as ngym
        from neurogym.envs.registration import all_envs
    except ImportError:
        return None
    import warnings

    env = "DelayMatchSample-v0"
    if env not in all_envs():
        return None
    timing = {"fixation": 350, "sample": 100, "delay": 200, "test": 100, "decision": 350}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # gymnasium deprecation chatter about wrapper attributes
        ds = ngym.Dataset(
            env,
            env_kwargs={"dt": 10, "timing": timing},
            batch_size=trials,
            seq_len=110,
            cache_len=109,
        )
        inputs, _ = ds()  # warm-up
        assert inputs.shape[:2] == (110, trials), inputs.shape
        t = time.perf_counter()
        for _ in range(repeats):
            ds()
        return (time.perf_counter() - t) / repeats


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--trials", type=int, default=200)
    p.add_argument("--repeats", type=int, default=50)
    a = p.parse_args()
    rows = {}
    for name in TASK_NAMES:
        fn = jax.jit(lambda i, n=name: sample(n, jax.random.key(i), a.trials).inputs)
        rows[name] = bench(fn, a.repeats)
    corpus = jax.jit(lambda i: sample_corpus(None, jax.random.key(i), a.trials))
    rows["corpus (all nine)"] = bench(corpus, a.repeats)
    ng = neurogym_time(a.trials, a.repeats)
    print(f"device: {jax.devices()[0]}, {a.trials} trials per batch")
    for k, v in rows.items():
        print(f"{k:20s} {v * 1e3:8.3f} ms/batch {v / a.trials * 1e6:8.2f} us/trial")
    if ng is None:
        print("neurogym: not installed (pip install neurogym to compare)")
    else:
        worst = max(v for k, v in rows.items() if k in TASK_NAMES)
        print(f"neurogym Dataset     {ng * 1e3:8.3f} ms/batch  -> molap is {ng / worst:.0f}x faster (slowest task)")
    print(json.dumps({k: v * 1e3 for k, v in rows.items()} | {"neurogym_ms": None if ng is None else ng * 1e3}))


if __name__ == "__main__":
    main()
