"""The task corpus (book chapter 01): what the decision metric is worth, and the chapter's checks.

:func:`metric_rows` scores exact targets, random guesses and the trivial policy on a fresh corpus
draw; :func:`show_metric` and :func:`plot_trivial` display them; :func:`check` holds every
assertion of the chapter (it raises AssertionError with a message).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import jax
import jax.numpy as jnp

from molap import pipeline as P
from molap.metrics import score
from molap.tasks import GO, N_STEPS, PAPER_LABELS, Batch, sample_corpus, task_table
from molap.views import plots
from molap.views.checks import require
from molap.views.tables import show_table

METRIC_HEADERS = ("task", "", "exact targets", "random guesses", "trivial policy (paper's rule)",
                  "trivial policy, decision units")
"""Column headers of :func:`show_metric` (the keys of :func:`metric_rows`, in order)."""
DECISION_LABELS = ("T5", "T6", "T7", "T8", "T9")
"""The memory-decision tasks, on which the trivial policy clears the paper's 70% bar."""


def metric_row(name: str, b: Batch, guess_key: jax.Array) -> dict:
    """One task's scores: exact targets, a random constant guess per trial and channel, and the
    trivial policy (paper's rule and decision units alone)."""
    exact = score(b.targets, b.targets)
    guess = jax.random.uniform(guess_key, (b.targets.shape[0], 1, b.targets.shape[2]))
    noise = score(jnp.broadcast_to(guess, b.targets.shape), b.targets)
    return dict(task=name, label=PAPER_LABELS[name], exact=exact.paper, random=noise.paper,
                trivial=exact.trivial, trivial_decision=exact.trivial_decision)


def metric_rows(key: jax.Array, n_trials: int = 2000) -> list[dict]:
    """:func:`metric_row` for every corpus task on a corpus draw of ``n_trials`` from ``key`` (the
    random guesses from ``fold_in(key, 7)``, the same for every task)."""
    test = sample_corpus(None, key, n_trials)
    return [metric_row(name, b, jax.random.fold_in(key, 7)) for name, b in test.items()]


def show_metric(rows: Sequence[Mapping]) -> None:
    """The table of :func:`metric_rows`."""
    show_table(rows, headers=list(METRIC_HEADERS))


def plot_trivial(rows: Sequence[Mapping]):
    """Bars of the trivial policy's scores per task, with the paper's 70% bar."""
    return plots.bar_scores(rows, ["trivial", "trivial_decision"],
                            ["trivial policy, paper's score", "decision units alone"],
                            title="What a network scores without using the stimulus (dotted: the paper's 70% bar)")


def check_task_table(rows: Sequence[Mapping] | None = None) -> None:
    """Channel counts and trial length of the corpus (25 input and 22 output channels)."""
    rows = task_table() if rows is None else rows
    shapes = [(r["n_in"], r["n_out"]) for r in rows]
    require(shapes == [(3, 3)] * 4 + [(2, 2)] * 2 + [(3, 2)] * 3, f"task shapes {shapes}")
    n_in, n_out = sum(r["n_in"] for r in rows), sum(r["n_out"] for r in rows)
    require(n_in == 25 and n_out == 22, f"{n_in} input and {n_out} output channels, expected 25 and 22")
    require(all(r["n_steps"] == 110 for r in rows), f"trial lengths {[r['n_steps'] for r in rows]}")


def check_corpus(corpus: Mapping[str, Batch]) -> None:
    """A corpus draw is aligned (shared first angle; Mem Pro and Mem Anti share their inputs) and
    anti targets are the pro targets mirrored around 0.5 in the response epoch."""
    th1 = corpus["delay_pro"].theta1
    require(all(bool(jnp.all(b.theta1 == th1)) for b in corpus.values()), "tasks do not share the first angle")
    require(bool(jnp.all(corpus["mem_pro"].inputs == corpus["mem_anti"].inputs)),
             "mem_pro and mem_anti inputs differ")
    pro, anti = corpus["delay_pro"].targets, corpus["delay_anti"].targets
    err = float(jnp.abs((pro[:, GO:, 1:] - 0.5) + (anti[:, GO:, 1:] - 0.5)).max())
    require(err < 1e-5, f"anti is not the opposite of pro in the response epoch (max error {err})")


def check_metric(rows: Sequence[Mapping]) -> None:
    """Exact targets score 100, random guesses under 30; the trivial policy is above 70% on every
    Dm task (T5-T9) and under 60% on T1-T4."""
    require(all(r["exact"] == 100.0 for r in rows), f"exact targets: {[r['exact'] for r in rows]}")
    require(all(r["random"] < 30 for r in rows), f"random guesses: {[r['random'] for r in rows]}")
    dm = [r for r in rows if r["label"] in DECISION_LABELS]
    require(all(r["trivial"] > 70 for r in dm), f"trivial policy on T5-T9: {dm}")
    require(all(r["trivial"] < 60 for r in rows[:4]), f"trivial policy on T1-T4: {rows[:4]}")


def check_new_task(batch: Batch) -> None:
    """A new two-channel task has the corpus's shapes and its exact targets score 100."""
    shapes = (tuple(batch.inputs.shape), tuple(batch.targets.shape))
    require(shapes == ((200, N_STEPS, 3), (200, N_STEPS, 3)), f"new task shapes {shapes}")
    require(score(batch.targets, batch.targets).paper == 100.0, "exact targets of the new task are not 100%")


def check(corpus: Mapping[str, Batch], metric: Sequence[Mapping], new_task: Batch) -> None:
    """Every check of the chapter: the task table, a corpus draw, the metric table and the new task."""
    check_task_table()
    check_corpus(corpus)
    check_metric(metric)
    check_new_task(new_task)


def own_task_rows(profile, tasks, seed: int, methods_: tuple[str, ...] = ("molap", "random")) -> list[dict]:
    """Heads for any tasks (a reader's own, neurogym's) on each frozen method's modules, trained
    with the method's selected recipe (:func:`molap.pipeline.trained` with ``tasks``; cached)."""
    runs = {m: P.trained(profile, m, seed, tasks=tasks) for m in methods_}
    first = runs[methods_[0]]
    return [dict(task=t, **{m: runs[m].test[t].decision for m in methods_}, paper=first.test[t].paper,
                 trivial=first.test[t].trivial_decision) for t in first.tasks]


OWN_HEADERS = ["task", "MoLaP, decision units %", "random reservoir, decision units %", "MoLaP, paper's score %",
               "trivial policy, decision units %"]


def check_own(rows: list[dict], notebook_task) -> None:
    """Every task outside the package was trained and scored by both frozen methods, and the
    notebook's task is :data:`molap.tasks.examples.MATCH_TASK` (whose runs ``molap reproduce`` commits)."""
    from molap.tasks.examples import MATCH_TASK

    assert rows and all(0 <= r[m] <= 100 for r in rows for m in ("molap", "random", "paper", "trivial")), rows
    assert notebook_task.fingerprint() == MATCH_TASK.fingerprint(), "the chapter's task differs from molap.tasks.examples'"
