"""Parameters whose value is data: None (``axis=None``, ``ord=None``, ``weights=None``,
``scale=None`` with ``if scale is None:``) and ints used as counts (``steps=5`` in
``range(steps)``).

A parameter left out of wrt= (by name, or by ``wrt=None`` for a None default) may be
given None: the code is generated for it being None.  Naming it in wrt= and passing None
is an ``ArgumentError`` that names it.  Forward mode takes an int count as reverse mode
does.  Values against closed forms and central differences."""

import numpy as np
import pytest

from differences import central
from s2sdiff import (ArgumentError, derivative, grad, hessian, jacfwd, jacobian, jacrev, jvp,
                     value_and_grad, vjp)

X = np.arange(6.0).reshape(2, 3)
RNG = np.random.default_rng(7)


def spread(x, axis=None):
    return np.sum(np.sum(x, axis=axis) ** 2)


def outer(x):
    return spread(x)


def norm_of(x, ord=None):
    return np.linalg.norm(x, ord)


def mean_squared(x, weights=None):
    return np.average(x, weights=weights) ** 2


def weighted(x, w=None):
    if w is None:
        w = np.ones_like(x)
    return np.sum(w * x ** 2)


def centred(x, axis=None):
    m = np.mean(x, axis=axis, keepdims=True)
    if axis is None:
        axis = -1
    return np.sum(np.sum((x - m) ** 2, axis=axis) ** 2)


def scaled(x, z=None):
    if z is None:
        z = 2.0
    return x * z * x


def two(x, y, axis=None):
    return np.sum(np.sum(x * y, axis=axis) ** 2)


def spread_by(x, axis):
    return np.sum(np.sum(x, axis=axis) ** 2)


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


# -- None given to a parameter left out of wrt= ---------------------------------------


@pytest.mark.parametrize("call", [lambda: grad(spread)(X), lambda: grad(spread, wrt="x")(X),
                                  lambda: grad(spread, wrt=0)(X, None),
                                  lambda: grad(spread, wrt="x")(X, axis=None),
                                  lambda: grad(outer)(X)])
def test_axis_none_at_the_top_level(call):
    assert np.array_equal(call(), 2 * X.sum() * np.ones_like(X))      # d (sum x)^2


def test_the_same_gradient_takes_none_then_an_axis_then_none():
    g = grad(spread, wrt="x")
    assert np.array_equal(g(X), np.full_like(X, 30.0))
    assert np.array_equal(g(X, 0), np.broadcast_to(2 * X.sum(axis=0), X.shape))
    assert np.array_equal(g(X, 1), np.broadcast_to(2 * X.sum(axis=1)[:, None], X.shape))
    assert np.array_equal(g(X, None), np.full_like(X, 30.0))
    assert "np.sum(x, axis=None)" in g.specialize(X).source          # specialised on None


@pytest.mark.parametrize("x", [np.array([3.0, 4.0]), RNG.normal(size=(3, 2))])
def test_ord_none(x):
    assert np.allclose(grad(norm_of)(x), x / np.sqrt(np.sum(x ** 2)), rtol=1e-14)


def test_weights_none_and_given():
    x = np.array([1.0, 2.0, 4.0])
    assert np.allclose(grad(mean_squared)(x), 2 * x.mean() / 3 * np.ones(3), rtol=1e-14)
    w = np.array([1.0, 3.0, 0.5])
    expected = central(lambda v: mean_squared(v, w), (x,), 0)
    assert np.allclose(grad(mean_squared, wrt="x")(x, w), expected, rtol=1e-7)


def test_an_optional_array_given_its_default_in_numpy_code():
    """``if w is None: w = np.ones_like(x)`` keeps the arm Python takes (it was refused:
    ``w`` "an array on one path and another value on another")."""
    x = np.array([1.0, -2.0, 3.0])
    assert np.array_equal(grad(weighted)(x), 2 * x)
    assert np.array_equal(grad(weighted)(x, None), 2 * x)
    w = np.array([0.5, 0.0, 2.0])
    assert np.array_equal(grad(weighted, wrt="x")(x, w), 2 * w * x)
    gx, gw = grad(weighted, wrt=("x", "w"))(x, w)
    assert np.array_equal(gx, 2 * w * x) and np.array_equal(gw, x ** 2)


def test_an_axis_rebound_after_its_none_test():
    x = RNG.normal(size=(2, 3))
    expected = central(lambda v: centred(v), (x,), 0)
    assert np.allclose(grad(centred)(x), expected, rtol=1e-6, atol=1e-8)


def test_wrt_none_leaves_out_a_none_default_in_scalar_code():
    """The ``if z is None: z = 2.0`` idiom under the default wrt (it said "pass a real
    number" for a default the user never passed)."""
    assert grad(scaled)(0.5) == 2.0                                    # 2 z x
    assert grad(scaled)(0.5, 3.0) == 3.0
    assert value_and_grad(scaled)(0.5) == (0.5, 2.0)
    assert derivative(scaled)(0.5) == 2.0
    assert hessian(scaled)(0.5) == 4.0
    assert grad(scaled, wrt=("x", "z"))(0.5, 3.0) == (3.0, 0.25)


def test_wrt_none_result_keeps_the_other_parameters_in_order():
    x, y = RNG.normal(size=(2, 3)), RNG.normal(size=(2, 3))
    gx, gy = grad(two)(x, y)
    s = np.sum(x * y)
    assert np.allclose(gx, 2 * s * y, rtol=1e-13) and np.allclose(gy, 2 * s * x, rtol=1e-13)


def test_vjp_and_jvp_read_a_none_default_as_data():
    value, pullback = vjp(spread, X)
    assert value == 225.0
    (dx,) = pullback(1.0)
    assert np.array_equal(dx, np.full_like(X, 30.0))
    value, tangent = jvp(spread, (X, None), (np.ones_like(X), None))
    assert (value, tangent) == (225.0, 2 * 15.0 * 6)
    value, tangent = jvp(spread, (X, 1), (np.ones_like(X), 0))
    assert (value, tangent) == (153.0, 2 * (3.0 * 3 + 12.0 * 3))


# -- None given to a differentiated parameter ----------------------------------------


@pytest.mark.parametrize("call, name", [
    (lambda: grad(spread, wrt="axis")(X), "axis"),
    (lambda: grad(spread, wrt=("x", "axis"))(X, None), "axis"),
    (lambda: grad(spread_by)(X, None), "axis"),                  # no default: differentiated
    (lambda: grad(scaled, wrt="z")(0.5), "z"),
    (lambda: grad(scaled, wrt=(0, 1))(0.5, None), "z")])
def test_none_for_a_differentiated_parameter_is_refused_by_name(call, name):
    with pytest.raises(ArgumentError) as caught:
        call()
    message = str(caught.value)
    assert f"argument {name!r}" in message and "None" in message
    assert "out of wrt=" in message


def test_none_passed_where_a_parameter_without_default_is_left_out():
    assert np.array_equal(grad(spread_by, wrt="x")(X, None), np.full_like(X, 30.0))


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
