"""Each verdict rule of molap.claims on synthetic results over seeds, ties and edge cases included."""

import numpy as np
import pytest

from molap import claims
from molap.analysis.compare import verdict
from molap.analysis.perturbations import KINDS
from molap.claims.verdicts import AFTER_OWN

METHODS = ("molap", "random", "pca", "separate", "dni")
SEEDS = 10
JITTER = np.array([-0.4, 0.1, 0.3, -0.2, 0.2, -0.1, 0.4, -0.3, 0.0, 0.0])  # a per-seed wobble: tests have a spread


def verdicts(rows):
    return [r.verdict for r in rows]


def per_task(values, jitter=True) -> np.ndarray:
    """(SEEDS, 9) scores: the per-task values on every seed, plus the per-seed wobble."""
    v = np.broadcast_to(np.asarray(values, float), (9,))
    return v[None, :] + (JITTER[:, None] if jitter else 0.0)


def acc(trivial=50.0, **per_method):
    dec = {m: per_task(per_method.get(m, np.full(9, 60.0))) for m in METHODS}
    return claims.Accuracy(dec, {m: per_task(trivial, False) for m in METHODS}, {m: per_task(80.0) for m in METHODS},
                           {})


def test_primitives_tolerance_and_correlations():
    assert verdicts(claims.primitives_verdicts(0.60, 0.70, [0.999, 0.998, 0.995])) == ["reproduced"] * 2
    assert verdicts(claims.primitives_verdicts(0.549, 0.70, [0.999, 0.99, 0.995])) == ["not reproduced"] * 2


def test_accuracy_bar_is_strict_and_must_beat_the_trivial_policy():
    row = claims.accuracy_verdicts(acc(molap=[69.0] + [90.0] * 8))[0]  # 69 plus at most 0.3 of wobble
    assert row.verdict == "not reproduced" and "8/9 tasks" in row.ours and row.kind == "measurement"
    assert row.n_seeds == SEEDS and row.p is None and row.expected is None
    assert claims.accuracy_verdicts(acc(molap=[75.0] * 9))[0].verdict == "reproduced"
    # above 70% but not above a trivial policy at 80%: not reproduced
    assert claims.accuracy_verdicts(acc(trivial=80.0, molap=[75.0] * 9))[0].verdict == "not reproduced"


def test_highest_is_a_paired_test_and_a_tie_is_not_a_win():
    tie = claims.accuracy_verdicts(acc(**{m: [100.0] * 9 for m in METHODS}))[1]
    assert tie.verdict == "equivalent" and tie.expected == "better" and tie.kind == "comparison"
    win = claims.accuracy_verdicts(acc(molap=[70.0] * 9))[1]  # 10 points above every other method
    assert win.verdict == "better" and win.p < 0.05
    lose = claims.accuracy_verdicts(acc(molap=[55.0] * 9))[1]
    assert lose.verdict == "worse"
    # one method tied: an equivalence refutes "highest"; a reversal refutes it more strongly
    mixed = claims.accuracy_verdicts(acc(molap=[70.0] * 9, dni=[70.0] * 9))[1]
    assert mixed.verdict == "equivalent"
    rev = claims.accuracy_verdicts(acc(molap=[70.0] * 9, dni=[70.0] * 9, pca=[80.0] * 9))[1]
    assert rev.verdict == "worse" and "pca" in rev.ours and len(rev.comparisons) == 4


def test_accuracy_comparisons_read_t5_t9_and_dni_right_after_its_own_task():
    a = acc(molap=[100.0] * 4 + [90.0] * 5, random=[100.0] * 4 + [86.0] * 5)
    row = claims.accuracy_verdicts(a)[3]  # 4 points on T5-T9, not the 2.2 of all nine tasks
    assert row.comparisons[0].test.effect == pytest.approx(4.0) and row.comparisons[0].label == "MoLaP - random, T5-T9"
    a.decision["dni" + AFTER_OWN] = per_task(95.0)  # DNI forgot (60 at the end), learned 95 on its own
    a.trivial["dni" + AFTER_OWN] = a.paper["dni" + AFTER_OWN] = per_task(50.0, False)
    hi = claims.accuracy_verdicts(a)[1]
    assert [c.label for c in hi.comparisons][-1] == "MoLaP - dni (after own task), T5-T9"
    assert hi.verdict == "worse" and "forgetting" in hi.ours


def test_comparisons_pair_the_seeds_two_methods_share():
    a = acc(molap=[80.0] * 9)
    a.seeds.update({m: tuple(range(SEEDS)) for m in METHODS})
    a.decision["separate"] = a.decision["separate"][:4]
    a.seeds["separate"] = (0, 1, 2, 3)
    rows = claims.accuracy_verdicts(a)
    assert {c.label: c.test.n for c in rows[1].comparisons}["MoLaP - separate, T5-T9"] == 4


def test_spread_and_pretraining_benefit():
    rows = claims.accuracy_verdicts(acc(molap=[80.0] * 9, dni=[80.0] * 4 + [20.0] * 5,
                                        random=[80.0] * 4 + [70.0] * 5, pca=[80.0] * 4 + [70.0] * 5))
    assert rows[2].verdict == "better"  # methods agree on T1-T4, differ on T5-T9
    assert rows[3].verdict == "better"  # MoLaP above random and PCA on T5-T9
    only_random = claims.accuracy_verdicts(acc(molap=[70.0] * 9, random=[60.0] * 9, pca=[70.0] * 9))[3]
    assert only_random.verdict == "equivalent" and "pca" in only_random.ours


def test_spread_leaves_out_the_method_without_rule_inputs():
    a = acc(**{m: [80.0] * 9 for m in METHODS})
    a.decision["dni_no_rule"] = per_task([50.0] * 4 + [80.0] * 5)  # fails Pro/Anti by construction
    for d in (a.trivial, a.paper):
        d["dni_no_rule"] = per_task(50.0, False)
    row = claims.accuracy_verdicts(a)[2]
    assert "dni_no_rule" not in row.ours and row.verdict == "equivalent"


def test_learning_speed_censors_a_task_never_learned():
    run = type("Run", (), {})()
    run.curve_steps = np.array([250.0, 500.0, 750.0, 1000.0])
    curve = np.zeros((4, 9, 5))
    curve[:, :, 2] = 95.0  # decision units at criterion from the first evaluation
    curve[:, 0, 2] = 10.0  # T1 never
    run.curve = curve
    steps = claims.steps_to_learn([run])
    assert steps[0, 0] == 1250.0 and np.all(steps[0, 1:] == 250.0)
    fast, slow = per_task(250.0, False) + JITTER[:, None] * 100 + 50, per_task(2000.0, False) + JITTER[:, None] * 100
    rows = claims.speed_verdicts({"molap": fast, "random": slow, "pca": slow, "separate": slow}, end=10000.0)
    assert rows[0].verdict == "better" and "margin +-0.1" in rows[0].ours and rows[0].comparisons[0].unit == "log10 steps"
    assert rows[0].comparisons[0].test.effect == pytest.approx(np.mean(np.log10(slow) - np.log10(fast)))
    worse = claims.speed_verdicts({"molap": slow, "random": fast, "pca": slow, "separate": slow}, end=10000.0)[0]
    assert worse.verdict == "worse"  # one reversal refutes, even where the others are equivalent
    cens = claims.speed_verdicts({"molap": fast, "random": slow, "pca": slow, "separate": slow * 0 + 10250.0},
                                 end=10000.0)[0]
    assert "separate 90/90" in cens.ours


def sweeps(score, intact=None, trivial=50.0):
    """{(kind, method): Robustness}: accuracy = intact[m] (default 100) - score(kind, method, level),
    the same on every task, with the seed wobble; the trivial policy at ``trivial``."""
    out = {}
    for k in KINDS:
        lv = np.array([0.0, 0.0005, 0.001, 0.002, 0.005, 0.01, 0.03]) if k == "noise" else np.array(
            [0.0, 0.25, 0.5, 1, 2, 3, 5, 10, 20, 30, 50])
        for m in METHODS:
            base = (intact or {}).get(m, 100.0)
            a = np.array([[np.clip(base - score(k, m, x), trivial - 5, 100)] * 9 for x in lv])  # (levels, 9)
            a = a[None] + JITTER[:, None, None] * (lv[None, :, None] > 0)
            out[(k, m)] = claims.Robustness(lv, a, np.full((SEEDS, 9), trivial))
    return out


def drops(per_level):
    """Accuracy falls linearly, by per_level[m] points per level unit (noise in units of 0.001)."""
    def score(kind, m, lv):
        return per_level[m] * (lv * 1000 if kind == "noise" else lv)
    return score


def test_thresholds_decide_robustness():
    # MoLaP's accuracy halves at 10 (%, or sigma 0.01), random's and pca's at 5, separate's at 2.5
    sw = sweeps(drops({"molap": 2.5, "random": 5.0, "pca": 5.0, "separate": 10.0, "dni": 5.0}))
    rows = {r.claim: r for r in claims.lesion_verdicts(sw, np.full(SEEDS, 95.0))}
    assert rows["T9, M1 lesions: MoLaP more robust than DNI"].verdict == "better"
    assert rows["Averaged over tasks, MoLaP is the most robust for every perturbation type (Fig 4)"].verdict == "better"
    assert rows["T9, M1 lesions: MoLaP comparable to separate networks"].verdict == "better"  # not equivalent
    c = rows["T9, M1 lesions: MoLaP more robust than DNI"].comparisons[0]
    assert c.test.effect == pytest.approx(5.0, abs=0.2) and c.unit == "% lesioned"
    assert rows["T9 at 30% M2 lesioned: the fixation output stays high (MoLaP)"].verdict == "reproduced"


def test_a_network_that_did_not_learn_a_task_is_left_out_of_its_comparison():
    sw = sweeps(drops({m: 2.5 for m in METHODS}))
    r = sw[("m1", "dni")]
    acc = r.acc.copy()
    acc[:3, :, 8] = 45.0  # three seeds of DNI never learned T9 (at the trivial policy's level)
    sw[("m1", "dni")] = r._replace(acc=acc)
    row = claims.lesion_verdicts(sw, np.full(SEEDS, 95.0))[0]
    c = row.comparisons[0]
    assert c.test.n == SEEDS - 3 and "3 of 10 (seed, task) pairs left out" in c.excluded
    assert row.verdict == "equivalent"


def test_robustness_pairs_the_seeds_two_methods_were_swept_on():
    sw = sweeps(drops({"molap": 2.5, "random": 5.0, "pca": 5.0, "separate": 10.0, "dni": 5.0}))
    for k in KINDS:  # separate networks swept on seeds 2, 5, 7 only: MoLaP's other seeds are not compared
        sw[(k, "separate")] = sw[(k, "separate")].on((7, 2, 5))
    assert sw[("m1", "separate")].seed_list == (7, 2, 5)
    a, b = claims.robustness.paired(sw[("m1", "molap")], sw[("m1", "separate")])
    assert a.seed_list == b.seed_list == (2, 5, 7)
    np.testing.assert_array_equal(a.acc, sw[("m1", "molap")].acc[[2, 5, 7]])
    row = {r.claim: r for r in claims.lesion_verdicts(sw, np.full(SEEDS, 95.0))}
    c = row["T9, M1 lesions: MoLaP comparable to separate networks"].comparisons[0]
    assert c.test.n == 3 and c.test.effect == pytest.approx(7.5, abs=0.3)


def test_a_grid_that_starts_past_the_cliff_gives_no_verdict():
    sw = sweeps(drops({"molap": 100.0, "random": 200.0, "pca": 200.0, "separate": 200.0, "dni": 200.0}))
    rows = claims.lesion_verdicts(sw, np.full(SEEDS, 95.0))
    assert rows[0].verdict == "inconclusive" and "past the cliff" in rows[0].comparisons[0].excluded


def test_noise_robustness_allows_five_points_and_fixation_must_exceed_90():
    def rows(per_sigma, fixation=90.0):
        return claims.lesion_verdicts(sweeps(lambda k, m, lv: per_sigma * lv if k == "noise" else lv),
                                      np.full(SEEDS, fixation))
    assert rows(160.0)[8].verdict == "reproduced"  # 4.8 points at 0.03
    assert rows(170.0)[8].verdict == "not reproduced"  # 5.1 points
    assert rows(160.0)[4].verdict == "not reproduced"  # exactly 90 is not above 90


def test_a_sweep_must_start_intact():
    sw = sweeps(drops({m: 1.0 for m in METHODS}))
    r = sw[("m1", "molap")]
    sw[("m1", "molap")] = r._replace(levels=r.levels[1:], acc=r.acc[:, 1:])
    with pytest.raises(claims.MolapError, match="level 0"):
        claims.lesion_verdicts(sw, np.full(SEEDS, 95.0))


def test_generalisation_rules():
    full = per_task(80.0)
    g = claims.Generalisation(per_task(85.0), per_task(71.0), per_task(50.0, False), full, full)
    assert verdicts(claims.generalisation_verdicts(g)) == ["better", "worse", "reproduced"]
    held = np.full(9, 85.0)
    held[6] = 74.0  # T7 six points below its full-corpus score
    g = claims.Generalisation(per_task(held), per_task(70.0, False), per_task(50.0, False), full, full)
    rows = claims.generalisation_verdicts(g)
    assert verdicts(rows) == ["better", "better", "not reproduced"]  # 70 is not > 70
    assert [r.expected for r in rows] == ["better", "better", None]


def test_the_combining_rule_holm_and_as_paper_says():
    better = verdict([3.0, 3.5, 2.8, 3.2, 3.1, 3.3, 2.9, 3.4, 3.0, 3.1])
    tie = verdict([0.1, -0.1, 0.0, 0.05, -0.05, 0.1, -0.1, 0.0, 0.05, -0.05])
    worse = verdict([-3.0, -3.5, -2.8, -3.2, -3.1, -3.3, -2.9, -3.4, -3.0, -3.1])
    c = claims.compared("x", "y", [("a", better)], "ch")
    assert c.verdict == "better" and claims.as_paper_says(c) and c.n_seeds == 10 and c.rule == claims.RULE
    assert claims.compared("x", "y", [("a", better), ("b", tie)], "ch").verdict == "equivalent"
    assert claims.compared("x", "y", [("a", better), ("b", tie), ("c", worse)], "ch").verdict == "worse"
    assert claims.compared("x", "y", [("a", better), ("b", tie)], "ch", expected="equivalent").verdict == "better"
    # Holm: the same p corrected over three comparisons
    c3 = claims.compared("x", "y", [("a", better)] * 3, "ch")
    assert c3.comparisons[0].p_holm == pytest.approx(min(1.0, 3 * better.p_difference))


def test_json_lists_every_comparison_with_its_corrections():
    c = claims.compared("x", "y", [("MoLaP - a", verdict(JITTER + 1.0))], "ch")
    d = c.comparisons[0].as_dict()
    assert set(d) >= {"comparison", "n", "effect", "ci95", "p", "p_holm", "p_exact", "verdict", "excluded", "detectable"}
    assert d["n"] == SEEDS and d["p_holm"] == pytest.approx(d["p"] if d["p"] > d["p_exact"] else d["p_exact"])


def test_counts_are_inconsistent_by_the_printed_factor_of_ten():
    rows = claims.count_claims(None)
    assert rows[0].verdict == "inconsistent" and "10x" in rows[0].ours
    assert rows[1].verdict == "reproduced" and rows[2].verdict == "not reproduced"
    assert all(r.n_seeds is None and r.kind == "measurement" for r in rows)


def test_section_lookup():
    with pytest.raises(claims.MolapError, match="unknown claims section"):
        claims.section("tiny", "Nope")


def test_early_learning_compares_areas_and_log_steps_on_shared_seeds():
    from molap.claims.speed import EARLY_BUDGETS, Early, early_verdicts

    def early(area, log_steps, seeds=tuple(range(SEEDS)), wobble=JITTER):
        n = len(seeds)
        return Early({b: np.full(n, area) + wobble[:n] for b in EARLY_BUDGETS}, np.full(n, log_steps) + wobble[:n] / 10,
                     0, 9 * n, seeds)

    other = JITTER[::-1] / 2
    e = {"molap": early(80.0, 2.5), "random": early(70.0, 3.0, wobble=other), "pca": early(70.0, 3.0, wobble=other),
         "separate": early(70.0, 3.0, seeds=tuple(range(8)), wobble=other)}
    row = early_verdicts(e)[0]
    assert row.verdict == "better" and len(row.comparisons) == 9
    assert {c.label: c.test.n for c in row.comparisons}["separate - MoLaP, log10 steps"] == 8
    e["pca"] = early(80.0, 2.5, wobble=other)
    assert early_verdicts(e)[0].verdict == "equivalent"  # an equivalent comparator refutes "faster"
