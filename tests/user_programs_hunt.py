"""More programs written the way users write them (textbook numerics, ML, physics,
statistics), each with a point and the parameters to differentiate.
tests/test_user_programs_hunt.py checks every gradient against central differences
taken there, leaf by leaf for dicts, lists and dataclasses."""

import math
from dataclasses import dataclass

import numpy as np

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

# Written as users write them, refused with a clear error: (program, the construct named)
REFUSED = [
    (Program(zip_and_reversed, ([1.0, 2.0, 3.0], [0.5, -1.0, 2.0])), "reversed(ys)"),
    (Program(keyword_calls, (0.8, 1.3)), "keyword-only parameters"),
]
