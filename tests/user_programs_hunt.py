"""More programs written the way users write them (textbook numerics, ML, physics,
statistics), each with a point and the parameters to differentiate.
tests/test_user_programs_hunt.py checks every gradient against central differences
taken there, leaf by leaf for dicts, lists and dataclasses."""

import math
from collections import namedtuple
from dataclasses import dataclass

import numpy as np
from scipy.special import expit, logsumexp

from s2sdiff import grad

RNG = np.random.default_rng(2026)

GRAVITY = 9.81
STENCIL = np.array([1.0, -2.0, 1.0])
FEATURES = RNG.normal(size=(10, 3))
TARGETS = FEATURES @ np.array([0.5, -1.0, 2.0]) + 0.1 * RNG.normal(size=10)
CLASSES = RNG.integers(0, 3, size=10)
ONE_HOT = np.eye(3)[CLASSES]
BINARY = (TARGETS > 0).astype(float)
COUNTS = np.array([0.0, 2.0, 1.0, 4.0, 3.0, 1.0, 0.0, 2.0])


# --- textbook numerics -------------------------------------------------------------------

def newton_cube_root(a, iterations=8):
    """x <- x - (x^3 - a) / (3 x^2), a fixed number of steps."""
    x = a if a > 1.0 else 1.0
    for _ in range(iterations):
        x = x - (x ** 3 - a) / (3.0 * x ** 2)
    return x


def newton_while_tolerance(a, tol=1e-12):
    """Heron's square root until the step is below a tolerance."""
    x = a
    step = 1.0
    while abs(step) > tol:
        new_x = 0.5 * (x + a / x)
        step = new_x - x
        x = new_x
    return x


def rk4_decay(k, y0, steps=20, t_end=1.0):
    """Classical Runge-Kutta for y' = -k y sin(y) ... written with a helper."""
    def rhs(y):
        return -k * y + 0.1 * math.sin(y)

    h = t_end / steps
    y = y0
    for _ in range(steps):
        k1 = rhs(y)
        k2 = rhs(y + 0.5 * h * k1)
        k3 = rhs(y + 0.5 * h * k2)
        k4 = rhs(y + h * k3)
        y = y + h / 6.0 * (k1 + 2.0 * k2 + 2.0 * k3 + k4)
    return y


def leapfrog_oscillator(omega, x0, v0, n=30, dt=0.05):
    """Velocity Verlet of x'' = -omega^2 x; returns the energy at the end."""
    x, v = x0, v0
    a = -omega ** 2 * x
    for _ in range(n):
        v_half = v + 0.5 * dt * a
        x = x + dt * v_half
        a = -omega ** 2 * x
        v = v_half + 0.5 * dt * a
    return 0.5 * v ** 2 + 0.5 * omega ** 2 * x ** 2


def laplacian_energy(u, h=0.1):
    """Second differences by slicing: sum of (u[i-1] - 2 u[i] + u[i+1])^2 / h^4."""
    lap = (u[:-2] - 2.0 * u[1:-1] + u[2:]) / h ** 2
    return 0.5 * np.sum(lap ** 2) * h


def stencil_with_loop(u):
    """The same stencil with a global weight array and a loop over interior points."""
    total = 0.0
    for i in range(1, len(u) - 1):
        second = STENCIL[0] * u[i - 1] + STENCIL[1] * u[i] + STENCIL[2] * u[i + 1]
        total += second ** 2
    return total


def horner(coefficients, x):
    """p(x) = c0 + x (c1 + x (c2 + ...)), coefficients highest first."""
    result = 0.0
    for c in coefficients:
        result = result * x + c
    return result


def softplus_stable(x):
    """log(1 + exp(x)) without overflow, the max trick."""
    return max(x, 0.0) + math.log1p(math.exp(-abs(x)))


def logsumexp_array(z):
    m = np.max(z)
    return m + np.log(np.sum(np.exp(z - m)))


def piecewise_cubic(x):
    if x < -1.0:
        return -2.0 * x - 1.0
    elif x < 1.0:
        return x ** 3 / 3.0 + x ** 2
    else:
        return 2.0 * x + 1.0 / 3.0 - 1.0


def simpson_integral(a, b, n=10):
    """Composite Simpson of exp(-a t^2) over [0, b]."""
    h = b / n
    total = math.exp(0.0) + math.exp(-a * b * b)
    for i in range(1, n):
        t = i * h
        weight = 4.0 if i % 2 == 1 else 2.0
        total += weight * math.exp(-a * t * t)
    return total * h / 3.0


def fixed_point_cosine(c, tol=1e-10, max_iter=200):
    """x = cos(c x) by iteration, with an early exit on convergence."""
    x = 0.5
    for _ in range(max_iter):
        new = math.cos(c * x)
        if abs(new - x) < tol:
            return new
        x = new
    return x


# --- machine learning ----------------------------------------------------------------

def logistic_regression_l2(w, b, X=FEATURES, y=BINARY, lam=0.01):
    z = X @ w + b
    # log(1 + exp(-z)) for y = 1 and log(1 + exp(z)) for y = 0, stably
    losses = np.maximum(z, 0.0) - z * y + np.log1p(np.exp(-np.abs(z)))
    return np.mean(losses) + lam * np.dot(w, w)


def softmax_xent_onehot(W, X=FEATURES, labels=ONE_HOT):
    logits = X @ W
    shifted = logits - logits.max(axis=1, keepdims=True)
    log_z = np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    return -(labels * (shifted - log_z)).sum() / X.shape[0]


def mlp_dict_params(params, X, y):
    h = np.tanh(X @ params["W1"] + params["b1"])
    pred = h @ params["W2"] + params["b2"]
    data_loss = np.mean((pred - y) ** 2)
    l2 = sum(np.sum(p ** 2) for p in params.values())
    return data_loss + 1e-3 * l2


def mlp_list_layers(layers, X):
    h = X
    for i, (W, b) in enumerate(layers):
        h = h @ W + b
        if i < len(layers) - 1:
            h = np.maximum(h, 0.0)
    return np.sum(h ** 2)


def batch_norm_by_hand(x, gamma, beta, eps=1e-5):
    mean = x.mean(axis=0)
    var = ((x - mean) ** 2).mean(axis=0)
    x_hat = (x - mean) / np.sqrt(var + eps)
    out = gamma * x_hat + beta
    return np.sum(out ** 3)


def attention_scores(Q, K, V):
    d = Q.shape[1]
    scores = Q @ K.T / math.sqrt(d)
    scores = scores - np.max(scores, axis=1, keepdims=True)
    weights = np.exp(scores)
    weights = weights / weights.sum(axis=1, keepdims=True)
    out = weights @ V
    return np.sum(out ** 2)


def hinge_with_where(w, X=FEATURES, y=BINARY):
    signs = np.where(y > 0.5, 1.0, -1.0)
    margins = signs * (X @ w)
    return np.sum(np.where(margins < 1.0, 1.0 - margins, 0.0))


def clipped_regression(w, X=FEATURES, y=TARGETS):
    pred = np.clip(X @ w, -1.5, 1.5)
    return np.sum((pred - y) ** 2)


def concat_features(w, X=FEATURES):
    """Polynomial features by concatenation, then a linear model."""
    poly = np.concatenate([X, X ** 2], axis=1)
    return np.sum(np.tanh(poly @ w))


def stack_and_reshape(a, b):
    M = np.stack([a, b, a * b])          # (3, n)
    flat = M.reshape(-1)
    T = M.T                              # (n, 3)
    return np.sum(flat ** 2) + np.sum(T[:, 0] * T[:, 2])


def einsum_bilinear(W, x, y):
    return np.einsum("i,ij,j->", x, W, y) ** 2


def masked_mse(pred, target, mask):
    diff = (pred - target) * mask
    return np.sum(diff ** 2) / np.sum(mask)


# --- physics ---------------------------------------------------------------------------

def gravitational_potential(positions, masses):
    """Sum over pairs i < j of -m_i m_j / |r_i - r_j|, with nested loops."""
    n = len(masses)
    energy = 0.0
    for i in range(n):
        for j in range(i + 1, n):
            r = np.sqrt(np.sum((positions[i] - positions[j]) ** 2))
            energy -= masses[i] * masses[j] / r
    return energy


def lennard_jones(coords, epsilon=1.0, sigma=1.0):
    total = 0.0
    n = coords.shape[0]
    for i in range(n):
        for j in range(i + 1, n):
            d = coords[i] - coords[j]
            r2 = d @ d
            s6 = (sigma ** 2 / r2) ** 3
            total += 4.0 * epsilon * (s6 * s6 - s6)
    return total


def spring_mass_energy(x, v, k=2.0, m=0.5):
    kinetic = sum(0.5 * m * vi ** 2 for vi in v)
    stretches = [x[i + 1] - x[i] - 1.0 for i in range(len(x) - 1)]
    potential = sum(0.5 * k * s ** 2 for s in stretches)
    return kinetic + potential


def projectile_with_drag(v0, angle, drag=0.1, dt=0.01):
    """Euler steps until the projectile lands (a data-dependent while loop)."""
    vx = v0 * math.cos(angle)
    vy = v0 * math.sin(angle)
    x, y = 0.0, 0.0
    while y >= 0.0:
        speed = math.sqrt(vx * vx + vy * vy)
        vx = vx - drag * speed * vx * dt
        vy = vy - (GRAVITY + drag * speed * vy) * dt
        x += vx * dt
        y += vy * dt
    return x


# --- statistics ------------------------------------------------------------------------

def normal_nll(mu, log_sigma, data):
    sigma = np.exp(log_sigma)
    n = data.size
    return n * log_sigma + 0.5 * n * math.log(2 * math.pi) + \
        np.sum((data - mu) ** 2) / (2.0 * sigma ** 2)


def poisson_nll(log_rate, counts=COUNTS):
    rate = math.exp(log_rate)
    total = 0.0
    for k in counts:
        total += rate - k * log_rate + math.lgamma(k + 1.0)
    return total


def weighted_mean_variance(values, weights):
    w = np.asarray(weights)
    mean = np.sum(w * values) / np.sum(w)
    return np.sum(w * (values - mean) ** 2) / np.sum(w)


def student_t_nll(loc, scale, nu=4.0, data=TARGETS):
    z = (data - loc) / scale
    return np.sum(0.5 * (nu + 1.0) * np.log1p(z ** 2 / nu) + np.log(scale))


# --- Python idioms ---------------------------------------------------------------------

def augmented_slices(x):
    y = x.copy()
    y[1:] += 2.0 * x[:-1]
    y[0] *= 3.0
    return np.sum(y ** 2)


def lambdas_in_variables(a, b):
    square = lambda t: t * t            # noqa: E731
    mix = lambda s, t: s * math.exp(t)  # noqa: E731
    return square(a) + mix(a, b) - square(b)


def closure_over_array(w):
    scale = np.array([1.0, 2.0, 3.0])

    def scaled_norm(v):
        return np.sum((scale * v) ** 2)

    return scaled_norm(w) + scaled_norm(w - 1.0)


def zip_and_reversed(xs, ys):
    total = 0.0
    for a, b in zip(xs, reversed(ys)):
        total += a * b
    return total


def early_return_guard(x, y):
    assert y > 0, f"y must be positive, got {y}"
    if x < 0:
        return -x * y
    r = math.hypot(x, y)
    return r * math.atan2(y, x)


def keyword_calls(x, y):
    def blend(a, b, *, alpha=0.5, power=2):
        return alpha * a ** power + (1 - alpha) * b ** power

    return blend(x, y) + blend(y, x, alpha=0.25) + blend(x, y, power=3, alpha=0.1)


def blend(a, b, *, alpha=0.5, power=2):
    return alpha * a ** power + (1 - alpha) * b ** power


def keyword_calls_module_helper(x, y):
    return blend(x, y) + blend(y, x, alpha=0.25) + blend(x, y, power=3, alpha=0.1)


def tuple_returns(x):
    def polar(a, b):
        return math.hypot(a, b), math.atan2(b, a)

    r, theta = polar(x, 2.0 * x + 1.0)
    return r * theta


def generator_expression_sum(xs):
    return sum(x ** 2 / (1 + i) for i, x in enumerate(xs))


def list_comprehension_products(ws, xs):
    terms = [w * math.tanh(x) for w, x in zip(ws, xs)]
    return sum(terms) ** 2


@dataclass
class LinearModel:
    weight: np.ndarray
    bias: float


def polynomial_value(coeffs, x):
    return sum(c * x ** k for k, c in enumerate(coeffs))


def helper_given_a_list(coeffs, xs, ys):
    """A list parameter only passed to a helper that iterates it, in a loop (its
    adjoint was zero as a float, then `+=` a list: a TypeError blaming `coeffs`)."""
    total = 0.0
    for x, y in zip(xs, ys):
        total += (polynomial_value(coeffs, x) - y) ** 2
    return total


def helper_given_a_list_twice(coeffs, x):
    """The same helper called twice on a list: `dcoeffs += pullback(...)` joined the two
    lists (a gradient twice as long, silently)."""
    return polynomial_value(coeffs, x) ** 2 + polynomial_value(coeffs, 2.0 * x)


def helper_passing_the_list_on(coeffs, x):
    """The list goes through one helper into another that indexes it."""
    return math.tanh(helper_given_a_list_twice(coeffs, x))


def dataclass_loss(model, X, y):
    pred = X @ model.weight + model.bias
    return np.mean((pred - y) ** 2)


class Polynomial:
    def __init__(self, degree):
        self.degree = degree

    def value(self, coeffs, x):
        return sum(coeffs[k] * x ** k for k in range(self.degree + 1))

    def loss(self, coeffs, xs, ys):
        return sum((self.value(coeffs, x) - y) ** 2 for x, y in zip(xs, ys))


POLY = Polynomial(2)


def integer_steps(x, n):
    """An integer parameter: the number of times a map is applied."""
    for _ in range(n):
        x = x - 0.1 * math.sin(x)
    return x


def math_numpy_mixed(x, y):
    return math.sqrt(x * x + 1.0) * np.exp(y) + np.sin(x) * math.cos(y)


# --- second batch: more NumPy idioms -----------------------------------------------------

def iir_filter(x, a):
    """y[i] = a y[i-1] + x[i], written into a copy in a loop."""
    y = x.copy()
    for i in range(1, len(x)):
        y[i] = a * y[i - 1] + x[i]
    return np.sum(y ** 2)


def leaky_relu_net(W, X=FEATURES):
    z = X @ W
    h = np.where(z > 0, z, 0.01 * z)
    return np.mean(h ** 2)


def reversed_and_strided(x):
    back = x[::-1]
    evens = x[::2]
    return np.sum(back * x) + np.sum(evens ** 3) + x[-1] * x[0]


def gram_trace(A):
    G = A.T @ A
    return np.trace(G) + np.sum(np.diag(G) ** 2)


def outer_energy(u, v):
    M = np.outer(u, v)
    return np.sum(M ** 2) - np.sum(M.T @ u)


def einsum_batch(A, B):
    C = np.einsum("bij,bjk->bik", A, B)
    return np.sum(np.tanh(C))


def norm_penalty(w, lam=0.5):
    return np.linalg.norm(w) + lam * np.sum(np.abs(w))


def gp_negative_log_likelihood(log_ell, log_noise, X=FEATURES[:6, :1], y=TARGETS[:6]):
    ell = np.exp(log_ell)
    d2 = (X - X.T) ** 2
    K = np.exp(-0.5 * d2 / ell ** 2) + np.exp(log_noise) * np.eye(X.shape[0])
    alpha = np.linalg.solve(K, y)
    sign, logdet = np.linalg.slogdet(K)
    return 0.5 * y @ alpha + 0.5 * logdet


def kalman_like(q, r, observations=TARGETS[:6]):
    """A scalar Kalman filter's negative log-likelihood over a sequence."""
    mean, var = 0.0, 1.0
    nll = 0.0
    for z in observations:
        var = var + q
        s = var + r
        nll += 0.5 * (math.log(2 * math.pi * s) + (z - mean) ** 2 / s)
        gain = var / s
        mean = mean + gain * (z - mean)
        var = (1.0 - gain) * var
    return nll


def three_d_means(T):
    m0 = T.mean(axis=0)
    m12 = T.mean(axis=(1, 2))
    return np.sum(m0 ** 2) + np.sum(m12 ** 3) + np.sum(T, axis=(0, 2)) @ np.ones(T.shape[1])


def power_with_array_exponent(x, p):
    return np.sum(x ** p)


def softmax_last_axis(Z):
    e = np.exp(Z - Z.max(axis=-1, keepdims=True))
    probs = e / e.sum(axis=-1, keepdims=True)
    return np.sum(probs[:, 0] * np.log(probs[:, 0]))


def abs_and_sqrt(x):
    return np.sum(abs(x) ** 1.5) + np.sqrt(x @ x)


def log_cosh_loss(pred, target):
    return np.mean(np.log(np.cosh(pred - target)))


def cumulative_returns(r):
    wealth = np.cumprod(1.0 + r)
    return wealth[-1] - 0.5 * np.sum(np.cumsum(r) ** 2)


def finite_difference_gradient_penalty(u, h=0.2):
    du = np.diff(u) / h
    return np.sum(du ** 2) * h


def inverse_and_det(A):
    return np.sum(np.linalg.inv(A)) + np.log(np.abs(np.linalg.det(A)))


# --- second batch: Python structure ------------------------------------------------------

def parameter_check_raises(x, scale):
    if scale <= 0:
        raise ValueError(f"scale must be positive, got {scale}")
    return math.log(scale) + x / scale


def while_with_counter_and_break(x):
    total = 0.0
    term = x
    k = 1
    while True:
        total += term
        k += 1
        term = term * x / k
        if abs(term) < 1e-14 or k > 60:
            break
    return total                 # exp(x) - 1


def nested_helper_early_return(xs):
    def clipped(v):
        if v > 1.0:
            return 1.0
        if v < -1.0:
            return -1.0
        return v

    return sum(clipped(v) * v for v in xs)


def clipped(v):
    if v > 1.0:
        return 1.0
    if v < -1.0:
        return -1.0
    return v


def module_helper_early_return(xs):
    return sum(clipped(v) * v for v in xs)


def raise_in_else_arm(x):
    if x > 0:
        y = math.log(x)
    else:
        raise ValueError("x must be positive")
    return y * y


def raise_in_numpy_loop(x, n):
    if n < 1:
        raise ValueError(f"n must be at least 1, got {n}")
    for _ in range(n):
        if np.any(np.abs(x) > 1e6):
            raise FloatingPointError("diverged")
        x = np.tanh(x) + 0.1 * x
    return np.sum(x ** 2)


def always_raises(x):
    y = 2.0 * x
    raise NotImplementedError(f"not yet: {y}")


def loop_over_key_tuple(params):
    total = 0.0
    for key in ("w", "b"):
        total += np.sum(params[key] ** 2)
    return total


def loop_over_values(params):
    total = 0.0
    for value in params.values():
        total += np.sum(value ** 2)
    return total


def l2_over_params_items(params, x):
    out = params["a"] * x ** 2 + params["b"] * x + params["c"]
    penalty = 0.0
    for name, value in params.items():
        penalty += value ** 2
    return out ** 2 + 0.1 * penalty


@dataclass
class Layer:
    W: np.ndarray
    b: np.ndarray


@dataclass
class Net:
    hidden: Layer
    output: Layer


def nested_dataclass_net(net, X):
    h = np.tanh(X @ net.hidden.W + net.hidden.b)
    y = h @ net.output.W + net.output.b
    return np.sum(y ** 2)


class Quadratic:
    """A model with fixed data as attributes and a method taking the parameters."""

    def __init__(self, A, b):
        self.A = A
        self.b = b

    def residual(self, x):
        return self.A @ x - self.b

    def objective(self, x):
        r = self.residual(x)
        return 0.5 * r @ r


QUADRATIC = Quadratic(RNG.normal(size=(4, 3)), RNG.normal(size=4))


def float_and_int_conversions(x, n):
    steps = int(n)
    h = float(x) / steps
    return sum(math.sin(h * k) for k in range(steps + 1)) * h


def tuple_unpacking_swap(a, b):
    for _ in range(3):
        a, b = b, a + 0.5 * b
    return a * b


def chained_comparison_piecewise(x):
    if 0.0 <= x < 1.0:
        return x * x
    elif 1.0 <= x < 2.0:
        return 2.0 * x - 1.0
    return 3.0 + math.log(x - 1.0)


def min_max_builtins(a, b, c):
    return max(a, b) * min(b, c) + max(a, b, c) - min(a, 0.0)


def scale_columns_then_rows(X):
    """Two writes into different parts of a copy."""
    Y = X.copy()
    Y[:, 0] *= 2.0
    Y[1, :] += Y[0, :]
    return np.sum(Y ** 2)


def per_row_gains(X, gains):
    Y = X.copy()
    Y[0] *= gains[0]
    Y[1] *= gains[1]
    Y[2] = Y[2] - Y[0] * gains[2]
    return np.sum(np.tanh(Y))


def stale_view_after_write(X):
    """A view taken before a write and read after it: refused (SSA would miss it)."""
    Y = X.copy()
    first = Y[0]
    Y[0] = 2.0 * X[1]
    return np.sum(first * X[2])


def pair_forces(pos0, vel0, k, steps=4, dt=0.05):
    """Spring forces between every pair, a nested loop inside the time loop whose bound
    is computed before it (the generated code lost `n = pos.shape[0]`: a NameError)."""
    pos = pos0.copy()
    vel = vel0.copy()
    n = pos.shape[0]
    for _ in range(steps):
        force = np.zeros_like(pos)
        for i in range(n):
            for j in range(n):
                if i != j:
                    d = pos[i] - pos[j]
                    force[i] -= k * d
        vel += dt * force
        pos += dt * vel
    return np.sum(pos ** 2) + 0.5 * np.sum(vel ** 2)


def sweeps_of_a_scalar_grid(xs, sweeps=2):
    """The same shape in scalar code: a bound that cannot raise, read by an inner loop."""
    n = 2 * 2
    total = 0.0
    for _ in range(sweeps):
        for i in range(n):
            total += xs[i % len(xs)] * (i + 1)
    return total * total


def running_product(x):
    s = 1.0
    for i in range(len(x)):
        s = s * x[i]
    return s


def squared_recurrence(x):
    s = 0.5
    for i in range(len(x)):
        s = s * s + x[i]
    return s


def continued_fraction(x):
    s = 2.0
    for v in x:
        s = v / s + s
    return s


def decay_in_place(x, y):
    s = y
    for i in range(3):
        s -= x[i] * s
    return s


def matrix_power_loop(A, n=3):
    P = np.eye(A.shape[0])
    for _ in range(n):
        P = P @ A
    return np.sum(P)


# --- third batch: idioms tried one by one (all checked as the others) ------------------

LABELS4 = np.array([0, 2, 1, 1])
NODES = [-0.7745966692414834, 0.0, 0.7745966692414834]
WEIGHTS = [5 / 9, 8 / 9, 5 / 9]


def nested_lists(A):
    total = 0.0
    for i in range(len(A)):
        for j in range(len(A[i])):
            total += A[i][j] ** 2 * (i + 1)
    return total


def dict_built_inside(x, y):
    d = {"a": x * 2.0, "b": math.sin(y)}
    return d["a"] * d["b"] + d["a"] ** 2


def inner_break(xs):
    total = 0.0
    for i in range(len(xs)):
        for j in range(i, len(xs)):
            if xs[j] < 0:
                break
            total += xs[i] * xs[j]
    return total


def unrolled_gd(w0, X, y, lr=0.1, steps=5):
    w = w0
    for _ in range(steps):
        r = X @ w - y
        g = X.T @ r / len(y)
        w = w - lr * g
    return np.sum((X @ w - y) ** 2)


def branch_on_element(x):
    total = 0.0
    for i in range(len(x)):
        if x[i] > 0:
            total += x[i] ** 2
        else:
            total -= 0.5 * x[i]
    return total


def with_continue(xs):
    total = 0.0
    for x in xs:
        if abs(x) < 0.2:
            continue
        total += x ** 3
    return total


def enumerate_zip(xs, ys):
    total = 0.0
    for i, (a, b) in enumerate(zip(xs, ys)):
        total += (i + 1) * a * b
    return total


def conditional_expression(x, y):
    a = x if x > y else y
    b = (x > 0) * x + 0.5
    return a * b - (-x)


def output_named_like_param(x):
    x = x * 2.0
    x = math.sin(x) + x
    return x


def user_names_like_adjoints(x, dx):
    d = x * dx
    dd = d ** 2
    ddx = dd + dx
    return ddx * x


def sum_with_start(xs):
    return sum((x ** 2 for x in xs), 1.0)


def reassign_param_numpy(w, X):
    w = w / np.linalg.norm(w)
    w = np.tanh(X @ w)
    return np.sum(w)


def bool_mult_numpy(x):
    return np.sum((x > 0) * x ** 2 + (x <= 0) * np.exp(x))


def negative_base_powers(x):
    return x ** 3 + x ** 2 + 1.0 / x + x ** -2


def nested_function_closure_loop(xs, scale):
    def term(v):
        return scale * v * v
    total = 0.0
    for v in xs:
        total += term(v)
    return total


def tuple_helper_in_loop(xs):
    def split(v):
        return v * v, math.sin(v)
    total = 0.0
    for v in xs:
        a, b = split(v)
        total += a * b
    return total


def two_d_array_loop_assign(X):
    out = np.zeros_like(X)
    for i in range(X.shape[0]):
        out[i] = np.tanh(X[i]) * (i + 1)
    return np.sum(out ** 2)


def while_array_state(x):
    it = 0
    while np.max(np.abs(x)) > 0.1 and it < 50:
        x = 0.5 * x + 0.01 * np.sin(x)
        it += 1
    return np.sum(x)


def stacked_list_of_params(a, b, c):
    v = np.array([a, b, c])
    return v @ v + np.prod(v)


def array_from_list_of_arrays(x, y):
    M = np.array([x, y])
    return np.sum(M.T @ M)


def matmul_chain_shapes(A, x):
    return x @ A @ x + np.sum(A @ A.T) + np.trace(A.T @ A)


def max_with_key(xs):
    return max(xs, key=abs) ** 2


def xent_int_labels(W, X):
    logits = X @ W
    logp = logits - logsumexp(logits, axis=1, keepdims=True)
    return -np.mean(logp[np.arange(len(LABELS4)), LABELS4])


def take_along(W, X):
    logits = X @ W
    logp = logits - np.log(np.sum(np.exp(logits), axis=-1, keepdims=True))
    picked = np.take_along_axis(logp, LABELS4[:, None], axis=1)
    return -np.sum(picked)


def onehot_eye(W, X):
    Y = np.eye(3)[LABELS4]
    p = expit(X @ W)
    return -np.sum(Y * np.log(p) + (1 - Y) * np.log(1 - p))


def pairwise_offdiag(X):
    D = X[:, None, :] - X[None, :, :]
    r2 = np.sum(D ** 2, axis=-1) + np.eye(X.shape[0])
    return np.sum(np.triu(1.0 / np.sqrt(r2), 1))


def batch_matmul(A, B):
    return np.sum(np.matmul(A, B) ** 2) + np.sum(A @ B[0])


def einsum_rowdot(X, Y):
    return np.sum(np.einsum("ij,ij->i", X, Y) ** 2) + np.einsum("ii", X[:2, :2])


def solve_2d_rhs(A, B):
    return np.sum(np.linalg.solve(A, B) ** 2)


def accumulate_rows(X):
    acc = np.zeros(X.shape[1])
    for i in range(X.shape[0]):
        acc += X[i] * (i + 1)
    return np.sum(acc ** 2)


def negative_axes(T):
    return np.sum(np.mean(T, axis=-1) ** 2) + np.sum(np.max(T, axis=-2))


def mixed_scalar_array(w, b):
    z = np.dot(w, w) + b
    return math.tanh(z) if z < 10 else 1.0


def stack_axis1(a, b):
    M = np.stack([a, b], axis=1)
    C = np.concatenate([M, M ** 2], axis=0)
    return np.sum(C @ np.array([1.0, -1.0]))


def huber_where(r, delta=0.5):
    a = np.abs(r)
    return np.sum(np.where(a <= delta, 0.5 * r ** 2, delta * (a - 0.5 * delta)))


def sigmoid_bce_logits(z, y):
    return np.mean(np.maximum(z, 0) - z * y + np.log1p(np.exp(-np.abs(z))))


def arange_weights(x):
    w = np.arange(len(x)) / len(x)
    return np.sum(w * x ** 2) + np.sum(np.cumsum(x) * w)


def reshape_transpose_3d(x):
    T = x.reshape(2, 3, 2).transpose(1, 0, 2)
    return np.sum(T[0] * T[2]) + np.sum(T.reshape(-1, 4) ** 2)


def swap_axes(X):
    return np.sum(np.swapaxes(X[None], 0, 1) ** 3) + np.sum(np.moveaxis(X, 0, -1) @ X)


def rbf_vectorised(centres, X, gamma=0.5):
    d2 = np.sum((X[:, None, :] - centres[None, :, :]) ** 2, axis=2)
    K = np.exp(-gamma * d2)
    return np.sum(K @ np.ones(centres.shape[0]))


def kl_categorical(logits_p, logits_q):
    p = np.exp(logits_p - logsumexp(logits_p))
    return np.sum(p * (logits_p - logsumexp(logits_p) - logits_q + logsumexp(logits_q)))


def list_append_arrays(x):
    parts = []
    for i in range(3):
        parts.append(np.sin(x * (i + 1)))
    return np.sum(np.stack(parts) ** 2)


def list_of_arrays_sum(x):
    parts = [x * i for i in range(1, 4)]
    total = sum(parts)
    return np.sum(total ** 2)


def gauss_legendre(a):
    return sum(w * math.exp(-a * x * x) for x, w in zip(NODES, WEIGHTS))


def secant_root(c):
    x0, x1 = 0.0, 1.0
    f0 = x0 ** 3 + c * x0 - 1.0
    f1 = x1 ** 3 + c * x1 - 1.0
    while abs(f1) > 1e-12:
        x0, x1 = x1, x1 - f1 * (x1 - x0) / (f1 - f0)
        f0, f1 = f1, x1 ** 3 + c * x1 - 1.0
    return x1


def tuple_state_ode(k, x0):
    state = (x0, 0.0)
    dt = 0.05
    for _ in range(20):
        x, v = state
        a = -k * x - 0.1 * v
        state = (x + dt * v, v + dt * a)
    x, v = state
    return x * x + v * v


def fast_power(x, n):
    if n == 0:
        return 1.0
    half = fast_power(x, n // 2)
    if n % 2 == 0:
        return half * half
    return half * half * x


@dataclass
class Line:
    slope: float
    intercept: float

    def predict(self, x):
        return self.slope * x + self.intercept


def dataclass_method_loss(line, xs, ys):
    return sum((line.predict(x) - y) ** 2 for x, y in zip(xs, ys))


class Circuit:
    R = 2.0

    @staticmethod
    def power(i, r):
        return i * i * r

    def total(self, i1, i2):
        return self.power(i1, self.R) + Circuit.power(i2, 3.0)


class Spring:
    def __init__(self, k):
        self.k = k

    @property
    def stiffness(self):
        return 2.0 * self.k

    def energy(self, x):
        return 0.5 * self.stiffness * x * x


def namedtuple_loss(p, x):
    return np.sum(np.tanh(p.w * x + p.b) ** 2)


def nested_tuple_param(pair, x):
    (a, b), c = pair
    return a * x + b * x ** 2 + c


def dict_of_lists(p, x):
    return sum(c * x ** i for i, c in enumerate(p["coeffs"])) + p["bias"]


def chained_helpers(x):
    return outer_helper(x) + 1.0


def outer_helper(x):
    return inner_helper(x) * math.cos(x)


def inner_helper(x):
    return math.exp(x) if x < 1.0 else x * math.e


def default_mutable_list(x, coeffs=[1.0, 2.0, 3.0]):
    return sum(c * x ** i for i, c in enumerate(coeffs))


def abs_min_max_mixed(x, y):
    return abs(x - y) + min(x, y, 0.5) * max(abs(x), abs(y))


def integer_division_index(xs):
    mid = len(xs) // 2
    return xs[mid] ** 2 + xs[-mid] * xs[0]


def float_range_loop(h):
    t = 0.0
    total = 0.0
    while t < 1.0:
        total += math.sin(t) * h
        t += h
    return total


def string_mode(x, kind="l2"):
    if kind == "l1":
        return abs(x)
    elif kind == "l2":
        return x * x
    raise ValueError(f"unknown kind {kind!r}")


def early_exit_loop(xs, limit):
    total = 0.0
    for x in xs:
        total += x * x
        if total > limit:
            return limit + math.log(total - limit + 1.0)
    return total


def sum_of_squares_enumerate_start(xs):
    return sum(i * x * x for i, x in enumerate(xs, start=1))


def pow_builtin(x, y):
    return pow(x, 3) + pow(y, 0.5) * pow(2.0, x)


def math_functions_zoo(x):
    return (math.erf(x) + math.expm1(x) + math.log10(1 + x * x) + math.log2(2 + x) +
            math.atan(x) + math.asinh(x) + math.sinh(x) + math.cosh(x) / 3 + math.log(2 + x, 3))


CIRCUIT = Circuit()
SPRING = Spring(1.5)
Params = namedtuple("Params", ["w", "b"])


def sin_cubed(x):
    return math.sin(x) * x ** 3


SIN_CUBED_SLOPE = grad(sin_cubed)


def slope_penalty(a):
    """A gradient made at module level, called inside another differentiated function."""
    d = SIN_CUBED_SLOPE(a)
    return d * d + a


def tanh_energy(x):
    return np.sum(np.tanh(x) ** 2)


TANH_ENERGY_GRADIENT = grad(tanh_energy)


def gradient_penalty(v):
    return np.sum(TANH_ENERGY_GRADIENT(v) ** 2)


# --- fourth batch: nested control flow whose bounds come from before the loops ---------

def nested_while_in_for(x):
    limit = 3 * 1
    tol = 0.5 ** 2
    s = 0.0
    for _ in range(2):
        k = 0
        while k < limit:
            s = s + math.sin(x * k)
            k += 1
        if s > tol:
            s = s * 0.9
    return s

def if_head_in_loop_np(x):
    m = x.shape[0]
    half = m // 2
    out = 0.0
    for _ in range(2):
        for i in range(m):
            if i < half:
                out = out + np.sum(x[i] ** 2)
            else:
                out = out - np.sum(x[i])
    return out

def break_in_inner(x):
    n = len(x)
    cap = 1.5 + 0.0
    total = 0.0
    for t in range(3):
        for i in range(n):
            total = total + x[i] * (t + 1)
            if total > cap:
                break
    return total

def while_head_np(x):
    n = x.shape[0]
    thresh = 0.01 * n
    y = x.copy()
    for _ in range(2):
        it = 0
        while np.max(np.abs(y)) > thresh and it < 20:
            y = 0.5 * y
            it += 1
    return np.sum(y)

def triple_nested(A):
    n, m = A.shape
    s = 0.0
    for _ in range(2):
        for i in range(n):
            for j in range(m):
                s = s + A[i, j] ** 2 * (i + j)
    return s

def nested_helper_bound(x):
    count = helper_count(x)
    s = 0.0
    for _ in range(2):
        for i in range(count):
            s = s + x[i] ** 3
    return s

def helper_count(x):
    return len(x) - 1

def comprehension_in_loop(xs):
    n = len(xs)
    s = 0.0
    for t in range(2):
        s = s + sum(xs[i] * (t + i) for i in range(n))
    return s * s

def range_start_step(x):
    lo = 1
    hi = x.shape[0]
    step = 2
    s = 0.0
    for _ in range(2):
        for i in range(lo, hi, step):
            s = s + np.sum(x[i] ** 2)
    return s


# --- the table -------------------------------------------------------------------------

@dataclass
class Program:
    function: object
    args: tuple
    wrt: object = None              # as grad's wrt
    label: str = ""

    @property
    def name(self):
        return self.label or self.function.__name__


U = np.sin(np.linspace(0.0, 3.0, 9)) + 0.1 * RNG.normal(size=9)

PROGRAMS = [
    Program(newton_cube_root, (5.0,), wrt="a"),
    Program(newton_while_tolerance, (3.0,), wrt="a"),
    Program(rk4_decay, (0.8, 1.5), wrt=("k", "y0")),
    Program(leapfrog_oscillator, (2.0, 1.0, 0.3), wrt=("omega", "x0", "v0")),
    Program(laplacian_energy, (U,), wrt="u"),
    Program(stencil_with_loop, (U,)),
    Program(horner, ([2.0, -1.0, 0.5, 3.0], 0.7)),
    Program(softplus_stable, (1.3,), label="softplus_stable_positive"),
    Program(softplus_stable, (-0.7,), label="softplus_stable_negative"),
    Program(logsumexp_array, (RNG.normal(size=6),)),
    Program(piecewise_cubic, (-1.5,), label="piecewise_left"),
    Program(piecewise_cubic, (0.4,), label="piecewise_middle"),
    Program(piecewise_cubic, (2.5,), label="piecewise_right"),
    Program(simpson_integral, (0.7, 1.3), wrt=("a", "b")),
    Program(fixed_point_cosine, (0.9,), wrt="c"),
    Program(logistic_regression_l2, (0.3 * RNG.normal(size=3), 0.1), wrt=("w", "b")),
    Program(softmax_xent_onehot, (0.5 * RNG.normal(size=(3, 3)),), wrt="W"),
    Program(mlp_dict_params, ({"W1": 0.5 * RNG.normal(size=(3, 4)), "b1": np.zeros(4),
                               "W2": 0.5 * RNG.normal(size=(4, 1)), "b2": np.array([0.1])},
                              FEATURES, TARGETS[:, None]), wrt="params"),
    Program(mlp_list_layers, ([(0.5 * RNG.normal(size=(3, 4)), 0.1 * RNG.normal(size=4)),
                               (0.5 * RNG.normal(size=(4, 2)), 0.1 * RNG.normal(size=2))],
                              FEATURES), wrt="layers"),
    Program(batch_norm_by_hand, (RNG.normal(size=(6, 3)), 1.0 + 0.1 * RNG.normal(size=3),
                                 0.1 * RNG.normal(size=3)), wrt=("x", "gamma", "beta")),
    Program(attention_scores, (RNG.normal(size=(4, 3)), RNG.normal(size=(5, 3)),
                               RNG.normal(size=(5, 2)))),
    Program(hinge_with_where, (0.4 * RNG.normal(size=3),), wrt="w"),
    Program(clipped_regression, (0.4 * RNG.normal(size=3),), wrt="w"),
    Program(concat_features, (0.4 * RNG.normal(size=6),), wrt="w"),
    Program(stack_and_reshape, (RNG.normal(size=4), RNG.normal(size=4))),
    Program(einsum_bilinear, (RNG.normal(size=(3, 4)), RNG.normal(size=3), RNG.normal(size=4))),
    Program(masked_mse, (RNG.normal(size=7), RNG.normal(size=7),
                         np.array([1.0, 0.0, 1.0, 1.0, 0.0, 1.0, 1.0])), wrt=("pred", "target")),
    Program(gravitational_potential, (RNG.normal(size=(4, 3)), np.array([1.0, 2.0, 0.5, 1.5]))),
    Program(lennard_jones, (np.array([[0.0, 0.0, 0.0], [1.1, 0.0, 0.0], [0.0, 1.2, 0.1],
                                      [1.0, 1.0, 0.9]]),), wrt="coords"),
    Program(spring_mass_energy, ([0.0, 1.2, 2.1, 3.3], [0.1, -0.3, 0.2, 0.5])),
    Program(projectile_with_drag, (12.0, 0.7), wrt=("v0", "angle")),
    Program(normal_nll, (0.2, -0.3, TARGETS), wrt=("mu", "log_sigma")),
    Program(poisson_nll, (0.4,), wrt="log_rate"),
    Program(weighted_mean_variance, (RNG.normal(size=5), [0.5, 1.0, 2.0, 1.5, 0.3]),
            wrt="values"),
    Program(student_t_nll, (0.1, 1.3), wrt=("loc", "scale")),
    Program(augmented_slices, (RNG.normal(size=5),)),
    Program(lambdas_in_variables, (0.7, -0.4)),
    Program(closure_over_array, (RNG.normal(size=3),)),
    Program(early_return_guard, (1.2, 0.8), label="early_return_guard_positive"),
    Program(early_return_guard, (-1.2, 0.8), label="early_return_guard_negative"),
    Program(keyword_calls_module_helper, (0.8, 1.3)),
    Program(tuple_returns, (0.6,)),
    Program(generator_expression_sum, ([0.5, -1.0, 2.0, 0.3],)),
    Program(list_comprehension_products, ([0.5, -1.0, 2.0], [0.3, 0.2, -0.1])),
    Program(dataclass_loss, (LinearModel(RNG.normal(size=3), 0.2), FEATURES, TARGETS),
            wrt="model"),
    Program(POLY.loss, ([0.1, -0.5, 0.3], [0.0, 0.5, 1.0, 1.5], [1.0, 0.2, -0.3, 0.8]),
            wrt="coeffs"),
    Program(integer_steps, (1.2, 5), wrt="x"),
    Program(helper_given_a_list, ([0.1, -0.5, 0.3], [0.0, 0.5, 1.0, 1.5], [1.0, 0.2, -0.3, 0.8]),
            wrt="coeffs"),
    Program(helper_given_a_list_twice, ([0.1, -0.5, 0.3], 0.8), wrt="coeffs"),
    Program(helper_given_a_list_twice, ((0.1, -0.5, 0.3), 0.8), wrt="coeffs",
            label="helper_given_a_tuple_twice"),
    Program(helper_passing_the_list_on, ([0.1, -0.5, 0.3], 0.4)),
    Program(math_numpy_mixed, (0.7, -0.3)),
]

SPD = np.array([[2.0, 0.3, 0.1], [0.3, 1.5, -0.2], [0.1, -0.2, 1.8]])
PROGRAMS += [
    Program(iir_filter, (RNG.normal(size=6), 0.6)),
    Program(leaky_relu_net, (RNG.normal(size=(3, 2)),), wrt="W"),
    Program(reversed_and_strided, (RNG.normal(size=7),)),
    Program(gram_trace, (RNG.normal(size=(4, 3)),)),
    Program(outer_energy, (RNG.normal(size=3), RNG.normal(size=4))),
    Program(einsum_batch, (RNG.normal(size=(2, 3, 4)), RNG.normal(size=(2, 4, 2)))),
    Program(norm_penalty, (RNG.normal(size=5),), wrt="w"),
    Program(gp_negative_log_likelihood, (0.2, -1.0), wrt=("log_ell", "log_noise")),
    Program(kalman_like, (0.3, 0.5), wrt=("q", "r")),
    Program(three_d_means, (RNG.normal(size=(2, 3, 4)),)),
    Program(power_with_array_exponent, (np.abs(RNG.normal(size=4)) + 0.5,
                                        np.array([1.5, 2.0, 0.5, 3.0]))),
    Program(softmax_last_axis, (RNG.normal(size=(3, 4)),)),
    Program(abs_and_sqrt, (RNG.normal(size=5),)),
    Program(log_cosh_loss, (RNG.normal(size=5), RNG.normal(size=5)), wrt="pred"),
    Program(cumulative_returns, (0.05 * RNG.normal(size=6),)),
    Program(finite_difference_gradient_penalty, (U,), wrt="u"),
    Program(inverse_and_det, (SPD,)),
    Program(parameter_check_raises, (0.7, 1.9)),
    Program(while_with_counter_and_break, (0.8,)),
    Program(module_helper_early_return, ([0.3, 1.7, -2.0, -0.4],)),
    Program(raise_in_else_arm, (2.0,)),
    Program(loop_over_values, ({"w": np.array([0.5, -1.0]), "b": np.array([0.3])},)),
    Program(raise_in_numpy_loop, (np.array([0.1, 0.2, 0.3]), 3), wrt="x"),
    Program(l2_over_params_items, ({"a": 0.5, "b": -1.0, "c": 0.3}, 1.2), wrt="params"),
    Program(nested_dataclass_net, (Net(Layer(RNG.normal(size=(3, 4)), RNG.normal(size=4)),
                                       Layer(RNG.normal(size=(4, 2)), RNG.normal(size=2))),
                                   FEATURES), wrt="net"),
    Program(QUADRATIC.objective, (RNG.normal(size=3),)),
    Program(float_and_int_conversions, (1.3, 8), wrt="x"),
    Program(tuple_unpacking_swap, (0.4, 1.1)),
    Program(chained_comparison_piecewise, (0.5,), label="chained_first"),
    Program(chained_comparison_piecewise, (1.5,), label="chained_second"),
    Program(chained_comparison_piecewise, (2.5,), label="chained_third"),
    Program(min_max_builtins, (0.3, 1.2, -0.4)),
    Program(matrix_power_loop, (0.5 * RNG.normal(size=(3, 3)),), wrt="A"),
    Program(running_product, (np.array([0.5, 1.5, -0.7]),)),
    Program(pair_forces, (np.array([[0.0, 0.1], [1.0, -0.2], [0.3, 0.9]]),
                          np.array([[0.1, 0.0], [0.0, 0.2], [-0.1, 0.1]]), 1.5),
            wrt=("pos0", "vel0", "k")),
    Program(sweeps_of_a_scalar_grid, ([0.5, -0.2, 0.3],), wrt="xs"),

    Program(squared_recurrence, (np.array([0.5, 1.5, -0.7]),)),
    Program(continued_fraction, (np.array([0.5, 1.5, -0.7]),)),
    Program(decay_in_place, (np.array([0.5, 1.5, -0.7]), 0.3)),
]

# Written as users write them, refused with a clear error: (program, the construct named)
REFUSED = [
    (Program(zip_and_reversed, ([1.0, 2.0, 3.0], [0.5, -1.0, 2.0])), "reversed(ys)"),
    (Program(keyword_calls, (0.8, 1.3)), "keyword-only parameters"),
    (Program(nested_helper_early_return, ([0.3, 1.7, -2.0, -0.4],)),
     "statements other than assignments and a final return"),
    (Program(always_raises, (1.0,)), "`raise` statement that always runs"),
    (Program(stale_view_after_write, (RNG.normal(size=(3, 2)),)), "writes in place"),
]
# a row read after a write outside loops: exact (tests/test_writes_then_views.py)
PROGRAMS += [Program(per_row_gains, (RNG.normal(size=(3, 2)), np.array([0.5, 2.0, -1.0])))]



# --- backends: the user's signature (defaults, keywords, keyword-only) --------------------

def damped_map(x, n=3, scale=2.0):
    for _ in range(n):
        x = math.sin(x) * scale
    return x


def scaled_keyword_only(x, *, scale=2.0, power=2):
    return scale * x ** power


def damped_map_numpy(x, n=3, scale=2.0):
    for _ in range(n):
        x = np.sin(x) * scale
    return np.sum(x)


def numpy_keyword_only(x, *, scale=2.0):
    return np.sum(scale * x ** 2)

R3 = np.random.default_rng(7)
PROGRAMS += [
    Program(nested_lists, ([[0.5, -1.0], [2.0, 0.3, 0.1]],)),
    Program(dict_built_inside, (0.5, 1.2)),
    Program(inner_break, ([0.5, 1.0, -2.0, 0.3],)),
    Program(unrolled_gd, (np.array([0.1, -0.2]), np.array([[1.0, 0.5], [0.2, -1.0], [0.3, 0.3]]),
                          np.array([1.0, 0.0, 2.0])), wrt="w0"),
    Program(branch_on_element, (np.array([0.5, -1.0, 2.0]),)),
    Program(with_continue, ([0.5, 0.1, -2.0, 0.3],)),
    Program(enumerate_zip, ([0.5, 0.1, -2.0], [1.0, 2.0, 3.0])),
    Program(conditional_expression, (0.5, 0.2), label="conditional_expression_first"),
    Program(conditional_expression, (-0.5, 0.2), label="conditional_expression_second"),
    Program(output_named_like_param, (0.4,)),
    Program(user_names_like_adjoints, (0.4, 1.3)),
    Program(sum_with_start, ([0.5, 0.1, -2.0],)),
    Program(reassign_param_numpy, (np.array([0.5, 0.1]), np.array([[1.0, 0.5], [0.2, -1.0]])),
            wrt="w"),
    Program(bool_mult_numpy, (np.array([0.5, -0.1, 2.0]),)),
    Program(negative_base_powers, (-0.7,)),
    Program(nested_function_closure_loop, ([0.5, 0.1, -2.0], 1.5)),
    Program(tuple_helper_in_loop, ([0.5, 0.1, -2.0],)),
    Program(two_d_array_loop_assign, (np.array([[0.5, 0.1], [-2.0, 0.3]]),)),
    Program(while_array_state, (np.array([0.5, -0.8]),)),
    Program(stacked_list_of_params, (0.7, 0.2, -0.4)),
    Program(array_from_list_of_arrays, (np.array([0.7, 0.2]), np.array([0.1, -0.4]))),
    Program(matmul_chain_shapes, (np.array([[0.7, 0.2], [0.1, -0.4]]), np.array([0.3, 0.9]))),
    Program(xent_int_labels, (R3.normal(size=(2, 3)), R3.normal(size=(4, 2))), wrt="W"),
    Program(take_along, (R3.normal(size=(2, 3)), R3.normal(size=(4, 2))), wrt="W"),
    Program(onehot_eye, (0.3 * R3.normal(size=(2, 3)), R3.normal(size=(4, 2))), wrt="W"),
    Program(pairwise_offdiag, (R3.normal(size=(4, 2)),)),
    Program(batch_matmul, (R3.normal(size=(2, 3, 4)), R3.normal(size=(2, 4, 2)))),
    Program(einsum_rowdot, (R3.normal(size=(3, 3)), R3.normal(size=(3, 3)))),
    Program(solve_2d_rhs, (2.0 * np.eye(3) + 0.1 * R3.normal(size=(3, 3)), R3.normal(size=(3, 2)))),
    Program(accumulate_rows, (R3.normal(size=(3, 2)),)),
    Program(negative_axes, (R3.normal(size=(2, 3, 4)),)),
    Program(mixed_scalar_array, (np.array([0.3, 0.4]), 0.1)),
    Program(stack_axis1, (np.array([0.3, 0.4, -1.0]), np.array([0.1, 0.2, 0.5]))),
    Program(huber_where, (np.array([0.3, -0.9, 0.1, 2.0]),), wrt="r"),
    Program(sigmoid_bce_logits, (np.array([0.3, -0.9, 0.1, 2.0]), np.array([1.0, 0.0, 1.0, 0.0])),
            wrt="z"),
    Program(arange_weights, (np.array([0.3, -0.9, 0.1, 2.0]),)),
    Program(reshape_transpose_3d, (R3.normal(size=12),)),
    Program(swap_axes, (R3.normal(size=(3, 3)),)),
    Program(rbf_vectorised, (R3.normal(size=(2, 3)), R3.normal(size=(4, 3))), wrt="centres"),
    Program(kl_categorical, (np.array([0.3, -0.9, 0.1]), np.array([0.2, 0.1, -0.5]))),
    Program(gauss_legendre, (0.7,)),
    Program(secant_root, (0.5,)),
    Program(tuple_state_ode, (2.0, 1.0)),
    Program(fast_power, (1.3, 7), wrt="x"),
    Program(CIRCUIT.total, (0.7, 1.2)),
    Program(SPRING.energy, (0.7,)),
    Program(namedtuple_loss, (Params(np.array([0.5, -0.2]), 0.1), np.array([1.0, 2.0])), wrt="p"),
    Program(nested_tuple_param, (((0.5, -0.2), 0.1), 0.7), wrt="pair"),
    Program(dict_of_lists, ({"coeffs": [0.5, -0.2, 0.3], "bias": 0.1}, 0.7), wrt="p"),
    Program(chained_helpers, (0.4,), label="chained_helpers_below"),
    Program(chained_helpers, (1.4,), label="chained_helpers_above"),
    Program(default_mutable_list, (0.7,)),
    Program(abs_min_max_mixed, (0.7, -0.3)),
    Program(integer_division_index, ([0.5, -0.2, 0.3, 0.9, 1.1],)),
    Program(float_range_loop, (0.13,)),
    Program(string_mode, (0.7,)),
    Program(early_exit_loop, ([0.5, -0.2, 0.3, 0.9, 1.1], 0.5), wrt="xs",
            label="early_exit_loop_exits"),
    Program(early_exit_loop, ([0.5, -0.2, 0.3, 0.9, 1.1], 5.0), wrt="xs",
            label="early_exit_loop_runs_through"),
    Program(sum_of_squares_enumerate_start, ([0.5, -0.2, 0.3],)),
    Program(pow_builtin, (0.7, 1.3)),
    Program(math_functions_zoo, (0.7,)),
    Program(slope_penalty, (0.7,)),
]
PROGRAMS += [Program(max_with_key, ([0.5, 0.1, -2.0],))]      # key=abs: supported now
# the second write's view only adds into a new value (alias_passes.EachPass.sums): exact now
PROGRAMS += [Program(scale_columns_then_rows, (RNG.normal(size=(3, 2)),))]
# np.stack of a list built by appends: its adjoint split back into the list's (joins.py)
PROGRAMS += [Program(list_append_arrays, (np.array([0.3, -0.9]),))]
# sum() of a list of arrays starts from 0, as zeros (kind_errors.py)
PROGRAMS += [Program(list_of_arrays_sum, (np.array([0.3, -0.9]),))]
REFUSED += [
    (Program(gradient_penalty, (np.array([0.3, -0.2]),)), "hessian"),
]

PROGRAMS += [
    Program(nested_while_in_for, (0.7,)),
    Program(if_head_in_loop_np, (np.array([0.3, -0.2, 0.5, 0.9]),)),
    Program(break_in_inner, ([0.3, 0.5, 0.4],), label="break_in_inner_list"),
    Program(break_in_inner, (np.array([0.3, 0.5, 0.4]),), label="break_in_inner_array"),
    Program(while_head_np, (np.array([0.3, -0.2, 0.5]),)),
    Program(triple_nested, (np.array([[0.3, -0.2], [0.5, 0.9]]),)),
    Program(nested_helper_bound, (np.array([0.3, -0.2, 0.5]),), label="nested_helper_bound_array"),
    Program(nested_helper_bound, ([0.3, -0.2, 0.5],), label="nested_helper_bound_list"),
    Program(comprehension_in_loop, ([0.3, -0.2, 0.5],)),
    Program(range_start_step, (np.array([0.3, -0.2, 0.5, 0.9, 1.2]),)),
]


def power_times_exponent(x, m):
    """A recursive helper given a float exponent: its pullback along (x, n) calls the
    pullback along x alone (n // 2 is not varied), which had the same name and so called
    itself (a raw TypeError `float += tuple`)."""
    return fast_power(x, m) * m


PROGRAMS += [Program(power_times_exponent, (1.3, 7.0))]

# a loop over a tuple of keys is unrolled, a method of a dataclass parameter inlined
# (s2sdiff/tree_idioms.py)
PROGRAMS += [
    Program(loop_over_key_tuple, ({"w": np.array([0.5, -1.0]), "b": np.array([0.3])},)),
    Program(dataclass_method_loss, (Line(0.5, -0.2), [0.0, 1.0, 2.0], [0.1, 0.4, 1.2]),
            wrt="line"),
]
