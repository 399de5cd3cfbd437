"""Programs for the third hunt (tests/test_user_programs_hunt3.py): the transformations
other than grad.  Functions with several outputs (vjp with cotangents, jacobians),
losses returning auxiliary values (has_aux=True), loops for checkpoint=, and scalar
functions with loops, branches, helpers, dicts and NumPy reductions for hessian."""

import math
from dataclasses import dataclass

import numpy as np

R = np.random.default_rng(33)
DESIGN = R.normal(size=(6, 3))
LABELS = DESIGN @ np.array([0.4, -0.8, 1.1]) + 0.05 * R.normal(size=6)


# --- several outputs: vjp with cotangents, jacobians --------------------------------------

def projectile_state(v0, angle, steps=15, dt=0.05):
    """Explicit Euler with drag; returns the final (x, y, speed)."""
    x, y = 0.0, 0.0
    vx, vy = v0 * math.cos(angle), v0 * math.sin(angle)
    for _ in range(steps):
        speed = math.sqrt(vx * vx + vy * vy)
        vx = vx - dt * 0.1 * speed * vx
        vy = vy - dt * (9.81 + 0.1 * speed * vy)
        x = x + dt * vx
        y = y + dt * vy
    return x, y, math.sqrt(vx * vx + vy * vy)


def polar_to_cartesian(r, theta):
    return r * math.cos(theta), r * math.sin(theta)


def softmax_vector(z):
    e = np.exp(z - np.max(z))
    return e / np.sum(e)


def residuals(w, X=DESIGN, y=LABELS):
    return X @ w - y


def mean_and_spread(x):
    m = np.mean(x)
    return m, np.sqrt(np.mean((x - m) ** 2))


def rotate_and_scale(p, angle, scale):
    c, s = np.cos(angle), np.sin(angle)
    rotation = np.array([[c, -s], [s, c]])
    return scale * (rotation @ p)


def cumulative_discount(rewards, gamma):
    out = np.zeros_like(rewards)
    running = 0.0
    for t in range(rewards.shape[0] - 1, -1, -1):
        running = rewards[t] + gamma * running
        out[t] = running
    return out


# --- has_aux: a loss and what else the training loop wants ------------------------------

def loss_with_predictions(w, X=DESIGN, y=LABELS):
    pred = X @ w
    loss = np.mean((pred - y) ** 2)
    return loss, pred


def loss_with_metrics(w, b, X=DESIGN, y=LABELS):
    pred = X @ w + b
    err = pred - y
    mse = np.mean(err ** 2)
    mae = np.mean(np.abs(err))
    return mse + 0.01 * np.sum(w ** 2), {"mse": mse, "mae": mae}


def scalar_loss_with_count(x, y):
    total = 0.0
    count = 0
    for k in range(4):
        term = math.sin(x * k) * y
        if term > 0.0:
            total += term ** 2
            count += 1
    return total, count


def branchy_loss_aux(x):
    if x > 0.5:
        return x ** 3, (x, 1.0)
    return math.exp(x), (x, 0.0)


# --- checkpoint=: loops with a known trip count ------------------------------------------

def logistic_map(r, x0, n=30):
    x = x0
    for _ in range(n):
        x = r * x * (1.0 - x)
    return x


def damped_pendulum(theta0, omega0, damping, n=40, dt=0.05):
    theta, omega = theta0, omega0
    for _ in range(n):
        omega = omega - dt * (math.sin(theta) + damping * omega)
        theta = theta + dt * omega
    return theta ** 2 + 0.5 * omega ** 2


def heat_rod(u0, kappa, n=12):
    u = u0
    for _ in range(n):
        lap = np.zeros_like(u)
        lap[1:-1] = u[:-2] - 2.0 * u[1:-1] + u[2:]
        u = u + kappa * lap
    return np.sum(u ** 2)


# --- hessian: loops, branches, helpers, dicts, NumPy reductions ------------------------

def _smooth_abs(v, eps=1e-2):
    return math.sqrt(v * v + eps)


def helper_in_loop(x, y):
    total = 0.0
    for k in range(1, 4):
        total += _smooth_abs(x - k * y) / k
    return total + x * y


def branch_then_loop(x, y):
    if x * y > 0.0:
        s = x ** 2 * y
    else:
        s = math.exp(x) - y ** 3
    for _ in range(3):
        s = math.sin(s) + 0.5 * x
    return s


def while_with_damping(a):
    x = a
    k = 0
    while k < 5:
        x = x - 0.2 * (x ** 3 - a)
        k += 1
    return x * a


def dict_params_scalar(params, x):
    return params["a"] * math.sin(params["b"] * x) + params["c"] * x ** 2


def dict_params_numpy(params, X=DESIGN):
    h = np.tanh(X @ params["w"] + params["b"])
    return np.sum(h ** 2) + 0.1 * np.sum(params["w"] ** 4)


def reductions_mix(x):
    return np.log(np.sum(np.exp(x))) + np.mean(x ** 3) - np.var(x) + np.max(x ** 2)


def norm_and_prod(x):
    return np.linalg.norm(x) ** 3 + np.prod(x[:2]) * np.sum(np.cos(x))


def numpy_loop_accumulate(x, n=3):
    acc = 0.0
    for k in range(n):
        acc = acc + np.sum(np.sin((k + 1.0) * x)) * np.mean(x)
    return acc


def softplus_branch_numpy(x):
    z = np.sum(x ** 2)
    if z > 1.0:
        return np.log1p(np.exp(z - 1.0)) * np.sum(x)
    return z * np.sum(x)


@dataclass
class Coefficients:
    a: float
    b: float


def dataclass_scalar(c, x):
    return c.a * x ** 3 + math.cos(c.b * x) * c.a


def nested_helpers(x, y):
    def inner(u):
        return u * math.tanh(u)

    def outer(u, v):
        return inner(u) + inner(v) * u
    return outer(x, y) + outer(y, x)


# --- the bugs this hunt fixed --------------------------------------------------------

def shifted_square(x):
    """`x += 1.0` writes into the caller's array: vjp must take its pullback at the
    point given, not at the array the call wrote into."""
    x += 1.0
    x *= x
    return np.sum(x)


def calls_shifted_square(x):
    return shifted_square(x) * 2.0


def add_then_double(a, b):
    a += b
    a *= 2.0
    return a


def scalar_caller(x, y):
    """A helper doing `a += b` on numbers: not a write into the caller's values."""
    return math.sin(add_then_double(x, y)) + x


def horner_and_slope(coefficients, x):
    value, slope = 0.0, 0.0
    for c in coefficients:
        slope = slope * x + value
        value = value * x + c
    return value, slope
