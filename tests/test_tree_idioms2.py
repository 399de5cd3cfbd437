"""Everyday tree idioms from the fourth user-program hunt (/tmp/hunt4 bug_14, 15, 16, 21):
key names from a module-level tuple or list or a default, `continue` and filtered keys in
a loop over a tree, a data dict read with loop keys in a helper or with `get`, a tree
parameter of a method.  Every gradient against central differences of the program
itself, leaf by leaf (tests/differences.py); the refusals name the user's construct."""

import numpy as np
import pytest

from s2sdiff import S2SDiffError, grad, value_and_grad
from differences import central_at
from test_tree_idioms import check  # grad and value_and_grad, leaf by leaf

R = np.random.default_rng(21)
P = {"hidden": R.normal(size=3), "output": R.normal(size=2)}


# --- 1. key names from a module-level tuple or list, or from a default (bug_15) ----------

LAYERS = ("hidden", "output")
NAMES = ["hidden"]


def loop_over_global(params):
    t = 0.0
    for k in LAYERS:
        t = t + np.sum(params[k] ** 2) * (2.0 if k == "hidden" else 1.0)
    return t


def comprehension_over_global_list(params):
    return sum(np.sum(np.sin(params[k]) ** 2) for k in NAMES)


def scalar_loop_over_global(params):
    t = 0.0
    for k in LAYERS:
        t = t + params[k] ** 3
    return t


def loop_over_default(params, names=("hidden", "output")):
    t = 0.0
    for k in names:
        t = t + np.sum(np.tanh(params[k]) * params[k])
    return t


def loop_over_passed_names(params, names):
    return sum(np.sum(params[k] ** 3) for k in names)


def make_closure_loop():
    keys = ("output",)

    def closure_loop(params):
        return sum(np.sum(np.exp(params[k])) for k in keys)
    return closure_loop


def test_loop_over_a_module_level_tuple_of_keys():
    check(loop_over_global, (P,))


def test_loop_over_a_default_tuple_of_keys():
    check(loop_over_default, (P,))
    check(loop_over_default, (P, ("output",)))


def test_loop_over_keys_passed_as_data():
    check(loop_over_passed_names, (P, ("hidden", "output")))
    check(loop_over_passed_names, (P, ["output"]))


def test_loop_over_a_closure_tuple_of_keys():
    check(make_closure_loop(), (P,))


def test_a_rebound_or_mutated_global_of_keys_generates_the_code_again():
    global LAYERS
    saved = LAYERS
    scalars = {"hidden": 0.7, "output": -1.3}
    try:
        g = grad(loop_over_global)
        h = grad(scalar_loop_over_global)
        assert np.allclose(g(P)["output"], 2 * P["output"])
        assert h(scalars) == pytest.approx({"hidden": 3 * 0.7 ** 2, "output": 3 * 1.3 ** 2})
        LAYERS = ("output",)
        assert np.allclose(g(P)["hidden"], 0.0)
        assert np.allclose(g(P)["output"], 2 * P["output"])
        assert h(scalars) == pytest.approx({"hidden": 0.0, "output": 3 * 1.3 ** 2})
        check(loop_over_global, (P,))
    finally:
        LAYERS = saved
    assert np.allclose(grad(loop_over_global)(P)["hidden"], 4 * P["hidden"])
    c = grad(comprehension_over_global_list)
    try:
        assert np.allclose(c(P)["output"], 0.0)
        NAMES.append("output")
        check(comprehension_over_global_list, (P,))
        assert np.allclose(c(P)["output"], np.sin(2 * P["output"]))
        NAMES[:] = ["output"]
        assert np.allclose(c(P)["hidden"], 0.0)
    finally:
        NAMES[:] = ["hidden"]
    assert np.allclose(c(P)["hidden"], np.sin(2 * P["hidden"]))
    h = grad(scalar_loop_over_global)
    h({"hidden": 0.7, "output": -1.3})
    assert "if LAYERS is not" in h.source          # the check that generates it again


# --- 2. `continue`, `break` and keys filtered first in a loop over a tree (bug_21) -------

W = {"w1": R.normal(size=3), "b1": R.normal(size=2), "w2": R.normal(size=(2, 2))}
WS = {"w1": 0.8, "b1": -0.3, "w2": 1.4}


def decay_with_continue(params):
    t = 0.0
    for k in params:
        if not k.startswith("w"):
            continue
        t = t + np.sum(np.sin(params[k]) ** 2)
    return t


def keys_filtered_first(params):
    ws = [k for k in params if k.startswith("w")]
    return sum(np.sum(params[k] ** 2) * (1.0 + len(k)) for k in ws)


def scalar_keys_filtered_first(params):
    ws = [k for k in params if k.endswith("1")]
    t = 0.0
    for k in ws:
        t = t + params[k] ** 3
    return t


def items_with_break_and_else(params):
    t = 1.0
    for k, v in params.items():
        if k == "w2":
            break
        elif k == "b1":
            t = t * 2.0
            continue
        t = t + np.sum(v ** 2)
    else:
        t = t * 10.0
    return t


def loop_else_without_break(params):
    t = 0.0
    for k in params:
        if k == "zz":
            break
        t = t + np.sum(np.cos(params[k]))
    else:
        t = t * 3.0
    return t


def range_loop_with_continue(params):
    t = 0.0
    for i in range(len(params)):
        if i == 1:
            continue
        t = t + np.sum(params[i] ** 2)
    return t


def continue_on_a_value(params):
    t = 0.0
    for k in params:
        if np.sum(params[k]) > 0.0:
            continue
        t = t + np.sum(params[k] ** 2)
    return t


def test_continue_decided_by_the_key():
    g = check(decay_with_continue, (W,))
    assert np.all(g["b1"] == 0.0)


def test_keys_filtered_into_a_list_first():
    g = check(keys_filtered_first, (W,))
    assert np.all(g["b1"] == 0.0)
    assert check(scalar_keys_filtered_first, (WS,))["w2"] == 0.0


def test_break_elif_and_loop_else():
    g = check(items_with_break_and_else, (W,))
    assert np.all(g["w2"] == 0.0) and np.all(g["b1"] == 0.0)
    check(loop_else_without_break, (W,))
    check(range_loop_with_continue, ([R.normal(size=2), R.normal(size=3), R.normal(size=1)],))


def test_continue_on_a_value_is_refused_naming_the_test():
    with pytest.raises(S2SDiffError) as caught:
        grad(continue_on_a_value)(W)
    message = str(caught.value)
    assert "`continue`" in message and "np.sum(params[k]) > 0.0" in message, message
    assert "test_tree_idioms2.py" in message and "startswith" in message


# --- 3. a data dict read with loop keys in a helper, or with get (bug_16) ------------------

D = {"a": R.normal(size=3), "b": R.normal(size=2)}
SCALE = {"a": 2.0, "b": -3.0}


def weighted(params, scale):
    t = 0.0
    for k in params:
        t = t + scale[k] * np.sum(np.sin(params[k]))
    return t


def calls_weighted(params, scale):
    return weighted(params, scale) ** 2


def weighted_items(params, scale):
    return sum(scale[k] * np.sum(v ** 2) for k, v in params.items())


def calls_weighted_items(params, scale, x):
    return x * weighted_items(params, scale)


def with_get(params, scale):
    return sum(scale.get(k, 1.0) * np.sum(v ** 2) for k, v in params.items())


def scalar_with_get(params, scale):
    t = 0.0
    for k in sorted(params):
        t = t + scale.get(k, 0.5) * params[k] ** 2
    return t


def get_with_a_computed_key(params, scale, which):
    return np.sum(params["a"]) * scale.get(which + "x", 1.0)


def data_dict_read_whole(params, cfg):
    return np.sum(params["a"]) * len(cfg)


def test_a_data_dict_read_with_loop_keys_in_a_helper():
    g = check(calls_weighted, (D, SCALE))
    inner = 2 * weighted(D, SCALE)
    assert np.allclose(g["b"], inner * SCALE["b"] * np.cos(D["b"]))
    check(calls_weighted_items, (D, SCALE, 1.7))
    check(calls_weighted_items, (D, SCALE, 1.7), wrt="x")


def test_get_with_a_loop_key_on_a_data_dict():
    g = check(with_get, (D, SCALE))
    assert np.allclose(g["a"], 2 * SCALE["a"] * D["a"])
    g = check(with_get, (D, {"b": 4.0}))                  # "a" missing: the default
    assert np.allclose(g["a"], 2 * D["a"])
    g = check(scalar_with_get, ({"a": 0.3, "b": -1.1}, {"a": 3.0}))
    assert g["b"] == pytest.approx(2 * 0.5 * -1.1)


def test_get_with_a_computed_key_names_dicts_not_classes():
    with pytest.raises(S2SDiffError) as caught:
        grad(get_with_a_computed_key, wrt="params")(D, {"ax": 2.0}, "a")
    message = str(caught.value)
    assert "scale.get" in message and "If `scale` is a dict" in message, message
    assert "dataclass" not in message and "pass it as an argument" in message


def test_an_error_about_a_data_argument_names_the_users_function():
    with pytest.raises(S2SDiffError) as caught:
        grad(data_dict_read_whole, wrt="params")(D, {"x": "text"})
    message = str(caught.value)
    assert "of data_dict_read_whole " in message and "_leaves" not in message, message


# --- 4. a tree parameter of a method (bug_14) -----------------------------------------------

X = R.normal(size=(4, 3))
Y = R.normal(size=(4, 2))
NET_PARAMS = {"W": R.normal(size=(3, 2)), "b": R.normal(size=2)}
LAYER_LIST = [(R.normal(size=(3, 2)), R.normal(size=2)), (R.normal(size=(2, 2)), R.normal(size=2))]


class Net:
    def __init__(self, scale):
        self.scale = scale

    def predict(self, params, x):
        return np.tanh(x @ params["W"] + params["b"]) * self.scale

    def loss(self, params, x, y):
        return np.mean((x @ params["W"] + params["b"] - y) ** 2) * self.scale

    def loss_via_predict(self, params, x, y):
        return np.mean((self.predict(params, x) - y) ** 2)

    def loss_of_layers(self, params, x, y):
        for W, b in params:
            x = np.tanh(x @ W + b)
        return np.mean((x - y) ** 2) * self.scale


class Doubled(Net):
    def predict(self, params, x):
        return 2.0 * np.sin(x @ params["W"] + params["b"])


NET = Net(1.5)


def loss_with_module_model(params, x, y):
    return np.mean((NET.predict(params, x) - y) ** 2)


def test_grad_of_a_method_with_a_tree_parameter():
    net = Net(0.7)
    for method in (net.loss, net.loss_via_predict):
        g = grad(method, wrt="params")(NET_PARAMS, X, Y)
        value, again = value_and_grad(method, wrt="params")(NET_PARAMS, X, Y)
        assert value == pytest.approx(method(NET_PARAMS, X, Y))
        for key in ("W", "b"):
            theirs = central_at(lambda p, x, y: method(p, x, y), (NET_PARAMS, X, Y), 0, (key,))
            assert np.allclose(g[key], theirs, atol=1e-6), key
            assert np.array_equal(again[key], g[key])
    g = grad(net.loss_of_layers, wrt="params")(LAYER_LIST, X, Y)
    for i in range(2):
        for j in range(2):
            theirs = central_at(lambda p, x, y: net.loss_of_layers(p, x, y),
                                (LAYER_LIST, X, Y), 0, (i, j))
            assert np.allclose(g[i][j], theirs, atol=1e-6), (i, j)


def test_a_module_level_model_called_with_a_tree():
    global NET
    g = check(loss_with_module_model, (NET_PARAMS, X, Y))
    saved = NET
    try:
        NET = Doubled(1.0)               # another class: its predict, code of its own
        again = grad(loss_with_module_model, wrt="params")(NET_PARAMS, X, Y)
        assert not np.allclose(again["b"], g["b"])
        check(loss_with_module_model, (NET_PARAMS, X, Y))
        NET = Net(3.0)                   # the same class, another scale: read when run
        check(loss_with_module_model, (NET_PARAMS, X, Y))
    finally:
        NET = saved


def test_the_other_transforms_of_a_method_with_a_tree_parameter():
    from s2sdiff import hessian, jacobian, jvp, vjp
    net = Net(0.9)
    small = {"W": R.normal(size=(3, 2)), "b": R.normal(size=2)}
    g = grad(net.loss_via_predict, wrt="params")(small, X, Y)
    jac = jacobian(net.loss_via_predict, wrt="params")(small, X, Y)
    _, pullback = vjp(net.loss_via_predict, small, X, Y)
    back = pullback(1.0)[0]
    tangent = {"W": R.normal(size=(3, 2)), "b": R.normal(size=2)}
    _, forward = jvp(net.loss_via_predict, (small, X, Y),
                     (tangent, np.zeros_like(X), np.zeros_like(Y)))
    assert forward == pytest.approx(sum(np.sum(g[k] * tangent[k]) for k in ("W", "b")))
    for key in ("W", "b"):
        assert np.allclose(jac[key], g[key]) and np.allclose(back[key], g[key])
    h = hessian(net.loss_via_predict, wrt="params")(small, X, Y)
    for key in ("W", "b"):          # a column of the Hessian: central differences of grad
        column = central_at(lambda p, x, y: grad(net.loss_via_predict, wrt="params")(
            p, x, y)["b"][0], (small, X, Y), 0, (key,))
        assert np.allclose(h["b"][key][0], column, atol=1e-5), key


# --- messages about a leaf name the leaf as the user reads it -----------------------------

def leaf_times_x(params, x):
    return params["W"] * x


def sum_of_leaves(params):
    return np.sum(params["W"] ** 2) + np.sum(params["b"])


def test_messages_about_a_leaf_spell_it_as_written():
    with pytest.raises(S2SDiffError) as caught:
        grad(leaf_times_x, wrt="params")({"W": np.ones(2)}, 2.0)
    message = str(caught.value)
    assert '`params["W"]` is an array of shape (2,)' in message, message
    assert "params_W" not in message and "_leaves" not in message
    with pytest.raises(S2SDiffError) as caught:
        grad(sum_of_leaves, wrt="params")({"W": np.ones(2), "b": np.array([1 + 2j])})
    message = str(caught.value)
    assert """'params["b"]' of sum_of_leaves""" in message and "params_b" not in message, message


# --- a module-level callable model and a model passed as data, given a tree ---------------

class Mlp:
    def __call__(self, params, x):
        h = x
        for W, b in params[:-1]:
            h = np.tanh(h @ W + b)
        W, b = params[-1]
        return h @ W + b


class Affine:
    def apply(self, params, x):
        return np.sin(x @ params["W"] + params["b"])


MLP_MODEL = Mlp()
AFFINE_MODEL = Affine()


def loss_calling_a_model(params, x, y):
    return np.mean((MLP_MODEL(params, x) - y) ** 2)


def loss_with_a_model_parameter(params, x, y, model=AFFINE_MODEL):
    return np.mean((model.apply(params, x) - y) ** 2)


def test_a_callable_module_level_model_and_a_model_parameter_given_a_tree():
    layers = [(R.normal(size=(3, 4)), R.normal(size=4)), (R.normal(size=(4, 2)), R.normal(size=2))]
    g = grad(loss_calling_a_model, wrt="params")(layers, X, Y)
    for i in range(2):
        for j in range(2):
            theirs = central_at(loss_calling_a_model, (layers, X, Y), 0, (i, j))
            assert np.allclose(g[i][j], theirs, atol=1e-6), (i, j)
    check(loss_with_a_model_parameter, (NET_PARAMS, X, Y))
    check(loss_with_a_model_parameter, (NET_PARAMS, X, Y, Affine()))
