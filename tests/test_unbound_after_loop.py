"""A name only a loop's iterations assign, read after a loop that ran no trip: the user's
function raises ``UnboundLocalError`` there, and so does every derivative of it (never a
value computed from a made-up ``0.0``).  With trips, each derivative against a closed
form worked out by hand."""

import numpy as np
import pytest

from s2sdiff import derivative, grad, hessian, jvp, value_and_grad, vjp
from s2sdiff.eject import eject


def last_product(x, n):
    for i in range(n):
        y = x * i
    return y                       # x * (n - 1) when n > 0


def used_after_the_loop(x, n):
    t = 0.0
    for i in range(n):
        y = x * x * i
        t = t + y
    return t + 2.0 * y             # x**2 * (n(n-1)/2 + 2(n-1))


def array_last(x, n):
    for i in range(n):
        y = np.sin(x) * i
    return np.sum(y)               # (n - 1) * sum(sin x)


TRANSFORMS = {
    "grad": lambda f: grad(f, wrt="x")(2.0, 0),
    "value_and_grad": lambda f: value_and_grad(f, wrt="x")(2.0, 0),
    "derivative": lambda f: derivative(f, wrt="x")(2.0, 0),
    "jvp": lambda f: jvp(f, (2.0, 0), (1.0, 0.0)),
    "vjp": lambda f: vjp(f, 2.0, 0)[1](1.0),
    "hessian": lambda f: hessian(f, wrt="x")(2.0, 0),
}


@pytest.mark.parametrize("function", [last_product, used_after_the_loop])
@pytest.mark.parametrize("transform", sorted(TRANSFORMS))
def test_no_trip_raises_like_the_function(function, transform):
    with pytest.raises(UnboundLocalError):
        function(2.0, 0)
    with pytest.raises(UnboundLocalError, match="'y'"):
        TRANSFORMS[transform](function)


@pytest.mark.parametrize("n", [1, 2, 4])
def test_with_trips_every_derivative_is_the_closed_form(n):
    assert grad(last_product, wrt="x")(2.0, n) == n - 1
    assert value_and_grad(last_product, wrt="x")(2.0, n) == (2.0 * (n - 1), n - 1)
    slope = 2 * 3.0 * (n * (n - 1) / 2 + 2 * (n - 1))
    assert grad(used_after_the_loop, wrt="x")(3.0, n) == pytest.approx(slope)
    assert derivative(used_after_the_loop, wrt="x")(3.0, n) == pytest.approx(slope)
    assert hessian(used_after_the_loop, wrt="x")(3.0, n) == pytest.approx(slope / 3.0)


def test_numpy_code():
    x = np.array([0.5, 1.0])
    with pytest.raises(UnboundLocalError, match="'y'"):
        grad(array_last, wrt="x")(x, 0)
    assert np.allclose(grad(array_last, wrt="x")(x, 3), 2 * np.cos(x))


def test_generated_source_binds_a_sentinel_and_checks_the_output():
    source = grad(last_product, wrt="x").source
    assert "y = Unbound('y')" in source and "Unbound.check(y)" in source


def test_an_ejected_module_carries_the_sentinel():
    namespace = {}
    exec(compile(eject(last_product, wrt="x"), "ejected", "exec"), namespace)
    gradient = namespace["grad_last_product"]
    assert gradient(2.0, 3) == 2.0
    with pytest.raises(UnboundLocalError):
        gradient(2.0, 0)
