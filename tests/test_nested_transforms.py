"""grad of a gradient s2sdiff generated for NumPy code (nested_transforms.py): autograd's
first README example, grad(grad(grad(tanh))), against central differences of the
derivative one order below and the closed forms of tanh's derivatives."""

import numpy as np
import pytest

from s2sdiff import NotScalarError, derivative, grad, value_and_grad


def tanh(x):
    y = np.exp(-2.0 * x)
    return (1.0 - y) / (1.0 + y)


def scaled_tanh(a, b):
    return np.tanh(a) * b


def summed(x):
    return np.sum(np.tanh(x))


def central(f, x, h=1e-5):
    return (f(x + h) - f(x - h)) / (2 * h)


@pytest.mark.parametrize("x", [1.0, -0.3, np.float64(0.7)])
def test_third_derivative_of_tanh(x):
    t = np.tanh(x)
    first = grad(tanh)
    second = grad(first)
    third = grad(second)
    assert first(x) == pytest.approx(1 - t ** 2, rel=1e-12)
    assert second(x) == pytest.approx(-2 * t * (1 - t ** 2), rel=1e-12)
    assert third(x) == pytest.approx(-2 * (1 - t ** 2) * (1 - 3 * t ** 2), rel=1e-10)
    assert third(x) == pytest.approx(central(second, x), rel=1e-6)


def test_other_transforms_and_wrt():
    first = grad(tanh)
    value, slope = value_and_grad(first)(0.4)
    assert value == pytest.approx(first(0.4)) and slope == pytest.approx(central(first, 0.4))
    assert derivative(first)(0.4) == pytest.approx(central(first, 0.4), rel=1e-6)
    mixed = grad(grad(scaled_tanh, wrt="a"), wrt="b")(0.4, 2.0)
    assert mixed == pytest.approx(1 - np.tanh(0.4) ** 2, rel=1e-12)


def test_the_code_for_the_arguments_is_readable():
    second = grad(grad(tanh))
    source = second.specialize(0.5).source
    assert source.startswith("def grad_grad_tanh(x):")
    assert second.specialize(0.5)(0.5) == second(0.5)


def test_a_gradient_that_is_an_array_is_not_differentiated_again():
    with pytest.raises(NotScalarError, match="returns an array of shape"):
        grad(grad(summed))(np.array([0.1, 0.2]))


def mixed(x):
    return np.sum(np.sin(x) * x[::-1]) + np.prod(x)


@pytest.mark.parametrize("transform", ["jacfwd", "jacrev", "jacobian"])
def test_a_jacobian_of_the_gradient_is_the_hessian(transform):
    """JAX's spelling of a Hessian, jacfwd(grad(f)), was refused as a function without
    source naming the dispatcher (hunt 6 bug_06)."""
    import s2sdiff
    x = np.array([0.3, -0.4, 1.2])
    gradient = grad(mixed)
    by_columns = np.array([central(lambda t: gradient(x + t * e), 0.0) for e in np.eye(3)]).T
    assert np.allclose(getattr(s2sdiff, transform)(gradient)(x), by_columns, rtol=1e-6)
    assert np.allclose(getattr(s2sdiff, transform)(gradient)(x), s2sdiff.hessian(mixed)(x))


def stepped(x):
    a, b = x, x * x
    for _ in range(3):
        a, b = a * b, b + np.tanh(a)
    return a + b


def running_minimum_squared(x):
    best = float("inf")
    for c in (x, x * x, 2 - x):
        best = min(best, c)
    return best ** 2


def popped(x, y):
    ys = [x, y, x * y]
    last = ys.pop()
    return last * y + sum(ys)


@pytest.mark.parametrize("function, args, wrt", [
    (stepped, (0.7,), "x"), (running_minimum_squared, (0.7,), "x"),
    (popped, (0.3, 0.7), "y"),
])
def test_grad_of_a_gradient_with_loops_is_the_forward_derivatives(function, args, wrt):
    """The first gradient's reverse sweep pops a tape, which was refused naming the
    generated code (`tape.pop`, `grad_f6`, `es.pop`: hunt 6 bug_13, bug_15); the forward
    mode derivative has none, and equals it."""
    from s2sdiff import hessian
    second = grad(grad(function, wrt=wrt), wrt=wrt)(*args)
    first = grad(function, wrt=wrt)
    k = list(function.__code__.co_varnames).index(wrt)

    def slope(t):
        moved = list(args)
        moved[k] = moved[k] + t
        return first(*moved)
    assert second == pytest.approx(central(slope, 0.0), rel=1e-6)
    assert second == pytest.approx(np.asarray(hessian(function, wrt=wrt)(*args)).item(), rel=1e-10)
