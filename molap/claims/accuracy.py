"""Chapters 04 and 05's accuracy claims: every task above the paper's bar, and the methods compared."""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from molap import methods
from molap import pipeline as P
from molap.analysis.compare import verdict
from molap.claims.verdicts import (
    ACCURACY_MARGIN,
    AFTER_OWN,
    PAPER_BAR,
    PAPER_FIELD,
    T5,
    Claim,
    compared,
    measured,
    per_seed,
    scores,
)
from molap.tasks import PAPER_LABELS, TASK_NAMES


class Accuracy(NamedTuple):
    """Test scores per label (a method, or a sequential method right after its own tasks, see
    :data:`AFTER_OWN`), each (n_seeds, 9): decision units, the trivial policy's decision units,
    and the paper's score; ``seeds``: {label: the seeds of its rows} (None: every label on the
    same seeds 0..n-1, as is a label it does not name). Comparisons pair the seeds two labels share."""

    decision: dict
    trivial: dict
    paper: dict
    seeds: dict | None = None

    def rows(self, label: str) -> tuple[int, ...]:
        """The seeds of a label's rows (0..n-1 where ``seeds`` does not name the label)."""
        s = (self.seeds or {}).get(label)
        return tuple(range(len(self.decision[label]))) if s is None else tuple(s)

    def paired(self, a: str, b: str, tasks=slice(None)) -> np.ndarray:
        """(n_common_seeds,) per seed, a's mean decision units over ``tasks`` minus b's."""
        sa, sb = self.rows(a), self.rows(b)
        common = [s for s in sa if s in sb]
        x = self.decision[a][[sa.index(s) for s in common]]
        y = self.decision[b][[sb.index(s) for s in common]]
        return per_seed(x, tasks) - per_seed(y, tasks)


def accuracy_data(p) -> Accuracy:
    """Every method's test scores on its family's seeds (right after its own tasks as well, for
    methods that train tasks in sequence)."""
    out = Accuracy({}, {}, {}, {})
    for m in methods.names():
        seeds = P.seeds_of(p, m)
        runs = [P.trained(p, m, s) for s in seeds]
        views = [(m, [r.test for r in runs])]
        if runs[0].after_own is not None:
            views.append((m + AFTER_OWN, [r.after_own for r in runs]))
        for label, tests in views:
            for d, f in zip(out, ("decision", "trivial_decision", PAPER_FIELD)):
                d[label] = scores(tests, f)
            out.seeds[label] = seeds
    return out


def accuracy_claims(p) -> list[Claim]:
    return accuracy_verdicts(accuracy_data(p))


SPREAD_EXCLUDES = ("dni_no_rule",)
"""Methods left out of the spread across methods: without rule inputs a network cannot tell a
Pro task from its Anti twin, so its spread on T1-T4 says nothing about the tasks."""
LATE = slice(T5, None)
"""T5-T9, the tasks off the ceiling: every accuracy comparison's endpoint is the per-seed mean over
them (T1-T4 are at 100% for every frozen-module method)."""


def comparators(acc: Accuracy) -> list[str]:
    """The labels MoLaP is compared with: every other method, a sequential one right after its own
    tasks (its score at the end of the sequence measures forgetting, reported on its own)."""
    return [k for k in acc.decision if k != "molap" and k + AFTER_OWN not in acc.decision]


def accuracy_verdicts(acc: Accuracy) -> list[Claim]:
    """``acc``: :class:`Accuracy` with molap, random and pca among its labels."""
    dec, triv, paper = acc.decision, acc.trivial, acc.paper
    molap, n = dec["molap"], len(dec["molap"])
    mean, tmean = molap.mean(0), triv["molap"].mean(0)
    ok = (mean > PAPER_BAR) & (mean > tmean)
    seeds_ok = int(((molap > PAPER_BAR) & (molap > triv["molap"])).all(1).sum())
    lo = int(np.argmin(mean))
    others = comparators(acc)
    highest = [(f"MoLaP - {k}, T5-T9", verdict(acc.paired("molap", k, LATE), ACCURACY_MARGIN)) for k in others]
    means = np.array([dec[k].mean(0) for k in others])
    tied = np.isclose(mean[None], means, atol=0.05).any(0)
    above = int(((mean[None] > means + 0.05).all(0)).sum())
    spread_set = [k for k in dec if k not in SPREAD_EXCLUDES and not k.endswith(AFTER_OWN)]
    common = [s for s in acc.rows("molap") if all(s in acc.rows(k) for k in spread_set)]
    sd = np.array([dec[k][[acc.rows(k).index(s) for s in common]] for k in spread_set]).std(0)  # (seeds, 9)
    spread = verdict(per_seed(sd, LATE) - per_seed(sd, slice(0, T5)), ACCURACY_MARGIN)
    below = [(f"MoLaP - {k}, T5-T9", verdict(acc.paired("molap", k, LATE), ACCURACY_MARGIN)) for k in ("random", "pca")]
    every = "; ".join(f"MoLaP - {k} on all nine tasks {np.mean(acc.paired('molap', k)):+.1f}" for k in ("random", "pca"))
    forget = "; ".join(f"{k} loses {np.mean(acc.paired(k + AFTER_OWN, k, LATE)):.1f} points on T5-T9 from right "
                       f"after its own task to the end of its sequence (forgetting, not compared)"
                       for k in dec if k + AFTER_OWN in dec)
    return [
        measured(f"MoLaP > {PAPER_BAR:.0f}% decisions correct on all 9 tasks", "> 70% on T1-T9",
                 f"decision units: {int(ok.sum())}/9 tasks above {PAPER_BAR:.0f}% and the trivial policy "
                 f"(lowest {mean[lo]:.1f}% on {PAPER_LABELS[TASK_NAMES[lo]]}, trivial {tmean[lo]:.1f}%); "
                 f"{seeds_ok}/{n} seeds with every task; the paper's score, lowest task: "
                 f"{paper['molap'].mean(0).min():.1f}%", bool(ok.all()), "04_learning_tasks", n),
        compared("MoLaP is the highest method on every task", "highest on all tasks", highest,
                 "05_comparing_methods",
                 detail=f"per task, MoLaP's mean is above every other method's on {above}/9 and tied with one "
                        f"(within 0.05 points) on {int(tied.sum())}/9; {forget}"),
        compared("Methods are more similar on T1-T4 than on T5-T9", "smaller spread on T1-T4",
                 [("sd across methods, T5-T9 - T1-T4", spread)], "05_comparing_methods",
                 detail=f"methods: {', '.join(spread_set)}"),
        compared("No pre-training and PCA pre-training are below MoLaP, especially on T5-T9", "MoLaP above both",
                 below, "05_comparing_methods", detail=every),
    ]
