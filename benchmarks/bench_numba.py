"""Time s2sdiff's gradients of loops compiled by numba against hand-written numba and jax.jit.

    python benchmarks/bench_numba.py [--repeats N] [--n LEN] [--json PATH]

Rows (the user functions of bench_loops.py):

* ``recurrence(s, y)``: 100 iterations of ``s = s * 0.99 + math.sin(s) * y``, gradient with
  respect to s and y;
* ``tanh_sum(xs, w)``: ``s = s + math.tanh(w * x)`` over ``--n`` (1000) floats, gradient
  with respect to w, and with respect to xs and w.  Every contender gets the floats as one
  NumPy array (numba's reflected lists are slow and deprecated).

Contenders: ``grad(f, backend="numba")``; a hand-written reverse gradient compiled by
``numba.njit`` (the baseline, ratios are against it: target 1.2x); ``jax.jit(jax.grad(f))``
with ``lax.scan`` for the loop (the strongest peer); s2sdiff's Python gradient, for
information.  Medians of ``--repeats`` samples taken round-robin.  First-call times
(generation and compilation) are reported separately, each the median of a few fresh
runs.  Only what is installed is timed; every gradient is checked against the
hand-written one first (relative tolerance 1e-9).
"""
import argparse
import json
import math
import statistics
import sys
import time
from pathlib import Path

import numpy as np

sys.path.append(str(Path(__file__).resolve().parent.parent))

from bench_loops import recurrence, tanh_sum  # noqa: E402
from bench_scalar import fmt_time, fresh, measure, median_time  # noqa: E402

REL_TOL = 1e-9


# --- hand-written reverse gradients, compiled by numba -----------------------------------

def recurrence_hand(s, y):
    ss = np.empty(100)
    for i in range(100):
        ss[i] = s
        s = s * 0.99 + math.sin(s) * y
    ds = 1.0
    dy = 0.0
    for i in range(99, -1, -1):
        s = ss[i]
        dy += math.sin(s) * ds
        ds = (0.99 + math.cos(s) * y) * ds
    return ds, dy


def tanh_sum_hand_w(xs, w):
    s = 0.0
    for x in xs:
        s = s + math.tanh(w * x)
    dw = 0.0
    for i in range(len(xs) - 1, -1, -1):
        x = xs[i]
        t = math.tanh(w * x)
        dw += x * (1.0 - t * t)
    return dw


def tanh_sum_hand_xs_w(xs, w):
    s = 0.0
    for x in xs:
        s = s + math.tanh(w * x)
    dw = 0.0
    dxs = np.zeros(len(xs))
    for i in range(len(xs) - 1, -1, -1):
        x = xs[i]
        t = math.tanh(w * x)
        dz = 1.0 - t * t
        dw += x * dz
        dxs[i] = w * dz
    return dxs, dw


# --- jax.jit with lax.scan -----------------------------------------------------------------

def jax_gradients():
    import jax
    import jax.numpy as jnp

    jax.config.update("jax_enable_x64", True)

    def rec(s, y):
        def step(s, _):
            return s * 0.99 + jnp.sin(s) * y, None
        return jax.lax.scan(step, s, None, length=100)[0]

    def tsum(xs, w):
        def step(s, x):
            return s + jnp.tanh(w * x), None
        return jax.lax.scan(step, jnp.zeros((), xs.dtype), xs)[0]

    def blocked(g):
        return lambda *a: jax.block_until_ready(g(*a))
    return {"recurrence": lambda: blocked(jax.jit(jax.grad(rec, argnums=(0, 1)))),
            "tanh_sum w": lambda: blocked(jax.jit(jax.grad(tsum, argnums=1))),
            "tanh_sum xs,w": lambda: blocked(jax.jit(jax.grad(tsum, argnums=(0, 1))))}, jnp


def flatten(result):
    if hasattr(result, "tolist") and not isinstance(result, (list, tuple)):
        result = np.asarray(result).tolist()
    if isinstance(result, (list, tuple)):
        return [v for r in result for v in flatten(r)]
    return [float(result)]


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=7)
    ap.add_argument("--n", type=int, default=1000)
    ap.add_argument("--compile-runs", type=int, default=3,
                    help="fresh runs per first-call time (default 3)")
    ap.add_argument("--json", metavar="PATH")
    opts = ap.parse_args(argv)
    try:
        import numba
    except ImportError:
        sys.exit('numba is not installed: pip install "s2sdiff[numba]"')
    from s2sdiff import grad

    xs = np.array([2.0 * math.sin(0.37 * i) for i in range(opts.n)])
    rows = {  # row: (user function, wrt, args, hand-written)
        "recurrence": (recurrence, ("s", "y"), (0.5, 0.3), recurrence_hand),
        "tanh_sum w": (tanh_sum, "w", (xs, 0.7), tanh_sum_hand_w),
        "tanh_sum xs,w": (tanh_sum, ("xs", "w"), (xs, 0.7), tanh_sum_hand_xs_w),
    }
    try:
        jax_makers, jnp = jax_gradients()
    except ImportError:
        jax_makers, jnp = None, None

    contenders, first, errors = {}, {}, {}
    for row, (f, wrt, args, hand) in rows.items():
        expected = flatten(numba.njit(hand)(*args))
        makers = {"hand-written numba": lambda hand=hand: (numba.njit(fresh(hand)), args),
                  "s2sdiff numba": lambda f=f, wrt=wrt: (grad(fresh(f), wrt=wrt, backend="numba"), args),
                  "s2sdiff python": lambda f=f, wrt=wrt: (grad(f, wrt=wrt), tuple(
                      a.tolist() if isinstance(a, np.ndarray) else a for a in args))}
        if jax_makers is not None:
            # fresh functions each time, so that the first call traces and compiles
            makers["jax.jit + lax.scan"] = lambda row=row: (jax_gradients()[0][row](), tuple(
                jnp.asarray(a, dtype=jnp.float64) for a in args))
        for who, make in makers.items():
            try:
                def first_call(make=make):
                    fn, fargs = make()
                    return fn(*fargs)
                times = [] if who == "s2sdiff python" else [
                    median_time(first_call, 1) for _ in range(opts.compile_runs)]
                fn, fargs = make()
                got = flatten(fn(*fargs))
            except Exception as error:       # noqa: BLE001 - reported on the row
                errors[row, who] = f"{type(error).__name__}: {error}".splitlines()[0][:110]
                continue
            if len(got) != len(expected) or not all(
                    math.isclose(a, b, rel_tol=REL_TOL, abs_tol=1e-12) for a, b in zip(got, expected)):
                errors[row, who] = "wrong gradient"
                continue
            contenders[row, who] = (fn, fargs)
            if times:
                first[row, who] = statistics.median(times)

    samples, _ = measure(contenders, opts.repeats)
    medians = {key: statistics.median(v) for key, v in samples.items()}
    print(f"numba {numba.__version__}" + ("" if jnp is None else
                                          f", jax {__import__('jax').__version__}"))
    print(f"{'row':16} {'contender':22} {'per call':>10} {'ratio':>7} {'first call':>11}")
    results = []
    for row in rows:
        base = medians.get((row, "hand-written numba"))
        for who in ("hand-written numba", "s2sdiff numba", "jax.jit + lax.scan", "s2sdiff python"):
            if (row, who) in errors:
                print(f"{row:16} {who:22} {errors[row, who]}")
                continue
            if (row, who) not in medians:
                continue
            t = medians[row, who]
            ratio = t / base if base else float("nan")
            compile_time = first.get((row, who))
            print(f"{row:16} {who:22} {fmt_time(t):>10} {ratio:6.2f}x "
                  f"{fmt_time(compile_time) if compile_time else '':>11}")
            results.append({"row": row, "contender": who, "median_s": t, "ratio": ratio,
                            "first_call_s": compile_time})
    if opts.json:
        Path(opts.json).write_text(json.dumps(results, indent=2))
    if errors:
        sys.exit(1)


if __name__ == "__main__":
    main()
