"""Ints, bools, and lists or tuples of numbers given to NumPy code decide shapes
(``np.zeros(n)``, ``x[:n]``, ``np.array(edges)``, ``x.reshape(shape)``): the dispatcher
keys them on their value, as ``jax.jit`` its static arguments, so code generated for one
value is never run for another.  Keyed on their type alone, code made for n = 2 ran for
n = 4 and returned a wrong gradient.  Each gradient against central differences."""

import sys

import numpy as np
import pytest

from s2sdiff import grad

X = np.arange(1.0, 7.0)
N = 2


def first_n(x, n):
    z = np.ones(n) * x[0]
    return np.mean(z ** 2) + np.sum(x[:n] ** 2)


def indexed(x, edges):
    idx = np.array(edges)
    return np.mean(x[idx] ** 2)


def reshaped(x, shape):
    return np.sum(np.tanh(x.reshape(shape)) @ np.arange(1.0, shape[1] + 1))


def by_global(x):
    return np.mean(np.ones(N) * x[0]) + np.sum(x[:N] ** 2)


def pairs(x, edges):
    total = 0.0
    for e in range(len(edges)):
        i, j = edges[e]
        total = total + (x[i] - x[j]) ** 2
    return total / len(edges)


def central(f, x, *rest, h=1e-6):
    return np.array([(f(x + e, *rest) - f(x - e, *rest)) / (2 * h)
                     for e in np.eye(len(x)) * h])


@pytest.mark.parametrize("f, values", [
    (first_n, [2, 4, 2, np.int64(5)]),
    (indexed, [[0, 1], [0, 1, 2, 3], (5, 0), [0, 1]]),
    (reshaped, [(2, 3), (3, 2), (6, 1), (2, 3)]),
    (pairs, [[(0, 1), (1, 2)], [(0, 1), (1, 2), (2, 5)], [(3, 4)]])])
def test_a_value_that_decides_shapes_gets_code_of_its_own(f, values):
    gradient = grad(f, wrt="x")
    for value in values:
        assert np.allclose(gradient(X, value), central(f, X, value), rtol=1e-6, atol=1e-8)


def test_a_global_int_read_by_the_function():
    module = sys.modules[__name__]
    gradient = grad(by_global)
    try:
        for n in (2, 4, 3):
            module.N = n
            assert np.allclose(gradient(X), central(by_global, X), rtol=1e-6, atol=1e-8)
    finally:
        module.N = 2


def sum_of_squares(xs):
    a = np.asarray(xs)
    return np.sum(a * a)


def test_a_differentiated_list_of_numbers_in_numpy_code_is_refused_with_what_to_pass():
    from s2sdiff.errors import ArgumentError
    with pytest.raises(ArgumentError, match=r"pass np.array\(xs\)"):
        grad(sum_of_squares)([1.0, 2.0])
    assert np.allclose(grad(sum_of_squares)(np.array([1.0, 2.0])), [2.0, 4.0])
