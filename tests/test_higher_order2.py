"""Second derivatives (``derivative``, ``hessian``, ``hvp``) of user programs from hunt 4
where ``grad`` worked but differentiating the generated code again failed, with messages
naming generated functions (``derivative_f``, ``jvp_scale``) or internal names
(``prod_of_others(v10_y)``).  Oracles: central differences of the generated gradient,
and closed forms."""

import math

import numpy as np
import pytest

from s2sdiff import derivative, grad, hessian, hvp, jacfwd
from differences import central
from s2sdiff.errors import ArgumentError, UnsupportedError
from s2sdiff.runtime import prod_of_others, prod_of_others_tangent


def gradient_columns(f, args, position, wrt=None, h=1e-6):
    """Central differences of the generated gradient along each entry of args[position]
    (a number, a list or an array)."""
    gradient = grad(f, wrt=wrt)
    value = args[position]
    entries = list(np.ndindex(np.shape(value)))
    columns = []
    for index in entries:
        shifted = []
        for sign in (1.0, -1.0):
            trial = list(args)
            if np.ndim(value) == 0:
                trial[position] = value + sign * h
            else:
                moved = np.array(value, dtype=float)
                moved[index] += sign * h
                trial[position] = type(value)(moved.tolist()) if isinstance(
                    value, (list, tuple)) else moved
            shifted.append(gradient(*trial))
        columns.append(_difference(shifted[0], shifted[1], h))
    return columns


def _difference(up, down, h):
    if isinstance(up, tuple):
        return tuple(_difference(u, d, h) for u, d in zip(up, down))
    return (np.asarray(up, dtype=float) - np.asarray(down, dtype=float)) / (2 * h)


# --- 1. a tuple of data used as a loop state (bug_09) ------------------------------------

def lstm_like(state0, a):
    state = state0
    for _ in range(3):
        h, c = state
        state = (math.tanh(a * h + c), c * 0.9 + h)
    return state[0] + state[1]


def second_difference(f, args, position, e=1e-4):
    up, mid, down = list(args), list(args), list(args)
    up[position] += e
    down[position] -= e
    return (f(*up) - 2 * f(*mid) + f(*down)) / e ** 2


@pytest.mark.parametrize("state", [(0.3, 0.2), [0.3, 0.2], (-1.1, 0.7)])
def test_derivative_along_a_number_beside_a_tuple_state(state):
    a = 1.5
    expected = (lstm_like(state, a + 1e-6) - lstm_like(state, a - 1e-6)) / 2e-6
    assert derivative(lstm_like, wrt="a")(state, a) == pytest.approx(expected, rel=1e-7)
    assert derivative(lstm_like, wrt="a")(state, a) == pytest.approx(
        grad(lstm_like, wrt="a")(state, a), rel=1e-13)


@pytest.mark.parametrize("state", [(0.3, 0.2), [0.3, 0.2]])
def test_hessian_along_a_number_beside_a_tuple_state(state):
    H = hessian(lstm_like, wrt="a")(state, 1.5)
    (column,) = gradient_columns(lstm_like, [state, 1.5], 1, wrt="a")
    assert float(H) == pytest.approx(float(column), rel=1e-6)
    assert float(H) == pytest.approx(second_difference(lstm_like, [state, 1.5], 1), rel=1e-4)


def test_hessian_with_respect_to_the_tuple_state_and_the_number():
    state, a = (0.3, 0.2), 1.5
    (Hss, Hsa), (Has, Haa) = hessian(lstm_like)(state, a)
    assert np.shape(Hss) == (2, 2) and np.shape(Hsa) == (2,) and np.shape(Has) == (2,)
    columns = gradient_columns(lstm_like, [state, a], 0)
    for j, (dgs, dga) in enumerate(columns):      # d(grad)/d state[j]
        assert np.allclose(Hss[:, j], dgs, rtol=1e-6, atol=1e-8)
        assert Has[j] == pytest.approx(float(dga), rel=1e-6)
    ((dgs, dga),) = gradient_columns(lstm_like, [state, a], 1)
    assert np.allclose(Hsa, dgs, rtol=1e-6) and float(Haa) == pytest.approx(float(dga), rel=1e-6)
    assert np.allclose(hessian(lstm_like, wrt="state0")(state, a), Hss, rtol=1e-13)


def test_forward_mode_along_the_tuple_state_is_refused_at_generation_not_as_a_number():
    """derivative by columns along a tuple: one derivative per entry, refused naming the
    parameter; it was taken for a number ('must be a real number, got tuple')."""
    with pytest.raises(UnsupportedError, match="with respect to the list `state0`"):
        derivative(lstm_like)


# --- 2. list code calling a helper that returns a list (bug_08) --------------------------

def scale(xs):
    out = [0.0] * len(xs)
    for i in range(len(xs)):
        out[i] = xs[i] * (i + 1)
    return out


def sum_of_squares_scaled(xs):
    ys = scale(xs)
    return sum(y * y for y in ys)


def weighted_through_helper(xs, a):
    ys = scale(xs)
    total = 0.0
    for y in ys:
        total = total + a * math.sin(y)
    return total


@pytest.mark.parametrize("point", [[0.5, 1.5, -0.7], (0.5, 1.5, -0.7),
                                   np.array([0.5, 1.5, -0.7]), [2.0, -1.0]])
def test_hessian_through_a_helper_returning_a_list_is_the_closed_form(point):
    H = hessian(sum_of_squares_scaled)(point)
    assert np.allclose(H, np.diag([2.0 * (i + 1) ** 2 for i in range(len(point))]),
                       rtol=1e-14, atol=0)


def test_hessian_through_a_helper_with_a_number_matches_differences_of_the_gradient():
    xs, a = [0.4, -1.3, 2.0], 0.7
    (Hxx, Hxa), (Hax, Haa) = hessian(weighted_through_helper)(xs, a)
    columns = gradient_columns(weighted_through_helper, [xs, a], 0)
    for j, (dgx, dga) in enumerate(columns):
        assert np.allclose(Hxx[:, j], dgx, rtol=1e-6, atol=1e-7)
        assert float(np.asarray(Hax)[j]) == pytest.approx(float(dga), rel=1e-6, abs=1e-7)
    # closed form: a sin(k x_k) summed: d2/dx_k2 = -a k^2 sin(k x_k), d2/dx_k da = k cos(k x_k)
    assert np.allclose(Hxx, np.diag([-a * (k + 1) ** 2 * math.sin((k + 1) * v)
                                     for k, v in enumerate(xs)]), rtol=1e-12, atol=1e-14)
    assert np.allclose(Hxa, [(k + 1) * math.cos((k + 1) * v) for k, v in enumerate(xs)],
                       rtol=1e-12)
    assert float(Haa) == 0.0


def test_hessian_through_a_helper_at_a_number_still_runs_forward_over_forward():
    def cube_of_helper(x):
        return helper_square(x) * x

    assert hessian(cube_of_helper)(1.5) == pytest.approx(6 * 1.5, rel=1e-14)


def helper_square(x):
    return x * x


def test_hvp_through_a_helper_returning_a_list():
    point, v = [0.5, 1.5, -0.7], [1.0, -2.0, 0.5]
    product = hvp(sum_of_squares_scaled, (point,), (v,))
    assert np.allclose(product, np.diag([2.0, 8.0, 18.0]) @ np.array(v), rtol=1e-14)


# --- 3. hvp through np.prod after a slice write (bug_12) ---------------------------------

def v10(x):
    y = x.copy()
    y[::2] = y[1::2] * y[::2]
    return np.concatenate([y, np.stack([np.sum(y), np.prod(y)])])


def sum_of_squares_of_v10(z):
    return np.sum(v10(z) ** 2)


def prods(a):
    return np.sum(np.prod(a, axis=0) ** 2) + np.prod(a) + np.sum(a.prod(axis=1, keepdims=True))


@pytest.mark.parametrize("x", [np.array([0.3, -1.2, 0.8, 1.5]), np.array([0.0, 2.0, 0.5, 0.0]),
                               np.array([1.0, 0.0, -2.0, 3.0])])
def test_hvp_through_a_helper_writing_a_slice_then_calling_prod(x):
    u = np.array([0.1, 0.2, -0.3, 0.4])
    gradient, h = grad(sum_of_squares_of_v10), 1e-6
    expected = (gradient(x + h * u) - gradient(x - h * u)) / (2 * h)
    assert np.allclose(hvp(sum_of_squares_of_v10, (x,), (u,)), expected, rtol=1e-6, atol=1e-7)
    H = hessian(sum_of_squares_of_v10)(x)
    assert np.allclose(H @ u, hvp(sum_of_squares_of_v10, (x,), (u,)), rtol=1e-12, atol=1e-12)
    assert np.allclose(H, H.T, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("a", [np.array([[0.5, 2.0, 0.0], [1.5, -1.0, 3.0]]),
                               np.array([[0.5, 2.0, 0.7], [1.5, -1.0, 3.0]]),
                               np.array([[0.0, 2.0, 0.7], [0.0, -1.0, 3.0]])])
def test_hessian_of_products_along_axes_matches_differences_of_the_gradient(a):
    H = hessian(prods)(a).reshape(a.size, a.size)
    columns = gradient_columns(prods, [a], 0)
    assert np.allclose(H, np.array([c.ravel() for c in columns]).T, rtol=1e-6, atol=1e-6)
    t = np.linspace(-1.0, 1.0, a.size).reshape(a.shape)
    assert np.allclose(hvp(prods, (a,), (t,)).ravel(), H @ t.ravel(), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("shape, axis", [((5,), None), ((3, 4), 0), ((3, 4), 1),
                                         ((2, 3, 4), (0, 2)), ((4,), 0)])
def test_prod_of_others_tangent_is_the_derivative_of_prod_of_others(shape, axis):
    rng = np.random.default_rng(sum(shape))
    a, t, s = (rng.normal(size=shape) for _ in range(3))
    a.flat[1] = 0.0                       # exact where entries are 0
    h = 1e-6
    expected = (prod_of_others(a + h * t, axis) - prod_of_others(a - h * t, axis)) / (2 * h)
    got = prod_of_others_tangent(a, t, axis)
    assert np.allclose(got, expected, rtol=1e-6, atol=1e-8)
    # symmetric (np.prod's Hessian), so it is also the adjoint
    assert np.sum(s * got) == pytest.approx(np.sum(t * prod_of_others_tangent(a, s, axis)),
                                            abs=1e-12)


# --- 4. messages from code made from generated code name the user's function ------------

INTERNAL = ("derivative_", "jvp_", "jacfwd_", "_dot", "s2sdiff-", "prod_of_others", "zeros_like")


def _user_facing(error, function):
    text = str(error)
    assert not any(word in text for word in INTERNAL), text
    assert error.filename == __file__, text
    assert f"of {function.__name__}" in text, text


def sines(x, n):
    s = 0.0
    for i in range(n):
        s = s + math.sin(x) ** i
    return s


@pytest.mark.parametrize("call", [
    lambda: hessian(sum_of_squares_scaled)(None),
    lambda: hessian(sum_of_squares_scaled)("ab"),
])
def test_a_bad_argument_to_a_hessian_names_the_users_function_and_file(call):
    with pytest.raises(ArgumentError) as caught:
        call()
    _user_facing(caught.value, sum_of_squares_scaled)
    assert caught.value.lineno == sum_of_squares_scaled.__code__.co_firstlineno


@pytest.mark.parametrize("state", [None, {"h": 1.0}])
def test_a_bad_data_argument_beside_the_differentiated_one(state):
    with pytest.raises(ArgumentError, match="argument 'state0' of lstm_like") as caught:
        hessian(lstm_like, wrt="a")(state, 1.5)
    _user_facing(caught.value, lstm_like)


def test_forward_over_a_generated_derivative_names_the_users_line():
    with pytest.raises(ArgumentError, match="argument 'x' of sines") as caught:
        jacfwd(derivative(sines, wrt="x"), wrt="x")(np.array([0.5, 1.0]), 3)
    _user_facing(caught.value, sines)
    assert caught.value.source_line.strip() == "s = s + math.sin(x) ** i"


def test_forward_over_a_derivative_calling_a_helper_names_neither_generated_function():
    """It named `derivative_f calls jvp_scale ... argument 'xs_dot_2' of jvp_scale`."""
    with pytest.raises(ArgumentError) as caught:
        jacfwd(derivative(sum_of_squares_scaled))(np.array([0.5, 1.5, -0.7]))
    _user_facing(caught.value, sum_of_squares_scaled)
    assert caught.value.source_line.strip() == "ys = scale(xs)"


def writes_then_cumprod(x):
    y = x.copy()
    y[0] = y[1] * 2.0
    return np.cumprod(y)


def squares_of_cumprod(z):
    return np.sum(writes_then_cumprod(z) ** 2)


def test_hvp_through_cumprod_after_a_write_is_refused_for_cumprod_not_for_an_alias():
    """The tangent of np.cumprod, a call of s2sdiff's helper, was taken for a view of the
    written array: the refusal named the generated tangent `squares_of_cumprod1_dot`."""
    x = np.array([0.3, 1.2, 0.8])
    with pytest.raises(UnsupportedError, match="second derivatives through np.cumprod") as caught:
        hvp(squares_of_cumprod, (x,), (x,))
    assert "_dot" not in str(caught.value) and caught.value.filename == __file__


def pad_then_stencil(x):
    y = np.zeros(x.shape[0] + 2)
    y[1:-1] = x
    y[1:-1] += 0.3 * (y[2:] - 2 * y[1:-1] + y[:-2])
    return y


def squares_of_stencil(z):
    return np.sum(pad_then_stencil(z) ** 2)


def pad_then_read_in_the_pass(x):
    y = np.zeros(x.shape[0] + 2)
    total = 0.0
    for k in range(2):
        y[1:-1] = y[1:-1] + x
        total = total + np.sum(y[2:] ** 2)
    return y * total


def squares_of_passes(z):
    return np.sum(pad_then_read_in_the_pass(z) ** 2)


def test_views_after_a_write_in_an_inlined_helper():
    """Outside loops a view made after a write is exact (tests/test_writes_then_views.py),
    under grad, hvp and hessian."""
    x, v = np.array([0.3, -1.2, 0.8, 1.5]), np.array([1.0, 0.5, -0.3, 0.2])
    assert np.allclose(grad(squares_of_stencil)(x), central(squares_of_stencil, (x,), 0),
                       atol=1e-7)
    g, h = grad(squares_of_stencil), 1e-6
    want = (g(x + h * v) - g(x - h * v)) / (2 * h)
    assert np.allclose(hvp(squares_of_stencil, (x,), (v,)), want, atol=1e-6)
    assert np.allclose(hessian(squares_of_stencil)(x) @ v, want, atol=1e-6)


@pytest.mark.parametrize("transform", [grad, lambda f: lambda x: hvp(f, (x,), (x,))])
def test_a_refusal_inside_an_inlined_helper_names_its_local_as_written(transform):
    """It named `pad_then_stencil_y`, the inlined helper's renamed local (bug_24 under
    hvp); now `y`, and the helper it is in."""
    with pytest.raises(UnsupportedError) as caught:
        transform(squares_of_passes)(np.array([0.3, -1.2, 0.8, 1.5]))
    text = str(caught.value)
    assert "_y" not in text and "`y[...] = ...` in `pad_then_read_in_the_pass`" in text
    assert "`y[2:]`" in text and "Give `y` storage of its own" in caught.value.hint
