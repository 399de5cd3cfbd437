"""Parameters whose value is data: ints used as counts (``steps=5`` in ``range(steps)``).

Forward mode takes an int count as reverse mode does.  Values against closed forms."""

import numpy as np
import pytest

from s2sdiff import ArgumentError, derivative, grad, jacfwd, jacobian, jacrev

def euler(x0, k, steps=5):
    x = x0
    for _ in range(steps):
        x = x - 0.1 * k * x
    return x


def between(x, lo, hi):
    total = 0.0
    for i in range(lo, hi):
        total = total + i * x * x
    return total


# -- an int count with a default: forward mode as reverse mode ------------------------


def test_derivative_of_a_loop_count_with_a_default():
    expected = (0.8 ** 5, -0.5 * 0.8 ** 4, 0.0)           # x0 (1 - 0.1 k)^steps, steps constant
    assert derivative(euler)(1.0, 2.0) == pytest.approx(expected, rel=1e-14)
    assert grad(euler)(1.0, 2.0) == pytest.approx(expected, rel=1e-14)
    assert np.allclose(jacfwd(euler)(1.0, 2.0), expected, rtol=1e-14)
    assert np.allclose(jacrev(euler)(1.0, 2.0), expected, rtol=1e-14)
    assert np.allclose(jacobian(euler)(1.0, 2.0), expected, rtol=1e-14)


def test_derivative_of_a_loop_count_passed():
    d = derivative(euler, wrt=(0, 1))(1.0, 2.0, 3)
    assert d == pytest.approx((0.8 ** 3, -0.3 * 0.8 ** 2), rel=1e-14)
    assert np.allclose(jacfwd(euler)(1.0, 2.0, 3), (0.8 ** 3, -0.3 * 0.8 ** 2, 0.0), rtol=1e-14)


def test_derivative_of_a_range_with_start_and_stop_parameters():
    # sum_{i=2}^{4} i x^2 = 9 x^2
    assert derivative(between)(1.5, 2, 5) == pytest.approx((27.0, 0.0, 0.0), rel=1e-14)
    assert derivative(between, wrt="x")(1.5, 2, 5) == grad(between, wrt="x")(1.5, 2, 5)


def test_a_list_for_a_loop_count_is_refused_by_name():
    with pytest.raises(ArgumentError, match="argument 'steps' of euler .*got list"):
        derivative(euler)(1.0, 2.0, [1, 2])
