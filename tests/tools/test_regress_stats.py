"""tools/regress_stats.py: the rank test and the bootstrap interval."""
import os
import sys

import pytest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))),
                                'tools'))
import regress_stats as rs  # noqa: E402


def test_exact_p_three_against_three():
    # every current value above every baseline value: 1 split of 20
    assert rs.mann_whitney_greater([4, 5, 6], [1, 2, 3]) == pytest.approx(1 / 20)
    assert rs.mann_whitney_greater([1, 2, 3], [4, 5, 6]) == pytest.approx(1.0)
    # one overlap: U = 8 of 9; splits with U >= 8: 2 of 20
    assert rs.mann_whitney_greater([2.5, 5, 6], [1, 2, 3]) == pytest.approx(2 / 20)


def test_ties_count_half():
    assert rs.u_greater([1, 2], [1, 2]) == 2.0
    p = rs.mann_whitney_greater([1, 1, 1], [1, 1, 1])
    assert p == pytest.approx(1.0)


def test_one_sample_can_never_be_significant():
    assert rs.mann_whitney_greater([100], [1, 2, 3]) == pytest.approx(1 / 4)


def test_large_samples_exact():
    c = [10 + i * 0.1 for i in range(30)]
    b = [i * 0.1 for i in range(30)]
    assert rs.mann_whitney_greater(c, b) < 1e-6
    assert rs.mann_whitney_greater(b, c) > 0.999


def test_bootstrap_interval_is_deterministic_and_brackets_the_ratio():
    b, c = [10, 11, 12, 10.5, 11.5], [20, 22, 21, 23, 19]
    lo, hi = rs.bootstrap_ratio(c, b)
    assert (lo, hi) == rs.bootstrap_ratio(c, b)
    assert lo <= 21 / 11 <= hi and lo > 1.5 and hi < 2.5
    lo, hi = rs.bootstrap_ratio([1, 2], [0, 0])   # a zero median is a value: x/0 = inf
    assert lo == hi == float("inf")


def test_judge():
    assert rs.judge([4, 5, 6], [1, 2, 3], higher_is_better=False)['verdict'] == 'REGRESSED'
    assert rs.judge([4, 5, 6], [1, 2, 3], higher_is_better=True)['verdict'] == 'IMPROVED'
    assert rs.judge([1, 2, 3.5], [1, 2, 3], higher_is_better=False)['verdict'] == 'PASS'
    # separated but by less than min_effect
    assert rs.judge([1.02, 1.021, 1.022], [1.0, 1.001, 1.002], False)['verdict'] == 'PASS'
    with pytest.raises(ValueError):
        rs.mann_whitney_greater([], [1])
