"""Several in-place updates of slices of one local array in a row (``y[:2] += 1; y[2:] +=
2``, boundary values, a stencil): each update reads a view of the array made after the
write before it, and only adds it into a new value, so the reverse sweep may restore the
written entries under it (alias_passes.EachPass.sums).  They were refused as "a view made
after the write".  Every gradient against central differences of the function itself; a
view whose value a derivative reads stays refused."""

import numpy as np
import pytest

from differences import central
from s2sdiff import grad, value_and_grad

X = np.array([0.5, -1.2, 2.0, 0.3])


def disjoint(x):
    y = x.copy()
    y[:2] += 1.0
    y[2:] += 2.0
    return np.sum(y ** 3)


def after_a_whole_update(x):
    y = x * 1.0
    y += 1.0
    y[1:3] += x[:2]
    return np.sum(y ** 2)


def overlapping(x):
    y = x.copy()
    y[:3] += x[1:] * 2.0
    y[1:] -= np.sin(x[:3])
    return np.sum(y ** 3)


def boundary_values(x):
    y = x * 2.0
    y[0] += 1.0
    y[-1] -= 1.0
    y[1:3] += y[0]
    return np.sum(y * x)


def rows_and_columns(x):
    A = np.outer(x, x)
    A[0, :] += 1.0
    A[:, 1] += x
    return np.sum(A ** 2)


def stencil(x):
    u = x.copy()
    for t in range(3):
        u[1:-1] += 0.1 * (u[2:] - 2 * u[1:-1] + u[:-2])
    return np.sum(u ** 2)


@pytest.mark.parametrize("f", [disjoint, after_a_whole_update, overlapping, boundary_values,
                               rows_and_columns, stencil])
def test_the_gradient_is_the_central_difference(f):
    x = X.copy()
    value, gradient = value_and_grad(f)(x)
    assert value == pytest.approx(f(X.copy()), rel=1e-13)
    assert np.allclose(gradient, central(f, [X], 0), rtol=1e-6, atol=1e-8)
    assert np.array_equal(x, X)                      # the argument is left as it was


def scaled_after(x):
    y = x.copy()
    y[:2] += 1.0
    y[2:] *= x[:2]                  # the product's derivative reads the view
    return np.sum(y ** 2)


def read_back(x):
    y = x.copy()
    y[:2] += 1.0
    z = y[1:]
    return np.sum(z * z)


@pytest.mark.parametrize("f", [scaled_after, read_back])
def test_a_view_whose_value_a_derivative_reads(f):
    """Outside loops a view made after a write is read by derivatives that run before the
    reverse sweep restores the written entries (these were refused)."""
    x = X.copy()
    assert np.allclose(grad(f)(x), central(f, [X], 0), rtol=1e-6, atol=1e-8)
    assert np.array_equal(x, X)
