"""``verify`` of a function that calls helpers of yours: the forward and the generated
code (and the generated pullbacks it calls) run on SymPy symbols, the helpers' math
read as SymPy's.  (An ArgumentError on a Symbol, or a float conversion error, before.)"""

import math

from s2sdiff import verify


def wave(u):
    return math.sin(u) * u


def square(u):
    return u * u


def calls_helpers(x, y):
    return wave(x) * y + square(y) + wave(square(x))


def test_verify_reads_helpers_with_sympy():
    report = verify(calls_helpers)
    assert [row[0] for row in report.rows] == ["x", "y"]
    assert str(report.rows[1][2]) in ("2*y + x*sin(x)", "x*sin(x) + 2*y")
