"""Paired verdicts over seeds (molap.analysis.compare.verdict): t-test, equivalence by two one-sided tests."""

import numpy as np
import pytest
from scipy import stats

from molap.analysis import compare


def test_a_clear_difference_is_better_or_worse_with_the_t_tests_p_and_interval():
    d = [5.0, 6.0, 4.5, 5.5, 6.5]
    v = compare.verdict(d)
    t = stats.ttest_1samp(d, 0.0)
    assert v.verdict == "better" and v.n == 5 and v.p == pytest.approx(t.pvalue)
    lo, hi = t.confidence_interval(0.95)
    assert v.ci == pytest.approx((lo, hi)) and v.effect == pytest.approx(5.5)
    assert compare.verdict([-x for x in d]).verdict == "worse"


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
    assert compare.verdict([3.0] * 5).verdict == "better" and compare.verdict([3.0] * 5).p == 0.0
    with pytest.raises(ValueError, match="finite"):
        compare.verdict([1.0, float("nan")])
    with pytest.raises(ValueError, match="margin must be a positive"):
        compare.verdict([0.0] * 5, margin=0.0)
