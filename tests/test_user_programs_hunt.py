"""Every program of tests/user_programs_hunt.py: grad and value_and_grad against central
differences of the program itself, taken here leaf by leaf (floats, arrays, lists, dicts,
dataclasses); the refused programs raise a clear S2SDiffError naming the construct and
the user's file.  Then vjp/jvp/hessian on a subset, against central differences of the
gradient or forward-vs-reverse, and calls of one gradient at several shapes and values."""

import copy

import numpy as np
import pytest

from s2sdiff import (S2SDiffError, check_grad, grad, hessian, jacobian, jvp, value_and_grad,
                     verify, vjp)
from s2sdiff.check import check_grad_function
from differences import central_at as central, check_against_central, same_tree
from user_programs_hunt import PROGRAMS, REFUSED

@pytest.mark.parametrize("program", PROGRAMS, ids=[p.name for p in PROGRAMS])
def test_gradient_matches_central_differences(program):
    function, args, wrt = program.function, program.args, program.wrt
    gradient = grad(function, wrt=wrt)(*copy.deepcopy(args))
    check_against_central(function, args, wrt, gradient)
    value, again = value_and_grad(function, wrt=wrt)(*copy.deepcopy(args))
    assert value == pytest.approx(function(*copy.deepcopy(args)), rel=1e-12)
    same_tree(again, gradient)


@pytest.mark.parametrize("program, construct", REFUSED, ids=[p.name for p, _ in REFUSED])
def test_refused_with_a_clear_error(program, construct):
    with pytest.raises(S2SDiffError) as caught:
        grad(program.function, wrt=program.wrt)(*program.args)
    message = str(caught.value)
    assert construct in message and "user_programs_hunt.py" in message, message
    assert caught.value.lineno is not None


def test_the_corpus_is_large_enough():
    assert len(PROGRAMS) + len(REFUSED) >= 40


# --- raise inside an if: the gradient raises the user's exception where f raises -------------

@pytest.mark.parametrize("function, args, error", [
    ("parameter_check_raises", (0.7, -1.0), ValueError),
    ("raise_in_else_arm", (-2.0,), ValueError),
    ("raise_in_numpy_loop", (np.array([0.1, 0.2]), 0), ValueError),
    ("raise_in_numpy_loop", (np.array([0.1, 2e6]), 2), FloatingPointError),
])
def test_the_gradient_raises_where_the_function_raises(function, args, error):
    import user_programs_hunt
    function = getattr(user_programs_hunt, function)
    with pytest.raises(error) as expected:
        function(*args)
    wrt = "x" if function.__name__ == "raise_in_numpy_loop" else None
    for transform in (grad, value_and_grad):
        with pytest.raises(error) as caught:
            transform(function, wrt=wrt)(*args)
        assert str(caught.value) == str(expected.value)


# --- the oracles shipped in the library, on every program --------------------------------

@pytest.mark.parametrize("program", PROGRAMS, ids=[p.name for p in PROGRAMS])
def test_check_grad_passes_trees_included(program):
    """check_grad takes what grad takes: dicts, lists of layers and dataclasses are
    compared leaf by leaf (a raw TypeError from np.array(dict) before)."""
    report = check_grad(program.function, *copy.deepcopy(program.args), wrt=program.wrt)
    assert report.rows


# SymPy's simplification of a 20-step recurrence takes minutes (and gigabytes)
SLOW_FOR_SYMPY = {"tuple_state_ode"}


@pytest.mark.parametrize("program", [p for p in PROGRAMS if p.name not in SLOW_FOR_SYMPY],
                         ids=[p.name for p in PROGRAMS if p.name not in SLOW_FOR_SYMPY])
def test_verify_agrees_or_refuses_clearly(program):
    """verify runs functions of numbers on SymPy symbols; NumPy code, trees, lists, loop
    counts and branches are refused with an S2SDiffError (raw KeyError, AttributeError
    or TypeError before) that points at the user's line where there is one."""
    try:
        report = verify(program.function, wrt=program.wrt)
    except S2SDiffError as error:
        assert "check_grad" in str(error)
        assert error.filename is not None and error.lineno is not None, str(error)
    else:
        assert report.rows


def test_verify_reads_keyword_only_defaults_of_helpers():
    """A helper with keyword-only defaults, rebuilt for SymPy, kept them (a TypeError
    'missing 2 required keyword-only arguments' before)."""
    from user_programs_hunt import keyword_calls_module_helper
    assert [row[0] for row in verify(keyword_calls_module_helper).rows] == ["x", "y"]


def test_check_grad_catches_a_wrong_leaf_of_a_tree():
    import user_programs_hunt as programs
    args = next(p for p in PROGRAMS if p.name == "mlp_dict_params").args

    def wrong(params, X, y):
        gradient = grad(programs.mlp_dict_params, wrt="params")(params, X, y)
        return {**gradient, "b1": gradient["b1"] * 1.01}

    with pytest.raises(AssertionError, match=r"params\['b1'\]"):
        check_grad_function(programs.mlp_dict_params, wrong, *args, wrt="params")


# --- vjp of scalar code given arrays (generated per argument kind) ------------------------

SELF_UPDATING = ["stencil_with_loop", "running_product", "squared_recurrence",
                 "continued_fraction", "decay_in_place"]


@pytest.mark.parametrize("name", SELF_UPDATING)
def test_vjp_of_scalar_code_given_arrays_sums_every_iteration(name):
    """`total += u[i] ** 2` in a loop of code without NumPy calls, given an array: the
    pullback generated for arrays wrote `dtotal += dtotal` then zeroed it, so only the
    last iteration reached the gradient (silently wrong before)."""
    program = next(p for p in PROGRAMS if p.name == name)
    args = copy.deepcopy(program.args)
    value, pullback = vjp(program.function, *args)
    assert value == pytest.approx(program.function(*args))
    for position, (ours, arg) in enumerate(zip(pullback(1.0), args)):
        theirs = central(program.function, args, position, ())
        assert np.allclose(ours, theirs, rtol=1e-6, atol=1e-7), (position, ours, theirs)
    doubled = pullback(2.0)
    for ours, once in zip(doubled, pullback(1.0)):
        assert np.allclose(ours, 2.0 * np.asarray(once))
    if len(args) == 1:
        assert np.allclose(jacobian(program.function)(*args), central(program.function, args, 0, ()),
                           rtol=1e-6, atol=1e-7)


# --- backends keep the user's signature ---------------------------------------------------

CALLS = [((), {}), ((2,), {}), ((2, 1.5), {}), ((), {"scale": 1.5}), ((), {"n": 4}),
         ((1,), {"scale": 0.5})]


@pytest.mark.parametrize("backend", ["numba", "jax"])
def test_backends_take_defaults_and_keywords(backend):
    """backend="numba" called the compiled code without the user's defaults (a raw
    TypeError "missing 1 required positional argument"), and took no keyword arguments;
    backend="jax" traced a passed int (range(n) failed) and ran keyword-only parameters
    without their defaults."""
    pytest.importorskip(backend)
    import user_programs_hunt as programs
    function = programs.damped_map if backend == "numba" else programs.damped_map_numpy
    x = 0.3 if backend == "numba" else np.array([0.3, -0.2])
    ours = grad(function, wrt="x", backend=backend)
    python = grad(function, wrt="x")
    for args, kwargs in CALLS:
        expected = python(x, *args, **kwargs)
        assert np.allclose(np.asarray(ours(x, *args, **kwargs), dtype=float), expected,
                           rtol=1e-6), (args, kwargs)
        assert np.allclose(expected, central(lambda v: function(v, *args, **kwargs), (x,), 0, ()),
                           rtol=1e-5, atol=1e-6)
    keyword_only = programs.scaled_keyword_only if backend == "numba" else \
        programs.numpy_keyword_only
    ours = grad(keyword_only, wrt="x", backend=backend)
    python = grad(keyword_only, wrt="x")
    for kwargs in ({}, {"scale": 3.0}):
        assert np.allclose(np.asarray(ours(x, **kwargs), dtype=float), python(x, **kwargs),
                           rtol=1e-6)


def test_verify_follows_a_gradient_called_inside_the_function():
    """slope_penalty calls a gradient made at module level: SymPy runs that generated
    code too (an ArgumentError 'got Symbol a' before)."""
    from user_programs_hunt import slope_penalty
    report = verify(slope_penalty)
    assert report.rows[0][3] == "simplified to 0"


# --- arguments: ints for differentiated parameters of NumPy code; pullbacks keep their point

def test_an_int_for_a_differentiated_number_in_numpy_code_is_refused():
    """grad(f)(x, 2) with f(x, y) = np.sum(np.exp(x) * y) returned 0.0 for dy (the int
    was a static argument, a constant): refused as int arrays are, naming the parameter;
    an int used as a loop count stays a constant."""
    from user_programs_hunt import damped_map_numpy

    def scaled(x, y):
        return np.sum(np.exp(x) * y)

    x = np.array([0.1, 0.2])
    for value in (2, np.int64(2)):
        with pytest.raises(S2SDiffError) as caught:
            grad(scaled)(x, value)
        assert "'y'" in str(caught.value) and "2.0" in str(caught.value)
    dx, dy = grad(scaled)(x, 2.0)
    assert dy == pytest.approx(np.sum(np.exp(x)))
    assert np.allclose(grad(scaled, wrt="x")(x, 2), 2.0 * np.exp(x))
    dx, dn, dscale = grad(damped_map_numpy)(x, 3, 2.0)
    assert np.allclose(dx, central(lambda v: damped_map_numpy(v, 3, 2.0), (x,), 0, ()))


def test_a_pullback_keeps_the_point_it_was_made_at():
    """vjp's pullback recomputed the forward from the caller's arrays when it was called:
    writing into them in between changed the gradient (silently)."""
    from user_programs_hunt import mlp_dict_params

    def vector(x):
        return np.tanh(x) * x[0]

    x = np.array([0.1, 0.2])
    _, pullback = vjp(vector, x)
    before = pullback(np.array([1.0, 0.5]))[0]
    x[:] = [5.0, 6.0]
    assert np.array_equal(pullback(np.array([1.0, 0.5]))[0], before)
    params = copy.deepcopy(next(p for p in PROGRAMS if p.name == "mlp_dict_params").args[0])
    data = next(p for p in PROGRAMS if p.name == "mlp_dict_params").args[1:]
    _, pullback = vjp(mlp_dict_params, params, *data)
    before = pullback(1.0)[0]["W1"].copy()
    params["W1"] *= 3.0
    assert np.array_equal(pullback(1.0)[0]["W1"], before)


def test_jvp_of_a_recursion_along_other_parameters():
    """jvp(fast_power, (x, n), ...) calls the jvp along x alone for `fast_power(x, n // 2)`;
    it was emitted under the generated function's own name, which called itself with a
    missing tangent (a raw TypeError)."""
    from user_programs_hunt import fast_power
    value, tangent = jvp(fast_power, (1.3, 7), (1.0, 0.0))
    assert value == pytest.approx(1.3 ** 7)
    assert tangent == pytest.approx(7 * 1.3 ** 6)
    assert hessian(fast_power, wrt="x")(1.3, 7) == pytest.approx(42 * 1.3 ** 5)
