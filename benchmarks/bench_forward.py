"""Time s2sdiff's forward mode and Jacobians against hand-written code in the same run.

    python benchmarks/bench_forward.py [--repeats N]

* forward mode on seed 002's f: derivative(f) (both columns) and jvp against
  hand-written tangent code;
* the Jacobian of a 3-output function of 3 inputs (spherical to Cartesian) by jacfwd
  (columns, one generated forward function) and by jacrev (rows, three vjp pullbacks),
  against the hand-written Jacobian.
Medians over round-robin samples (the machinery of bench_scalar.py); ratios to the
hand-written code measured in the same run.
"""

import argparse
import math
import sys
from pathlib import Path

import numpy as np

sys.path.append(str(Path(__file__).resolve().parent.parent))

import forward_functions as ff                     # noqa: E402
from bench_scalar import fmt_time, measure         # noqa: E402


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=7)
    opts = ap.parse_args(argv)
    from s2sdiff import derivative, jacfwd, jacrev, jvp

    point, sph = (3.0, -4.0), (1.5, 0.7, -0.4)
    jvp_f = jvp(ff.seed002)
    groups = {
        "seed002 both columns": {
            "hand-written": (ff.seed002_tangents_by_hand, point),
            "s2sdiff derivative(f)": (derivative(ff.seed002), point)},
        "seed002 jvp": {
            "hand-written": (ff.seed002_jvp_by_hand, point + (0.3, -0.7)),
            "s2sdiff jvp_f": (jvp_f, point + (0.3, -0.7))},
        "spherical 3x3 Jacobian": {
            "hand-written": (ff.spherical_jacobian_by_hand, sph),
            "s2sdiff jacfwd (columns)": (jacfwd(ff.spherical), sph),
            "s2sdiff jacrev (rows)": (jacrev(ff.spherical), sph)},
    }
    for group in groups.values():               # correctness first
        values = [np.asarray(fn(*args), dtype=float) for fn, args in group.values()]
        for v in values[1:]:
            if not np.allclose(v, values[0], rtol=1e-12, atol=0):
                sys.exit(f"error: results disagree with the hand-written code: {v} vs {values[0]}")

    print(f"median of {opts.repeats} samples, ratios to hand-written code in the same run\n")
    print("| what | contender | median per call | ratio |")
    print("|---|---|---:|---:|")
    for what, group in groups.items():
        samples, _ = measure(group, opts.repeats)
        medians = {k: float(np.median(v)) for k, v in samples.items()}
        base = medians["hand-written"]
        for who, t in medians.items():
            print(f"| {what} | {who} | {fmt_time(t)} | {t / base:.2f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
