"""Everyday idioms on tree parameters (s2sdiff/tree_idioms.py): every gradient against
central differences of the program itself, leaf by leaf, with grad and value_and_grad,
some with jvp, the Jacobians and hessian too; the refusals name the construct and the
user's line; a new layout (other keys, another method) gets code of its own; the
generated source of two of them is pinned (tests/golden/tree_*.py)."""

import copy
import inspect
import math
import os
import pathlib

import numpy as np
import pytest

from s2sdiff import S2SDiffError, grad, hessian, jacobian, jvp, value_and_grad
from differences import at, central_at, leaves
import tree_idiom_programs as p

R = np.random.default_rng(7)
GOLDEN = pathlib.Path(__file__).parent / "golden"


def check(function, args, wrt=None, rtol=1e-5):
    """grad and value_and_grad of ``function`` at ``args`` against central differences,
    leaf by leaf, for the parameters ``wrt`` (a name or None: the first)."""
    names = list(inspect.signature(function).parameters)
    name = wrt or names[0]
    position = names.index(name)
    gradient = grad(function, wrt=name)(*copy.deepcopy(args))
    value, again = value_and_grad(function, wrt=name)(*copy.deepcopy(args))
    assert value == pytest.approx(function(*copy.deepcopy(args)), rel=1e-12)
    found = leaves(args[position])
    assert found
    for path, _ in found:
        ours = np.asarray(at(gradient, path), dtype=float)
        theirs = central_at(function, args, position, path)
        assert ours.shape == theirs.shape, (path, ours.shape, theirs.shape)
        scale = max(1.0, float(np.max(np.abs(theirs))))
        assert np.allclose(ours, theirs, rtol=rtol, atol=1e-6 * scale), (path, ours, theirs)
        assert np.array_equal(np.asarray(at(again, path)), np.asarray(at(gradient, path)))
    return gradient


def refused(function, args, construct, wrt=None):
    with pytest.raises(S2SDiffError) as caught:
        grad(function, wrt=wrt)(*copy.deepcopy(args))
    message = str(caught.value)
    assert construct in message and "tree_idiom_programs.py" in message, message
    assert caught.value.lineno is not None
    return message


MLP = {"hidden": {"kernel": R.normal(size=(3, 4)), "bias": R.normal(size=4)},
       "output": {"kernel": R.normal(size=(4, 2)), "bias": R.normal(size=2)}}
SCALARS = {"first": 0.7, "second": -0.4, "third": 1.3}
ABC = {"a": 0.5, "b": -1.2, "c": 0.8}


# --- 1. keys from a literal, the dict, sorted ----------------------------------------------

def test_loop_over_a_tuple_of_keys():
    X = R.normal(size=(5, 3))
    gradient = check(p.mlp_dict_of_layers, (MLP, X), wrt="params")
    assert set(gradient) == {"hidden", "output"} and set(gradient["hidden"]) == {"kernel", "bias"}


def test_the_if_on_the_key_is_decided_per_copy():
    """`if name == "hidden":` keeps np.maximum in the first copy only: no string
    comparison, no `name` left in the generated code."""
    g = grad(p.mlp_dict_of_layers, wrt="params")
    g(MLP, R.normal(size=(5, 3)))
    code = [line.split("#")[0] for line in g.source.splitlines()]
    assert sum("np.maximum(" in line for line in code) == 1
    assert not any("'hidden'" in line or "name" in line for line in code[8:]), g.source


@pytest.mark.parametrize("function", [p.chain_over_list_literal, p.chain_over_the_dict,
                                      p.chain_over_sorted_keys,
                                      p.chain_over_reverse_sorted_keys,
                                      p.chain_over_enumerated_sorted_keys,
                                      p.chain_over_the_enumerated_dict])
def test_loops_over_keys_in_their_order(function):
    check(function, (SCALARS, 0.3))
    check(function, (SCALARS, 0.3), wrt="x")


def test_sorted_order_differs_from_dict_order_and_is_followed():
    """first, second, third sorted is first, second, third; reversed is third, second,
    first; the dict's own order here is third, first, second: three different values."""
    tree = {"third": 1.3, "first": 0.7, "second": -0.4}
    values = {f(tree, 0.3) for f in (p.chain_over_the_dict, p.chain_over_sorted_keys,
                                     p.chain_over_reverse_sorted_keys)}
    assert len(values) == 3
    for f in (p.chain_over_the_dict, p.chain_over_sorted_keys, p.chain_over_reverse_sorted_keys):
        value, _ = value_and_grad(f)(tree, 0.3)
        assert value == pytest.approx(f(tree, 0.3), rel=1e-14)
        check(f, (tree, 0.3))


def test_the_same_keys_in_another_order_get_code_of_their_own():
    """`for name in params` follows the dict's order, part of the layout."""
    g = grad(p.chain_over_the_dict, wrt="params")
    forward = {"u": 0.5, "v": 1.5}
    backward = {"v": 1.5, "u": 0.5}
    assert p.chain_over_the_dict(forward, 0.2) != p.chain_over_the_dict(backward, 0.2)
    first, second = g(forward, 0.2), g(backward, 0.2)
    assert first["u"] != pytest.approx(second["u"])
    check(p.chain_over_the_dict, (backward, 0.2))
    assert g(forward, 0.2) == pytest.approx(first)


def test_membership_test_and_len():
    gradient = check(p.membership_test_in_loop, (ABC,))
    assert gradient == pytest.approx({"a": 1.0, "b": 3.0, "c": 1.6})


def test_other_keys_get_code_of_their_own():
    g = grad(p.chain_over_the_dict, wrt="params")
    first = g({"u": 0.5, "v": 1.5}, 0.2)
    source = g.source
    second = g({"u": 0.5, "v": 1.5, "w": -0.3}, 0.2)
    assert set(first) == {"u", "v"} and set(second) == {"u", "v", "w"}
    assert g.source != source and "params_w" in g.source
    check(p.chain_over_the_dict, ({"u": 0.5, "v": 1.5, "w": -0.3}, 0.2))
    again = g({"u": 0.5, "v": 1.5}, 0.2)            # the first layout's code, still right
    assert again == pytest.approx(first)


def test_membership_of_a_key_is_known_from_the_layout():
    """`"scale" in params` is a constant of each layout: the arm that reads a key the
    layout has not is never generated."""
    g = grad(p.optional_keys, wrt="params")
    assert g({"w": 0.5}, 1.5) == pytest.approx({"w": 1.5})
    for tree in ({"w": 0.5}, {"w": 0.5, "scale": 2.0}, {"bias": 3.0, "w": 0.5, "scale": 2.0}):
        check(p.optional_keys, (tree, 1.5))
    assert g({"w": 0.5, "bias": 3.0}, 1.5) == pytest.approx({"w": 1.5, "bias": 1.0})


def test_sorted_items_follow_the_keys():
    tree = {"b": 0.3, "a": -0.5, "c": 1.2}
    check(p.chain_over_sorted_items, (tree, 0.4))


def test_sorting_leaves_is_refused():
    refused(p.sorted_leaves, (ABC,), "sorts values of a tree")


def test_a_key_read_after_its_loop_is_refused():
    refused(p.key_used_after_loop, ({"a": 1.0, "b": 2.0},), "used outside the loop")


def test_a_key_from_an_argument_is_refused():
    refused(p.key_from_an_argument, ({"a": 1.0}, "a"), "got dict")


def test_forward_mode_and_hessian_over_keyed_loops():
    tree = {"third": 1.3, "first": 0.7, "second": -0.4}
    tangent = {"third": 0.2, "first": -1.0, "second": 0.5}
    value, slope = jvp(p.chain_over_sorted_keys, (tree, 0.3), (tangent, 0.0))
    gradient = grad(p.chain_over_sorted_keys, wrt="params")(tree, 0.3)
    assert value == pytest.approx(p.chain_over_sorted_keys(tree, 0.3))
    assert slope == pytest.approx(sum(gradient[k] * tangent[k] for k in tree))
    J = jacobian(p.chain_over_the_dict, wrt="params")(tree, 0.3)
    assert {k: float(v) for k, v in J.items()} == pytest.approx(
        grad(p.chain_over_the_dict, wrt="params")(tree, 0.3))
    H = hessian(p.membership_test_in_loop)(ABC)
    assert float(H["a"]["a"]) == pytest.approx(2.0) and float(H["b"]["b"]) == 0.0
    assert float(H["c"]["c"]) == pytest.approx(2.0) and float(H["a"]["c"]) == 0.0


# --- 2. f-string keys -----------------------------------------------------------------------

def test_formatted_keys_in_an_unrolled_range():
    gradient = check(p.formatted_keys, ({"w0": 0.5, "w1": -1.0, "w2": 0.3},))
    total = 0.5 - 2.0 + 0.9
    assert gradient == pytest.approx({"w0": 2 * total, "w1": 4 * total, "w2": 6 * total})


def test_formatted_keys_with_a_format_spec_and_nested_reads():
    params = {f"layer_{i:02d}": {"W": R.normal(size=(3, 3)), "b": R.normal(size=3)}
              for i in range(2)}
    check(p.formatted_nested_keys, (params, R.normal(size=3)))


def test_formatted_key_with_a_bound_not_known_is_refused():
    refused(p.formatted_key_with_variable_bound, ({"w0": 1.0, "w1": 2.0}, 2),
            "not a constant")


# --- 3. dict comprehensions and views ---------------------------------------------------

def test_dict_comprehension_over_items():
    gradient = check(p.squares_by_comprehension, (ABC,))
    a, b, c = ABC["a"], ABC["b"], ABC["c"]
    assert gradient == pytest.approx({"a": 2 * a + 2 * a * b, "b": 2 * b + a * a, "c": 2 * c})


def test_dict_comprehension_over_keys():
    check(p.doubled_by_key, (ABC,))


def test_comprehensions_and_views_of_arrays():
    params = {"W": R.normal(size=(3, 2)), "b": R.normal(size=2)}
    check(p.penalty_by_views, (params, R.normal(size=(4, 3))))


def test_dict_comprehension_with_an_if_clause_on_the_keys():
    """It was refused; the clause is decided per key now."""
    assert grad(p.comprehension_with_filter)(ABC) == {"a": 0.0, "b": 1.0, "c": 0.0}
    check(p.comprehension_with_filter, (ABC,))


def test_forward_mode_through_a_dict_comprehension():
    tangent = {"a": 1.0, "b": -0.5, "c": 2.0}
    value, slope = jvp(p.squares_by_comprehension, (ABC,), (tangent,))
    gradient = grad(p.squares_by_comprehension)(ABC)
    assert value == pytest.approx(p.squares_by_comprehension(ABC))
    assert slope == pytest.approx(sum(gradient[k] * tangent[k] for k in ABC))


# --- 4. get ---------------------------------------------------------------------------------

def test_get_reads_the_leaf_when_the_key_is_there():
    gradient = check(p.get_with_default, ({"w": 0.5, "scale": 2.0}, 1.3))
    assert gradient == pytest.approx({"w": 1.3 * 2.0, "scale": 0.5 * 1.3})


def test_get_gives_the_default_when_the_key_is_not_there():
    """The keys are part of the layout: the same function called without "scale" gets
    code of its own, with the default 1.0 in it."""
    g = grad(p.get_with_default, wrt="params")
    assert g({"w": 0.5, "scale": 2.0}, 1.3) == pytest.approx({"w": 2.6, "scale": 0.65})
    assert g({"w": 0.5}, 1.3) == pytest.approx({"w": 1.3})
    assert g({"w": 0.5, "missing": 4.0}, 1.3) == pytest.approx({"w": 1.3, "missing": 1.0})
    check(p.get_with_default, ({"w": 0.5, "missing": 4.0}, 1.3))


def test_get_with_a_dict_default_when_the_key_is_not_there():
    gradient = check(p.get_nested, ({"bias": 0.2}, 1.5))
    assert gradient == pytest.approx({"bias": 0.4})


def test_get_of_a_whole_subtree_is_refused():
    refused(p.get_nested, ({"layer": {"w": 0.5}, "bias": 0.2}, 1.5), "as a whole")


def test_get_with_a_computed_key_is_refused():
    refused(p.get_with_computed_key, ({"w": 0.5, "s": 2.0}, "s"), "not a constant")


# --- 5. methods of dataclass parameters -------------------------------------------------------

def test_method_of_a_dataclass_parameter_in_a_generator():
    gradient = check(p.gaussian_nll, (p.Gaussian(0.3, -0.2), [0.1, 0.5, -0.3]), wrt="g")
    assert isinstance(gradient, p.Gaussian)
    sigma2 = math.exp(-0.4)
    assert gradient.mu == pytest.approx(-sum(x - 0.3 for x in [0.1, 0.5, -0.3]) / sigma2)


def test_method_in_a_loop_calling_another_method_and_staticmethods():
    check(p.gaussian_loop, (p.Gaussian(0.3, -0.2), [0.1, 0.5, -0.3]), wrt="g")


def test_methods_of_dataclass_leaves_of_a_dict():
    model = {"first": p.Dense(R.normal(size=(4, 3)), R.normal(size=4)),
             "second": p.Dense(R.normal(size=(2, 4)), R.normal(size=2))}
    gradient = check(p.two_dense_layers, (model, R.normal(size=3)), wrt="model")
    assert isinstance(gradient["first"], p.Dense)


def test_dataclass_layers_called_by_their_call_method():
    first = p.CallableDense(R.normal(size=(4, 3)), R.normal(size=4))
    second = p.CallableDense(R.normal(size=(2, 4)), R.normal(size=2))
    x = R.normal(size=3)
    gradient = check(p.called_layers, (p.TwoLayers(first, second), x), wrt="model")
    assert isinstance(gradient.first, p.CallableDense)
    check(p.called_dict_leaves, ({"first": first, "second": second}, x), wrt="model")
    gradient = check(p.called_parameter, (first, x), wrt="layer")     # net(X), Equinox style
    assert isinstance(gradient, p.CallableDense)
    check(p.called_layers, (p.TwoLayers(first, second), x), wrt="x")


def test_method_of_a_namedtuple_subclass():
    xs, ys = [0.0, 1.0, 2.0], [0.5, 1.4, 2.7]
    gradient = check(p.line_residuals, (p.Line(1.2, 0.3), xs, ys), wrt="line")
    assert isinstance(gradient, p.Line)


def test_a_property_is_read_through_its_getter():
    g = grad(p.gaussian_property, wrt="g")
    gradient = check(p.gaussian_property, (p.Gaussian(0.3, -0.2),), wrt="g")
    assert gradient.log_sigma == pytest.approx(2.0 * math.exp(-0.4)) and gradient.mu == 0.0
    g(p.Gaussian(0.3, -0.2))
    assert "Gaussian.variance.fget is not" in g.source      # rebinding it is followed


def test_a_method_writing_an_attribute_is_refused():
    refused(p.mutating_method, (p.Counter(0.5), 1.0), "attribute write", wrt="c")


def test_a_method_rebound_on_the_class_is_followed():
    g = grad(p.gaussian_nll, wrt="g")
    args = (p.Gaussian(0.3, -0.2), [0.1, 0.5, -0.3])
    before = g(*args)
    original = p.Gaussian.log_pdf
    try:
        p.Gaussian.log_pdf = p.other_log_pdf
        after = g(*args)
        assert after.mu == pytest.approx(sum(2 * 0.3 * x * x for x in args[1]))
        assert after.log_sigma == pytest.approx(3.0)
    finally:
        p.Gaussian.log_pdf = original
    assert g(*args).mu == pytest.approx(before.mu)


def test_forward_mode_and_hessian_through_a_method():
    g0, data = p.Gaussian(0.3, -0.2), [0.1, 0.5, -0.3]
    tangent = p.Gaussian(1.0, 0.5)
    value, slope = jvp(p.gaussian_nll, (g0, data), (tangent, [0.0, 0.0, 0.0]))
    gradient = grad(p.gaussian_nll, wrt="g")(g0, data)
    assert value == pytest.approx(p.gaussian_nll(g0, data))
    assert slope == pytest.approx(gradient.mu * 1.0 + gradient.log_sigma * 0.5)
    H = hessian(p.gaussian_nll, wrt="g")(g0, data)
    assert float(H.mu.mu) == pytest.approx(len(data) / math.exp(-0.4))


# --- 6. map -----------------------------------------------------------------------------------

@pytest.mark.parametrize("function, args", [
    (p.lambda_map_sum, ([0.5, 1.0, 2.0],)),
    (p.def_map_sum, ([0.5, 1.0, 2.0], 0.7)),
    (p.two_iterables_map, ([0.5, 1.0, 2.0], [1.5, -1.0, 0.25])),
    (p.builtin_map_of_math, ([0.5, 1.0, 2.0],)),
    (p.loop_over_map, ([0.5, 1.0, 2.0],)),
])
def test_map_is_a_generator(function, args):
    """Against central differences of the program, entry by entry of each parameter."""
    for position, name in enumerate(inspect.signature(function).parameters):
        ours = np.asarray(grad(function, wrt=name)(*args), dtype=float)
        value = np.asarray(args[position], dtype=float)
        theirs = np.zeros_like(value)
        for i in np.ndindex(value.shape):
            step = np.zeros_like(value)
            step[i] = 1e-6
            up, down = list(args), list(args)
            up[position], down[position] = (value + step).tolist(), (value - step).tolist()
            theirs[i] = (function(*up) - function(*down)) / 2e-6
        assert np.allclose(ours, theirs, rtol=1e-6, atol=1e-8), (name, ours, theirs)


# --- golden sources ---------------------------------------------------------------------------

GOLDEN_CASES = {
    "tree_dict_of_layers": (p.mlp_dict_of_layers, (MLP, np.ones((2, 3))), "params"),
    "tree_dict_comprehension": (p.squares_by_comprehension, (ABC,), None),
}


@pytest.mark.parametrize("case", sorted(GOLDEN_CASES))
def test_generated_source_matches_golden(case):
    function, args, wrt = GOLDEN_CASES[case]
    g = grad(function, wrt=wrt)
    g(*args)
    path = GOLDEN / f"{case}.py"
    if os.environ.get("S2SDIFF_UPDATE_GOLDEN"):
        path.write_text(g.source)
    assert g.source == path.read_text()
    assert grad(function, wrt=wrt).specialize(*args).source in g.source


def test_a_map_bound_to_a_name_is_refused():
    """Read twice, a map is empty the second time; a list would not be: refused."""
    refused(p.map_bound_to_a_name, ([0.5, 1.0],), "`map`")


def test_formatted_keys_in_a_generator_over_a_constant_range():
    gradient = check(p.formatted_keys_in_a_generator, ({"w0": 0.5, "w1": -1.0},))
    assert gradient == pytest.approx({"w0": 1.0, "w1": -4.0})


def test_string_tests_and_len_of_a_key_are_decided_per_copy():
    """`name.startswith("w")` and `len(key)` of a key a loop made a constant: decided
    where the loop is unrolled (they were refused as a method call, a string constant)."""
    params = {"w1": np.array([0.5, -1.0]), "b": np.array(0.3), "w2_frozen": np.array([2.0]),
              "k": np.array([1.5])}
    x = np.array([1.0, 2.0])
    check(p.decay_of_weights, (params, x))
    gradient = grad(p.decay_of_weights, wrt="params")(copy.deepcopy(params), x)
    assert np.array_equal(gradient["w2_frozen"], [0.0])          # not decayed: no term
    assert np.allclose(gradient["k"], 0.2 * params["k"])
    lengths = {"ab": 1.5, "c": -2.0, "def": 0.5}
    assert grad(p.weighted_by_key_length)(lengths) == pytest.approx(
        {"ab": 2 * 2 * 1.5, "c": 2 * 1 * -2.0, "def": 2 * 3 * 0.5}, rel=1e-15)


def test_a_data_dict_read_with_the_key_of_a_loop_over_another_dict():
    """`scale[k]` with `k` a key of `params` (not differentiated): a constant key in
    each copy; `scale` was taken for a number and refused at the call."""
    params, scale = {"a": 0.5, "b": 1.5}, {"a": 2.0, "b": 3.0}
    assert grad(p.scaled_by_key, wrt="params")(params, scale) == pytest.approx(
        {"a": 2 * 2.0 * 0.5, "b": 2 * 3.0 * 1.5}, rel=1e-15)
    arrays = {"u": R.normal(size=2), "v": R.normal(size=2)}
    check(p.scaled_by_item, (arrays, {"u": 0.5, "v": -2.0}, R.normal(size=2)))


def test_an_if_clause_on_the_keys_in_a_comprehension():
    """`sum(... for k, v in params.items() if k.startswith("w"))` (weight decay on the
    weights only): the clause is decided in each copy, as in a loop body (it was refused)."""
    params = {"w1": np.array([0.5, -1.0]), "b": np.array(0.3), "w2": np.array([2.0])}
    x = np.array([1.0, 2.0])
    gradient = check(p.decay_by_comprehension, (params, x))
    assert np.allclose(gradient["w2"], 0.2 * params["w2"])
