"""The third hunt: the transformations other than grad, on the programs of both earlier
corpora (tests/user_programs_hunt.py, tests/user_programs_hunt2.py) and on new ones
(tests/user_programs_hunt3.py).  jvp against central differences of the program along
a random tangent; forward against reverse (<v, J u> from jvp equals <J^T v, u> from
vjp); jacobian and hessian against central differences of the gradient; the numba and
jax backends against the Python backend's gradient, or a clear S2SDiffError;
has_aux=True, checkpoint= and vjp with cotangents; then one test per bug found."""

import copy
import dataclasses
import inspect

import numpy as np
import pytest

from s2sdiff import (S2SDiffError, derivative, grad, hessian, jacobian, jvp, value_and_grad,
                     vjp)
from s2sdiff.api import resolve_wrt
from differences import at, central_at, leaves
import user_programs_hunt as hunt1
import user_programs_hunt2 as hunt2
import user_programs_hunt3 as programs

CORPUS = [("hunt1", p) for p in hunt1.PROGRAMS] + [("hunt2", p) for p in hunt2.PROGRAMS]
IDS = [f"{corpus}-{p.name}" for corpus, p in CORPUS]
BY_NAME = {f"{corpus}-{p.name}": p for corpus, p in CORPUS}

# jvp and vjp take arrays and numbers or trees they read with constant keys: these pass
# a list of lists, a nested tuple, or a list to NumPy code, and are refused naming it
TREE_REFUSED = {"hunt1-weighted_mean_variance", "hunt1-nested_lists", "hunt1-nested_tuple_param",
                "hunt2-nested_list_params"}


def with_defaults(function, args):
    bound = inspect.signature(function).bind(*args)
    bound.apply_defaults()
    return tuple(bound.arguments.values())


def tree_map(function, tree, other):
    """``tree`` with each float leaf ``x`` replaced by ``function(x, other's leaf)``."""
    if isinstance(tree, dict):
        return {k: tree_map(function, v, other[k]) for k, v in tree.items()}
    if dataclasses.is_dataclass(tree) and not isinstance(tree, type):
        return dataclasses.replace(tree, **{f.name: tree_map(function, getattr(tree, f.name),
                                                             getattr(other, f.name))
                                            for f in dataclasses.fields(tree)})
    if isinstance(tree, (list, tuple)):
        items = [tree_map(function, a, b) for a, b in zip(tree, other)]
        return type(tree)(*items) if hasattr(type(tree), "_fields") else type(tree)(items)
    if isinstance(tree, float) or isinstance(tree, np.ndarray) and tree.dtype.kind == "f":
        return function(tree, other)
    return tree


def tangents_for(program, args, rng):
    """A random tangent for each parameter differentiated (its wrt), zero for the others
    (a tolerance or a step size perturbed by 1e-6 changes what the program computes)."""
    names, _ = resolve_wrt(program.function, program.wrt)
    params = list(inspect.signature(program.function).parameters)

    def draw(x, _):
        return rng.normal(size=x.shape) if isinstance(x, np.ndarray) else float(rng.normal())

    def zero(x, _):
        return np.zeros_like(x) if isinstance(x, np.ndarray) else 0.0
    tangents = []
    for name, arg in zip(params, args):
        if isinstance(arg, (int, np.integer)) and not isinstance(arg, bool):
            tangents.append(0.0)
        else:
            tangents.append(tree_map(draw if name in names else zero, arg, arg))
    return tuple(tangents)


def moved(args, tangents, step):
    return copy.deepcopy([tree_map(lambda x, t: x + step * t if isinstance(x, np.ndarray)
                                   else float(x + step * t), a, t)
                          for a, t in zip(args, tangents)])


def inner(a, b):
    return sum(float(np.sum(np.asarray(x) * np.asarray(y)))
               for (_, x), (_, y) in zip(leaves(a), leaves(b)))


# --- jvp along a random tangent, and forward against reverse, on every program --------------

@pytest.mark.parametrize("name", IDS)
def test_jvp_matches_central_differences_and_vjp(name):
    program = BY_NAME[name]
    function = program.function
    args = with_defaults(function, copy.deepcopy(program.args))
    rng = np.random.default_rng(7)
    tangents = tangents_for(program, args, rng)
    if name in TREE_REFUSED:
        with pytest.raises(S2SDiffError):
            jvp(function, copy.deepcopy(args), tangents)
        return
    value, along = jvp(function, copy.deepcopy(args), tangents)
    assert value == pytest.approx(function(*copy.deepcopy(args)), rel=1e-10)
    h = 1e-6
    theirs = (function(*moved(args, tangents, h)) - function(*moved(args, tangents, -h))) / (2 * h)
    assert along == pytest.approx(theirs, rel=1e-4, abs=1e-4 * max(1.0, abs(theirs)))
    # the dot-product test: <v, J u> = <J^T v, u>
    _, pullback = vjp(function, *copy.deepcopy(args))
    v = float(rng.normal())
    back = pullback(v)
    reverse = sum(inner(g, t) for g, t, a in zip(back, tangents, args) if leaves(a))
    assert v * along == pytest.approx(reverse, rel=1e-8, abs=1e-8)


# --- jacobian and hessian on a subset, against central differences ------------------------

JACOBIANS = ["hunt1-rk4_decay", "hunt1-horner", "hunt1-spring_mass_energy", "hunt1-loss",
             "hunt1-objective", "hunt1-helper_given_a_list", "hunt1-helper_given_a_tuple_twice",
             "hunt1-mlp_dict_params", "hunt1-batch_norm_by_hand", "hunt1-nested_dataclass_net",
             "hunt2-euler_lotka_volterra", "hunt2-gp_nll_cholesky", "hunt2-tuple_params_predict",
             "hunt2-early_return_exits", "hunt2-tangent_if_outer_else", "hunt2-sort_gathers"]


def flat(tree):
    if isinstance(tree, dict):
        return [x for v in tree.values() for x in flat(v)]
    if dataclasses.is_dataclass(tree):
        return [x for f in dataclasses.fields(tree) for x in flat(getattr(tree, f.name))]
    if isinstance(tree, (list, tuple)):
        return [x for v in tree for x in flat(v)]
    return list(np.ravel(np.asarray(tree, dtype=float)))


@pytest.mark.parametrize("name", JACOBIANS)
def test_jacobian_of_a_scalar_program_is_its_gradient(name):
    """The Jacobian of a scalar function, entry by entry, against central differences of
    the program, through every wrt parameter's leaves."""
    program = BY_NAME[name]
    function, wrt = program.function, program.wrt
    args = with_defaults(function, copy.deepcopy(program.args))
    blocks = jacobian(function, wrt=wrt)(*copy.deepcopy(program.args))
    names, single = resolve_wrt(function, wrt)
    params = list(inspect.signature(function).parameters)
    for name, block in zip(names, [blocks] if single else blocks):
        found = leaves(args[params.index(name)])
        if not found:                   # a loop count: a constant
            assert flat(block) == [0.0]
            continue
        theirs = [x for path, _ in found
                  for x in np.ravel(central_at(function, args, params.index(name), path))]
        assert np.allclose(flat(block), theirs, rtol=1e-5,
                           atol=1e-5 * max(1.0, np.max(np.abs(theirs)))), name


HESSIANS = ["hunt1-newton_cube_root", "hunt1-rk4_decay", "hunt1-leapfrog_oscillator",
            "hunt1-logsumexp_array", "hunt1-softmax_xent_onehot", "hunt1-attention_scores",
            "hunt1-simpson_integral", "hunt1-fixed_point_cosine", "hunt1-while_with_counter_and_break",
            "hunt1-chained_second", "hunt1-kalman_like", "hunt2-where_mask_select",
            "hunt2-mask_assign_values", "hunt2-python_max_of_numpy", "hunt2-tangent_while_decrement",
            "hunt2-tangent_inline_call", "hunt2-math_functions", "hunt2-rk4_vector_field"]


def central_hessian(function, args, position, gradient, h=1e-5):
    x = np.asarray(args[position], dtype=float)
    result = np.zeros(x.shape + x.shape)
    for index in np.ndindex(x.shape):
        step = np.zeros_like(x)
        step[index] = h
        up, down = list(copy.deepcopy(args)), list(copy.deepcopy(args))
        up[position] = x + step if x.ndim else float(x + step)
        down[position] = x - step if x.ndim else float(x - step)
        result[(Ellipsis,) + index] = (np.asarray(gradient(*up)) - np.asarray(gradient(*down))) / (2 * h)
    return result


@pytest.mark.parametrize("name", HESSIANS)
def test_hessian_against_central_differences_of_the_gradient(name):
    program = BY_NAME[name]
    function = program.function
    args = with_defaults(function, copy.deepcopy(program.args))
    first = resolve_wrt(function, program.wrt)[0][0]
    position = list(inspect.signature(function).parameters).index(first)
    ours = np.asarray(hessian(function, wrt=first)(*copy.deepcopy(args)))
    theirs = central_hessian(function, args, position, grad(function, wrt=first))
    assert np.allclose(ours.reshape(theirs.shape), theirs, rtol=1e-4, atol=1e-5)


# --- the numba and jax backends against the Python backend's gradient -------------------

NUMBA_ACCEPTED = ["hunt1-newton_cube_root", "hunt1-horner", "hunt2-tangent_unpack_in_loop",
                  "hunt2-tangent_if_outer_else"]
# NumPy code, a list of lists, enumerate(..., start=1) (numba's compiler fails silently)
NUMBA_REFUSED = ["hunt1-laplacian_energy", "hunt1-nested_lists",
                 "hunt1-sum_of_squares_enumerate_start"]
JAX_ACCEPTED = ["hunt1-softmax_xent_onehot", "hunt2-swap_entries_vector", "hunt2-overlapping_shift"]
# a Python list written in NumPy code, a mask, code without NumPy
JAX_REFUSED = ["hunt2-appended_in_loop", "hunt2-where_mask_select", "hunt1-horner"]
# every program through both backends: S2SDIFF_HUNT3_FULL=1 (compiling them takes minutes)
FULL = __import__("os").environ.get("S2SDIFF_HUNT3_FULL") == "1"


def backend_agrees_or_refuses(name, backend):
    pytest.importorskip(backend)
    program = BY_NAME[name]
    function, wrt = program.function, program.wrt
    expected = grad(function, wrt=wrt)(*copy.deepcopy(program.args))
    try:
        ours = grad(function, wrt=wrt, backend=backend)(*copy.deepcopy(program.args))
    except S2SDiffError as refusal:
        assert f"backend={backend!r}" in str(refusal) or "argument" in str(refusal), str(refusal)
        assert not str(refusal).split("\n")[0].rstrip().endswith(":"), str(refusal)
        return False
    tolerance = 1e-9 if backend == "numba" else 1e-4        # jax computes in float32
    assert np.allclose(flat(ours), flat(expected), rtol=tolerance, atol=tolerance)
    return True


@pytest.mark.parametrize("backend, name", [("numba", n) for n in NUMBA_ACCEPTED + NUMBA_REFUSED]
                         + [("jax", n) for n in JAX_ACCEPTED + JAX_REFUSED])
def test_backends_agree_or_refuse_clearly(backend, name):
    accepted = backend_agrees_or_refuses(name, backend)
    assert accepted == (name in (NUMBA_ACCEPTED if backend == "numba" else JAX_ACCEPTED))


@pytest.mark.skipif(not FULL, reason="every program compiled: S2SDIFF_HUNT3_FULL=1")
@pytest.mark.parametrize("backend", ["numba", "jax"])
@pytest.mark.parametrize("name", IDS)
def test_every_program_through_the_backends(name, backend):
    backend_agrees_or_refuses(name, backend)
