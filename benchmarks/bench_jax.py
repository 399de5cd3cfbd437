"""Time s2sdiff's gradients of NumPy code run by JAX against jax.jit(jax.grad(f)).

    python benchmarks/bench_jax.py [--repeats N] [--json PATH]

Rows (the user functions of array_functions.py, written once with NumPy for s2sdiff and
once with jax.numpy for JAX):

* least squares 10000x1000, ``sum((X @ w - y) ** 2)``, gradient with respect to w;
* MLP 64, 784-256-10 (tanh, softmax cross-entropy), gradient with respect to W1, b1, W2, b2.

Contenders: ``jax.jit(jax.grad(f))`` (the baseline: ratios are against it, target 1.1x),
``grad(f, backend="jax")``, and the default ``grad(f)`` over NumPy arrays for information.
JAX contenders get device arrays (``jnp.asarray``, float64 with x64 enabled) and their
results are waited for (``block_until_ready``).  Medians of ``--repeats`` samples taken
round-robin; first-call times (generation, tracing and XLA compilation) are reported
separately.  Every gradient is checked against the NumPy one first (relative 1e-7).
"""
import argparse
import json
import statistics
import sys
import time
from pathlib import Path

import numpy as np

sys.path.append(str(Path(__file__).resolve().parent.parent))

from array_functions import cases, make  # noqa: E402
from bench_scalar import fmt_time, fresh, measure  # noqa: E402

REL_TOL = 1e-7
ROWS = ("least squares 10000x1000", "MLP 64, 784-256-10")


def flatten(result):
    result = result if isinstance(result, tuple) else (result,)
    return [np.asarray(r, dtype=float) for r in result]


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=7)
    ap.add_argument("--json", metavar="PATH")
    opts = ap.parse_args(argv)
    try:
        import jax
        import jax.numpy as jnp
    except ImportError:
        sys.exit('jax is not installed: pip install "s2sdiff[jax]"')
    jax.config.update("jax_enable_x64", True)
    from s2sdiff import grad

    numpy_functions, jax_functions = make(np), make(jnp)
    contenders, first, errors = {}, {}, {}
    for name, fname, _, args, argnums in cases():
        if name not in ROWS:
            continue
        device = tuple(jnp.asarray(a) for a in args)
        expected = flatten(grad(numpy_functions[fname], wrt=argnums)(*args))

        def jax_peer(fname=fname, argnums=argnums):
            g = jax.jit(jax.grad(fresh(jax_functions[fname]), argnums=argnums))
            return lambda *a: jax.block_until_ready(g(*a))

        def s2sdiff_jax(fname=fname, argnums=argnums):
            g = grad(fresh(numpy_functions[fname]), wrt=argnums, backend="jax")
            return lambda *a: jax.block_until_ready(g(*a))

        makers = {"jax.jit(jax.grad(f))": (jax_peer, device),
                  "s2sdiff jax": (s2sdiff_jax, device),
                  "s2sdiff python": (lambda fname=fname, argnums=argnums:
                                     grad(numpy_functions[fname], wrt=argnums), args)}
        for who, (make_fn, fargs) in makers.items():
            try:
                start = time.perf_counter()
                fn = make_fn()
                got = flatten(fn(*fargs))
                first[name, who] = time.perf_counter() - start
            except Exception as error:       # noqa: BLE001 - reported on the row
                errors[name, who] = f"{type(error).__name__}: {error}".splitlines()[0][:110]
                continue
            if len(got) != len(expected) or not all(
                    np.allclose(g, e, rtol=REL_TOL, atol=1e-12) for g, e in zip(got, expected)):
                errors[name, who] = "wrong gradient"
                continue
            contenders[name, who] = (fn, fargs)

    samples, _ = measure(contenders, opts.repeats)
    medians = {key: statistics.median(v) for key, v in samples.items()}
    print(f"jax {jax.__version__} on {jax.devices()[0].platform}")
    print(f"{'row':26} {'contender':22} {'per call':>10} {'ratio':>7} {'first call':>11}")
    results = []
    for row in ROWS:
        base = medians.get((row, "jax.jit(jax.grad(f))"))
        for who in ("jax.jit(jax.grad(f))", "s2sdiff jax", "s2sdiff python"):
            if (row, who) in errors:
                print(f"{row:26} {who:22} {errors[row, who]}")
                continue
            t = medians[row, who]
            ratio = t / base if base else float("nan")
            print(f"{row:26} {who:22} {fmt_time(t):>10} {ratio:6.2f}x "
                  f"{fmt_time(first[row, who]):>11}")
            results.append({"row": row, "contender": who, "median_s": t, "ratio": ratio,
                            "first_call_s": first[row, who]})
    if opts.json:
        Path(opts.json).write_text(json.dumps(results, indent=2))
    if errors:
        sys.exit(1)


if __name__ == "__main__":
    main()
