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

from s2sdiff import (S2SDiffError, grad, hessian, hvp, jacobian, jvp, value_and_grad,
                     vjp)
from s2sdiff.api import resolve_wrt
from differences import central_at, leaves, with_defaults
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


# --- the new programs: several outputs (vjp with cotangents, jacobian) ------------------

def finite_jacobian(function, args, position, h=1e-6):
    """(outputs flattened, entries of args[position]) by central differences."""
    x = np.asarray(args[position], dtype=float)
    columns = []
    for index in np.ndindex(x.shape):
        step = np.zeros_like(x)
        step[index] = h
        outs = []
        for sign in (1.0, -1.0):
            trial = list(copy.deepcopy(args))
            trial[position] = x + sign * step if x.ndim else float(x + sign * step)
            out = function(*trial)
            outs.append(np.concatenate([np.ravel(o) for o in out]) if isinstance(out, tuple)
                        else np.ravel(out))
        columns.append((outs[0] - outs[1]) / (2 * h))
    return np.stack(columns, axis=-1)


MULTI = [(programs.projectile_state, (12.0, 0.7)), (programs.polar_to_cartesian, (1.3, 0.4)),
         (programs.softmax_vector, (np.array([0.3, -1.2, 0.8, 0.1]),)),
         (programs.residuals, (np.array([0.3, -0.2, 0.5]),)),
         (programs.mean_and_spread, (np.array([0.3, -1.2, 0.8, 0.1]),)),
         (programs.rotate_and_scale, (np.array([1.0, 0.5]), 0.3, 1.7)),
         (programs.cumulative_discount, (np.array([1.0, 0.5, -0.3, 2.0]), 0.9))]


@pytest.mark.parametrize("function, args", MULTI, ids=[f.__name__ for f, _ in MULTI])
def test_vjp_with_cotangents_jvp_and_jacobian(function, args):
    args = with_defaults(function, args)
    rng = np.random.default_rng(1)
    value, pullback = vjp(function, *copy.deepcopy(args))
    outputs = value if isinstance(value, tuple) else (value,)
    cotangents = tuple(rng.normal(size=np.shape(v)) if np.ndim(v) else float(rng.normal())
                       for v in outputs)
    back = pullback(cotangents if isinstance(value, tuple) else cotangents[0])
    seed = np.concatenate([np.ravel(c) for c in cotangents])
    for position, arg in enumerate(args):
        if isinstance(arg, int):
            continue
        theirs = finite_jacobian(function, args, position)
        assert np.allclose(np.ravel(back[position]), seed @ theirs, rtol=1e-5, atol=1e-6)
        tangents = [0 if isinstance(a, int) else np.zeros_like(a) if np.ndim(a) else 0.0
                    for a in args]
        tangents[position] = rng.normal(size=np.shape(arg)) if np.ndim(arg) else float(rng.normal())
        _, along = jvp(function, copy.deepcopy(args), tuple(tangents))
        along = np.concatenate([np.ravel(a) for a in along]) if isinstance(along, tuple) \
            else np.ravel(along)
        assert np.allclose(along, theirs @ np.ravel(tangents[position]), rtol=1e-5, atol=1e-6)
        # the Jacobian along this parameter: a block per output, out.shape + in.shape
        blocks = jacobian(function, wrt=position)(*copy.deepcopy(args))
        blocks = blocks if isinstance(value, tuple) else (blocks,)
        ours = np.concatenate([np.reshape(b, (np.size(o), np.size(arg)))
                               for b, o in zip(blocks, outputs)])
        assert np.allclose(ours, theirs, rtol=1e-5, atol=1e-6)


# --- has_aux=True -----------------------------------------------------------------

W = np.array([0.3, -0.2, 0.5])
AUX = [(programs.loss_with_predictions, (W,), "w"),
       (programs.loss_with_metrics, (W, 0.1), ("w", "b")),
       (programs.scalar_loss_with_count, (0.7, 1.3), ("x", "y")),
       (programs.branchy_loss_aux, (0.9,), "x"), (programs.branchy_loss_aux, (0.2,), "x")]


def same_aux(ours, theirs):
    assert type(ours) is type(theirs) or np.ndim(theirs) == 0, (ours, theirs)
    if isinstance(theirs, dict):
        assert list(ours) == list(theirs)
        for key in theirs:
            same_aux(ours[key], theirs[key])
    elif isinstance(theirs, (tuple, list)):
        for a, b in zip(ours, theirs, strict=True):
            same_aux(a, b)
    else:
        assert np.array_equal(np.asarray(ours), np.asarray(theirs))


@pytest.mark.parametrize("function, args, wrt", AUX,
                         ids=[f"{f.__name__}-{a[0] if np.ndim(a[0]) == 0 else 'w'}" for f, a, _ in AUX])
def test_has_aux_returns_the_aux_and_the_loss_gradient(function, args, wrt):
    loss, aux = function(*copy.deepcopy(args))
    (value, got), gradient = value_and_grad(function, wrt=wrt, has_aux=True)(*copy.deepcopy(args))
    assert value == pytest.approx(loss, rel=1e-12)
    same_aux(got, aux)
    again, got = grad(function, wrt=wrt, has_aux=True)(*copy.deepcopy(args))
    same_aux(got, aux)
    names, single = resolve_wrt(function, wrt)
    params = list(inspect.signature(function).parameters)
    for name, ours in zip(names, [gradient] if single else gradient):
        position = params.index(name)
        theirs = central_at(lambda *a: function(*a)[0], with_defaults(function, args), position, ())
        assert np.allclose(ours, theirs, rtol=1e-5, atol=1e-6), name
    value, pullback, got = vjp(function, *copy.deepcopy(args), has_aux=True)
    same_aux(got, aux)
    first = pullback(2.0)[params.index(names[0])]
    assert np.allclose(first, 2.0 * np.asarray(gradient if single else gradient[0]))


# --- checkpoint=: the tape's gradient, exactly ------------------------------------------

@pytest.mark.parametrize("function, args, wrt", [
    (programs.logistic_map, (3.2, 0.3), ("r", "x0")),
    (programs.damped_pendulum, (0.8, 0.1, 0.3), ("theta0", "omega0", "damping"))])
def test_checkpoint_schedules_give_the_tape_gradient(function, args, wrt):
    tape = grad(function, wrt=wrt)(*args)
    for schedule in ("sqrt", ("binomial", 2), ("binomial", 3, 2)):
        assert np.array_equal(grad(function, wrt=wrt, checkpoint=schedule)(*args), tape)
        _, pullback = vjp(function, *args, checkpoint=schedule)
        assert np.allclose(pullback(1.0)[:len(wrt)], tape, rtol=1e-14, atol=0)


def test_checkpoint_refuses_a_loop_writing_into_an_array_it_made():
    """Conservative: `lap[1:-1] = ...` into an array made in the step is refused."""
    with pytest.raises(S2SDiffError, match="writes into `lap` in place") as caught:
        grad(programs.heat_rod, wrt="u0", checkpoint="sqrt")(np.ones(5), 0.2)
    assert caught.value.lineno is not None


# --- hessian: loops, branches, helpers, dicts, NumPy reductions ---------------------------

NEW_HESSIANS = [(programs.helper_in_loop, (0.7, 0.3), "x"),
                (programs.branch_then_loop, (0.7, 0.3), "x"),
                (programs.branch_then_loop, (0.7, -0.3), "y"),
                (programs.while_with_damping, (1.3,), "a"),
                (programs.reductions_mix, (np.array([0.3, -1.2, 0.8, 0.1]),), "x"),
                (programs.numpy_loop_accumulate, (np.array([0.3, -1.2, 0.8]),), "x"),
                (programs.softplus_branch_numpy, (np.array([0.9, -1.2, 0.8]),), "x"),
                (programs.softplus_branch_numpy, (np.array([0.3, -0.2, 0.1]),), "x"),
                (programs.dataclass_scalar, (programs.Coefficients(0.7, 1.1), 0.4), "x"),
                (programs.nested_helpers, (0.7, -0.4), "y"),
                (programs.logistic_map, (3.2, 0.3), "r"),
                (programs.heat_rod, (np.sin(np.linspace(0.0, 3.0, 5)), 0.2), "u0")]


@pytest.mark.parametrize("function, args, wrt", NEW_HESSIANS,
                         ids=[f"{f.__name__}-{w}-{k}" for k, (f, _, w) in enumerate(NEW_HESSIANS)])
def test_hessian_of_new_programs(function, args, wrt):
    args = with_defaults(function, args)
    position = list(inspect.signature(function).parameters).index(wrt)
    ours = np.asarray(hessian(function, wrt=wrt)(*copy.deepcopy(args)))
    theirs = central_hessian(function, args, position, grad(function, wrt=wrt))
    assert np.allclose(ours.reshape(theirs.shape), theirs, rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("function, params, rest", [
    (programs.dict_params_scalar, {"a": 0.5, "b": 1.2, "c": -0.3}, (0.8,)),
    (programs.dict_params_numpy, {"w": np.array([0.3, -0.2, 0.1]), "b": 0.1}, ())])
def test_hessian_of_dict_parameters(function, params, rest):
    """Blocks H[k1][k2] of dict parameters against central differences of the gradient's
    entry k1 along each entry of k2."""
    ours = hessian(function, wrt="params")(copy.deepcopy(params), *rest)
    gradient = grad(function, wrt="params")
    for k1 in params:
        for k2 in params:
            x = np.asarray(params[k2], dtype=float)
            for index in np.ndindex(x.shape):
                columns = []
                for sign in (1.0, -1.0):
                    trial = copy.deepcopy(params)
                    shifted = x.copy()
                    shifted[index] += sign * 1e-5
                    trial[k2] = shifted if x.ndim else float(shifted)
                    columns.append(np.asarray(gradient(trial, *rest)[k1]))
                theirs = (columns[0] - columns[1]) / 2e-5
                block = np.asarray(ours[k1][k2])
                assert np.allclose(block[(Ellipsis,) + index], theirs, rtol=1e-4, atol=1e-5)


def test_hessian_through_np_prod_matches_differences_of_the_gradient():
    """Refused once (np.prod's derivative, prod_of_others, had no derivative of its own);
    now prod_of_others_tangent differentiates it again."""
    x, h = np.array([0.3, -1.2, 0.8]), 1e-6
    gradient = grad(programs.norm_and_prod)
    columns = [(gradient(x + h * e) - gradient(x - h * e)) / (2 * h) for e in np.eye(3)]
    assert np.allclose(hessian(programs.norm_and_prod)(x), np.array(columns).T,
                       rtol=1e-6, atol=1e-7)


# --- the bugs this hunt fixed, each with its own oracle -----------------------------------

@pytest.mark.parametrize("function", [programs.shifted_square, programs.calls_shifted_square,
                                      hunt2.inplace_on_parameter])
def test_vjp_of_a_function_writing_into_its_argument_by_augmented_assignment(function):
    """`x += 1.0; x *= x` on the caller's array: vjp called the function on the array
    itself, then took the pullback at the written values (silently wrong); it now calls
    it on a copy, as for other writes into arguments."""
    x = np.array([0.3, -0.5, 1.2])
    expected = grad(function)(x.copy())
    assert np.allclose(expected, central_at(function, (x,), 0, ()), rtol=1e-6)
    value, pullback = vjp(function, x)
    assert np.array_equal(x, [0.3, -0.5, 1.2])
    assert value == pytest.approx(function(x.copy()))
    assert np.allclose(pullback(1.5)[0], 1.5 * expected)


def test_a_helper_adding_into_a_number_is_not_a_write_into_the_caller():
    """Scalar code calling a helper that does `a += b` on a number stays accepted."""
    dx, dy = grad(programs.scalar_caller)(0.3, 0.2)
    assert dx == pytest.approx(2.0 * np.cos(1.0) + 1.0)
    assert dy == pytest.approx(2.0 * np.cos(1.0))


def test_numba_refuses_a_list_of_lists_naming_the_argument():
    """A ragged list for a list parameter: a raw ValueError from np.asarray before."""
    pytest.importorskip("numba")
    gradient = grad(hunt1.nested_lists, backend="numba")
    with pytest.raises(S2SDiffError, match="argument 'A'"):
        gradient([[0.5, -1.0], [2.0, 0.3, 0.1]])


def test_numba_compiler_failure_without_a_message_is_named():
    pytest.importorskip("numba")
    with pytest.raises(S2SDiffError, match="AssertionError and no message"):
        grad(hunt1.sum_of_squares_enumerate_start, backend="numba")([0.5, -1.0, 2.0])


def test_jax_writes_into_an_adjoint_started_from_a_global_array():
    """`np.sum(y * WEIGHTS[:3])` then `y[0], y[2] = ...`: the adjoint of y starts as a
    slice of the global NumPy array, which has no `.at` (a raw AttributeError before)."""
    pytest.importorskip("jax")
    x = np.array([0.3, 1.2, -0.5])
    ours = grad(hunt2.swap_entries_vector, backend="jax")(x)
    assert np.allclose(np.asarray(ours), grad(hunt2.swap_entries_vector)(x), rtol=1e-6)


def test_jax_refuses_a_write_into_a_python_list():
    pytest.importorskip("jax")
    with pytest.raises(S2SDiffError, match="Python list `dout`") as caught:
        grad(hunt2.appended_in_loop, backend="jax")(np.array([0.3, 1.2, -0.5]))
    assert caught.value.lineno is not None


@pytest.mark.parametrize("name", ["where_mask_select", "mask_assign_values"])
def test_hessian_through_a_mask_differentiates_the_jvp_again(name):
    """The jvp of NumPy code with `x[mask]` checks its data-dependent shape and calls
    `specialise_again`; differentiated again that call was refused as a call taking
    *args.  It is now a ValueError where the shapes differ (this code's own guard fires
    first), so the Hessian runs."""
    function = getattr(hunt2, name)
    x = np.array([0.3, -0.7, 1.2, 0.9, -1.5])
    ours = hessian(function)(x)
    theirs = central_hessian(function, (x,), 0, grad(function))
    assert np.allclose(ours, theirs, atol=1e-5)


def test_hessian_through_abs_of_a_numpy_sum():
    """abs's tangent `(1 if s > 0 else -1 if s < 0 else 0 * s) * s_dot`, differentiated
    again as NumPy code, was refused as an int on one path and a float on another."""
    x = np.array([0.3, 1.2, -0.5])
    ours = hessian(hunt2.python_max_of_numpy)(x)
    theirs = central_hessian(hunt2.python_max_of_numpy, (x,), 0, grad(hunt2.python_max_of_numpy))
    assert np.allclose(ours, theirs, atol=1e-5)
    source = jvp(hunt2.python_max_of_numpy).specialize(x, x).source
    assert "(1.0 if sumxcube > 0 else -1.0 if sumxcube < 0 else 0 * sumxcube)" in source


def test_jacobian_of_a_list_and_a_number_is_a_tuple_of_blocks():
    """The Jacobian by rows of scalar code with a list parameter beside a number could
    not be stacked into one array (a raw ValueError from np.array before)."""
    coefficients, x = [1.0, 2.0, 3.0], 0.5
    ours = jacobian(programs.horner_and_slope)(coefficients, x)
    assert isinstance(ours, tuple) and len(ours) == 2
    for row, output in zip(ours, range(2)):
        d_coefficients, d_x = row
        def pick(c, v, output=output):
            return programs.horner_and_slope(list(c), v)[output]
        assert np.allclose(d_coefficients, central_at(pick, (np.array(coefficients), x), 0, ()))
        assert d_x == pytest.approx(float(central_at(pick, (np.array(coefficients), x), 1, ())))


def test_jacobian_of_a_method_calling_methods_of_self():
    """jacobian(POLY.loss) read the method's function alone and refused `self.value(...)`;
    it now reads it specialised on its class, as grad does."""
    program = BY_NAME["hunt1-loss"]
    ours = jacobian(program.function, wrt="coeffs")(*program.args)
    assert np.allclose(ours, grad(program.function, wrt="coeffs")(*program.args))


@pytest.mark.parametrize("function, primals, tangents", [
    (hunt1.fast_power, (1.3, 7), (1.0, 0)), (hunt1.power_times_exponent, (1.3, 0.7), (1.0, 0.5)),
    (hunt2.recursion_depth, (0.5, 3), (1.0, 0))])
def test_hvp_of_a_recursive_function(function, primals, tangents):
    """Reverse mode over the jvp of a function calling itself: the pullback's recursive
    call passed the pair of cotangents (value, tangent) as one argument (a TypeError,
    reported as 'generated from code that has changed')."""
    ours = hvp(function, primals, tangents)
    params = list(inspect.signature(function).parameters)
    floats = [k for k, p in enumerate(primals) if isinstance(p, float)]
    gradient = grad(function, wrt=tuple(params[k] for k in floats))
    h = 1e-5
    up = [p + h * t if k in floats else p for k, (p, t) in enumerate(zip(primals, tangents))]
    down = [p - h * t if k in floats else p for k, (p, t) in enumerate(zip(primals, tangents))]
    theirs = (np.array(gradient(*up)) - np.array(gradient(*down))) / (2 * h)
    assert np.allclose([ours[k] for k in floats], theirs, rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("backend", ["numba", "jax"])
@pytest.mark.parametrize("name", ["hunt1-mlp_dict_params", "hunt1-dataclass_loss",
                                  "hunt2-dict_get_with_default"])
def test_backends_refuse_tree_parameters_naming_the_backend(name, backend):
    """grad(f, backend=...) of a function reading a dict or dataclass parameter said
    `params.values(...)` or `model.weight` is not supported, which the default backend
    supports: the refusal now says the backend takes numbers and arrays, not trees."""
    program = BY_NAME[name]
    with pytest.raises(S2SDiffError, match=f"backend='{backend}' differentiates numbers and "
                                           f"arrays, not trees") as caught:
        grad(program.function, wrt=program.wrt, backend=backend)
    assert caught.value.lineno is not None and "user_programs_hunt" in caught.value.filename
