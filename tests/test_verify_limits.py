"""``verify`` on unrolled loops: SymPy's expression trees grow exponentially with the
number of steps.  Up to ``VERIFY_SIZE_LIMIT`` nodes the comparison is symbolic (``expand``
first, which settles identical compositions at once; a large difference ``expand`` does
not cancel is compared at random points); past it verify refuses at once, naming
check_grad, rather than running for minutes."""

import math

import pytest

from s2sdiff import S2SDiffError, check_grad, verify
from s2sdiff.check import verify_function


def six_steps(x, y):
    s = x
    for _ in range(6):
        s = math.sin(s) * y + 0.5 * s
    return s


def twenty_steps(x, y):
    s = x
    for _ in range(20):
        s = math.sin(s) * y + 0.5 * s
    return s


def six_steps_by_hand_wrong(x, y):
    """Forward-mode derivatives by hand, d/dy off by 0.1%."""
    s, ds_dx, ds_dy = x, 1.0, 0.0
    for _ in range(6):
        slope = math.cos(s) * y + 0.5
        ds_dx, ds_dy = slope * ds_dx, slope * ds_dy + math.sin(s)
        s = math.sin(s) * y + 0.5 * s
    return ds_dx, ds_dy * 1.001


def test_six_steps_are_verified_symbolically():
    report = verify(six_steps)
    assert [how for *_, how in report.rows] == ["simplified to 0", "simplified to 0"]


def test_a_wrong_gradient_of_six_steps_is_still_caught():
    with pytest.raises(AssertionError, match="d/dy differs"):
        verify_function(six_steps, six_steps_by_hand_wrong)


def test_twenty_steps_are_refused_with_check_grad_named():
    with pytest.raises(S2SDiffError, match="too large") as caught:
        verify(twenty_steps)
    assert "check_grad(twenty_steps" in str(caught.value)
    assert check_grad(twenty_steps, 0.3, 0.7)     # the numerical check it names
