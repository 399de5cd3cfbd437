"""A name holding only tuple displays (``state = (h, c)``), split into one name per entry
(normalize/tuples.py): NumPy code refused indexing such a tuple; every gradient here
against central differences of the program itself, with grad, value_and_grad and vjp."""

import numpy as np
import pytest

from differences import central
from s2sdiff import S2SDiffError, grad, value_and_grad, vjp

RNG = np.random.default_rng(5)


def unpacked(x):
    pair = (x * 2.0, x ** 2)
    a, b = pair
    return np.sum(a * b)


def indexed(x):
    state = (np.tanh(x), x * 3.0)
    return np.sum(state[0] * state[-1]) * len(state)


def recurrent(x, W):
    state = (x, x * 0.0)
    for t in range(3):
        h, c = state
        c = c * 0.5 + np.tanh(W @ h)
        h = np.tanh(c) * (t + 1.0)
        state = (h, c)
    return np.sum(state[0] ** 2) + np.sum(state[1])


def branched(x, flag):
    if flag:
        pair = (np.sin(x), x)
    else:
        pair = (x * x, np.exp(x))
    first, second = pair
    return np.sum(first * second)


def on_numbers(x, y):
    pair = (x * y, x + y)
    u, v = pair
    return u * v + pair[1]


def returned_whole(x):
    pair = (np.sin(x), x ** 2)
    return pair


@pytest.mark.parametrize("function, args", [
    (unpacked, (RNG.normal(size=3),)),
    (indexed, (RNG.normal(size=3),)),
    (recurrent, (RNG.normal(size=2), RNG.normal(size=(2, 2)))),
    (on_numbers, (0.7, -1.3)),
])
def test_the_gradient_is_the_central_difference(function, args):
    gradients = grad(function)(*args)
    gradients = gradients if isinstance(gradients, tuple) else (gradients,)
    for k, gradient in enumerate(gradients):
        assert np.allclose(gradient, central(function, args, k), rtol=1e-6, atol=1e-8)
    value, _ = value_and_grad(function)(*args)
    assert value == pytest.approx(function(*args), rel=1e-13)


@pytest.mark.parametrize("flag", [True, False])
def test_a_tuple_assigned_in_both_arms(flag):
    x = RNG.normal(size=3)
    assert np.allclose(grad(branched, wrt="x")(x, flag),
                       central(lambda v: branched(v, flag), [x], 0), rtol=1e-6, atol=1e-8)


def test_the_entries_are_names_in_the_generated_code():
    x = RNG.normal(size=2)
    source = grad(recurrent).specialize(x, RNG.normal(size=(2, 2))).source
    assert "state_0" in source and "state_1" in source and "state[" not in source


def test_a_tuple_returned_whole():
    """`return pair` returns the entries' names as a tuple (NumPy code refused it, "a list
    display in NumPy code")."""
    x = RNG.normal(size=3)
    value, pullback = vjp(returned_whole, x)
    assert np.allclose(value[0], np.sin(x)) and np.allclose(value[1], x ** 2)
    (dx,) = pullback((np.ones(3), np.ones(3)))
    assert np.allclose(dx, np.cos(x) + 2 * x)


def passed_whole(x):
    pair = (np.sin(x), x ** 2)
    return np.sum(np.stack(pair))


def iterated(x):
    pair = (np.sin(x), x ** 2)
    total = 0.0
    for entry in pair:
        total = total + np.sum(entry)
    return total


def test_a_tuple_passed_whole_is_its_entries_display():
    x = RNG.normal(size=3)
    assert np.allclose(grad(passed_whole)(x), np.cos(x) + 2 * x)


def test_a_tuple_read_another_way_is_left_as_it_was():
    """A loop over `pair` keeps the name (refused in NumPy code before and after, with
    the user's name), and the function is not changed."""
    x = RNG.normal(size=3)
    try:
        gradient = grad(iterated)(x)
    except S2SDiffError as error:
        assert "pair" in str(error) and "pair_0" not in str(error)
    else:
        assert np.allclose(gradient, np.cos(x) + 2 * x)


def out_of_range(x):
    pair = (x, x * 2.0)
    return np.sum(pair[2])


def test_an_index_out_of_range_is_not_split_away():
    with pytest.raises((S2SDiffError, IndexError)):
        grad(out_of_range)(np.ones(2))
