"""Hunt 4 correctness: results that were silently of the wrong shape, kind or dtype, and
arguments refused that the other transforms take.

* bug_01: an entry of a module-level (or closure) dict or list read with a constant key
  (``CFG["scale"]``) that is set to an array after the first call: the dispatcher keys on
  it, so the second call gives what a fresh ``grad`` gives (a ``NotScalarError``, or the
  gradient of the new function), never the code made for a float;
* bug_02: "Every gradient has its input's dtype" for jacobian, jacfwd, jacrev, hessian
  and for scalar code at NumPy scalars and ints;
* bug_20: ``jvp`` leaves trailing parameters with defaults to them, as ``vjp`` does;
* bug_10: ``grad`` of a non-scalar function of two parameters raises ``NotScalarError``
  naming the user's function.

Oracles: a fresh ``grad`` of the same function, closed forms, central differences.
"""
import math

import numpy as np
import pytest

from s2sdiff import grad, hessian, jacfwd, jacobian, jacrev, jvp, vjp
from s2sdiff.errors import ArgumentError, NotScalarError


def central(f, x, h=1e-6):
    """Central differences of the scalar ``f`` at the array ``x``."""
    g = np.zeros_like(x, dtype=float)
    for k in np.ndindex(x.shape):
        up, down = x.astype(float), x.astype(float)
        up[k] += h
        down[k] -= h
        g[k] = (f(up) - f(down)) / (2 * h)
    return g


# -- bug_01: entries of free containers read with constant keys ---------------------

CFG = {"scale": 2.0}
LST = [2.0]
NESTED = {"sub": {"w": [1.0, 2.0]}}
ARR = {"scale": 2.0}


def scaled_cube(x):
    return CFG["scale"] * x ** 3


def list_cube(x):
    return LST[0] * x ** 3


def summed_cube(x):
    return np.sum(ARR["scale"] * x ** 3)


def nested_read(x):
    return np.sum(x ** 2) + NESTED["sub"]["w"][1] * x[0]


def closure_read():
    box = {"k": 2.0}

    def f(x):
        return np.sum(box["k"] * x ** 2)
    return f, box


def test_dict_entry_set_to_an_array_raises_what_a_fresh_grad_raises():
    CFG["scale"] = 2.0
    g = grad(scaled_cube)
    assert g(1.0) == pytest.approx(6.0)
    CFG["scale"] = np.array([1.0, 2.0])
    try:
        with pytest.raises(NotScalarError):
            grad(lambda x: CFG["scale"] * x ** 3)(1.0)       # the oracle: fresh
        with pytest.raises(NotScalarError):
            g(1.0)
    finally:
        CFG["scale"] = 2.0
    assert g(1.0) == pytest.approx(6.0)


def test_list_entry_set_to_an_array_raises_what_a_fresh_grad_raises():
    LST[0] = 2.0
    g = grad(list_cube)
    assert g(1.0) == pytest.approx(6.0)
    LST[0] = np.array([1.0, 2.0])
    try:
        with pytest.raises(NotScalarError):
            g(1.0)
    finally:
        LST[0] = 2.0


def test_dict_entry_changing_shape_in_numpy_code_gives_the_new_gradient():
    x = np.array([1.0, 2.0, 3.0])
    ARR["scale"] = 2.0
    g = grad(summed_cube)
    np.testing.assert_allclose(g(x), 6 * x ** 2)
    ARR["scale"] = np.array([[1.0], [2.0]])       # broadcasts: output still a number
    try:
        got = g(x)
        assert got.shape == x.shape
        np.testing.assert_allclose(got, central(summed_cube, x), rtol=1e-6)
        np.testing.assert_allclose(got, 9 * x ** 2)
    finally:
        ARR["scale"] = 2.0


def test_nested_entry_and_closure_entry_are_keyed():
    x = np.array([1.0, 2.0, 3.0])
    g = grad(nested_read)
    np.testing.assert_allclose(g(x), 2 * x + [2.0, 0, 0])
    NESTED["sub"]["w"][1] = 5.0
    try:
        np.testing.assert_allclose(g(x), 2 * x + [5.0, 0, 0])
    finally:
        NESTED["sub"]["w"][1] = 2.0
    f, box = closure_read()
    g = grad(f)
    np.testing.assert_allclose(g(x), 4 * x)
    box["k"] = np.array([[1.0], [2.0]])
    got = g(x)
    assert got.shape == x.shape
    np.testing.assert_allclose(got, central(f, x), rtol=1e-6)


# -- bug_02: Jacobians and Hessians have their inputs' dtype -------------------------

W3 = np.array([1.0, 2.0, 3.0])       # float64 data: the output is float64


def tanh_twice(x):
    return np.tanh(x) * 2.0


def tanh_weighted(x):
    return np.tanh(x) * W3


def tanh_energy(x):
    return np.sum(np.tanh(x) ** 2)


def weighted_sum(x, y):
    return np.sum(x * y ** 2)


def sin_mix(a, b):
    return a * math.sin(b) + b ** 2


W32 = np.array([0.5, -1.0, 2.0], dtype=np.float32)


@pytest.mark.parametrize("transform", [jacobian, jacfwd, jacrev])
@pytest.mark.parametrize("f", [tanh_twice, tanh_weighted])
def test_jacobian_of_a_float32_array_is_float32(transform, f):
    got = transform(f)(W32)
    assert got.dtype == np.float32
    expected = np.diag((2.0 if f is tanh_twice else W3) / np.cosh(W32.astype(float)) ** 2)
    np.testing.assert_allclose(got, expected, rtol=1e-5)
    assert transform(f)(W32.astype(float)).dtype == np.float64


@pytest.mark.parametrize("transform", [jacobian, jacfwd, jacrev])
def test_each_jacobian_block_has_its_inputs_dtype(transform):
    y = np.array([1.0, -2.0, 0.5])
    dx, dy = transform(weighted_sum, wrt=(0, 1))(W32, y)
    assert (dx.dtype, dy.dtype) == (np.float32, np.float64)
    np.testing.assert_allclose(dx, y ** 2, rtol=1e-6)
    np.testing.assert_allclose(dy, 2 * W32 * y, rtol=1e-6)


def test_hessian_of_a_float32_array_is_float32():
    got = hessian(tanh_energy)(W32)
    assert got.dtype == np.float32
    x = W32.astype(float)
    t = np.tanh(x)       # d2/dx2 tanh(x)**2 = 2 sech^4 - 4 tanh^2 sech^2
    np.testing.assert_allclose(got, np.diag(2 * (1 - t ** 2) ** 2 - 4 * t ** 2 * (1 - t ** 2)),
                               rtol=1e-5, atol=1e-6)
    assert hessian(tanh_energy)(x).dtype == np.float64


@pytest.mark.parametrize("transform", [jacobian, jacfwd, jacrev, hessian])
def test_jacobians_of_code_on_numbers_at_float32_scalars_are_float32(transform):
    a, b = np.float32(0.5), np.float32(0.2)
    got = transform(sin_mix)(a, b)
    assert got.dtype == np.float32
    at_floats = transform(sin_mix)(0.5, 0.2)
    assert at_floats.dtype == np.float64
    np.testing.assert_allclose(got, at_floats, rtol=1e-6)
    if transform is not hessian:
        np.testing.assert_allclose(at_floats, [math.sin(0.2), 0.5 * math.cos(0.2) + 0.4])


# -- bug_20: jvp leaves trailing defaulted parameters to their defaults ---------------

def log_softmax(x, axis=None):
    m = np.max(x, axis=axis, keepdims=True)
    return x - m - np.log(np.sum(np.exp(x - m), axis=axis, keepdims=True))


def scaled_square(x, s=2.0):
    return s * x ** 2


def keyword_cube(x, *, s=2.0, mode="a"):
    return s * x ** 3


def product(x, y):
    return x * y


def test_jvp_uses_a_none_default_as_vjp_does():
    x = np.array([0.3, -1.2, 0.8])
    u = np.array([1.0, 0.0, 0.0])
    value, tangent = jvp(log_softmax, (x,), (u,))
    np.testing.assert_allclose(value, log_softmax(x))
    h = 1e-6
    np.testing.assert_allclose(tangent, (log_softmax(x + h * u) - log_softmax(x - h * u)) / (2 * h),
                               rtol=1e-6, atol=1e-9)
    explicit = jvp(log_softmax, (x, None), (u, None))[1]
    np.testing.assert_allclose(tangent, explicit)
    # forward against reverse: <J u, e_k> = <u, J^T e_k>
    _, pullback = vjp(log_softmax, x)
    for k in range(3):
        e = np.eye(3)[k]
        assert tangent[k] == pytest.approx(pullback(e)[0] @ u, rel=1e-12, abs=1e-12)


def test_jvp_holds_a_number_default_constant():
    assert jvp(scaled_square, (3.0,), (1.0,)) == pytest.approx((18.0, 12.0))
    assert jvp(scaled_square, (3.0, 5.0), (1.0, 0.0)) == pytest.approx((45.0, 30.0))
    assert jvp(keyword_cube, (2.0,), (1.0,)) == pytest.approx((16.0, 24.0))


def test_jvp_still_needs_parameters_without_defaults():
    with pytest.raises(ArgumentError, match="no value for y"):
        jvp(product, (1.0,), (1.0,))
    with pytest.raises(ArgumentError, match="primals has length 1"):
        jvp(product, (1.0,), (1.0, 2.0))


# -- bug_10: a non-scalar output of two parameters ------------------------------------

def power(x, n):
    return x ** n


def branchy_power(x, n):
    y = x ** n
    if y > 1.0:
        return y * 2.0
    return y


@pytest.mark.parametrize("f", [power, branchy_power])
def test_grad_of_an_array_output_of_two_parameters_is_not_scalar_error(f):
    with pytest.raises(NotScalarError, match=f"but {f.__name__} returns an array") as caught:
        grad(f, wrt=0)(np.array([1.0, 2.0]), 2)
    assert "check_arguments" not in str(caught.value)
    assert grad(f, wrt=0)(1.5, 2) == pytest.approx(3.0 if f is power else 6.0)
