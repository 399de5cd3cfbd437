"""activity, pass by pass: a function and the parameters ``wrt`` in, the analysis's text
form (``activity.format_activity``) out.

A name is *varied* if it depends differentiably on a parameter of ``wrt``, *useful* if
the output depends on it, *active* if both (only active names get adjoints); the form
lists the active names, then the names that are only varied and only useful.
"""

import pytest

from passes import activity

CASES = [
    ("every parameter", "def f(x, y): return x * y + x", ["x", "y"], """
wrt: x, y
active: f, x, xty, y
varied only: -
useful only: -
"""),
    ("a parameter left out is useful only", "def f(x, y): return x * y + x", ["x"], """
wrt: x
active: f, x, xty
varied only: -
useful only: y
"""),
    ("a call and a constant factor", "def f(x, y): return math.sin(x) * 2.0 + y", ["x"], """
wrt: x
active: f, f1, sinx, x
varied only: -
useful only: y
"""),
    ("a value the output does not read", """
def f(x, y):
    t = y * y
    u = x * 3.0
    return u
""", ["x", "y"], """
wrt: x, y
active: u, x
varied only: t, y
useful only: -
"""),
    ("a dead store", """
def f(x, y):
    u = x * y
    w = u + 1.0
    return u
""", ["x"], """
wrt: x
active: u, x
varied only: w
useful only: y
"""),
    ("a constant output", "def f(x): return 3.0", ["x"], """
wrt: x
active: -
varied only: x
useful only: -
"""),
    ("floor ends variation", """
def f(x):
    k = math.floor(x)
    return k * x
""", ["x"], """
wrt: x
active: f, x
varied only: -
useful only: k
"""),
    ("a comparison ends variation", """
def f(x, y):
    c = x > y
    return x * c
""", ["x", "y"], """
wrt: x, y
active: f, x
varied only: y
useful only: c
"""),
    ("round, and a product with zero still active", "def f(x, y): return round(x) + y * 0.0",
     ["x", "y"], """
wrt: x, y
active: f, f1, y
varied only: x
useful only: roundx
"""),
    ("len ends variation", "def f(x): return x * len([x, x])", ["x"], """
wrt: x
active: f, x
varied only: f1
useful only: f2
"""),
    ("a branch", """
def f(x, y):
    if x > 0:
        z = x * y
    else:
        z = 2.0
    return z
""", ["x"], """
wrt: x
active: x, z
varied only: -
useful only: y
"""),
    ("a loop-carried product", """
def f(x, n):
    p = 1.0
    for i in range(n):
        p = p * x
    return p
""", ["x"], """
wrt: x
active: p, x
varied only: -
useful only: -
"""),
    ("a loop-carried value with a passive factor", """
def f(x, y):
    s = 0.0
    for i in range(3):
        s = s * y + x
    return s
""", ["x"], """
wrt: x
active: s, sty, x
varied only: -
useful only: y
"""),
    ("variation reaches a name through the loop's back edge", """
def f(x, y):
    a = y
    b = 1.0
    for i in range(3):
        b = a * b
        a = x
    return b
""", ["x"], """
wrt: x
active: a, b, x
varied only: -
useful only: y
"""),
    ("while", """
def f(x, y):
    while x < 10.0:
        x = x * y
    return x
""", ["y"], """
wrt: y
active: x, y
varied only: -
useful only: -
"""),
    ("the elements of a varied list are varied", """
def f(xs):
    s = 0.0
    for x in xs:
        s = s + x * x
    return s
""", ["xs"], """
wrt: xs
active: s, x, xs, xtx
varied only: -
useful only: -
"""),
    ("the sequence of a useful element is useful", """
def f(xs, c):
    s = 0.0
    for i, x in enumerate(xs):
        s = s + x * c
    return s
""", ["c"], """
wrt: c
active: c, s, xtc
varied only: -
useful only: x, xs
"""),
    ("a list element written", """
def f(x, y):
    v = [x, 1.0]
    v[1] = y * y
    return v[0]
""", ["x", "y"], """
wrt: x, y
active: f, v, x, y, yty
varied only: -
useful only: -
"""),
    ("a call of a user function", """
def g(a):
    return a * a

def f(x, y):
    return g(x) + y
""", ["y"], """
wrt: y
active: f, y
varied only: -
useful only: gx, x
"""),
    ("NumPy", "def f(W, x): return np.sum(W @ x)", ["W"], """
wrt: W
active: W, Wx, f
varied only: -
useful only: x
"""),
]


@pytest.mark.parametrize("source, wrt, expected",
                         [pytest.param(s, w, e, id=i) for i, s, w, e in CASES])
def test_activity(source, wrt, expected):
    assert activity(source, wrt) == expected.strip("\n")
