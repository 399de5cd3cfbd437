"""Loops whose target unpacks each entry (hunt 9 bug_02): ``for w, b in layers``, a
generator ``sum(x * x for x, v in states)``, ``for i, (w, b) in enumerate(layers)``, a
nested target ``for (w, b), s in layers``, rows of an array ``for a, b in X``; and the
adjoint of a tuple inside a tuple, which ``+=`` joined into a list of four entries (a
wrong gradient) before.  Oracle: central differences of the function itself, and the
same loop written with the entry bound whole."""

import math

import numpy as np
import pytest

from s2sdiff import grad, jacfwd

LAYERS = [(0.5, 0.1), (1.2, -0.3)]
NESTED = [((0.5, 0.1), 2.0), ((1.2, -0.3), 0.5)]


def net(layers, x):
    h = x
    for w, b in layers:
        h = math.tanh(w * h + b)
    return h


def net_entry_whole(layers, x):
    h = x
    for layer in layers:
        w, b = layer
        h = math.tanh(w * h + b)
    return h


def enumerated(layers, x):
    h = x
    for i, (w, b) in enumerate(layers):
        h = math.tanh(w * h + b) + 0.1 * i
    return h


def nested_target(layers, x):
    h = x
    for (w, b), s in layers:
        h = math.tanh(w * h + b) * s
    return h


def oscillator(k):
    states = [(1.0, 0.0)]
    for i in range(20):
        x, v = states[-1]
        states.append((x + 0.1 * v, v - 0.1 * k * x))
    return sum(x * x for x, v in states)


def rows(X, w):
    total = 0.0
    for a, b in X:
        total = total + np.sin(a * w) * b
    return total


def bumped(tree, path, h):
    """``tree`` (lists and tuples of floats) with the entry at ``path`` moved by ``h``."""
    if not path:
        return tree + h
    parts = list(tree)
    parts[path[0]] = bumped(parts[path[0]], path[1:], h)
    return type(tree)(parts)


def central_tree(f, tree, rest, path, h=1e-6):
    return (f(bumped(tree, path, h), *rest) - f(bumped(tree, path, -h), *rest)) / (2 * h)


@pytest.mark.parametrize("f, tree, paths", [
    (net, LAYERS, [(0, 0), (0, 1), (1, 0), (1, 1)]),
    (enumerated, LAYERS, [(0, 0), (1, 1)]),
    (nested_target, NESTED, [(0, 0, 0), (0, 0, 1), (0, 1), (1, 0, 0), (1, 0, 1), (1, 1)])])
def test_gradients_of_the_layers(f, tree, paths):
    got = grad(f, wrt=0)(tree, 0.9)
    for path in paths:
        entry = got
        for k in path:
            entry = entry[k]
        assert entry == pytest.approx(central_tree(f, tree, (0.9,), path), rel=1e-6)
    assert grad(f, wrt=1)(tree, 0.9) == pytest.approx(
        (f(tree, 0.9 + 1e-6) - f(tree, 0.9 - 1e-6)) / 2e-6, rel=1e-6)


def test_the_nested_adjoint_keeps_its_shape():
    """[[dw, db], ds] per layer: it was [[0.0, 0.0, dw, db], ds]."""
    got = grad(nested_target, wrt=0)(NESTED, 0.9)
    assert [len(layer[0]) for layer in got] == [2, 2]


def test_same_as_the_entry_bound_whole():
    assert grad(net)(LAYERS, 0.9) == grad(net_entry_whole)(LAYERS, 0.9)


def test_a_generator_over_pairs():
    h = 1e-6
    want = (oscillator(1.3 + h) - oscillator(1.3 - h)) / (2 * h)
    assert grad(oscillator)(1.3) == pytest.approx(want, rel=1e-6)
    assert jacfwd(oscillator)(1.3) == pytest.approx(want, rel=1e-6)


def test_rows_of_an_array():
    X, w, h = np.array([[0.5, 1.0], [0.2, -0.4], [1.1, 0.3]]), 0.7, 1e-6
    dX, dw = grad(rows)(X, w)
    assert np.allclose(dX[:, 0], w * np.cos(X[:, 0] * w) * X[:, 1], atol=1e-12)
    assert np.allclose(dX[:, 1], np.sin(X[:, 0] * w), atol=1e-12)
    assert dw == pytest.approx((rows(X, w + h) - rows(X, w - h)) / (2 * h), rel=1e-6)


def pair_bound_whole(xs, ys):
    total = 0.0
    for i, pair in enumerate(zip(xs, ys)):
        a, b = pair
        total += (i + 1) * a * b
    return total


def test_a_pair_of_zip_bound_whole_in_enumerate():
    """d/dxs sum (i + 1) x_i y_i = (i + 1) y_i: it gave 0.0 (the pair's adjoint was lost)."""
    assert grad(pair_bound_whole)([1.0, 2.0], [3.0, 4.0]) == ([3.0, 8.0], [1.0, 4.0])


def params_tuple(theta):
    a, b, c = theta
    return a * math.exp(b) + c ** 2


def test_a_gradient_has_its_parameters_structure():
    """A tuple's gradient is a tuple, a list of tuples' a list of tuples (DESIGN: pytrees;
    they came back as a list, and a list of the runtime's _Adjoints)."""
    g = grad(params_tuple)((0.5, 0.2, -1.0))
    assert type(g) is tuple and g == pytest.approx((math.exp(0.2), 0.5 * math.exp(0.2), -2.0))
    layers = grad(net, wrt=0)(LAYERS, 0.9)
    assert type(layers) is list and all(type(layer) is tuple for layer in layers)
    nested = grad(nested_target, wrt=0)(NESTED, 0.9)
    assert [(type(a), type(a[0])) for a in nested] == [(tuple, tuple)] * 2
