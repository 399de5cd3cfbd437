"""``check_grad`` and ``verify`` of a bound method (``check_grad(model.loss, w, b)``): the
instance is data, the arguments are the method's explicit parameters.  ``check_grad``
used to count ``self`` among them and took the finite differences of the wrong argument
("gradient for w has shape (3,), the argument has shape ()")."""

import math

import numpy as np
import pytest

from s2sdiff import check_grad, grad, verify
from s2sdiff.check import check_grad_function


class Ridge:
    def __init__(self, X, y):
        self.X, self.y = X, y

    def loss(self, w, b, lam=0.1):
        r = self.X @ w + b - self.y
        return np.sum(r * r) + lam * np.sum(w * w)

    def wrong_gradient(self, w, b, lam=0.1):       # d/dw without the penalty
        r = self.X @ w + b - self.y
        return 2 * self.X.T @ r, 2 * np.sum(r)


class Wave:
    scale = 2.0

    def f(self, x, y):
        return self.scale * math.sin(x) * y + x * x


@pytest.fixture
def model():
    rng = np.random.default_rng(0)
    return Ridge(rng.normal(size=(6, 3)), rng.normal(size=6)), rng.normal(size=3)


def _closed_form(model, w, b, lam=0.1):
    r = model.X @ w + b - model.y
    return 2 * model.X.T @ r + 2 * lam * w, 2 * np.sum(r)


@pytest.mark.parametrize("wrt, components", [(None, 4), ("b", 1), (0, 3), (("b", "w"), 4)])
@pytest.mark.parametrize("method", ["central", "richardson"])
def test_check_grad_of_a_bound_method(model, wrt, components, method):
    m, w = model
    report = check_grad(m.loss, w, 0.5, wrt=wrt, method=method)
    assert len(report.rows) == components
    dw, db = _closed_form(m, w, 0.5)
    numeric = {row[0]: row[2] for row in report.rows}
    if "b" in numeric:
        assert numeric["b"] == pytest.approx(db, rel=1e-6)
    for i in range(3):
        if f"w[{i}]" in numeric:
            assert numeric[f"w[{i}]"] == pytest.approx(dw[i], rel=1e-6)


def test_check_grad_of_a_bound_method_with_its_default_given(model):
    m, w = model
    report = check_grad(m.loss, w, 0.5, 0.3)
    assert [row[0] for row in report.rows] == ["w[0]", "w[1]", "w[2]", "b", "lam"]
    assert report.rows[-1][2] == pytest.approx(np.sum(w * w), rel=1e-6)


def test_check_grad_of_a_bound_method_still_catches_a_wrong_gradient(model):
    m, w = model
    with pytest.raises(AssertionError, match=r"gradient mismatch in loss at w\["):
        check_grad_function(m.loss, m.wrong_gradient, w, 0.5, wrt=("w", "b"))
    report = check_grad_function(m.loss, grad(m.loss, wrt=("w", "b")), w, 0.5, wrt=("w", "b"))
    assert len(report.rows) == 4


def test_check_grad_and_verify_of_a_scalar_method():
    wave = Wave()
    report = check_grad(wave.f, 0.3, 1.2)
    assert [row[0] for row in report.rows] == ["x", "y"]
    assert report.rows[0][2] == pytest.approx(2.0 * math.cos(0.3) * 1.2 + 0.6, rel=1e-8)
    assert report.rows[1][2] == pytest.approx(2.0 * math.sin(0.3), rel=1e-8)
    assert [row[0] for row in verify(wave.f).rows] == ["x", "y"]
