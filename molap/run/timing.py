"""How long the remaining items of a profile would take on a GPU: a timing model calibrated on the
measured H100 costs (``molap reproduce --check --predict``; chapter 09).

Each item of :func:`molap.run.reproduce.stages` is a list of :class:`Work`: optimiser steps of K
networks trained together, one-task evaluations of one network, forward trial-steps of the
perturbation sweeps, pre-training network-steps and compilations. :func:`calibrate` reads their
costs from ``benchmarks/results``:

- a training step of K networks of one kind: ``a + b K`` ms, fitted to the probe's rows
  (``h100-training-probe.json``: frozen heads, separate networks, DNI), and each kind's compile;
- one task's evaluation of one network: what the real run's 1000-step blocks took beyond their
  steps (``reproduce-paper-h100.txt``: the median block of 15 networks, minus 1000 probe steps,
  divided by 15 networks x 9 tasks). It was measured before validation was counted on the device
  (:func:`molap.training.evaluate_many`), so it is an upper bound until a GPU measures it again;
- a forward trial-step: a third of a training trial-step of the 15-network probe (a backward
  pass costs about two forward passes; an assumption, not a measurement);
- a pre-training network-step: the measured pre-training item (10 networks, 2 phases).

:func:`residuals` compares the model with the items that were measured on the GPU.
"""

from __future__ import annotations

import json
import re
import statistics
from pathlib import Path
from typing import NamedTuple

import numpy as np

from molap.analysis.generalisation import folds
from molap.analysis.perturbations import levels_for
from molap.pipeline import frozen_methods
from molap.pipeline.selection import LR_GRID, PILOT_FRACTION
from molap.profiles import Profile
from molap.run.reproduce import Item, items
from molap.store.folders import ROOT
from molap.tasks import N_STEPS, TASK_NAMES

RESULTS = ROOT / "benchmarks" / "results"
TARGET_S = 600.0
"""The issue's target: the whole remainder of the paper profile in 10 minutes of one GPU."""


class Work(NamedTuple):
    """One part of an item's cost. kind: "frozen", "separate" or "dni" for training steps (of
    ``networks`` trained together, ``steps`` sequential steps), "eval" (``count`` one-task
    evaluations of one network), "forward" (``count`` trial-steps), "pretrain" (``count``
    network-steps), "compile-KIND" (``count`` compilations of a KIND step, as long as the probe's)."""

    kind: str
    networks: int = 1
    steps: int = 0
    count: float = 0.0


class Costs(NamedTuple):
    """Calibrated GPU costs (seconds unless named): train_ms {kind: (a, b)} per step of K networks,
    compile_s {kind: s}, eval_s per one-task evaluation of one network, forward_s per trial-step,
    pretrain_s per network-step, and where each came from."""

    train_ms: dict
    compile_s: dict
    eval_s: float
    forward_s: float
    pretrain_s: float
    basis: dict


def _probe_kind(row) -> str:
    return "dni" if row["units"] == 200 else ("frozen" if row["frozen"] else "separate")


def block_seconds(log: str) -> list[float]:
    """The durations of the 1000-step blocks after the first (which compiles) in the real run's log
    (tqdm's elapsed time at each completed block of "training task heads")."""
    seen = {}
    for n, mm, ss in re.findall(r"training task heads \(15 networks\):.*?\|\s*(\d+)/10 \[(\d+):(\d+)<", log):
        seen.setdefault(int(n), 60 * int(mm) + int(ss))
    marks = [seen[k] for k in sorted(seen)]
    return [b - a for a, b in zip(marks, marks[1:])]


def calibrate(folder: Path = RESULTS) -> Costs:
    probe = json.loads((folder / "h100-training-probe.json").read_text())
    rows = probe["rows"]
    train_ms, compile_s = {}, {}
    for kind in ("frozen", "separate", "dni"):
        rs = [r for r in rows if _probe_kind(r) == kind]
        k = np.array([r["nets"] for r in rs], float)
        ms = np.array([r["ms_per_step"] for r in rs], float)
        b, a = np.polyfit(k, ms, 1)
        train_ms[kind] = (float(a), float(b))
        compile_s[kind] = float(np.mean([r["compile_s"] - 50 * r["ms_per_step"] / 1000 for r in rs]))
    log = (folder / "reproduce-paper-h100.txt").read_text()
    blocks = block_seconds(log)
    block = statistics.median(blocks)
    a, b = train_ms["frozen"]
    steps_s = 1000 * (a + 15 * b) / 1000
    eval_s = (block - steps_s) / (15 * len(TASK_NAMES))
    pre = float(re.search(r"\[pre-training 1/1\][^:]*: ([\d.]+) s", log).group(1))
    pretrain_s = pre / (10 * 2 * 1000)  # 10 networks (molap, pca x 5 seeds), 2 phases of 1000 steps
    trials = 15 * len(TASK_NAMES) * probe["batch"] * probe["time_steps"]
    forward_s = (a + 15 * b) / 1000 / 3 / trials
    basis = {"block_s": block, "blocks": len(blocks), "block_steps_s": steps_s, "pretraining_item_s": pre}
    return Costs(train_ms, compile_s, eval_s, forward_s, pretrain_s, basis)


def seconds(work: list[Work], costs: Costs) -> float:
    total = 0.0
    for w in work:
        if w.kind in costs.train_ms:
            a, b = costs.train_ms[w.kind]
            total += w.steps * (a + b * w.networks) / 1000
        elif w.kind == "eval":
            total += w.count * costs.eval_s
        elif w.kind == "forward":
            total += w.count * costs.forward_s
        elif w.kind == "pretrain":
            total += w.count * costs.pretrain_s
        elif w.kind.startswith("compile-"):
            total += w.count * costs.compile_s[w.kind.split("-", 1)[1]]
        else:
            raise ValueError(f"unknown work kind {w.kind!r}")
    return total


def _training(kind: str, networks: int, steps: int, evals: int, compiles: int = 1) -> list[Work]:
    return [Work(kind, networks, steps), Work("eval", count=evals), Work(f"compile-{kind}", count=compiles)]


def _method_kind(method: str) -> str:
    return "frozen" if method in frozen_methods() else ("dni" if method.startswith("dni") else "separate")


def _train_work(p: Profile, method: str, n_runs: int, steps: int, n_blocks: int, n_tasks: int = 9,
                n_eval_trials_sets: int = 1) -> list[Work]:
    """K = n_runs networks of a method trained together for ``steps`` steps per task."""
    kind = _method_kind(method)
    if kind == "dni":  # tasks one after another; each scored after its own training and at the end
        return _training("dni", n_runs, steps * n_tasks, evals=2 * n_tasks * n_runs, compiles=n_tasks)
    evals = n_runs * n_tasks * (n_blocks + n_eval_trials_sets)  # validation after every block, then the test
    return _training(kind, n_runs, steps, evals)


def item_work(p: Profile, item: Item) -> list[Work] | None:
    """The work of one item of ``molap reproduce`` (:class:`molap.run.reproduce.Item`: its fields,
    never its name; None: not modelled)."""
    s = p.training.schedule
    n_seeds = len(item.seeds)
    blocks = s.n_steps // (p.training.val_every or s.block_steps)
    if item.stage == "primitives":
        return []  # CCA and PCA fits: seconds on the host
    if item.stage == "pre-training":
        return [Work("pretrain", count=len(item.methods) * n_seeds * 2 * p.pretrain.schedule.n_steps)]
    if item.stage == "learning rates":
        return _train_work(p, item.methods[0], len(item.methods) * len(LR_GRID), s.n_steps // PILOT_FRACTION, blocks,
                           n_eval_trials_sets=0)
    if item.stage == "training":
        if item.literal:
            return _train_work(p, "molap", 1, s.n_steps, s.n_blocks)
        return _train_work(p, item.methods[0], len(item.methods) * n_seeds, s.n_steps, blocks)
    if item.stage == "early learning":
        e = p.early
        return _train_work(p, item.methods[0], len(item.methods) * n_seeds, e.steps, e.steps // e.val_every,
                           n_eval_trials_sets=0)
    if item.stage == "perturbations":
        levels = p.perturb.levels_of(item.kind) or levels_for(item.kind)
        trials = len(levels) * p.perturb.n_draws * len(TASK_NAMES) * p.perturb.n_trials * N_STEPS
        return [Work("forward", count=trials * n_seeds), Work("compile-frozen", count=1)]
    if item.stage == "generalisation":
        if item.mode is not None:
            n = len(folds(item.mode))
            held = 1 if item.mode == "loo" else 2  # the tasks left out: their heads train on the fold's modules
            return [Work("pretrain", count=n * n_seeds * 2 * p.pretrain.schedule.n_steps)] + \
                _train_work(p, "molap", n * n_seeds, s.n_steps, blocks, n_tasks=held)
        return _train_work(p, item.methods[-1], 1, s.n_steps, blocks, n_tasks=item.n_tasks)
    return None  # the schedule sweep, and any stage added later


def work_of(p: Profile, stage: str, name: str) -> list[Work] | None:
    """:func:`item_work` of the profile's item of that stage and name (None: no such item)."""
    found = [it for it in items(p) if (it.stage, it.name) == (stage, name)]
    return item_work(p, found[0]) if found else None


class Prediction(NamedTuple):
    """One remaining item: its stage, name, predicted GPU seconds (None: not modelled)."""

    stage: str
    item: str
    seconds: float | None


def predict(p: Profile, missing: list[str], costs: Costs | None = None, *,
            eval_s: float | None = None) -> list[Prediction]:
    """Predicted GPU seconds of each missing item (the lines of :func:`molap.run.reproduce.check`);
    ``eval_s`` replaces the calibrated cost of a one-task evaluation (0: validation for free, the
    lower bound of what counting it on the device can save)."""
    costs = calibrate() if costs is None else costs
    if eval_s is not None:
        costs = costs._replace(eval_s=eval_s)
    out = []
    for line in missing:
        stage, item = line.split(": ")[:2]
        work = work_of(p, stage, item)
        out.append(Prediction(stage, item, None if work is None else seconds(work, costs)))
    return out


MEASURED = (("learning rates", "molap, random, pca"), ("learning rates", "separate"), ("learning rates", "dni"),
            ("pre-training", None))
"""The items whose GPU time the real run measured (reproduce-paper-h100.txt)."""


def residuals(p: Profile, costs: Costs | None = None, folder: Path = RESULTS) -> list[dict]:
    """Predicted against measured seconds for the items the H100 run measured."""
    costs = calibrate(folder) if costs is None else costs
    log = (folder / "reproduce-paper-h100.txt").read_text()
    rows = []
    for stage, item in MEASURED:
        pat = rf"\[{re.escape(stage)} \d+/\d+\] ({re.escape(item) if item else '[^:]*'}): ([\d.]+) s"
        found = [m for m in re.finditer(pat, log) if float(m.group(2)) > 0]
        if not found:
            continue
        name, measured = found[0].group(1), float(found[0].group(2))
        rows.append({"stage": stage, "item": name, "predicted_s": seconds(work_of(p, stage, name), costs),
                     "measured_s": measured})
    return rows


def stage_seconds(preds: list[Prediction]) -> dict[str, float]:
    """{stage: predicted seconds of its modelled items}, in order."""
    out: dict[str, float] = {}
    for x in preds:
        out[x.stage] = out.get(x.stage, 0.0) + (x.seconds or 0.0)
    return out


def predicted_lines(p: Profile, missing: list[str], costs: Costs | None = None) -> list[str]:
    """What ``molap reproduce --check --predict`` prints: each missing item's predicted GPU time,
    per stage and in all, with and without the measured validation cost."""
    costs = calibrate() if costs is None else costs
    preds = predict(p, missing, costs)
    free = stage_seconds(predict(p, missing, costs, eval_s=0.0))
    lines = [f"{x.stage}: {x.item}: " + ("not modelled" if x.seconds is None else f"{x.seconds:.0f} s predicted")
             for x in preds]
    for stage, sec in stage_seconds(preds).items():
        lines.append(f"stage {stage}: {sec / 60:.1f} min predicted ({free[stage] / 60:.1f} min if validation were free)")
    total, total_free = sum(stage_seconds(preds).values()), sum(free.values())
    lines.append(f"total: {total / 60:.1f} min of one H100 predicted for {len(preds)} item(s) "
                 f"({total_free / 60:.1f} min if validation were free; target {TARGET_S / 60:.0f} min)")
    return lines
