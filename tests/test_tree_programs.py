"""Every program of tests/tree_programs.py: ``grad`` and ``value_and_grad`` against
central differences of the program itself, leaf by leaf (the gradient has the structure
of the tree given); then two training loops: plain gradient descent on a dict of
parameters against the same loop with a gradient worked out by hand, and
``scipy.optimize.minimize(jac=True)`` driven by ``value_and_grad``."""

import copy

import numpy as np
import pytest

from s2sdiff import grad, value_and_grad
from differences import at, central_at as central, leaves
from tree_programs import INPUTS, PROGRAMS, logistic_flat, ridge_dict

@pytest.mark.parametrize("function, args, wrt", PROGRAMS, ids=[p[0].__name__ for p in PROGRAMS])
def test_tree_gradient_matches_central_differences(function, args, wrt):
    position = 0 if wrt is None else list(function.__code__.co_varnames).index(wrt)
    gradient = grad(function, wrt=wrt)(*args) if wrt else grad(function)(*args)
    found = leaves(args[position])
    assert found, "the program has no float leaves"
    for path, _ in found:
        ours = np.asarray(at(gradient, path), dtype=float)
        theirs = central(function, args, position, path)
        scale = max(1.0, float(np.max(np.abs(theirs))))
        assert ours.shape == theirs.shape, path
        assert np.allclose(ours, theirs, rtol=1e-5, atol=1e-5 * scale), (path, ours, theirs)
    value, again = (value_and_grad(function, wrt=wrt) if wrt else value_and_grad(function))(*args)
    assert value == pytest.approx(function(*copy.deepcopy(args)), rel=1e-12)
    for path, _ in found:
        assert np.array_equal(np.asarray(at(again, path)), np.asarray(at(gradient, path)))


def test_gradient_descent_on_a_dict_matches_the_hand_written_loop():
    rng = np.random.default_rng(11)
    y = INPUTS @ np.array([1.0, -0.5, 0.25, 2.0]) + 0.3 + 0.01 * rng.normal(size=len(INPUTS))
    params = {"w": np.zeros(4), "b": 0.0}
    by_hand = {"w": np.zeros(4), "b": 0.0}
    step = value_and_grad(ridge_dict, wrt="params")
    losses = []
    for _ in range(200):
        loss, g = step(params, INPUTS, y)
        losses.append(loss)
        params = {key: params[key] - 0.1 * g[key] for key in params}
        r = INPUTS @ by_hand["w"] + by_hand["b"] - y          # the gradient worked out
        dw = 2 * INPUTS.T @ r / len(y) + 0.2 * by_hand["w"]
        db = 2 * np.sum(r) / len(y)
        by_hand = {"w": by_hand["w"] - 0.1 * dw, "b": by_hand["b"] - 0.1 * db}
    np.testing.assert_allclose(params["w"], by_hand["w"], rtol=1e-10, atol=1e-12)
    assert params["b"] == pytest.approx(by_hand["b"], rel=1e-10)
    assert losses[-1] < 0.05 * losses[0]


def test_scipy_minimize_with_jac_true_finds_the_stationary_point():
    optimize = pytest.importorskip("scipy.optimize")
    rng = np.random.default_rng(5)
    labels = (INPUTS @ np.array([1.0, -1.0, 0.5, 0.0]) + 0.5 * rng.normal(size=len(INPUTS))
              > 0).astype(float)
    fun = value_and_grad(logistic_flat, wrt="w")
    result = optimize.minimize(fun, np.zeros(4), args=(INPUTS, labels), jac=True,
                               method="BFGS")
    assert result.success, result.message
    # the gradient worked out by hand vanishes there
    z = INPUTS @ result.x
    by_hand = INPUTS.T @ (1 / (1 + np.exp(-z)) - labels) + 0.1 * result.x
    assert np.max(np.abs(by_hand)) < 1e-5
    np.testing.assert_allclose(fun(result.x, INPUTS, labels)[1], by_hand, atol=1e-12)
