"""Issue 17, item 4, asserted: the gradient of a logistic loss over a chunked Dask array
far larger than one chunk is computed with a bounded number of chunks in memory.

The data (800,000 x 10 float64, 61 MiB, in 32 chunks of 1.9 MiB) is generated lazily by
``da.random``, so it is never held whole unless something materialises it.  While the
gradient is computed, two independent measurements: the peak of the bytes allocated
(``tracemalloc``, which sees NumPy's buffers) and, through a scheduler callback, the
chunks of ``X`` and the bytes of all results held by Dask's scheduler after each task.
Both must stay a small multiple of one chunk; the first is shown to catch a
materialised ``X``.  The gradient equals the closed form on the whole data and the
NumPy gradient on a sample."""

import tracemalloc

import numpy as np
import pytest

dask = pytest.importorskip("dask")
da = pytest.importorskip("dask.array")
from dask.callbacks import Callback                      # noqa: E402

from s2sdiff import grad                                 # noqa: E402

ROWS, COLS, CHUNK = 800_000, 10, 25_000
CHUNK_BYTES = CHUNK * COLS * 8                            # 1.9 MiB
FULL_BYTES = ROWS * COLS * 8                              # 61 MiB, 32 chunks


def loss(w, X, y):
    Xw = X @ w
    return np.sum(Xw + np.log1p(np.exp(-Xw))) - y @ Xw


@pytest.fixture(scope="module")
def data():
    rng = da.random.default_rng(17)
    X = rng.standard_normal((ROWS, COLS), chunks=(CHUNK, COLS))
    y = (rng.random(ROWS, chunks=CHUNK) < 0.5).astype(float)
    w = np.linspace(-0.5, 0.5, COLS)
    dloss = grad(loss, wrt="w")
    dloss(w, X[:CHUNK], y[:CHUNK]).compute(scheduler="synchronous")   # imports, caches
    return X, y, w, dloss


class HeldByScheduler(Callback):
    """After each task: how many chunks of ``X`` and how many bytes of results the local
    scheduler holds (``state["cache"]``, what later tasks still need)."""

    def __init__(self, name):
        super().__init__()
        self.name, self.chunks, self.bytes, self.tasks = name, 0, 0, 0

    def _posttask(self, key, result, dsk, state, id):
        cache = state["cache"]
        self.tasks += 1
        self.chunks = max(self.chunks, sum(
            1 for k in cache if isinstance(k, tuple) and k[0] == self.name))
        self.bytes = max(self.bytes, sum(getattr(v, "nbytes", 0) for v in cache.values()))


def measured(compute, name):
    """``(result, peak bytes allocated, HeldByScheduler)`` of ``compute()``."""
    held = HeldByScheduler(name)
    tracemalloc.start()
    try:
        with held:
            result = compute()
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    return result, peak, held


@pytest.mark.parametrize("scheduler, workers", [("synchronous", 1), ("threads", 2)])
def test_the_gradient_holds_a_bounded_number_of_chunks(data, scheduler, workers):
    X, y, w, dloss = data
    gradient = dloss(w, X, y)
    assert isinstance(gradient, da.Array)
    assert X.numblocks[0] == 32
    value, peak, held = measured(
        lambda: gradient.compute(scheduler=scheduler, num_workers=workers), X.name)
    assert held.tasks > 3 * X.numblocks[0]              # the graph ran chunk by chunk
    assert 1 <= held.chunks <= 2 * workers               # of 32
    assert held.bytes < (1.5 * workers + 1) * CHUNK_BYTES
    assert peak < 6 * CHUNK_BYTES                        # 11.4 MiB
    assert peak < FULL_BYTES / 5
    Xw = X @ w
    closed_form = (X.T @ (1 / (1 + np.exp(-Xw)) - y)).compute(scheduler="threads")
    np.testing.assert_allclose(value, closed_form, rtol=1e-9)


def test_the_measurement_sees_a_materialised_array(data):
    """The same measurement of a computation that holds ``X`` whole exceeds the bound."""
    X, y, w, dloss = data
    _, peak, held = measured(lambda: (X.compute(scheduler="synchronous") @ w).sum(), X.name)
    assert peak > FULL_BYTES
    assert held.chunks == X.numblocks[0]


def test_equal_to_the_numpy_gradient_on_a_sample(data):
    X, y, w, dloss = data
    Xs, ys = X[3 * CHUNK:5 * CHUNK], y[3 * CHUNK:5 * CHUNK]       # two chunks
    on_numpy = dloss(w, Xs.compute(), ys.compute())
    np.testing.assert_allclose(dloss(w, Xs, ys).compute(), on_numpy, rtol=1e-12)
    Xn, yn = Xs.compute(), ys.compute()
    np.testing.assert_allclose(on_numpy, Xn.T @ (1 / (1 + np.exp(-(Xn @ w))) - yn), rtol=1e-9)
