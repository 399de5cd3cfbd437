"""Time generation (not calls) of ``grad`` for long synthesised functions.

    python benchmarks/bench_generation.py [--sizes 250,1000,2000,8000] [--repeats N]
                                          [--json PATH]

Two shapes of function, of N statements each (counted as Python statements, loop and
branch headers included):

* ``straight``: straight-line code, each statement one or two operations on earlier
  values (``a12 = math.sin(a11) * y``, ``a13 = a12 * 0.5 + a9``...);
* ``control``: the same statements cut into groups of five, one group in four is the body
  of a ``for`` loop of three iterations, one in four a branch (``if a > 0: ... else: ...``).

Each function is written to a module in a temporary directory and imported (s2sdiff reads
the source), then ``grad`` is generated with the cache cleared before each run (a fresh
function object) and timed: median of ``--repeats`` runs.  Also reported: time per
statement, and the time of a second ``wrt`` (``grad(f, wrt="x")`` after ``grad(f)``).
Targets (issue 18): 2,000 statements in under 0.5 s; time per statement at 8,000 within
1.5x of that at 250.  The gradients of the smallest functions are checked against
central differences first.
"""
import argparse
import importlib.util
import json
import math
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.append(str(Path(__file__).resolve().parent.parent))

from bench_scalar import fresh  # noqa: E402

# one operation or two on earlier values; {p} is the previous value, {q} an older one
TEMPLATES = ["{t} = math.sin({p}) * y", "{t} = {p} * 0.5 + {q}", "{t} = math.tanh({p} - x)",
             "{t} = {p} * {q} * 0.25", "{t} = math.cos({q}) + {p} * 0.5",
             "{t} = {p} / (1.0 + {q} * {q})", "{t} = math.exp(-{p} * {p}) - {q}"]


def straight_source(n):
    lines = ["def f(x, y):", "    a0 = x * y"]
    for i in range(1, n - 1):
        lines.append("    " + TEMPLATES[i % len(TEMPLATES)].format(
            t=f"a{i}", p=f"a{i - 1}", q=f"a{max(0, i - 3)}"))
    lines.append(f"    return a{n - 2}")
    return "\n".join(lines) + "\n"


def control_source(n):
    """Groups of five statements; every fourth group a loop, every fourth a branch.  The
    names inside loops and branches are one carried name ``s``, copied out after."""
    lines = ["def f(x, y):", "    a0 = x * y"]
    count, i, group = 2, 1, 0           # the def's return counts, and a0
    while count < n:
        kind = group % 4
        group += 1
        if kind == 1 and count + 7 <= n:      # a loop: header, carried value, 5 updates
            lines += [f"    s = a{i - 1}", "    for k in range(3):"]
            lines += [f"        s = {e}" for e in ("s * 0.9 + math.sin(s) * y", "math.tanh(s - x)",
                                                     "s * 0.5 + x", "s / (1.0 + s * s)",
                                                     "math.cos(s) * 0.5 + s")]
            lines.append(f"    a{i} = s")
            i += 1
            count += 8
        elif kind == 3 and count + 7 <= n:    # a branch: header, two bodies of two, and a copy
            lines += [f"    if a{i - 1} > 0:", f"        s = math.sin(a{i - 1}) * y",
                      "        s = s * 0.5 + x", "    else:", f"        s = a{i - 1} * x",
                      "        s = math.tanh(s)", f"    a{i} = s"]
            i += 1
            count += 6
        else:
            for _ in range(min(5, n - count)):
                lines.append("    " + TEMPLATES[i % len(TEMPLATES)].format(
                    t=f"a{i}", p=f"a{i - 1}", q=f"a{max(0, i - 3)}"))
                i += 1
                count += 1
    lines.append(f"    return a{i - 1}")
    return "\n".join(lines) + "\n"


SHAPES = {"straight": straight_source, "control": control_source}


def load(source, name, directory):
    path = Path(directory) / f"{name}.py"
    path.write_text("import math\n\n\n" + source)
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.f


def statements(source):
    import ast
    return sum(isinstance(node, ast.stmt) for node in ast.walk(ast.parse(source))) - 1


def median_seconds(action, repeats):
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        action()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def check(f, grad):
    """The gradient against central differences, at one point."""
    x, y = 0.3, 0.7
    dx, dy = grad(f)(x, y)
    h = 1e-6
    fx = (f(x + h, y) - f(x - h, y)) / (2 * h)
    fy = (f(x, y + h) - f(x, y - h)) / (2 * h)
    assert math.isclose(dx, fx, rel_tol=1e-5, abs_tol=1e-7), (dx, fx)
    assert math.isclose(dy, fy, rel_tol=1e-5, abs_tol=1e-7), (dy, fy)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="250,1000,2000,8000")
    ap.add_argument("--shapes", default="straight,control")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--json", metavar="PATH")
    opts = ap.parse_args(argv)
    from s2sdiff import grad
    sizes = [int(s) for s in opts.sizes.split(",")]
    rows = []
    with tempfile.TemporaryDirectory() as directory:
        for shape in opts.shapes.split(","):
            for n in sizes:
                source = SHAPES[shape](n)
                f = load(source, f"{shape}_{n}", directory)
                if n == min(sizes):
                    check(fresh(f), grad)
                first = median_seconds(lambda: grad(fresh(f)), opts.repeats)

                def second():
                    g = fresh(f)
                    grad(g)
                    t0 = time.perf_counter()
                    grad(g, wrt="x")
                    return time.perf_counter() - t0
                extra = statistics.median(second() for _ in range(opts.repeats))
                count = statements(source)
                rows.append({"shape": shape, "statements": count, "grad_s": first,
                             "per_statement_ms": first / count * 1e3, "extra_wrt_s": extra})
                print(f"| {shape} | {count} | {first:.3f} s | {first / count * 1e3:.3f} ms |"
                      f" {extra:.3f} s |", flush=True)
    for shape in opts.shapes.split(","):
        mine = [r for r in rows if r["shape"] == shape]
        if len(mine) > 1:
            print(f"{shape}: per statement at {mine[-1]['statements']} /"
                  f" at {mine[0]['statements']}:"
                  f" {mine[-1]['per_statement_ms'] / mine[0]['per_statement_ms']:.2f}x")
    if opts.json:
        Path(opts.json).write_text(json.dumps(
            {"python": platform.python_version(), "repeats": opts.repeats, "rows": rows},
            indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
