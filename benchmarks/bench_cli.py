"""Command-line feedback time: ``molap --help``, ``--version``, a subcommand's help and argument
errors, each a fresh process (median and max of several runs, wall seconds).

Usage: python benchmarks/bench_cli.py [--repeats 7] [--out benchmarks/results/cli-startup-cpu-2core]

The target (issue 15): under 1 s on the 2-core machine. These commands build the parser from
``molap.names`` and never import JAX; an argument error is reported by argparse before any
command runs.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

COMMANDS = {
    "molap --help": ["--help"],
    "molap --version": ["--version"],
    "molap train --help": ["train", "--help"],
    "molap sample --trials 0 (argument error)": ["sample", "delay_pro", "--trials", "0", "--out", "x.npz"],
    "molap train --seed -1 (argument error)": ["train", "--seed", "-1"],
    "molap perturb (missing --kind)": ["perturb"],
}


def time_command(args: list[str], repeats: int) -> list[float]:
    out = []
    for _ in range(repeats):
        t = time.perf_counter()
        subprocess.run([sys.executable, "-m", "molap", *args], capture_output=True)
        out.append(time.perf_counter() - t)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=7)
    ap.add_argument("--out", default=None, help="write OUT.txt and OUT.json")
    a = ap.parse_args()
    time_command(["--version"], 1)  # warm the file cache
    rows = []
    for name, args in COMMANDS.items():
        ts = time_command(args, a.repeats)
        rows.append({"command": name, "median_s": statistics.median(ts), "max_s": max(ts), "runs": len(ts)})
    load = os.getloadavg()[0]
    lines = [f"# python benchmarks/bench_cli.py --repeats {a.repeats}, {time.strftime('%Y-%m-%d')}, "
             f"{os.cpu_count()} CPUs, load average {load:.1f} while measured",
             f"{'command':45s} {'median s':>9s} {'max s':>7s}"]
    lines += [f"{r['command']:45s} {r['median_s']:9.3f} {r['max_s']:7.3f}" for r in rows]
    lines.append(f"all under 1 s: {all(r['max_s'] < 1.0 for r in rows)}")
    print("\n".join(lines))
    if a.out:
        Path(a.out + ".txt").write_text("\n".join(lines) + "\n")
        Path(a.out + ".json").write_text(json.dumps({"repeats": a.repeats, "load_average": load, "rows": rows},
                                                    indent=2) + "\n")


if __name__ == "__main__":
    main()
