"""``params.items()``, ``params.values()`` and ``params.keys()`` of a dict of parameters:
a dict's keys are known when the code is generated (one generation per structure), so
loops and comprehensions over them are unrolled, one copy per key, in the dict's order,
and the keys are string constants in the copies.  Checked against closed forms and
central differences."""

import math

import numpy as np
import pytest

from s2sdiff import grad, value_and_grad
from s2sdiff.errors import S2SDiffError

WEIGHTS = {"a": 2.0, "b": -0.5, "c": 3.0}


def sum_of_squares(p):
    return sum(v * v for v in p.values())


def weighted_items(p):
    total = 0.0
    for name, value in p.items():
        total = total + WEIGHTS[name] * math.sin(value)
    return total


def by_keys(p):
    total = 0.0
    for k in p.keys():
        total = total + p[k] ** 3
    return total


def l2_penalty(params, X, y, lam):
    reg = 0.0
    for name, w in params.items():
        reg = reg + lam * np.sum(w ** 2)
    r = X @ params["W"] + params["b"] - y
    return np.mean(r ** 2) + reg


def layers(params, x):
    h = x
    for name, layer in params.items():
        h = np.tanh(layer["W"] @ h + layer["b"])
    return np.sum(h ** 2)


def as_list(p):
    values = list(p.values())
    return values[0] * values[1] + values[-1]


def central(f, tree, path, h=1e-6):
    """d f / d tree[path[0]][path[1]]... (a float leaf, or an array leaf entry by entry)."""
    def at(delta):
        def copy(node, rest):
            if not rest:
                return node + delta
            out = dict(node)
            out[rest[0]] = copy(node[rest[0]], rest[1:])
            return out
        return f(copy(tree, list(path)))
    leaf = tree
    for key in path:
        leaf = leaf[key]
    if np.ndim(leaf) == 0:
        return (at(h) - at(-h)) / (2 * h)
    out = np.zeros(np.shape(leaf))
    for index in np.ndindex(out.shape):
        e = np.zeros(out.shape)
        e[index] = h
        out[index] = (at(e) - at(-e)) / (2 * h)
    return out


def test_values_of_a_dict_of_floats():
    p = {"a": 0.5, "b": -1.5, "c": 2.0}
    g = grad(sum_of_squares)(p)
    assert isinstance(g, dict) and list(g) == ["a", "b", "c"]
    assert g == {k: pytest.approx(2 * v, rel=1e-15) for k, v in p.items()}


def test_items_give_the_keys_as_constants():
    p = {"a": 0.5, "b": -1.5, "c": 2.0}
    g = grad(weighted_items)(p)
    assert g == {k: pytest.approx(WEIGHTS[k] * math.cos(v), rel=1e-15) for k, v in p.items()}


def test_keys_index_the_dict():
    p = {"x": 1.5, "y": -0.5}
    assert grad(by_keys)(p) == {"x": pytest.approx(3 * 1.5 ** 2), "y": pytest.approx(3 * 0.25)}


def test_the_order_is_the_dicts_own():
    p = {"c": 2.0, "a": 0.5}
    g = grad(weighted_items)(p)
    assert list(g) == ["c", "a"]
    assert g["c"] == pytest.approx(WEIGHTS["c"] * math.cos(2.0), rel=1e-15)


def test_a_penalty_over_all_arrays_of_a_dict():
    rng = np.random.default_rng(0)
    params = {"W": rng.normal(size=(3, 2)), "b": rng.normal(size=2)}
    X, y = rng.normal(size=(5, 3)), rng.normal(size=(5, 2))
    value, g = value_and_grad(l2_penalty, wrt="params")(params, X, y, 0.1)
    assert value == pytest.approx(l2_penalty(params, X, y, 0.1), rel=1e-14)
    for key in ("W", "b"):
        expected = central(lambda q: l2_penalty(q, X, y, 0.1), params, [key])
        assert np.allclose(g[key], expected, rtol=1e-6, atol=1e-8)


def test_items_of_nested_dicts():
    rng = np.random.default_rng(1)
    params = {"first": {"W": rng.normal(size=(4, 3)), "b": rng.normal(size=4)},
              "second": {"W": rng.normal(size=(2, 4)), "b": rng.normal(size=2)}}
    x = rng.normal(size=3)
    g = grad(layers, wrt="params")(params, x)
    for layer in ("first", "second"):
        for key in ("W", "b"):
            expected = central(lambda q: layers(q, x), params, [layer, key])
            assert np.allclose(g[layer][key], expected, rtol=1e-6, atol=1e-8)


def test_values_as_a_list():
    p = {"a": 1.5, "b": -2.0, "c": 0.25}
    assert grad(as_list)(p) == {"a": pytest.approx(-2.0), "b": pytest.approx(1.5),
                                "c": pytest.approx(1.0)}


def keys_are_tuples(p):
    return sum(v * v for v in p.values())


def test_keys_that_are_not_strings_or_numbers_are_refused():
    with pytest.raises(S2SDiffError, match="not strings or numbers"):
        grad(keys_are_tuples)({("a", 1): 1.0, ("b", 2): 2.0})


def generator_over_literal_keys(p):
    return sum(p[k] ** 2 * WEIGHTS[k] for k in ("a", "c"))


def list_over_literal_keys(p):
    squares = [math.exp(p[k]) for k in ["b", "a"]]
    return squares[0] * squares[1]


def test_comprehensions_over_a_literal_tuple_of_keys_are_unrolled_like_loops():
    p = {"a": 0.3, "b": -1.2, "c": 0.7}
    assert grad(generator_over_literal_keys)(p) == pytest.approx(
        {"a": 2 * 0.3 * 2.0, "b": 0.0, "c": 2 * 0.7 * 3.0}, rel=1e-12)
    both = math.exp(0.3 - 1.2)
    assert grad(list_over_literal_keys)(p) == pytest.approx({"a": both, "b": both, "c": 0.0},
                                                            rel=1e-12)


def enumerated_keys(p):
    s = 0.0
    for i, key in enumerate(p):
        s += p[key] * (i + 1) * (key + 1)
    return s


def enumerated_items(p):
    s = 0.0
    for i, (key, v) in enumerate(p.items()):
        s += v * (i + 1) * (key + 1)
    return s


def test_enumerate_over_a_dict_with_integer_keys_reads_its_keys():
    """``enumerate(p)`` of a dict gives its keys (it was read as a list: refused at run
    time); the integer key indexes the tree as a constant, ``p[7]``."""
    for d in ({0: 1.0, 1: 2.0}, {5: 1.0, 7: 2.0}):
        expected = {k: (i + 1) * (k + 1) for i, k in enumerate(d)}
        assert grad(enumerated_keys)(d) == pytest.approx(expected, rel=1e-14)
        assert grad(enumerated_items)(d) == pytest.approx(expected, rel=1e-14)
