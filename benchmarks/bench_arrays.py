"""Time s2sdiff's generated array gradients against hand-written NumPy backprop and peers.

    python benchmarks/bench_arrays.py [--repeats N] [--json PATH]

Cases (array_functions.py): least squares ||Xw - y||**2 with respect to w at 100x10,
1000x100 and 10000x1000, and a two-layer tanh MLP with softmax cross-entropy (batch 64,
784-256-10) with respect to its weights and biases. The MLP has two hand-written gradients:
the textbook one, whose tanh partial is 1 - h * h (0.0 where h rounds to +-1), and, for
information, one with the exact partial exp(-2|z|) (1 + |h|) ** 2 that s2sdiff generates. Peers (autograd, jax, torch) are
optional; a missing one is reported as "not installed". Every contender's gradient is
checked against the hand-written one before anything is timed.
"""
import argparse
import json
import statistics
import sys
from pathlib import Path

import numpy as np

import array_functions
from bench_scalar import SAMPLE_SECONDS, SLICES, fmt_time, measure, version

sys.path.append(str(Path(__file__).resolve().parent.parent))

REL_TOL = 1e-8


def as_list(result):
    return [np.asarray(r, dtype=float) for r in (result if isinstance(result, (tuple, list)) else (result,))]


def s2sdiff_contenders(cases):
    from s2sdiff import grad
    return {name: (grad(array_functions.FUNCTIONS[fname], wrt=argnums), args)
            for name, fname, _, args, argnums in cases}


def autograd_contenders(cases):
    import autograd
    import autograd.numpy as anp
    fs = array_functions.make(anp)
    return {name: (autograd.grad(fs[fname], argnum=argnums), args)
            for name, fname, _, args, argnums in cases}


def jax_contenders(cases):
    import jax
    import jax.numpy as jnp
    jax.config.update("jax_enable_x64", True)
    fs = array_functions.make(jnp)
    out = {}
    for name, fname, _, args, argnums in cases:
        g = jax.jit(jax.grad(fs[fname], argnums=argnums))
        out[name] = (lambda *a, g=g: jax.block_until_ready(g(*a)),
                     tuple(jnp.asarray(a) for a in args))
    return out


def torch_contenders(cases):
    import torch
    fs = array_functions.make(_TorchNumpy(torch))
    out = {}
    for name, fname, _, args, argnums in cases:
        positions = argnums if isinstance(argnums, tuple) else (argnums,)

        def g(*ts, f=fs[fname], positions=positions):
            return torch.autograd.grad(f(*ts), [ts[i] for i in positions])

        out[name] = (g, tuple(torch.tensor(a, requires_grad=i in positions)
                              for i, a in enumerate(args)))
    return out


class _TorchNumpy:
    """The few NumPy spellings the functions use, for torch tensors."""

    def __init__(self, torch):
        self.torch = torch
        self.tanh, self.exp, self.log = torch.tanh, torch.exp, torch.log

    def sum(self, x, axis=None, keepdims=False):
        return x.sum() if axis is None else x.sum(dim=axis, keepdim=keepdims)

    def max(self, x, axis=None, keepdims=False):
        return x.max() if axis is None else x.amax(dim=axis, keepdim=keepdims)


PEERS = {"autograd": autograd_contenders, "jax": jax_contenders, "torch": torch_contenders}


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=7, help="samples per contender (default 7)")
    ap.add_argument("--json", metavar="PATH", help="also write the results as JSON")
    ap.add_argument("--no-peers", action="store_true", help="time s2sdiff and hand-written only")
    opts = ap.parse_args(argv)
    cases = array_functions.cases()
    by_contender = {"hand-written": {name: (hand, args) for name, _, hand, args, _ in cases},
                    "hand-written, exact tanh partial": {
                        name: (array_functions.mlp_hand_exact, args)
                        for name, fname, _, args, _ in cases if fname == "mlp"},
                    "s2sdiff": s2sdiff_contenders(cases)}
    versions = {"numpy": np.__version__, "s2sdiff": version("s2sdiff")}
    for peer, make in ({} if opts.no_peers else PEERS).items():
        try:
            by_contender[peer] = make(cases)
        except ImportError:
            versions[peer] = "not installed"
        else:
            versions[peer] = version(peer)

    bad = []
    for name, _, hand, args, _ in cases:
        expected = as_list(hand(*args))
        for who, fns in by_contender.items():
            if name not in fns:
                continue
            fn, fargs = fns[name]
            got = [np.asarray(g.detach() if hasattr(g, "detach") else g, dtype=float)
                   for g in as_list_raw(fn(*fargs))]
            if len(got) != len(expected) or not all(
                    a.shape == b.shape and np.allclose(a, b, rtol=REL_TOL, atol=1e-12)
                    for a, b in zip(got, expected)):
                bad.append(f"{who} on {name}")
    if bad:
        print("error: gradients disagree with the hand-written ones:", *bad, sep="\n  ", file=sys.stderr)
        return 1

    contenders = {(name, who): fns[name] for name, *_ in cases
                  for who, fns in by_contender.items() if name in fns}
    samples, numbers = measure(contenders, opts.repeats)
    results = []
    for (name, who), ts in samples.items():
        med = statistics.median(ts)
        results.append({"case": name, "contender": who, "median_s": med,
                        "ratio": med / statistics.median(samples[name, "hand-written"]),
                        "calls_per_sample": numbers[name, who], "samples_s": ts})
    print(" ".join(f"{k} {v}" for k, v in versions.items()))
    print(f"\nmedian of {opts.repeats} samples of ~{SAMPLE_SECONDS} s of calls each,"
          f" taken in {SLICES} slices interleaved across contenders\n")
    print("| case | contender | median per call | ratio vs hand-written |")
    print("|---|---|---:|---:|")
    for r in results:
        print(f"| {r['case']} | {r['contender']} | {fmt_time(r['median_s'])} | {r['ratio']:.2f} |")
    if opts.json:
        Path(opts.json).write_text(json.dumps({"versions": versions, "repeats": opts.repeats,
                                               "results": results}, indent=2) + "\n")
    return 0


def as_list_raw(result):
    return list(result) if isinstance(result, (tuple, list)) else [result]


if __name__ == "__main__":
    sys.exit(main())
