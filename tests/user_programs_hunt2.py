"""A second hunt: programs written the way users write them, ported from the public test
material of autograd, JAX and Tangent (facts and ideas, not code), NumPy idioms, Python
idioms and programs that mutate or alias.  tests/test_user_programs_hunt2.py checks every
gradient against central differences, leaf by leaf."""

import functools
import math
from dataclasses import dataclass

import numpy as np

RNG = np.random.default_rng(4242)

WEIGHTS = np.array([0.5, -1.0, 2.0, 0.25])
DESIGN = RNG.normal(size=(8, 3))
LABELS = (DESIGN @ np.array([1.0, -0.5, 0.3]) > 0).astype(float)
SCALE = 1.7


# --- autograd's test_numpy / test_systematic: one operation at a time ------------------

def sum_axis_keepdims(x):
    return np.sum(np.sin(x) * np.sum(x, axis=1, keepdims=True))


def mean_axis0_times_axis1(x):
    return np.sum(np.mean(x, axis=0)[None, :] * np.mean(x, axis=1)[:, None] * x)


def var_std_ddof(x):
    return np.var(x, axis=0, ddof=1).sum() + np.std(x) ** 2 + np.std(x, axis=1).sum()


def prod_of_rows(x):
    return np.sum(np.prod(x, axis=1))


def max_with_ties(x):
    """A tie in the max: the gradient is split or given to one entry, but the sum of the
    derivatives is the derivative of max(x + t) in t, which is 1."""
    return np.max(x, axis=1).sum() * 2.0


def dot_mixed_ranks(A, v):
    return np.dot(A, v) @ np.dot(v, A.T) + np.dot(2.0, v).sum() + np.dot(v, v)


def outer_and_inner(u, v):
    return np.sum(np.outer(u, v) ** 2) + np.inner(u, u) * np.inner(v[:3], u)


def cumsum_diff(x):
    return np.sum(np.cumsum(x) ** 2) + np.sum(np.diff(x) ** 3) + np.sum(np.diff(x, n=2) ** 2)


def cumsum_axis(x):
    return np.sum(np.cumsum(x, axis=1) * np.cumprod(x, axis=0))


def triangular_parts(A):
    return np.sum(np.tril(A) ** 2) + np.sum(np.triu(A, k=1) * A.T) + np.trace(A @ A)


def flips_and_rolls(A):
    return np.sum(np.flipud(A) * A) + np.sum(np.fliplr(A) ** 3) + np.sum(np.roll(A, 1, axis=0) * A)


def repeat_tile_kron(x):
    return np.sum(np.repeat(x, 2) * np.tile(x, 2)) + np.sum(np.kron(x, x[:2]) ** 2)


def squeeze_expand(x):
    column = np.expand_dims(x, axis=1)
    return np.sum(np.squeeze(column @ column.T) * 0.5) + np.sum(np.atleast_2d(x) ** 2)


def tensordot_axes(A, B):
    return np.sum(np.tensordot(A, B, axes=([1, 2], [0, 1])) ** 2)


def elementwise_binary_zoo(x, y):
    return np.sum(np.logaddexp(x, y) + np.hypot(x, y) + np.arctan2(x, y + 3.0)
                  + np.fmax(x, y) * np.fmin(x, y) + np.square(x - y))


def elementwise_unary_zoo(x):
    return np.sum(np.cbrt(x) + np.reciprocal(x + 3.0) + np.sinc(x) + np.expm1(x) + np.log2(x + 3.0)
                  + np.arcsinh(x) + np.deg2rad(x) + np.sign(x) * x)


def maximum_minimum_ties(x):
    """np.maximum(x, x[::-1]) ties in the middle entry."""
    return np.sum(np.maximum(x, x[::-1]) ** 2) + np.sum(np.minimum(x, 0.5) * x)


def linalg_norms(A, v):
    return (np.linalg.norm(v) + np.linalg.norm(v, ord=1) + np.linalg.norm(A)
            + np.linalg.norm(A, axis=1).sum() + np.linalg.norm(v, 3))


def det_slogdet_inv(A):
    sign, logdet = np.linalg.slogdet(A)
    return np.linalg.det(A) + sign * logdet + np.sum(np.linalg.inv(A) ** 2)


def solve_vector_and_matrix(A, b):
    x = np.linalg.solve(A, b)
    X = np.linalg.solve(A, np.eye(3))
    return x @ x + np.trace(X)


def cholesky_logdet(L0):
    S = L0 @ L0.T + 3.0 * np.eye(3)
    L = np.linalg.cholesky(S)
    return 2.0 * np.sum(np.log(np.diag(L)))


def eigh_smallest(A):
    S = 0.5 * (A + A.T)
    values, vectors = np.linalg.eigh(S)
    return values[0] + np.sum(values ** 2) + np.abs(vectors[:, -1]).sum()


def sort_gathers(x):
    order = np.argsort(x)
    ranked = x[order]
    return np.sum(ranked * np.arange(1.0, x.size + 1.0)) + np.sum(np.sort(x)[-2:] ** 2)


def reshape_transpose_chain(x):
    M = x.reshape(3, 4).T.reshape(2, 6)
    return np.sum(M @ M.T) + np.sum(M.T[::2] ** 2)


def where_mask_select(x):
    mask = x > 0.0
    pos = np.where(mask, x, 0.0)
    return np.sum(pos ** 2) + np.sum(x[mask] ** 3) + np.sum(x[~mask] * 2.0)


def broadcast_column_row(a, b):
    table = a.reshape(-1, 1) * b.reshape(1, -1) + a[:, None] - b[None, :]
    return np.sum(np.tanh(table))


def stepped_negative_slices(x):
    return np.sum(x[::2] * x[1::2]) + np.sum(x[-3:] ** 2) + x[-1] * x[-2] + np.sum(x[5:1:-2])


def concat_stack_hstack(a, b):
    c = np.concatenate([a, b, a * b])
    s = np.stack([a, b], axis=0)
    h = np.hstack((a, b))
    v = np.vstack([a, b])
    return np.sum(c ** 2) + np.sum(s[1] * s[0]) + np.sum(h * h[::-1]) + np.sum(v.T @ v)


def einsum_forms(A, B, v):
    return (np.einsum("ij,jk->", A, B) + np.einsum("ii", A @ A.T) + np.einsum("i,i->", v, v)
            + np.sum(np.einsum("ij,j->i", A, v) ** 2) + np.sum(np.einsum("ij->ji", A) * A))


# --- JAX's examples: dict parameters, regression, Gaussian processes, ODEs ---------------

def init_mlp(sizes, rng):
    return [{"w": 0.4 * rng.normal(size=(m, n)), "b": 0.1 * rng.normal(size=n)}
            for m, n in zip(sizes[:-1], sizes[1:])]


def mlp_list_of_dicts(params, X, y):
    h = X
    for layer in params[:-1]:
        h = np.tanh(h @ layer["w"] + layer["b"])
    out = h @ params[-1]["w"] + params[-1]["b"]
    return np.mean((out[:, 0] - y) ** 2)


def mlp_dict_of_layers(params, X):
    h = X
    for name in ("hidden", "output"):
        h = h @ params[name]["kernel"] + params[name]["bias"]
        if name == "hidden":
            h = np.maximum(h, 0.0)
    return np.sum(h ** 2)


def logistic_regression_sigmoid(w, b, X=DESIGN, y=LABELS):
    def sigmoid(z):
        return 0.5 * (np.tanh(z / 2.0) + 1.0)

    p = sigmoid(X @ w + b)
    label_probs = p * y + (1.0 - p) * (1.0 - y)
    return -np.sum(np.log(label_probs))


def gp_nll_cholesky(log_amp, log_ell, log_noise, X, y):
    sq = (X[:, None] - X[None, :]) ** 2
    K = np.exp(2.0 * log_amp) * np.exp(-0.5 * sq / np.exp(2.0 * log_ell))
    K = K + np.exp(2.0 * log_noise) * np.eye(X.shape[0])
    L = np.linalg.cholesky(K)
    alpha = np.linalg.solve(L.T, np.linalg.solve(L, y))
    return 0.5 * y @ alpha + np.sum(np.log(np.diag(L))) + 0.5 * len(y) * np.log(2.0 * np.pi)


def euler_lotka_volterra(theta, state0, steps=40, dt=0.02):
    a, b, c, d = theta
    x, y = state0
    for _ in range(steps):
        dx = a * x - b * x * y
        dy = c * x * y - d * y
        x, y = x + dt * dx, y + dt * dy
    return x + 2.0 * y


def rk4_vector_field(p, y0, steps=10, h=0.1):
    def f(y):
        return np.array([y[1], -p[0] * y[0] - p[1] * y[1]])

    y = y0
    for _ in range(steps):
        k1 = f(y)
        k2 = f(y + 0.5 * h * k1)
        k3 = f(y + 0.5 * h * k2)
        k4 = f(y + h * k3)
        y = y + (h / 6.0) * (k1 + 2.0 * k2 + 2.0 * k3 + k4)
    return y[0] ** 2 + y[1]


def trajectory_list_loss(k, x0, steps=15, dt=0.1):
    xs = [x0]
    for _ in range(steps):
        xs.append(xs[-1] - dt * k * xs[-1] ** 3)
    return sum(x ** 2 for x in xs) / len(xs)


def gradient_descent_inner(w0, lr=0.1, steps=6):
    """Unrolled optimisation of 0.5|Aw - b|^2; the outer gradient is through the loop."""
    A = np.array([[2.0, 0.3], [0.1, 1.0]])
    b = np.array([1.0, -1.0])
    w = w0
    for _ in range(steps):
        g = A.T @ (A @ w - b)
        w = w - lr * g
    return np.sum(w ** 2)


def softmax_classifier_dict(params, X, onehot):
    logits = X @ params["W"] + params["b"]
    logits = logits - np.max(logits, axis=1, keepdims=True)
    log_probs = logits - np.log(np.sum(np.exp(logits), axis=1, keepdims=True))
    return -np.mean(np.sum(onehot * log_probs, axis=1))


def tuple_params_predict(params, x):
    (w1, b1), (w2, b2) = params
    h = np.tanh(w1 * x + b1)
    return np.sum((w2 * h + b2) ** 2)


# --- Tangent's tests: small control-flow functions ---------------------------------------

def tangent_if_else_nested(x, y):
    if x > 0.0:
        if y > 0.0:
            z = x * y
        else:
            z = x / (1.0 + y * y)
    else:
        z = -x * y * y
    return z * z


def tangent_for_range_accumulate(x):
    a = 1.0
    for i in range(3):
        a = a * x + float(i)
    return a


def tangent_while_decrement(x):
    n = 4
    r = x
    while n > 0:
        r = r * x - 0.5
        n -= 1
    return r


def tangent_inline_call(x):
    def square(z):
        return z * z
    return square(square(x) + x)


def tangent_augassign_ops(x, y):
    z = x
    z *= y
    z += x
    z -= y * 0.5
    z /= (1.0 + y * y)
    z **= 2
    return z


def tangent_unpack_in_loop(xs):
    total = 0.0
    for a, b in zip(xs[:-1], xs[1:]):
        total += (b - a) ** 2
    return total


def tangent_nested_def_closure(x):
    y = x * 2.0

    def inner(z):
        return z * y
    return inner(x) + inner(1.0)


def tangent_numpy_loop_index(x):
    total = np.zeros(2)
    for i in range(x.shape[0]):
        total = total + x[i] * x[i]
    return np.sum(total)


# --- Python idioms ----------------------------------------------------------------------

def scaled_square(v):
    """A module helper called from NumPy code."""
    return SCALE * v ** 2


def module_helper_in_numpy(x):
    return np.sum(scaled_square(np.sin(x))) + scaled_square(x[0])


class Affine:
    def __init__(self, a, b):
        self.a = a
        self.b = b

    def __call__(self, x):
        return self.a * x + self.b

    def loss(self, x):
        return np.sum(self(x) ** 2)


AFFINE = Affine(np.array([1.0, -2.0, 0.5]), 0.3)


def method_of_global_object(x):
    return AFFINE.loss(x) + np.sum(AFFINE(x) * x)


def closure_over_module_global(x):
    def weighted(z):
        return np.sum(WEIGHTS * z)
    return weighted(x ** 2) + weighted(np.cos(x))


def defaults_and_keywords(x, y, power=3, *, shift=0.5):
    return (x + shift) ** power - y * shift


def calls_with_keywords(x, y):
    return defaults_and_keywords(x, y, shift=1.5) + defaults_and_keywords(y, x, 2)


def while_tolerance_bisection_free(a, tol=1e-10):
    """Newton for x^2 = a until |x^2 - a| < tol, with a counter."""
    x = max(a, 1.0)
    count = 0
    while abs(x * x - a) > tol and count < 50:
        x = x - (x * x - a) / (2.0 * x)
        count += 1
    return x


def early_return_in_loop(xs, threshold):
    total = 0.0
    for x in xs:
        total += x * x
        if total > threshold:
            return total * 2.0
    return total


def abs_min_max_two(x, y):
    return abs(x - y) + min(x, y) * max(x * x, y) + min(x * 2.0, 3.0)


def sum_of_generator_math(xs):
    return sum(math.exp(-x) * math.sin(x) for x in xs) + math.pi * xs[0]


def math_functions(x, y):
    return (math.hypot(x, y) + math.atan2(y, x) + math.log(x, 2.0) + math.erf(x)
            + math.gamma(x + 1.0) + math.lgamma(y + 2.0) + math.degrees(x) + math.copysign(x, y))


def fstring_assert(x):
    assert x > 0.0, f"x must be positive, got {x}"
    return math.sqrt(x) * x


def fstring_assert_numpy(x):
    assert x.ndim == 1, f"expected a vector, got shape {x.shape}"
    assert np.all(x > 0), f"non-positive entries: {x[x <= 0]}"
    return np.sum(np.log(x))


def dict_comprehension_params(params):
    squared = {k: v ** 2 for k, v in params.items()}
    return sum(squared.values()) + squared["a"] * params["b"]


def list_comprehension_filter(xs):
    big = [x for x in xs if x > 0.0]
    return sum(x ** 3 for x in big) + len(big)


def nested_list_params(rows):
    return sum(sum(r * c for c in row) for r, row in zip([1.0, 2.0], rows))


def tuple_of_arrays_param(pair, x):
    a, b = pair
    return np.sum(a * x) + np.sum(b ** 2 * x)


def star_unpacking(xs):
    first, *rest = xs
    return first * sum(rest)


def enumerate_weighted(xs):
    return sum((i + 1) * x ** 2 for i, x in enumerate(xs))


def dict_get_with_default(params, x):
    scale = params.get("scale", 1.0)
    return params["w"] * x * scale + params.get("missing", 0.0)


def conditional_on_shape(x):
    if x.shape[0] > 3:
        return np.sum(x[:3] ** 2)
    return np.sum(x ** 2)


def string_formatted_key(params):
    total = 0.0
    for i in range(3):
        total += params[f"w{i}"] * (i + 1.0)
    return total ** 2


@dataclass
class Gaussian:
    mu: float
    log_sigma: float

    def log_pdf(self, x):
        sigma = math.exp(self.log_sigma)
        return -0.5 * ((x - self.mu) / sigma) ** 2 - math.log(sigma) - 0.5 * math.log(2 * math.pi)


def dataclass_method_call(g, data):
    return -sum(g.log_pdf(x) for x in data)


def lambda_map_sum(xs):
    f = lambda v: v * v + 1.0
    return sum(map(f, xs))


def ternary_in_comprehension(xs):
    return sum(x if x > 0 else -0.5 * x for x in xs)


def recursion_depth(x, n):
    if n == 0:
        return x
    return recursion_depth(math.sin(x) + x, n - 1)


def nonlocal_free_accumulator(xs):
    scale = 2.0

    def term(x):
        return scale * x ** 2
    out = 0.0
    for x in xs:
        out = out + term(x)
    return out


def chain_of_comparisons_in_while(x):
    y = x
    while 0.01 < y < 10.0:
        y = y * 1.7
    return y


# --- programs that mutate or alias ------------------------------------------------------

def alias_then_write(x):
    y = x
    y[0] = 2.0 * y[1] ** 2
    return np.sum(x * np.arange(1.0, x.size + 1.0))


def slice_view_inplace(x):
    tail = x[1:]
    tail *= 2.0
    return np.sum(x ** 2)


def transpose_view_written(A):
    B = A.copy()
    B.T[0] = B[:, 0] * 3.0
    return np.sum(B ** 2) + np.sum(B * A)


def reshape_view_written(x):
    y = x.copy()
    grid = y.reshape(2, 3)
    grid[0, :] = 0.5 * grid[1, :] ** 2
    return np.sum(y * x)


def asarray_then_write(x):
    z = np.asarray(x)
    z[0] = z[0] ** 2
    return np.sum(np.sin(x)) + np.sum(z)


def array_copy_then_write(x):
    z = np.array(x)
    z[0] = z[0] ** 2
    return np.sum(np.sin(x)) + np.sum(z)


def copy_shifted_add(x):
    z = x.copy()
    z[1:] += x[:-1] * 0.5
    return np.sum(z ** 2)


def appended_in_loop(x):
    out = []
    for i in range(x.shape[0]):
        out.append(x[i] * (i + 1.0))
    return sum(o ** 2 for o in out)


def list_alias_write(xs):
    ys = xs
    ys[0] = ys[0] * 3.0
    return sum(x * x for x in xs)


def recurrence_with_index_write(x, a):
    y = np.zeros_like(x)
    y[0] = x[0]
    for i in range(1, x.shape[0]):
        y[i] += a * y[i - 1] + x[i]
    return np.sum(y ** 2)


def inplace_on_parameter(x):
    x += 1.0
    x *= x
    return np.sum(x)


def swap_rows_with_views(A):
    B = A.copy()
    B[0], B[1] = B[1], B[0]
    return np.sum(B * np.arange(1.0, 1.0 + B.size).reshape(B.shape))


def swap_entries_vector(x):
    y = x.copy()
    y[0], y[2] = y[2], y[0]
    return np.sum(y * WEIGHTS[:3])


def row_view_rescaled(A):
    B = A.copy()
    row = B[0]
    row[:] = row * 2.0
    return np.sum(B ** 2)


def inplace_in_loop(x):
    h = x.copy()
    for _ in range(3):
        h *= np.tanh(h)
    return np.sum(h)


def mask_assign_copy(x):
    y = x.copy()
    y[y < 0.0] = 0.0
    return np.sum(y ** 2)


def mask_assign_values(x):
    y = x.copy()
    y[y < 0.0] = 0.1 * y[y < 0.0]
    return np.sum(y ** 2)


def empty_then_filled(x):
    out = np.empty(x.shape[0] + 1)
    out[:-1] = x ** 2
    out[-1] = np.sum(x)
    return np.sum(out * out)


def dict_param_reassigned(params, x):
    params["w"] = params["w"] * 2.0
    return np.sum(params["w"] * x) + params["b"]


def list_param_appended(xs):
    xs.append(xs[0] * xs[1])
    return sum(x ** 2 for x in xs)


def copy_then_fill_diagonal(A):
    B = A.copy()
    np.fill_diagonal(B, 1.0)
    return np.sum(B ** 2)


def sort_in_place_copy(x):
    y = x.copy()
    y.sort()
    return np.sum(y * np.arange(1.0, 1.0 + y.size))


def two_names_one_copy(x):
    y = x.copy()
    z = y
    z[0] = 5.0 * x[1]
    return np.sum(y ** 2)


def column_write_loop(A):
    B = np.zeros_like(A)
    for j in range(A.shape[1]):
        B[:, j] = A[:, j] * (j + 1.0)
    return np.sum(B ** 2)


def ravel_view_write(A):
    B = A.copy()
    flat = B.ravel()
    flat[0] = 0.0
    return np.sum(B * A)


def cumulative_rows_inplace(A):
    B = A.copy()
    for i in range(1, B.shape[0]):
        B[i] += B[i - 1]
    return np.sum(B ** 2)


# --- more aliasing, NumPy and Python idioms ----------------------------------------

def step_view_inplace(x):
    y = x.copy()
    v = y[::2]
    v += 1.0
    return np.sum(y * x)


def full_slice_alias(x):
    y = x.copy()
    z = y[:]
    z[0] = 3.0 * x[1]
    return np.sum(y ** 2)


def ellipsis_alias(x):
    y = x.copy()
    z = y[...]
    z[1] = x[0] ** 2
    return np.sum(y ** 2)


def view_method_alias(x):
    y = x.copy()
    z = y.view()
    z[1] = x[0] ** 2
    return np.sum(y ** 2)


def np_reshape_alias(x):
    y = x.copy()
    z = np.reshape(y, (2, 2))
    z[0, 1] = x[3] ** 2
    return np.sum(y ** 2)


def np_ravel_alias(A):
    B = A.copy()
    flat = np.ravel(B)
    flat[2] = A[0, 0] ** 2
    return np.sum(B ** 2)


def transpose_call_alias(A):
    B = A.copy()
    C = np.transpose(B)
    C[0, 1] = A[1, 1] * 3.0
    return np.sum(B ** 2)


def squeeze_alias(A):
    B = A.copy()
    C = B.squeeze()
    C[0] = A[0, 1] * 3.0
    return np.sum(B ** 2)


def newaxis_alias(x):
    y = x.copy()
    col = y[:, None]
    col[0, 0] = x[2] * 4.0
    return np.sum(y ** 2)


def asarray_dtype_alias(x):
    y = x.copy()
    z = np.asarray(y, dtype=float)
    z[0] = x[1] * 4.0
    return np.sum(y ** 2)


def astype_no_copy_alias(x):
    y = x.copy()
    z = y.astype(float, copy=False)
    z[0] = x[1] * 4.0
    return np.sum(y ** 2)


def list_holding_array_write(x):
    y = x.copy()
    pair = [y, x]
    pair[0][0] = x[1] ** 2
    return np.sum(y ** 2)


def dict_holding_array_write(x):
    y = x.copy()
    d = {"a": y}
    d["a"][0] = x[1] ** 2
    return np.sum(y ** 2)


def tuple_unpack_alias(x):
    y = x.copy()
    a, b = y, y
    a[0] = x[1] * 5.0
    return np.sum(b ** 2)


def identity_helper(v):
    return v


def alias_through_helper(x):
    y = x.copy()
    z = identity_helper(y)
    z[0] = x[1] * 5.0
    return np.sum(y ** 2)


def zero_first(v):
    v[0] = 0.0
    return v


def helper_writes_argument(x):
    y = x.copy()
    z = zero_first(y)
    return np.sum(y ** 2) + np.sum(z * x)


def rows_iterated_and_scaled(A):
    B = A.copy()
    for row in B:
        row *= 2.0
    return np.sum(B * A)


def rows_enumerated_written(A):
    B = A.copy()
    for i, row in enumerate(B):
        row[0] = A[i, 1] ** 2
    return np.sum(B ** 2)


def overlapping_shift(x):
    y = x.copy()
    y[1:] = y[:-1]
    return np.sum(y * WEIGHTS[:y.size])


def overlapping_reverse(x):
    y = x.copy()
    y[::-1] = y
    return np.sum(y * WEIGHTS[:y.size])


def self_add_inplace(x):
    y = x.copy()
    y += y
    y[...] = y * y
    return np.sum(y)


def stale_slice_1d(x):
    y = x.copy()
    head = y[0:2]
    y[0] = 5.0 * x[2]
    return np.sum(head ** 2)


def stale_row_2d(A):
    B = A.copy()
    r = B[0]
    B[0] = A[1] * 3.0
    return np.sum(r ** 2)


def scalar_read_before_write(x):
    y = x.copy()
    a = y[0]
    y[0] = 5.0 * x[2]
    return a ** 2 + np.sum(y)


def out_argument(x):
    y = np.zeros_like(x)
    np.multiply(x, 2.0, out=y)
    return np.sum(y ** 2)


def out_argument_assigned(x):
    y = x.copy()
    z = np.exp(x, out=y)
    return np.sum(y) + np.sum(z)


def duplicate_fancy_augassign(x):
    y = np.zeros(3)
    y[[0, 0, 1]] += x[:3]
    return np.sum(y * np.array([1.0, 2.0, 3.0])) + np.sum(y ** 2)


def duplicate_fancy_assign(x):
    y = np.zeros(3)
    y[[0, 0, 1]] = x[:3]
    return np.sum(y * np.array([1.0, 2.0, 3.0])) + np.sum(y ** 2)


def duplicate_gather(x):
    idx = np.array([2, 0, 2, 2])
    return np.sum(x[idx] ** 2)


def argmax_index(x):
    return x[np.argmax(x)] * np.sum(x)


def prod_with_zero(x):
    return np.prod(x) + np.sum(np.cumprod(x))


def prod_two_zeros(x):
    return np.prod(x)


def linspace_endpoint(a):
    t = np.linspace(0.0, a, 5)
    return np.sum(np.sin(t))


def full_and_like(x, a):
    return np.sum(np.full(3, a) * x) + np.sum(np.full_like(x, a) ** 2) + np.sum(np.ones_like(x) * a * x)


def diag_both_ways(A, v):
    return np.sum(np.diag(v) @ A) + np.sum(np.diag(A) * v) + np.trace(A, offset=1) + np.sum(np.diagonal(A, offset=-1))


def meshgrid_surface(x, y):
    X, Y = np.meshgrid(x, y)
    return np.sum(np.sin(X) * Y ** 2)


def pad_edges(x):
    p = np.pad(x, 2, mode="constant")
    return np.sum(p[:-1] * p[1:])


def split_parts(x):
    a, b, c = np.split(x, 3)
    return np.sum(a * b) + np.sum(c ** 2)


def broadcast_to_rows(x):
    B = np.broadcast_to(x, (3, x.size))
    return np.sum(B * np.arange(3.0)[:, None] * x)


def column_dstack_block(a, b):
    C = np.column_stack([a, b])
    D = np.block([[C, C], [C, -C]])
    return np.sum(C ** 2) + np.sum(D[::2] * D[1::2])


def mean_axis_tuple(T):
    return np.sum(np.mean(T, axis=(0, 2)) ** 2) + np.sum(T.max(axis=0, keepdims=True) - T)


def average_weighted(x, w):
    return np.average(x, weights=w) ** 2


def median_and_percentile(x):
    return np.median(x) + np.percentile(x, 75.0)


def ptp_amax(x):
    return np.ptp(x) + np.amax(x) * np.amin(x)


def einsum_ellipsis(A, B):
    return np.sum(np.einsum("...ij,...jk->...ik", A, B) ** 2) + np.sum(np.einsum("bii->b", A @ B) ** 2)


def einsum_outer_optimize(u, v):
    return np.sum(np.einsum("i,j->ij", u, v, optimize=True) ** 2)


def linalg_extras(A):
    s = np.linalg.svd(A, compute_uv=False)
    w = np.linalg.eigvalsh(A @ A.T)
    P = np.linalg.pinv(A)
    M = np.linalg.matrix_power(A, 3)
    Q, R_ = np.linalg.qr(A)
    return np.sum(s) + np.sum(w) + np.sum(P ** 2) + np.trace(M) + np.sum(np.abs(np.diag(R_)))


def polyval_interp(c, x):
    return np.sum(np.polyval(c, x)) + np.sum(np.interp(np.array([0.25, 0.6]), np.linspace(0.0, 1.0, c.size), c))


def trapezoid_rule(y):
    return np.trapezoid(y ** 2, dx=0.1)


def two_d_slicing(A):
    return (np.sum(A[1:, ::2] ** 2) + np.sum(A[:, -1] * A[-1, :]) + np.sum(A[..., 0])
            + np.sum(A[None, :, 1]) + np.sum(A[::-1, ::-1] * A))


def vec_mat_products(A, v):
    return v @ A @ v + np.sum(np.dot(v, A)) + np.sum(np.matmul(A, v) * v) + np.sum(v.T * v)


def float_of_numpy_sum(x):
    total = float(np.sum(x ** 2))
    return total * 3.0 + np.sum(x)


def item_of_numpy(x):
    return np.sum(x ** 2).item() * 2.0 + x[0].item()


def python_max_of_numpy(x):
    return max(np.sum(x), 0.0) + abs(np.sum(x ** 3)) + min(np.max(x), 1.0)


def float_modulo(x):
    return (x % 1.0) * x + math.fmod(x, 0.3)


def walrus_while(a):
    x = a
    while (delta := abs(x * x - a)) > 1e-12:
        x = 0.5 * (x + a / x)
    return x + delta


def while_true_break(x):
    y = x
    while True:
        y = y * 0.5 + 0.1
        if y < 0.3:
            break
    return y * x


def for_rows_of_array(A):
    total = 0.0
    for row in A:
        total = total + np.sum(row ** 2) * row[0]
    return total


def zip_star_pairs(pairs):
    xs, ys = zip(*pairs)
    return sum(x * y for x, y in zip(xs, ys))


def star_args(*xs):
    return sum(x ** 2 for x in xs)


def tuple_return_indexed(x):
    def both(v):
        return v ** 2, v ** 3
    return both(x)[1] + both(x)[0]


def ten_power_and_exp2(x):
    return np.sum(np.power(10.0, x) + np.exp2(x) + np.log10(x + 2.0) + np.float_power(x + 2.0, 1.5)
                  + np.tan(x) + np.arccos(x / 2.0) + np.heaviside(x, 0.5) * x)


def comparisons_times_values(x):
    return np.sum((x > 0) * x ** 2) + np.sum((x < 0.5).astype(float) * x)


def sort_along_axis(A):
    return np.sum(np.sort(A, axis=0) * np.arange(1.0, 1.0 + A.size).reshape(A.shape)) \
        + np.sum(np.take_along_axis(A, np.argsort(A, axis=1), axis=1)[:, -1])


def min_keepdims_shift(A):
    return np.sum((A - A.min(axis=1, keepdims=True)) ** 2)


class Scaler:
    def __init__(self, k):
        self.k = k

    def __call__(self, x):
        return np.sum(self.k * x ** 2)

    @staticmethod
    def twice(x):
        return 2.0 * np.sum(np.sin(x))

    def loss(self, x):
        return self(x) + Scaler.twice(x)


SCALER = Scaler(1.5)


def partial_target(x, y, power=2.0):
    return np.sum(x ** power * y)


def decorated_logging(function):
    @functools.wraps(function)
    def wrapper(*args, **kwargs):
        return function(*args, **kwargs)
    return wrapper


@decorated_logging
def wrapped_function(x):
    return np.sum(np.exp(x))


def np_array_copy_false_alias(x):
    y = x.copy()
    z = np.array(y, copy=False)
    z[0] = x[1] * 4.0
    return np.sum(y ** 2)


def contiguous_alias(x):
    y = x.copy()
    z = np.ascontiguousarray(y)
    z[0] = x[1] * 4.0
    return np.sum(y ** 2)


def astype_copy_true(x):
    y = x.copy()
    z = y.astype(float, copy=True)
    z[0] = x[1] * 4.0
    return np.sum(y ** 2) + np.sum(z)



LAMBDA = lambda x: np.sum(np.tanh(x) ** 2)  # noqa: E731


def trace_offsets_and_batches(T, A):
    """np.trace of a stack (summed over the first two axes) and with offsets: a zero
    gradient of the wrong shape before."""
    return np.sum(np.trace(T) * np.array([1.0, 2.0, 3.0])) + np.trace(A, offset=1) \
        + A.trace(-1) ** 2


def cumprod_through_zeros(x, P):
    """np.cumprod where entries are 0: its gradient was NaN there."""
    return np.sum(np.cumprod(x) * x) + np.sum(np.cumprod(P, axis=1) ** 2) + np.sum(P.cumprod(axis=0))


# --- the table -------------------------------------------------------------------------

@dataclass
class Program:
    function: object
    args: tuple
    wrt: object = None              # as grad's wrt
    label: str = ""

    @property
    def name(self):
        return self.label or getattr(self.function, "__name__", type(self.function).__name__)


def spd(n, rng):
    M = rng.normal(size=(n, n))
    return M @ M.T + n * np.eye(n)


R = np.random.default_rng(99)
ALL = [
    Program(sum_axis_keepdims, (R.normal(size=(3, 4)),)),
    Program(mean_axis0_times_axis1, (R.normal(size=(3, 4)),)),
    Program(var_std_ddof, (R.normal(size=(4, 3)),)),
    Program(prod_of_rows, (R.normal(size=(3, 4)),)),
    Program(max_with_ties, (np.array([[1.0, 1.0, 0.0], [0.5, 2.0, 2.0]]),)),
    Program(dot_mixed_ranks, (R.normal(size=(3, 3)), R.normal(size=3))),
    Program(outer_and_inner, (R.normal(size=3), R.normal(size=4))),
    Program(cumsum_diff, (R.normal(size=6),)),
    Program(cumsum_axis, (R.normal(size=(3, 4)),)),
    Program(triangular_parts, (R.normal(size=(3, 3)),)),
    Program(flips_and_rolls, (R.normal(size=(3, 3)),)),
    Program(repeat_tile_kron, (R.normal(size=3),)),
    Program(squeeze_expand, (R.normal(size=3),)),
    Program(tensordot_axes, (R.normal(size=(2, 3, 4)), R.normal(size=(3, 4, 2)))),
    Program(elementwise_binary_zoo, (R.normal(size=4), R.normal(size=4))),
    Program(elementwise_unary_zoo, (np.array([0.3, -0.7, 1.2, -1.5]),)),
    Program(maximum_minimum_ties, (np.array([0.3, -0.7, 1.2, 0.9, -1.5]),)),
    Program(linalg_norms, (R.normal(size=(3, 3)), R.normal(size=4))),
    Program(det_slogdet_inv, (spd(3, R),)),
    Program(solve_vector_and_matrix, (spd(3, R), R.normal(size=3))),
    Program(cholesky_logdet, (R.normal(size=(3, 3)),)),
    Program(eigh_smallest, (np.diag([1.0, 2.0, 3.5]) + 0.2 * R.normal(size=(3, 3)),)),
    Program(sort_gathers, (np.array([0.3, -0.7, 1.2, 0.9, -1.5]),)),
    Program(reshape_transpose_chain, (R.normal(size=12),)),
    Program(where_mask_select, (np.array([0.3, -0.7, 1.2, 0.9, -1.5, 0.2]),)),
    Program(broadcast_column_row, (R.normal(size=3), R.normal(size=4))),
    Program(stepped_negative_slices, (R.normal(size=8),)),
    Program(concat_stack_hstack, (R.normal(size=3), R.normal(size=3))),
    Program(einsum_forms, (R.normal(size=(3, 3)), R.normal(size=(3, 2)), R.normal(size=3))),
]

ALL += [
    Program(mlp_list_of_dicts, (init_mlp([3, 4, 1], R), R.normal(size=(5, 3)), R.normal(size=5)),
            wrt="params"),
    Program(mlp_dict_of_layers, ({"hidden": {"kernel": R.normal(size=(3, 4)), "bias": R.normal(size=4)},
                                  "output": {"kernel": R.normal(size=(4, 2)), "bias": R.normal(size=2)}},
                                 R.normal(size=(5, 3))), wrt="params"),
    Program(logistic_regression_sigmoid, (0.3 * R.normal(size=3), 0.1), wrt=("w", "b")),
    Program(gp_nll_cholesky, (0.1, -0.2, -1.0, np.linspace(0.0, 2.0, 5), R.normal(size=5)),
            wrt=("log_amp", "log_ell", "log_noise")),
    Program(euler_lotka_volterra, ([1.0, 0.4, 0.3, 0.8], (1.0, 0.5))),
    Program(rk4_vector_field, (np.array([2.0, 0.3]), np.array([1.0, 0.0]))),
    Program(trajectory_list_loss, (0.5, 1.2), wrt=("k", "x0")),
    Program(gradient_descent_inner, (np.array([0.2, -0.4]),), wrt="w0"),
    Program(softmax_classifier_dict, ({"W": R.normal(size=(3, 3)), "b": R.normal(size=3)}, DESIGN,
                                      np.eye(3)[R.integers(0, 3, size=8)]), wrt="params"),
    Program(tuple_params_predict, (((0.5, 0.1), (-0.7, 0.2)), R.normal(size=4)), wrt="params"),
    Program(tangent_if_else_nested, (0.7, 0.4), label="tangent_if_both_positive"),
    Program(tangent_if_else_nested, (0.7, -0.4), label="tangent_if_inner_else"),
    Program(tangent_if_else_nested, (-0.7, 0.4), label="tangent_if_outer_else"),
    Program(tangent_for_range_accumulate, (0.7,)),
    Program(tangent_while_decrement, (0.9,)),
    Program(tangent_inline_call, (0.6,)),
    Program(tangent_augassign_ops, (0.7, 1.3)),
    Program(tangent_unpack_in_loop, ([0.5, 1.0, -0.3, 2.0],)),
    Program(tangent_nested_def_closure, (0.8,)),
    Program(tangent_numpy_loop_index, (R.normal(size=(3, 2)),)),
]

ALL += [
    Program(module_helper_in_numpy, (R.normal(size=4),)),
    Program(method_of_global_object, (R.normal(size=3),)),
    Program(closure_over_module_global, (R.normal(size=4),)),
    Program(calls_with_keywords, (0.7, 1.2)),
    Program(while_tolerance_bisection_free, (2.0,), wrt="a", label="newton_tolerance_above"),
    Program(while_tolerance_bisection_free, (0.5,), wrt="a", label="newton_tolerance_below"),
    Program(early_return_in_loop, ([0.5, 1.0, 2.0, 0.3], 1.0), wrt="xs", label="early_return_exits"),
    Program(early_return_in_loop, ([0.5, 1.0, 2.0, 0.3], 100.0), wrt="xs",
            label="early_return_runs_through"),
    Program(abs_min_max_two, (0.7, 1.3), label="abs_min_max_first"),
    Program(abs_min_max_two, (1.3, 0.4), label="abs_min_max_second"),
    Program(sum_of_generator_math, ([0.5, 1.0, 2.0],)),
    Program(math_functions, (0.7, 1.3)),
    Program(fstring_assert, (0.7,)),
    Program(fstring_assert_numpy, (np.array([0.5, 1.0, 2.0, 0.3]),)),
    Program(dict_comprehension_params, ({"a": 0.5, "b": -1.2, "c": 2.0},)),
    Program(list_comprehension_filter, ([0.5, -1.0, 2.0, -0.3],)),
    Program(nested_list_params, ([[0.5, 1.0], [2.0, -0.3, 0.1]],)),
    Program(tuple_of_arrays_param, ((R.normal(size=3), R.normal(size=3)), R.normal(size=3)),
            wrt="pair"),
    Program(star_unpacking, ([0.5, 1.0, 2.0],)),
    Program(enumerate_weighted, ([0.5, 1.0, 2.0],)),
    Program(dict_get_with_default, ({"w": 0.5, "scale": 2.0}, 1.3), wrt="params"),
    Program(conditional_on_shape, (R.normal(size=5),), label="conditional_on_shape_long"),
    Program(conditional_on_shape, (R.normal(size=2),), label="conditional_on_shape_short"),
    Program(string_formatted_key, ({"w0": 0.5, "w1": -1.0, "w2": 0.3},)),
    Program(dataclass_method_call, (Gaussian(0.3, -0.2), [0.1, 0.5, -0.3]), wrt="g"),
    Program(lambda_map_sum, ([0.5, 1.0, 2.0],)),
    Program(ternary_in_comprehension, ([0.5, -1.0, 2.0],)),
    Program(recursion_depth, (0.5, 3), wrt="x"),
    Program(nonlocal_free_accumulator, ([0.5, -1.0, 2.0],)),
    Program(chain_of_comparisons_in_while, (0.3,)),
]

ALL += [
    Program(alias_then_write, (R.normal(size=4),)),
    Program(slice_view_inplace, (R.normal(size=4),)),
    Program(transpose_view_written, (R.normal(size=(3, 3)),)),
    Program(reshape_view_written, (R.normal(size=6),)),
    Program(asarray_then_write, (R.normal(size=3),)),
    Program(array_copy_then_write, (R.normal(size=3),)),
    Program(copy_shifted_add, (R.normal(size=5),)),
    Program(appended_in_loop, (R.normal(size=4),)),
    Program(list_alias_write, ([0.5, 1.0, 2.0],)),
    Program(recurrence_with_index_write, (R.normal(size=5), 0.6)),
    Program(inplace_on_parameter, (R.normal(size=3),)),
    Program(swap_rows_with_views, (R.normal(size=(3, 2)),)),
    Program(swap_entries_vector, (R.normal(size=3),)),
    Program(row_view_rescaled, (R.normal(size=(2, 3)),)),
    Program(inplace_in_loop, (R.normal(size=3),)),
    Program(mask_assign_copy, (np.array([0.3, -0.7, 1.2, 0.9, -1.5]),)),
    Program(mask_assign_values, (np.array([0.3, -0.7, 1.2, 0.9, -1.5]),)),
    Program(empty_then_filled, (R.normal(size=3),)),
    Program(dict_param_reassigned, ({"w": R.normal(size=3), "b": 0.2}, R.normal(size=3)),
            wrt="params"),
    Program(list_param_appended, ([0.5, 1.2],)),
    Program(copy_then_fill_diagonal, (R.normal(size=(3, 3)),)),
    Program(sort_in_place_copy, (np.array([0.3, -0.7, 1.2, 0.9]),)),
    Program(two_names_one_copy, (R.normal(size=3),)),
    Program(column_write_loop, (R.normal(size=(3, 2)),)),
    Program(ravel_view_write, (R.normal(size=(2, 3)),)),
    Program(cumulative_rows_inplace, (R.normal(size=(3, 2)),)),
]

A3 = R.normal(size=(3, 3))
ALL += [Program(f, a, wrt=w) for f, a, w in [
    (step_view_inplace, (R.normal(size=5),), None),
    (full_slice_alias, (R.normal(size=3),), None),
    (ellipsis_alias, (R.normal(size=3),), None),
    (view_method_alias, (R.normal(size=3),), None),
    (np_reshape_alias, (R.normal(size=4),), None),
    (np_ravel_alias, (R.normal(size=(2, 3)),), None),
    (transpose_call_alias, (R.normal(size=(2, 2)),), None),
    (squeeze_alias, (R.normal(size=(1, 3)),), None),
    (newaxis_alias, (R.normal(size=3),), None),
    (asarray_dtype_alias, (R.normal(size=3),), None),
    (astype_no_copy_alias, (R.normal(size=3),), None),
    (list_holding_array_write, (R.normal(size=3),), None),
    (dict_holding_array_write, (R.normal(size=3),), None),
    (tuple_unpack_alias, (R.normal(size=3),), None),
    (alias_through_helper, (R.normal(size=3),), None),
    (helper_writes_argument, (R.normal(size=3),), None),
    (rows_iterated_and_scaled, (R.normal(size=(3, 2)),), None),
    (rows_enumerated_written, (R.normal(size=(3, 2)),), None),
    (overlapping_shift, (R.normal(size=4),), None),
    (overlapping_reverse, (R.normal(size=4),), None),
    (self_add_inplace, (R.normal(size=3),), None),
    (stale_slice_1d, (R.normal(size=3),), None),
    (stale_row_2d, (R.normal(size=(2, 3)),), None),
    (scalar_read_before_write, (R.normal(size=3),), None),
    (out_argument, (R.normal(size=3),), None),
    (out_argument_assigned, (R.normal(size=3),), None),
    (duplicate_fancy_augassign, (R.normal(size=4),), None),
    (duplicate_fancy_assign, (R.normal(size=4),), None),
    (duplicate_gather, (R.normal(size=3),), None),
    (argmax_index, (np.array([0.3, 1.2, -0.5]),), None),
    (prod_with_zero, (np.array([0.0, 2.0, 3.0]),), None),
    (prod_two_zeros, (np.array([0.0, 2.0, 0.0]),), None),
    (linspace_endpoint, (1.3,), None),
    (full_and_like, (R.normal(size=3), 0.7), None),
    (diag_both_ways, (A3, R.normal(size=3)), None),
    (meshgrid_surface, (R.normal(size=3), R.normal(size=2)), None),
    (pad_edges, (R.normal(size=4),), None),
    (split_parts, (R.normal(size=6),), None),
    (broadcast_to_rows, (R.normal(size=3),), None),
    (column_dstack_block, (R.normal(size=3), R.normal(size=3)), None),
    (mean_axis_tuple, (R.normal(size=(2, 3, 4)),), None),
    (average_weighted, (R.normal(size=4), np.array([0.5, 1.0, 2.0, 0.3])), None),
    (median_and_percentile, (np.array([0.3, 1.2, -0.5, 0.9, 2.0]),), None),
    (ptp_amax, (np.array([0.3, 1.2, -0.5, 0.9]),), None),
    (einsum_ellipsis, (R.normal(size=(2, 3, 3)), R.normal(size=(2, 3, 3))), None),
    (einsum_outer_optimize, (R.normal(size=3), R.normal(size=2)), None),
    (linalg_extras, (A3 + 3 * np.eye(3),), None),
    (polyval_interp, (R.normal(size=4), R.normal(size=3)), None),
    (trapezoid_rule, (R.normal(size=5),), None),
    (two_d_slicing, (R.normal(size=(3, 3)),), None),
    (vec_mat_products, (A3, R.normal(size=3)), None),
    (float_of_numpy_sum, (R.normal(size=3),), None),
    (item_of_numpy, (R.normal(size=3),), None),
    (python_max_of_numpy, (np.array([0.3, 1.2, -0.5]),), None),
    (float_modulo, (1.7,), None),
    (walrus_while, (2.0,), None),
    (while_true_break, (1.5,), None),
    (for_rows_of_array, (R.normal(size=(3, 2)),), None),
    (zip_star_pairs, ([(0.5, 1.0), (2.0, -0.3)],), None),
    (star_args, (0.5, 1.0, 2.0), None),
    (tuple_return_indexed, (0.7,), None),
    (ten_power_and_exp2, (np.array([0.3, -0.7, 1.2]),), None),
    (comparisons_times_values, (np.array([0.3, -0.7, 1.2]),), None),
    (sort_along_axis, (R.normal(size=(3, 3)),), None),
    (min_keepdims_shift, (R.normal(size=(3, 3)),), None),
    (SCALER.loss, (R.normal(size=3),), None),
    (LAMBDA, (R.normal(size=3),), None),
    (wrapped_function, (R.normal(size=3),), None),
]]
ALL += [Program(f, (R.normal(size=3),)) for f in (np_array_copy_false_alias, contiguous_alias, astype_copy_true)]
ALL += [
    Program(trace_offsets_and_batches, (R.normal(size=(3, 3, 3)), R.normal(size=(3, 4)))),
    Program(cumprod_through_zeros, (np.array([0.5, 0.0, 2.0, 0.0, 3.0]),
                                    np.array([[1.5, 0.0, 2.0], [0.0, 0.0, 1.0], [2.0, -1.0, 0.5]]))),
]

# Written as users write them, refused with a clear error: the construct each message names
CONSTRUCTS = {
    "transpose_view_written": "a view of `B`",
    "dict_param_reassigned": "writes into the tree parameter params",
    "copy_then_fill_diagonal": "`np.fill_diagonal(...)`, which writes into `B` in place",
    "sort_in_place_copy": "sorting in place (`y.sort()`)",
    "view_method_alias": "method call `y.view(...)`",
    "list_holding_array_write": "nested list `pair[0][0]`",
    "out_argument": "`out=` in `np.multiply(x, 2.0, out=y)`",
    "out_argument_assigned": "`out=` in `np.exp(x, out=y)`",
    "duplicate_fancy_augassign": "may repeat a position",
    "duplicate_fancy_assign": "may repeat a position",
    "wrapped_function": "wrapped by a decorator",
    "star_args": "*args/**kwargs",
    "np_array_copy_false_alias": "writes in place into storage that `y`",
}
for _name in ("alias_then_write", "slice_view_inplace", "reshape_view_written",
              "asarray_then_write", "list_alias_write", "swap_rows_with_views",
              "row_view_rescaled", "two_names_one_copy", "ravel_view_write", "step_view_inplace",
              "full_slice_alias", "ellipsis_alias", "np_reshape_alias", "np_ravel_alias",
              "transpose_call_alias", "squeeze_alias", "newaxis_alias", "asarray_dtype_alias",
              "astype_no_copy_alias", "dict_holding_array_write", "tuple_unpack_alias",
              "alias_through_helper", "rows_iterated_and_scaled",
              "rows_enumerated_written", "stale_slice_1d", "stale_row_2d", "contiguous_alias"):
    CONSTRUCTS[_name] = "writes in place"

PROGRAMS = [p for p in ALL if p.name not in CONSTRUCTS]
REFUSED = [(p, CONSTRUCTS[p.name]) for p in ALL if p.name in CONSTRUCTS]


def cumprod_first(x):
    return np.cumprod(x)


def weighted_traces(T):
    return np.sum(np.trace(T) * np.arange(1.0, 1.0 + T.shape[2]))


def upper_trace(A):
    return np.trace(A, offset=1)
