"""Integer arrays passed for differentiated parameters of NumPy code: constants where
NumPy needs integers, refused where their gradient would silently be zero."""
import numpy as np
import pytest

from s2sdiff import ArgumentError, grad, value_and_grad
from source_lines import line_of

W = np.array([1.0, 2.0, 3.0])


def weighted(w, y):
    return np.sum(w * y)


def gathered(w, idx):
    return np.sum(w[idx] ** 2)


def counted(w, idx):
    return np.sum(w) / len(idx) + np.sum(w[idx])


def masked(w, mask):
    return np.sum(w * mask)


def test_an_integer_array_in_arithmetic_is_refused_naming_it_and_the_line():
    with pytest.raises(ArgumentError) as caught:
        grad(weighted)(W, np.array([1, 0, 2]))
    message = str(caught.value)
    assert "'y'" in message and "int64" in message and "astype(float)" in message
    assert caught.value.lineno == line_of(weighted, "def weighted")
    with pytest.raises(ArgumentError):
        grad(weighted, wrt="y")(W, np.array([1, 0, 2]))


def test_left_out_of_wrt_it_is_data():
    y = np.array([1, 0, 2])
    assert np.array_equal(grad(weighted, wrt="w")(W, y), y.astype(float))
    value, gradient = value_and_grad(weighted, wrt=0)(W, y)
    assert value == 7.0 and np.array_equal(gradient, [1.0, 0.0, 2.0])


def test_an_index_array_stays_a_constant():
    idx = np.array([0, 2, 2])
    dw, didx = grad(gathered)(W, idx)
    assert np.array_equal(dw, [2.0, 0.0, 12.0])      # 2 w[0], 0, 2 * 2 w[2]
    assert np.array_equal(didx, [0, 0, 0])
    dw, _ = grad(counted)(W, np.array([0, 2]))
    assert np.allclose(dw, [1.5, 0.5, 1.5])


def test_a_bool_mask_stays_a_constant():
    dw, dmask = grad(masked)(W, np.array([True, False, True]))
    assert np.array_equal(dw, [1.0, 0.0, 1.0]) and not dmask.any()


def test_a_float_array_of_the_same_values_is_differentiated():
    dw, dy = grad(weighted)(W, np.array([1.0, 0.0, 2.0]))
    assert np.array_equal(dy, W) and np.array_equal(dw, [1.0, 0.0, 2.0])
