"""Tree parameters (JAX's pytrees): gradients in the structure of the argument, checked
against closed forms and central differences."""

import dataclasses
from collections import namedtuple

import numpy as np
import pytest

from s2sdiff import S2SDiffError, grad, value_and_grad, vjp

Affine = namedtuple("Affine", ["w", "b"])


@dataclasses.dataclass
class Layer:
    W: np.ndarray
    b: np.ndarray


def central(f, tree, path, h=1e-6):
    """d f / d leaf at ``path`` of ``tree`` (a dict of arrays) by central differences."""
    leaf = tree[path]
    out = np.zeros_like(leaf)
    for index in np.ndindex(leaf.shape):
        for sign in (1, -1):
            moved = {k: v.copy() for k, v in tree.items()}
            moved[path][index] += sign * h
            out[index] += sign * f(moved) / (2 * h)
    return out


def test_dict_of_floats_closed_form():
    def dp(params):
        return params["w"] * params["b"]
    assert grad(dp)({"w": 2.0, "b": 3.0}) == {"w": 3.0, "b": 2.0}


def mlp_loss(params, X, y):
    h = np.tanh(X @ params["W1"] + params["b1"])
    out = h @ params["W2"] + params["b2"]
    return np.mean((out - y) ** 2)


def test_mlp_dict_of_arrays_against_central_differences():
    rng = np.random.default_rng(0)
    params = {"W1": rng.normal(size=(3, 4)), "b1": rng.normal(size=4),
              "W2": rng.normal(size=(4, 2)), "b2": rng.normal(size=2)}
    X, y = rng.normal(size=(5, 3)), rng.normal(size=(5, 2))
    gradient = grad(mlp_loss, wrt="params")(params, X, y)
    assert list(gradient) == ["W1", "b1", "W2", "b2"]
    for key in params:
        expected = central(lambda p: mlp_loss(p, X, y), params, key)
        np.testing.assert_allclose(gradient[key], expected, rtol=1e-6, atol=1e-8)
    value, again = value_and_grad(mlp_loss, wrt="params")(params, X, y)
    assert value == pytest.approx(mlp_loss(params, X, y))
    for key in params:
        np.testing.assert_allclose(again[key], gradient[key])
    source = grad(mlp_loss, wrt="params").source
    assert "params_W1 = params['W1']" in source
    assert "return {'W1': dparams_W1, 'b1': dparams_b1, 'W2': dparams_W2, 'b2': dparams_b2}" \
        in source


def test_namedtuple_closed_form():
    def line(p, x):
        return (p.w * x + p.b) ** 2
    gradient = grad(line)(Affine(2.0, 1.0), 3.0)
    # r = w x + b = 7: d/dw = 2 r x = 42, d/db = 2 r = 14, d/dx = 2 r w = 28
    assert gradient == (Affine(w=42.0, b=14.0), 28.0)
    assert type(gradient[0]) is Affine


def test_nested_dict_and_constant_leaves():
    def f(params):
        inner = params["layer"]["w"] * params["layer"]["v"] ** 2
        return inner * params["scale"] + params["steps"]
    params = {"layer": {"w": 2.0, "v": 3.0}, "scale": 0.5, "steps": 4, "name": None}
    gradient = grad(f)(params)
    # f = w v^2 s + n: df/dw = v^2 s = 4.5, df/dv = 2 w v s = 6, df/ds = w v^2 = 18
    assert gradient == {"layer": {"w": 4.5, "v": 6.0}, "scale": 18.0, "steps": None,
                        "name": None}


def test_dataclass_of_arrays_against_central_differences():
    def f(layer, x):
        return np.sum(np.sin(layer.W @ x + layer.b))
    rng = np.random.default_rng(1)
    layer = Layer(rng.normal(size=(2, 3)), rng.normal(size=2))
    x = rng.normal(size=3)
    gradient = grad(f, wrt="layer")(layer, x)
    assert type(gradient) is Layer
    tree = {"W": layer.W, "b": layer.b}
    for key in tree:
        expected = central(lambda t: f(Layer(t["W"], t["b"]), x), tree, key)
        np.testing.assert_allclose(getattr(gradient, key), expected, rtol=1e-6, atol=1e-8)


def test_tuple_unpacking_and_list_of_trees():
    def f(params, x):
        W, b = params["layer"]
        return np.sum((W @ x + b) ** 2)
    rng = np.random.default_rng(2)
    W, b, x = rng.normal(size=(2, 3)), rng.normal(size=2), rng.normal(size=3)
    dW, db = grad(f, wrt=0)({"layer": (W, b)}, x)["layer"]
    r = W @ x + b
    np.testing.assert_allclose(dW, 2 * np.outer(r, x))
    np.testing.assert_allclose(db, 2 * r)

    def g(layers):
        return layers[0]["a"] * layers[1]["a"] + layers[-1]["c"]
    assert grad(g)([{"a": 2.0}, {"a": 5.0, "c": 1.0}]) == [{"a": 5.0}, {"a": 2.0, "c": 1.0}]


def test_empty_container_and_new_structure():
    def f(params, x):
        return params["w"] * x
    g = grad(f)
    assert g({"w": 2.0, "unused": {}}, 3.0) == ({"w": 3.0, "unused": {}}, 2.0)
    assert g({"w": 2.0}, 3.0) == ({"w": 3.0}, 2.0)


def test_lists_of_floats_stay_sequences():
    def f(xs):
        return xs[0] * xs[1]
    assert list(grad(f)([2.0, 3.0])) == [3.0, 2.0]


def test_reads_that_cannot_be_resolved_are_refused():
    def computed(params, k):
        return params[k] * params["w"]
    with pytest.raises(S2SDiffError, match="not a constant"):
        grad(computed, wrt=0)({"w": 1.0, "v": 2.0}, "v")

    def whole(params):
        return np.stack(params) * params["w"]
    with pytest.raises(S2SDiffError, match="as a whole"):
        grad(whole)({"w": 1.0})

    def given_to_a_helper(params):          # tree_helpers.py: the helper is inlined
        return helper(params) * params["w"]
    assert grad(given_to_a_helper)({"w": 3.0}) == {"w": 6.0}

    def missing(params):
        return params["nope"] * params["w"]
    with pytest.raises(S2SDiffError, match="no key 'nope'"):
        grad(missing)({"w": 1.0})


def helper(tree):
    return tree["w"]


def test_a_tree_used_as_a_whole_is_refused_clearly_in_every_transform():
    from s2sdiff import jacobian, jvp

    def f(params):
        return np.sum(np.stack(params)) * 2.0
    tree = [np.ones(2), np.ones(2)]
    with pytest.raises(S2SDiffError, match="constant keys"):
        vjp(f, tree)
    with pytest.raises(S2SDiffError, match="constant keys"):
        jvp(f, (tree,), (tree,))
    with pytest.raises(S2SDiffError, match="constant keys"):
        jacobian(f)(tree)
