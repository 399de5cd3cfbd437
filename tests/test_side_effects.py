"""Writes the SSA program would lose are refused at generation, naming the write: a
helper that returns nothing and writes into its argument, a method or NumPy function
writing in place into data the function reads or into an argument.  Each was a silently
wrong value and gradient.  The rewrites the hints propose are checked against central
differences."""

import numpy as np
import pytest

from differences import central
from s2sdiff import UnsupportedError, grad, value_and_grad

X = np.array([1.0, 2.0, 3.0])


def add_bias(arr, c):
    arr += c


def bias_through_a_helper(x):
    y = x.copy()
    add_bias(y, 1.0)
    return np.sum(y ** 2)


def normalize_in_place(v):
    s = sum(v)
    for i in range(len(v)):
        v[i] /= s


def normalized_through_a_helper(a, b):
    w = [a, b, a * b]
    _ = normalize_in_place(w)
    return w[0] * 3 + w[2] ** 2


def push(items, x):
    items.append(x)


def pushed_through_a_helper(x):
    items = [x]
    _ = push(items, x * 2)
    return sum(items)


LOG = []
STATE = np.zeros(3)
CACHE = {}


def appends_to_a_global(x):
    _ = LOG.append(x)
    return x * LOG[-1]


def fills_a_global_array(x):
    _ = STATE.fill(x)
    return x * STATE[0]


def updates_a_global_dict(x):
    _ = CACHE.update(a=x)
    return x * CACHE["a"]


def zero_diagonal(x):
    A = np.outer(x, x)
    _ = np.fill_diagonal(A, 0.0)
    return np.sum(A)


def copied_into(x):
    y = x.copy()
    _ = np.copyto(y, x ** 2)
    return np.sum(y)


def put_into(x):
    y = np.zeros(3)
    _ = np.put(y, [0, 2], x[:2])
    return np.sum(y ** 2)


@pytest.mark.parametrize("f, args, words", [
    (bias_through_a_helper, (X,), "`add_bias_arr += ...` writes in place"),
    (normalized_through_a_helper, (0.5, 1.5), "lets `normalize_in_place` write into"),
    (pushed_through_a_helper, (1.5,), "lets `push` write into"),
    (appends_to_a_global, (1.5,), "`LOG.append(...)`, which writes into `LOG`"),
    (fills_a_global_array, (1.5,), "`STATE.fill(...)`, which writes into `STATE`"),
    (updates_a_global_dict, (1.5,), "`CACHE.update(...)`, which writes into `CACHE`"),
    (zero_diagonal, (X,), "`np.fill_diagonal(...)`, which writes into its first argument"),
    (copied_into, (X,), "`np.copyto(...)`"),
    (put_into, (X,), "`np.put(...)`"),
])
def test_a_write_the_derivative_would_lose_is_refused(f, args, words):
    with pytest.raises(UnsupportedError) as caught:
        value_and_grad(f)(*args)
    assert words in str(caught.value)
    assert caught.value.filename.endswith("test_side_effects.py")
    assert not LOG and not CACHE and not STATE.any()     # refused before anything ran


def zero_diagonal_by_where(x):
    A = np.outer(x, x)
    A = np.where(np.eye(len(A), dtype=bool), 0.0, A)
    return np.sum(A)


def test_the_rewrite_of_fill_diagonal_differentiates():
    np.testing.assert_allclose(grad(zero_diagonal_by_where)(X), 2 * (X.sum() - X))
    np.testing.assert_allclose(grad(zero_diagonal_by_where)(X),
                               central(zero_diagonal, [X], 0), rtol=1e-6)
