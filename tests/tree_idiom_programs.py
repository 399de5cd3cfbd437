"""Everyday idioms on dict and dataclass parameters (s2sdiff/tree_idioms.py), for
tests/test_tree_idioms.py: keys spelled by loops and f-strings, ``get``, dict
comprehensions and views, methods of dataclass parameters, ``map``.  The golden sources
of ``mlp_dict_of_layers`` and ``squares_by_comprehension`` are pinned, so lines matter."""

import math
from collections import namedtuple
from dataclasses import dataclass

import numpy as np


def mlp_dict_of_layers(params, X):
    h = X
    for name in ("hidden", "output"):
        h = h @ params[name]["kernel"] + params[name]["bias"]
        if name == "hidden":
            h = np.maximum(h, 0.0)
    return np.sum(h ** 2)


def squares_by_comprehension(params):
    squared = {k: v ** 2 for k, v in params.items()}
    return sum(squared.values()) + squared["a"] * params["b"]


# --- 1. keys from a literal, from the dict, sorted -------------------------------------

def chain_over_list_literal(params, x):
    h = x
    for name in ["second", "first"]:          # not the dict's order: the literal's
        h = math.tanh(params[name] * h + 0.5)
    return h


def chain_over_the_dict(params, x):
    h = x
    for name in params:
        h = math.sin(params[name] * h) + h
    return h


def chain_over_sorted_keys(params, x):
    h = x
    for name in sorted(params):
        h = params[name] * h + h * h
    return h


def chain_over_reverse_sorted_keys(params, x):
    h = x
    for name in sorted(params.keys(), reverse=True):
        h = params[name] * h + h * h
    return h


def chain_over_enumerated_sorted_keys(params, x):
    h = x
    for i, name in enumerate(sorted(params)):
        h = params[name] * h * (i + 1) + math.sin(h)
    return h


def chain_over_the_enumerated_dict(params, x):
    h = x
    for i, name in enumerate(params.keys(), start=2):
        h = math.tanh(params[name] * h) * i + h
    return h


def membership_test_in_loop(params):
    total = 0.0
    for name in params:
        if name in ("a", "c"):
            total += params[name] ** 2
        else:
            total += 3.0 * params[name]
    return total + len(params)


def key_used_after_loop(params):
    total = 0.0
    for name in ("a", "b"):
        total += params[name]
    return total * len(name)


def key_from_an_argument(params, key):
    return params[key] ** 2


# --- 2. f-string keys -------------------------------------------------------------------

def formatted_keys(params):
    total = 0.0
    for i in range(3):
        total += params[f"w{i}"] * (i + 1.0)
    return total ** 2


def formatted_nested_keys(params, x):
    h = x
    for i in range(2):
        h = np.tanh(params[f"layer_{i:02d}"]["W"] @ h + params[f"layer_{i:02d}"]["b"])
    return np.sum(h ** 2)


def formatted_key_with_variable_bound(params, n):
    total = 0.0
    for i in range(n):
        total += params[f"w{i}"]
    return total


# --- 3. dict comprehensions and views ------------------------------------------------------

def doubled_by_key(params):
    doubled = {k: params[k] * 2.0 for k in params}
    return doubled["a"] * doubled["b"] + math.exp(doubled["c"])


def penalty_by_views(params, X):
    scaled = {name: np.sum(w ** 2) for name, w in params.items()}
    total = sum(scaled.values())
    for w in params.values():
        total = total + np.sum(np.sin(w))
    return total + np.sum(X @ params["W"])


def comprehension_with_filter(params):
    big = {k: v for k, v in params.items() if k != "a"}
    return big["b"]


# --- 4. get --------------------------------------------------------------------------------

def get_with_default(params, x):
    scale = params.get("scale", 1.0)
    return params["w"] * x * scale + params.get("missing", 0.0)


def get_nested(params, x):
    layer = params.get("layer", {"w": 0.0})
    return layer["w"] * x + params.get("bias", 0.25) ** 2


def get_with_computed_key(params, key):
    return params.get(key, 1.0) * params["w"]


# --- 5. methods of dataclass parameters ----------------------------------------------------

@dataclass
class Gaussian:
    mu: float
    log_sigma: float

    def sigma(self):
        return math.exp(self.log_sigma)

    def log_pdf(self, x):
        sigma = self.sigma()
        return -0.5 * ((x - self.mu) / sigma) ** 2 - math.log(sigma) - 0.5 * math.log(2 * math.pi)

    @property
    def variance(self):
        return math.exp(2.0 * self.log_sigma)

    @staticmethod
    def squash(v):
        return math.tanh(v)


def gaussian_nll(g, data):
    return -sum(g.log_pdf(x) for x in data)


def gaussian_loop(g, data):
    total = 0.0
    for x in data:
        total = total - g.log_pdf(x)
    return total + Gaussian.squash(g.mu) + g.squash(g.log_sigma)


def gaussian_property(g):
    return g.variance


@dataclass
class Dense:
    W: np.ndarray
    b: np.ndarray

    def forward(self, x):
        return np.tanh(self.W @ x + self.b)


def two_dense_layers(model, x):
    return np.sum(model["second"].forward(model["first"].forward(x)) ** 2)


@dataclass
class CallableDense:
    """An Equinox-style layer: called as ``layer(x)``."""
    W: np.ndarray
    b: np.ndarray

    def __call__(self, x):
        return np.tanh(self.W @ x + self.b)


@dataclass
class TwoLayers:
    first: CallableDense
    second: CallableDense

    def __call__(self, x):
        return self.second(self.first(x))

    def loss(self, x):
        return np.sum(self(x) ** 2)


def called_layers(model, x):
    return model.loss(x)


def called_dict_leaves(model, x):
    return np.sum(model["second"](model["first"](x)) ** 2)


def called_parameter(layer, x):
    return np.sum(layer(x) ** 2)


class Line(namedtuple("Line", "slope intercept")):
    def at(self, x):
        return self.slope * x + self.intercept


def line_residuals(line, xs, ys):
    return sum((line.at(x) - y) ** 2 for x, y in zip(xs, ys))


def other_log_pdf(self, x):
    return -(self.mu * x) ** 2 - self.log_sigma


# --- 6. map --------------------------------------------------------------------------------

def lambda_map_sum(xs):
    f = lambda v: v * v + 1.0  # noqa: E731
    return sum(map(f, xs))


def def_map_sum(xs, c):
    def scaled(v):
        return math.sin(c * v)
    return sum(map(scaled, xs))


def two_iterables_map(xs, ys):
    return sum(map(math.hypot, xs, ys))


def builtin_map_of_math(xs):
    return sum(map(math.exp, xs)) * 2.0


def loop_over_map(xs):
    total = 0.0
    for s in map(math.sin, xs):
        total = total + s * s
    return total


def map_bound_to_a_name(xs):
    m = map(math.sin, xs)
    return sum(m) + sum(m)          # the second sum is 0: the iterator is spent


def formatted_keys_in_a_generator(params):
    return sum(params[f"w{i}"] ** 2 * (i + 1.0) for i in range(2)) + len([0 for _ in range(3)])


@dataclass
class Counter:
    w: float

    def bump(self, x):
        self.w = self.w + x
        return self.w


def mutating_method(c, x):
    return c.bump(x) * 2.0


def optional_keys(params, x):
    s = params["scale"] if "scale" in params else 1.0
    if "bias" in params:
        b = params["bias"]
    else:
        b = 0.0
    return params["w"] * x * s + b * ("w" in params)


def chain_over_sorted_items(params, x):
    h = x
    for k, v in sorted(params.items(), reverse=True):
        h = v * h + h * h
    return h


def sorted_leaves(params):
    return sum(sorted(params.values()))


def decay_of_weights(params, x):
    loss = np.sum((params["w1"] * x + params["b"]) ** 2)
    for name, value in params.items():
        if name.startswith(("w", "k")) and not name.endswith("_frozen"):
            loss = loss + 0.1 * np.sum(value ** 2)
    return loss


def weighted_by_key_length(params):
    total = 0.0
    for key, value in params.items():
        total += value * value * len(key)
    return total


def scaled_by_key(params, scale):
    total = 0.0
    for k in params:
        total += scale[k] * params[k] ** 2
    return total


def scaled_by_item(params, scale, x):
    total = 0.0
    for name, W in sorted(params.items()):
        total = total + scale[name] * np.sum((W * x) ** 2)
    return total


def decay_by_comprehension(params, x):
    fit = np.sum((params["w1"] * x + params["b"]) ** 2)
    return fit + 0.1 * sum(np.sum(v ** 2) for k, v in params.items() if k.startswith("w"))
