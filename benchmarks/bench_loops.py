"""Time s2sdiff's generated gradients of loops against hand-written reverse code and peers.

    python benchmarks/bench_loops.py [--repeats N] [--n LEN] [--wrt w|xs,w]
                                     [--peers autograd,jax,torch] [--json PATH]

Two rows, each a user function with a loop:

* ``recurrence(s, y)``: 100 iterations of ``s = s * 0.99 + math.sin(s) * y``, gradient
  with respect to s and y.  Hand-written reverse code stores s of every iteration in a
  list, then runs the loop backwards recomputing sin and cos.
* ``tanh_sum(xs, w)``: ``s = s + math.tanh(w * x)`` over a list ``xs`` of ``--n`` floats
  (1000), gradient with respect to ``--wrt`` (``w``, or ``xs,w`` for the list too).
  Hand-written reverse code: the forward loop, then a reverse loop recomputing tanh.  A
  second hand-written version in one loop without the (unneeded) forward value is timed
  for information.

Ratios are against the hand-written reverse code measured in the same run (median of
``--repeats`` samples taken round-robin).  The target is s2sdiff within 1.5x.  Peers
(autograd, jax.jit, torch) are timed only when importable.  Every contender's gradient
is checked against the hand-written one first; a contender that raises or disagrees is
reported on its row and not timed, and the script then exits with status 1.
"""
import argparse
import json
import math
import platform
import statistics
import sys
import time
import traceback
from pathlib import Path

# A checkout that is not installed still runs; an installed s2sdiff takes precedence.
sys.path.append(str(Path(__file__).resolve().parent.parent))

from bench_scalar import (SAMPLE_SECONDS, SLICES, fmt_time, fresh, measure,  # noqa: E402
                          median_time, version)

REL_TOL = 1e-9
STEPS = 100                         # iterations of the recurrence


# --- the user functions -----------------------------------------------------------------

def recurrence(s, y):
    for i in range(100):
        s = s * 0.99 + math.sin(s) * y
    return s


def tanh_sum(xs, w):
    s = 0.0
    for x in xs:
        s = s + math.tanh(w * x)
    return s


# --- hand-written reverse code ----------------------------------------------------------

def recurrence_hand(s, y):
    # forward: keep s of every iteration
    ss = []
    for i in range(100):
        ss.append(s)
        s = s * 0.99 + math.sin(s) * y
    # reverse: recompute sin and cos from the stored s
    ds = 1.0
    dy = 0.0
    for s in reversed(ss):
        dy += math.sin(s) * ds
        ds = (0.99 + math.cos(s) * y) * ds
    return ds, dy


def tanh_sum_hand_w(xs, w):
    # forward
    s = 0.0
    for x in xs:
        s = s + math.tanh(w * x)
    # reverse
    ds = 1.0
    dw = 0.0
    for x in reversed(xs):
        t = math.tanh(w * x)
        dw += x * (1.0 - t * t) * ds
    return dw


def tanh_sum_hand_xs_w(xs, w):
    # forward
    s = 0.0
    for x in xs:
        s = s + math.tanh(w * x)
    # reverse
    ds = 1.0
    dw = 0.0
    dxs = [0.0] * len(xs)
    for i in reversed(range(len(xs))):
        x = xs[i]
        t = math.tanh(w * x)
        dz = (1.0 - t * t) * ds
        dw += x * dz
        dxs[i] = w * dz
    return dxs, dw


def tanh_sum_fused_w(xs, w):
    dw = 0.0
    for x in xs:
        t = math.tanh(w * x)
        dw += x * (1.0 - t * t)
    return dw


def tanh_sum_fused_xs_w(xs, w):
    dw = 0.0
    dxs = []
    for x in xs:
        t = math.tanh(w * x)
        dz = 1.0 - t * t
        dw += x * dz
        dxs.append(w * dz)
    return dxs, dw


# --- rows -------------------------------------------------------------------------------

def rows(n, wrt):
    """{row: dict(func, point, wrt, hand, extra={name: fn})}"""
    xs = [2.0 * math.sin(0.37 * i) for i in range(n)]
    with_xs = "xs" in wrt
    return {
        "recurrence": dict(func=recurrence, point=(0.5, 0.3), wrt=("s", "y"),
                           hand=recurrence_hand, extra={}),
        f"tanh_sum[n={n}, wrt={','.join(wrt)}]": dict(
            func=tanh_sum, point=(xs, 0.7), wrt=wrt,
            hand=tanh_sum_hand_xs_w if with_xs else tanh_sum_hand_w,
            extra={"hand-written, one loop": tanh_sum_fused_xs_w if with_xs else tanh_sum_fused_w}),
    }


def s2sdiff_wrt(wrt):
    return wrt[0] if len(wrt) == 1 else tuple(wrt)


# --- peers: each maker returns {row kind: (callable, args)} -----------------------------

def _peer_recurrence(xp):
    def f(s, y):
        for i in range(100):
            s = s * 0.99 + xp.sin(s) * y
        return s
    return f


def _peer_tanh_sum(xp):
    def f(xs, w):
        s = 0.0
        for x in xs:
            s = s + xp.tanh(w * x)
        return s
    return f


def autograd_maker(row):
    import autograd
    import autograd.numpy as anp
    import numpy

    names = ("s", "y") if row["func"] is recurrence else ("xs", "w")
    argnum = tuple(names.index(w) for w in row["wrt"])
    f = _peer_recurrence(anp) if row["func"] is recurrence else _peer_tanh_sum(anp)
    args = tuple(numpy.asarray(a, dtype=float) if isinstance(a, list) else a for a in row["point"])
    return autograd.grad(f, argnum=argnum), args


def jax_maker(row):
    import jax
    import jax.numpy as jnp

    jax.config.update("jax_enable_x64", True)
    names = ("s", "y") if row["func"] is recurrence else ("xs", "w")
    argnums = tuple(names.index(w) for w in row["wrt"])
    if row["func"] is recurrence:
        f = _peer_recurrence(jnp)        # the Python loop, unrolled by jit (about 1 s to compile)
    else:
        def f(xs, w):                    # unrolling 1000 iterations takes minutes to compile
            def body(s, x):
                return s + jnp.tanh(w * x), None
            return jax.lax.scan(body, jnp.zeros((), xs.dtype), xs)[0]
    g = jax.jit(jax.grad(f, argnums=argnums))
    args = tuple(jnp.asarray(a, dtype=jnp.float64) for a in row["point"])
    return (lambda *a: jax.block_until_ready(g(*a))), args


def torch_maker(row):
    import torch

    names = ("s", "y") if row["func"] is recurrence else ("xs", "w")
    f = _peer_recurrence(torch) if row["func"] is recurrence else _peer_tanh_sum(torch)
    args = tuple(torch.tensor(a, dtype=torch.float64, requires_grad=name in row["wrt"])
                 for name, a in zip(names, row["point"]))
    picked = [names.index(w) for w in row["wrt"]]

    def g(*ts):
        return torch.autograd.grad(f(*ts), [ts[i] for i in picked])

    return g, args


PEERS = {"autograd": autograd_maker, "jax": jax_maker, "torch": torch_maker}
PEER_LABELS = {"autograd": "autograd", "jax": "jax.jit", "torch": "torch"}


# --- helpers ----------------------------------------------------------------------------

def flatten(result):
    """A gradient (float, tuple, list, array or tensor, nested) as a flat list of floats."""
    if hasattr(result, "detach"):
        result = result.detach().numpy()
    if hasattr(result, "tolist") and not isinstance(result, (list, tuple)):
        result = result.tolist()
    if isinstance(result, (list, tuple)):
        return [v for r in result for v in flatten(r)]
    return [float(result)]


def short(error):
    text = f"{type(error).__name__}: {error}".splitlines()[0]
    return text if len(text) <= 110 else text[:107] + "..."


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=7, help="samples per contender (default 7)")
    ap.add_argument("--n", type=int, default=1000, help="length of xs for tanh_sum (default 1000)")
    ap.add_argument("--wrt", default="w",
                    help="tanh_sum's differentiated parameters: w (default) or xs,w")
    ap.add_argument("--peers", default="autograd,jax,torch",
                    help="comma-separated peers to try (default autograd,jax,torch; '' for none)")
    ap.add_argument("--json", metavar="PATH", help="also write the results as JSON")
    ap.add_argument("--verbose", action="store_true", help="print full tracebacks of errors")
    opts = ap.parse_args(argv)
    if opts.repeats < 1:
        ap.error("--repeats must be at least 1")
    wrt = tuple(w.strip() for w in opts.wrt.split(",") if w.strip())
    if not wrt or set(wrt) - {"xs", "w"}:
        ap.error("--wrt must name xs and/or w")
    wrt = tuple(w for w in ("xs", "w") if w in wrt)       # parameter order
    peers = [p for p in opts.peers.split(",") if p]
    if set(peers) - set(PEERS):
        ap.error(f"unknown peers {sorted(set(peers) - set(PEERS))}; choose from {sorted(PEERS)}")

    table = rows(opts.n, wrt)
    versions = {"python": platform.python_version(), "s2sdiff": version("s2sdiff")}
    for peer in PEERS:
        versions[peer] = "not requested"
    contenders = {}         # (row, who) -> (callable, args)
    errors = {}             # (row, who) -> message
    first_calls = {}        # (row, who) -> seconds of the first call (jax compiles in it)

    def add(row_name, who, make):
        try:
            fn, args = make()
            expected = flatten(table[row_name]["hand"](*table[row_name]["point"]))
            start = time.perf_counter()
            got = fn(*args)              # also the warm-up call (jax compiles here)
            first_calls[row_name, who] = time.perf_counter() - start
            got = flatten(got)
        except ImportError:
            raise
        except Exception as e:           # noqa: BLE001 - reported on the row
            errors[row_name, who] = short(e)
            if opts.verbose:
                traceback.print_exc()
            return
        if len(got) != len(expected) or not all(
                math.isclose(a, b, rel_tol=REL_TOL, abs_tol=1e-300) for a, b in zip(got, expected)):
            worst = max(range(min(len(got), len(expected))),
                        key=lambda i: abs(got[i] - expected[i]), default=None)
            detail = (f"{len(got)} components, expected {len(expected)}" if len(got) != len(expected)
                      else f"component {worst}: {got[worst]!r}, hand-written {expected[worst]!r}")
            errors[row_name, who] = f"wrong gradient ({detail})"
            return
        contenders[row_name, who] = (fn, args)

    try:
        from s2sdiff import grad
    except ImportError as e:
        sys.exit(f"error: cannot import s2sdiff.grad: {e}")

    for row_name, row in table.items():
        add(row_name, "hand-written", lambda row=row: (row["hand"], row["point"]))
        add(row_name, "s2sdiff",
            lambda row=row: (grad(row["func"], wrt=s2sdiff_wrt(row["wrt"])), row["point"]))
        for label, fn in row["extra"].items():
            add(row_name, label, lambda fn=fn, row=row: (fn, row["point"]))
        for peer in peers:
            try:
                add(row_name, PEER_LABELS[peer], lambda peer=peer, row=row: PEERS[peer](row))
            except ImportError:
                versions[peer] = "not installed"
            else:
                versions[peer] = version(peer)

    samples, numbers = measure(contenders, opts.repeats) if contenders else ({}, {})
    results = []
    for row_name in table:
        whos = ["hand-written", "s2sdiff", *table[row_name]["extra"],
                *(PEER_LABELS[p] for p in peers if versions[p] != "not installed")]
        reference = samples.get((row_name, "hand-written"))
        for who in whos:
            key = (row_name, who)
            if key in errors:
                results.append({"function": row_name, "contender": who, "error": errors[key]})
            elif key in samples:
                med = statistics.median(samples[key])
                results.append({"function": row_name, "contender": who, "median_s": med,
                                "ratio": med / statistics.median(reference) if reference else None,
                                "calls_per_sample": numbers[key], "samples_s": samples[key]})

    print(" ".join(f"{k} {v}" for k, v in versions.items()))
    print(f"\nmedian of {opts.repeats} samples of ~{SAMPLE_SECONDS} s of calls each,"
          f" taken in {SLICES} slices interleaved across contenders; ratio vs hand-written"
          f" reverse code (target for s2sdiff: within 1.5x)\n")
    print("| function | contender | median per call | ratio vs hand-written |")
    print("|---|---|---:|---:|")
    for r in results:
        if "error" in r:
            print(f"| {r['function']} | {r['contender']} | error: {r['error']} | - |")
        else:
            ratio = f"{r['ratio']:.2f}" if r["ratio"] is not None else "-"
            print(f"| {r['function']} | {r['contender']} | {fmt_time(r['median_s'])} | {ratio} |")

    runs = max(5, opts.repeats)
    generation = []
    print(f"\none-time cost of s2sdiff, grad(f) on a fresh function + first call, median of {runs}:")
    for row_name, row in table.items():
        if (row_name, "s2sdiff") in errors:
            print(f"  {row_name}: error: {errors[row_name, 's2sdiff']}")
            continue
        t = median_time(lambda row=row: grad(fresh(row["func"]), wrt=s2sdiff_wrt(row["wrt"]))(
            *row["point"]), runs)
        generation.append({"what": "s2sdiff grad(f) + first call", "function": row_name,
                           "median_s": t})
        print(f"  {row_name}: {fmt_time(t)}")
    jax_first = {row: t for (row, who), t in first_calls.items() if who == "jax.jit"}
    if jax_first:
        print("first call of jax.jit(jax.grad(f)) (tracing and compiling), one run:")
    for row_name, t in jax_first.items():
        generation.append({"what": "jax.jit(jax.grad(f)) first call", "function": row_name,
                           "median_s": t})
        print(f"  {row_name}: {fmt_time(t)}")

    if opts.json:
        Path(opts.json).write_text(json.dumps(
            {"versions": versions, "repeats": opts.repeats, "n": opts.n, "wrt": list(wrt),
             "results": results, "generation": generation}, indent=2) + "\n")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
