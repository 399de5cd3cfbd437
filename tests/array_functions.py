"""Array functions for tests/test_arrays.py: the seeds' examples, broadcasting, and NumPy rows
in combination, through loops and branches (tests/test_array_rules.py checks each row alone).

``CASES`` lists (function, argument shapes); a shape ``()`` is a Python float, ``"i"``
entries are integer index arrays made by the test.
"""
import numpy as np


def inner_sq(x, w, y):                       # seed 004, example 1: (<x, w> - y)**2
    return (x @ w - y) ** 2


def least_squares(X, w, y):                  # seed 004, example 2: ||Xw - y||**2
    r = X @ w - y
    return np.sum(r ** 2)


def staged_dot(W, X, C):                     # seed 002: D = W.dot(X)
    D = W.dot(X)
    return np.sum(D * C)


def mlp(W1, b1, W2, b2, X, Y):               # two-layer tanh MLP, softmax cross-entropy
    h = np.tanh(X @ W1 + b1)
    logits = h @ W2 + b2
    m = np.max(logits, axis=1, keepdims=True)
    z = logits - m
    lse = np.log(np.sum(np.exp(z), axis=1, keepdims=True))
    return -np.sum(Y * (z - lse)) / X.shape[0]


def softmax_weighted(x, v):                  # softmax written out, stable
    e = np.exp(x - np.max(x))
    p = e / np.sum(e)
    return p @ v


def arithmetic(a, b):                        # + - * / ** and unary - with broadcasting
    return np.sum((a + b) * (a - b) / (2.0 + b ** 2) - -a * 3 + (b * b) ** 1.5 / (1 + a * a))


def elementwise(x, y):
    t = np.exp(-x ** 2) + np.log(1 + y ** 2) + np.log1p(x * x) + np.expm1(y / 4)
    t = t + np.sqrt(2 + x * x) + np.sin(x * y) + np.cos(y) + np.tanh(x - y) + np.abs(x - 0.1)
    t = t + np.square(y) + np.power(1.5 + np.sin(x), y) + np.maximum(x, y) + np.minimum(x, 0.2)
    t = t + np.tan(x / 3) + np.sinh(y / 2) + np.cosh(x / 2) + np.arctan(y) + np.log2(3 + x)
    t = t + np.log10(3 + y) + np.negative(x) + np.reciprocal(2.5 + y)
    return np.sum(t)


def choices(x, y):
    return np.sum(np.where(x > 0, x * y, -y) + np.clip(x, -0.5, 0.5) + x.clip(-0.2, None) * y)


def reductions(x):
    a = np.sum(np.mean(x, axis=0) ** 2) + np.sum(np.max(x, axis=1)) + np.min(x)
    b = x.sum(axis=(0, 1), keepdims=True)[0, 0] + np.prod(x[0] + 3.0) + x.mean()
    c = np.sum(x.max(axis=0, keepdims=True) * x.min(axis=1, keepdims=True)) + np.sum(x.sum(axis=-1))
    d = np.sum(np.amax(x, axis=0)) + np.amin(x) + x.prod(axis=1)[0] + np.sum(x.min(axis=0))
    return a + b + c + d


def linear_algebra(A, B, v):
    a = np.trace(A @ B) + np.sum(np.outer(v, v) * A) + np.linalg.norm(A @ v)
    b = np.sum(np.transpose(B) ** 2 * A) + np.sum(A.reshape(-1) * np.arange(9.0))
    c = v @ A @ v + np.dot(v, v) + np.sum(np.dot(A, B) * B) + np.sum(np.matmul(A, v) * v)
    d = np.sum(np.linalg.norm(A, axis=0)) + np.inner(v, B @ v) + np.sum(A.T @ B)
    return a + b + c + d


def shapes(x, y):
    a = np.sum(np.reshape(x, (2, 6)) ** 2 * np.arange(12.0).reshape(2, 6))
    b = np.sum(x.reshape(3, 4).transpose() * y.T) + np.sum(np.ravel(x) * x.ravel())
    c = np.sum(x.flatten() ** 3) + np.sum(np.squeeze(x[:, :1]) * 2) + np.sum(np.expand_dims(y, 0) ** 2)
    d = np.sum(np.transpose(np.atleast_2d(y), (1, 0)) ** 2) + np.sum(x.copy() * np.copy(x))
    e = np.sum(x.transpose(1, 0) ** 2) + np.sum(np.array(y) * np.asarray(y))
    return a + b + c + d + e


def joins(a, b):
    c = np.concatenate([a, b], axis=1)
    s = np.stack([a, a * 2, b[:, :3]], axis=0)
    r = np.concatenate((a, b[:, 1:4]))
    return np.sum(c ** 2 * np.arange(7.0)) + np.sum(s[1] * s[0] * s[2]) + np.sum(r ** 3)


def indexing(x, i):
    a = np.sum(x[i] ** 2) + x[0, 1] * x[-1, ::-1].sum() + np.sum(x[x > 0])
    b = np.sum(x[1:, :2] * 3) + np.sum(x[::-2, 1] ** 2) + x[-1][-1] + np.sum(x[:, None, 0] ** 2)
    c = np.sum(x[i, 1] * x[i, 2]) + np.sum(x[..., 0] * x[:, i[0]]) + np.sum(x[np.arange(2)] ** 2)
    return a + b + c


def constants(x):
    n = len(x) + x.ndim + x.size + x.shape[0]
    z = np.zeros(x.shape) + np.ones((3, 4)) + np.eye(3, 4) + np.arange(4.0)
    k = np.argmax(x, axis=1)
    return np.sum(x * z) / n + np.sum(x[np.arange(3), k]) + np.sum(np.floor(x) * x)


def mixed(x, s):                             # a NumPy scalar, a Python float and an array
    t = np.float64(2.0) * x + s * np.sum(x) + s ** 2
    return np.sum(t * t)


def slice_assignment(a, e):                  # a[1:3] += ...: overwritten values restored
    b = np.sin(a)
    b[1:3] += e * b[0:2]
    b[-1] = b[0] * e[1]
    return np.sum(b * b)


def element_assignment(x, y):
    z = np.exp(x)
    z[0, 1] = y * z[1, 0]
    return np.sum(z * x)


def copy_times_original(B):                  # fuzzer finding: H = B; H * B lost dH
    H = B
    xw = H * B
    return np.sum(H) + np.sum(xw)


def two_reductions(W):                       # fuzzer finding: the second adjoint was dropped
    t = np.sin(W)
    return np.sum(t) + np.sum(0.5 * t)


def lazy_adjoint_shape(v, s, h):             # fuzzer finding: (2,) adjoint for a (1, 2) value
    r = (h + s) @ v
    return np.sum(v * h * r)


def rnn(W, U, xs, h0):                       # arrays through a loop (issue 3 with issue 4)
    h = h0
    for t in range(xs.shape[0]):
        h = np.tanh(W @ h + U @ xs[t])
    return np.sum(h * h)


def power_iteration(A, v):
    for k in range(3):
        v = A @ v
        v = v / np.linalg.norm(v)
    return np.sum(v * v * v)


def branch_on_arrays(x, w):
    y = np.sin(x * w)
    if np.sum(y) > 0:
        z = y * y
    else:
        z = np.exp(y)
    return np.sum(z)


def loop_over_rows(X, w):
    s = 0.0
    for row in X:
        s = s + np.tanh(np.dot(row, w))
    return s


def growing_array(x):                        # refused: a shape that changes in a loop
    v = x
    for k in range(2):
        v = np.concatenate([v, x])
    return np.sum(v)


def product_with_itself(s):                  # fuzzer finding: ds = s; ds += s wrote into s
    e = s @ s
    return np.sum(e)


def running_values(x, w):                    # a[i] = ... inside a loop over an array
    a = np.zeros(x.shape)
    a[0] = x[0] * w
    for i in range(1, x.shape[0]):
        a[i] = a[i - 1] * w + np.sin(x[i])
    return np.sum(a * a)


def update_rows(X, w):
    Y = X * 1.0
    for k in range(2):
        Y[k, :] += np.tanh(Y[k, :] * w)
    return np.sum(Y ** 2)


def batched_products(A, B, v):               # @ with batch axes that broadcast
    return np.sum((A @ B) ** 2) + np.sum(A @ v)


def constructors(x, s):                      # arrays filled from numbers, numbers as arrays
    ramp = np.linspace(s, x[0], 4) * np.full(4, x[1]) + np.full_like(x, s)[:4]
    return np.sum(ramp ** 2) + np.sum(np.atleast_1d(s) * np.atleast_3d(x) ** 2)


CASES = [
    (inner_sq, [(5,), (5,), ()]),
    (least_squares, [(7, 3), (3,), (7,)]),
    (staged_dot, [(3, 4), (4, 5), (3, 5)]),
    (mlp, [(6, 5), (5,), (5, 3), (3,), (4, 6), "onehot"]),
    (softmax_weighted, [(5,), (5,)]),
    (arithmetic, [(3, 1), (4,)]),            # broadcasting both ways
    (arithmetic, [(), (2, 3)]),              # a Python float with a matrix
    (arithmetic, [(2, 3), ()]),
    (arithmetic, [(2, 3), (2, 3)]),
    (arithmetic, [(1, 3), (2, 1)]),
    (elementwise, [(3, 4), (4,)]),
    (elementwise, [(), (3,)]),
    (choices, [(3, 4), (4,)]),
    (reductions, [(3, 4)]),
    (linear_algebra, [(3, 3), (3, 3), (3,)]),
    (shapes, [(4, 3), (3, 4)]),
    (joins, [(2, 3), (2, 4)]),
    (indexing, [(4, 3), "i"]),
    (constants, [(3, 4)]),
    (mixed, [(2, 3), ()]),
    (slice_assignment, [(4,), (2,)]),
    (element_assignment, [(2, 3), ()]),
    (copy_times_original, [()]),
    (copy_times_original, [(3,)]),
    (two_reductions, [(3,)]),
    (lazy_adjoint_shape, [(2,), (2,), (1, 2)]),
    (rnn, [(3, 3), (3, 2), (4, 2), (3,)]),
    (power_iteration, [(3, 3), (3,)]),
    (branch_on_arrays, [(4,), ()]),
    (loop_over_rows, [(5, 3), (3,)]),
    (product_with_itself, [(3,)]),
    (running_values, [(5,), ()]),
    (update_rows, [(3, 2), ()]),
    (batched_products, [(2, 3, 4), (4, 5), (4,)]),
    (batched_products, [(3, 4), (2, 4, 5), (4,)]),
    (batched_products, [(2, 1, 3, 4), (5, 4, 2), (4,)]),
    (constructors, [(5,), ()]),
]


def assigns_into_its_argument(a, y):         # the caller's array is written by f itself
    t = np.sum(a * y)
    a[0] = y * 3.0
    return t + np.sum(a * a)
