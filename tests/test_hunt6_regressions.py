"""Found by the sixth hunt of user programs (/tmp/hunt6), each checked against central
differences of the program itself."""

import numpy as np
import pytest

from differences import central
from s2sdiff import grad

A = np.array([[0.3, -0.5], [1.1, 0.4]])


def lambda_reads_transpose(x):
    h = lambda z: np.sum(z.T ** 2 * A)  # noqa: E731
    return h(x + 1)


def nested_reads_transpose(x):
    def h(z):
        return z.T @ z
    return np.sum(h(x * 3))


@pytest.mark.parametrize("function", [lambda_reads_transpose, nested_reads_transpose])
def test_a_nested_function_reading_an_attribute_of_its_parameter(function):
    """`z.T` of a parameter bound to an expression's value was taken for a free dotted
    name and failed the IR validator: an InternalError (hunt 6 bug_01)."""
    assert np.allclose(grad(function)(A), central(function, [A], 0), rtol=1e-6, atol=1e-8)


def square_sum(z):
    return np.sum(z ** 2)


def calls_a_gradient_inside(z):
    return np.sum(grad(square_sum)(z))


def test_a_transform_applied_inside_is_refused_naming_it():
    """`grad(sq)(z)` inside was refused as "call of the value of ... call a function by its
    name" (hunt 6 bug_09)."""
    from s2sdiff import S2SDiffError
    with pytest.raises(S2SDiffError, match="call of s2sdiff's `grad\\(square_sum\\)` inside"):
        grad(calls_a_gradient_inside)(np.ones(3))
