"""Issue 17, item 3: the default backend takes any array type that implements NumPy's
protocols (``__array_function__``, ``__array_ufunc__``), and the gradient comes back in
that type.  The same tests run on a minimal wrapper defined here (always) and on CuPy
arrays (only where CuPy imports and sees a GPU: skipped otherwise), against the NumPy
gradient of the same data and closed forms."""

import numpy as np
import pytest

from duck_arrays import Duck
from s2sdiff import ArgumentError, grad, jvp, value_and_grad, vjp


def _cupy():
    cupy = pytest.importorskip("cupy")
    try:
        if cupy.cuda.runtime.getDeviceCount() < 1:
            pytest.skip("CuPy sees no GPU")
    except Exception as error:           # noqa: BLE001 (no driver, no device)
        pytest.skip(f"CuPy cannot use a GPU here: {error}")
    return cupy


@pytest.fixture(params=["duck", "cupy"])
def library(request):
    """``(array type, to it from NumPy, from it to NumPy)``."""
    if request.param == "duck":
        return Duck, Duck, lambda a: a.data
    cupy = _cupy()
    return cupy.ndarray, cupy.asarray, cupy.asnumpy


def logistic_loss(w, X, y):
    Xw = X @ w
    return np.sum(Xw + np.log1p(np.exp(-Xw))) - y @ Xw


def mlp_layer(W, b, v, X, y):
    h = np.tanh(X @ W + b)
    return np.sum((h @ v - y) ** 2)


def rnn(W, xs, h0):
    h = h0
    for t in range(xs.shape[0]):
        h = np.tanh(W @ h + xs[t])
    return np.sum(h * h)


@pytest.fixture
def data():
    rng = np.random.default_rng(5)
    X = rng.normal(size=(40, 4))
    return X, (rng.random(40) < 0.5) * 1.0, rng.normal(size=4)


def test_logistic_gradient_in_the_arrays_type(library, data):
    kind, to, back = library
    X, y, w = data
    dloss = grad(logistic_loss, wrt="w")
    gradient = dloss(to(w), to(X), to(y))
    assert isinstance(gradient, kind)
    sigmoid = 1 / (1 + np.exp(-(X @ w)))
    np.testing.assert_allclose(back(gradient), X.T @ (sigmoid - y), rtol=1e-12)
    np.testing.assert_allclose(back(gradient), dloss(w, X, y), rtol=1e-13)


def test_every_parameter_of_a_layer(library, data):
    kind, to, back = library
    rng = np.random.default_rng(6)
    X, y, _ = data
    W, b, v = rng.normal(size=(4, 3)), rng.normal(size=3), rng.normal(size=3)
    value, gradients = value_and_grad(mlp_layer)(to(W), to(b), to(v), to(X), to(y))
    expected_value, expected = value_and_grad(mlp_layer)(W, b, v, X, y)
    assert float(back(value) if isinstance(value, kind) else value) == pytest.approx(
        expected_value, rel=1e-12)
    for got, want in zip(gradients, expected):
        assert isinstance(got, kind)
        np.testing.assert_allclose(back(got), want, rtol=1e-11, atol=1e-12)


def test_a_loop_over_the_arrays_rows(library):
    kind, to, back = library
    rng = np.random.default_rng(7)
    W, xs, h0 = rng.normal(size=(3, 3)) * 0.5, rng.normal(size=(5, 3)), rng.normal(size=3)
    got = grad(rnn, wrt="W")(to(W), to(xs), to(h0))
    assert isinstance(got, kind)
    np.testing.assert_allclose(back(got), grad(rnn, wrt="W")(W, xs, h0), rtol=1e-11)


def test_vjp_and_jvp_in_the_arrays_type(library, data):
    kind, to, back = library
    X, y, w = data
    out, pullback = vjp(logistic_loss, to(w), to(X), to(y))
    dw = pullback(1.0)[0]
    assert isinstance(dw, kind)
    np.testing.assert_allclose(back(dw), grad(logistic_loss, wrt="w")(w, X, y), rtol=1e-12)
    u = np.linspace(-1.0, 1.0, 4)
    _, tangent = jvp(logistic_loss, (to(w), to(X), to(y)),
                     (to(u), to(np.zeros_like(X)), to(np.zeros_like(y))))
    tangent = back(tangent) if isinstance(tangent, kind) else tangent
    assert float(tangent) == pytest.approx(float(back(dw) @ u), rel=1e-10)


def test_specialised_on_the_type_and_arguments_checked_by_name(library, data):
    kind, to, back = library
    X, y, w = data
    dloss = grad(logistic_loss, wrt="w")
    assert dloss.specialize(w, to(X), to(y)) is not dloss.specialize(w, X, y)
    assert dloss.specialize(w, to(X), to(y)) is dloss.specialize(w, to(X + 1.0), to(y))
    with pytest.raises(ArgumentError, match=r"argument 'X' of logistic_loss .*complex"):
        dloss(w, to(X.astype(complex)), to(y))
