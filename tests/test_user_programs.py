"""Every program of tests/user_programs.py: its gradient (grad and value_and_grad)
against central differences computed here, in float64, entry by entry; the programs
refused today raise a clear S2SDiffError naming the construct and the user's line."""
import inspect

import numpy as np
import pytest

from s2sdiff import grad, value_and_grad
from s2sdiff.api import resolve_wrt
from user_programs import PROGRAMS, REFUSED

STEP = 1e-6


def central_differences(program):
    """d f / d each differentiated parameter, by central differences of f itself."""
    names, _ = resolve_wrt(program.function, program.wrt)
    params = list(inspect.signature(program.function).parameters)
    args = list(program.args)
    result = []
    for name in names:
        index = params.index(name)
        value = args[index]
        base = np.array(value, dtype=float)
        derivative = np.zeros_like(base)
        for position in np.ndindex(base.shape):
            moved = []
            for sign in (1.0, -1.0):
                shifted = base.copy()
                shifted[position] += sign * STEP * max(1.0, abs(base[position]))
                trial = list(args)
                trial[index] = shifted.tolist() if isinstance(value, list) else \
                    shifted if isinstance(value, np.ndarray) else float(shifted)
                moved.append(program.function(*trial))
            derivative[position] = (moved[0] - moved[1]) / (
                2 * STEP * max(1.0, abs(base[position])))
        result.append(derivative)
    return result


def as_list(gradient, program):
    names, single = resolve_wrt(program.function, program.wrt)
    return [gradient] if single else list(gradient)


@pytest.mark.parametrize("program", PROGRAMS, ids=[p.function.__name__ for p in PROGRAMS])
def test_gradient_matches_central_differences(program):
    expected = central_differences(program)
    gradient = as_list(grad(program.function, wrt=program.wrt)(*program.args), program)
    assert len(gradient) == len(expected)
    for ours, theirs in zip(gradient, expected):
        ours = np.asarray(ours, dtype=float)
        assert ours.shape == theirs.shape
        scale = max(1.0, float(np.max(np.abs(theirs))))
        assert np.allclose(ours, theirs, rtol=1e-5, atol=1e-5 * scale), (ours, theirs)
    value, again = value_and_grad(program.function, wrt=program.wrt)(*program.args)
    assert value == pytest.approx(program.function(*program.args), rel=1e-12)
    for ours, first in zip(as_list(again, program), gradient):
        assert np.array_equal(np.asarray(ours), np.asarray(first))


# the programs refused with a clear error: test_user_programs_hunt.py (REFUSED)


def test_the_corpus_is_large_enough():
    assert len(PROGRAMS) + len(REFUSED) >= 35


def test_training_with_scipy_minimize_jac_true():
    """value_and_grad as scipy's fun with jac=True reaches the optimum that scipy finds
    with its own finite-difference gradient, in fewer function evaluations."""
    scipy_optimize = pytest.importorskip("scipy.optimize")
    from user_programs import X8, Y8, ridge

    def objective(w):
        return ridge(w, X8, Y8)

    ours = scipy_optimize.minimize(value_and_grad(objective), np.zeros(4), jac=True,
                                   method="BFGS", options={"gtol": 1e-10})
    theirs = scipy_optimize.minimize(objective, np.zeros(4), method="BFGS",
                                     options={"gtol": 1e-8})
    # the closed form of ridge: (X'X / n + 2 lam I) w = X'y / n
    n = len(Y8)
    exact = np.linalg.solve(X8.T @ X8 / n + 0.2 * np.eye(4), X8.T @ Y8 / n)
    assert np.allclose(ours.x, exact, atol=1e-7) and np.allclose(theirs.x, exact, atol=1e-5)
    assert ours.nfev < theirs.nfev


def test_plain_gradient_descent_trains_the_logistic_model():
    """A training loop as in autograd's logistic_regression example: the loss falls at
    every step and the final gradient is small."""
    from user_programs import logistic_loss

    step = grad(logistic_loss)
    weights = np.zeros(4)
    losses = [logistic_loss(weights)]
    for _ in range(100):
        weights = weights - 0.01 * step(weights)
        losses.append(logistic_loss(weights))
    assert all(b < a for a, b in zip(losses, losses[1:]))
    assert losses[-1] < 0.5 * losses[0]
