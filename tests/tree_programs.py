"""Programs whose parameters are trees, written the way users write them: autograd's
neural_net, rnn, lstm, gmm and black_box_svi examples and the JAX MLP tutorial in plain
NumPy, and models kept in dicts, namedtuples and dataclasses.  tests/test_tree_programs.py
checks each gradient against central differences taken leaf by leaf, and trains two of
them (plain gradient descent, ``scipy.optimize.minimize(jac=True)``)."""

from collections import namedtuple
from dataclasses import dataclass

import numpy as np

RNG = np.random.default_rng(3)
INPUTS = RNG.normal(size=(8, 4))
TARGETS = np.eye(3)[RNG.integers(0, 3, size=8)]
SEQUENCE = RNG.normal(size=(5, 2, 3))           # time, batch, features
L2_REG = 0.01


# --- autograd: neural_net.py (params a list of (W, b) layers) --------------------------

def neural_net_objective(params, inputs, targets):
    log_prior = 0.0
    for W, b in params:
        log_prior = log_prior - L2_REG * (np.sum(W ** 2) + np.sum(b ** 2))
    for W, b in params:
        outputs = np.dot(inputs, W) + b
        inputs = np.tanh(outputs)
    log_probs = outputs - np.log(np.sum(np.exp(outputs), axis=1, keepdims=True))
    return -(log_prior + np.sum(log_probs * targets))


# --- the JAX MLP tutorial, in NumPy (params[:-1] in a loop, params[-1] unpacked) --------

def jax_tutorial_loss(params, image, label):
    activations = image
    for w, b in params[:-1]:
        outputs = np.dot(w, activations) + b
        activations = np.maximum(0.0, outputs)
    final_w, final_b = params[-1]
    logits = np.dot(final_w, activations) + final_b
    log_probs = logits - np.log(np.sum(np.exp(logits)))
    return -np.sum(log_probs * label)


# --- autograd: rnn.py (dict params with spaces in the keys, a loop over time) ----------

def rnn_log_likelihood(params, inputs):
    hiddens = np.repeat(params["init hiddens"], inputs.shape[1], axis=0)
    total = 0.0
    for t in range(inputs.shape[0]):
        joined = np.concatenate((inputs[t], hiddens), axis=1)
        hiddens = np.tanh(joined @ params["change"])
        output = hiddens @ params["predict"]
        log_probs = output - np.log(np.sum(np.exp(output), axis=1, keepdims=True))
        total = total + np.sum(log_probs * inputs[t])
    return -total / inputs.shape[0]


# --- autograd: lstm.py (one dict entry per gate) ---------------------------------------

def lstm_loss(params, inputs):
    hiddens = np.zeros((inputs.shape[1], params["forget"].shape[1]))
    cells = np.zeros((inputs.shape[1], params["forget"].shape[1]))
    total = 0.0
    for t in range(inputs.shape[0]):
        joined = np.concatenate((inputs[t], hiddens), axis=1)
        forget = 0.5 * (np.tanh(joined @ params["forget"]) + 1.0)
        ingate = 0.5 * (np.tanh(joined @ params["ingate"]) + 1.0)
        outgate = 0.5 * (np.tanh(joined @ params["outgate"]) + 1.0)
        change = np.tanh(joined @ params["change"])
        cells = cells * forget + ingate * change
        hiddens = outgate * np.tanh(cells)
        total = total + np.sum((hiddens @ params["predict"] - inputs[t]) ** 2)
    return total


# --- autograd: gmm.py (diagonal covariances, logsumexp over components) -----------------

def gmm_negative_log_likelihood(params, data):
    log_weights = params["log proportions"] - np.log(np.sum(np.exp(params["log proportions"])))
    diffs = (data[:, None, :] - params["means"][None, :, :]) / np.exp(params["log stds"])
    log_densities = -0.5 * np.sum(diffs ** 2, axis=2) - np.sum(params["log stds"], axis=1) \
        - 0.5 * data.shape[1] * np.log(2 * np.pi)
    joint = log_densities + log_weights
    top = np.max(joint, axis=1, keepdims=True)
    return -np.sum(top[:, 0] + np.log(np.sum(np.exp(joint - top), axis=1)))


# --- autograd: black_box_svi.py (a flat vector split in two) ---------------------------

EPSILON = RNG.normal(size=(16, 2))


def black_box_elbo(variational_params):
    mean, log_std = variational_params[:2], variational_params[2:]
    samples = EPSILON * np.exp(log_std) + mean
    log_density = -0.5 * np.sum(samples ** 2 * np.array([1.0, 4.0]), axis=1)
    entropy = np.sum(log_std)
    return -(np.mean(log_density) + entropy)


# --- models in namedtuples, dataclasses and nested dicts --------------------------------

Layer = namedtuple("Layer", "W b")


def namedtuple_layers(layers, x):
    h = x
    for layer in layers:
        h = np.tanh(h @ layer.W + layer.b)
    return np.sum(h ** 2)


@dataclass
class LinearModel:
    w: np.ndarray
    b: float


def dataclass_regression(model, X, y):
    residual = X @ model.w + model.b - y
    return 0.5 * np.mean(residual ** 2)


def autoencoder(params, X):
    code = np.tanh(X @ params["encoder"]["W"] + params["encoder"]["b"])
    back = code @ params["decoder"]["W"] + params["decoder"]["b"]
    return np.mean((back - X) ** 2)


def attention(params, X):
    q = X @ params["Wq"]
    k = X @ params["Wk"]
    v = X @ params["Wv"]
    scores = q @ k.T / np.sqrt(q.shape[1])
    scores = scores - np.max(scores, axis=1, keepdims=True)
    weights = np.exp(scores) / np.sum(np.exp(scores), axis=1, keepdims=True)
    return np.sum((weights @ v) ** 2)


def batch_norm(params, X):
    mean = np.mean(X, axis=0)
    var = np.var(X, axis=0)
    normed = (X - mean) / np.sqrt(var + 1e-5)
    out = params["gamma"] * normed + params["beta"]
    return np.sum(np.tanh(out))


GLM = namedtuple("GLM", "beta intercept")


def poisson_glm(params, X, counts):
    eta = X @ params.beta + params.intercept
    return np.sum(np.exp(eta) - counts * eta)


def tuple_unpacked(params, X, y):
    W, b = params
    return np.sum((np.tanh(X @ W + b) - y) ** 2)


def damped_spring(params, steps, dt):
    x, v = 1.0, 0.0
    for _ in range(steps):
        a = -params["k"] * x - params["c"] * v
        v = v + dt * a
        x = x + dt * v
    return x * x + v * v


def ridge_dict(params, X, y):
    r = X @ params["w"] + params["b"] - y
    return np.mean(r ** 2) + 0.1 * np.sum(params["w"] ** 2)


def logistic_flat(w, X, labels):
    z = X @ w
    return np.sum(np.logaddexp(0.0, z) - labels * z) + 0.05 * np.dot(w, w)


def _layers(sizes, scale=0.5):
    return [(scale * RNG.normal(size=(m, n)), scale * RNG.normal(size=n))
            for m, n in zip(sizes[:-1], sizes[1:])]


# (function, arguments, wrt)
PROGRAMS = [
    (neural_net_objective, (_layers([4, 5, 3]), INPUTS, TARGETS), "params"),
    (jax_tutorial_loss, ([(0.5 * RNG.normal(size=(5, 4)), RNG.normal(size=5)),
                          (0.5 * RNG.normal(size=(3, 5)), RNG.normal(size=3))],
                         RNG.normal(size=4), np.eye(3)[1]), "params"),
    (rnn_log_likelihood, ({"init hiddens": 0.3 * RNG.normal(size=(1, 4)),
                           "change": 0.3 * RNG.normal(size=(7, 4)),
                           "predict": 0.3 * RNG.normal(size=(4, 3))}, SEQUENCE), "params"),
    (lstm_loss, ({gate: 0.3 * RNG.normal(size=(7, 4))
                  for gate in ("forget", "ingate", "outgate", "change")}
                 | {"predict": 0.3 * RNG.normal(size=(4, 3))}, SEQUENCE), "params"),
    (gmm_negative_log_likelihood, ({"log proportions": RNG.normal(size=3),
                                    "means": RNG.normal(size=(3, 2)),
                                    "log stds": 0.2 * RNG.normal(size=(3, 2))},
                                   RNG.normal(size=(10, 2))), "params"),
    (black_box_elbo, (RNG.normal(size=4) * 0.3,), None),
    (namedtuple_layers, ([Layer(0.5 * RNG.normal(size=(4, 3)), RNG.normal(size=3)),
                          Layer(0.5 * RNG.normal(size=(3, 2)), RNG.normal(size=2))],
                         RNG.normal(size=(6, 4))), "layers"),
    (dataclass_regression, (LinearModel(RNG.normal(size=4), 0.3), INPUTS, RNG.normal(size=8)),
     "model"),
    (autoencoder, ({"encoder": {"W": 0.4 * RNG.normal(size=(4, 2)), "b": RNG.normal(size=2)},
                    "decoder": {"W": 0.4 * RNG.normal(size=(2, 4)), "b": RNG.normal(size=4)}},
                   INPUTS), "params"),
    (attention, ({name: 0.4 * RNG.normal(size=(4, 3)) for name in ("Wq", "Wk", "Wv")},
                 RNG.normal(size=(5, 4))), "params"),
    (batch_norm, ({"gamma": RNG.normal(size=4), "beta": RNG.normal(size=4)}, INPUTS), "params"),
    (poisson_glm, (GLM(0.2 * RNG.normal(size=4), 0.1), INPUTS,
                   RNG.integers(0, 4, size=8).astype(float)), "params"),
    (tuple_unpacked, ((0.5 * RNG.normal(size=(4, 2)), RNG.normal(size=2)), INPUTS,
                      RNG.normal(size=(8, 2))), "params"),
    (damped_spring, ({"k": 4.0, "c": 0.3}, 40, 0.05), "params"),
    (ridge_dict, ({"w": RNG.normal(size=4), "b": 0.2}, INPUTS, RNG.normal(size=8)), "params"),
]


# --- the last idioms of issue 15 on trees: reversed, zip(*params), comprehensions -------

def tied_autoencoder(params, X):
    """Encode through the layers, decode back through them in reverse, transposed."""
    h = X
    for W, b in params:
        h = np.tanh(h @ W + b)
    for W, _ in reversed(params):
        h = h @ W.T
    return np.mean((h - X) ** 2)


def unzipped_weight_decay(params, inputs, targets):
    """autograd's neural_net objective with the weights and biases unzipped."""
    Ws, bs = zip(*params)
    log_prior = -L2_REG * sum(np.sum(W ** 2) for W in Ws)
    for W, b in zip(Ws, bs):
        inputs = np.tanh(inputs @ W + b)
    return -log_prior + np.sum((inputs - targets) ** 2)


def ensemble_mean(weights, X, y):
    """A committee of linear models, stacked from a list comprehension."""
    predictions = np.stack([np.tanh(X @ w) for w in weights])
    return np.mean((np.mean(predictions, axis=0) - y) ** 2)


def line_fit_dict(params, points):
    """Scalar code: (x, y) pairs unzipped, the line's coefficients in a dict."""
    xs, ys = zip(*points)
    return sum((params["slope"] * x + params["intercept"] - y) ** 2 for x, y in zip(xs, ys))


PROGRAMS += [
    (tied_autoencoder, (_layers([4, 3, 2]), INPUTS), "params"),
    (unzipped_weight_decay, (_layers([4, 5, 3]), INPUTS, TARGETS), "params"),
    (ensemble_mean, ([RNG.normal(size=4) for _ in range(3)], INPUTS, RNG.normal(size=8)),
     "weights"),
    (line_fit_dict, ({"slope": 1.5, "intercept": 0.1},
                     [(0.0, 0.3), (0.5, 1.4), (1.0, 2.2)]), "params"),
]
