"""NumPy code that returns from inside a loop (the branch taken or not): the gradient
against central differences.  It used to fail with an internal KeyError: the output's
adjoint, seeded in the returning arm, had no shape in the other arm."""

import numpy as np
import pytest

from differences import central
from s2sdiff import grad


def grows_until(x):
    for i in range(3):
        if np.sum(x) > 10.0:
            return np.sum(x ** 2)
        x = x * 2.0
    return np.sum(x)


def returns_on_second_step(x):
    for i in range(3):
        x = x * 2.0
        if i == 1:
            return np.sum(x ** 2)
    return np.sum(x)


def accumulates_until(x, w):
    total = 0.0
    for i in range(4):
        total = total + np.sum(np.tanh(x * w))
        if total > 1.5:
            return total * w[0]
        x = x + 0.5
    return total


@pytest.mark.parametrize("f, args", [
    (grows_until, (np.array([1.0, 2.0]),)),          # returns after the loop
    (grows_until, (np.array([4.0, 5.0]),)),          # returns inside, second step
    (returns_on_second_step, (np.array([1.0, 2.0]),)),
    (accumulates_until, (np.array([0.1, 0.2]), np.array([0.5, 0.7]))),
    (accumulates_until, (np.array([1.1, 2.2]), np.array([0.5, 0.7]))),
])
def test_a_return_inside_a_loop_of_numpy_code(f, args):
    for k in range(len(args)):
        gradient = grad(f, wrt=k)(*args)
        np.testing.assert_allclose(gradient, central(f, args, k), rtol=1e-5, atol=1e-7)
