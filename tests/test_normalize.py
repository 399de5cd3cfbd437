"""normalize, pass by pass: a function in, its SSA text form (``ir.format_program``) out.

Each case is what ``normalize`` must produce (one primitive per step, numbered in the
forward sweep; ``x_2`` for a reassigned ``x``; blocks with the names loops carry), so a
change of the pass shows here as a diff of text, without running the rest of the pipeline.
"""

import pytest

from passes import normalized

CASES = [
    # arithmetic is split into one operation per step, temporaries named after it
    ("product then sum", "def f(x, y): return x * y + x", """
xty = x * y  # (1)
f = xty + x  # (2)
return f
"""),
    ("call of a product", "def f(x, y): return math.sin(x * y) + x", """
xty = x * y  # (1)
sinxty = math.sin(xty)  # (2)
f = sinxty + x  # (3)
return f
"""),
    ("nested calls", "def f(x): return math.sin(math.cos(x))", """
cosx = math.cos(x)  # (1)
f = math.sin(cosx)  # (2)
return f
"""),
    ("imported name, negation", "def f(x): return exp(-x) * 2.0", """
negx = -x  # (1)
expnegx = exp(negx)  # (2)
f = expnegx * 2.0  # (3)
return f
"""),
    ("unary plus and minus", "def f(x): return -x + +x", """
negx = -x  # (1)
f1 = +x  # (2)
f = negx + f1  # (3)
return f
"""),
    ("repeated subexpression is not shared", "def f(x, y): return (x + y) * (x + y)", """
xpy = x + y  # (1)
f1 = x + y  # (2)
f = xpy * f1  # (3)
return f
"""),
    ("powers", "def f(x): return x ** 2 + x ** 0.5", """
xsqr = x ** 2  # (1)
f1 = x ** 0.5  # (2)
f = xsqr + f1  # (3)
return f
"""),
    ("constant factor is a step of its own", "def f(x): return 2 * math.pi * x", """
f1 = 2 * math.pi  # (1)
f = f1 * x  # (2)
return f
"""),
    ("the sigmoid gate stays one step", "def f(x): return 1.0 / (1.0 + math.exp(-x))", """
f = 1.0 / (1.0 + math.exp(-x))  # (1)
return f
"""),
    ("several arguments", "def f(x, y): return max(x, y, 0.5)", """
f = max(x, y, 0.5)  # (1)
return f
"""),
    ("floor division and modulo", "def f(x, y): return x // y + x % y", """
f1 = x // y  # (1)
f2 = x % y  # (2)
f = f1 + f2  # (3)
return f
"""),
    ("a parameter returned as it is", "def f(x): return x", """
return x
"""),
    ("a tuple returned", "def f(x, y): return x, y * y", """
f1 = y * y  # (1)
return x, f1
"""),
    # assignments
    ("reassignment gets new names", """
def f(x):
    x = x * 2
    x = x + 1
    return x
""", """
x_2 = x * 2  # (1)
x_3 = x_2 + 1  # (2)
return x_3
"""),
    ("augmented assignment", """
def f(x, y):
    s = x
    s += y
    s *= s
    return s
""", """
s = x  # (1)
s_2 = s + y  # (2)
s_3 = s_2 * s_2  # (3)
return s_3
"""),
    ("tuple unpacking", """
def f(x, y):
    a, b = x * y, x + y
    return a / b
""", """
a = x * y  # (1)
b = x + y  # (2)
f = a / b  # (3)
return f
"""),
    ("swap", """
def f(x, y):
    x, y = y, x
    return x - y
""", """
x_2 = y  # (1)
y_2 = x  # (2)
f = x_2 - y_2  # (3)
return f
"""),
    ("chained and annotated assignment", """
def f(x):
    a = b = x * x
    c: float = a + b
    return c
""", """
a = x * x  # (1)
b = a  # (2)
c = a + b  # (3)
return c
"""),
    ("call of a user function, with a keyword", """
def g(a, b=2.0):
    return a * b

def f(x):
    return g(x) + g(x, b=x)
""", """
gx = g(x)  # (1)
f1 = g(x, b=x)  # (2)
f = gx + f1  # (3)
return f
"""),
    # blocks
    ("if/else assigning one name", """
def f(x, y):
    if x > y:
        z = x * x
    else:
        z = y
    return z
""", """
c1 = x > y  # (1)
if c1:
    z = x * x  # (2)
else:
    z = y  # (3)
return z
"""),
    ("if without else: a copy in the other arm", """
def f(x, y):
    z = x
    if y > 0:
        z = y * y
    return z + x
""", """
z = x  # (1)
c1 = y > 0  # (2)
if c1:
    z_2 = y * y  # (3)
else:
    z_2 = z  # (4)
f = z_2 + x  # (5)
return f
"""),
    ("and in a test, returns in branches", """
def f(x, y):
    if x > 0 and y > 0:
        return x * y
    return x + y
""", """
c1 = x > 0  # (1)
if c1:
    c2 = y > 0  # (2)
else:
    c2 = c1  # (3)
if c2:
    f = x * y  # (4)
else:
    f = x + y  # (5)
return f
"""),
    ("conditional expression", "def f(x): return (x + 1) * 2 if x > 0 else 0.0", """
c1 = x > 0  # (1)
if c1:
    f1 = x + 1  # (2)
    f = f1 * 2  # (3)
else:
    f = 0.0  # (4)
return f
"""),
    ("for over a range carries the accumulator", """
def f(x, n):
    s = 0.0
    for i in range(n):
        s = s + x * i
    return s
""", """
s = 0.0  # (1)
for i in range(n):  # carries s
    xti = x * i  # (2)
    s = s + xti  # (3)
return s
"""),
    ("for over enumerate and zip", """
def f(xs, ys):
    s = 0.0
    for i, (a, b) in enumerate(zip(xs, ys)):
        s = s + a * b * i
    return s
""", """
s = 0.0  # (1)
for (i, (a, b)) in enumerate(zip(xs, ys)):  # carries s
    atb = a * b  # (2)
    atbti = atb * i  # (3)
    s = s + atbti  # (4)
return s
"""),
    ("while", """
def f(x):
    while x < 10.0:
        x = x * 2.0
    return x
""", """
while x < 10.0:  # carries x
    x = x * 2.0  # (1)
return x
"""),
    ("while with and: the test inside the body", """
def f(x):
    n = 0
    while n < 3 and x < 5.0:
        n += 1
        x = x * x
    return x
""", """
n = 0  # (1)
while True:  # carries n, x
    c1 = n < 3  # (2)
    if c1:
        while_test = x < 5.0  # (3)
    else:
        while_test = c1  # (4)
    if while_test:
        n_2 = n + 1  # (5)
        x_2 = x * x  # (6)
        n = n_2  # (7)
        x = x_2  # (8)
    else:
        break
return x
"""),
    ("break", """
def f(x):
    for i in range(5):
        if x > 3.0:
            break
        x = x + 1.0
    return x
""", """
for i in range(5):  # carries x
    c1 = x > 3.0  # (1)
    if c1:
        break
    else:
        x_2 = x + 1.0  # (2)
        x = x_2  # (3)
f = x  # (4)
return f
"""),
    ("list element writes save the overwritten value", """
def f(x):
    v = [x, 2.0 * x]
    for i in range(len(v)):
        v[i] += x
    return v[0] * v[1]
""", """
v1 = 2.0 * x  # (1)
v = [x, v1]  # (2)
lenv = len(v)  # (3)
for i in range(lenv):  # carries nothing
    v2 = v[i]  # (4)
    v3 = v2 + x  # (5)
    v_saved = v[i]  # (6)
    v[i] = v3  # (7)
f1 = v[0]  # (8)
f2 = v[1]  # (9)
f = f1 * f2  # (10)
return f
"""),
    # NumPy syntax
    ("transpose", "def f(W): return np.sum(W.T)", """
WT = W.T  # (1)
f = np.sum(WT)  # (2)
return f
"""),
    ("matrix product", "def f(a, b): return np.sum(a @ b)", """
ab = a @ b  # (1)
f = np.sum(ab)  # (2)
return f
"""),
    ("slices", "def f(x): return np.sum(x[1:] - x[:-1])", """
f1 = x[1:]  # (1)
f2 = x[:-1]  # (2)
f3 = f1 - f2  # (3)
f = np.sum(f3)  # (4)
return f
"""),
    ("indexing and a method reduction", "def f(X, i): return X[i, 0] * X[:, 1].sum()", """
f1 = X[i, 0]  # (1)
f2 = X[:, 1]  # (2)
f3 = f2.sum()  # (3)
f = f1 * f3  # (4)
return f
"""),
    ("keyword arguments of a method", "def f(X): return X.sum(axis=0, keepdims=True).mean()", """
sumX = X.sum(axis=0, keepdims=True)  # (1)
f = sumX.mean()  # (2)
return f
"""),
    ("np.array display", "def f(x, y): return np.sum(np.array([x, y, 2.0]))", """
f1 = np.array([x, y, 2.0])  # (1)
f = np.sum(f1)  # (2)
return f
"""),
    ("boolean mask", "def f(X): return np.sum(X[X > 0])", """
f1 = X > 0  # (1)
f2 = X[f1]  # (2)
f = np.sum(f2)  # (3)
return f
"""),
    ("element assignment into an array copies the saved value", """
def f(x):
    y = np.zeros(3)
    y[0] = x
    return np.sum(y)
""", """
y = np.zeros(3)  # (1)
y_saved = y[0].copy()  # (2)
y[0] = x  # (3)
f = np.sum(y)  # (4)
return f
"""),
]


@pytest.mark.parametrize("source, expected", [pytest.param(s, e, id=i) for i, s, e in CASES])
def test_normalize(source, expected):
    assert normalized(source) == expected.strip("\n")
