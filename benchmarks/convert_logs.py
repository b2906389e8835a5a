"""One-off: turn the three text logs in ``benchmarks/results/`` into JSON beside them.

Run once, when the book's benchmark appendix moved from parsing text logs to reading JSON
(``molap/bench_report.py``); kept for the record of how the JSON was made. The ``.txt`` files stay
as the raw record. Future runs write JSON directly: ``benchmarks/gpu_probe.py`` writes its rows,
``benchmarks/gpu_reproduce.sh`` turns its log into JSON with
``molap.bench_report.write_reproduce_json``.

* ``h100-training-probe.txt`` (the probe's first version, whose output has no JSON) becomes
  ``h100-training-probe.json``: its ``#`` notes, the environment lines it printed and one row per
  timed loop. Each row's network count, tasks per network, units and whether it trains heads on a
  frozen reservoir are read off its name, as the appendix did: ``x K`` gives K networks (else 1),
  ``dni`` rows train one task on N = 200 networks (others nine tasks on N = 100), and only the
  ``nine heads`` rows train heads on a frozen reservoir.
* ``reproduce-paper-h100.txt`` and ``reproduce-quick-cpu.txt`` become ``reproduce-*.json`` by
  :func:`molap.bench_report.write_reproduce_json`.

usage: python benchmarks/convert_logs.py
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from molap.bench_report import write_reproduce_json

RES = Path(__file__).resolve().parent / "results"
ROW = re.compile(r"(.+?)\s+compile\+50\s+([\d.]+) s\s+([\d.]+) ms/step")


def probe_record(text: str) -> dict:
    """The first probe's text output as a ``gpu-probe`` record (see the module's docstring)."""
    rec: dict = {"kind": "gpu-probe", "notes": [], "environment": [], "batch": 200, "time_steps": 110,
                 "warmup_steps": 50, "steps": 200, "rows": []}
    for line in text.splitlines():
        if m := ROW.match(line):
            what = m[1].strip()
            k = re.search(r"x (\d+)", what)
            dni = what.startswith("dni")
            rec["rows"].append({"what": what, "compile_s": float(m[2]), "ms_per_step": float(m[3]),
                                "nets": int(k[1]) if k else 1, "tasks_per_net": 1 if dni else 9,
                                "units": 200 if dni else 100, "frozen": what.startswith("nine heads")})
        elif line.startswith("#"):
            rec["notes"].append(line.lstrip("#").strip())
        elif line.strip():
            rec["environment"].append(line)
    return rec


def main() -> None:
    probe = RES / "h100-training-probe.txt"
    dest = probe.with_suffix(".json")
    dest.write_text(json.dumps(probe_record(probe.read_text()), indent=1) + "\n")
    print(f"wrote {dest}")
    for log in sorted(RES.glob("reproduce-*.txt")):
        print(f"wrote {write_reproduce_json(log)}")


if __name__ == "__main__":
    main()
