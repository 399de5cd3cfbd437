"""The gradient of a logistic-regression loss over a Dask array far larger than one chunk.

    python examples/dask_logistic.py                        # 4,000,000 x 20, local threads
    python examples/dask_logistic.py --local-cluster        # a dask.distributed LocalCluster
    python examples/dask_logistic.py --scheduler tcp://HOST:8786   # an existing cluster
    python examples/dask_logistic.py --rows 100000          # smaller

The same generated code that runs on NumPy arrays runs on Dask arrays: `grad` returns a
lazy Dask array, and Dask's scheduler computes it chunk by chunk (the data here is made
chunk by chunk too, and never held whole).  The script prints the generated source, then
checks the gradient against NumPy's on a sample that fits in memory and against the
closed form X.T @ (sigmoid(X @ w) - y) on the whole data, and reports the peak memory.
"""
import argparse
import resource
import sys
import time

import dask
import dask.array as da
import numpy as np

from s2sdiff import grad


def loss(w, X, y):
    """The logistic negative log-likelihood, as dask-glm's Logistic family writes it."""
    Xw = X @ w
    return np.sum(Xw + np.log1p(np.exp(-Xw))) - y @ Xw


def make_data(rows, cols, chunk, seed=0):
    """X (rows x cols) and labels y drawn from a logistic model, as lazy Dask arrays."""
    rng = da.random.default_rng(seed)
    X = rng.standard_normal((rows, cols), chunks=(chunk, cols))
    true_w = np.linspace(-1.0, 1.0, cols)
    y = (rng.random(rows, chunks=chunk) < 1 / (1 + np.exp(-(X @ true_w)))).astype(float)
    return X, y


def peak_mib():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024      # Linux: KiB


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=4_000_000)
    parser.add_argument("--cols", type=int, default=20)
    parser.add_argument("--chunk", type=int, default=250_000, help="rows per chunk")
    parser.add_argument("--scheduler", help="address of a dask.distributed scheduler")
    parser.add_argument("--local-cluster", action="store_true",
                        help="start a dask.distributed LocalCluster in this process")
    options = parser.parse_args(argv)

    client = None
    if options.scheduler or options.local_cluster:
        from distributed import Client, LocalCluster
        client = Client(options.scheduler) if options.scheduler else Client(
            LocalCluster(processes=False, dashboard_address=None))
        print("computing on", client)

    X, y = make_data(options.rows, options.cols, min(options.chunk, options.rows))
    w = np.full(options.cols, 0.1)
    dloss = grad(loss, wrt="w")
    print(dloss.specialize(w, X, y).source)

    gradient = dloss(w, X, y)                     # a lazy Dask array: nothing computed yet
    assert isinstance(gradient, da.Array)
    Xw = X @ w
    closed_form = X.T @ (1 / (1 + np.exp(-Xw)) - y)
    start = time.perf_counter()
    gradient, closed_form = dask.compute(gradient, closed_form)   # one pass over the data
    seconds = time.perf_counter() - start
    np.testing.assert_allclose(gradient, closed_form, rtol=1e-9)
    size = options.rows * options.cols * 8 / 2 ** 20
    print(f"X: {options.rows:,} x {options.cols} float64 ({size:,.0f} MiB) in "
          f"{X.numblocks[0]} chunks of {X.chunks[0][0]:,} rows")
    print(f"gradient computed in {seconds:.2f} s; peak memory of this process "
          f"{peak_mib():,.0f} MiB")
    print("dloss/dw =", np.round(gradient, 3))

    sample = min(options.rows, 100_000)           # NumPy on a sample that fits in memory
    Xs, ys = dask.compute(X[:sample], y[:sample])
    on_numpy = dloss(w, Xs, ys)
    on_dask = dloss(w, X[:sample], y[:sample]).compute()
    np.testing.assert_allclose(on_dask, on_numpy, rtol=1e-12, atol=1e-9)
    print(f"equal to the NumPy gradient on the first {sample:,} rows")
    if client is not None:
        client.close()
    return gradient


if __name__ == "__main__":
    main(sys.argv[1:])
