"""Everyday tree idioms from the fourth user-program hunt (/tmp/hunt4 bug_14, 15, 16, 21):
key names from a module-level tuple or list or a default, `continue` and filtered keys in
a loop over a tree, a data dict read with loop keys in a helper or with `get`, a tree
parameter of a method.  Every gradient against central differences of the program
itself, leaf by leaf (tests/differences.py); the refusals name the user's construct."""

import copy
import inspect

import numpy as np
import pytest

from s2sdiff import S2SDiffError, grad, value_and_grad
from differences import at, central_at, leaves

R = np.random.default_rng(21)
P = {"hidden": R.normal(size=3), "output": R.normal(size=2)}


def check(function, args, wrt=None, rtol=1e-5):
    """grad and value_and_grad of ``function`` at ``args`` against central differences,
    leaf by leaf, for the parameter ``wrt`` (a name or None: the first)."""
    names = list(inspect.signature(function).parameters)
    name = wrt or names[0]
    position = names.index(name)
    gradient = grad(function, wrt=name)(*copy.deepcopy(args))
    value, again = value_and_grad(function, wrt=name)(*copy.deepcopy(args))
    assert value == pytest.approx(function(*copy.deepcopy(args)), rel=1e-12)
    found = leaves(args[position])
    assert found
    for path, _ in found:
        ours = np.asarray(at(gradient, path), dtype=float)
        theirs = central_at(function, args, position, path)
        assert ours.shape == theirs.shape, (path, ours.shape, theirs.shape)
        assert np.allclose(ours, theirs, rtol=rtol, atol=1e-6), (path, ours, theirs)
        assert np.array_equal(np.asarray(at(again, path)), np.asarray(at(gradient, path)))
    return gradient


# --- 1. key names from a module-level tuple or list, or from a default (bug_15) ----------

LAYERS = ("hidden", "output")
NAMES = ["hidden"]


def loop_over_global(params):
    t = 0.0
    for k in LAYERS:
        t = t + np.sum(params[k] ** 2) * (2.0 if k == "hidden" else 1.0)
    return t


def comprehension_over_global_list(params):
    return sum(np.sum(np.sin(params[k]) ** 2) for k in NAMES)


def scalar_loop_over_global(params):
    t = 0.0
    for k in LAYERS:
        t = t + params[k] ** 3
    return t


def loop_over_default(params, names=("hidden", "output")):
    t = 0.0
    for k in names:
        t = t + np.sum(np.tanh(params[k]) * params[k])
    return t


def loop_over_passed_names(params, names):
    return sum(np.sum(params[k] ** 3) for k in names)


def make_closure_loop():
    keys = ("output",)

    def closure_loop(params):
        return sum(np.sum(np.exp(params[k])) for k in keys)
    return closure_loop


def test_loop_over_a_module_level_tuple_of_keys():
    check(loop_over_global, (P,))


def test_loop_over_a_default_tuple_of_keys():
    check(loop_over_default, (P,))
    check(loop_over_default, (P, ("output",)))


def test_loop_over_keys_passed_as_data():
    check(loop_over_passed_names, (P, ("hidden", "output")))
    check(loop_over_passed_names, (P, ["output"]))


def test_loop_over_a_closure_tuple_of_keys():
    check(make_closure_loop(), (P,))


def test_a_rebound_or_mutated_global_of_keys_generates_the_code_again():
    global LAYERS
    saved = LAYERS
    scalars = {"hidden": 0.7, "output": -1.3}
    try:
        g = grad(loop_over_global)
        h = grad(scalar_loop_over_global)
        assert np.allclose(g(P)["output"], 2 * P["output"])
        assert h(scalars) == pytest.approx({"hidden": 3 * 0.7 ** 2, "output": 3 * 1.3 ** 2})
        LAYERS = ("output",)
        assert np.allclose(g(P)["hidden"], 0.0)
        assert np.allclose(g(P)["output"], 2 * P["output"])
        assert h(scalars) == pytest.approx({"hidden": 0.0, "output": 3 * 1.3 ** 2})
        check(loop_over_global, (P,))
    finally:
        LAYERS = saved
    assert np.allclose(grad(loop_over_global)(P)["hidden"], 4 * P["hidden"])
    c = grad(comprehension_over_global_list)
    try:
        assert np.allclose(c(P)["output"], 0.0)
        NAMES.append("output")
        check(comprehension_over_global_list, (P,))
        assert np.allclose(c(P)["output"], np.sin(2 * P["output"]))
        NAMES[:] = ["output"]
        assert np.allclose(c(P)["hidden"], 0.0)
    finally:
        NAMES[:] = ["hidden"]
    assert np.allclose(c(P)["hidden"], np.sin(2 * P["hidden"]))
    h = grad(scalar_loop_over_global)
    h({"hidden": 0.7, "output": -1.3})
    assert "if LAYERS is not" in h.source          # the check that generates it again
