"""The benchmark appendix's rows and lines, from ``benchmarks/results/*.json``: machine files of
``benchmarks/run_all.py``, GPU probes of ``benchmarks/gpu_probe.py`` (``"kind": "gpu-probe"``) and
reproduction logs written as JSON by :func:`write_reproduce_json` (``"kind": "reproduce"``); nothing
is timed here. :func:`table` turns typed rows into the dicts :func:`molap.views.tables.show_table` displays.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import NamedTuple

from molap.store.folders import ROOT
from molap.tasks import TASK_NAMES

RESULTS = ROOT / "benchmarks" / "results"
H100_PEAK_GFLOPS = 67e3  # float32, non-tensor-core: the H100 SXM datasheet


class TrainingRow(NamedTuple):
    """A CPU training step of molap against PyTorch on one machine."""
    machine: str
    what: str
    molap_ms: float
    torch_ms: float
    molap_over_torch: float
    molap_trialsteps_per_s: float


class ProbeRow(NamedTuple):
    """A timed training loop of a GPU probe (``nets`` and ``frozen`` are not shown in tables)."""
    what: str
    compile_s: float
    ms_per_step: float
    trialsteps_per_s: float
    gflops: float
    nets: int
    frozen: bool


class FloorRow(NamedTuple):
    """A training step against its floor, two bare recurrence chains of its shapes (``bench_fused.py``):
    milliseconds per step before and after the fused pass's rewrite, without the data draw
    (``net``), and each as a multiple of the floor."""
    machine: str
    what: str
    floor_ms: float
    before_ms: float
    after_ms: float
    before_over_floor: float
    after_over_floor: float
    speedup: float


FUSED_CASES = {
    "heads9": "nine heads, one frozen reservoir, batch 200",
    "frozen16": "standard frozen family: 15 reservoirs x nine heads, batch 16",
    "separate16": "standard separate networks: 5 x nine networks, batch 16",
    "folds_pretrain": "folds' module pre-training: 36 networks, batch 200",
    "fold_heads": "folds' held-out heads: 4 x 9 reservoirs, batch 16",
}


class FitRow(NamedTuple):
    """Task generation or a primitive fit, molap against a reference implementation."""
    machine: str
    what: str
    molap: float
    reference: float | None
    reference_is: str


HEADERS = {
    TrainingRow: ("machine", "what", "molap ms", "torch ms", "molap / torch time", "molap trial-steps/s"),
    ProbeRow: ("what", "compile s", "ms/step", "trial-steps/s", "GFLOP/s"),
    FitRow: ("machine", "what", "molap", "reference", "reference is"),
    FloorRow: ("machine", "training step", "floor ms (2 chains)", "before ms", "after ms", "before / floor",
               "after / floor", "after vs before"),
}


def table(rows) -> list[dict]:
    """Typed rows as dicts keyed by their displayed column names (fields past those are dropped)."""
    return [dict(zip(HEADERS[type(r)], r)) for r in rows]


def records(folder: str | Path | None = None) -> dict[str, dict]:
    """Every JSON file of ``folder`` (default: the repository's ``benchmarks/results``), by stem."""
    folder = RESULTS if folder is None else Path(folder)
    return {p.stem: json.loads(p.read_text()) for p in sorted(folder.glob("*.json"))}


def machines(folder=None) -> dict[str, dict]:
    """The machine files written by ``benchmarks/run_all.py``, by machine."""
    return {k: v for k, v in records(folder).items() if "kind" not in v and "results" in v}


def machine_lines(folder=None) -> list[str]:
    """One line per machine: CPUs, Python, date and the benchmarks it holds."""
    return [f"{name}: {m['cpus']} CPUs, Python {m['python']}: "
            + ", ".join(f"{k} ({r.get('date', m['date'])})" for k, r in m["results"].items())
            for name, m in machines(folder).items()]


def training_rows(folder=None) -> list[TrainingRow]:
    """One network and nine heads against PyTorch, per machine with a training benchmark."""
    rows = []
    for name, m in machines(folder).items():
        if t := m["results"].get("training"):
            thr = t["throughput_trialsteps_per_s"]
            rows += [TrainingRow(name, "one network", t["jax_1head_ms"], t["torch_1net_ms"],
                                 t["ratio_jax_over_torch_1"], thr["jax_1head"]),
                     TrainingRow(name, "nine heads", t["jax_9heads_ms"], t["torch_9nets_ms"],
                                 t["ratio_jax_over_torch_9"], thr["jax_9heads"])]
    return rows


def fused_rows(folder=None) -> list[FloorRow]:
    """Per machine with a ``fused`` benchmark: every training step, the data draw left out, against
    two bare recurrence chains of its shapes timed in the same run."""
    rows = []
    for name, m in machines(folder).items():
        for case, c in (m["results"].get("fused") or {}).get("cases", {}).items():
            floor = 2 * c["floor_chain_ms"]
            rows.append(FloorRow(name, FUSED_CASES.get(case, case), floor, c["before"]["net_ms"], c["after"]["net_ms"],
                                 c["before"]["net_ms"] / floor, c["after"]["net_ms"] / floor,
                                 c["paired_speedup_after_over_before"]))
    return rows


def speedup_lines(folder=None) -> list[str]:
    """Per machine: nine heads together against PyTorch's nine networks, and against one head."""
    lines = []
    for name, m in machines(folder).items():
        if not (t := m["results"].get("training")):
            continue
        line = (f"{name}: nine heads together are {t['torch_9nets_ms'] / t['jax_9heads_ms']:.2f}x PyTorch's nine "
                f"networks in sequence (target: at least 3x); nine heads cost {t['ratio_jax_9_over_1']:.2f}x one "
                f"head (9x would mean no gain from training them together)")
        if "jax_9heads_autodiff_ms" in t:
            line += (f"; the fused forward and backward pass is {t['speedup_fused_over_autodiff_9']:.2f}x automatic "
                     f"differentiation of network.run (target: at least 2x), {t['jax_9heads_gflops']:.0f} GFLOP/s "
                     f"against this machine's {t['matmul_peak_gflops']:.0f} GFLOP/s matrix-product rate")
        lines.append(line)
    return lines


def step_work(nets: int, tasks_per_net: int, units: int, frozen: bool,
              batch: int = 200, time_steps: int = 110) -> tuple[int, int]:
    """Trial-steps and FLOPs of one training step of ``nets`` networks trained together.

    ``trial_steps = nets * tasks_per_net * batch * time_steps``. The forward pass costs
    ``2 * units**2`` FLOPs per trial-step (the recurrent matrix-vector product). The backward pass
    through the recurrence costs one more forward for task heads on a frozen reservoir (gradients
    of the states only) and two more for fully trained networks (of the states and the weights):
    ``flops = forward * (2 if frozen else 3)``.
    """
    trial_steps = nets * tasks_per_net * batch * time_steps
    forward = trial_steps * 2 * units * units
    return trial_steps, forward * (2 if frozen else 3)


def probe_rows(name: str = "h100-training-probe", folder=None) -> list[ProbeRow]:
    """The rows of the GPU probe ``<name>.json``, with throughput and FLOP rate (:func:`step_work`)."""
    probe = records(folder)[name]
    rows = []
    for r in probe["rows"]:
        trial_steps, flops = step_work(r["nets"], r["tasks_per_net"], r["units"], r["frozen"],
                                       probe.get("batch", 200), probe.get("time_steps", 110))
        s = r["ms_per_step"] / 1e3
        rows.append(ProbeRow(r["what"], r["compile_s"], r["ms_per_step"], trial_steps / s, flops / s / 1e9,
                             r["nets"], r["frozen"]))
    return rows


def probe_summary(rows: list[ProbeRow], peak_gflops: float = H100_PEAK_GFLOPS) -> str:
    """The best frozen-reservoir throughput of several networks together against one network's."""
    one = next(r for r in rows if r.frozen and r.nets == 1)
    many = max((r for r in rows if r.frozen and r.nets > 1), key=lambda r: r.trialsteps_per_s)
    return (f"nine heads x {many.nets} networks together: {many.trialsteps_per_s / one.trialsteps_per_s:.1f}x "
            f"the throughput of one network's nine heads; {many.gflops / peak_gflops:.1%} of the H100's "
            f"{peak_gflops / 1e3:.0f} TFLOP/s float32 (datasheet)")


def fit_rows(folder=None) -> list[FitRow]:
    """Per machine: the slowest task's batch against neurogym, the CCA fit against scikit-learn."""
    rows = []
    for name, m in machines(folder).items():
        if t := m["results"].get("tasks"):
            rows.append(FitRow(name, "task batch, 200 trials, slowest task (ms)",
                               max(t[k] for k in TASK_NAMES if k in t), t.get("neurogym_ms"), "neurogym Dataset"))
        if p := m["results"].get("primitives"):
            rows.append(FitRow(name, f"CCA fit, {p['trials']} trials per task (s)", p["molap_fit_s"],
                               p["sklearn_cca_s"], "scikit-learn CCA alone"))
    return rows


def perturb_lines(folder=None) -> list[str]:
    """Per machine: the perturbation benchmark's scalar entries, as JSON (at most 600 characters)."""
    return [f"{name} " + json.dumps({k: v for k, v in t.items() if not isinstance(v, (list, dict))})[:600]
            for name, m in machines(folder).items() if (t := m["results"].get("perturb"))]


def reproduce_lines(folder=None) -> list[str]:
    """One line per reproduction record: its items' wall time in all and per stage (log order), in minutes."""
    lines = []
    for stem, rec in ((k, v) for k, v in records(folder).items() if v.get("kind") == "reproduce"):
        stages: dict[str, float] = {}
        for it in rec["items"]:
            stages[it["stage"]] = stages.get(it["stage"], 0.0) + it["seconds"]
        lines.append(f"{rec.get('log') or stem}: {len(rec['items'])} items, "
                     f"{sum(it['seconds'] for it in rec['items']) / 60:.1f} min in all: "
                     + ", ".join(f"{k} {v / 60:.1f} min" for k, v in stages.items()))
    return lines


ITEM = re.compile(r"\[(.+?) (\d+)/(\d+)\] (.+?): ([\d.]+) s")  # molap.run.reproduce.reproduce's log line


def parse_reproduce_log(text: str) -> dict:
    """A ``molap reproduce`` log (as ``benchmarks/gpu_reproduce.sh`` writes it) as a JSON record.

    ``items``: the ``[stage i/n] item: 12.3 s`` lines, in order; ``wall_s``: the script's
    ``wall N s`` line of each call; ``notes``: ``#`` comment lines; ``lines``: every other
    non-empty line verbatim (progress bars, probe lines, the summary table); ``progress``: {bar
    description: [[block, the decision-unit accuracy it last showed], ...]} of every tqdm bar that
    reports ``decision=``.
    """
    rec: dict = {"kind": "reproduce", "notes": [], "items": [], "wall_s": [], "lines": [], "progress": {}}
    for line in text.split("\n"):
        if m := ITEM.fullmatch(line):
            rec["items"].append({"stage": m[1], "index": int(m[2]), "of": int(m[3]), "item": m[4],
                                 "seconds": float(m[5])})
        elif m := re.fullmatch(r"wall (\d+) s", line):
            rec["wall_s"].append(int(m[1]))
        elif line.startswith("#"):
            rec["notes"].append(line.lstrip("#").strip())
        elif line.strip():
            rec["lines"].append(line)
    for line in rec["lines"]:
        for bar, blk, dec in PROGRESS.findall(line):
            rec["progress"].setdefault(bar.strip(), {})[int(blk)] = float(dec)
    rec["progress"] = {bar: sorted(c.items()) for bar, c in rec["progress"].items()}
    return rec


PROGRESS = re.compile(r"([^\r|]+?):[^\r]*?\| (\d+)/\d+ \[[^\r]*?decision=([\d.]+)%")
"""A tqdm bar's description, block and last shown decision-unit accuracy."""


def write_reproduce_json(log: str | Path, dest: str | Path | None = None) -> Path:
    """Parse the log file ``log`` and write its record to ``dest`` (default: beside it, ``.json``)."""
    log, dest = Path(log), Path(log).with_suffix(".json") if dest is None else Path(dest)
    dest.write_text(json.dumps(parse_reproduce_log(log.read_text()) | {"log": log.name}, indent=1) + "\n")
    return dest
