"""Scalar helpers given a function as an argument (``rk4_step(decay, y, t, h)``,
``apply_twice(math.sin, x)``): the helper is inlined, and calls the function passed.

Oracles: closed forms, and for the linear ODE the forward value itself (the solution is
linear in its initial value, so d y_final / d y0 = y_final(y0 = 1))."""

import math

import numpy as np
import pytest

from s2sdiff import S2SDiffError, grad, hessian, jvp, value_and_grad


def rk4_step(f, y, t, h):
    k1 = f(t, y)
    k2 = f(t + h / 2, y + h / 2 * k1)
    k3 = f(t + h / 2, y + h / 2 * k2)
    k4 = f(t + h, y + h * k3)
    return y + h / 6 * (k1 + 2 * k2 + 2 * k3 + k4)


def decay(t, y):
    return -0.7 * y * (1 + 0.1 * t)


def simulate(y0):
    y = y0
    t = 0.0
    for _ in range(10):
        y = rk4_step(decay, y, t, 0.1)
        t += 0.1
    return y


def apply_twice(f, x):
    return f(f(x))


def bump(u):
    return u * math.exp(-u)


def twice_sin_and_tanh(x):
    return apply_twice(math.sin, x) + apply_twice(np.tanh, x)


def twice_bump(x):
    return apply_twice(bump, x)


def _twice_sin_and_tanh_derivative(x):
    return math.cos(math.sin(x)) * math.cos(x) + \
        (1 - math.tanh(math.tanh(x)) ** 2) * (1 - math.tanh(x) ** 2)


def test_an_ode_integrator_given_the_right_hand_side():
    assert grad(simulate)(1.0) == pytest.approx(simulate(1.0), rel=1e-12)
    assert grad(simulate)(-2.5) == pytest.approx(simulate(1.0), rel=1e-12)
    assert jvp(simulate, (1.0,), (2.0,))[1] == pytest.approx(2 * simulate(1.0), rel=1e-12)
    assert "decay(t, y)" in grad(simulate).source


@pytest.mark.parametrize("x", [0.4, -1.3])
def test_library_and_user_functions_passed(x):
    assert grad(twice_sin_and_tanh)(x) == pytest.approx(_twice_sin_and_tanh_derivative(x),
                                                        rel=1e-12)
    g = bump(x)
    slope = math.exp(-g) * (1 - g) * math.exp(-x) * (1 - x)
    assert value_and_grad(twice_bump)(x) == pytest.approx((bump(g), slope), rel=1e-12)
    h = 1e-5
    second = (_twice_sin_and_tanh_derivative(x + h) - _twice_sin_and_tanh_derivative(x - h)) / (2 * h)
    assert hessian(twice_sin_and_tanh)(x) == pytest.approx(second, rel=1e-6)


def lambda_passed(y0, k):
    return rk4_step(lambda t, y: -k * y, y0, 0.0, 0.1)


def test_a_lambda_written_in_the_call_is_refused_with_the_fix():
    with pytest.raises(S2SDiffError, match="lambda") as caught:
        grad(lambda_passed)
    assert "rk4_step(lambda t, y: -k * y, y0, 0.0, 0.1)" in str(caught.value)
