"""Values whose shape depends on the data in NumPy code (s2sdiff/data_shapes.py):
``X[mask]``, ``np.flatnonzero``, ``np.unique``...  Code generated for the first call's
count folded it in (``np.mean``'s 1 / n): a second call with the same argument shapes
and another count got a silently wrong gradient.  Now the generated code tests the shape
after such a value and hands over to code made for the new shape.  Each gradient is
checked against central differences, calls alternating between counts."""

import numpy as np
import pytest

from s2sdiff import grad, jvp, value_and_grad

ONE_ROW = np.array([[1.0, 2.0], [-1.0, 0.5], [-2.0, 1.0]])
THREE_ROWS = np.array([[1.0, 2.0], [1.5, 0.5], [2.0, 1.0]])
TWO_ROWS = np.array([[1.0, 2.0], [-1.5, 0.5], [2.0, 1.0]])


def masked_mean(X):
    return np.mean(np.tanh(X[X[:, 0] > 0]))


def masked_rows(X, w):
    Z = X[X[:, 0] > 0]
    return np.sum(np.tanh(Z @ w)) / Z.shape[0]


def by_indices(x):
    idx = np.flatnonzero(x > 0)
    return np.sum(x[idx] ** 2) / idx.size


def two_masks(X):
    A = X[X[:, 0] > 0]
    B = X[X[:, 1] > 0.75]
    return np.mean(A ** 2) + np.mean(B) * np.sum(A)


def central(f, x, *rest, h=1e-6):
    out = np.zeros(x.shape)
    for index in np.ndindex(x.shape):
        e = np.zeros(x.shape)
        e[index] = h
        out[index] = (f(x + e, *rest) - f(x - e, *rest)) / (2 * h)
    return out


ORDERS = [[ONE_ROW, THREE_ROWS, TWO_ROWS, ONE_ROW], [THREE_ROWS, ONE_ROW, THREE_ROWS, TWO_ROWS]]


@pytest.mark.parametrize("order", ORDERS)
def test_the_count_of_a_mask_changes_between_calls(order):
    gradient = grad(masked_mean)
    for X in order:
        assert np.allclose(gradient(X), central(masked_mean, X), rtol=1e-6, atol=1e-9)


@pytest.mark.parametrize("order", ORDERS)
def test_rows_kept_by_a_mask_and_their_count_as_a_shape(order):
    w = np.array([0.3, -0.2])
    gradient = grad(masked_rows, wrt="X")
    for X in order:
        assert np.allclose(gradient(X, w), central(masked_rows, X, w), rtol=1e-6, atol=1e-9)


def test_indices_from_flatnonzero():
    gradient = grad(by_indices)
    for x in (np.array([1.0, -2.0, 3.0]), np.array([1.0, 2.0, 3.0]), np.array([-1.0, 2.0, -3.0])):
        assert np.allclose(gradient(x), central(by_indices, x), rtol=1e-6, atol=1e-9)


def test_two_masks_each_guarded():
    gradient = value_and_grad(two_masks)
    for X in (ONE_ROW, THREE_ROWS, TWO_ROWS, THREE_ROWS):
        value, g = gradient(X)
        assert value == pytest.approx(two_masks(X), rel=1e-14)
        assert np.allclose(g, central(two_masks, X), rtol=1e-6, atol=1e-9)


def test_jvp_sees_the_new_count_too():
    t = np.ones((3, 2))
    for X in (ONE_ROW, THREE_ROWS):
        value, tangent = jvp(masked_mean, (X,), (t,))
        assert value == pytest.approx(masked_mean(X), rel=1e-14)
        assert tangent == pytest.approx(np.sum(central(masked_mean, X) * t), rel=1e-6)


def test_the_guard_in_the_generated_code():
    source = grad(masked_mean).specialize(ONE_ROW).source
    assert "t3 = X[t2]" in source
    assert "# the shape of X[t2] depends on the data: code is made per shape\n" \
           "        if t3.shape != (1, 2):\n" \
           "            return specialise_again([t3.shape], X)\n" \
           "        t4 = np.tanh(t3)" in source
