"""Functions made by a factory of the module and called inside the differentiated function
(``normalize/factories.py``): ``rhs = make_rhs(alpha)``, then ``rhs(y)``.  Checked
against central differences; the factory's arguments are bound once, at the call, and a
rebound factory makes the code generate itself again."""
import math

import numpy as np
import pytest

from s2sdiff import S2SDiffError, grad, hessian


def make_rhs(alpha):
    """The right-hand side of dy/dt = -alpha y + sin y."""
    def rhs(y):
        return -alpha * y + math.sin(y)
    return rhs


def integrate(alpha, y0):
    rhs = make_rhs(alpha)
    y = y0
    for _ in range(20):
        y = y + 0.05 * rhs(y)
    return y


def make_layer(W, b):
    def layer(h):
        z = W @ h + b
        return np.tanh(z)
    return layer


def network(W1, b1, W2, b2, x):
    first = make_layer(W1, b1)
    second = make_layer(W2, b2)
    return np.sum(second(first(x)) ** 2)


def make_scale(a):
    return lambda x: a * x * x


def scaled(a, x):
    f = make_scale(a)
    a = a * 3.0                  # the factory saw a's value at the call, not this one
    return f(x) + a


def make_offset(c=1.0):
    def offset(x):
        return x + c
    return offset


def uses_a_default(x):
    g = make_offset()
    return g(x) * x


def central(f, args, index, h=1e-6):
    args = list(args)
    value = args[index]
    if isinstance(value, np.ndarray):
        out = np.zeros(value.shape)
        for i in np.ndindex(value.shape):
            step = np.zeros(value.shape)
            step[i] = h
            up, down = list(args), list(args)
            up[index], down[index] = value + step, value - step
            out[i] = (f(*up) - f(*down)) / (2 * h)
        return out
    up, down = list(args), list(args)
    up[index], down[index] = value + h, value - h
    return (f(*up) - f(*down)) / (2 * h)


def test_a_closure_made_by_a_factory_against_central_differences():
    args = (0.5, 1.0)
    dalpha, dy0 = grad(integrate)(*args)
    assert dalpha == pytest.approx(central(integrate, args, 0), rel=1e-6)
    assert dy0 == pytest.approx(central(integrate, args, 1), rel=1e-6)
    assert "rhs_alpha = alpha" in grad(integrate).source


def test_layers_made_by_a_factory_in_numpy_code():
    r = np.random.default_rng(5)
    args = (r.normal(size=(4, 3)), r.normal(size=4), r.normal(size=(2, 4)), r.normal(size=2),
            r.normal(size=3))
    gradients = grad(network, wrt=(0, 1, 2, 3))(*args)
    for index, gradient in enumerate(gradients):
        np.testing.assert_allclose(gradient, central(network, args, index),
                                   rtol=1e-6, atol=1e-8)


def test_a_lambda_made_by_a_factory_sees_its_arguments_at_the_call():
    a, x = 1.5, 0.7
    da, dx = grad(scaled)(a, x)
    assert scaled(a, x) == pytest.approx(a * x * x + 3 * a)
    assert (da, dx) == pytest.approx((x * x + 3.0, 2 * a * x), rel=1e-12)
    assert hessian(scaled)(a, x) == pytest.approx(np.array([[0.0, 2 * x], [2 * x, 2 * a]]))


def test_a_rebound_factory_generates_again():
    g = grad(scaled, wrt="x")
    assert g(1.5, 0.7) == pytest.approx(2 * 1.5 * 0.7)
    original = make_scale
    try:
        globals()["make_scale"] = lambda a: (lambda x: a * x)
        assert g(1.5, 0.7) == pytest.approx(1.5)
    finally:
        globals()["make_scale"] = original
    assert g(1.5, 0.7) == pytest.approx(2 * 1.5 * 0.7)


def test_a_factory_with_defaults_is_refused_where_its_function_is_called():
    with pytest.raises(S2SDiffError) as error:
        grad(uses_a_default)(2.0)
    assert "`g`" in str(error.value)
