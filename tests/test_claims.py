"""Each verdict rule of molap.claims on synthetic results over seeds, ties and edge cases included."""

import numpy as np
import pytest

from molap import claims
from molap.analysis.compare import verdict
from molap.analysis.perturbations import KINDS

METHODS = ("molap", "random", "pca", "separate", "dni")
SEEDS = 5
JITTER = np.array([-0.4, 0.1, 0.3, -0.2, 0.2])  # a small per-seed wobble, so that tests have a spread


def verdicts(rows):
    return [r.verdict for r in rows]


def per_task(values, jitter=True) -> np.ndarray:
    """(SEEDS, 9) scores: the per-task values on every seed, plus the per-seed wobble."""
    v = np.broadcast_to(np.asarray(values, float), (9,))
    return v[None, :] + (JITTER[:, None] if jitter else 0.0)


def acc(trivial=50.0, **per_method):
    dec = {m: per_task(per_method.get(m, np.full(9, 60.0))) for m in METHODS}
    return claims.Accuracy(dec, {m: per_task(trivial, False) for m in METHODS}, {m: per_task(80.0) for m in METHODS})


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
    # one method tied: the weakest comparison decides
    mixed = claims.accuracy_verdicts(acc(molap=[70.0] * 9, dni=[70.0] * 9))[1]
    assert mixed.verdict == "equivalent"


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
    fast, slow = per_task(250.0, False), per_task(2000.0, False) + JITTER[:, None] * 100
    rows = claims.speed_verdicts({"molap": fast, "random": slow, "pca": slow, "separate": slow}, 10000)
    assert rows[0].verdict == "better" and "margin +-500 steps" in rows[0].ours
    assert claims.speed_verdicts({"molap": slow, "random": fast, "pca": slow, "separate": slow}, 10000)[0].verdict == "worse"


def sweeps(score, intact=None):
    """{(kind, method): (levels, (SEEDS, levels, 9))}: score(kind, method, level) + each method's
    intact accuracy ``intact[m]`` (default 100), the same on every task, with the seed wobble."""
    out = {}
    for k in KINDS:
        lv = np.array([0.0, 0.01, 0.02, 0.03]) if k == "noise" else np.arange(0.0, 55.0, 5.0)
        for m in METHODS:
            base = (intact or {}).get(m, 100.0)
            a = np.array([[base - score(k, m, x)] * 9 for x in lv])  # (levels, 9)
            out[(k, m)] = (lv, a[None] + JITTER[:, None, None] * (lv[None, :, None] > 0) * (1 + (m == "molap")))
    return out


def drops(per_method):
    def score(kind, m, lv):
        d = per_method[m] * (2 if kind == "inter" else 0.5 if kind == "m2" else 1.0)
        return d * (lv * 100 if kind == "noise" else lv)
    return score


def test_lesion_rules_when_molap_loses_least():
    rows = claims.lesion_verdicts(sweeps(drops({"molap": 0.5, "random": 1.0, "pca": 1.0, "separate": 0.5,
                                               "dni": 2.0})), np.full(SEEDS, 95.0))
    by = {r.claim: r for r in rows}
    assert by["T9, M1 lesions up to 10%: MoLaP loses less than DNI"].verdict == "better"
    assert by["T9, M1 lesions up to 10%: MoLaP comparable to separate networks"].verdict == "equivalent"
    assert by["T9, M2 lesions: MoLaP loses less than DNI and separate networks"].verdict == "equivalent"  # ties separate
    assert by["T9 at 30% lesioned: M2 lesions hurt MoLaP less than M1"].verdict == "better"
    assert by["T9 at 30% M2 lesioned: the fixation output stays high (MoLaP)"].verdict == "reproduced"
    assert by["Inter-module lesions hurt more than intra-module ones at 30%"].verdict == "better"
    assert all(r.n_seeds == SEEDS for r in rows)


def test_robustness_is_judged_against_each_networks_own_intact_accuracy():
    # DNI learned less (60% intact) but loses as little as MoLaP: not less robust
    sw = sweeps(drops({m: 0.5 for m in METHODS}), intact={"dni": 60.0})
    row = claims.lesion_verdicts(sw, np.full(SEEDS, 95.0))[0]
    assert row.verdict == "equivalent", row.ours


def test_noise_robustness_allows_five_points_and_fixation_must_exceed_90():
    def rows(per_sigma, fixation=90.0):
        return claims.lesion_verdicts(sweeps(lambda k, m, lv: per_sigma * lv if k == "noise" else lv),
                                      np.full(SEEDS, fixation))
    assert rows(160.0)[8].verdict == "reproduced"  # 4.8 points at 0.03
    assert rows(170.0)[8].verdict == "not reproduced"  # 5.1 points
    assert rows(160.0)[4].verdict == "not reproduced"  # exactly 90 is not above 90


def test_a_sweep_must_start_intact():
    sw = sweeps(drops({m: 1.0 for m in METHODS}))
    lv, a = sw[("m1", "molap")]
    sw[("m1", "molap")] = (lv[1:], a[:, 1:])
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


def test_weakest_and_as_paper_says():
    better, tie = verdict([3.0, 3.5, 2.8, 3.2, 3.1]), verdict([0.1, -0.1, 0.0, 0.05, -0.05])
    assert claims.weakest([("a", better), ("b", tie)])[0] == "b"
    c = claims.compared("x", "y", [("a", better)], "ch", 5)
    assert claims.as_paper_says(c) and not claims.as_paper_says(claims.compared("x", "y", [("b", tie)], "ch", 5))


def test_counts_are_inconsistent_by_the_printed_factor_of_ten():
    rows = claims.count_claims(None)
    assert rows[0].verdict == "inconsistent" and "10x" in rows[0].ours
    assert rows[1].verdict == "reproduced" and rows[2].verdict == "not reproduced"
    assert all(r.n_seeds is None and r.kind == "measurement" for r in rows)


def test_section_lookup():
    with pytest.raises(claims.MolapError, match="unknown claims section"):
        claims.section("tiny", "Nope")
