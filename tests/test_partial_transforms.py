"""``grad`` (``value_and_grad``, ``derivative``, the Jacobians, ``hessian``) of a
``functools.partial`` object, as JAX users write it: ``grad(partial(loss, X=X, y=y))``.
The result is the code generated for the partial's function, with respect to the
parameters the partial leaves (or ``wrt`` names, counted among the partial's own), called
with the bound arguments.  Checked against closed forms and central differences."""
import functools
import math

import numpy as np
import pytest

from s2sdiff import (S2SDiffError, UnsupportedError, derivative, grad, hessian, jacfwd,
                     jacobian, jacrev, jvp, value_and_grad, vjp)

R = 8.314


def arrhenius(T, A, Ea):
    return A * math.exp(-Ea / (R * T))


def mean_squared_error(w, X, y):
    return np.mean((np.tanh(X @ w) - y) ** 2)


def scaled(s, x, y):
    return s * math.sin(x) * y


def polar(r, theta, scale):
    return scale * r * math.cos(theta), scale * r * math.sin(theta)


rate = functools.partial(arrhenius, A=1e7, Ea=5e4)
RNG = np.random.default_rng(3)
X, Y, W = RNG.normal(size=(6, 3)), RNG.normal(size=6), RNG.normal(size=3)


def test_keywords_bound_a_number():
    T = 310.0
    expected = 1e7 * math.exp(-5e4 / (R * T)) * 5e4 / (R * T * T)
    assert grad(rate)(T) == pytest.approx(expected, rel=1e-12)
    assert derivative(rate)(T) == pytest.approx(expected, rel=1e-12)
    value, gradient = value_and_grad(rate)(T)
    assert value == pytest.approx(rate(T), rel=1e-12)
    assert gradient == pytest.approx(expected, rel=1e-12)
    # a bound keyword may still be differentiated: its value is the bound one
    assert grad(rate, wrt="A")(T) == pytest.approx(math.exp(-5e4 / (R * T)), rel=1e-12)
    assert "def grad_arrhenius(T, A, Ea):" in grad(rate).source


def test_second_derivative_of_a_partial():
    T, h = 310.0, 1e-3
    g = grad(rate)
    assert hessian(rate)(T) == pytest.approx((g(T + h) - g(T - h)) / (2 * h), rel=1e-6)


def test_numpy_loss_with_its_data_bound():
    loss = functools.partial(mean_squared_error, X=X, y=Y)
    h = 1e-6
    expected = [(loss(W + h * e) - loss(W - h * e)) / (2 * h) for e in np.eye(3)]
    np.testing.assert_allclose(grad(loss)(W), expected, rtol=1e-6, atol=1e-9)
    g = grad(loss)
    H = np.array([(g(W + 1e-5 * e) - g(W - 1e-5 * e)) / 2e-5 for e in np.eye(3)])
    np.testing.assert_allclose(hessian(loss)(W), H, rtol=1e-5, atol=1e-7)


def test_positional_arguments_bound():
    doubled = functools.partial(scaled, 2.0)
    x, y = 0.3, 1.5
    dx, dy = grad(doubled)(x, y)
    assert (dx, dy) == pytest.approx((2 * math.cos(x) * y, 2 * math.sin(x)), rel=1e-12)
    assert grad(doubled, wrt=0)(x, y) == pytest.approx(2 * math.cos(x) * y, rel=1e-12)
    assert grad(doubled, wrt="y")(x, y) == pytest.approx(2 * math.sin(x), rel=1e-12)


@pytest.mark.parametrize("transform", [jacobian, jacfwd, jacrev])
def test_jacobians_of_a_partial(transform):
    r, theta = 1.5, 0.4
    to_cartesian = functools.partial(polar, scale=2.0)
    expected = np.array([[2 * math.cos(theta), -2 * r * math.sin(theta)],
                         [2 * math.sin(theta), 2 * r * math.cos(theta)]])
    np.testing.assert_allclose(np.array(transform(to_cartesian)(r, theta)), expected,
                               rtol=1e-12)


def test_a_partial_binding_everything_says_so():
    with pytest.raises(S2SDiffError, match="nothing to differentiate"):
        grad(functools.partial(scaled, 1.0, 2.0, 3.0))


@pytest.mark.parametrize("call", [lambda: vjp(rate, 300.0),
                                  lambda: jvp(rate, (300.0,), (1.0,))])
def test_vjp_and_jvp_refuse_a_partial_clearly(call):
    with pytest.raises(UnsupportedError) as error:
        call()
    assert "functools.partial" in str(error.value) and "def g(x)" in str(error.value)
