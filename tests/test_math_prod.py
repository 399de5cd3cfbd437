"""``math.prod`` of a display, a list of any length or a generator, with ``start=``: a
product written out (``a * b * c``) or a loop multiplying into a total, the way ``sum``
is; the value is exactly ``math.prod``'s (the same products in the same order)."""

import math
from math import prod

import pytest

from s2sdiff import derivative, grad, value_and_grad


def of_a_display(x, y):
    return math.prod([x, y, 2.0])


def of_a_list(xs):
    return math.prod(xs)


def of_a_generator(xs):
    return prod(v * v for v in xs)


def with_start(x, y):
    return math.prod([x, y], start=3.0)


def of_a_list_with_start(xs, s):
    return math.prod(xs, start=s)


XS = [1.5, -2.0, 3.0]


def test_a_display_is_the_product_written_out():
    assert grad(of_a_display)(1.5, -2.0) == (-4.0, 3.0)
    assert derivative(of_a_display)(1.5, -2.0) == (-4.0, 3.0)


@pytest.mark.parametrize("f, args, expected", [
    (of_a_list, (XS,), [-6.0, 4.5, -3.0]),
    (of_a_generator, (XS,), [2 * 1.5 * 36.0, 2 * -2.0 * 20.25, 2 * 3.0 * 9.0]),
    (with_start, (1.5, -2.0), (-6.0, 4.5)),
    (of_a_list_with_start, (XS, 0.5), ([-3.0, 2.25, -1.5], -9.0))])
def test_gradients_are_the_closed_forms(f, args, expected):
    value, gradient = value_and_grad(f)(*args)
    assert value == f(*args)                          # bit for bit: the same products
    if f is of_a_list_with_start:                     # (list gradient, number)
        assert gradient[0] == pytest.approx(expected[0], rel=1e-15)
        assert gradient[1] == pytest.approx(expected[1], rel=1e-15)
    else:
        assert gradient == pytest.approx(expected, rel=1e-15)


def test_an_empty_list_gives_the_start():
    assert value_and_grad(of_a_list_with_start)([], 2.5) == (2.5, ([], 1.0))
