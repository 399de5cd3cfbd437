"""Time s2sdiff's generated gradients against hand-written staged gradients and peer AD tools.

    python benchmarks/bench_scalar.py [--repeats N] [--json PATH]

Functions and hand-written gradients are in seed_functions.py; the peers' versions of the
functions in peer_functions.py. Peers (autograd, jax, torch) are optional: a missing one
is reported as "not installed". Every contender's gradient is checked against the
hand-written one before anything is timed.
"""
import argparse
import importlib.metadata
import json
import math
import platform
import statistics
import sys
import time
import timeit
import types
from pathlib import Path

import peer_functions
from seed_functions import FUNCTIONS, seed003_log_sin

# A checkout that is not installed still runs; an installed s2sdiff takes precedence.
sys.path.append(str(Path(__file__).resolve().parent.parent))

SAMPLE_SECONDS = 0.1  # length of one sample (median over --repeats samples)
SLICES = 20  # each sample is taken in this many slices, interleaved with the other contenders
REL_TOL = 1e-9


def to_floats(result):
    if not isinstance(result, (tuple, list)):
        result = (result,)
    return [float(r) for r in result]


def version(dist):
    try:
        return importlib.metadata.version(dist)
    except importlib.metadata.PackageNotFoundError:
        return "(not installed as a distribution)"


def fresh(f):
    """A new function object with f's code, so caches keyed by function object miss."""
    return types.FunctionType(f.__code__, f.__globals__, f.__name__, f.__defaults__, f.__closure__)


def seed003_minimal_hand(x1, x2):
    """Seed 003's gradient with no forward value at all (issue 18): what dead-code
    elimination of the forward sweep should reach."""
    return 1 / x1 + x2, x1 - math.cos(x2)


# rows timed for s2sdiff against their hand-written gradient only (no peers)
S2SDIFF_ONLY = {"seed003_log_sin vs minimal": (seed003_log_sin, seed003_minimal_hand, (2.0, 5.0))}
ALL = {**FUNCTIONS, **S2SDIFF_ONLY}


# --- contenders: each maker returns {function name: (callable, args)} -------------------

def s2sdiff_contenders(grad):
    return {name: (grad(f), point) for name, (f, _, point) in ALL.items()}


def autograd_contenders():
    import autograd
    import autograd.numpy as anp

    fs = peer_functions.make(anp)
    return {name: (autograd.grad(fs[name], argnum=tuple(range(len(point)))), point)
            for name, (_, _, point) in FUNCTIONS.items()}


def jax_contenders():
    import jax
    import jax.numpy as jnp

    jax.config.update("jax_enable_x64", True)
    fs = peer_functions.make(jnp)
    out = {}
    for name, (_, _, point) in FUNCTIONS.items():
        g = jax.jit(jax.grad(fs[name], argnums=tuple(range(len(point)))))
        out[name] = (lambda *a, g=g: jax.block_until_ready(g(*a)),
                     tuple(jnp.asarray(p, dtype=jnp.float64) for p in point))
    return out


def torch_contenders():
    import torch

    fs = peer_functions.make(torch)
    out = {}
    for name, (_, _, point) in FUNCTIONS.items():
        def g(*ts, f=fs[name]):
            return torch.autograd.grad(f(*ts), ts)

        out[name] = (g, tuple(torch.tensor(p, dtype=torch.float64, requires_grad=True) for p in point))
    return out


PEERS = {"autograd": autograd_contenders, "jax": jax_contenders, "torch": torch_contenders}


# --- measurement ------------------------------------------------------------------------

def make_timer(fn, args):
    names = [f"a{i}" for i in range(len(args))]
    env = dict(zip(names, args), g=fn)
    return timeit.Timer(f"g({', '.join(names)})", globals=env)


def calibrate(timer):
    """Calls per slice, so that SLICES slices make a sample of about SAMPLE_SECONDS."""
    number, seconds = timer.autorange()  # first number giving at least 0.2 s
    return max(1, round(number * SAMPLE_SECONDS / seconds / SLICES))


def measure(contenders, repeats):
    """contenders: {key: (callable, args)} -> ({key: [seconds per call]}, {key: calls per sample}).

    Each sample is SLICES short runs, taken round-robin over the contenders, so that
    machine noise and drift hit every contender alike.
    """
    timers = {key: make_timer(*c) for key, c in contenders.items()}
    numbers = {key: calibrate(t) for key, t in timers.items()}
    samples = {key: [] for key in timers}
    for _ in range(repeats):
        total = dict.fromkeys(timers, 0.0)
        for _ in range(SLICES):
            for key, t in timers.items():
                total[key] += t.timeit(numbers[key])
        for key in timers:
            samples[key].append(total[key] / (numbers[key] * SLICES))
    return samples, {key: n * SLICES for key, n in numbers.items()}


def median_time(action, runs):
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        action()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def generation_times(grad, runs, have_jax):
    rows = []
    for name, (f, _, point) in FUNCTIONS.items():
        t = median_time(lambda: grad(fresh(f))(*point), runs)
        rows.append({"what": "s2sdiff grad(f) + first call", "function": name, "median_s": t})
    if have_jax:
        import jax
        import jax.numpy as jnp

        fs = peer_functions.make(jnp)
        for name, (_, _, point) in FUNCTIONS.items():
            args = tuple(jnp.asarray(p, dtype=jnp.float64) for p in point)
            argnums = tuple(range(len(point)))
            t = median_time(lambda: jax.block_until_ready(
                jax.jit(jax.grad(fresh(fs[name]), argnums=argnums))(*args)), runs)
            rows.append({"what": "jax.jit(jax.grad(f)) first call", "function": name, "median_s": t})
    return rows


def fmt_time(seconds):
    if seconds < 1e-6:
        return f"{seconds * 1e9:.0f} ns"
    return f"{seconds * 1e6:.2f} µs" if seconds < 1e-3 else f"{seconds * 1e3:.2f} ms"


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=7, help="samples per contender (default 7)")
    ap.add_argument("--json", metavar="PATH", help="also write the results as JSON")
    opts = ap.parse_args(argv)
    if opts.repeats < 1:
        ap.error("--repeats must be at least 1")

    try:
        from s2sdiff import grad
    except ImportError as e:
        sys.exit(f"error: cannot import s2sdiff.grad: {e}")

    by_contender = {"hand-written": {n: (h, p) for n, (_, h, p) in ALL.items()},
                    "s2sdiff": s2sdiff_contenders(grad)}
    versions = {"python": platform.python_version(), "s2sdiff": version("s2sdiff")}
    for peer, make in PEERS.items():
        try:
            by_contender[peer] = make()
        except ImportError:
            versions[peer] = "not installed"
        else:
            versions[peer] = version(peer)

    # correctness first: every contender against the hand-written gradient
    bad = []
    for name, (_, hand, point) in ALL.items():
        expected = to_floats(hand(*point))
        for who, fns in by_contender.items():
            if name not in fns:
                continue
            fn, args = fns[name]
            got = to_floats(fn(*args))
            if len(got) != len(expected) or not all(
                    math.isclose(a, b, rel_tol=REL_TOL) for a, b in zip(got, expected)):
                bad.append(f"{who} on {name}{point}: got {got}, expected {expected}")
    if bad:
        print("error: gradients disagree with the hand-written ones:", *bad, sep="\n  ", file=sys.stderr)
        return 1

    contenders = {(name, who): fns[name] for name in ALL for who, fns in by_contender.items()
                  if name in fns}
    samples, numbers = measure(contenders, opts.repeats)
    results = []
    for (name, who), ts in samples.items():
        med = statistics.median(ts)
        results.append({"function": name, "contender": who, "median_s": med,
                        "ratio": med / statistics.median(samples[name, "hand-written"]),
                        "calls_per_sample": numbers[name, who], "samples_s": ts})

    print(" ".join(f"{k} {v}" for k, v in versions.items()))
    print(f"\nmedian of {opts.repeats} samples of ~{SAMPLE_SECONDS} s of calls each,"
          f" taken in {SLICES} slices interleaved across contenders\n")
    print("| function | contender | median per call | ratio vs hand-written |")
    print("|---|---|---:|---:|")
    for r in results:
        print(f"| {r['function']} | {r['contender']} | {fmt_time(r['median_s'])} | {r['ratio']:.2f} |")

    runs = max(5, opts.repeats)
    generation = generation_times(grad, runs, "jax" in by_contender)
    print(f"\none-time cost, median of {runs}:")
    for g in generation:
        print(f"  {g['what']}, {g['function']}: {fmt_time(g['median_s'])}")

    if opts.json:
        Path(opts.json).write_text(json.dumps(
            {"versions": versions, "repeats": opts.repeats, "results": results,
             "generation": generation}, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
