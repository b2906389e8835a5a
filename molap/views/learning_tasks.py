"""Learning the tasks (chapter "Learning the tasks", paper 3.4, A.2.3 and Fig 2): MoLaP's heads
with the default recipe and with the paper's literal one, the accuracy table and bars, how many
tasks clear the paper's bar and the trivial policy, learning curves, outputs against targets, and
the chapter's checks on what its text states."""

from __future__ import annotations

from collections.abc import Sequence

import jax
import matplotlib.pyplot as plt
import numpy as np

from molap import pipeline as P
from molap.analysis.compare import scores_array
from molap.methods import TrainedRun
from molap.tasks import PAPER_LABELS, TASK_NAMES, get_tasks
from molap.training import TaskTraining, heads_forward, padded_batches
from molap.views import plots
from molap.views.checks import require
from molap.views.tables import show_table

COLUMNS = ["label", "task", "paper", "paper_sd", "code", "decision", "decision_sd", "trivial", "trivial_decision"]
HEADERS = ["", "task", "paper's rule %", "sd", "code's rule %", "decision units %", "sd", "trivial %",
           "trivial, decision units %"]
BAR_KEYS = ["paper", "trivial", "decision", "trivial_decision"]
BAR_LABELS = ["paper's rule", "trivial policy", "decision units", "trivial, decision units"]
PAPER_BAR = 70.0
"""The paper's claim: more than 70% of decisions correct on every task."""
ABOVE_TRIVIAL = 10.0
"""Points by which the decision units must beat the trivial policy to count as learned."""
OUTPUT_KEY, OUTPUT_TRIALS, OUTPUT_SHOWN = 99, 4, 2
"""The fresh draw of the outputs-against-targets figure, and the trials drawn of it."""


def intro(profile) -> str:
    """The chapter's first line: the profile, the default recipe's size, test set and seeds."""
    t = profile.training
    return (f"profile {profile.name!r}: batch {t.batch}, {t.schedule.n_blocks} x {t.schedule.block_steps} steps, "
            f"test set {profile.evaluation.n_test} trials per task, seeds {profile.seeds}")


def literal_recipe(profile) -> TaskTraining:
    """The paper's literal recipe (10 x 200 steps, lr / 3, no weighting) at the profile's batch."""
    return TaskTraining.paper_literal(batch=profile.training.batch)


def literal_run(profile) -> TrainedRun:
    """MoLaP's heads trained with the paper's literal recipe on the pilot seed."""
    return P.trained(profile, "molap", profile.pilot_seed, recipe=literal_recipe(profile))


def task_rows(runs: Sequence[TrainedRun]) -> list[dict]:
    """One row per task: mean (and sd of two fields) over the runs of every test score."""
    sc = scores_array(runs)  # (runs, tasks, 5)
    m, s = sc.mean(0), sc.std(0)
    return [dict(label=PAPER_LABELS[name], task=name, paper=float(m[i, 0]), paper_sd=float(s[i, 0]),
                 code=float(m[i, 1]), decision=float(m[i, 2]), decision_sd=float(s[i, 2]),
                 trivial=float(m[i, 3]), trivial_decision=float(m[i, 4])) for i, name in enumerate(TASK_NAMES)]


def show_task_table(rows: list[dict]) -> None:
    """The accuracy table of :func:`task_rows`."""
    show_table(rows, COLUMNS, HEADERS)


def plot_task_bars(rows: list[dict], literal_rows: list[dict], n_seeds: int, literal_seed: int):
    """Bars per task: the default recipe (mean over seeds) and the paper's literal recipe."""
    fig, axes = plt.subplots(1, 2, figsize=(13, 3.2))
    plots.bar_scores(rows, BAR_KEYS, BAR_LABELS, ax=axes[0],
                     title=f"MoLaP, default recipe (mean over {n_seeds} seed(s))")
    plots.bar_scores(literal_rows, BAR_KEYS, BAR_LABELS, ax=axes[1],
                     title=f"MoLaP, the paper's literal recipe (seed {literal_seed:d})")
    return fig


def above_trivial(rows: list[dict]) -> list[float]:
    """Per task: points of the decision units above the trivial policy's decision units."""
    return [r["decision"] - r["trivial_decision"] for r in rows]


def n_pass(rows: list[dict]) -> int:
    """Tasks whose paper's score is above the paper's 70% bar."""
    return sum(r["paper"] > PAPER_BAR for r in rows)


def n_above(rows: list[dict], points: float = ABOVE_TRIVIAL) -> int:
    """Tasks whose decision units are more than ``points`` above the trivial policy."""
    return sum(a > points for a in above_trivial(rows))


def pass_lines(rows: list[dict], literal_rows: list[dict]) -> str:
    """How many tasks each recipe brings above the paper's bar and above the trivial policy."""
    n = len(rows)
    return (f"default recipe: {n_pass(rows)}/{n} tasks above the paper's 70% bar; "
            f"{n_above(rows)}/{n} with decision units > 10 points above the trivial policy\n"
            f"paper's literal recipe: {n_pass(literal_rows)}/{n} above 70%; "
            f"{n_above(literal_rows)}/{n} above the trivial policy")


def plot_learning(run: TrainedRun, literal: TrainedRun):
    """Training loss (default recipe) and validation curves of the decision units, both recipes."""
    fig, axes = plt.subplots(1, 3, figsize=(15, 3.4))
    axes[0].semilogy(run.losses)
    axes[0].set_xlabel("training step")
    axes[0].set_ylabel("training loss (sum over tasks)")
    axes[0].set_title("loss, default recipe", fontsize=9)
    plots.plot_curves(run.curve_steps, run.curve, TASK_NAMES, ax=axes[1], title="decision units, default recipe")
    plots.plot_curves(literal.curve_steps, literal.curve, TASK_NAMES, ax=axes[2],
                      title="decision units, the paper's literal recipe")
    return fig


def plot_outputs(run: TrainedRun):
    """Every task's outputs (dashed) against its targets (solid) on fresh trials (the paper's Fig 2D)."""
    tasks = get_tasks(None)
    x, y = padded_batches(tasks, jax.random.key(OUTPUT_KEY), OUTPUT_TRIALS)
    out, y = np.asarray(heads_forward(run.params.w_rec, run.params.b, run.params.heads, x)), np.asarray(y)
    fig, axes = plt.subplots(3, 3, figsize=(14, 8), sharex=True)
    for i, (t, ax) in enumerate(zip(tasks, axes.ravel())):
        plots.shade_epochs(ax)
        for j in range(t.n_out):
            for tr in range(OUTPUT_SHOWN):
                ax.plot(y[i, tr, :, j], color=f"C{j}", lw=1.6, alpha=0.9)
                ax.plot(out[i, tr, :, j], "--", color=f"C{j}", lw=1.2)
        ax.set_title(f"T{i + 1} {t.name} (solid: target, dashed: output)", fontsize=8)
        ax.set_ylim(-0.1, 1.1)
    fig.tight_layout()
    return fig


def check(profile, rows: list[dict]) -> None:
    """Every check on what the chapter's text states, with tolerances for the profile (raises
    AssertionError with a message): delay pro/anti are learned; most tasks beat the trivial
    policy clearly; at the paper's sizes, every task clears 70% and 8 beat the trivial policy by 30."""
    gap = above_trivial(rows)
    require(all(r["paper"] > 90 for r in rows[:2]), f"delay pro/anti not learned: {rows[:2]}")
    require(sum(a > 10 for a in gap) >= 5, f"fewer than 5 tasks > 10 points above the trivial policy: {gap}")
    if profile.name == "paper":
        require(all(r["paper"] > PAPER_BAR for r in rows), f"a task at or below 70%: {rows}")
        require(sum(a > 30 for a in gap) >= 8, f"fewer than 8 tasks > 30 points above the trivial policy: {gap}")


def _committed(profile, method: str, recipe) -> bool:
    """Whether every curve of one sweep point and method is in the cache (nothing is computed)."""
    from molap import store
    from molap.pipeline import curves

    try:
        with store.read_only():
            curves.curves(profile, method, recipe, profile.sweep.seeds, progress=False)
        return True
    except store.MissingResult:
        return False


def sweep_points(profile) -> tuple[list, int]:
    """([(method, recipe)] of the sweep points whose curves are committed, the number that are
    not); nothing is computed (the sweep is a reproduce stage of its own)."""
    from molap.pipeline import curves

    profile = P.get_profile(profile)
    todo = [(m, r) for m in curves.swept_methods() for r in curves.sweep_recipes(profile)]
    done = [(m, r) for m, r in todo if _committed(profile, m, r)]
    return done, len(todo) - len(done)


def sweep_rows(profile) -> list:
    """The schedule sweep's rows (:func:`molap.pipeline.curves.sweep_rows`) of every swept method and
    committed point; empty when the profile has no sweep or none of it is committed."""
    from molap.pipeline import curves

    profile = P.get_profile(profile)
    return [row for m, r in sweep_points(profile)[0] for row in curves.sweep_rows(profile, m, [r], profile.sweep.seeds)]


def show_sweep(profile) -> None:
    """The sweep table of the committed points, a line on those not computed yet, or one line
    saying the profile has no sweep."""
    from molap.pipeline import curves

    profile = P.get_profile(profile)
    if not profile.sweep.points:
        print(f"profile {profile.name!r} has no schedule sweep (the 'standard' profile has one)")
        return
    done, missing = sweep_points(profile)
    rows = [row for m, r in done for row in curves.sweep_rows(profile, m, [r], profile.sweep.seeds)]
    if missing:
        print(f"{missing} (method, sweep point) pairs of profile {profile.name!r} are not computed yet: "
              f"`molap reproduce --profile {profile.name} --stages 'schedule sweep'`")
    if not rows:
        return
    show_table([r._asdict() for r in rows], ["method", "batch", "steps", "decay", "trials", "all_learned_step",
                                             "seeds_learned", "tasks_learned", "final", "worst_task", "seconds"],
               headers=["method", "batch", "steps", "lr decay per tenth", "trials per task",
                        "every task learned by step (worst seed)", "seeds with every task",
                        "tasks at criterion at the end (all seeds)", "final, decision units %", "worst task %",
                        "seconds per network"],
               digits=1)


def sweep_lines(profile) -> list[str]:
    """In words, per swept method and among the committed points only: the cheapest point
    (seconds per network) at which every task of every seed had reached criterion by some
    evaluation and was still at it at the last, or the point with the most (seed, task) pairs at
    criterion at the end when none did."""
    out = []
    rows = sweep_rows(profile)
    for m in dict.fromkeys(r.method for r in rows):
        mine = [r for r in rows if r.method == m]
        ok = sorted((r for r in mine if r.seeds_learned == r.n_seeds
                     and r.tasks_learned == r.n_seeds * len(TASK_NAMES)), key=lambda r: r.seconds)
        if ok:
            r = ok[0]
            out.append(f"{m}: cheapest committed point with every task learned on all {r.n_seeds} seeds: "
                       f"batch {r.batch}, {r.steps} steps, decay {r.decay:g} ({r.seconds:.0f} s per network; "
                       f"every task by step "
                       f"{r.all_learned_step:.0f})")
        else:
            r = max(mine, key=lambda r: (r.tasks_learned, -r.seconds))
            out.append(f"{m}: no committed point learned every task on every seed; most (seed, task) pairs at "
                       f"criterion at the end: "
                       f"{r.tasks_learned} of {r.n_seeds * len(TASK_NAMES)} at batch {r.batch}, {r.steps} steps, "
                       f"decay {r.decay:g}")
    return out


def recipe_line(profile) -> str:
    """In words: where the profile's own training recipe sits in its committed sweep: the (seed,
    task) pairs at criterion at the end, over every swept method, at that point against the best
    point, and its total seconds per network (one of each method) against the cheapest point's."""
    p = P.get_profile(profile)
    rows = sweep_rows(p)
    t = p.training
    here = (t.batch, t.schedule.n_steps, t.schedule.decay)
    head = f"the {p.name} recipe: batch {t.batch}, {t.schedule.n_steps} steps, lr / {t.schedule.decay:g} per block"
    if t.clip is not None:
        head += f", gradient clipped to norm {t.clip:g} (the sweep: unclipped)"
    points = {}
    for r in rows:
        pairs, secs, n = points.get((r.batch, r.steps, r.decay), (0, 0.0, 0))
        points[(r.batch, r.steps, r.decay)] = (pairs + r.tasks_learned, secs + r.seconds, n + r.n_seeds * len(TASK_NAMES))
    if here not in points:
        return f"{head}: not a committed point of the sweep"
    pairs, secs, n = points[here]
    best = max(v[0] for v in points.values())
    cheapest = min(points.items(), key=lambda kv: kv[1][1])
    per = ", ".join(f"{r.method} {r.tasks_learned}" for r in rows if (r.batch, r.steps, r.decay) == here)
    return (f"{head}: {pairs} of {n} (seed, task) pairs at criterion at the end over every swept method ({per}); "
            f"the most at any committed point: {best}; {secs:.0f} s per network of each method, against "
            f"{cheapest[1][1]:.0f} s at the cheapest point (batch {cheapest[0][0]}, {cheapest[1][0]} pairs)")


def _point_label(r, decay: float) -> str:
    return f"batch {r.batch}" + ("" if r.schedule.decay == decay else f", decay {r.schedule.decay:g}")


def plot_sweep(profile):
    """Per swept method (a column), its committed sweep points: above, the task-mean validation
    decision units against trials per task, a line per sweep point (mean over the sweep's seeds);
    below, the share of (seed, task) pairs at criterion (:func:`molap.analysis.compare.at_criterion`).
    None when the profile has no sweep."""
    from molap.analysis import compare
    from molap.pipeline import curves

    profile = P.get_profile(profile)
    done, ms = sweep_points(profile)[0], curves.swept_methods()
    if not done:
        return None
    fig, axes = plt.subplots(2, len(ms), figsize=(4.2 * len(ms), 6.0), sharey="row", sharex=True, squeeze=False)
    for j, m in enumerate(ms):
        for r in [r for mm, r in done if mm == m]:
            runs = curves.curves(profile, m, r, profile.sweep.seeds, progress=False)
            label = _point_label(r, profile.sweep.decay)
            plots.plot_method_curves({label: runs}, ax=axes[0, j], batch=r.batch, title=m)
            share = np.mean([compare.at_criterion(run).mean(1) for run in runs], 0) * 100
            axes[1, j].plot(np.asarray(runs[0].curve_steps) * r.batch, share, marker="o", ms=3, label=label)
        axes[0, j].set_xlabel("")
        axes[1, j].set_xscale("log")
        axes[1, j].set_xlabel("trials per task")
        axes[1, j].set_ylim(-2, 102)
    axes[1, 0].set_ylabel("(seed, task) pairs at criterion (%)")
    axes[1, 0].legend(fontsize=8)
    fig.tight_layout()
    return fig
