"""Peak memory and time of checkpointed gradients of a long loop, against the plain tape.

    python benchmarks/bench_checkpoint.py [--n STEPS] [--repeats N] [--size K] [--json PATH]

Two user functions, ``--n`` steps (100,000) each:

* ``scalar_loop(x, a)``: ``x = x + 1e-5 * math.sin(a * x)``, one float of state;
* ``array_loop(x, a)``: the same with ``np.sin`` on an array of ``--size`` (100) floats.

Contenders: ``grad(f)`` (the plain tape, one state per step), ``checkpoint="sqrt"``,
``checkpoint=("binomial", s)`` for a few snapshot counts, and ``("binomial", s, 10)``
(revolve over blocks of 10 steps, each reversed from a tape of 10 steps).  For each: the peak of
tracemalloc during one call (memory is counted, not timed, so it is exact and stable),
the median time of ``--repeats`` calls taken round-robin, both as ratios against the
plain tape of the same run, and the steps run again (``g.checkpoint_report``).  Every
contender's gradient is checked against the plain tape's first (relative 1e-12).
"""
import argparse
import json
import math
import statistics
import sys
import time
import tracemalloc
from pathlib import Path

import numpy as np

# A checkout that is not installed still runs; an installed s2sdiff takes precedence.
sys.path.append(str(Path(__file__).resolve().parent.parent))

from s2sdiff import grad  # noqa: E402

SCHEDULES = [None, "sqrt", ("binomial", 10), ("binomial", 20), ("binomial", 50),
             ("binomial", 200), ("binomial", 20, 10), ("binomial", 50, 10)]


def scalar_loop(x, a, n):
    for i in range(n):
        x = x + 1e-5 * math.sin(a * x)
    return x


def array_loop(x, a, n):
    for i in range(n):
        x = x + 1e-5 * np.sin(a * x)
    return np.sum(x)


def peak(function, args):
    tracemalloc.start()
    try:
        function(*args)
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def label(schedule):
    if schedule is None or schedule == "sqrt":
        return schedule or "plain tape"
    return f"binomial {schedule[1]}" + (f", tape {schedule[2]}" if len(schedule) > 2 else "")


def run(name, func, args, n, repeats):
    gradients = {s: grad(func, wrt=("x", "a"), checkpoint=s) for s in SCHEDULES}
    want = gradients[None](*args)
    for schedule, g in gradients.items():
        got = g(*args)                         # generated (and specialised) and checked
        for w, v in zip(want, got):
            if not np.allclose(v, w, rtol=1e-12, atol=0):
                raise SystemExit(f"{name}, {label(schedule)}: gradient differs from the tape")
    peaks = {s: peak(g, args) for s, g in gradients.items()}
    samples = {s: [] for s in SCHEDULES}
    for _ in range(repeats):                   # round-robin: drift hits every contender
        for schedule, g in gradients.items():
            start = time.perf_counter()
            g(*args)
            samples[schedule].append(time.perf_counter() - start)
    times = {s: statistics.median(v) for s, v in samples.items()}
    rows = []
    print(f"\n{name}: {n:,} steps, gradient w.r.t. x and a, median of {repeats}")
    print(f"{'schedule':<21}{'peak memory':>14}{'ratio':>9}{'time':>11}{'ratio':>8}"
          f"{'snapshots':>11}{'steps run again':>17}")
    for schedule in SCHEDULES:
        report = getattr(gradients[schedule], "checkpoint_report", None)
        snapshots = report.snapshots(n) if report else n
        again = report.recomputed(n) if report else 0
        row = dict(function=name, schedule=label(schedule), peak_bytes=peaks[schedule],
                   memory_ratio=peaks[schedule] / peaks[None], seconds=times[schedule],
                   time_ratio=times[schedule] / times[None], snapshots=snapshots,
                   recomputed=again)
        rows.append(row)
        print(f"{row['schedule']:<21}{peaks[schedule] / 1e6:>11.3f} MB{row['memory_ratio']:>9.4f}"
              f"{times[schedule] * 1e3:>8.1f} ms{row['time_ratio']:>7.2f}x"
              f"{snapshots:>11,}{again:>17,}")
    return rows


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=100_000)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--size", type=int, default=100)
    parser.add_argument("--json")
    options = parser.parse_args()
    n = options.n
    rows = run("scalar_loop", scalar_loop, (0.5, 1.3, n), n, options.repeats)
    x = np.linspace(0.0, 1.0, options.size)
    rows += run(f"array_loop ({options.size} floats)", array_loop, (x, 1.3, n), n,
                options.repeats)
    if options.json:
        Path(options.json).write_text(json.dumps(rows, indent=2))


if __name__ == "__main__":
    main()
