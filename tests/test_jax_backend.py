"""backend="jax": the generated code of NumPy functions run as jax.numpy under jax.jit.

Values are checked against the default Python backend and central differences (in
float64: JAX's x64 mode is switched on for this module and restored after); the
refusals against their messages and lines.
"""
import importlib
import inspect
import math

import numpy as np
import pytest

jax = pytest.importorskip("jax")

from s2sdiff import S2SDiffError, derivative, grad, jvp, value_and_grad, vjp  # noqa: E402
from s2sdiff import backends  # noqa: E402
from s2sdiff.errors import UnsupportedError  # noqa: E402


@pytest.fixture(autouse=True, scope="module")
def x64():
    before = jax.config.jax_enable_x64
    jax.config.update("jax_enable_x64", True)
    yield
    jax.config.update("jax_enable_x64", before)


def least_squares(X, w, y):
    r = X @ w - y
    return np.sum(r ** 2)


def mlp(W1, b1, W2, b2, X, Y):
    h = np.tanh(X @ W1 + b1)
    logits = h @ W2 + b2
    m = np.max(logits, axis=1, keepdims=True)
    z = logits - m
    lse = np.log(np.sum(np.exp(z), axis=1, keepdims=True))
    return -np.sum(Y * (z - lse)) / X.shape[0]


def elementwise(x, y):
    return np.sum(np.where(x > 0, x ** 2, -x) * np.exp(y) + np.maximum(x, 0.5) / (1 + y ** 2))


def reductions(A):
    return np.mean(A ** 2, axis=0).sum() + np.max(np.sin(A)) - np.prod(np.cos(A[0]))


def indexing(x, i):
    y = np.zeros(3)
    y[0] = x[1] * 2
    y[1] = x[0]
    return np.sum(y * x[:3]) + np.sum(x[i] ** 2)


def unrolled(x):
    s = 0.0
    for k in range(3):
        s = s + np.sum(np.sin(x * k))
    return s


def transposed(A, v, B, C):
    u = A.T @ v
    return np.sum(u ** 2) + np.sum(np.sin(v @ B.T)) + np.sum(np.cos(C @ A.T))


def _rng():
    return np.random.default_rng(0)


def _cases():
    rng = _rng()
    X, w, y = rng.normal(size=(20, 5)), rng.normal(size=5), rng.normal(size=20)
    W1, b1 = rng.normal(size=(6, 4)) / 3, rng.normal(size=4)
    W2, b2 = rng.normal(size=(4, 3)) / 2, rng.normal(size=3)
    Xm, Ym = rng.normal(size=(5, 6)), np.eye(3)[rng.integers(0, 3, size=5)]
    x = np.array([0.3, -1.2, 2.0, 0.7])
    return [
        (least_squares, (X, w, y), 1),
        (least_squares, (X, w, y), (0, 1)),
        (mlp, (W1, b1, W2, b2, Xm, Ym), (0, 1, 2, 3)),
        (elementwise, (x, rng.normal(size=4)), None),
        (reductions, (rng.normal(size=(3, 4)),), None),
        (indexing, (x, np.array([0, 2, 2])), 0),
        (unrolled, (x,), None),
        (transposed, (rng.normal(size=(4, 3)), rng.normal(size=4), rng.normal(size=(2, 4)),
                      rng.normal(size=(5, 3))), None),
    ]


CASES = _cases()
IDS = [f"{f.__name__}-{wrt}" for f, _, wrt in CASES]


def as_tuple(value):
    return value if isinstance(value, tuple) else (value,)


def central(f, args, index, h=1e-6):
    """The central-difference gradient of f with respect to args[index], entry by entry."""
    base = np.asarray(args[index], dtype=float)
    out = np.zeros_like(base)
    for position in np.ndindex(base.shape):
        up, down = base.copy(), base.copy()
        up[position] += h
        down[position] -= h
        plus = f(*[up if i == index else a for i, a in enumerate(args)])
        minus = f(*[down if i == index else a for i, a in enumerate(args)])
        out[position] = (plus - minus) / (2 * h)
    return out


def _indices(f, args, wrt):
    if wrt is None:
        return list(range(len(args)))
    return list(wrt) if isinstance(wrt, tuple) else [wrt]


@pytest.mark.parametrize("f, args, wrt", CASES, ids=IDS)
def test_grad_matches_python_and_central_differences(f, args, wrt):
    got = as_tuple(grad(f, wrt=wrt, backend="jax")(*args))
    python = as_tuple(grad(f, wrt=wrt)(*args))
    assert all(isinstance(g, jax.Array) for g in got)
    for g, p, index in zip(got, python, _indices(f, args, wrt)):
        np.testing.assert_allclose(np.asarray(g), p, rtol=1e-10, atol=1e-12)
        np.testing.assert_allclose(np.asarray(g), central(f, args, index), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("f, args, wrt", CASES, ids=IDS)
def test_value_and_grad_vjp_jvp(f, args, wrt):
    value, gradient = value_and_grad(f, wrt=wrt, backend="jax")(*args)
    assert float(value) == pytest.approx(f(*args), rel=1e-12)
    for g, p in zip(as_tuple(gradient), as_tuple(grad(f, wrt=wrt)(*args))):
        np.testing.assert_allclose(np.asarray(g), p, rtol=1e-10, atol=1e-12)
    out, pullback = vjp(f, *args, backend="jax")
    pulled = pullback(2.0)
    indices = _indices(f, args, wrt)
    for index in indices:
        np.testing.assert_allclose(np.asarray(pulled[index]),
                                   2 * central(f, args, index), rtol=1e-5, atol=1e-6)
    floats = [i for i, a in enumerate(args) if np.asarray(a).dtype.kind == "f"]
    tangents = [np.ones_like(a, dtype=float) if i in floats else np.zeros_like(a)
                for i, a in enumerate(args)]
    try:
        primal, tangent = jvp(f, args, tangents)
    except S2SDiffError:
        return                                  # forward mode refuses it in Python too
    jprimal, jtangent = jvp(f, args, tangents, backend="jax")
    assert float(jprimal) == pytest.approx(primal, rel=1e-12)
    assert float(jtangent) == pytest.approx(tangent, rel=1e-10, abs=1e-12)


def test_in_place_writes_become_at_updates():
    args = (np.array([0.3, -1.2, 2.0, 0.7]), np.array([0, 2, 2]))
    g = grad(indexing, wrt=0, backend="jax")
    source = g.specialize(*args).source
    assert "dx = dx.at[i].add(dfancy" in source or ".at[i].add(" in source
    assert "np.add.at" not in source
    assert "# run under jax.jit from this text, np being jax.numpy" in source
    assert "check_arguments" not in source
    assert "try:" not in source


def test_mlp_source_is_the_python_text_with_the_checks_taken_out():
    rng = _rng()
    args = (rng.normal(size=(6, 4)), np.zeros(4), rng.normal(size=(4, 3)), np.zeros(3),
            rng.normal(size=(5, 6)), np.eye(3)[[0, 1, 2, 0, 1]])
    jax_source = grad(mlp, wrt=(0, 1, 2, 3), backend="jax").specialize(*args).source
    python_source = grad(mlp, wrt=(0, 1, 2, 3)).specialize(*args).source
    kept = [line.strip() for line in python_source.splitlines()
            if line.strip().startswith(("h1 =", "dh2 =", "# backprop"))]
    missing = [line for line in kept if line not in jax_source]
    assert kept and not missing, missing
    # a transposed matrix times a matrix: the same product without copying the transpose
    assert "dW1 = X.T @ dh2" in python_source
    assert "dW1 = np.tensordot(X, dh2, axes=(0, 0))  # (1)" in jax_source
    assert "dh = np.tensordot(dlogits, W2, axes=(1, 1))  # (4)" in jax_source


def test_backend_is_part_of_the_cache_key():
    assert grad(least_squares, wrt=1, backend="jax") is grad(least_squares, wrt=1, backend="jax")
    assert grad(least_squares, wrt=1, backend="jax") is not grad(least_squares, wrt=1)


def branchy(x):
    if np.sum(x) > 0:
        return np.sum(x ** 2)
    return np.sum(x)


def test_python_control_flow_on_traced_values_is_refused_with_its_line():
    g = grad(branchy, backend="jax")
    with pytest.raises(UnsupportedError) as raised:
        g(np.ones(3))
    error = raised.value
    assert "backend='jax' cannot run branchy under jax.jit" in str(error)
    assert error.source_line.strip() == "if np.sum(x) > 0:"       # the user's, not `if c1:`
    assert error.filename == __file__


def scalar_only(x, y):
    return math.sin(x) * y


def np_helper(v):
    return np.tanh(v)


def calls_np_helper(x):
    return np.sum(np_helper(x) ** 2)


def test_code_without_numpy_and_calls_of_user_functions_are_refused():
    with pytest.raises(UnsupportedError, match="calls no NumPy function"):
        grad(scalar_only, backend="jax")
    g = grad(calls_np_helper, backend="jax")
    with pytest.raises(UnsupportedError) as raised:
        g(np.ones(3))
    # refused by s2sdiff itself, or, where it differentiates the call, by the backend
    assert "Python function" in str(raised.value)
    assert raised.value.lineno == inspect.getsourcelines(calls_np_helper)[1] + 1
    assert "np_helper(x)" in raised.value.source_line


def test_missing_package_names_the_extra(monkeypatch):
    real = importlib.import_module

    def without_jax(name, *args):
        if name == "jax":
            raise ImportError("No module named 'jax'")
        return real(name, *args)

    monkeypatch.setattr(backends.importlib, "import_module", without_jax)
    for transform in (grad, value_and_grad, derivative):
        with pytest.raises(S2SDiffError, match=r'pip install "s2sdiff\[jax\]"'):
            transform(least_squares, backend="jax")
    with pytest.raises(S2SDiffError, match=r'pip install "s2sdiff\[jax\]"'):
        vjp(least_squares, np.ones((2, 2)), np.ones(2), np.ones(2), backend="jax")


def test_unknown_backend_is_refused():
    with pytest.raises(S2SDiffError, match="backend must be one of 'python', 'numba', 'jax'"):
        grad(least_squares, backend="torch")
