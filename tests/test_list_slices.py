"""Loops over slices of lists (``normalize/headers.py``): for every spelling of a slice,
every length from 0 to 6 and bounds of both signs, the gradient is either refused with
an ``S2SDiffError`` or equal to Python's value and to central differences.  The
functions are written to a module of their own, one per spelling, as a user writes
them."""

import importlib.util
import itertools

import numpy as np
import pytest

from s2sdiff import S2SDiffError, value_and_grad

SPELLINGS = ["1:", ":-1", "-3:", "::2", "::-1", "1::3", "-2::-1", "5:1:-2", "i:i + 3",
             "i - 2:i", "k:", ":k", "k:k + 2:2", "len(xs) - 2:", "k * 2:", "::k", "-i:",
             "i:-1", ":i + 10"]
SHAPES = {"loop": "    total = 0.0\n    for v in xs[{s}]:\n        total += v * v * w\n"
                  "    return total\n",
          "sum": "    return sum(xs[{s}]) * w\n",
          "comprehension": "    return sum([v ** 3 for v in xs[{s}]]) + w\n"}


@pytest.fixture(scope="module")
def module(tmp_path_factory):
    lines = []
    for n, (spelling, (shape, body)) in enumerate(itertools.product(SPELLINGS, SHAPES.items())):
        lines.append(f"def f{n}(xs, w, i, k):\n" + body.format(s=spelling))
    path = tmp_path_factory.mktemp("slices") / "slice_programs.py"
    path.write_text("\n\n".join(lines))
    spec = importlib.util.spec_from_file_location("slice_programs", path)
    loaded = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(loaded)
    return loaded


def central(f, xs, *rest, h=1e-6):
    out = []
    for j in range(len(xs)):
        up, down = list(xs), list(xs)
        up[j] += h
        down[j] -= h
        out.append((f(up, *rest) - f(down, *rest)) / (2 * h))
    return out


@pytest.mark.parametrize("n", range(len(SPELLINGS) * len(SHAPES)),
                         ids=[f"{s}-{shape}" for s, shape in itertools.product(SPELLINGS, SHAPES)])
def test_a_slice_is_refused_or_exact(module, n):
    f = getattr(module, f"f{n}")
    exact = 0
    for length in range(7):
        xs = [0.4 * j - 0.9 for j in range(length)]
        for i, k in ((0, 1), (2, 3), (-2, 2), (4, -1), (-5, 7)):
            try:
                value, gradient = value_and_grad(f, wrt=0)(xs, 1.5, i, k)
            except S2SDiffError:
                continue
            except ValueError:          # xs[::0]: Python raises the same
                with pytest.raises(ValueError):
                    f(xs, 1.5, i, k)
                continue
            assert value == pytest.approx(f(xs, 1.5, i, k), rel=1e-12, abs=1e-12)
            assert np.allclose(gradient, central(f, xs, 1.5, i, k), atol=1e-6), (length, i, k)
            exact += 1
    spelling = SPELLINGS[n // len(SHAPES)]
    if any(c in spelling for c in "*(") or spelling.startswith("-i") or "::k" in spelling:
        return                          # NumPy indexing: refused for lists
    assert exact == 7 * 5, spelling     # every supported spelling gives a gradient
