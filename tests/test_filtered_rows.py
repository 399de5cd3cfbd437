"""``np.array``/``np.stack`` of a comprehension with ``if`` clauses stays refused
(s2sdiff/normalize/filtered.py): its number of rows depends on the data, NumPy code is
generated for the shapes of its first call, and a later call keeping another number of
rows could broadcast where the generated code did not plan it.  The error names the
construct and line and gives the fixed-shape spelling, which is differentiated exactly."""

import numpy as np
import pytest

from s2sdiff import UnsupportedError, check_grad, grad

X = np.array([[1.0, 0.5], [-1.0, 0.2], [-2.0, 0.1]])
W = np.arange(6.0).reshape(3, 2) / 10


def positive_rows(X, w):
    S = np.array([np.tanh(r) for r in X if r[0] > 0.0])
    return np.sum((S + w) ** 2)


def stacked_if(X, w):
    S = np.stack([np.tanh(r) * w[0] for r in X if r[0] > 0.0 if r[1] < 1.0])
    return np.sum(S)


def masked_rows(X, w):
    """The hint's spelling: every row, weighted by the condition."""
    rows = np.array([np.tanh(r) for r in X])
    mask = np.array([r[0] > 0.0 for r in X])
    return np.sum((np.where(mask[:, None], rows, 0.0) + w) ** 2)


@pytest.mark.parametrize("f", [positive_rows, stacked_if])
def test_refused_with_the_reason(f):
    with pytest.raises(UnsupportedError) as error:
        grad(f)(X, W)
    assert "of a comprehension with `if`" in error.value.construct
    assert "depends on the data" in error.value.construct
    assert error.value.lineno == f.__code__.co_firstlineno + 1
    assert "np.where" in error.value.hint


def test_the_hinted_spelling_is_differentiated_at_any_mask():
    gradient = grad(masked_rows, wrt=0)
    for data in (X, np.abs(X), -np.abs(X)):
        check_grad(masked_rows, data, W, wrt=0)
        expected = np.where((data[:, 0] > 0.0)[:, None],
                            2 * (np.tanh(data) + W) * (1 - np.tanh(data) ** 2), 0.0)
        assert np.allclose(gradient(data, W), expected, rtol=1e-14)
