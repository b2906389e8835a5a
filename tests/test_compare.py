"""Paired verdicts over seeds (molap.analysis.compare.verdict): t-test and exact sign-flip test,
equivalence by two one-sided tests, Holm's correction, the detectable effect."""

import numpy as np
import pytest
from scipy import stats

from molap.analysis import compare


def test_a_clear_difference_is_better_or_worse_with_the_t_tests_p_and_interval():
    d = [5.0, 6.0, 4.5, 5.5, 6.5, 5.0, 6.0, 4.5, 5.5, 6.5]
    v = compare.verdict(d)
    t = stats.ttest_1samp(d, 0.0)
    assert v.verdict == "better" and v.n == 10 and v.p == pytest.approx(t.pvalue)
    assert v.p_exact == pytest.approx(2 / 2 ** 10)  # every sign pattern but all-plus and all-minus is smaller
    lo, hi = t.confidence_interval(0.95)
    assert v.ci == pytest.approx((lo, hi)) and v.effect == pytest.approx(5.5)
    assert compare.verdict([-x for x in d]).verdict == "worse"


def test_five_seeds_can_never_pass_the_exact_test():
    v = compare.verdict([5.0, 6.0, 4.5, 5.5, 6.5])
    assert v.p < 0.001 and v.p_exact == 0.0625 and v.verdict == "inconclusive"
    assert v.p_difference == 0.0625


def test_sign_flip_p_matches_a_hand_count():
    # |mean| of the 8 sign patterns of (1, 2, 3): 2, 4/3, 2/3, 0, 0, 2/3, 4/3, 2 -> 2 of 8 at least 2
    assert compare.sign_flip_p([1.0, 2.0, 3.0]) == 0.25
    assert compare.sign_flip_p([0.0, 0.0]) == 1.0
    big = np.arange(1.0, 26.0)  # above the enumeration limit: drawn, deterministic
    assert compare.sign_flip_p(big) == compare.sign_flip_p(big) < 0.001


def test_holm_adjusts_step_down_and_keeps_nan_out():
    assert compare.holm([0.01, 0.04, np.nan, 0.03]) == pytest.approx([0.03, 0.06, np.nan, 0.06], nan_ok=True)
    assert compare.holm([0.5]) == pytest.approx([0.5]) and compare.holm([0.6, 0.9]) == pytest.approx([1.0, 1.0])


def test_detectable_effect_has_the_stated_power_by_simulation():
    rng = np.random.default_rng(0)
    n, sd = 8, 2.0
    delta = compare.detectable_effect(sd, n)
    p = stats.ttest_1samp(rng.normal(delta, sd, (4000, n)), 0.0, axis=1).pvalue
    assert 0.75 < np.mean(p < 0.05) < 0.85  # the approximation is close to 80% at this n
    assert compare.verdict(rng.normal(0, sd, n)).detectable > 0


def test_a_small_tight_difference_is_equivalent_within_the_margin():
    d = [0.3, -0.2, 0.1, 0.4, -0.1]
    v = compare.verdict(d)
    assert v.verdict == "equivalent" and v.p_equivalent < 0.05 and v.margin == 2.0
    assert -2.0 < v.ci_equivalence[0] < v.ci_equivalence[1] < 2.0  # the 90% interval inside the margin
    assert v.ci[0] < v.ci_equivalence[0]  # the 95% interval is wider
    # the same differences judged with a margin they do not fit in are not equivalent
    assert compare.verdict(d, margin=0.1).verdict == "inconclusive"


def test_two_one_sided_tests_match_scipy():
    d = np.array([1.0, -0.5, 2.0, 0.5, 1.5])
    v = compare.verdict(d, margin=2.0)
    upper = stats.ttest_1samp(d, 2.0, alternative="less").pvalue
    lower = stats.ttest_1samp(d, -2.0, alternative="greater").pvalue
    assert v.p_equivalent == pytest.approx(max(upper, lower))


def test_noisy_or_too_few_pairs_are_inconclusive_and_zero_spread_is_exact():
    assert compare.verdict([8.0, -7.0, 6.0, -9.0, 3.0]).verdict == "inconclusive"
    assert compare.verdict([3.0]).verdict == "inconclusive" and np.isnan(compare.verdict([3.0]).p)
    assert compare.verdict([0.0] * 5).verdict == "equivalent"  # both at 100% on every seed
    same = compare.verdict([3.0] * 5)  # no spread: no t-test; the exact test cannot reach 0.05 with 5 pairs
    assert same.verdict == "inconclusive" and np.isnan(same.p) and same.p_exact == 0.0625
    assert compare.verdict([3.0] * 6).verdict == "better"  # 2 / 64 < 0.05
    with pytest.raises(ValueError, match="finite"):
        compare.verdict([1.0, float("nan")])
    with pytest.raises(ValueError, match="margin must be a positive"):
        compare.verdict([0.0] * 5, margin=0.0)


def test_sign_flip_p_enumerates_twenty_pairs_in_blocks_like_one_matrix():
    rng = np.random.default_rng(3)
    d = rng.normal(0.3, 1.0, 18)
    signs = 1 - 2 * ((np.arange(2 ** 18)[:, None] >> np.arange(18)) & 1)
    assert compare.sign_flip_p(d) == pytest.approx(np.mean(np.abs(signs @ d) >= abs(d.sum()) - 1e-9))
    assert compare.sign_flip_p(np.ones(20)) == pytest.approx(2 / 2 ** 20)
