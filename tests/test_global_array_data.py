"""A float parameter meeting a data array the function does not take as a parameter (a
global, a closure variable, an attribute of a global object), in code that calls no
NumPy function: it is NumPy code, whose reverse sweep sums the adjoint back over the
broadcast.  Such code was taken for scalar code and returned an array of per-entry
partials for a float parameter (found by the second user-program hunt)."""

import numpy as np
import pytest

from s2sdiff import (NotScalarError, derivative, grad, hessian, jacobian, jacrev,
                     value_and_grad, vjp)

XS = np.array([1.0, 2.0, 4.0])
YS = np.array([2.1, 3.9, 8.2])


def indexed_residuals(w):
    pred = XS * w
    return (pred[0] - YS[0]) ** 2 + (pred[1] - YS[1]) ** 2 + (pred[2] - YS[2]) ** 2


def builtin_sum(w):
    return sum((XS * w - YS) ** 2)


def loop_over_the_product(w):
    p = XS * w
    total = 0.0
    for v in p:
        total += v * v
    return total


def unpacked(w):
    a, b, c = w * XS
    return a * b + c


def power_of_data(w):
    p = XS ** w
    return p[1] + p[2]


def _closure():
    xs = XS

    def product_of_two(w):
        p = xs * w
        return p[0] * p[1]
    return product_of_two


class _Data:
    def __init__(self):
        self.x = XS


DATA = _Data()


def attribute_of_a_global(w):
    p = DATA.x * w
    return p[0] * p[1]


def forgot_the_sum(mu, b):
    return (XS - mu) ** 2 + b


def central(f, w, h=1e-6):
    return (f(w + h) - f(w - h)) / (2 * h)


@pytest.mark.parametrize("f", [indexed_residuals, builtin_sum, loop_over_the_product,
                               unpacked, power_of_data, _closure(), attribute_of_a_global],
                         ids=lambda f: f.__name__)
def test_a_float_parameter_against_global_data(f):
    for w in (0.5, 1.5):
        expected = central(f, w)
        for got in (grad(f)(w), value_and_grad(f)(w)[1], vjp(f, w)[1](1.0)[0],
                    jacrev(f)(w), derivative(f)(w)):
            assert np.ndim(got) == 0, got
            assert float(got) == pytest.approx(expected, rel=1e-6, abs=1e-8)
        assert float(hessian(f)(w)) == pytest.approx(
            (central(f, w + 1e-4) - central(f, w - 1e-4)) / 2e-4, rel=1e-4, abs=1e-6)


def test_an_array_output_from_float_parameters_is_not_a_gradient():
    with pytest.raises(NotScalarError):
        grad(forgot_the_sum)(0.5, 1.0)
    _, pullback = vjp(forgot_the_sum, 0.0, 1.0)
    # d/dmu of sum((XS - mu) ** 2 + b) at mu = 0 is -2 * sum(XS); d/db is 3 entries of 1
    assert [float(v) for v in pullback(np.ones(3))] == pytest.approx([-14.0, 3.0])
    d_mu, d_b = jacobian(forgot_the_sum)(0.0, 1.0)
    assert np.allclose(d_mu, -2 * XS) and np.allclose(d_b, [1.0, 1.0, 1.0])
