"""The pure functions of the book's views of chapters 01, 05 and 09 (molap.views.task_corpus,
.comparison, .paper_scale): tables from made-up runs and records, and checks that fail loudly."""

import jax
import numpy as np
import pytest

from molap.methods import TrainedRun
from molap.metrics import Scores
from molap.pipeline.selection import LRChoice
from molap.tasks import TASK_NAMES, sample_corpus, task_table
from molap.views import comparing_methods as C
from molap.views import paper_scale as S
from molap.views import task_corpus as V
from molap.views.forgetting import forgetting_rows
from molap.views.tables import lr_rows


def _run(method, seed, decision, own=None, curve=None):
    """A fake trained run: the same decision score on every task (paper = decision + 10)."""
    test = {t: Scores(decision + 10.0, decision, decision, 50.0, 30.0) for t in TASK_NAMES}
    after = None if own is None else {t: Scores(own, own, own, 50.0, 30.0) for t in TASK_NAMES}
    curve = np.zeros((2, len(TASK_NAMES), 5)) if curve is None else curve
    return TrainedRun(method, seed, 1e-3, list(TASK_NAMES), test, np.array([100, 200]), curve, np.zeros(3), None,
                      after)


def test_lr_rows_and_pilot_lines():
    grid = [0.001, 0.01]
    choices = {"molap": LRChoice(0.01, grid, [40.0, 50.0]), "random": LRChoice(0.001, grid, [60.0, 55.0]),
               "pca": LRChoice(0.01, grid, [10.0, 45.0])}
    assert lr_rows(choices, prefix="lr ")[0] == {"method": "molap", "lr 0.001": 40.0, "lr 0.01": 50.0, "chosen": "0.01"}
    assert S.pilot_lines(choices) == ["best pilot score (decision units, %): molap 50.0, random 60.0, pca 45.0",
                                      "random reservoir - MoLaP: +10.0 points; PCA - MoLaP: -5.0"]


def test_best_and_ties_per_task():
    rows = [{"label": "T1", "a": 90.0, "a_sd": 1.0, "b": 88.0, "b_sd": 0.5, "c": 80.0, "c_sd": 0.0}]
    assert C.best_per_task(rows, ["a", "b", "c"]) == {"T1": "a"}
    assert C.ties_per_task(rows, ["a", "b", "c"]) == {"T1": ["a", "b"]}  # within 90 - 2 * 1 - 1 = 87


def test_pairs_summary_forgetting_and_speed():
    results = {"molap": [_run("molap", 0, 60.0), _run("molap", 1, 70.0)],
               "random": [_run("random", 0, 50.0), _run("random", 1, 55.0)]}
    rows = C.summary_rows(results)
    assert rows[0]["molap"] == 65.0 and rows[0]["molap_sd"] == 5.0 and rows[0]["trivial"] == 30.0
    pairs = C.pairs_of(results, (("molap", "random"),))
    assert C.pair_rows(pairs)[0]["diffs"] == "+10.0, +15.0" and pairs["molap - random"]["mean"] == 12.5
    assert C.pair_task_rows(pairs, rows)[8] == {"label": "T9", "molap - random": 12.5}
    dni = [_run("dni", 0, 20.0, own=80.0), _run("dni", 1, 30.0, own=90.0)]
    assert forgetting_rows(dni)[0] == {"label": "T1", "task": TASK_NAMES[0], "own": 85.0, "final": 25.0,
                                         "drop": 60.0}
    curve = np.zeros((2, len(TASK_NAMES), 5))
    curve[:, :, 2] = [[40.0], [80.0]]
    assert C.speed_threshold([_run("molap", 0, 0.0, curve=curve)]) == pytest.approx(72.0)
    never = np.zeros_like(curve)
    steps = C.steps_rows({"molap": [_run("molap", 0, 0.0, curve=curve), _run("molap", 3, 0.0, curve=never)],
                          "pca": [_run("pca", 0, 0.0, curve=curve)]}, 50.0)
    assert steps[0] == {"method": "molap", "seeds": 2, "median": 200.0, "fastest": 200.0, "slowest": 200.0, "never": 1}
    assert steps[1]["seeds"] == 1 and steps[1]["never"] == 0


def test_comparison_check_fails_loudly():
    from molap.profiles import get_profile

    p = get_profile("quick")
    rows = [{"label": "T1", "molap": 100.0, "random": 100.0, "pca": 75.0, "trivial": 50.0}]
    pairs = {"molap - random": {"mean": 1.0, "diffs": [1.0] * len(p.seeds)}}
    C.check(C.Comparison(p, {}, rows, [], pairs))
    with pytest.raises(AssertionError, match="trivial policy"):
        C.check(C.Comparison(p, {}, [dict(rows[0], pca=69.0)], [], pairs))
    with pytest.raises(AssertionError, match="molap - random"):
        C.check(C.Comparison(p, {}, rows, [], {"molap - random": {"mean": float("nan"), "diffs": [0.0]}}))


def test_progress_is_parsed_when_the_record_is_written_keeping_each_blocks_last_value():
    from molap.views.benchmarks import parse_reproduce_log

    bar = "training task heads (15 networks)"
    lines = [f"{bar}:   0%|   | 0/10 [01:28<?, ?it/s, decision=82.6%, loss=0.06]",
             f"{bar}:  10%|█  | 1/10 [01:28<13:15, 88s/it, decision=82.6%, loss=0.06]",
             f"{bar}:  10%|█  | 1/10 [02:17<13:15, 88s/it, decision=90.9%, loss=0.03]",
             "training task heads (5 networks):  10%|█ | 1/10 [00:01<00:09, decision=10.0%]", "other line"]
    rec = parse_reproduce_log("\n".join(lines))
    assert S.progress_curve(rec) == {0: 82.6, 1: 90.9}
    assert S.progress_curve(rec, "training task heads (5 networks)") == {1: 10.0}
    assert S.curve_rows({1: 90.9}, 1000) == [{"block": 1, "steps": 1000, "mean decision-unit accuracy (%)": 90.9}]


def test_the_committed_record_gives_the_cut_run():
    curve = S.progress_curve(S.log_record())
    assert list(curve) == list(range(10)) and curve[0] == 82.6 and all(0 <= v <= 100 for v in curve.values())


def test_pretrain_ratios_and_check():
    def row(m, s, a, b):
        return {"method": m, "seed": s, "module 1 MSE": a, "module 1 target var": 1.0, "module 2 MSE": b,
                "module 2 target var": 2.0}

    rows = [row("molap", 0, 0.01, 0.02), row("molap", 1, 0.02, 0.04), row("pca", 0, 0.04, 1.0)]
    ratio = S.mse_ratios(rows)
    np.testing.assert_allclose(ratio["molap"], [[0.01, 0.01], [0.02, 0.02]])
    assert S.ratio_lines(ratio)[0] == ("molap: MSE / target variance, module 1 0.0100-0.0200, "
                                       "module 2 0.0100-0.0200 over the seeds")
    from molap import methods

    choices = {m: LRChoice(1e-3, [1e-3], [50.0]) for m in methods.names()}
    S.check(rows, choices)
    with pytest.raises(AssertionError, match="MSE / target variance"):
        S.check(rows + [row("pca", 1, 0.04, 0.05)], choices)
    with pytest.raises(AssertionError, match="chosen rates"):
        S.check(rows, {**choices, "molap": LRChoice(0.5, [0.5], [50.0])})


def test_task_checks():
    V.check_task_table(task_table())
    with pytest.raises(AssertionError, match="task shapes"):
        V.check_task_table(task_table()[:-1] + [dict(task_table()[-1], n_in=2)])
    corpus = sample_corpus(None, jax.random.key(1), 8)
    V.check_corpus(corpus)
    rows = V.metric_rows(jax.random.key(1), 8)
    assert [r["exact"] for r in rows] == [100.0] * 9
    bad = [dict(r, random=35.0) if i == 0 else r for i, r in enumerate(rows)]
    with pytest.raises(AssertionError, match="random guesses"):
        V.check_metric(bad)
    with pytest.raises(AssertionError, match="new task shapes"):
        V.check_new_task(corpus["delay_pro"])


def test_steps_to_criterion_needs_the_bar_and_the_trivial_policy():
    from molap.analysis.compare import steps_to_criterion

    curve = np.zeros((3, 2, 5))
    curve[:, 0, 2] = [50.0, 90.0, 95.0]  # task 0 reaches 90 at the second block...
    curve[:, 0, 4] = [40.0, 89.0, 40.0]  # ...above the trivial policy
    curve[:, 1, 2] = [95.0, 95.0, 95.0]  # task 1 is at 95 but so is the trivial policy: never learned
    curve[:, 1, 4] = 95.0
    run = TrainedRun("molap", 0, 0.01, ["a", "b"], None, np.array([100, 200, 300]), curve, None, None)
    got = steps_to_criterion(run)
    assert got[0] == 200 and np.isnan(got[1])
    assert C._criterion_cell(np.array([200.0, np.nan]), 2) == "200 (1/2)"
    assert C._criterion_cell(np.array([np.nan]), 1) == "never (0/1)"
