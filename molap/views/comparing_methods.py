"""Comparing the methods (book chapter 05): learning rates, accuracy tables, paired differences,
learning speed, the paper's Fig 2D-E and the per-task summary.

:func:`compare_methods` loads every method's trained runs of a profile (cached) and the tables
built from them (:class:`Comparison`); the ``show_*`` functions display tables, the ``plot_*``
ones return figures drawn by :mod:`molap.views.plots`, and :func:`check` holds the chapter's checks.
Nothing here decides a claim: the verdicts are :mod:`molap.claims`' and
:func:`molap.analysis.compare.verdict`'s.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import NamedTuple

import jax
import matplotlib.pyplot as plt
import numpy as np

from molap import claims, methods, network
from molap import pipeline as P
from molap.analysis import compare
from molap.claims.accuracy import LATE
from molap.claims.verdicts import ACCURACY_MARGIN, corrected
from molap.methods import TrainedRun
from molap.profiles import Profile
from molap.tasks import PAPER_LABELS, TASK_NAMES, get_tasks
from molap.training import padded_batches
from molap.views import plots
from molap.views.checks import require
from molap.views.tables import lr_rows, show_table

PAIRS = (("molap", "random"), ("molap", "pca"), ("molap", "separate"), ("molap", "dni"))
"""The paired comparisons (a, b) of the chapter: a - b per seed."""
VERDICT_PAIRS = PAIRS[:2]
"""The pairs whose test is spelled out (:func:`verdict_lines`)."""


def with_curves(results: Mapping[str, Sequence[TrainedRun]]) -> list[str]:
    """The methods whose runs have validation curves (those that train all tasks together)."""
    return [m for m, runs in results.items() if len(runs[0].curve_steps)]
"""Methods with validation curves (DNI trains tasks in sequence and has none)."""
FIG2DE = ("context_mem_dm1", ("molap", "random"), 123, 8)
"""The paper's Fig 2D-E: task, methods, key and number of trials shown."""


class Comparison(NamedTuple):
    """Every method's runs of a profile and the tables built from them.

    results: {method: [TrainedRun per seed]}; rows: per task, mean and sd over seeds of the
    decision-unit accuracy per method, plus ``trivial`` (the trivial policy's decision-unit score
    on MoLaP's test sets); paper_rows: the same with the paper's score; pairs: {"a - b":
    :func:`molap.analysis.compare.paired` dict} for :data:`PAIRS`.
    """

    profile: Profile
    results: dict
    rows: list
    paper_rows: list
    pairs: dict


def profile_line(p: Profile) -> str:
    """The profile's seeds per method family, steps per task, batch and test-set size."""
    from molap.run.reproduce import seed_label

    fams = "; ".join(f"{', '.join(f)}: {seed_label(P.seeds_of(p, f[0]))}" for f in methods.families())
    return (f"profile {p.name!r}: {fams}; {p.training.schedule.n_steps} steps per task, "
            f"batch {p.training.batch}, test set {p.evaluation.n_test} trials")


def show_learning_rates(p: Profile) -> None:
    """The learning-rate pilots of every method (validation, decision units, %)."""
    show_table(lr_rows({m: P.learning_rate(p, m) for m in methods.names()}), digits=1)


def summary_rows(results: Mapping[str, Sequence[TrainedRun]]) -> list[dict]:
    """Decision-unit summary rows (:func:`molap.analysis.compare.summary_rows`) with MoLaP's trivial policy."""
    rows = compare.summary_rows(results, "decision")
    trivial = compare.summary_rows({"molap": results["molap"]}, "trivial_decision")
    return [dict(r, trivial=t["molap"]) for r, t in zip(rows, trivial)]


def pairs_of(results: Mapping[str, Sequence[TrainedRun]], pairs=PAIRS) -> dict[str, dict]:
    """{"a - b": paired comparison of the decision-unit accuracy over seeds}."""
    return {f"{a} - {b}": compare.paired(results, a, b) for a, b in pairs}


def compare_methods(p: Profile) -> Comparison:
    """Every registered method trained on every seed of its family (cached), and its tables."""
    results = {m: [P.trained(p, m, s) for s in P.seeds_of(p, m)] for m in methods.names()}
    return Comparison(p, results, summary_rows(results), compare.summary_rows(results, "paper"), pairs_of(results))


def show_summary(c: Comparison) -> None:
    """Decision-unit accuracy per task: mean and sd per method, and the trivial policy."""
    names = list(c.results)
    show_table(c.rows, ["label"] + [k for m in names for k in (m, f"{m}_sd")] + ["trivial"],
               [""] + [k for m in names for k in (m, "sd")] + ["trivial policy"])


def show_paper(c: Comparison) -> None:
    """The paper's score per task, mean per method."""
    show_table(c.paper_rows, ["label"] + list(c.results))


def plot_scores(c: Comparison):
    """Bars of the paper's score (top) and the decision units (bottom, with the trivial policy)."""
    names = list(c.results)
    errors = [f"{m}_sd" for m in names]
    fig, axes = plt.subplots(2, 1, figsize=(13, 6.5))
    plots.bar_scores(c.paper_rows, names, errors=errors, ax=axes[0],
                     title="the paper's score (Fig 2A-C); dotted: the 70% bar")
    plots.bar_scores(c.rows, names, errors=errors, ax=axes[1], title="decision units alone")
    axes[1].plot(np.arange(len(c.rows)), [r["trivial"] for r in c.rows], "k_", ms=25, mew=2, label="trivial policy")
    plt.tight_layout()
    return fig


def pair_rows(pairs: Mapping[str, dict]) -> list[dict]:
    """One row per pair: per-seed differences, their mean, t and p."""
    return [dict(pair=k, diffs=", ".join(f"{d:+.1f}" for d in v["diffs"]), mean=v["mean"], t=v["t"], p=v["p"])
            for k, v in pairs.items()]


def pair_task_rows(pairs: Mapping[str, dict], rows: Sequence[Mapping]) -> list[dict]:
    """One row per task: each pair's mean difference over seeds."""
    return [dict(label=r["label"], **{k: v["per_task"][i] for k, v in pairs.items()}) for i, r in enumerate(rows)]


def show_pairs(c: Comparison) -> None:
    """The paired differences: over tasks per seed (with the t-test), then per task."""
    show_table(pair_rows(c.pairs), headers=["pair", "per-seed difference (points)", "mean", "t", "p"], digits=2)
    show_table(pair_task_rows(c.pairs, c.rows), digits=1)


def plot_learning_speed(results: Mapping[str, Sequence[TrainedRun]], names=None, batch: int | None = None):
    """Task-mean validation curves (decision units) per method against trials per task (steps if
    ``batch`` is None); band: range over seeds."""
    fig, ax = plt.subplots(figsize=(7, 3.5))
    plots.plot_method_curves({m: results[m] for m in names or with_curves(results)}, ax=ax, batch=batch,
                             title="validation, decision units (mean over tasks; band: range over seeds)")
    return fig


def plot_task_learning(c: Comparison):
    """Per task, every method's validation decision units against trials per task, with the
    trivial policy (mean over seeds of the first curve-bearing method's last evaluation)."""
    res = {m: c.results[m] for m in with_curves(c.results)}
    first = next(iter(res.values()))
    j = compare.FIELDS.index("trivial_decision")
    trivial = np.mean([np.asarray(r.curve)[-1, :, j] for r in first], 0)
    return plots.plot_task_method_curves(res, TASK_NAMES, c.profile.training.batch, trivial=trivial)


def speed_threshold(runs: Sequence[TrainedRun], fraction: float = 0.9) -> float:
    """``fraction`` of the best task-mean validation decision-unit score of the runs."""
    j = compare.FIELDS.index("decision")
    return fraction * max(np.asarray(r.curve)[..., j].mean(1).max() for r in runs)


def steps_rows(results: Mapping[str, Sequence[TrainedRun]], threshold: float, names=None) -> list[dict]:
    """Per method, over its seeds, the first validation step at which the task mean reaches
    ``threshold``: the median, the fastest and slowest seed (of those that reached it), and how
    many seeds never did. Methods may have different seeds."""
    rows = []
    for m in names or with_curves(results):
        steps = np.array([compare.steps_to(r, threshold) for r in results[m]], float)
        ok = steps[np.isfinite(steps)]
        rows.append({"method": m, "seeds": len(steps), "median": float(np.median(ok)) if len(ok) else float("nan"),
                     "fastest": float(ok.min()) if len(ok) else float("nan"),
                     "slowest": float(ok.max()) if len(ok) else float("nan"), "never": int(len(steps) - len(ok))})
    return rows


def show_steps_to(c: Comparison) -> None:
    """Steps to reach 90% of MoLaP's best validation score, per method and seed."""
    thr = speed_threshold(c.results["molap"])
    show_table(steps_rows(c.results, thr), digits=0)
    print(f"steps to reach {thr:.1f}% (90% of MoLaP's best validation score), over each method's seeds; "
          "never: seeds that did not reach it")


def criterion_rows(results: Mapping[str, Sequence[TrainedRun]], names=None) -> list[dict]:
    """Per method and task: the validation step at which the task first reached
    :data:`molap.analysis.compare.CRITERION` above the trivial policy (mean over the seeds that reached it),
    and how many seeds did."""
    rows = []
    for m in names or with_curves(results):
        runs = results[m]
        steps = np.array([compare.steps_to_criterion(r) for r in runs])  # (n_seeds, n_tasks)
        rows.append({"method": m, **{f"T{i + 1}": _criterion_cell(steps[:, i], len(runs)) for i in range(steps.shape[1])}})
    return rows


def _criterion_cell(steps: np.ndarray, n_seeds: int) -> str:
    ok = steps[np.isfinite(steps)]
    return f"{ok.mean():,.0f} ({len(ok)}/{n_seeds})" if len(ok) else f"never (0/{n_seeds})"


def show_criterion(c: Comparison) -> None:
    """Steps to criterion per task (:func:`criterion_rows`), with what the cells mean."""
    show_table(criterion_rows(c.results))
    print(f"validation step at which a task's decision units first reach {compare.CRITERION:g}% and beat the "
          f"trivial policy: mean over the seeds that did (how many of the method's seeds); "
          f"one step is {c.profile.training.batch} trials per task")


def task_outputs(run: TrainedRun, task_index: int, x) -> tuple[np.ndarray, np.ndarray]:
    """A frozen-module run's outputs (first two units) and states on one task's inputs x (B, T, max_in)."""
    w, h = run.params, run.params.heads
    p = network.RNNParams(h.w_in[task_index], w.w_rec, w.b, h.w_out[task_index], h.b_out[task_index],
                          np.zeros(w.w_rec.shape[0]))
    o, s = network.run(p, x)
    return np.asarray(o)[..., :2], np.asarray(s)


def plot_fig2de(c: Comparison, spec=FIG2DE):
    """The paper's Fig 2D-E: the first seed's MoLaP and random reservoir on one task."""
    task, names, key, n = spec
    ti = TASK_NAMES.index(task)
    x, y = padded_batches(get_tasks(None), jax.random.key(key), n)
    runs = {m: c.results[m][0] for m in names}
    out = {m: task_outputs(r, ti, x[ti]) for m, r in runs.items()}
    outputs, states = ({m: v[i] for m, v in out.items()} for i in (0, 1))
    return plots.plot_fig2de(runs, outputs, states, np.asarray(y[ti])[..., :2], ti, c.profile.network.layout,
                             title=f"{task} ({PAPER_LABELS[task]}): with pre-training (top) and without (bottom)")


def best_per_task(rows: Sequence[Mapping], names: Sequence[str]) -> dict[str, str]:
    """{task label: the method with the highest mean}."""
    return {r["label"]: max(names, key=lambda m: r[m]) for r in rows}


def ties_per_task(rows: Sequence[Mapping], names: Sequence[str]) -> dict[str, list[str]]:
    """{task label: methods within the spread of the best}: at least the best mean minus twice the
    largest sd over methods, minus one point."""
    def near(r):
        return max(r[k] for k in names) - 2 * max(r[f"{k}_sd"] for k in names) - 1

    return {r["label"]: [m for m in names if r[m] >= near(r)] for r in rows}


def summary_lines(c: Comparison) -> list[str]:
    """The best method and the near-best methods per task, and MoLaP - random over seeds."""
    names, mr = list(c.results), c.pairs["molap - random"]
    return [f"highest decision-unit accuracy per task: {best_per_task(c.rows, names)}",
            f"methods within the spread of the best, per task: {ties_per_task(c.rows, names)}",
            f"MoLaP - random, mean over seeds and tasks: {mr['mean']:+.2f} points (t = {mr['t']:.2f}, "
            f"p = {mr['p']:.2f}, {mr['n']} seeds)"]


def verdict_lines(c: Comparison, pairs=VERDICT_PAIRS) -> list[str]:
    """Each pair's paired test over seeds on the per-seed mean decision units over T5-T9 (the tasks
    off the ceiling), corrected together as one claim's comparisons (:mod:`molap.claims`), in words."""
    def late(runs):
        return compare.scores_array(runs, "decision")[:, LATE].mean(1)

    tests = []
    for a, b in pairs:
        ra, rb = compare.shared_seeds(c.results[a], c.results[b])
        tests.append((f"{a} - {b}, T5-T9", compare.verdict(late(ra) - late(rb), ACCURACY_MARGIN)))
    return [claims.describe(r) for r in corrected(tests)]


def check(c: Comparison) -> None:
    """The chapter's checks: MoLaP - random is finite over every seed, and the frozen-module methods
    learn T1 more than 20 points above the trivial policy."""
    mr = c.pairs["molap - random"]
    seeds = P.seeds_of(c.profile, "molap")
    require(np.isfinite(mr["mean"]) and len(mr["diffs"]) == len(seeds),
             f"molap - random: mean {mr['mean']}, {len(mr['diffs'])} differences for seeds {seeds}")
    require(all(r[m] > r["trivial"] + 20 for m in ("molap", "random", "pca") for r in c.rows[:1]),
             f"T1 not learnt well above the trivial policy: {c.rows[0]}")
