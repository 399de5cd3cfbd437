"""``X.T @ X``: reverse mode writes its adjoint as the one product ``X @ (g + g.T)``
(where the operands' rules would make two), checked against central differences, with
``X.T`` used elsewhere too, and against forward mode."""

import numpy as np
import pytest

from differences import central
from s2sdiff import grad, jvp

RNG = np.random.default_rng(4)
WEIGHTS = RNG.normal(size=(4, 4))


def gram_loss(X):
    G = X.T @ X
    return np.sum(np.sin(G) * WEIGHTS)


def gram_and_projection(X, y):
    XT = X.T
    A = XT @ X + 0.5 * np.eye(4)
    b = XT @ y
    return np.sum(np.linalg.solve(A, b) ** 2)


def not_a_gram(X, Z):
    return np.sum(np.tanh(X.T @ Z) * WEIGHTS)


@pytest.mark.parametrize("f, args", [
    (gram_loss, (RNG.normal(size=(6, 4)),)),
    (gram_and_projection, (RNG.normal(size=(6, 4)), RNG.normal(size=6))),
    (not_a_gram, (RNG.normal(size=(6, 4)), RNG.normal(size=(6, 4)))),
])
def test_gram_products_against_central_differences_and_forward_mode(f, args):
    gradient = grad(f, wrt=0)(*args)
    np.testing.assert_allclose(gradient, central(f, list(args), 0), rtol=1e-6, atol=1e-8)
    tangent = RNG.normal(size=args[0].shape)
    _, slope = jvp(f, args, (tangent,) + tuple(np.zeros_like(a) for a in args[1:]))
    assert slope == pytest.approx(np.sum(gradient * tangent), rel=1e-9)


def test_the_gram_adjoint_is_one_product():
    X = RNG.normal(size=(6, 4))
    source = grad(gram_loss).specialize(X).source
    assert "dX = X @ (dG + dG.T)" in source, source
    code = [line.split("#")[0] for line in source.splitlines()]
    assert sum(line.count("@") for line in code) == 2, source   # forward product, this one
