"""Edge cases of the NumPy path (issue 13): gathers that repeat a position, array outputs
of code without NumPy calls, element assignment into constructed arrays, shape functions
of numbers, NumPy functions without a rule, and the dtype of every returned gradient.

Values are checked against central differences (``check_grad``) or closed forms worked
out by hand; errors by type, construct, line and the source line's text.
"""


import numpy as np
import pytest

from source_lines import line_of

from s2sdiff import (NotScalarError, UnsupportedError, check_grad, grad, jvp,
                     value_and_grad, vjp)

INDEX = [0, 0]                        # indices held outside the function
INDEX_ARRAY = np.array([2, 2, 1])




def assert_points_at(error, func, snippet, *words):
    assert error.lineno == line_of(func, snippet)
    assert snippet in error.source_line
    assert error.filename == __file__
    for word in words:
        assert word in str(error)


# --- gathers with repeated positions ---------------------------------------------------

def gather_literal(x):
    return np.sum(x[[0, 0]])


def gather_global(x):
    return np.sum(x[INDEX] ** 2)


def gather_global_array(x):
    return np.sum(x[INDEX_ARRAY] * np.array([1.0, 2.0, 3.0]))


def gather_local_array(x):
    i = np.array([0, 0, 1])
    return np.sum(x[i] * x[i])


def gather_rows(X):
    return np.sum(X[[0, 0], :] ** 2)


def gather_columns(X):
    return np.sum(X[:, [1, 1, 0]] ** 2)


def gather_pairs(X):
    return np.sum(X[[0, 0], [1, 1]] * X[1, 2])


def gather_in_loop(x):
    s = 0.0
    for i in range(3):
        s = s + np.sum(x[[i, i]]) * x[i]
    return s


def test_repeated_positions_count_each_time():
    np.testing.assert_array_equal(grad(gather_literal)(np.ones(3)), [2.0, 0.0, 0.0])
    x = np.array([1.0, 2.0, 3.0])
    np.testing.assert_allclose(grad(gather_global)(x), [4.0 * x[0], 0.0, 0.0])
    np.testing.assert_allclose(grad(gather_global_array)(x), [0.0, 3.0, 3.0])
    np.testing.assert_allclose(grad(gather_local_array)(x), [4.0 * x[0], 2.0 * x[1], 0.0])
    np.testing.assert_allclose(grad(gather_in_loop)(x), 4.0 * x)


@pytest.mark.parametrize("func, shape", [
    (gather_literal, (3,)), (gather_global, (3,)), (gather_global_array, (3,)),
    (gather_local_array, (3,)), (gather_rows, (2, 3)), (gather_columns, (2, 3)),
    (gather_pairs, (2, 3)), (gather_in_loop, (3,))])
def test_gathers_against_central_differences(func, shape):
    x = np.random.default_rng(3).normal(size=shape)
    check_grad(func, x)
    out, pullback = vjp(func, x)
    np.testing.assert_allclose(pullback(1.0)[0], grad(func)(x))


def test_gathered_rows_closed_form():
    X = np.arange(6.0).reshape(2, 3)
    np.testing.assert_allclose(grad(gather_rows)(X), [[0.0, 4.0, 8.0], [0.0, 0.0, 0.0]])
    np.testing.assert_allclose(grad(gather_pairs)(X), [[0.0, 2 * X[1, 2], 0.0],
                                                       [0.0, 0.0, 2 * X[0, 1]]])


# --- array outputs of code without NumPy calls --------------------------------------

def times_two(x):
    return x * 2.0


def identity(x):
    return x


def plus_one(x):
    return x + 1.0


def negated(x):
    return -x


def through_branch(x, y):
    if y > 0.0:
        return x * y
    return y


def second_is_array(x, y):
    return x * y + 1.0


@pytest.mark.parametrize("func, args, snippet", [
    (times_two, (np.ones(3),), "return x * 2.0"),
    (identity, (np.ones(3),), "return x"),
    (plus_one, (np.ones((2, 2)),), "return x + 1.0"),
    (negated, (np.ones(3),), "return -x"),
    (through_branch, (np.ones(3), 2.0), "return y"),
    (second_is_array, (2.0, np.ones(3)), "return x * y + 1.0")])
@pytest.mark.parametrize("transform", [grad, value_and_grad])
def test_an_array_output_is_not_a_scalar(func, args, snippet, transform):
    with pytest.raises(NotScalarError) as info:
        transform(func)(*args)
    assert_points_at(info.value, func, snippet, "needs a scalar output", "array", "vjp",
                     "jacobian")


def test_numbers_still_differentiate_and_arrays_go_through_vjp():
    assert grad(times_two)(3.0) == 2.0
    assert grad(times_two)(np.float64(3.0)) == 2.0
    assert grad(identity)(3.0) == 1.0
    _, pullback = vjp(times_two, np.ones(3))
    np.testing.assert_array_equal(pullback(np.ones(3))[0], np.full(3, 2.0))


def compared_only(x, y):
    if x > 0.0:
        return y * 2.0
    return y


def test_an_array_that_only_decides_a_branch_is_not_refused():
    assert grad(compared_only, wrt="y")(np.array([1.0]), 3.0) == 2.0


# --- assignment into constructed arrays, outside loops ---------------------------------

def assign_one(x):
    y = np.zeros(3)
    y[1] = x[0] * 2.0
    return np.sum(y)


def assign_several(x):
    y = np.ones(3)
    y[1] = x[0] * 2.0
    y[2] = x[1] * x[0]
    y[0] = y[2] * 3.0
    return np.sum(y * y)


def assign_slices(x):
    y = np.empty(4)
    y[:2] = x[:2] ** 2
    y[2:] = x[1:3] * 3.0
    return np.sum(y * x)


def assign_into_zeros_like(x):
    y = np.zeros_like(x)
    y[0] = x[1]
    y[1] = 5.0
    y[2] = y[0] * x[2]
    return np.sum(y ** 2)


def assign_rows_and_columns(X):
    Y = np.zeros((2, 3))
    Y[0, :] = X[1, :] * 2.0
    Y[1] = X[0] ** 2
    Y[:, 1] = X[:, 0]
    return np.sum(Y * X)


def assign_twice(x):
    y = np.zeros(3)
    y[1] = x[0] * 2.0
    y[1] = x[1] * 3.0
    return np.sum(y * y)


def assign_after_loop(x):
    y = np.zeros(3)
    for i in range(3):
        y[i] = x[i] * 2.0
    y[0] = x[2] ** 3
    return np.sum(y * y)


def assign_distinct_list(x):
    y = np.zeros(3)
    y[[0, 2]] = x[:2] * 2.0
    return np.sum(y * y)


def assign_repeated_list(x):
    y = np.zeros(3)
    y[[0, 0]] = x[:2] * 2.0
    return np.sum(y * y)


def assign_through_index_array(x):
    y = np.zeros(3)
    y[INDEX_ARRAY] = x * 2.0
    return np.sum(y * y)


def test_assignment_outside_loops_closed_forms():
    x = np.array([1.0, 2.0, 3.0])
    np.testing.assert_array_equal(grad(assign_one)(np.ones(3)), [2.0, 0.0, 0.0])
    # y = [3 x0 x1, 2 x0, x0 x1]: sum of squares = 10 x0^2 x1^2 + 4 x0^2
    x0, x1 = x[0], x[1]
    np.testing.assert_allclose(grad(assign_several)(x),
                               [20 * x0 * x1 ** 2 + 8 * x0, 20 * x0 ** 2 * x1, 0.0])
    assert value_and_grad(assign_several)(x)[0] == assign_several(x)
    np.testing.assert_allclose(grad(assign_twice)(x), [0.0, 18.0 * x1, 0.0])


@pytest.mark.parametrize("func, shape", [
    (assign_one, (3,)), (assign_several, (3,)), (assign_slices, (4,)),
    (assign_into_zeros_like, (3,)), (assign_rows_and_columns, (2, 3)), (assign_twice, (3,)),
    (assign_after_loop, (3,)), (assign_distinct_list, (3,))])
def test_assignment_against_central_differences(func, shape):
    x = np.random.default_rng(4).normal(size=shape)
    check_grad(func, x)
    assert value_and_grad(func)(x)[0] == pytest.approx(func(x))


@pytest.mark.parametrize("func", [assign_repeated_list, assign_through_index_array])
def test_assignment_through_an_index_that_may_repeat_is_refused(func):
    with pytest.raises(UnsupportedError) as info:
        grad(func)(np.ones(3))
    snippet = "y[[0, 0]]" if func is assign_repeated_list else "y[INDEX_ARRAY]"
    assert_points_at(info.value, func, snippet, "may repeat a position", "np.where")


# --- shape functions of numbers -----------------------------------------------------------

def atleast_1d(x):
    return np.sum(np.atleast_1d(x) * 3.0)


def atleast_2d(x):
    return np.sum(np.atleast_2d(x))


def atleast_3d(x):
    return np.sum(np.atleast_3d(x) * 3.0)


def reshaped(x):
    return np.sum(np.reshape(x, (1, 1)) ** 2)


def raveled(x):
    return np.sum(np.ravel(x) ** 2)


def summed(x):
    return np.sum(x) * x


def as_array(x):
    return np.sum(np.asarray(x) ** 2)


def squeezed(x):
    return np.sum(np.squeeze(x) ** 2)


def expanded(x):
    return np.sum(np.expand_dims(x, 0) ** 2)


def transposed_2d(x):
    return np.sum(np.atleast_2d(x).T * 2.0)


def outer_of_itself(x):
    return np.sum(np.outer(x, x))


SHAPE_FUNCTIONS = [(atleast_1d, 3.0), (atleast_2d, 1.0), (atleast_3d, 3.0), (reshaped, 2.0),
                   (raveled, 2.0), (summed, 2.0), (as_array, 2.0), (squeezed, 2.0),
                   (expanded, 2.0), (transposed_2d, 2.0), (outer_of_itself, 2.0)]


@pytest.mark.parametrize("func, slope", SHAPE_FUNCTIONS)
def test_shape_functions_of_a_float(func, slope):
    """Each is slope * x (or slope * x**2 / 2 ... ): d/dx at x = 0.7 in closed form."""
    x = 0.7
    expected = slope if func in (atleast_1d, atleast_2d, atleast_3d, transposed_2d) \
        else slope * x
    g = grad(func)(x)
    assert g == pytest.approx(expected)
    assert isinstance(g, float) and np.ndim(g) == 0
    check_grad(func, x)


@pytest.mark.parametrize("func, slope", SHAPE_FUNCTIONS)
@pytest.mark.parametrize("shape", [(), (3,), (2, 3)])
def test_shape_functions_of_arrays(func, slope, shape):
    if func is outer_of_itself and len(shape) > 1:
        shape = (6,)
    x = np.random.default_rng(5).normal(size=shape)
    if func in (squeezed, reshaped, summed) and x.size != 1:
        pytest.skip("a (1, 1) reshape, or a scalar output, needs one element")
    check_grad(func, x)


# --- NumPy functions whose values depend on their arguments ------------------------------

def linspace_sum(x, y):
    return np.sum(np.linspace(x, y, 5))


def linspace_open(x, y):
    return np.sum(np.linspace(x, y, 4, endpoint=False) ** 2)


def linspace_one(x):
    return np.sum(np.linspace(x, 2.0, 1) ** 3)


def linspace_of_entries(x):
    return np.sum(np.linspace(x[0], x[1]) * x[2])


def filled(x):
    return np.sum(np.full(3, x) ** 2)


def filled_matrix(x):
    return np.sum(np.full((2, 3), x[0]) * x[1])


def filled_like(x):
    return np.sum(np.full_like(x, x[0]) * x)


def filled_float32(x):
    return np.sum(np.full(3, x, dtype=np.float32) * 2.0)


def test_linspace_closed_forms():
    # sum of linspace(a, b, 5) = 5 (a + b) / 2
    assert vjp(linspace_sum, 1.0, 2.0)[1](1.0) == (2.5, 2.5)
    assert grad(linspace_sum)(1.0, 2.0) == (2.5, 2.5)
    # linspace(a, b, 4, endpoint=False)[i] = a + (b - a) i / 4
    a, b = 1.0, 2.0
    t = np.arange(4) / 4
    values = a + (b - a) * t
    expected = (np.sum(2 * values * (1 - t)), np.sum(2 * values * t))
    assert grad(linspace_open)(a, b) == pytest.approx(expected)
    assert grad(linspace_one)(0.5) == pytest.approx(3 * 0.25)
    assert grad(filled)(0.7) == pytest.approx(3 * 2 * 0.7)
    np.testing.assert_allclose(grad(filled_matrix)(np.array([1.0, 2.0])), [12.0, 6.0])
    assert grad(filled_float32)(0.5) == pytest.approx(6.0)


@pytest.mark.parametrize("func, args", [
    (linspace_sum, (1.0, 2.0)), (linspace_open, (0.3, -1.2)), (linspace_one, (0.5,)),
    (linspace_of_entries, (np.array([1.0, 2.0, 3.0]),)), (filled, (0.7,)),
    (filled_matrix, (np.array([1.0, 2.0]),)), (filled_like, (np.array([1.0, 2.0, 3.0]),))])
def test_constructors_against_central_differences(func, args):
    check_grad(func, *args)


def test_constructors_in_forward_mode():
    def ramp(x, y):
        return np.linspace(x, y, 5) ** 2
    t = np.linspace(0.0, 1.0, 5)
    values = 1.0 + t
    _, tangent = jvp(ramp, (1.0, 2.0), (1.0, 0.0))
    np.testing.assert_allclose(tangent, 2 * values * (1 - t))
    _, tangent = jvp(ramp, (1.0, 2.0), (0.0, 1.0))
    np.testing.assert_allclose(tangent, 2 * values * t)


def arange_of_x(x):
    return np.sum(np.arange(x, 3.0))


def linspace_retstep(x):
    return np.sum(np.linspace(x, 1.0, 3, retstep=True)[0])


def percentile(x):
    return np.nanpercentile(x, 30.0)


def convolved(x):
    return np.sum(np.ediff1d(x) * np.arange(2))


@pytest.mark.parametrize("func, snippet, words", [
    (arange_of_x, "np.arange(x, 3.0)", ["no derivative rule", "arange"]),
    (linspace_retstep, "retstep=True", ["tuple", "not a number or an array"]),
    (percentile, "np.nanpercentile(x, 30.0)", ["no derivative rule", "nanpercentile"]),
    (convolved, "np.ediff1d(x)", ["no derivative rule", "ediff1d"])])
def test_numpy_functions_without_a_rule_fail_when_generated(func, snippet, words):
    arg = np.array([0.1, 0.5, 0.3]) if func in (percentile, convolved) else 0.5
    with pytest.raises(UnsupportedError) as info:
        grad(func)(arg)
    assert_points_at(info.value, func, snippet, *words)
    with pytest.raises(UnsupportedError):
        vjp(func, arg)[1](1.0)


def test_constructors_of_constants_stay_constants():
    def f(x):
        return np.sum(x * np.arange(3) + np.linspace(0.0, 1.0, 3) * np.full(3, 2.0))
    np.testing.assert_array_equal(grad(f)(np.ones(3)), [0.0, 1.0, 2.0])


# --- dtypes of returned gradients ----------------------------------------------------------

def times_mask(x):
    return np.sum(x * (x > 0.5))


def times_length(x):
    return np.sum(x) * x.shape[0]


def times_arange(x):
    return np.sum(x * np.arange(3))


def plain_sum(x):
    return np.sum(x)


def masks_then_more(x):
    return np.sum(x * 3.0) + np.sum(x * (x > 0.2) * (x < 0.9))


def negated_mask(x):
    return -np.sum(x * (x > 0.5))


def number_and_int_array(s, k):
    return np.sum(s * k)


def number_and_float32_array(s, a):
    return np.sum(s * a)


DTYPE_CASES = [
    (times_mask, lambda x: (x > 0.5) * 1.0),
    (times_length, lambda x: np.full(3, 3.0)),
    (times_arange, lambda x: np.arange(3.0)),
    (plain_sum, lambda x: np.ones(3)),
    (masks_then_more, lambda x: 3.0 + ((x > 0.2) & (x < 0.9))),
    (negated_mask, lambda x: -((x > 0.5) * 1.0)),
]


@pytest.mark.parametrize("func, expected", DTYPE_CASES)
@pytest.mark.parametrize("dtype", [np.float64, np.float32, np.float16])
def test_a_gradient_has_its_arrays_dtype(func, expected, dtype):
    x = np.array([0.1, 0.6, 0.8], dtype=dtype)
    g = grad(func)(x)
    assert g.dtype == dtype
    np.testing.assert_array_equal(g, expected(x).astype(dtype))
    assert (-g).dtype == dtype                       # usable: no bool, no int
    assert value_and_grad(func)(x)[1].dtype == dtype


def test_a_float_parameter_gets_a_float():
    g = grad(number_and_int_array, wrt=0)(2.0, np.arange(3))
    assert g == 3.0 and isinstance(g, float)
    g = grad(number_and_float32_array, wrt=0)(2.0, np.ones(3, np.float32))
    assert g == 3.0 and type(g) in (float, np.float64)
    gs, ga = grad(number_and_float32_array)(2.0, np.ones(3, np.float32))
    assert type(gs) in (float, np.float64) and ga.dtype == np.float32
    np.testing.assert_array_equal(ga, np.full(3, 2.0))


def test_mixed_precision_keeps_each_dtype():
    def f(a, b):
        return np.sum(a * b)
    a, b = np.ones(3, np.float32), np.full(3, 2.0)
    ga, gb = grad(f)(a, b)
    assert ga.dtype == np.float32 and gb.dtype == np.float64
    np.testing.assert_array_equal(ga, np.full(3, 2.0))


def test_dtype_through_loops_and_branches():
    def f(x, n):
        s = 0.0
        for i in range(3):
            if x[i] > 0.5:
                s = s + x[i] * n
            else:
                s = s + np.sum(x * (x > 0.7))
        return s
    for dtype in (np.float64, np.float32):
        x = np.array([0.1, 0.6, 0.8], dtype=dtype)
        g = grad(f, wrt=0)(x, 2)
        assert g.dtype == dtype
        np.testing.assert_allclose(g, [0.0, 2.0, 3.0])


def test_float64_code_has_no_conversion():
    for func in (times_mask, times_length, times_arange, plain_sum, masks_then_more):
        source = grad(func).specialize(np.ones(3)).source
        assert "astype" not in source, source


def gather_into_an_adjoint_that_aliases_an_argument(x, W):
    Z = W[np.array([0, 2, 0])]
    return np.sum(Z * x) + np.sum(x @ W)       # dW starts as x itself


def test_a_scatter_into_an_aliased_adjoint_leaves_the_argument_alone():
    """Fuzzer, seed 11, program 17637: dW = x, then np.add.at(dW, ...) wrote into x."""
    x, W = np.array([1.5, 0.5, -1.0]), np.array([-1.0, 0.25, 2.0])
    x0, W0 = x.copy(), W.copy()
    dx, dW = grad(gather_into_an_adjoint_that_aliases_an_argument)(x, W)
    np.testing.assert_array_equal(x, x0)
    np.testing.assert_array_equal(W, W0)
    np.testing.assert_allclose(dx, W[[0, 2, 0]] + W, rtol=1e-14)
    np.testing.assert_allclose(dW, x + np.array([x[0] + x[2], 0.0, x[1]]), rtol=1e-14)


def test_a_reduction_refuses_positional_dtype_and_out():
    """NumPy's third positional parameter of a reduction is dtype (sum) or out (max), not
    keepdims: refused clearly rather than bound to keepdims; keepdims by name works."""
    def positional(x):
        return np.sum(np.sum(x, 0, None))

    def by_name(x):
        return np.sum(np.max(x, 0, keepdims=True) * 2.0)

    with pytest.raises(UnsupportedError, match="too many positional arguments"):
        grad(positional)(np.ones((2, 3)))
    assert np.array_equal(grad(by_name)(np.arange(6.0).reshape(2, 3)),
                          [[0.0, 0.0, 0.0], [2.0, 2.0, 2.0]])
