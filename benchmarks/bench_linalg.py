"""Time s2sdiff's generated gradients of np.linalg and einsum code against hand-written NumPy.

    python benchmarks/bench_linalg.py [--repeats N] [--json PATH]

Cases:

- ``ridge``: the validation loss of ridge regression, the weights from the normal
  equations with ``np.linalg.solve``: ``w = solve(X^T X + lam I, X^T y)``, loss
  ``||Xv w - yv||^2``, differentiated with respect to the training data ``X`` and the
  regularisation ``lam`` (X 2000 x 200, Xv 500 x 200); and with respect to the targets
  ``y`` and ``lam``, where no product with ``X^T X``'s adjoint is needed.
- ``attention``: one multi-head attention block written with ``np.einsum``: ``Q, K, V``
  projections of ``X`` (batch 8, 64 tokens, width 128, 4 heads of 32),
  ``softmax(Q K^T / sqrt(d)) V`` with the max subtracted as users write it, a linear
  readout, differentiated with respect to the three projection matrices.  Needs the
  ``np.einsum`` row (issue 16 item 1); without it the case is reported as skipped.

Each against a hand-written NumPy gradient in the same run (the textbook backprop, which
computes exactly the requested gradients), checked for agreement first, then timed with
the round-robin sampling of ``bench_scalar.py``: the median over ``--repeats`` samples
and its ratio to the hand-written gradient.
"""
import argparse
import json
import statistics
import sys
from pathlib import Path

import numpy as np

from bench_scalar import SAMPLE_SECONDS, SLICES, fmt_time, measure, version

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

REL_TOL = 1e-8


def ridge(X, y, Xv, yv, lam):
    A = X.T @ X + lam * np.eye(X.shape[1])
    w = np.linalg.solve(A, X.T @ y)
    r = Xv @ w - yv
    return r @ r


def ridge_hand(X, y, Xv, yv, lam):
    A = X.T @ X + lam * np.eye(X.shape[1])
    w = np.linalg.solve(A, X.T @ y)
    r = Xv @ w - yv
    dw = 2.0 * (Xv.T @ r)
    s = np.linalg.solve(A, dw)              # A is symmetric: A^-T dw = A^-1 dw
    dA = -np.outer(s, w)
    dX = X @ (dA + dA.T) + np.outer(y, s)
    return dX, np.trace(dA)


def ridge_hand_y_lam(X, y, Xv, yv, lam):
    A = X.T @ X + lam * np.eye(X.shape[1])
    w = np.linalg.solve(A, X.T @ y)
    r = Xv @ w - yv
    s = np.linalg.solve(A, 2.0 * (Xv.T @ r))
    return X @ s, -(s @ w)


HEADS, WIDTH = 4, 32


def attention(X, Wq, Wk, Wv, R):
    Q = np.einsum("btd,dhe->bhte", X, Wq)
    K = np.einsum("btd,dhe->bhte", X, Wk)
    V = np.einsum("btd,dhe->bhte", X, Wv)
    S = np.einsum("bhqe,bhke->bhqk", Q, K) / np.sqrt(32.0)
    E = np.exp(S - np.max(S, axis=-1, keepdims=True))
    P = E / np.sum(E, axis=-1, keepdims=True)
    O = np.einsum("bhqk,bhke->bhqe", P, V)
    return np.sum(np.einsum("bhqe,he->bq", O, R) ** 2)


def attention_hand(X, Wq, Wk, Wv, R):
    Q = np.einsum("btd,dhe->bhte", X, Wq)
    K = np.einsum("btd,dhe->bhte", X, Wk)
    V = np.einsum("btd,dhe->bhte", X, Wv)
    S = np.einsum("bhqe,bhke->bhqk", Q, K) / np.sqrt(32.0)
    E = np.exp(S - np.max(S, axis=-1, keepdims=True))
    P = E / np.sum(E, axis=-1, keepdims=True)
    O = np.einsum("bhqk,bhke->bhqe", P, V)
    Y = np.einsum("bhqe,he->bq", O, R)
    dY = 2.0 * Y
    dO = np.einsum("bq,he->bhqe", dY, R)
    dP = np.einsum("bhqe,bhke->bhqk", dO, V)
    dV = np.einsum("bhqk,bhqe->bhke", P, dO)
    dS = P * (dP - np.sum(dP * P, axis=-1, keepdims=True)) / np.sqrt(32.0)
    dQ = np.einsum("bhqk,bhke->bhqe", dS, K)
    dK = np.einsum("bhqk,bhqe->bhke", dS, Q)
    return tuple(np.einsum("btd,bhte->dhe", X, d) for d in (dQ, dK, dV))


def cases(rng):
    X, Xv = rng.normal(size=(2000, 200)), rng.normal(size=(500, 200))
    y, yv = rng.normal(size=2000), rng.normal(size=500)
    ridge_args = (X, y, Xv, yv, 10.0)
    d = 128
    attention_args = (rng.normal(size=(8, 64, d)),
                      *(rng.normal(size=(d, HEADS, WIDTH)) / np.sqrt(d) for _ in range(3)),
                      rng.normal(size=(HEADS, WIDTH)))
    return [("ridge (solve), 2000x200, wrt X and lam", ridge, ridge_hand, ridge_args, (0, 4)),
            ("ridge (solve), 2000x200, wrt y and lam", ridge, ridge_hand_y_lam, ridge_args,
             (1, 4)),
            ("attention (einsum), 8x64x128, 4 heads, wrt Wq, Wk, Wv", attention,
             attention_hand, attention_args, (1, 2, 3))]


def einsum_has_a_rule():
    from s2sdiff import rules
    return rules.lookup(rules.Function(np.einsum)) is not None


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=7, help="samples per contender (default 7)")
    ap.add_argument("--json", metavar="PATH", help="also write the results as JSON")
    ap.add_argument("--only", metavar="TEXT", help="only the cases whose name contains TEXT")
    opts = ap.parse_args(argv)
    from s2sdiff import grad

    contenders, skipped = {}, []
    for name, f, hand, args, wrt in cases(np.random.default_rng(0)):
        if opts.only and opts.only not in name:
            continue
        if f is attention and not einsum_has_a_rule():
            skipped.append(f"{name}: skipped (np.einsum has no rule in this build)")
            continue
        generated = grad(f, wrt=wrt)
        expected, got = hand(*args), generated(*args)
        if not all(np.allclose(a, b, rtol=REL_TOL, atol=1e-12) for a, b in zip(got, expected)):
            print(f"error: s2sdiff's gradient disagrees with the hand-written one on {name}",
                  file=sys.stderr)
            return 1
        contenders[name, "hand-written"] = (hand, args)
        contenders[name, "s2sdiff"] = (generated, args)

    samples, numbers = measure(contenders, opts.repeats)
    results = []
    for (name, who), ts in samples.items():
        median = statistics.median(ts)
        results.append({"case": name, "contender": who, "median_s": median,
                        "ratio": median / statistics.median(samples[name, "hand-written"]),
                        "calls_per_sample": numbers[name, who], "samples_s": ts})
    print(f"numpy {np.__version__} s2sdiff {version('s2sdiff')}")
    print(f"\nmedian of {opts.repeats} samples of ~{SAMPLE_SECONDS} s of calls each,"
          f" taken in {SLICES} slices interleaved across contenders\n")
    print("| case | contender | median per call | ratio vs hand-written |")
    print("|---|---|---:|---:|")
    for r in results:
        print(f"| {r['case']} | {r['contender']} | {fmt_time(r['median_s'])} | {r['ratio']:.2f} |")
    for line in skipped:
        print(line)
    if opts.json:
        Path(opts.json).write_text(json.dumps({"repeats": opts.repeats, "results": results,
                                               "skipped": skipped}, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
