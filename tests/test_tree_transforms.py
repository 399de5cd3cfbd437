"""Tree parameters in every transform: ``vjp``, ``jvp``, ``jacfwd``, ``jacrev``,
``jacobian``, ``hessian`` and ``hvp`` return results in the structure of the trees given
(JAX's pytree layout), checked against closed forms and central differences; lists of
``(W, b)`` layers read by index, unpacking or a loop (autograd's neural_net) are trees in
NumPy code."""

import dataclasses
from collections import namedtuple

import numpy as np
import pytest

from s2sdiff import (S2SDiffError, grad, hessian, hvp, jacfwd, jacobian, jacrev, jvp,
                     value_and_grad, vjp)

RNG = np.random.default_rng(7)
X = RNG.normal(size=(6, 3))
Y = RNG.normal(size=6)
PARAMS = {"W": RNG.normal(size=3), "b": 0.4}


def squares(params, X, y):
    r = X @ params["W"] + params["b"] - y
    return np.sum(r * r)


def residual_gradient(params):
    """Closed form of squares' gradient in params."""
    r = X @ params["W"] + params["b"] - Y
    return {"W": 2 * X.T @ r, "b": 2 * np.sum(r)}


def test_vjp_pullback_returns_one_tree_per_parameter():
    value, pullback = vjp(squares, PARAMS, X, Y)
    assert value == pytest.approx(squares(PARAMS, X, Y))
    dparams, dX, dy = pullback(2.0)
    expected = residual_gradient(PARAMS)
    assert set(dparams) == {"W", "b"}
    np.testing.assert_allclose(dparams["W"], 2.0 * expected["W"])
    assert dparams["b"] == pytest.approx(2.0 * expected["b"])
    r = X @ PARAMS["W"] + PARAMS["b"] - Y
    np.testing.assert_allclose(dy, -2.0 * 2 * r)
    np.testing.assert_allclose(dX, 2.0 * 2 * np.outer(r, PARAMS["W"]))


def test_jvp_takes_tangent_trees():
    tangent = {"W": np.array([1.0, -2.0, 0.5]), "b": 3.0}
    value, slope = jvp(squares, (PARAMS, X, Y), (tangent, np.zeros_like(X), np.zeros_like(Y)))
    g = residual_gradient(PARAMS)
    assert value == pytest.approx(squares(PARAMS, X, Y))
    assert slope == pytest.approx(g["W"] @ tangent["W"] + g["b"] * tangent["b"])


def test_jvp_tangent_without_a_leaf_is_a_clear_error():
    with pytest.raises(S2SDiffError, match="tangent of params must have the structure"):
        jvp(squares, (PARAMS, X, Y), ({"W": np.ones(3)}, np.zeros_like(X), np.zeros_like(Y)))


@pytest.mark.parametrize("transform", [jacobian, jacfwd, jacrev])
def test_jacobians_of_a_scalar_are_gradient_trees(transform):
    J = transform(squares, wrt="params")(PARAMS, X, Y)
    g = residual_gradient(PARAMS)
    np.testing.assert_allclose(J["W"], g["W"])
    assert float(J["b"]) == pytest.approx(g["b"])


def layer(p, x):
    return np.tanh(p["W"] @ x + p["b"])


@pytest.mark.parametrize("transform", [jacobian, jacfwd, jacrev])
def test_jacobian_blocks_are_out_shape_plus_leaf_shape(transform):
    p = {"W": RNG.normal(size=(2, 3)), "b": RNG.normal(size=2)}
    x = RNG.normal(size=3)
    Jp, Jx = transform(layer)(p, x)
    assert Jp["W"].shape == (2, 2, 3) and Jp["b"].shape == (2,) + (2,) and Jx.shape == (2, 3)
    # closed form: d tanh(u)_i / d W_jk = (1 - out_i^2) [i == j] x_k
    slope = 1 - layer(p, x) ** 2
    np.testing.assert_allclose(Jp["W"], np.einsum("ij,k->ijk", np.diag(slope), x), atol=1e-12)
    np.testing.assert_allclose(Jp["b"], np.diag(slope), atol=1e-12)
    np.testing.assert_allclose(Jx, slope[:, None] * p["W"], atol=1e-12)


def test_hessian_nests_trees_as_jax_does():
    H = hessian(squares, wrt="params")(PARAMS, X, Y)
    np.testing.assert_allclose(H["W"]["W"], 2 * X.T @ X)
    np.testing.assert_allclose(H["W"]["b"], 2 * X.sum(axis=0))
    np.testing.assert_allclose(H["b"]["W"], 2 * X.sum(axis=0))
    assert float(H["b"]["b"]) == pytest.approx(2 * len(Y))


def test_hvp_with_trees_equals_hessian_times_vector():
    v = {"W": np.array([0.5, 1.0, -1.0]), "b": 2.0}
    dparams, dX, dy = hvp(squares, (PARAMS, X, Y), (v, np.zeros_like(X), np.zeros_like(Y)))
    np.testing.assert_allclose(dparams["W"], 2 * X.T @ X @ v["W"] + 2 * X.sum(axis=0) * v["b"])
    assert dparams["b"] == pytest.approx(2 * X.sum(axis=0) @ v["W"] + 2 * len(Y) * v["b"])


Point = namedtuple("Point", "a b")


def scalar_tree(q, c):
    return q.a * q.b ** 2 + c["k"] * q.a


def test_scalar_code_namedtuples_and_dicts_in_jacobian_and_hessian():
    q, c = Point(1.5, 2.0), {"k": 3.0}
    (dq, dc) = jacobian(scalar_tree)(q, c)
    assert isinstance(dq, Point)
    assert (float(dq.a), float(dq.b), float(dc["k"])) == pytest.approx((2.0 ** 2 + 3.0, 2 * 1.5 * 2.0, 1.5))
    H = hessian(scalar_tree, wrt="q")(q, c)
    assert isinstance(H, Point) and isinstance(H.a, Point)
    assert [float(H.a.a), float(H.a.b), float(H.b.a), float(H.b.b)] == \
        pytest.approx([0.0, 4.0, 4.0, 3.0])


@dataclasses.dataclass
class Config:
    scale: float
    steps: int
    name: str


def scaled(cfg, x):
    return np.sum(cfg.scale * x ** 2) * cfg.steps


def test_constant_leaves_get_none_in_every_transform():
    cfg, x = Config(0.5, 3, "run"), np.array([1.0, 2.0])
    dcfg, dx = vjp(scaled, cfg, x)[1](1.0)
    assert isinstance(dcfg, Config)
    assert dcfg.scale == pytest.approx(np.sum(x ** 2) * 3)
    assert dcfg.steps is None and dcfg.name is None
    np.testing.assert_allclose(dx, 2 * 0.5 * x * 3)
    Jcfg, _ = jacobian(scaled)(cfg, x)
    assert float(Jcfg.scale) == pytest.approx(np.sum(x ** 2) * 3) and Jcfg.steps is None


def mlp(params, x):
    h = x
    for W, b in params:
        h = np.tanh(h @ W + b)
    return np.sum(h ** 2)


def indexed(ws, x):
    return np.sum(np.tanh(ws[0] @ x) * ws[1])


LAYERS = [(RNG.normal(size=(3, 4)), RNG.normal(size=4)),
          (RNG.normal(size=(4, 2)), RNG.normal(size=2))]


def _central(f, tree, args, path, index, h=1e-6):
    """d f / d tree[path][index] by central differences (a copy changed in one entry)."""
    def moved(step):
        layers = [list(layer) for layer in tree]
        leaf = layers[path[0]][path[1]].copy()
        leaf[index] += step
        layers[path[0]][path[1]] = leaf
        return f([tuple(layer) for layer in layers], *args)
    return (moved(h) - moved(-h)) / (2 * h)


def test_a_loop_over_layers_is_unrolled_and_differentiated():
    x = RNG.normal(size=3)
    g = grad(mlp, wrt="params")(LAYERS, x)
    assert isinstance(g, list) and all(isinstance(layer, tuple) for layer in g)
    for path in [(0, 0), (0, 1), (1, 0), (1, 1)]:
        for index in np.ndindex(LAYERS[path[0]][path[1]].shape):
            assert g[path[0]][path[1]][index] == pytest.approx(
                _central(mlp, LAYERS, (x,), path, index), rel=1e-6, abs=1e-8)
    gradient = grad(mlp, wrt="params")
    gradient(LAYERS, x)
    entry, leaves = gradient.source.split("\ndef ")
    assert "params_0_0 = params[0][0]" in entry
    assert "return [(dparams_0_0, dparams_0_1), (dparams_1_0, dparams_1_1)]" in entry
    assert "W_2 = params_1_0" in leaves and "for " not in leaves      # unrolled


def test_lists_of_arrays_read_by_index_in_every_transform():
    ws = [RNG.normal(size=(2, 3)), RNG.normal(size=2)]
    x = RNG.normal(size=3)
    g = grad(indexed, wrt="ws")(ws, x)
    pulled = vjp(indexed, ws, x)[1](1.0)[0]
    for J in (jacfwd(indexed, wrt="ws")(ws, x), jacrev(indexed, wrt="ws")(ws, x), pulled):
        assert isinstance(J, list)
        np.testing.assert_allclose(J[0], g[0], atol=1e-12)
        np.testing.assert_allclose(J[1], g[1], atol=1e-12)
    u = np.tanh(ws[0] @ x)
    np.testing.assert_allclose(g[1], u)
    np.testing.assert_allclose(g[0], np.outer((1 - u ** 2) * ws[1], x))


def test_value_and_grad_and_plain_arguments_still_work_after_trees():
    value, g = value_and_grad(squares, wrt="params")(PARAMS, X, Y)
    assert value == pytest.approx(squares(PARAMS, X, Y))
    # the same function with a plain array where no tree is read takes the plain path
    J = jacobian(indexed, wrt="x")([np.eye(2, 3), np.ones(2)], np.ones(3))
    assert J.shape == (3,)


def test_a_loop_with_break_over_a_tree_is_refused_at_its_line():
    def early(params, x):
        h = x
        for W, b in params:
            h = np.tanh(h @ W + b)
            if np.sum(h) > 10:
                break
        return np.sum(h)
    with pytest.raises(S2SDiffError, match="break") as error:
        grad(early, wrt="params")(LAYERS, RNG.normal(size=3))
    assert error.value.lineno is not None
