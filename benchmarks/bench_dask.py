"""Time s2sdiff's gradient of a logistic-regression loss on Dask arrays against dask-glm's
hand-written gradient of the same loss, in the same run.

    python benchmarks/bench_dask.py [--rows N] [--cols P] [--chunk C] [--repeats R]
                                    [--scheduler threads|sync|ADDRESS] [--json PATH]

The loss is dask-glm's ``Logistic.loglike(X @ w, y)``: sum(Xw + log1p(exp(-Xw))) - y @ Xw.
Contenders, each computing the gradient with respect to w from the same persisted X and y:

- ``s2sdiff``: ``grad(loss, wrt="w")(w, X, y).compute()``, the generated code building a
  lazy Dask graph that the scheduler computes;
- ``dask-glm``: ``dask_glm.families.Logistic.pointwise_gradient(w, X, y).compute()``, its
  hand-written X.T @ (sigmoid(X @ w) - y).  If dask-glm is not installed (or does not
  import with this Dask), the same hand-written gradient is written out here and the
  output says so.

Both gradients are checked against each other first.  Each repeat times one call of each
contender, in alternating order; the table shows the median over the repeats and the ratio
of s2sdiff's median to dask-glm's (target: at most 1.2).  ``--scheduler ADDRESS`` runs on a
dask.distributed cluster (``local`` starts a LocalCluster in this process).
"""
import argparse
import json
import statistics
import sys
import time
from pathlib import Path

import numpy as np

sys.path.append(str(Path(__file__).resolve().parent.parent))

TARGET = 1.2


def loss(w, X, y):
    Xw = X @ w
    return np.sum(Xw + np.log1p(np.exp(-Xw))) - y @ Xw


def hand_written():
    """(dask-glm's pointwise gradient, its description): dask-glm's own where it imports,
    else the same formula written out as its Logistic family writes it."""
    try:
        from dask_glm.families import Logistic
        import dask_glm
        return Logistic.pointwise_gradient, f"dask-glm {dask_glm.__version__}"
    except Exception as error:          # noqa: BLE001 (missing, or broken with this dask)
        def pointwise_gradient(beta, X, y):
            Xbeta = X.dot(beta)
            p = 1 / (1 + np.exp(-Xbeta))
            return X.T.dot(p - y)
        return pointwise_gradient, (f"dask-glm not available ({type(error).__name__}: "
                                    f"{error}); its Logistic.gradient written out here")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=2_000_000)
    parser.add_argument("--cols", type=int, default=20)
    parser.add_argument("--chunk", type=int, default=100_000)
    parser.add_argument("--repeats", type=int, default=15)
    parser.add_argument("--scheduler", default="threads",
                        help="threads, sync, local (a LocalCluster) or a scheduler address")
    parser.add_argument("--json", help="write the results there")
    options = parser.parse_args(argv)

    import dask
    import dask.array as da
    from s2sdiff import grad

    client = None
    if options.scheduler not in ("threads", "sync"):
        from distributed import Client, LocalCluster
        client = Client(LocalCluster(processes=False, dashboard_address=None)
                        if options.scheduler == "local" else options.scheduler)
        scheduler = None                       # the client's
    else:
        scheduler = options.scheduler

    rng = da.random.default_rng(0)
    X = rng.standard_normal((options.rows, options.cols), chunks=(options.chunk, options.cols))
    y = (rng.random(options.rows, chunks=options.chunk) < 0.5).astype(float)
    X, y = dask.persist(X, y, scheduler=scheduler)       # time the gradient, not the data
    w = np.linspace(-0.1, 0.1, options.cols)

    pointwise_gradient, peer = hand_written()
    dloss = grad(loss, wrt="w")
    contenders = {"s2sdiff": lambda: dloss(w, X, y).compute(scheduler=scheduler),
                  "dask-glm": lambda: pointwise_gradient(w, X, y).compute(scheduler=scheduler)}
    first = {name: f() for name, f in contenders.items()}     # also generates s2sdiff's code
    np.testing.assert_allclose(first["s2sdiff"], first["dask-glm"], rtol=1e-9)

    times = {name: [] for name in contenders}
    for r in range(options.repeats):
        order = list(contenders) if r % 2 == 0 else list(contenders)[::-1]
        for name in order:
            start = time.perf_counter()
            contenders[name]()
            times[name].append(time.perf_counter() - start)
    medians = {name: statistics.median(t) for name, t in times.items()}
    ratio = medians["s2sdiff"] / medians["dask-glm"]

    print(f"dask {dask.__version__}, numpy {np.__version__}; hand-written: {peer}")
    print(f"X: {options.rows:,} x {options.cols} float64 in {X.numblocks[0]} chunks of "
          f"{options.chunk:,} rows (persisted); scheduler: {options.scheduler}; "
          f"median of {options.repeats} repeats")
    print(f"{'contender':<10} {'median':>10} {'ratio':>7}")
    for name, median in medians.items():
        print(f"{name:<10} {median * 1e3:>7.1f} ms {median / medians['dask-glm']:>6.2f}x")
    print(f"s2sdiff / dask-glm = {ratio:.2f} (target <= {TARGET})")
    if options.json:
        Path(options.json).write_text(json.dumps({
            "rows": options.rows, "cols": options.cols, "chunk": options.chunk,
            "scheduler": options.scheduler, "peer": peer, "repeats": options.repeats,
            "seconds": times, "medians": medians, "ratio": ratio}, indent=1))
    if client is not None:
        client.close()
    return ratio


if __name__ == "__main__":
    main()
