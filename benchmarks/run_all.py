"""Run every benchmark side by side on this machine and store the results (one command).

Each script prints one JSON line last; this runner stores them, with the machine, in
``benchmarks/results/<machine>.json``, which the book's benchmark appendix and the README
table read. Comparisons need PyTorch and neurogym in the same environment (not project
dependencies): ``pip install torch==2.13.0 && pip install --no-deps neurogym gymnasium``.

usage: python benchmarks/run_all.py [--machine NAME] [--quick]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
SCRIPTS = {  # name: (script, arguments, quick arguments)
    "tasks": ("bench_tasks.py", [], []),
    "training": ("bench_training.py", [], ["--repeats", "2", "--steps", "2"]),
    "fused": ("bench_fused.py", [], ["--repeats", "2", "--steps", "2"]),
    "primitives": ("bench_primitives.py", [], ["--trials", "200"]),
    "perturb": ("bench_perturb.py", [], ["--draws", "2", "--trials", "200", "--levels", "3"]),
}


def last_json(text: str) -> dict:
    for line in reversed(text.strip().splitlines()):
        if line.startswith("{"):
            return json.loads(line)
    raise ValueError("no JSON line in the benchmark's output")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--machine", default=os.environ.get("MOLAP_MACHINE", platform.node() or "this machine"))
    ap.add_argument("--quick", action="store_true", help="smaller sizes (a smoke run)")
    ap.add_argument("--only", nargs="+", choices=list(SCRIPTS))
    a = ap.parse_args()
    out = {"machine": a.machine, "cpus": os.cpu_count(), "python": sys.version.split()[0],
           "date": time.strftime("%Y-%m-%d"), "results": {}}
    for name, (script, args, quick) in SCRIPTS.items():
        if a.only and name not in a.only:
            continue
        t = time.perf_counter()
        r = subprocess.run([sys.executable, str(HERE / script), *(quick if a.quick else args)],
                           capture_output=True, text=True)
        print(r.stdout[-3000:], file=sys.stderr)
        if r.returncode != 0:
            print(r.stderr[-3000:], file=sys.stderr)
            raise SystemExit(f"{script} failed")
        out["results"][name] = last_json(r.stdout) | {"wall_s": time.perf_counter() - t, "date": out["date"]}
    dest = HERE / "results" / f"{a.machine}.json"
    dest.parent.mkdir(exist_ok=True)
    old = json.loads(dest.read_text()) if dest.exists() else {"results": {}}
    out["results"] = old.get("results", {}) | out["results"]
    dest.write_text(json.dumps(out, indent=1))
    print(f"wrote {dest}")


if __name__ == "__main__":
    main()
