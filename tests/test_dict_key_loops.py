"""Loops and comprehensions over the keys or items of a dict the function builds
(``for k, v in params.items(): total += scale[k] * v * v``): unrolled once per key.

Oracles: SymPy's derivatives of the same expressions, and refusals where the key would
outlive the loop."""

import math

import numpy as np
import pytest
import sympy

from s2sdiff import S2SDiffError, grad, jacfwd


def weighted_squares(a, b):
    params = {"a": a, "b": b}
    scale = {"a": 2.0, "b": 3.0}
    total = 0.0
    for k, v in params.items():
        total = total + scale[k] * v * v
    return total


def over_keys(a, b):
    params = {"a": a, "b": b}
    total = 0.0
    for name in params:
        total = total + math.sin(params[name]) * params["a"]
    return total


def nested_key_loops(a, b):
    params = {"a": a, "b": b}
    total = 0.0
    for k1, v1 in params.items():
        for k2 in params.keys():
            total = total + v1 * params[k2] ** 2
    return total


def generator_over_items(a, b):
    params = {"a": a, "b": b}
    scale = {"a": 2.0, "b": 3.0}
    return sum(scale[k] * v ** 2 for k, v in params.items())


def sgd_step(a, b):
    params = {"a": a, "b": b}
    grads = {"a": 2 * a, "b": math.exp(b)}
    new = {k: v - 0.1 * grads[k] for k, v in params.items()}
    return new["a"] * new["b"]


A, B = sympy.symbols("a b")
CASES = [
    (weighted_squares, 2 * A ** 2 + 3 * B ** 2),
    (over_keys, (sympy.sin(A) + sympy.sin(B)) * A),
    (nested_key_loops, (A + B) * (A ** 2 + B ** 2)),
    (generator_over_items, 2 * A ** 2 + 3 * B ** 2),
    (sgd_step, (A - sympy.Rational(1, 10) * 2 * A) * (B - sympy.Rational(1, 10) * sympy.exp(B))),
]


@pytest.mark.parametrize("function, expression", CASES, ids=[c[0].__name__ for c in CASES])
def test_the_gradient_is_sympys(function, expression):
    a, b = 0.7, -1.3
    assert function(a, b) == pytest.approx(float(expression.subs({A: a, B: b})))
    got = grad(function)(a, b)
    want = [float(sympy.diff(expression, s).subs({A: a, B: b})) for s in (A, B)]
    assert got == pytest.approx(want, rel=1e-12)
    assert jacfwd(function)(a, b) == pytest.approx(want, rel=1e-12)


def test_the_loop_is_unrolled_with_the_key_written_in_place():
    source = grad(weighted_squares).source
    assert "for " not in source and "'a'" not in source
    assert "scale_a = 2.0" in source and "dparams_a += scale_a * params_a" in source


def test_arrays_in_a_dict_of_the_function():
    def loss(w, b, x):
        params = {"w": w, "b": b}
        out = 0.0
        for name, p in params.items():
            out = out + np.sum(p * x) ** 2
        return out

    w, b, x = np.array([1.0, 2.0]), np.array([0.5, 1.0]), np.array([1.0, -1.0])
    dw, db, dx = grad(loss)(w, b, x)
    sw, sb = np.sum(w * x), np.sum(b * x)
    np.testing.assert_allclose(dw, 2 * sw * x)
    np.testing.assert_allclose(db, 2 * sb * x)
    np.testing.assert_allclose(dx, 2 * sw * w + 2 * sb * b)


def key_read_after_the_loop(a, b):
    params = {"a": a, "b": b}
    total = 0.0
    for k, v in params.items():
        total = total + v * v
    return total + v


def loop_with_break(a, b):
    params = {"a": a, "b": b}
    total = 0.0
    for k, v in params.items():
        total = total + v * v
        if total > 100.0:
            break
    return total


@pytest.mark.parametrize("function", [key_read_after_the_loop, loop_with_break])
def test_a_loop_that_cannot_be_unrolled_is_refused_clearly(function):
    with pytest.raises(S2SDiffError) as info:
        grad(function)
    message = str(info.value)
    assert "for k, v in params.items():" in message
    assert "not read after it" in message and "params.values()" in message
