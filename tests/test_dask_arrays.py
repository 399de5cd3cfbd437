"""Arrays of other libraries (issue 17, items 3 and 4): Dask arrays go through the default
backend unchanged.  The gradient comes back as a lazy Dask array (nothing is computed
before ``.compute()``: a scheduler that raises is in force while it is built), equal to
the NumPy gradient on the same data and to closed forms; locally and on a
``dask.distributed`` cluster.  What cannot stay lazy is refused at generation time."""
import numpy as np
import pytest

dask = pytest.importorskip("dask")
da = pytest.importorskip("dask.array")

from s2sdiff import ArgumentError, grad, jvp, value_and_grad, vjp         # noqa: E402
from s2sdiff.errors import UnsupportedError                               # noqa: E402

import array_functions as af                                              # noqa: E402
from duck_arrays import Duck                                             # noqa: E402
from test_arrays import make, real_positions                              # noqa: E402

# array_functions.CASES whose forward code Dask cannot run lazily as written: np.inner,
# an uneven reshape, nd fancy indexing, a Dask value written into a NumPy array,
# np.linspace of a Dask value, a branch on a Dask value (computed, as in the function
# itself); and indexing, whose scatter is refused (test below)
NOT_LAZY_IN_DASK = {"linear_algebra", "shapes", "constants", "running_values",
                    "constructors", "branch_on_arrays", "indexing"}
LAZY_CASES = [(f, spec) for f, spec in af.CASES if f.__name__ not in NOT_LAZY_IN_DASK]


def logistic_loss(w, X, y):
    Xw = X @ w
    return np.sum(Xw + np.log1p(np.exp(-Xw))) - y @ Xw


def logistic_with_bias(w, b, X, y):
    z = X @ w + b
    return np.mean(np.logaddexp(0.0, z) - y * z)


def least_squares(w, X, y):
    r = X @ w - y
    return np.sum(r ** 2) / X.shape[0]


def mlp_layer(W, b, v, X, y):
    h = np.tanh(X @ W + b)
    out = h @ v
    return np.sum((out - y) ** 2)


def rnn(W, xs, h0):
    h = h0
    for t in range(xs.shape[0]):
        h = np.tanh(W @ h + xs[t])
    return np.sum(h * h)


def gather(x, i):
    return np.sum(x[i] ** 2)


def layer(w, s, X):
    return np.tanh(X @ w) * s


def tree_loss(params, X, y):
    return np.sum((np.tanh(X @ params["w"]) + params["b"] - y) ** 2)


def _refuse_to_compute(*args, **kwargs):
    raise AssertionError("a Dask graph was computed while the gradient was being built")


def lazily(f, *args):
    """``f(*args)`` with a scheduler that refuses to compute anything."""
    with dask.config.set(scheduler=_refuse_to_compute):
        return f(*args)


def sigmoid(z):
    return 1 / (1 + np.exp(-z))


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(0)
    n, p = 20_000, 10
    X = rng.normal(size=(n, p))
    y = (rng.random(n) < sigmoid(X @ rng.normal(size=p))).astype(float)
    w = 0.1 * rng.normal(size=p)
    return X, y, w, da.from_array(X, chunks=(1_000, p)), da.from_array(y, chunks=1_000)


def test_logistic_gradient_is_lazy_and_equals_numpy(data):
    X, y, w, dX, dy = data
    assert dX.numblocks[0] == 20            # far larger than one chunk
    dloss = grad(logistic_loss, wrt="w")
    lazy = lazily(dloss, w, dX, dy)
    assert isinstance(lazy, da.Array) and lazy.shape == w.shape
    # not computed yet: every chunk of X is still an input task of its graph
    assert len(lazy.__dask_graph__()) > dX.numblocks[0]
    computed = lazy.compute()
    assert isinstance(computed, np.ndarray) and computed.dtype == np.float64
    expected = dloss(w, X, y)
    np.testing.assert_allclose(computed, expected, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(computed, X.T @ (sigmoid(X @ w) - y), rtol=1e-10)


def test_value_and_grad_both_lazy(data):
    X, y, w, dX, dy = data
    value, gradient = lazily(value_and_grad(logistic_loss, wrt="w"), w, dX, dy)
    assert isinstance(value, da.Array) and value.shape == ()
    assert isinstance(gradient, da.Array)
    value, gradient = dask.compute(value, gradient)
    np.testing.assert_allclose(value, logistic_loss(w, X, y), rtol=1e-12)
    np.testing.assert_allclose(gradient, grad(logistic_loss, wrt="w")(w, X, y), rtol=1e-12)


def test_every_parameter_lazy_with_a_float_bias(data):
    """The gradient of a float parameter is a lazy 0-d array (np.float64 would compute it);
    the gradients of the Dask data have their chunks."""
    X, y, w, dX, dy = data
    gradients = lazily(grad(logistic_with_bias), w, 0.3, dX, dy)
    assert all(isinstance(g, da.Array) for g in gradients)
    dw, db, dXg, dyg = gradients
    assert db.shape == () and dXg.chunks == dX.chunks
    computed = dask.compute(*gradients)
    expected = grad(logistic_with_bias)(w, 0.3, X, y)
    for got, want in zip(computed, expected):
        np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-15)
    residual = sigmoid(X @ w + 0.3) - y
    np.testing.assert_allclose(computed[1], np.mean(residual), rtol=1e-10)
    np.testing.assert_allclose(computed[2], np.outer(residual, w) / len(y), rtol=1e-10)


@pytest.mark.parametrize("program", [least_squares, mlp_layer])
def test_other_programs_equal_numpy(program, data):
    X, y, w, dX, dy = data
    rng = np.random.default_rng(1)
    if program is least_squares:
        args, dargs = (w, X, y), (w, dX, dy)
    else:
        W, b, v = rng.normal(size=(10, 6)) / 3, rng.normal(size=6), rng.normal(size=6)
        args, dargs = (W, b, v, X, y), (W, b, v, dX, dy)
    wrt = tuple(range(len(args) - 2))         # the weights, not the data
    dprogram = grad(program, wrt=wrt)
    lazy = lazily(dprogram, *dargs)
    assert all(isinstance(g, da.Array) for g in lazy)
    for got, want in zip(dask.compute(*lazy), dprogram(*args)):
        np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-12)
    if program is least_squares:
        np.testing.assert_allclose(dask.compute(*lazy)[0], 2 * X.T @ (X @ w - y) / len(y),
                                   rtol=1e-10)


@pytest.mark.parametrize("func, spec", LAZY_CASES,
                         ids=[f"{f.__name__}-{spec}" for f, spec in LAZY_CASES])
def test_array_cases_on_dask_equal_numpy(func, spec):
    """The array test programs (broadcasting, reductions, joins, slices written in place,
    loops, batched @) with every float array argument a Dask array of several chunks."""
    args = make(spec, np.random.default_rng(0))
    wrt = real_positions(args)
    chunked = [da.from_array(a, chunks=tuple(max(1, n // 2) for n in a.shape))
               if isinstance(a, np.ndarray) and a.ndim and a.dtype.kind == "f" else a
               for a in args]
    lazy = lazily(grad(func, wrt=wrt), *chunked)
    assert any(isinstance(g, da.Array) for g in lazy) or not any(
        isinstance(a, da.Array) for a in chunked)
    for got, want in zip(dask.compute(*lazy), grad(func, wrt=wrt)(*args)):
        assert np.shape(got) == np.shape(want)
        np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-12)


def test_a_loop_over_dask_arrays_equals_numpy():
    rng = np.random.default_rng(2)
    W, xs, h0 = rng.normal(size=(3, 3)) / 2, rng.normal(size=(5, 3)), rng.normal(size=3)
    dW, dxs, dh0 = (da.from_array(a, chunks=2) for a in (W, xs, h0))
    lazy = lazily(grad(rnn), dW, dxs, dh0)
    assert all(isinstance(g, da.Array) for g in lazy)
    for got, want in zip(dask.compute(*lazy), grad(rnn)(W, xs, h0)):
        np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-14)


def test_vjp_and_jvp_stay_lazy():
    """Reverse with a cotangent, and forward mode (whose tangent of a broadcast step is
    zeros of the array's library plus the value, not np.full), against NumPy."""
    rng = np.random.default_rng(3)
    w, X, u, v = rng.normal(size=3), rng.normal(size=(8, 3)), rng.normal(size=8), rng.normal(size=3)
    dX = da.from_array(X, chunks=(4, 3))
    out, pullback = lazily(vjp, layer, w, 1.5, dX)
    cotangents = lazily(pullback, da.from_array(u, chunks=4))
    assert isinstance(out, da.Array) and all(isinstance(c, da.Array) for c in cotangents)
    for got, want in zip(dask.compute(*cotangents), vjp(layer, w, 1.5, X)[1](u)):
        np.testing.assert_allclose(got, want, rtol=1e-12)
    value, tangent = lazily(jvp, layer, (w, 1.5, dX), (v, 0.5, dX * 0.0))
    assert isinstance(tangent, da.Array)
    np.testing.assert_allclose(tangent.compute(), jvp(layer, (w, 1.5, X), (v, 0.5, X * 0.0))[1],
                               rtol=1e-12)
    # <u, J v> both ways
    reverse = sum(np.dot(c, t) for c, t in zip(dask.compute(*cotangents)[:2], (v, 0.5)))
    np.testing.assert_allclose(np.dot(u, tangent.compute()), reverse, rtol=1e-10)


def test_tree_parameters_with_dask_leaves(data):
    X, y, w, dX, dy = data
    params = {"w": da.from_array(w, chunks=5), "b": 0.25}
    gradient = lazily(grad(tree_loss, wrt="params"), params, dX, dy)
    assert set(gradient) == {"w", "b"} and isinstance(gradient["w"], da.Array)
    expected = grad(tree_loss, wrt="params")({"w": w, "b": 0.25}, X, y)
    for key in ("w", "b"):
        np.testing.assert_allclose(np.asarray(gradient[key].compute() if hasattr(
            gradient[key], "compute") else gradient[key]), expected[key], rtol=1e-10)


def test_specialised_on_type_shape_and_dtype(data):
    X, y, w, dX, dy = data
    dloss = grad(logistic_loss, wrt="w")
    dloss(w, X, y)
    lazily(dloss, w, dX, dy)
    lazily(dloss, w, dX[:5_000], dy[:5_000])                      # another shape
    lazily(dloss, w.astype(np.float32), dX.astype(np.float32), dy.astype(np.float32))
    keys = list(dloss.specializations)
    assert len(keys) == 4
    assert sum(isinstance(k[1], tuple) and k[1][0] is da.Array for k in keys) == 3
    # the same shape with other chunks reuses the code: it does not depend on chunks
    lazily(dloss, w, dX.rechunk((7_000, 10)), dy.rechunk(7_000))
    assert len(dloss.specializations) == 4
    small = dloss(w, dX[:5_000], dy[:5_000]).compute()
    np.testing.assert_allclose(small, dloss(w, X[:5_000], y[:5_000]), rtol=1e-12)
    single = dloss(w.astype(np.float32), dX.astype(np.float32), dy.astype(np.float32))
    assert single.dtype == np.float32


def test_argument_checks_still_name_the_parameter(data):
    X, y, w, dX, dy = data
    dloss = grad(logistic_loss, wrt="w")
    with pytest.raises(ArgumentError, match="argument 'X' of logistic_loss .* got str"):
        dloss(w, "X", y)
    with pytest.raises(ArgumentError, match="argument 'y' of logistic_loss .*complex128"):
        dloss(w, dX, dy.astype(complex))
    unknown = dX[dX[:, 0] > 0]                   # shape (nan, 10) until computed
    with pytest.raises(ArgumentError, match="argument 'X' .*unknown shape.*compute_chunk_sizes"):
        dloss(w, unknown, dy)


class ArrayAPIOnly:
    """An array of the Array API alone: NumPy functions do not dispatch to it."""
    shape, dtype = (3,), np.dtype(np.float64)

    def __array_namespace__(self, api_version=None):
        return np


def test_an_array_api_array_without_numpys_protocols_is_refused_by_name():
    with pytest.raises(ArgumentError, match="argument 'X' of logistic_loss .*ArrayAPIOnly, "
                                            "an Array API array without NumPy's protocols"):
        grad(logistic_loss, wrt="w")(np.ones(3), ArrayAPIOnly(), np.ones(3))


def test_scatter_into_a_dask_array_is_refused_at_generation():
    x = da.from_array(np.arange(6.0).reshape(3, 2), chunks=1)
    with pytest.raises(UnsupportedError, match=r"x\[i\].*dask.array.core.Array.*np.add.at") \
            as error:
        lazily(grad(gather, wrt="x"), x, np.array([0, 2, 2]))
    assert error.value.lineno == gather.__code__.co_firstlineno + 1
    # the same with NumPy arrays: the repeated row accumulates
    np.testing.assert_allclose(grad(gather, wrt="x")(np.arange(6.0).reshape(3, 2),
                                                     np.array([0, 2, 2])),
                               [[0, 2], [0, 0], [16, 20]])


def test_on_a_distributed_cluster(data):
    distributed = pytest.importorskip("distributed", exc_type=ImportError)
    X, y, w, dX, dy = data
    dloss = grad(logistic_loss, wrt="w")
    with distributed.LocalCluster(n_workers=1, threads_per_worker=2, processes=False,
                                  dashboard_address=None) as cluster, \
            distributed.Client(cluster) as client:
        lazy = dloss(w, dX, dy)
        assert isinstance(lazy, da.Array)
        future = client.compute(lazy)
        np.testing.assert_allclose(future.result(), dloss(w, X, y), rtol=1e-12)


def test_example_runs(capsys):
    """examples/dask_logistic.py, on 60,000 x 20 in 6 chunks (it defaults to 4,000,000)."""
    import runpy
    import sys
    from pathlib import Path
    path = Path(__file__).resolve().parent.parent / "examples" / "dask_logistic.py"
    argv = sys.argv
    sys.argv = [str(path), "--rows", "60000", "--chunk", "10000"]
    try:
        runpy.run_path(str(path), run_name="__main__")
    finally:
        sys.argv = argv
    out = capsys.readouterr().out
    assert "def grad_loss" in out and "in 6 chunks of 10,000 rows" in out
    assert "equal to the NumPy gradient on the first 60,000 rows" in out


def test_any_array_type_with_numpys_protocols():
    """Acceptance is by protocol, not by library: a Duck array goes through the same
    generated code and its gradient comes back as a Duck (the CuPy path)."""
    rng = np.random.default_rng(4)
    X, y, w = rng.normal(size=(50, 4)), (rng.random(50) < 0.5) * 1.0, rng.normal(size=4)
    dloss = grad(logistic_loss, wrt="w")
    gradient = dloss(w, Duck(X), Duck(y))
    assert isinstance(gradient, Duck)
    np.testing.assert_allclose(gradient.data, dloss(w, X, y), rtol=1e-13)
    both = grad(logistic_with_bias)(Duck(w), 0.1, Duck(X), Duck(y))
    assert all(isinstance(g, Duck) for g in both)
    for got, want in zip(both, grad(logistic_with_bias)(w, 0.1, X, y)):
        np.testing.assert_allclose(got.data, want, rtol=1e-12)
