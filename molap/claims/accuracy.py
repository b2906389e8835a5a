"""Chapters 04 and 05's accuracy claims: every task above the paper's bar, and the methods compared."""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from molap import methods
from molap import pipeline as P
from molap.analysis.compare import verdict
from molap.claims.verdicts import AFTER_OWN, PAPER_BAR, PAPER_FIELD, T5, Claim, compared, measured, per_seed, scores
from molap.tasks import PAPER_LABELS, TASK_NAMES


class Accuracy(NamedTuple):
    """Test scores per label (a method, or a sequential method right after its own tasks, see
    :data:`AFTER_OWN`), each (n_seeds, 9) on the same seeds: decision units, the trivial policy's
    decision units, and the paper's score."""

    decision: dict
    trivial: dict
    paper: dict


def accuracy_data(p) -> Accuracy:
    """Every method's test scores on the profile's seeds (right after its own tasks as well, for
    methods that train tasks in sequence)."""
    out = Accuracy({}, {}, {})
    for m in methods.names():
        runs = [P.trained(p, m, s) for s in p.seeds]
        views = [(m, [r.test for r in runs])]
        if runs[0].after_own is not None:
            views.append((m + AFTER_OWN, [r.after_own for r in runs]))
        for label, tests in views:
            for d, f in zip(out, ("decision", "trivial_decision", PAPER_FIELD)):
                d[label] = scores(tests, f)
    return out


def accuracy_claims(p) -> list[Claim]:
    return accuracy_verdicts(accuracy_data(p))


SPREAD_EXCLUDES = ("dni_no_rule",)
"""Methods left out of the spread across methods: without rule inputs a network cannot tell a
Pro task from its Anti twin, so its spread on T1-T4 says nothing about the tasks."""


def accuracy_verdicts(acc: Accuracy) -> list[Claim]:
    """``acc``: :class:`Accuracy` with molap, random and pca among its labels."""
    dec, triv, paper = acc.decision, acc.trivial, acc.paper
    molap, n = dec["molap"], len(dec["molap"])
    mean, tmean = molap.mean(0), triv["molap"].mean(0)
    ok = (mean > PAPER_BAR) & (mean > tmean)
    seeds_ok = int(((molap > PAPER_BAR) & (molap > triv["molap"])).all(1).sum())
    lo = int(np.argmin(mean))
    others = [k for k in dec if k != "molap"]
    highest = [(f"MoLaP - {k}", verdict(per_seed(molap) - per_seed(dec[k]))) for k in others]
    wins = int(np.all([mean >= dec[k].mean(0) for k in others], 0).sum())
    spread_set = [k for k in dec if k not in SPREAD_EXCLUDES and not k.endswith(AFTER_OWN)]
    sd = np.array([dec[k] for k in spread_set]).std(0)  # (n_seeds, 9) across methods
    spread = verdict(per_seed(sd, slice(T5, None)) - per_seed(sd, slice(0, T5)))
    below = [(f"MoLaP - {k} on T5-T9", verdict(per_seed(molap, slice(T5, None)) - per_seed(dec[k], slice(T5, None))))
             for k in ("random", "pca")]
    every = "; ".join(f"MoLaP - {k} on every task {np.mean(per_seed(molap) - per_seed(dec[k])):+.1f}"
                      for k in ("random", "pca"))
    return [
        measured(f"MoLaP > {PAPER_BAR:.0f}% decisions correct on all 9 tasks", "> 70% on T1-T9",
                 f"decision units: {int(ok.sum())}/9 tasks above {PAPER_BAR:.0f}% and the trivial policy "
                 f"(lowest {mean[lo]:.1f}% on {PAPER_LABELS[TASK_NAMES[lo]]}, trivial {tmean[lo]:.1f}%); "
                 f"{seeds_ok}/{n} seeds with every task; the paper's score, lowest task: "
                 f"{paper['molap'].mean(0).min():.1f}%", bool(ok.all()), "04_learning_tasks", n),
        compared("MoLaP is the highest method on every task", "highest on all tasks", highest,
                 "05_comparing_methods", n,
                 detail=f"mean over tasks per seed; per task, MoLaP's mean is at or above every other's on {wins}/9"),
        compared("Methods are more similar on T1-T4 than on T5-T9", "smaller spread on T1-T4",
                 [("sd across methods, T5-T9 - T1-T4", spread)], "05_comparing_methods", n,
                 detail=f"methods: {', '.join(spread_set)}"),
        compared("No pre-training and PCA pre-training are below MoLaP, especially on T5-T9", "MoLaP above both",
                 below, "05_comparing_methods", n, detail=every),
    ]
