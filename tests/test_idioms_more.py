"""The idioms of issue 15 that came last: ``zip(*rows)`` outside a ``for`` header,
``for v in reversed(xs)`` over a differentiated list, ``np.array``/``np.stack`` of a
comprehension, starred unpacking into displays and calls, and ``derivative`` of tree
parameters.  Every gradient is checked against central differences of the function
itself (leaf by leaf for trees); what stays out fails at generation time, naming it."""

import math

import numpy as np
import pytest

from s2sdiff import UnsupportedError, derivative, grad, value_and_grad
from test_tree_programs import at, central, leaves


def check_tree_gradient(function, args, wrt=None, gradient=None):
    """``grad`` (or ``gradient``) against central differences, leaf by leaf."""
    names = list(function.__code__.co_varnames[:function.__code__.co_argcount])
    positions = [names.index(wrt)] if wrt else list(range(len(args)))
    if gradient is None:
        gradient = grad(function, wrt=wrt)(*args) if wrt else grad(function)(*args)
    if wrt or len(args) == 1:
        gradient = (gradient,)
    value = (value_and_grad(function, wrt=wrt) if wrt else value_and_grad(function))(*args)[0]
    assert value == pytest.approx(function(*args), rel=1e-12)
    for position, got in zip(positions, gradient):
        arg = args[position]
        found = leaves(arg) if not isinstance(arg, (float, np.ndarray)) else [((), arg)]
        assert found
        for path, _ in found:
            ours = np.asarray(at(got, path), dtype=float)
            theirs = central(function, args, position, path)
            scale = max(1.0, float(np.max(np.abs(theirs))))
            assert ours.shape == theirs.shape, path
            assert np.allclose(ours, theirs, rtol=1e-5, atol=1e-6 * scale), (path, ours, theirs)


# --- derivative of tree parameters ------------------------------------------------------

def scalar_tree(t, x):
    return t["a"] * t["b"] ** 2 + math.sin(t["c"][0] * x)


def test_derivative_takes_tree_parameters():
    t = {"a": 2.0, "b": 3.0, "c": (0.5, 1)}
    by_forward = derivative(scalar_tree, wrt="t")(t, 2.0)
    assert by_forward["c"][1] is None                     # an int leaf is a constant
    assert by_forward == grad(scalar_tree, wrt="t")(t, 2.0)
    check_tree_gradient(scalar_tree, (t, 2.0), wrt="t", gradient=by_forward)
    both = derivative(scalar_tree)(t, 2.0)
    assert both[1] == pytest.approx(0.5 * math.cos(1.0))
    source = derivative(scalar_tree).specialize(t, 2.0).source
    assert "t_c_0 = t['c'][0]" in source and "derivative_scalar_tree_leaves(" in source


def test_derivative_of_array_trees_is_refused_like_flat_arrays():
    def loss(params, x):
        return np.sum(np.tanh(params["W"] @ x + params["b"]) ** 2)
    p = {"W": np.ones((2, 3)), "b": np.zeros(2)}
    with pytest.raises(UnsupportedError, match="by columns in forward mode"):
        derivative(loss, wrt="params")(p, np.ones(3))
