"""Helpers given trees (s2sdiff/tree_helpers.py): the structure of autograd's neural-net
example, ``neural_net_predict(params, inputs)`` called from ``log_posterior``, and of
the JAX MLP tutorial, ``predict(params, image)`` called from ``loss``.  Each gradient is
checked leaf by leaf against central differences, and against the same program written
without the helper."""

import math

import numpy as np
import pytest

from s2sdiff import grad, value_and_grad, vjp
from s2sdiff.errors import S2SDiffError
from source_modules import load_source_module

RNG = np.random.default_rng(7)
INPUTS = RNG.normal(size=(6, 3))
TARGETS = np.eye(2)[RNG.integers(0, 2, size=6)]


# --- autograd's neural_net.py, as written there (helpers given the list of layers) -----

def logsumexp(x):
    m = np.max(x, axis=1, keepdims=True)
    return m + np.log(np.sum(np.exp(x - m), axis=1, keepdims=True))


def neural_net_predict(params, inputs):
    for W, b in params:
        outputs = np.dot(inputs, W) + b
        inputs = np.tanh(outputs)
    return outputs - logsumexp(outputs)


def l2_norm(params):
    total = 0.0
    for W, b in params:
        total = total + np.sum(W ** 2) + np.sum(b ** 2)
    return total


def log_posterior(params, inputs, targets, L2_reg):
    log_prior = -L2_reg * l2_norm(params)
    log_lik = np.sum(neural_net_predict(params, inputs) * targets)
    return log_prior + log_lik


def log_posterior_inline(params, inputs, targets, L2_reg):
    total = 0.0
    for W, b in params:
        total = total + np.sum(W ** 2) + np.sum(b ** 2)
    for W, b in params:
        outputs = np.dot(inputs, W) + b
        inputs = np.tanh(outputs)
    m = np.max(outputs, axis=1, keepdims=True)
    log_probs = outputs - (m + np.log(np.sum(np.exp(outputs - m), axis=1, keepdims=True)))
    return -L2_reg * total + np.sum(log_probs * targets)


# --- the JAX MLP tutorial (params[:-1] in a loop, params[-1] unpacked) ------------------

def predict(params, image):
    activations = image
    for w, b in params[:-1]:
        activations = np.tanh(np.dot(w, activations) + b)
    final_w, final_b = params[-1]
    return np.dot(final_w, activations) + final_b


def tutorial_loss(params, image, target):
    preds = predict(params, image)
    return -np.sum(preds * target) + 0.5 * np.sum(preds ** 2)


# --- dicts, subtrees, nested helpers, floats ---------------------------------------------

def dense(layer, h):
    return np.tanh(h @ layer["W"] + layer["b"])


def model(params, x):
    h = x
    for layer in params["layers"]:
        h = dense(layer, h)
    return h @ params["head"]


def dict_loss(params, x, y):
    return np.mean((model(params, x) - y) ** 2)


def spring_energy(p, x):
    return 0.5 * p["k"] * (x - p["rest"]) ** 2


def total_energy(p, x):
    return spring_energy(p, x) + p["k"] * math.sin(p["rest"])


def layers(sizes):
    return [(RNG.normal(size=(m, n)) * 0.5, RNG.normal(size=n) * 0.1)
            for m, n in zip(sizes[:-1], sizes[1:])]


def leaves(tree):
    if isinstance(tree, dict):
        return [leaf for key in tree for leaf in leaves(tree[key])]
    if isinstance(tree, (list, tuple)):
        return [leaf for entry in tree for leaf in leaves(entry)]
    return [tree]


def with_leaf(tree, index, value):
    """A copy of ``tree`` with its ``index``-th leaf replaced."""
    counter = [0]

    def walk(node):
        if isinstance(node, dict):
            return {k: walk(v) for k, v in node.items()}
        if isinstance(node, (list, tuple)):
            return type(node)(walk(v) for v in node)
        counter[0] += 1
        return value if counter[0] - 1 == index else node
    return walk(tree)


def central_leaves(f, tree, h=1e-6):
    out = []
    for i, leaf in enumerate(leaves(tree)):
        leaf = np.asarray(leaf, dtype=float)
        g = np.zeros(leaf.shape)
        for index in np.ndindex(leaf.shape):
            e = np.zeros(leaf.shape)
            e[index] = h
            up = with_leaf(tree, i, (leaf + e)[()] if leaf.shape else float(leaf + h))
            down = with_leaf(tree, i, (leaf - e)[()] if leaf.shape else float(leaf - h))
            g[index] = (f(up) - f(down)) / (2 * h)
        out.append(g)
    return out


def assert_gradient(gradient, expected):
    got = leaves(gradient)
    assert len(got) == len(expected)
    for a, b in zip(got, expected):
        assert np.allclose(a, b, rtol=1e-6, atol=1e-7)


def test_autograd_neural_net_as_written():
    params = layers([3, 4, 2])
    g = grad(log_posterior, wrt="params")(params, INPUTS, TARGETS, 0.1)
    assert isinstance(g, list) and all(isinstance(layer, tuple) for layer in g)
    assert_gradient(g, central_leaves(lambda p: log_posterior(p, INPUTS, TARGETS, 0.1), params))
    same = grad(log_posterior_inline, wrt="params")(params, INPUTS, TARGETS, 0.1)
    for a, b in zip(leaves(g), leaves(same)):
        assert np.allclose(a, b, rtol=1e-12, atol=1e-14)


def test_jax_tutorial_predict_and_loss():
    params = [(RNG.normal(size=(4, 3)), RNG.normal(size=4)),
              (RNG.normal(size=(2, 4)), RNG.normal(size=2))]
    image, target = RNG.normal(size=3), np.array([0.0, 1.0])
    value, g = value_and_grad(tutorial_loss, wrt="params")(params, image, target)
    assert value == pytest.approx(tutorial_loss(params, image, target), rel=1e-14)
    assert_gradient(g, central_leaves(lambda p: tutorial_loss(p, image, target), params))


def test_a_dict_model_whose_layers_go_to_a_helper():
    params = {"layers": [{"W": RNG.normal(size=(3, 4)), "b": RNG.normal(size=4)},
                         {"W": RNG.normal(size=(4, 4)), "b": RNG.normal(size=4)}],
              "head": RNG.normal(size=4)}
    x, y = RNG.normal(size=(5, 3)), RNG.normal(size=5)
    g = grad(dict_loss, wrt="params")(params, x, y)
    assert set(g) == {"layers", "head"}
    assert_gradient(g, central_leaves(lambda p: dict_loss(p, x, y), params))


def test_a_tree_of_floats_given_to_a_scalar_helper():
    p = {"k": 2.0, "rest": 0.5}
    g = grad(total_energy, wrt="p")(p, 1.25)
    assert g["k"] == pytest.approx(0.5 * 0.75 ** 2 + math.sin(0.5), rel=1e-14)
    assert g["rest"] == pytest.approx(-2.0 * 0.75 + 2.0 * math.cos(0.5), rel=1e-14)
    assert grad(total_energy, wrt="x")(p, 1.25) == pytest.approx(2.0 * 0.75, rel=1e-14)


def test_the_pullback_of_vjp_through_a_helper_given_a_tree():
    params = layers([3, 2])
    value, pullback = vjp(log_posterior, params, INPUTS, TARGETS, 0.1)
    assert value == pytest.approx(log_posterior(params, INPUTS, TARGETS, 0.1), rel=1e-14)
    dparams = pullback(1.0)[0]
    assert_gradient(dparams, central_leaves(
        lambda p: log_posterior(p, INPUTS, TARGETS, 0.1), params))


MODULE = """
import numpy as np

def predict(params, x):
    return x @ params["W"] + params["b"]

def doubled(params, x):
    return 2.0 * (x @ params["W"] + params["b"])

def loss(params, x):
    return np.sum(predict(params, x) ** 2)
"""


def test_a_helper_rebound_after_generation_is_inlined_again(tmp_path):
    module = load_source_module(tmp_path, "tree_helper_module", MODULE)
    params, x = {"W": np.array([[1.0], [2.0]]), "b": np.array([0.5])}, np.array([[1.0, -1.0]])
    gradient = grad(module.loss, wrt="params")
    residual = (x @ params["W"] + params["b"])[0, 0]          # -0.5
    assert gradient(params, x)["b"] == pytest.approx([2 * residual])
    module.predict = module.doubled                           # rebound: 4x the residual
    assert gradient(params, x)["b"] == pytest.approx([8 * residual])
    assert gradient(params, x)["W"] == pytest.approx(8 * residual * x.T)


def writes_into(params, x):
    params["W"] = params["W"] * 2.0
    return np.sum(params["W"] * x)


def caller_of_a_writer(params, x):
    return writes_into(params, x)


def test_a_helper_that_writes_into_the_tree_is_refused_at_its_line():
    """Inlined statements keep their own line for errors, and the message names the call
    (normalize/helpers.py)."""
    with pytest.raises(S2SDiffError) as raised:
        grad(caller_of_a_writer, wrt="params")({"W": np.ones(2)}, np.ones(2))
    message = str(raised.value)
    assert "params['W'] writes into the tree parameter params" in message
    assert raised.value.source_line.strip() == 'params["W"] = params["W"] * 2.0'
    call = caller_of_a_writer.__code__.co_firstlineno + 1
    assert f"(in `writes_into`, called at line {call} of test_tree_helpers.py)" in message
