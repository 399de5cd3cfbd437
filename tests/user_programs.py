"""Programs written the way users write them: ported from public examples (autograd's
examples, JAX tutorials written in plain NumPy, textbook exercises), each with a point
and the parameters to differentiate.  tests/test_user_programs.py checks every one's
gradient against central differences computed here, not by s2sdiff."""

import math
from dataclasses import dataclass

import numpy as np

RNG = np.random.default_rng(0)

# --- data kept in globals, as scripts do -----------------------------------------------

X_TRAIN = RNG.normal(size=(30, 4))
Y_TRAIN = (X_TRAIN @ np.array([1.0, -2.0, 0.5, 0.0]) > 0).astype(float)
TIMES = np.linspace(0.0, 1.0, 12)
OBSERVED = np.exp(-1.3 * TIMES) + 0.01 * RNG.normal(size=12)


# --- regression and classification (autograd: logistic_regression.py) ------------------

def sigmoid(z):
    return 0.5 * (np.tanh(z / 2.0) + 1.0)


def logistic_predictions(weights, inputs):
    return sigmoid(np.dot(inputs, weights))


def logistic_loss(weights):
    preds = 1.0 / (1.0 + np.exp(-(X_TRAIN @ weights)))
    label_probabilities = preds * Y_TRAIN + (1 - preds) * (1 - Y_TRAIN)
    return -np.sum(np.log(label_probabilities))


def ridge(w, X, y, lam=0.1):
    r = X @ w - y
    return 0.5 * np.dot(r, r) / len(y) + lam * np.sum(w ** 2)


def huber(w, X, y, delta=1.0):
    r = X @ w - y
    a = np.abs(r)
    quad = np.minimum(a, delta)
    lin = a - quad
    return np.mean(0.5 * quad ** 2 + delta * lin)


def softmax_cross_entropy(W, X, labels):
    logits = X @ W
    logits = logits - np.max(logits, axis=1, keepdims=True)
    log_probs = logits - np.log(np.sum(np.exp(logits), axis=1, keepdims=True))
    return -np.mean(np.sum(log_probs * labels, axis=1))


def poisson_regression(beta, X, counts):
    eta = X @ beta
    return np.sum(np.exp(eta) - counts * eta)


def hinge_svm(w, b, X, y, C=1.0):
    margins = y * (X @ w + b)
    return 0.5 * np.dot(w, w) + C * np.sum(np.maximum(0.0, 1.0 - margins))


# --- neural networks with separate parameters (autograd: neural_net.py) -----------------

def mlp_loss(W1, b1, W2, b2, X, y):
    hidden = np.tanh(X @ W1 + b1)
    out = hidden @ W2 + b2
    return np.mean((out.ravel() - y) ** 2)


def relu_net(W1, W2, X):
    h = np.maximum(X @ W1, 0.0)
    return np.sum((h @ W2) ** 2)


def log_sum_exp(x):
    m = np.max(x)
    return m + np.log(np.sum(np.exp(x - m)))


def layer_norm(x, gamma, beta):
    mu = np.mean(x)
    var = np.mean((x - mu) ** 2)
    xhat = (x - mu) / np.sqrt(var + 1e-5)
    return np.sum((gamma * xhat + beta) ** 2)


def rnn_unrolled(Wx, Wh, xs):
    h = np.zeros(3)
    for t in range(xs.shape[0]):
        h = np.tanh(Wx @ xs[t] + Wh @ h)
    return np.sum(h ** 2)


# --- statistics (autograd: gaussian_process.py, gmm.py, black_box_svi.py) --------------

def gaussian_log_likelihood(mu, log_sigma, data):
    sigma = np.exp(log_sigma)
    z = (data - mu) / sigma
    return np.sum(-0.5 * z ** 2 - log_sigma - 0.5 * math.log(2 * math.pi))


def mixture_log_likelihood(means, log_weights, data):
    weights = np.exp(log_weights) / np.sum(np.exp(log_weights))
    total = 0.0
    for k in range(2):
        total = total + weights[k] * np.exp(-0.5 * (data - means[k]) ** 2)
    return np.sum(np.log(total))


def kl_diag_gaussians(mu, log_var):
    return 0.5 * np.sum(np.exp(log_var) + mu ** 2 - 1.0 - log_var)


def elbo_reparam(mean, log_std, eps):
    samples = mean + np.exp(log_std) * eps
    log_p = -0.5 * np.sum(samples ** 2, axis=1)
    entropy = np.sum(log_std)
    return np.mean(log_p) + entropy


def rbf_kernel_sum(lengthscale, X):
    sq = np.sum(X ** 2, axis=1)
    d2 = sq[:, None] + sq[None, :] - 2.0 * X @ X.T
    return np.sum(np.exp(-0.5 * d2 / lengthscale ** 2))


def exponential_fit(rate, amplitude):
    model = amplitude * np.exp(-rate * TIMES)
    return np.sum((model - OBSERVED) ** 2)


# --- scalar code: physics, finance, textbook exercises ---------------------------------

def projectile_range(v, angle):
    g = 9.81
    return v * v * math.sin(2.0 * angle) / g


def pendulum_energy(theta, omega, length=1.0):
    g = 9.81
    return 0.5 * length ** 2 * omega ** 2 + g * length * (1.0 - math.cos(theta))


def euler_decay(k, y0):
    y = y0
    dt = 0.1
    for _ in range(20):
        y = y - dt * k * y
    return y


def spring_simulation(k, damping):
    x, v = 1.0, 0.0
    dt = 0.05
    for step in range(40):
        a = -k * x - damping * v
        v = v + dt * a
        x = x + dt * v
    return x * x + v * v


def black_scholes_call(S, K, T, r, sigma):
    d1 = (math.log(S / K) + (r + 0.5 * sigma ** 2) * T) / (sigma * math.sqrt(T))
    d2 = d1 - sigma * math.sqrt(T)
    cdf = lambda z: 0.5 * (1.0 + math.erf(z / math.sqrt(2.0)))  # noqa: E731
    return S * cdf(d1) - K * math.exp(-r * T) * cdf(d2)


def compound_interest(rate, years):
    balance = 100.0
    for year in range(int(years)):
        balance *= 1.0 + rate
    return balance


def newton_sqrt(a):
    x = a
    for _ in range(8):
        x = 0.5 * (x + a / x)
    return x


def rosenbrock(x, y):
    return (1.0 - x) ** 2 + 100.0 * (y - x * x) ** 2


def rosenbrock_nd(x):
    return np.sum(100.0 * (x[1:] - x[:-1] ** 2) ** 2 + (1.0 - x[:-1]) ** 2)


def himmelblau(x, y):
    return (x * x + y - 11.0) ** 2 + (x + y * y - 7.0) ** 2


def piecewise_tax(income):
    if income < 10.0:
        return 0.1 * income
    elif income < 40.0:
        return 1.0 + 0.2 * (income - 10.0)
    return 7.0 + 0.4 * (income - 40.0)


def polynomial_horner(x, coefficients):
    result = 0.0
    for c in coefficients:
        result = result * x + c
    return result


def running_max_drawdown(prices):
    peak = prices[0]
    worst = 0.0
    for p in prices:
        peak = max(peak, p)
        worst = max(worst, (peak - p) / peak)
    return worst


def logsumexp_scalar(a, b, c):
    m = max(a, b, c)
    return m + math.log(math.exp(a - m) + math.exp(b - m) + math.exp(c - m))


def bisection_free_quadratic_root(p, q):
    disc = p * p / 4.0 - q
    return -p / 2.0 + math.sqrt(disc)


def trapezoid_integral(a):
    n = 50
    h = 1.0 / n
    total = 0.5 * (math.exp(-a * 0.0) + math.exp(-a * 1.0))
    for i in range(1, n):
        total += math.exp(-a * (i * h))
    return total * h


def geometric_series(r):
    s = 0.0
    term = 1.0
    while term > 1e-6:
        s += term
        term *= r
    return s


# --- everyday idioms: comprehensions, unpacking, methods, local helpers, defaults ------

COEFFS = [1.0, -0.5, 0.25, 2.0]


def positive_energy(xs, w):
    return sum(w * v * v for v in xs if v > 0)


def mean_squared_error(predictions, targets):
    return sum((p - t) ** 2 for p, t in zip(predictions, targets)) / len(targets)


def power_series(x):
    return sum(c * x ** i for i, c in enumerate(COEFFS))


def quadratic_form(theta):
    a, b, c = theta
    return a * a + 3.0 * a * b + c ** 3


def mean_row_norm(X, w):
    n, d = X.shape
    return np.sum((X @ w) ** 2) / n + 0.0 * d


def largest_square(a, b):
    return max(v * v for v in [a, b])


def named_terms(x, y):
    terms = {"kinetic": 0.5 * x * x, "potential": 9.81 * y}
    return terms["kinetic"] + terms["potential"]


def spring_chain_energy(x1, x2, k):
    def spring(stretch):
        return 0.5 * k * stretch * stretch
    return spring(x1) + spring(x2 - x1)


def tanh_layer(W, x, act=np.tanh):
    return np.sum(act(W @ x) ** 2)


class Oscillator:
    def __init__(self, mass, stiffness):
        self.mass = mass
        self.stiffness = stiffness

    def energy(self, position, velocity):
        return 0.5 * self.mass * velocity ** 2 + 0.5 * self.stiffness * position ** 2


OSCILLATOR = Oscillator(2.0, 5.0)


# --- the table -------------------------------------------------------------------------

@dataclass
class Program:
    function: object
    args: tuple
    wrt: object = None              # as grad's wrt
    note: str = ""


W4 = RNG.normal(size=4)
X8 = RNG.normal(size=(8, 4))
Y8 = RNG.normal(size=8)
LABELS = np.eye(3)[[0, 2, 1, 1, 0, 2, 1, 0]]
DATA = RNG.normal(size=10)

PROGRAMS = [
    Program(logistic_loss, (0.3 * W4,)),
    Program(ridge, (W4, X8, Y8), wrt="w"),
    Program(huber, (W4, X8, 3.0 * Y8), wrt="w"),
    Program(softmax_cross_entropy, (RNG.normal(size=(4, 3)), X8, LABELS), wrt="W"),
    Program(poisson_regression, (0.1 * W4, X8, np.abs(np.round(3 * Y8))), wrt="beta"),
    Program(hinge_svm, (W4, 0.2, X8, np.sign(Y8)), wrt=("w", "b")),
    Program(mlp_loss, (RNG.normal(size=(4, 5)), RNG.normal(size=5), RNG.normal(size=(5, 1)),
                       np.array([0.1]), X8, Y8), wrt=(0, 1, 2, 3)),
    Program(relu_net, (RNG.normal(size=(4, 6)), RNG.normal(size=(6, 2)), X8), wrt=(0, 1)),
    Program(log_sum_exp, (RNG.normal(size=7),)),
    Program(layer_norm, (RNG.normal(size=6), RNG.normal(size=6), RNG.normal(size=6))),
    Program(rnn_unrolled, (0.5 * RNG.normal(size=(3, 2)), 0.5 * RNG.normal(size=(3, 3)),
                           RNG.normal(size=(5, 2))), wrt=(0, 1)),
    Program(gaussian_log_likelihood, (0.2, -0.1, DATA), wrt=(0, 1)),
    Program(kl_diag_gaussians, (RNG.normal(size=5), 0.3 * RNG.normal(size=5))),
    Program(elbo_reparam, (RNG.normal(size=3), 0.2 * RNG.normal(size=3),
                           RNG.normal(size=(16, 3))), wrt=(0, 1)),
    Program(rbf_kernel_sum, (1.3, RNG.normal(size=(5, 2))), wrt="lengthscale"),
    Program(exponential_fit, (1.1, 0.9)),
    Program(projectile_range, (20.0, 0.6)),
    Program(pendulum_energy, (0.4, 1.2), wrt=(0, 1)),
    Program(euler_decay, (0.7, 2.0)),
    Program(spring_simulation, (4.0, 0.3)),
    Program(compound_interest, (0.05, 10), wrt="rate"),
    Program(newton_sqrt, (2.0,)),
    Program(rosenbrock, (-1.2, 1.0)),
    Program(rosenbrock_nd, (np.array([-1.2, 1.0, 0.5, 0.3]),)),
    Program(himmelblau, (1.0, 2.0)),
    Program(piecewise_tax, (25.0,)),
    Program(polynomial_horner, (0.7, [1.0, -2.0, 0.5, 3.0]), wrt=(0, 1)),
    Program(running_max_drawdown, ([10.0, 12.0, 9.0, 11.0, 8.5, 13.0],)),
    Program(logsumexp_scalar, (0.3, -1.0, 0.9)),
    Program(bisection_free_quadratic_root, (-3.0, 1.0)),
    Program(trapezoid_integral, (1.5,)),
    Program(geometric_series, (0.5,)),
    Program(positive_energy, ([1.0, -2.0, 3.0], 0.5)),
    Program(mean_squared_error, ([0.5, 1.5, -0.2], [0.0, 2.0, 0.1]), wrt="predictions"),
    Program(power_series, (0.7,)),
    Program(quadratic_form, (np.array([0.5, -1.0, 2.0]),)),
    Program(mean_row_norm, (X8, W4), wrt="w"),
    Program(largest_square, (1.5, -0.5)),
    Program(named_terms, (1.2, 0.3)),
    Program(spring_chain_energy, (0.3, 1.1, 4.0)),
    Program(tanh_layer, (0.5 * RNG.normal(size=(3, 4)), RNG.normal(size=4)), wrt="W"),
    Program(OSCILLATOR.energy, (0.4, -1.3)),
    Program(black_scholes_call, (100.0, 95.0, 0.5, 0.02, 0.25)),     # its lambda is inlined
]

# `total = 0.0`, then arrays: the sum starts as zeros (kind_errors.py)
PROGRAMS += [Program(mixture_log_likelihood,
                     (np.array([-1.0, 1.0]), np.array([0.2, -0.3]), DATA), wrt=(0, 1))]

# Written as users write them, refused today with a clear error:
# (program, the construct the error names)
REFUSED: list = []


# --- the user's helpers called from NumPy code (issue 15, item 4: inlined) ---------------
# autograd's neural_net.py, logistic_regression.py, rnn.py, lstm.py, gmm.py and
# black_box_svi.py call small helpers of their own; so do these.

def relu(x):
    return np.maximum(0.0, x)


def logsumexp(X, axis=1):
    max_ = np.max(X, axis=axis, keepdims=True)
    return max_ + np.log(np.sum(np.exp(X - max_), axis=axis, keepdims=True))


def neural_net_predict(W1, b1, W2, b2, inputs):
    hidden = relu(inputs @ W1 + b1)
    outputs = hidden @ W2 + b2
    return outputs - logsumexp(outputs)


def neural_net_log_likelihood(W1, b1, W2, b2, inputs, targets):
    log_probs = neural_net_predict(W1, b1, W2, b2, inputs)
    return -np.sum(log_probs * targets) / inputs.shape[0]


def logistic_training_loss(weights):
    preds = logistic_predictions(weights, X_TRAIN)
    label_probabilities = preds * Y_TRAIN + (1 - preds) * (1 - Y_TRAIN)
    return -np.sum(np.log(label_probabilities))


def rnn_cell(hidden, x, Wx, Wh, b):
    return np.tanh(Wx @ x + Wh @ hidden + b)


def rnn_sequence_loss(Wx, Wh, b, Wout, xs, ys):
    hidden = np.zeros(Wh.shape[0])
    loss = 0.0
    for t in range(xs.shape[0]):
        hidden = rnn_cell(hidden, xs[t], Wx, Wh, b)
        loss = loss + (Wout @ hidden - ys[t]) ** 2
    return loss / xs.shape[0]


def normal_logpdf(x, mean, log_std):
    return -0.5 * ((x - mean) / np.exp(log_std)) ** 2 - log_std - 0.5 * np.log(2 * np.pi)


def gmm_log_likelihood(means, log_stds, log_weights, data):
    log_pdfs = normal_logpdf(data[:, None], means[None, :], log_stds[None, :])
    log_mix = log_weights - logsumexp(log_weights, axis=0)
    return np.sum(logsumexp(log_pdfs + log_mix[None, :]))


def dense(W, x, activation):
    return activation(x @ W)


def identity(x):
    return x


def mlp_with_activation(W1, W2, X, y, activation=np.tanh):
    hidden = dense(W1, X, activation)
    out = dense(W2, hidden, identity)
    return np.mean((out[:, 0] - y) ** 2)


def mlp_relu(W1, W2, X, y):
    return mlp_with_activation(W1, W2, X, y, activation=relu)


def sigmoid_gate(z):
    return 1.0 / (1.0 + np.exp(-z))


def lstm_step(h, c, x, W, U):
    n = h.shape[0]
    gates = W @ x + U @ h
    forget = sigmoid_gate(gates[:n])
    ingate = sigmoid_gate(gates[n:2 * n])
    outgate = sigmoid_gate(gates[2 * n:3 * n])
    change = np.tanh(gates[3 * n:])
    c = forget * c + ingate * change
    return outgate * np.tanh(c), c


def lstm_final_state_loss(W, U, xs):
    h = np.zeros(2)
    c = np.zeros(2)
    for x in xs:
        h, c = lstm_step(h, c, x, W, U)
    return np.sum(h ** 2) + np.sum(c)


def diag_gaussian_entropy(log_std):
    return 0.5 * log_std.shape[0] * (1.0 + np.log(2 * np.pi)) + np.sum(log_std)


def banana_log_density(samples):
    x, y = samples[:, 0], samples[:, 1]
    return -0.5 * x ** 2 - 0.5 * (y - 0.5 * x ** 2) ** 2


def black_box_elbo(mean, log_std, eps):
    samples = eps * np.exp(log_std) + mean
    return diag_gaussian_entropy(log_std) + np.mean(banana_log_density(samples))


def softmax(logits):
    shifted = logits - np.max(logits, axis=1, keepdims=True)
    e = np.exp(shifted)
    return e / np.sum(e, axis=1, keepdims=True)


def cross_entropy(probs, labels):
    return -np.mean(np.sum(labels * np.log(probs), axis=1))


def softmax_regression(W, b, X, labels):
    return cross_entropy(softmax(X @ W + b), labels)


def layer_norm_rows(x, gamma, beta, eps=1e-5):
    mean = np.mean(x, axis=1, keepdims=True)
    var = np.mean((x - mean) ** 2, axis=1, keepdims=True)
    return gamma * (x - mean) / np.sqrt(var + eps) + beta


def normalized_two_layer(W1, gamma, W2, X):
    hidden = relu(layer_norm_rows(X @ W1, gamma, 0.1))
    return np.sum(np.tanh(hidden @ W2) ** 2)


def smooth_l1(residual, beta=1.0):
    a = np.abs(residual)
    return np.where(a < beta, 0.5 * a ** 2 / beta, a - 0.5 * beta)


def robust_linear_fit(w, b, X, y):
    return np.mean(smooth_l1(X @ w + b - y, beta=0.5))


HIDDEN_SEQ = RNG.normal(size=(6, 2))
PROGRAMS += [
    Program(logistic_predictions, (W4, X8[0]), wrt="weights"),
    Program(neural_net_log_likelihood, (0.5 * RNG.normal(size=(4, 5)), 0.1 * RNG.normal(size=5),
                                        0.5 * RNG.normal(size=(5, 3)), 0.1 * RNG.normal(size=3),
                                        X8, LABELS), wrt=(0, 1, 2, 3)),
    Program(logistic_training_loss, (0.3 * W4,)),
    Program(rnn_sequence_loss, (0.5 * RNG.normal(size=(3, 2)), 0.5 * RNG.normal(size=(3, 3)),
                                0.1 * RNG.normal(size=3), RNG.normal(size=3), HIDDEN_SEQ,
                                RNG.normal(size=6)), wrt=(0, 1, 2, 3)),
    Program(gmm_log_likelihood, (np.array([-1.0, 0.5, 2.0]), 0.2 * RNG.normal(size=3),
                                 0.3 * RNG.normal(size=3), DATA), wrt=(0, 1, 2)),
    Program(mlp_with_activation, (RNG.normal(size=(4, 5)), RNG.normal(size=(5, 1)), X8, Y8),
            wrt=(0, 1)),
    Program(mlp_relu, (RNG.normal(size=(4, 5)), RNG.normal(size=(5, 1)), X8, Y8), wrt=(0, 1)),
    Program(lstm_final_state_loss, (0.5 * RNG.normal(size=(8, 2)), 0.5 * RNG.normal(size=(8, 2)),
                                    HIDDEN_SEQ), wrt=(0, 1)),
    Program(black_box_elbo, (RNG.normal(size=2), 0.2 * RNG.normal(size=2),
                             RNG.normal(size=(16, 2))), wrt=(0, 1)),
    Program(softmax_regression, (RNG.normal(size=(4, 3)), RNG.normal(size=3), X8, LABELS),
            wrt=(0, 1)),
    Program(normalized_two_layer, (RNG.normal(size=(4, 5)), 1.0 + 0.1 * RNG.normal(size=5),
                                   RNG.normal(size=(5, 2)), X8), wrt=(0, 1, 2)),
    Program(robust_linear_fit, (W4, 0.1, X8, 2.0 * Y8), wrt=(0, 1)),
]


# --- the last idioms of issue 15: zip(*rows), reversed, np.array of a comprehension,
# starred entries (tests/test_idioms_more.py has their edge cases) ------------------------

def discounted_return(rewards, gamma):
    """REINFORCE's return, accumulated backwards over the episode."""
    G = 0.0
    for r in reversed(rewards):
        G = r + gamma * G
    return G


def line_fit_from_pairs(a, b, points):
    """Least squares through (x, y) pairs, unzipped into columns."""
    xs, ys = zip(*points)
    return sum((a * x + b - y) ** 2 for x, y in zip(xs, ys)) / len(xs)


def rbf_features(centre, X, y):
    """One feature per sample, computed row by row, as textbooks write kernels."""
    features = np.array([np.exp(-np.sum((row - centre) ** 2)) for row in X])
    return np.sum((features - y) ** 2)


def softmax_row(z):
    e = np.exp(z - np.max(z))
    return e / np.sum(e)


def per_row_softmax_loss(W, X, labels):
    probs = np.stack([softmax_row(x @ W) for x in X])
    return -np.sum(labels * np.log(probs))


def bias_trick(w, x, bias):
    """The bias folded into the weights: x extended by a constant entry."""
    return np.tanh(np.array([*x, bias]) @ w)


POINTS = np.column_stack([np.linspace(0.0, 1.0, 6), 2.0 * np.linspace(0.0, 1.0, 6) + 0.3
                          + 0.05 * RNG.normal(size=6)])
PROGRAMS += [
    Program(discounted_return, ([1.0, 0.0, -0.5, 2.0, 0.3], 0.9)),
    Program(line_fit_from_pairs, (1.5, 0.1, POINTS), wrt=(0, 1)),
    Program(rbf_features, (0.3 * W4, X8, 0.5 * np.abs(Y8)), wrt="centre"),
    Program(per_row_softmax_loss, (0.5 * RNG.normal(size=(4, 3)), X8, LABELS), wrt="W"),
    Program(bias_trick, (RNG.normal(size=5), W4, 1.0), wrt=(0, 1)),
]


# --- max and min of lists of any length (s2sdiff/extrema.py) -----------------------------

def stable_log_sum_exp(scores):
    """log(sum(exp(s))) shifted by the largest score, as numerically careful code does."""
    top = max(scores)
    return top + math.log(sum(math.exp(s - top) for s in scores))


def multiclass_hinge(scores, correct):
    """Crammer-Singer hinge: the best wrong class against the right one, plus a margin."""
    wrong = [s for i, s in enumerate(scores) if i != correct]
    return max(0.0, 1.0 + max(wrong) - scores[correct])


def min_max_scaled_energy(values, weight):
    """Values rescaled to [0, 1] by their range, then a weighted energy."""
    low, high = min(values), max(values)
    scaled = []
    for v in values:
        scaled.append((v - low) / (high - low))
    return weight * sum(s * s for s in scaled)


def worst_case_loss(losses, temperature):
    """The largest of per-sample losses computed in a loop, tempered."""
    tempered = []
    for loss in losses:
        tempered.append(math.tanh(loss / temperature))
    return max(tempered) * temperature


PROGRAMS += [
    Program(stable_log_sum_exp, ([0.3, -1.2, 2.5, 0.9],)),
    Program(multiclass_hinge, ([0.3, 1.1, 0.8, -0.4], 2), wrt="scores"),
    Program(min_max_scaled_energy, ([0.3, -1.2, 2.5, 0.9, 1.7], 0.7)),
    Program(worst_case_loss, ([0.3, 1.9, 0.8, 1.2], 1.5)),
]

# --- classes whose methods call each other (tests/method_programs.py) -------------------
from method_programs import METHOD_PROGRAMS  # noqa: E402
PROGRAMS += [Program(f, args, wrt=wrt) for f, args, wrt in METHOD_PROGRAMS]
