"""kinds inference, pass by pass: NumPy code and its arguments in, the kind of every name
(``kinds.format_kinds``: shape and dtype of arrays, the type of numbers, the value of
ints, bools and small sequences) out.

``kinds.infer`` runs the forward program once on the arguments, so the kinds are those
NumPy gives: broadcasting, reductions, slices, the dtype of float32 and int mixes.
"""

import numpy as np
import pytest

from passes import kinds

CASES = [
    ("elementwise", "def f(x): return np.sum(x * 2.0)", (np.ones(3),), {}, """
f: float64
f1: array (3,) float64
x: array (3,) float64
"""),
    ("matrix-vector product", "def f(W, x): return np.sum(W @ x)",
     (np.ones((2, 3)), np.ones(3)), {}, """
W: array (2, 3) float64
Wx: array (2,) float64
f: float64
x: array (3,) float64
"""),
    ("transpose", "def f(X): return np.sum(X.T)", (np.ones((2, 3)),), {}, """
X: array (2, 3) float64
XT: array (3, 2) float64
f: float64
"""),
    ("a float times an array", "def f(x, s): return np.sum(x * s)", (np.ones(3), 2.0), {}, """
f: float64
s: float
x: array (3,) float64
xts: array (3,) float64
"""),
    ("float32 times an int stays float32", "def f(x, s): return np.sum(x * s)",
     (np.ones(3, dtype=np.float32), 2), {}, """
f: float32
s: int = 2
x: array (3,) float32
xts: array (3,) float32
"""),
    ("broadcasting", "def f(x, y): return np.sum(np.maximum(x, y))",
     (np.ones((3, 1)), np.ones(4)), {}, """
f: float64
f1: array (3, 4) float64
x: array (3, 1) float64
y: array (4,) float64
"""),
    ("reduction with keepdims", "def f(X): return np.mean(X.sum(axis=0, keepdims=True))",
     (np.ones((4, 3)),), {}, """
X: array (4, 3) float64
f: float64
sumX: array (1, 3) float64
"""),
    ("slices", "def f(x): return np.sum(x[1:] - x[:-1])", (np.ones(5),), {}, """
f: float64
f1: array (4,) float64
f2: array (4,) float64
f3: array (4,) float64
x: array (5,) float64
"""),
    ("an entry and a column", "def f(X): return X[0, 1] * X[:, 1].sum()", (np.ones((2, 3)),),
     {}, """
X: array (2, 3) float64
f: float64
f1: float64
f2: array (2,) float64
f3: float64
"""),
    ("reshape and transpose", "def f(x): return np.sum(x.reshape(2, 3).T @ np.ones(2))",
     (np.ones(6),), {}, """
f: float64
f1: array (2, 3) float64
f2: array (3, 2) float64
f3: array (2,) float64
f4: array (3,) float64
x: array (6,) float64
"""),
    ("a nested np.array display of floats", "def f(x): return np.sum(np.array([[x, 1.0], "
     "[2.0, x]]) @ np.ones(2))", (1.5,), {}, """
f: float64
f1: array (2, 2) float64
f2: array (2,) float64
f3: array (2,) float64
x: float
"""),
    ("a bool mask", "def f(x): return np.sum(x * (x > 0.5))", (np.ones(3),), {}, """
f: float64
f1: array (3,) bool
f2: array (3,) float64
x: array (3,) float64
"""),
    ("a shape is a tuple, its entry an int", "def f(x): return np.sum(x) * x.shape[0]",
     (np.ones(4),), {}, """
f: float64
f1: sequence = (4,)
f2: int = 4
sumx: float64
x: array (4,) float64
"""),
    ("an int array", "def f(x): return np.sum(x * np.arange(3))", (np.ones(3),), {}, """
f: float64
f1: array (3,) int64
f2: array (3,) float64
x: array (3,) float64
"""),
    ("free data", "def f(x): return np.sum(C @ x)", (np.ones(3),), {"C": np.ones((2, 3))}, """
C: array (2, 3) float64
Cx: array (2,) float64
f: float64
x: array (3,) float64
"""),
    ("element assignment saves a NumPy scalar", """
def f(x):
    y = np.zeros(3)
    y[0] = x
    return np.sum(y)
""", (2.0,), {}, """
f: float64
x: float
y: array (3,) float64
y_saved: float64
"""),
    ("a loop: the kinds of the last trip", """
def f(x, n):
    s = 0.0
    for i in range(n):
        s = s + np.sum(x[i])
    return s
""", (np.ones((3, 2)), 2), {}, """
i: int = 1
n: int = 2
s: float64
s1: array (2,) float64
s2: float64
s_2: float64
x: array (3, 2) float64
"""),
    ("a branch", """
def f(x):
    if np.sum(x) > 0:
        y = x * 2.0
    else:
        y = x
    return np.sum(y)
""", (np.ones(2),), {}, """
c1: bool = True
f: float64
sumx: float64
x: array (2,) float64
y: array (2,) float64
"""),
]


@pytest.mark.parametrize("source, args, free, expected",
                         [pytest.param(s, a, g, e, id=i) for i, s, a, g, e in CASES])
def test_kinds(source, args, free, expected):
    assert kinds(source, *args, **free) == expected.strip("\n")
