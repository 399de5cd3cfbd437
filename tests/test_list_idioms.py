"""Everyday list spellings in code on numbers (normalize/list_idioms.py): ``[0.0] * n``,
``list(xs)``, ``list(reversed(xs))``, ``sum(xs, start=s)``.  They were refused (list
arithmetic, no rule for ``list``/``sum``); each gradient here against a closed form."""

import math

import pytest

from s2sdiff import grad, value_and_grad


def weighted_by_position(xs):
    ys = [0.0] * len(xs)
    for i in range(len(xs)):
        ys[i] = xs[i] * (i + 1)
    return sum(ys)


def copied_then_changed(xs):
    ys = list(xs)
    ys[0] += 2.0 * xs[1]
    return sum(y * y for y in ys)


def last_of_reversed(xs):
    r = list(reversed(xs))
    return r[0] * 0.5 + math.sin(r[-1])


def squared_sum_from(xs):
    return sum(xs, start=2.0) ** 2


def prefilled(x, n):
    ys = n * [-1.0]
    total = 0.0
    for y in ys:
        total = total + y * x
    return total


@pytest.mark.parametrize("xs", [[0.5, 1.5], [0.25, -1.0, 2.0]])
def test_each_spelling_against_its_closed_form(xs):
    n = len(xs)
    assert grad(weighted_by_position)(xs) == [float(i + 1) for i in range(n)]
    expected = [2 * y for y in [xs[0] + 2.0 * xs[1]] + xs[1:]]
    expected[1] += 2 * (xs[0] + 2.0 * xs[1]) * 2.0
    assert grad(copied_then_changed)(xs) == pytest.approx(expected, rel=1e-15)
    expected = [0.0] * n
    expected[-1] += 0.5
    expected[0] += math.cos(xs[0])
    assert grad(last_of_reversed)(xs) == pytest.approx(expected, rel=1e-15)
    assert grad(squared_sum_from)(xs) == [2 * (2.0 + sum(xs))] * n


def test_the_copy_leaves_the_argument_as_it_was():
    xs = [0.5, 1.5]
    value, _ = value_and_grad(copied_then_changed)(xs)
    assert xs == [0.5, 1.5] and value == copied_then_changed([0.5, 1.5])


@pytest.mark.parametrize("n", [0, 1, 4, -2])
def test_a_repeated_number_has_python_s_length(n):
    assert grad(prefilled, wrt="x")(0.5, n) == -1.0 * max(n, 0)


def doubled(xs):
    return [2.0 * e for e in xs]


def shadowing_list(xs, list=doubled):
    return sum(list(xs))


def test_a_rebound_list_is_left_as_it_is():
    """`list` a parameter whose default is a function: that function is called, not a
    copy made (d/dxs sum(2 xs) = 2)."""
    assert grad(shadowing_list, wrt="xs")([1.0, 2.0]) == [2.0, 2.0]


def prepended(xs):
    ys = [0.0] + [x * 2.0 for x in xs]
    return ys[1] * ys[2]


def appended_twice(xs, w):
    ys = xs + [w] + [w * w]
    return sum(y * y for y in ys)


def growing_path(x):
    p = [x]
    for i in range(3):
        p = p + [p[-1] * 0.5 + 1.0]
    return sum(p)


def joined_into_itself(xs):
    xs = [1.0] + xs
    return xs[0] * xs[1] + xs[2]


def test_lists_joined_with_plus():
    """`[0.0] + ys`, `xs + [w]`: every operand read before the name is bound (they were
    refused as list arithmetic)."""
    assert grad(prepended)([1.0, 2.0]) == [8.0, 4.0]                  # 4 x0 x1
    assert grad(appended_twice)([1.0, 2.0], 3.0) == ([2.0, 4.0], 2 * 3.0 + 4 * 27.0)
    assert grad(growing_path)(2.0) == 1.0 + 0.5 + 0.25 + 0.125
    assert grad(joined_into_itself)([2.0, 3.0]) == [1.0, 1.0]


def extended(xs):
    ys = list(xs)
    ys.extend([1.0, xs[0]])
    return sum(y * y for y in ys)


def copied_by_method(xs):
    ys = xs.copy()
    ys[0] = ys[0] ** 2
    return sum(ys)


def copied_by_list(xs):
    ys = list(xs)
    ys[0] = ys[0] ** 2
    return sum(ys)


def test_extend_and_the_copy_of_a_list():
    """`ys.extend(zs)` was refused ("result is discarded"); `xs.copy()` read as NumPy
    code, and is now a copy of the list in code without NumPy (list_methods.py)."""
    assert grad(extended)([0.5, 1.5]) == [2.0, 3.0]       # sum x^2 + 1 + x0^2
    assert grad(copied_by_method)([0.5, 1.5]) == [1.0, 1.0]
    assert grad(copied_by_list)([0.5, 1.5]) == [1.0, 1.0]
