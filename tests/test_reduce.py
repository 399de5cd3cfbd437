"""``functools.reduce(f, xs)`` written as the loop it runs (s2sdiff/reductions.py): a
lambda, a function of yours, ``operator.mul``, ``np.matmul`` over a display of matrices
of different shapes (unrolled) and over a list parameter (a tree), with and without an
initial value.  It was refused at each step of its hints in turn (hunt 3, bug_10).
Every gradient against central differences of the function itself or a closed form."""

import functools
import operator
from functools import reduce

import numpy as np
import pytest

from differences import central
from s2sdiff import grad, jacfwd

RNG = np.random.default_rng(3)


def product_by_lambda(xs):
    return functools.reduce(lambda a, b: a * b, xs)


def multiply(a, b):
    return a * b


def product_by_function(xs):
    return reduce(multiply, xs)


def product_by_operator(xs):
    return reduce(operator.mul, xs) + 1.0


def horner(xs, w):
    return reduce(lambda acc, v: acc * w + v, xs, 0.0)


def matrix_chain(A, B, C):
    return np.sum(functools.reduce(np.matmul, [A, B, C]))


def chain_of_a_list(mats, x):
    return np.sum(reduce(lambda a, b: a @ b, mats) @ x)


@pytest.mark.parametrize("f", [product_by_lambda, product_by_function, product_by_operator])
def test_a_product(f):
    xs = [0.5, 2.0, 3.0]
    assert grad(f)(xs) == pytest.approx([6.0, 1.5, 1.0], rel=1e-15)


def test_an_initial_value():
    xs, w = [0.5, 1.5, -2.0], 0.7
    dxs, dw = grad(horner)(xs, w)          # 0.5 w^2 + 1.5 w - 2
    assert dxs == pytest.approx([w * w, w, 1.0], rel=1e-15)
    assert dw == pytest.approx(2 * 0.5 * w + 1.5, rel=1e-15)
    assert jacfwd(horner, wrt="w")(xs, w) == pytest.approx(dw, rel=1e-15)


def test_matrices_of_different_shapes_in_a_display_are_unrolled():
    A, B, C = RNG.normal(size=(2, 3)), RNG.normal(size=(3, 3)), RNG.normal(size=(3, 2))
    for k, gradient in enumerate(grad(matrix_chain)(A, B, C)):
        assert np.allclose(gradient, central(matrix_chain, [A, B, C], k), rtol=1e-6, atol=1e-8)


def test_a_list_of_matrices_is_a_tree():
    mats = [RNG.normal(size=(2, 3)), RNG.normal(size=(3, 2))]
    x = RNG.normal(size=2)
    dmats, dx = grad(chain_of_a_list)(mats, x)
    assert np.allclose(dmats[0], np.outer(np.ones(2), mats[1] @ x), rtol=1e-12)
    assert np.allclose(dx, np.ones(2) @ mats[0] @ mats[1], rtol=1e-12)


def test_an_empty_list_without_an_initial_value_raises():
    with pytest.raises((IndexError, TypeError)):
        grad(product_by_lambda)([])
