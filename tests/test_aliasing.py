"""Writes in place through aliases and views (issue 13): a right gradient or a clear error.

A list or array reachable through two names (``b = a``, unpacking, a list stored in
another list, a loop target over a list of lists, a helper's argument) or through a NumPy
view (basic slices, ``.ravel()``, ``.reshape``, ``.T``, ``np.asarray``...) and written in
place (item and slice assignment, ``v += e`` and the other augmented operators,
``append``, ``out=``) must either differentiate exactly or be refused at generation time
by ``aliases.check``, naming the write's line and the alias.  Copies (fancy indexing,
masks, ``.copy()``, ``np.array``, arithmetic) and names nobody else holds keep working;
each supported case is checked against central differences.
"""

import copy
import inspect
import math

import numpy as np
import pytest

from s2sdiff import UnsupportedError, derivative, grad, jvp, value_and_grad, vjp

G = np.array([1.0, 2.0, 3.0])
GL = [1.0, 2.0]


def helper_writes(v, x):
    v[0] = x * x
    return 0.0


def helper_passes_on(v, x):
    return helper_writes(v, x)


def helper_appends(v, x):
    v.append(x)
    return 1.0


def helper_returns(v):
    return v


# --- refused: lists -------------------------------------------------------------------

def al1(x):
    a = [x, 2.0 * x]
    b = a
    b[0] = x * x
    return a[0] + a[1]


def al2(x):
    a = [x, 2.0 * x]
    b = a
    b.append(x * x)
    return a[0] + a[1] + a[2]


def al_unpacked(x):
    a = [x, 2.0 * x]
    b, c = a, x
    b[1] = c * x
    return a[0] + a[1]


def al_chained(x):
    a = b = [x, 2.0 * x]
    b[0] = x * x
    return a[0] + a[1]


def al_augmented_item(x):
    a = [x, 2.0 * x]
    b = a
    b[1] += x * x
    return a[0] + a[1]


def al_list_in_list(x):
    b = [x, 1.0]
    a = [b, x]
    b[0] = x * x
    t = a[0]
    return t[0] + a[1]


def al_element_of_list(x):
    b = [x, 1.0]
    a = [b, x]
    r = a[0]
    r[0] = x * x
    return b[0] + b[1]


def al_loop_target(x):
    rows = [[x, 1.0], [2.0, x]]
    s = 0.0
    for r in rows:
        r[0] = r[0] * x
    for r in rows:
        s = s + r[0] + r[1]
    return s


def al_in_loop(x):
    a = [x, 2.0 * x]
    s = 0.0
    for i in range(2):
        b = a
        b[i] = b[i] * x
        s = s + a[0]
    return s


def al_in_branch(x):
    a = [x, 2.0 * x]
    b = a
    if x > 0:
        b[0] = x * x
    return a[0] + a[1]


def al_through_helper_result(x):
    a = [x, 2.0 * x]
    b = helper_returns(a)
    b[0] = x * x
    return a[0] + a[1]


def al_parameter(xs):
    ys = xs
    ys[0] = xs[1] * 2.0
    return xs[0] * xs[1]


def al_scalar_program_array_argument(x):
    y = x
    y += 1.0
    return x[0] * y[0]


# --- refused: arrays --------------------------------------------------------------------

def v1(x):
    y = x * 1.0
    v = y[0:2]
    v *= 3.0
    return np.sum(y * y)


def v2(x):
    y = x * 1.0
    z = y
    z[0] = 10.0
    return np.sum(y * y)


def v3(x):
    y = x * 1.0
    r = y.ravel()
    r *= 2
    return np.sum(y * y)


def v_reshape(x):
    y = x * 1.0
    r = y.reshape(3, 1)
    r[0, 0] = 5.0
    return np.sum(y * y)


def v_np_reshape(x):
    y = x * 1.0
    r = np.reshape(y, (1, 3))
    r += 1.0
    return np.sum(y * y)


def v_dot_T(x):
    y = np.reshape(x * 1.0, (3, 1))
    r = y.T
    r[0, 1] = 0.0
    return np.sum(y * y)


def v_np_transpose(x):
    y = np.reshape(x * 1.0, (3, 1))
    r = np.transpose(y)
    r -= 1.0
    return np.sum(y * y)


def v_method_transpose(x):
    y = np.reshape(x * 1.0, (3, 1))
    r = y.transpose()
    r -= 1.0
    return np.sum(y * y)


def v_column(x):
    y = np.reshape(x * 1.0, (3, 1))
    c = y[:, 0]
    c /= 2.0
    return np.sum(y * y)


def v_ellipsis(x):
    y = x * 1.0
    c = y[...]
    c **= 2.0
    return np.sum(y)


def v_newaxis(x):
    y = x * 1.0
    c = y[None]
    c[0, 1] = 1.0
    return np.sum(y * y)


def v_asarray(x):
    y = x * 1.0
    c = np.asarray(y)
    c *= 2.0
    return np.sum(y * y)


def v_squeeze(x):
    y = np.reshape(x * 1.0, (1, 3))
    c = np.squeeze(y)
    c *= 2.0
    return np.sum(y * y)


def v_view_read_after_base_write(x):
    y = x * 1.0
    v = y[0:2]
    y[0] = 7.0
    return np.sum(v * v)


def v_slice_assignment_through_view(x):
    y = x * 1.0
    v = y[1:]
    v[0:2] = x[0:2] * x[0:2]
    return np.sum(y * y)


def v_in_loop(x):
    y = x * 1.0
    s = 0.0
    for i in range(2):
        v = y[i:i + 2]
        v *= 2.0
        s = s + np.sum(y)
    return s


def v_loop_over_rows(X):
    Y = X * 1.0
    for r in Y:
        r *= 2.0
    return np.sum(Y * Y)


def v_list_holding_array(x):
    y = x * 1.0
    a = [y, x]
    y[0] = 0.0
    return np.sum(a[0] * a[1])


def v_in_branch(x):
    y = x * 1.0
    v = y[0:2]
    if np.sum(x) > 0:
        v[0] = 5.0
    return np.sum(y * y)


def v_parameter_alias(x):
    y = x
    y *= 3.0
    return np.sum(x * y)


REFUSED = [
    # (function, argument, text of the write's line, the alias the message names)
    (al1, 3.0, "b[0] = x * x", "a"),
    (al2, 3.0, "b.append(x * x)", "a"),
    (al_unpacked, 3.0, "b[1] = c * x", "a"),
    (al_chained, 3.0, "b[0] = x * x", "a"),
    (al_augmented_item, 3.0, "b[1] += x * x", "a"),
    (al_list_in_list, 3.0, "b[0] = x * x", "a"),
    (al_element_of_list, 3.0, "r[0] = x * x", "b"),
    (al_loop_target, 3.0, "r[0] = r[0] * x", "rows"),
    (al_in_loop, 3.0, "b[i] = b[i] * x", "a"),
    (al_in_branch, 3.0, "b[0] = x * x", "a"),
    (al_through_helper_result, 3.0, "b[0] = x * x", "a"),
    (al_parameter, [1.5, 2.5], "ys[0] = xs[1] * 2.0", "xs"),
    (al_scalar_program_array_argument, np.array([1.0, 2.0]), "y += 1.0", "x"),
    (v1, np.array([1.0, 2.0, 3.0]), "v *= 3.0", "y"),
    (v2, np.array([1.0, 2.0, 3.0]), "z[0] = 10.0", "y"),
    (v3, np.array([1.0, 2.0, 3.0]), "r *= 2", "y"),
    (v_reshape, np.array([1.0, 2.0, 3.0]), "r[0, 0] = 5.0", "y"),
    (v_np_reshape, np.array([1.0, 2.0, 3.0]), "r += 1.0", "y"),
    (v_dot_T, np.array([1.0, 2.0, 3.0]), "r[0, 1] = 0.0", "y"),
    (v_np_transpose, np.array([1.0, 2.0, 3.0]), "r -= 1.0", "y"),
    (v_method_transpose, np.array([1.0, 2.0, 3.0]), "r -= 1.0", "y"),
    (v_column, np.array([1.0, 2.0, 3.0]), "c /= 2.0", "y"),
    (v_ellipsis, np.array([1.0, 2.0, 3.0]), "c **= 2.0", "y"),
    (v_newaxis, np.array([1.0, 2.0, 3.0]), "c[0, 1] = 1.0", "y"),
    (v_asarray, np.array([1.0, 2.0, 3.0]), "c *= 2.0", "y"),
    (v_squeeze, np.array([1.0, 2.0, 3.0]), "c *= 2.0", "y"),
    (v_view_read_after_base_write, np.array([1.0, 2.0, 3.0]), "y[0] = 7.0", "v"),
    (v_slice_assignment_through_view, np.array([1.0, 2.0, 3.0]), "v[0:2] = x[0:2]", "y"),
    (v_in_loop, np.array([1.0, 2.0, 3.0]), "v *= 2.0", "y"),
    (v_loop_over_rows, np.arange(6.0).reshape(3, 2), "r *= 2.0", "Y"),
    (v_list_holding_array, np.array([1.0, 2.0, 3.0]), "y[0] = 0.0", "a"),
    (v_in_branch, np.array([1.0, 2.0, 3.0]), "v[0] = 5.0", "y"),
    (v_parameter_alias, np.array([1.0, 2.0, 3.0]), "y *= 3.0", "x"),
]


def line_of(func, snippet):
    lines, first = inspect.getsourcelines(func)
    for i, line in enumerate(lines):
        if snippet in line:
            return first + i, line
    raise LookupError(snippet)


def assert_refused(error, func, snippet, alias=None):
    lineno, text = line_of(func, snippet)
    assert error.lineno == lineno, (error.lineno, lineno, str(error))
    assert error.source_line.strip() == text.strip()
    assert error.filename == inspect.getsourcefile(func)
    if alias is not None:
        assert f"`{alias}`" in error.message, error.message
    assert error.hint


@pytest.mark.parametrize("func, arg, snippet, alias", REFUSED,
                         ids=[r[0].__name__ for r in REFUSED])
@pytest.mark.parametrize("transform", ["grad", "value_and_grad", "jvp"])
def test_a_write_through_an_alias_is_refused(func, arg, snippet, alias, transform):
    with pytest.raises(UnsupportedError) as info:
        if transform == "grad":
            grad(func)(copy.deepcopy(arg))
        elif transform == "value_and_grad":
            value_and_grad(func)(copy.deepcopy(arg))
        else:
            jvp(func, (copy.deepcopy(arg),), (copy.deepcopy(arg),))
    assert_refused(info.value, func, snippet, alias)
    assert "write" in info.value.message


@pytest.mark.parametrize("func", [al1, al2, al_in_loop, al_loop_target])
def test_forward_mode_refuses_too(func):
    with pytest.raises(UnsupportedError) as info:
        derivative(func)(3.0)
    assert "writes in place" in info.value.message


# --- refused: other in-place writes ------------------------------------------------------

def global_array_written(x):
    v = G
    v[0] = x[0]
    return np.sum(v * x)


def global_array_augmented(x):
    v = G
    v += x
    return np.sum(v * x)


def global_list_written(x):
    v = GL
    v[0] = x
    return v[0] * x


def closure_array_written():
    data = np.array([1.0, 2.0, 3.0])

    def f(x):
        v = data
        v[1] = x[1] * 2.0
        return np.sum(v * x)
    return f


def out_argument(x):
    y = x * 1.0
    z = np.multiply(x, 2.0, out=y)
    return np.sum(y)


def helper_writes_list(x):
    a = [x, 2.0 * x]
    h = helper_writes(a, x)
    return a[0] + a[1] + h


def helper_writes_through_another(x):
    a = [x, 2.0 * x]
    h = helper_passes_on(a, x)
    return a[0] + h


def helper_appends_to_list(x):
    a = [x, 2.0 * x]
    h = helper_appends(a, x)
    return a[0] + h


def helper_writes_array(x):
    y = x * 1.0
    h = helper_writes(y, x[0])
    return np.sum(y * y) + h


def list_joined(x):
    a = [x, 2.0 * x]
    c = a + [x]
    return c[2]


def list_augmented(x):
    a = [x, 2.0 * x]
    a += [x]
    return a[2]


def list_repeated(x):
    a = [x, 2.0 * x]
    c = a * 2
    return c[3]


OTHER = [
    (global_array_written, np.array([1.0, 2.0, 3.0]), "v[0] = x[0]", "G"),
    (global_array_augmented, np.array([1.0, 2.0, 3.0]), "v += x", "G"),
    (global_list_written, 3.0, "v[0] = x", "GL"),
    (closure_array_written(), np.array([1.0, 2.0, 3.0]), "v[1] = x[1]", "data"),
    (out_argument, np.array([1.0, 2.0, 3.0]), "out=y", "y"),
    (helper_writes_list, 3.0, "helper_writes(a, x)", "a"),
    (helper_writes_through_another, 3.0, "helper_passes_on(a, x)", "a"),
    (helper_appends_to_list, 3.0, "helper_appends(a, x)", "a"),
    (list_repeated, 3.0, "a * 2", "a"),
]


def test_a_list_joined_with_a_display_is_a_new_list():
    """`a + [x]` was refused as list arithmetic; it is a new list now
    (normalize/list_idioms.py), and c[2] is x."""
    assert grad(list_joined)(3.0) == 1.0


def test_a_list_extended_by_a_display_is_the_same_list_extended():
    """`a += [x]` was refused as list arithmetic; of a name that only holds lists it is
    `a.extend([x])` (normalize/list_idioms.py), in a loop too (it was silently 0.0 there):
    a[2] is x, and after two `xs += [x * x]` the last entry is x ** 2."""
    assert grad(list_augmented)(3.0) == 1.0
    assert grad(list_extended_in_a_loop)(0.7) == pytest.approx(1.4)


def list_extended_in_a_loop(x):
    xs = [x]
    for t in range(2):
        xs += [x * x]
    return xs[-1]


def list_repeated_in_a_loop(x):
    xs = [x]
    for t in range(2):
        xs.append(x * t)
        xs *= 2
    return sum(xs)


def test_a_list_repeated_in_a_loop_is_refused():
    """`xs *= 2` in a loop raised IndexError from the generated code (hunt 8)."""
    with pytest.raises(UnsupportedError, match="joins or repeats the list `xs`"):
        grad(list_repeated_in_a_loop)(0.7)


def test_a_helper_writing_into_an_array_of_numpy_code_is_inlined():
    """NumPy code inlines the helper (normalize/helpers.py), so its write is the caller's
    own, checked like one: d/dx of sum(y * y) with y = x, then y[0] = x0**2 (the helper
    returns 0), is (4 x0**3, 2 x1, 2 x2)."""
    x = np.array([1.5, 2.0, 3.0])
    expected = np.array([4 * 1.5 ** 3, 4.0, 6.0])
    assert np.allclose(grad(helper_writes_array)(x.copy()), expected)


@pytest.mark.parametrize("func, arg, snippet, name", OTHER, ids=[r[0].__name__ for r in OTHER])
def test_other_writes_in_place_are_refused(func, arg, snippet, name):
    before = copy.deepcopy((G, GL))
    with pytest.raises(UnsupportedError) as info:
        grad(func)(copy.deepcopy(arg))
    assert_refused(info.value, func, snippet, name)
    np.testing.assert_array_equal(G, before[0])       # the globals are untouched
    assert GL == before[1]


# --- supported: one name per object, copies, and scalars -----------------------------------

def list_copy_unread(x):
    a = [x, 2.0 * x]
    b = a
    b[0] = x * x
    return b[0] + b[1]


def list_element_read_before_write(x):
    a = [x, 2.0 * x]
    t = a[0]
    a[0] = x * x
    return t * a[0] + a[1]


def parameter_element_read_before_write(xs):
    t = xs[0]
    xs[0] = xs[1] * t
    return xs[0] * t


def scalar_alias_augmented(x):
    y = x
    y += 1.0
    return x * y


def scalar_alias_augmented_in_loop(x):
    s = x
    for i in range(3):
        s += math.sin(s)
    return s * x


def fancy_index_copy(x):
    y = x * 1.0
    v = y[[0, 1]]
    v *= 3.0
    return np.sum(y * y) + np.sum(v)


def mask_copy(x):
    y = x * 1.0
    v = y[y > 1.5]
    v *= 3.0
    return np.sum(y * y) + np.sum(v)


def copied_slice(x):
    y = x * 1.0
    v = y[0:2].copy()
    v *= 3.0
    return np.sum(y * y) + np.sum(v * v)


def np_array_copy(x):
    y = x * 1.0
    v = np.array(y)
    v *= 3.0
    return np.sum(y * y) + np.sum(v * v)


def arithmetic_copy(x):
    y = x * 1.0
    v = y + 0.0
    v *= 3.0
    return np.sum(y * y) + np.sum(v * v)


def augmented_fresh_array(x):
    y = x * 1.0
    y *= 3.0
    return np.sum(y * y)


def augmented_parameter(x):
    x *= 3.0
    return np.sum(x * x)


def view_written_base_unread(x):
    y = x * 1.0
    v = y[0:2]
    v *= 3.0
    return np.sum(v * v)


def rows_updated_in_a_loop(X, w):
    Y = X * 1.0
    for k in range(2):
        Y[k, :] += np.tanh(Y[k, :] * w)
    return np.sum(Y ** 2)


SUPPORTED = [
    (list_copy_unread, (1.5,)),
    (list_element_read_before_write, (1.5,)),
    (parameter_element_read_before_write, ([1.5, 2.5],)),
    (scalar_alias_augmented, (1.5,)),
    (scalar_alias_augmented_in_loop, (1.5,)),
    (fancy_index_copy, (np.array([1.0, 2.0, 3.0]),)),
    (mask_copy, (np.array([1.0, 2.0, 3.0]),)),
    (copied_slice, (np.array([1.0, 2.0, 3.0]),)),
    (np_array_copy, (np.array([1.0, 2.0, 3.0]),)),
    (arithmetic_copy, (np.array([1.0, 2.0, 3.0]),)),
    (augmented_fresh_array, (np.array([1.0, 2.0, 3.0]),)),
    (augmented_parameter, (np.array([1.0, 2.0, 3.0]),)),
    (view_written_base_unread, (np.array([1.0, 2.0, 3.0]),)),
    (rows_updated_in_a_loop, (np.array([[0.5, -1.0], [2.0, 0.3], [1.0, 1.0]]), 0.7)),
]


def central(f, args, i, h=1e-6):
    """Central differences of f along argument i (a float, a list or an array)."""
    def at(delta, j=None):
        moved = copy.deepcopy(list(args))
        if j is None:
            moved[i] = moved[i] + delta
        else:
            moved[i][j] = moved[i][j] + delta
        return f(*moved)
    x = args[i]
    if isinstance(x, float):
        return (at(h) - at(-h)) / (2 * h)
    if isinstance(x, list):
        return [(at(h, j) - at(-h, j)) / (2 * h) for j in range(len(x))]
    g = np.zeros_like(x)
    for j in np.ndindex(x.shape):
        g[j] = (at(h, j) - at(-h, j)) / (2 * h)
    return g


@pytest.mark.parametrize("func, args", SUPPORTED, ids=[r[0].__name__ for r in SUPPORTED])
def test_unaliased_writes_and_copies_differentiate_exactly(func, args):
    kept = copy.deepcopy(args)
    value, grads = value_and_grad(func)(*copy.deepcopy(args))
    grads = grads if len(args) > 1 else (grads,)
    assert value == pytest.approx(func(*copy.deepcopy(args)), rel=1e-12)
    for i in range(len(args)):
        expected = central(func, kept, i)
        np.testing.assert_allclose(np.asarray(grads[i], float), np.asarray(expected, float),
                                   rtol=1e-6, atol=1e-7)


def test_closed_forms():
    # list_copy_unread: x*x + 2x -> 2x + 2; arithmetic_copy: sum(y^2) + 9 sum(y^2) -> 20 x
    assert grad(list_copy_unread)(3.0) == 8.0
    x = np.array([1.0, 2.0, 3.0])
    np.testing.assert_allclose(grad(arithmetic_copy)(x.copy()), 20.0 * x)
    # copied_slice at [1, 2, 3]: y*y everywhere plus 9 v*v on the first two
    np.testing.assert_allclose(grad(copied_slice)(x.copy()), [20.0, 40.0, 6.0])
    value, g = value_and_grad(view_written_base_unread)(x.copy())
    assert value == 45.0
    np.testing.assert_allclose(g, [18.0, 36.0, 0.0])


def test_the_callers_data_is_left_alone_by_grad():
    x = np.array([1.0, 2.0, 3.0])
    np.testing.assert_allclose(grad(augmented_parameter)(x), 18.0 * np.array([1.0, 2.0, 3.0]))
    np.testing.assert_array_equal(x, [1.0, 2.0, 3.0])
    xs = [1.5, 2.5]
    grad(parameter_element_read_before_write)(xs)
    assert xs == [1.5, 2.5]


def writes_its_argument(x):
    x[0] = x[0] * x[0]
    return x[0] * x[1]


def writes_its_array_argument(x):
    y = x * 1.0
    x[0] = x[1] * x[0]
    return np.sum(x * y)


def test_vjp_pulls_back_at_the_primals_given_when_f_writes_into_them():
    # f = x0^2 x1: the pullback must not see the x0^2 that f wrote into the list
    xs = [2.0, 3.0]
    value, pullback = vjp(writes_its_argument, xs)
    assert value == 12.0
    assert pullback(1.0) == ([12.0, 4.0],)
    assert xs == [2.0, 3.0]
    # f = x0^2 x1 + x1^2
    x = np.array([2.0, 3.0])
    value, pullback = vjp(writes_its_array_argument, x)
    assert value == 21.0
    np.testing.assert_allclose(pullback(1.0)[0], [12.0, 10.0])
    np.testing.assert_array_equal(x, [2.0, 3.0])


def helper_reads(v, x):
    return v[0] * x + v[1]


def list_passed_to_a_helper(x):
    a = [x, 2.0 * x]
    h = helper_reads(a, x)
    return a[0] + h


def test_a_list_passed_to_a_helper_gets_its_adjoint_added_entry_by_entry():
    # f = x + x*x + 2x: the helper's list cotangent is added to the list's, not joined
    assert grad(list_passed_to_a_helper)(1.5) == pytest.approx(3.0 + 2.0 * 1.5)
    assert derivative(list_passed_to_a_helper)(1.5) == pytest.approx(6.0)
    assert jvp(list_passed_to_a_helper, (1.5,), (1.0,))[1] == pytest.approx(6.0)
    assert central(list_passed_to_a_helper, (1.5,), 0) == pytest.approx(6.0, rel=1e-6)


COEFFICIENTS = [-1.242, -1.777]
ROWS = [[1.0, 2.0], [3.0, 4.0]]


def augments_a_number_read_from_a_global_list(v, a):
    s = 0.0
    for c in (a, COEFFICIENTS[1]):
        c -= math.sin(v)           # rebinds the float c; the global list is untouched
        s = s + c * v
    return s


def writes_into_a_row_of_a_global_list(v):
    row = ROWS[0]
    row[0] = v
    return row[0] * v


def test_augmenting_a_number_from_a_global_list_is_not_a_write_into_it():
    """Fuzzer, seed 11, program 5059: `c -= ...` on a float element was refused."""
    v, a = 1.0, 2.0
    dv, da = grad(augments_a_number_read_from_a_global_list)(v, a)
    # s = (a - sin v) v + (C1 - sin v) v
    assert dv == pytest.approx(a + COEFFICIENTS[1] - 2 * math.sin(v) - 2 * v * math.cos(v),
                               rel=1e-14)
    assert da == pytest.approx(v, rel=1e-14)
    assert COEFFICIENTS == [-1.242, -1.777]


def test_writing_into_a_row_of_a_global_list_is_refused():
    with pytest.raises(UnsupportedError, match=r"writes into an element of `ROWS`"):
        grad(writes_into_a_row_of_a_global_list)


def test_a_chain_of_in_place_updates_of_one_array_is_differentiated():
    """``y += a; y *= 2; y += b``: each later version of ``y`` sees every earlier write,
    so no alias misses one (closed form: d/dx sum(2 (cos x + x) + x^2))."""
    def chain(x):
        y = np.cos(x)
        y += x
        y *= 2.0
        y += x ** 2
        return np.sum(y)

    def twice(x, a):
        y = np.cos(x)
        y += a
        y += a
        return np.sum(y * x)
    x, a = np.array([0.3, -0.2, 1.1]), np.array([1.0, 2.0, 3.0])
    np.testing.assert_allclose(grad(chain)(x), -2 * np.sin(x) + 2 + 2 * x)
    dx, da = grad(twice, wrt=(0, 1))(x, a)
    np.testing.assert_allclose(dx, -np.sin(x) * x + np.cos(x) + 2 * a)
    np.testing.assert_allclose(da, 2 * x)


def test_a_chain_of_in_place_updates_behind_an_alias_is_still_refused():
    def chain_with_alias(x):
        y = np.cos(x)
        z = y
        y += x
        y += 1.0
        return np.sum(z) + np.sum(y)
    with pytest.raises(UnsupportedError, match="`z` also refers to"):
        grad(chain_with_alias)(np.array([0.3, -0.2, 1.1]))
