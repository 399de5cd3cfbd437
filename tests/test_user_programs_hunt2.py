"""Every program of tests/user_programs_hunt2.py: grad and value_and_grad against central
differences of the program itself, leaf by leaf; the refused programs raise a clear
S2SDiffError naming the construct and the user's file; then vjp, jvp, jacobian and
hessian on a subset, against central differences or forward-vs-reverse."""

import copy
import inspect

import numpy as np
import pytest

from s2sdiff import S2SDiffError, grad, hessian, jacobian, jvp, value_and_grad, vjp
from differences import central, check_against_central, same_tree
from user_programs_hunt2 import PROGRAMS, REFUSED
import user_programs_hunt2 as programs


@pytest.mark.parametrize("program", PROGRAMS, ids=[p.name for p in PROGRAMS])
def test_gradient_matches_central_differences(program):
    function, args, wrt = program.function, program.args, program.wrt
    gradient = grad(function, wrt=wrt)(*copy.deepcopy(args))
    check_against_central(function, args, wrt, gradient, counts=True)
    value, again = value_and_grad(function, wrt=wrt)(*copy.deepcopy(args))
    assert value == pytest.approx(function(*copy.deepcopy(args)), rel=1e-12)
    same_tree(again, gradient)


@pytest.mark.parametrize("program, construct", REFUSED, ids=[p.name for p, _ in REFUSED])
def test_refused_with_a_clear_error(program, construct):
    with pytest.raises(S2SDiffError) as caught:
        grad(program.function, wrt=program.wrt)(*copy.deepcopy(program.args))
    message = str(caught.value)
    assert construct in message and "user_programs_hunt2.py" in message, message
    assert caught.value.lineno is not None


def test_the_corpus_is_large_enough():
    assert len(PROGRAMS) >= 100 and len(PROGRAMS) + len(REFUSED) >= 150


def test_alias_messages_name_what_a_temporary_holds():
    """`B[0], B[1] = B[1], B[0]` writes into B[0] while the view B[0], read for the second
    write, is still to be read: the message named the generated temporary (`t2`), now the
    expression it holds."""
    program = next(p for p, _ in REFUSED if p.name == "swap_rows_with_views")
    with pytest.raises(S2SDiffError) as caught:
        grad(program.function)(*program.args)
    assert "storage that `B[0]` also" in str(caught.value) and "`t2`" not in str(caught.value)


# --- the bugs this hunt fixed, each with its own oracle -------------------------------------

def test_assignment_of_an_array_into_its_own_reversal():
    """`y[::-1] = y`: the adjoint of y's old value was read after the written entries'
    adjoint was zeroed, so the gradient was 0 (silently)."""
    x = np.array([0.3, -1.2, 2.0, 0.7])
    expected = programs.WEIGHTS[::-1]
    assert np.allclose(grad(programs.overlapping_reverse)(x), expected)
    assert np.allclose(jacobian(programs.overlapping_reverse)(x), expected)
    value, pullback = vjp(programs.overlapping_reverse, x)
    assert np.allclose(pullback(2.0)[0], 2.0 * expected)


@pytest.mark.parametrize("name", ["astype_no_copy_alias", "contiguous_alias"])
def test_calls_returning_their_argument_are_aliases(name):
    """`y.astype(float, copy=False)` and `np.ascontiguousarray(y)` return y itself: a write
    into the result changed y behind the gradient's back (silently wrong before)."""
    assert name in dict(((p.name, c) for p, c in REFUSED))
    function = getattr(programs, name)
    with pytest.raises(S2SDiffError, match="writes in place into storage that `y`"):
        grad(function)(np.array([0.3, -1.2, 2.0]))


def test_cumprod_is_exact_at_zeros_in_every_mode():
    """np.cumprod's adjoint divided by the entries: NaN where one is 0.  Reverse, forward
    and the Jacobian now agree with central differences there."""
    for x in (np.array([0.5, 0.0, 2.0, 0.0, 3.0]), np.array([0.0, 0.0, 1.5]),
              np.array([1.5, -0.5, 2.0])):
        theirs = np.stack([central(lambda v, i=i: np.cumprod(v)[i], (x,), 0)
                           for i in range(x.size)])
        assert np.allclose(jacobian(programs.cumprod_first)(x), theirs, atol=1e-6)
        for i in range(x.size):
            tangent = np.eye(x.size)[i]
            value, along = jvp(programs.cumprod_first, (x,), (tangent,))
            assert np.allclose(along, theirs[:, i], atol=1e-6)
            _, pullback = vjp(programs.cumprod_first, x)
            assert np.allclose(pullback(tangent)[0], theirs[i], atol=1e-6)


def test_second_derivatives_through_cumprod_are_refused_clearly():
    """The exact adjoint is a helper of s2sdiff's runtime, which has no derivative of its
    own: hessian says so (a message about 'a Python function in NumPy code' before)."""
    with pytest.raises(S2SDiffError, match="second derivatives through np.cumprod"):
        hessian(programs.cumprod_through_zeros, wrt="x")(np.array([0.5, 0.0, 2.0]),
                                                         np.ones((2, 2)))


# --- the other transforms on a subset, against central differences of the gradient ----------

VECTOR = ["sum_axis_keepdims", "cumsum_diff", "elementwise_unary_zoo", "linalg_norms",
          "solve_vector_and_matrix", "dot_mixed_ranks", "tensordot_axes",
          "where_mask_select", "broadcast_column_row", "concat_stack_hstack",
          "recurrence_with_index_write", "copy_shifted_add", "mask_assign_values",
          "cumulative_rows_inplace", "overlapping_shift", "self_add_inplace"]
BY_NAME = {p.name: p for p in PROGRAMS}


@pytest.mark.parametrize("name", VECTOR)
def test_jvp_and_vjp_agree_with_the_gradient(name):
    program = BY_NAME[name]
    args = copy.deepcopy(program.args)
    gradients = grad(program.function)(*copy.deepcopy(args))
    gradients = gradients if isinstance(gradients, tuple) else (gradients,)
    value, pullback = vjp(program.function, *copy.deepcopy(args))
    assert value == pytest.approx(program.function(*copy.deepcopy(args)))
    for ours, expected in zip(pullback(1.5), gradients):
        assert np.allclose(ours, 1.5 * np.asarray(expected))
    rng = np.random.default_rng(3)
    tangents = tuple(rng.normal(size=np.shape(a)) if np.ndim(a) else float(rng.normal())
                     for a in args)
    _, along = jvp(program.function, copy.deepcopy(args), tangents)
    assert along == pytest.approx(sum(float(np.sum(np.asarray(g) * t))
                                      for g, t in zip(gradients, tangents)), rel=1e-9, abs=1e-9)


HESSIANS = ["var_std_ddof", "outer_and_inner", "det_slogdet_inv", "reshape_transpose_chain",
            "einsum_forms", "recurrence_with_index_write", "tangent_numpy_loop_index",
            "module_helper_in_numpy"]


@pytest.mark.parametrize("name", HESSIANS)
def test_hessian_against_central_differences_of_the_gradient(name):
    program = BY_NAME[name]
    args = copy.deepcopy(program.args)
    first = list(inspect.signature(program.function).parameters)[0]
    ours = np.asarray(hessian(program.function, wrt=first)(*copy.deepcopy(args)))
    gradient = grad(program.function, wrt=first)
    x = np.asarray(args[0], dtype=float)
    theirs = np.zeros(x.shape + x.shape)
    for index in np.ndindex(x.shape):
        step = np.zeros_like(x)
        step[index] = 1e-5
        up = gradient(x + step, *copy.deepcopy(args[1:]))
        down = gradient(x - step, *copy.deepcopy(args[1:]))
        theirs[(Ellipsis,) + index] = (up - down) / 2e-5
    assert np.allclose(ours.reshape(theirs.shape), theirs, rtol=1e-5, atol=1e-5)


def test_np_trace_of_a_stack_and_with_an_offset():
    """np.trace(T) of a 3-d T (one trace per trailing index) had the adjoint
    g * np.eye(3, 3, 3): zeros of the wrong shape, silently; offset= was refused."""
    T = np.arange(24.0).reshape(2, 3, 4)
    expected = np.zeros_like(T)
    for k in range(4):
        expected[:, :, k] = (k + 1.0) * np.eye(2, 3)
    assert np.allclose(grad(programs.weighted_traces)(T), expected)
    A = np.arange(12.0).reshape(3, 4)
    assert np.allclose(jacobian(programs.upper_trace)(A), np.eye(3, 4, k=1))
    _, tangent = jvp(programs.upper_trace, (A,), (np.ones((3, 4)),))
    assert tangent == pytest.approx(3.0)
