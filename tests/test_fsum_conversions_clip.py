"""``math.fsum`` of a list (s2sdiff/extrema.py), the conversions ``np.float64``/``np.float32``
(rows of the rule table, also checked by tests/test_array_rules.py) and ``np.clip`` at its
bounds (the tie share of ``np.maximum``/``np.minimum``): closed forms, SymPy, central
differences, forward against reverse mode, hessians, dtypes and refusals."""

import math
from math import fsum

import numpy as np
import pytest

from s2sdiff import (UnsupportedError, derivative, grad, hessian, jvp, value_and_grad,
                     verify)

# --- math.fsum ---------------------------------------------------------------------------


def fsum_of_a_display(a, b, c):
    return math.fsum([a, b * b, c]) * a


def fsum_of_a_generator(xs):
    return fsum(v * v for v in xs)


def fsum_of_a_list(xs, y):
    return math.fsum(xs) * y


def fsum_in_a_loop(xs, w):
    total = 0.0
    for k in range(3):
        total = total + math.fsum([w * v - k for v in xs]) ** 2
    return total


def test_fsum_closed_forms_both_modes_and_sympy():
    a, b, c = 1.5, -2.0, 0.25
    expected = (2 * a + b * b + c, 2 * b * a, a)
    assert grad(fsum_of_a_display)(a, b, c) == expected
    assert derivative(fsum_of_a_display)(a, b, c) == expected
    assert np.allclose(hessian(fsum_of_a_display)(a, b, c),
                       [[2.0, 2 * b, 1.0], [2 * b, 2 * a, 0.0], [1.0, 0.0, 0.0]], rtol=1e-15)
    verify(fsum_of_a_display)             # SymPy reads math.fsum as a sum


def test_fsum_keeps_its_value_bit_for_bit():
    xs = [0.1] * 10                       # fsum gives 1.0, sum 0.9999999999999999
    value, gradient = value_and_grad(fsum_of_a_list)(xs, 2.0)
    assert value == 2.0 and gradient == ([2.0] * 10, 1.0)
    value, tangent = jvp(fsum_of_a_list, (xs, 2.0), ([0.1] * 10, 0.0))
    assert value == 2.0 and tangent == 2.0                  # 2 * fsum([0.1] * 10)
    assert "math.fsum(xs)" in grad(fsum_of_a_list).source


def test_fsum_of_a_generator_and_in_a_loop():
    xs = [3.0, -1.0, 2.0]
    assert grad(fsum_of_a_generator)(xs) == [6.0, -2.0, 4.0]
    assert jvp(fsum_of_a_generator, (xs,), ([1.0, 1.0, 1.0],)) == (14.0, 8.0)
    assert np.allclose(hessian(fsum_of_a_generator)(xs), 2 * np.eye(3))
    w, h = 0.7, 1e-6
    gx, gw = grad(fsum_in_a_loop)(list(xs), w)
    numeric = (fsum_in_a_loop(xs, w + h) - fsum_in_a_loop(xs, w - h)) / (2 * h)
    assert gw == pytest.approx(numeric, rel=1e-8)
    # d/dx_i = sum_k 2 * S_k * w, S_k = w * sum(xs) - 3 k
    assert gx == pytest.approx([sum(2 * (w * 4.0 - 3 * k) * w for k in range(3))] * 3,
                               rel=1e-14)


def test_fsum_of_an_empty_list_and_of_one_element():
    assert value_and_grad(fsum_of_a_list)([], 2.0) == (0.0, ([], 0.0))
    assert value_and_grad(fsum_of_a_list)([1.5], 2.0) == (3.0, ([2.0], 1.5))


def fsum_in_numpy_code(x):
    return math.fsum(x) * np.sum(x)


def fsum_of_data_in_numpy_code(x, w):
    return math.fsum(w) * np.sum(x)


def test_fsum_in_numpy_code_is_refused_on_differentiated_values_only():
    with pytest.raises(UnsupportedError) as error:
        grad(fsum_in_numpy_code)(np.array([1.0, 2.0]))
    assert error.value.construct == "call to math.fsum"
    assert "np.sum" in error.value.hint
    x = np.array([1.0, 2.0])
    assert np.array_equal(grad(fsum_of_data_in_numpy_code, wrt=0)(x, [0.5, 0.25]), [0.75] * 2)


# --- np.float64, np.float32, float() -----------------------------------------------------

def through_float64(a):
    return float(np.float64(a) * 2.0) * a


def through_float32(a):
    y = np.float32(a)
    return float(y * y)


def array_through_float32(x):
    return np.sum(np.float32(x) ** 2)


def array_through_float64(x):
    return np.sum(np.float64(x) * x)


def test_conversions_of_numbers():
    assert grad(through_float64)(3.0) == 12.0
    assert derivative(through_float64)(3.0) == 12.0
    assert hessian(through_float64)(3.0) == 4.0
    assert grad(through_float32)(3.0) == 6.0            # 3.0 is exact in float32
    assert hessian(through_float32)(3.0) == 2.0


def test_float32_conversion_of_a_float64_array():
    x = np.array([0.1, 2.0, -1.5])
    gradient = grad(array_through_float32)(x)
    assert gradient.dtype == np.float64                 # the parameter's dtype
    assert np.allclose(gradient, 2 * x.astype(np.float32), rtol=0, atol=0)
    value, tangent = jvp(array_through_float32, (x,), (np.ones(3),))
    assert value.dtype == tangent.dtype == np.float32   # the output's
    assert tangent == pytest.approx(np.sum(2 * x), rel=1e-6)


def test_float64_conversion_of_a_float32_array():
    x = np.array([0.5, -2.0], np.float32)
    gradient = grad(array_through_float64)(x)
    assert gradient.dtype == np.float32
    assert np.array_equal(gradient, 2 * x)
    assert jvp(array_through_float64, (x,), (np.ones(2, np.float32),))[1] == pytest.approx(-3.0)


def float_of_a_numpy_number(x):
    return float(np.sum(x ** 2)) * 2.0


def float_of_a_float64(x):
    return float(np.float64(np.sum(x)) ** 2)


def test_float_of_numpy_numbers_in_numpy_code():
    x, u = np.array([1.0, -3.0, 2.5]), np.array([0.5, 1.0, -2.0])
    assert np.array_equal(grad(float_of_a_numpy_number)(x), 4 * x)
    assert jvp(float_of_a_numpy_number, (x,), (u,))[1] == pytest.approx(4 * x @ u, rel=1e-15)
    assert np.array_equal(hessian(float_of_a_numpy_number)(x), 4 * np.eye(3))
    assert np.array_equal(grad(float_of_a_float64)(x), np.full(3, 2 * np.sum(x)))
    assert np.array_equal(hessian(float_of_a_float64)(x), np.full((3, 3), 2.0))


# --- np.clip at its bounds -----------------------------------------------------------------

WEIGHTS = np.arange(1.0, 6.0)


def clipped(x):
    return np.sum(np.clip(x, 0.0, 1.0) * WEIGHTS)


def composed(x):
    return np.sum(np.minimum(np.maximum(x, 0.0), 1.0) * WEIGHTS)


def clipped_method_one_sided(x):
    return np.sum(x.clip(0.0, None) ** 2)


def clipped_to_a_point(x):
    return np.sum(np.clip(x, 0.5, 0.5))


def clipped_by_arrays(x, low, high):
    return np.sum(np.clip(x, low, high) ** 2)


X = np.array([-1.0, 0.0, 0.5, 1.0, 2.0])


def test_clip_takes_half_at_a_bound_as_maximum_and_minimum_do():
    expected = np.array([0.0, 0.5 * 2, 3.0, 0.5 * 4, 0.0])
    assert np.array_equal(grad(clipped)(X), expected)
    assert np.array_equal(grad(composed)(X), expected)       # JAX's definition of clip
    for u in (np.ones(5), np.array([0.3, -1.0, 2.0, 0.5, 4.0])):
        assert jvp(clipped, (X,), (u,))[1] == pytest.approx(expected @ u, rel=1e-15)
        assert jvp(clipped, (X,), (u,))[1] == pytest.approx(jvp(composed, (X,), (u,))[1],
                                                             rel=1e-15)


def test_clip_away_from_the_bounds_against_central_differences():
    x, h = np.array([-0.7, 0.2, 0.6, 1.3, 0.9]), 1e-6
    numeric = [(clipped(x + h * e) - clipped(x - h * e)) / (2 * h) for e in np.eye(5)]
    assert np.allclose(grad(clipped)(x), numeric, atol=1e-8)


def test_one_sided_clip_and_a_point_interval():
    assert np.array_equal(grad(clipped_method_one_sided)(X), [0.0, 0.0, 1.0, 2.0, 4.0])
    assert jvp(clipped_method_one_sided, (X,), (np.ones(5),))[1] == 7.0
    # clip(x, c, c) is min(max(x, c), c): a tie in both at x == c, 1/2 * 1/2
    assert np.array_equal(grad(clipped_to_a_point)(X), [0.0, 0.0, 0.25, 0.0, 0.0])


def test_clip_by_array_bounds_at_their_ties():
    low, high = np.array([0.0, 0.5, 0.5]), np.array([1.0, 1.0, 0.5])
    x = np.array([0.0, 1.0, 0.5])
    expected = 2 * np.clip(x, low, high) * np.array([0.5, 0.5, 0.25])
    assert np.array_equal(grad(clipped_by_arrays, wrt=0)(x, low, high), expected)
    assert np.allclose(hessian(clipped_by_arrays, wrt=0)(x, low, high),
                       np.diag(2 * np.array([0.5, 0.5, 0.25]) ** 2))


def test_clip_source_shows_the_tie_shares():
    source = grad(clipped).specialize(X).source
    assert "np.where(x == 0.0, 0.5, x > 0.0)" in source
    assert "np.where(x == 1.0, 0.5, x < 1.0)" in source
