"""``assert`` and ``print`` in NumPy code read the current version of a name assigned more
than once: the parsed function is normalised again for each argument kind, and the
first normalisation must leave it as the user wrote it (it once renamed the statement in
place, and the second read a name that no longer existed: NameError)."""

import numpy as np
import pytest

from differences import central
from s2sdiff import grad, value_and_grad


def reassigned_then_asserted(W, X):
    h = X @ W
    h = h @ W.T
    assert len(h) > 1
    return np.sum(h ** 2)


def printed_between(W, X):
    h = np.tanh(X @ W)
    print("norm", float(np.sum(h * h)) > -1.0)
    h = h * h
    return np.sum(h)


W = np.arange(6.0).reshape(3, 2) / 10 - 0.2
X = np.linspace(-1.0, 1.0, 12).reshape(4, 3)


@pytest.mark.parametrize("f", [reassigned_then_asserted, printed_between])
def test_gradient_against_differences_for_two_kinds(f, capsys):
    for args in ((W, X), (W[:2], X[:, :2])):          # a second kind: normalised again
        got = grad(f, wrt="W")(*args)
        np.testing.assert_allclose(got, central(f, args, 0), rtol=1e-6, atol=1e-8)
        value, _ = value_and_grad(f, wrt="W")(*args)
        assert value == pytest.approx(f(*args))
    if f is printed_between:
        assert "norm True" in capsys.readouterr().out


def test_assert_still_fails_where_the_function_fails():
    with pytest.raises(AssertionError):
        grad(reassigned_then_asserted, wrt="W")(W, X[:1])
