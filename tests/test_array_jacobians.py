"""Jacobians of functions of arrays in both orders, Hessians of NumPy code and hvp.

Oracles: central differences of the function (Jacobians) and of the generated gradient
(Hessians, Hessian-vector products), and closed forms worked out by hand (a quadratic
form's Hessian is A + A^T, exactly; logistic loss X^T diag(s(1 - s)) X; softplus
diag(s(1 - s))).  Layout as in JAX: out.shape + in.shape, a tuple per output and per input.
"""

import math

import numpy as np
import pytest

import array_functions as af
import s2sdiff
from s2sdiff import (ArgumentError, NotScalarError, UnsupportedError, custom_jvp, grad,
                     hessian, hvp, jacfwd, jacobian, jacrev)
from s2sdiff import array_jacobians

RNG = np.random.default_rng(16)
B = RNG.normal(size=(3, 2))
A = np.array([[1.0, 2.0, -3.0], [0.5, 4.0, 1.0], [2.0, -1.0, 0.25]])
X = RNG.normal(size=(5, 3))
LABELS = np.array([1.0, -1.0, 1.0, 1.0, -1.0])


def cube_scaled(x):                      # R^3 -> R^3
    return np.sin(x) * np.sum(x ** 2)


def matrix_to_four(W):                   # R^(2x3) -> R^4
    return np.ravel(np.tanh(W @ B))


def curve(a):                            # scalar -> R^3
    return np.array([a, a * a, np.sin(a)])


def softplus_sum(x):                     # R^3 -> scalar
    return np.sum(np.log1p(np.exp(x)))


def pair(x, y):                          # several inputs, a tuple output
    return np.sum(x * y), x * np.tanh(y)


def quadratic(x):
    return x @ A @ x


def logistic(w):
    return np.sum(np.log1p(np.exp(-LABELS * (X @ w))))


def bilinear(x, M):
    return x @ M @ x + np.sum(np.sin(M))


def sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


def differences(func, args, position, h=1e-6):
    """Central differences of ``func`` along the entries of ``args[position]``:
    shape out.shape + in.shape (a tuple output gives a tuple)."""
    base = np.asarray(args[position], dtype=float)
    columns = []
    for index in np.ndindex(base.shape):
        plus, minus = [list(args) for _ in range(2)]
        step = np.zeros(base.shape)
        step[index] = h
        plus[position], minus[position] = base + step, base - step
        hi, lo = func(*plus), func(*minus)
        if isinstance(hi, tuple):
            columns.append([(np.asarray(a) - np.asarray(b)) / (2 * h) for a, b in zip(hi, lo)])
        else:
            columns.append([(np.asarray(hi) - np.asarray(lo)) / (2 * h)])
    blocks = [np.stack([c[o] for c in columns], axis=-1).reshape(
        np.shape(columns[0][o]) + base.shape) for o in range(len(columns[0]))]
    return tuple(blocks) if isinstance(func(*args), tuple) else blocks[0]


SINGLE = [(cube_scaled, (np.array([0.1, -0.2, 0.3]),), (3, 3)),
          (matrix_to_four, (RNG.normal(size=(2, 3)),), (4, 2, 3)),
          (curve, (0.5,), (3,)),
          (softplus_sum, (np.array([0.3, -1.2, 2.0]),), (3,))]


@pytest.mark.parametrize("func, args, shape", SINGLE, ids=lambda v: getattr(v, "__name__", ""))
def test_every_mode_agrees_with_differences(func, args, shape):
    expected = differences(func, args, 0)
    results = [jacfwd(func)(*args), jacrev(func)(*args)] + [
        jacobian(func, mode=mode)(*args) for mode in ("auto", "forward", "reverse")]
    for result in results:
        assert np.shape(result) == shape
        np.testing.assert_allclose(result, results[0], rtol=1e-13, atol=1e-15)
        np.testing.assert_allclose(result, expected, rtol=1e-7, atol=1e-9)


def test_jacrev_of_an_array_output_is_a_row_per_entry():
    """Seeding an array output with 1.0 would give the gradient of its sum."""
    x = np.array([0.1, -0.2, 0.3])
    J = jacrev(cube_scaled)(x)
    expected = np.diag(np.cos(x)) * np.sum(x ** 2) + 2 * np.outer(np.sin(x), x)
    np.testing.assert_allclose(J, expected, rtol=1e-13)


def test_several_inputs_give_a_tuple_of_blocks_per_output():
    x, y = np.array([0.1, -0.2, 0.3]), np.array([1.0, 0.5, -0.7])
    expected = [differences(pair, (x, y), 0), differences(pair, (x, y), 1)]
    for mode in ("forward", "reverse", "auto"):
        (sum_x, sum_y), (vec_x, vec_y) = jacobian(pair, wrt=(0, 1), mode=mode)(x, y)
        assert sum_x.shape == sum_y.shape == (3,) and vec_x.shape == vec_y.shape == (3, 3)
        np.testing.assert_allclose(sum_x, y, rtol=1e-14)
        np.testing.assert_allclose(vec_x, np.diag(np.tanh(y)), rtol=1e-14)
        np.testing.assert_allclose(vec_y, np.diag(x / np.cosh(y) ** 2), rtol=1e-13)
        for k, block in enumerate((sum_x, sum_y)):
            np.testing.assert_allclose(block, expected[k][0], rtol=1e-7, atol=1e-9)
        for k, block in enumerate((vec_x, vec_y)):
            np.testing.assert_allclose(block, expected[k][1], rtol=1e-7, atol=1e-9)


def test_one_input_of_several():
    x, y = np.array([0.1, -0.2, 0.3]), np.array([1.0, 0.5, -0.7])
    J = jacfwd(pair, wrt="y")(x, y)
    assert isinstance(J, tuple) and J[0].shape == (3,) and J[1].shape == (3, 3)
    np.testing.assert_allclose(J[0], x, rtol=1e-14)
    np.testing.assert_allclose(jacrev(pair, wrt="y")(x, y)[1], J[1], rtol=1e-14)


def test_numbers_in_numpy_code_keep_the_scalar_layout():
    def scaled(a, b):
        return np.sum(B * a) + b * b
    assert jacfwd(scaled)(0.5, 2.0) == pytest.approx([np.sum(B), 4.0])
    assert jacrev(scaled)(0.5, 2.0) == pytest.approx([np.sum(B), 4.0])


def test_auto_picks_forward_for_fewer_inputs_and_reverse_for_fewer_outputs(monkeypatch):
    calls = []
    for name in ("by_columns", "by_rows"):
        original = getattr(array_jacobians, name)
        monkeypatch.setattr(array_jacobians, name,
                            lambda *a, _f=original, _n=name: calls.append(_n) or _f(*a))

    def wide(x):                       # R^2 -> R^5
        return np.outer(x, np.ones(5))[0] * x[1]

    def tall(x):                       # R^5 -> R^2
        return np.array([np.sum(x), np.sum(x * x)])
    jacobian(wide)(np.array([0.3, 0.4]))
    jacobian(tall)(np.arange(5.0))
    assert calls == ["by_columns", "by_rows"]


def test_auto_takes_the_mode_that_runs():
    """Two inputs, two outputs: forward mode by columns, which refuses a list parameter
    (at a call with a list: at a 1-D array it runs); auto takes reverse mode instead of
    failing."""
    def first_two(xs, a):
        return xs[0] * a, xs[1] * a
    with pytest.raises(UnsupportedError, match="list"):
        jacfwd(first_two)([2.0, 3.0], 0.5)
    J = jacobian(first_two, wrt="a")([2.0, 3.0], 0.5)
    np.testing.assert_allclose(J, [2.0, 3.0])


def test_auto_over_r3_to_r3_works():
    """The issue's case: auto picked forward mode for R^3 -> R^3, which refused."""
    x = np.array([0.1, -0.2, 0.3])
    np.testing.assert_allclose(jacobian(cube_scaled, mode="auto")(x),
                               differences(cube_scaled, (x,), 0), rtol=1e-7, atol=1e-9)


# -- Hessians of NumPy code and hvp -------------------------------------------------------

def test_hessian_of_a_quadratic_form_is_a_plus_a_transpose_exactly():
    H = hessian(quadratic)(np.array([0.3, -1.1, 0.7]))
    np.testing.assert_array_equal(H, A + A.T)


def test_hessian_of_logistic_loss():
    w = np.array([0.2, -0.4, 0.1])
    s = sigmoid(LABELS * (X @ w))
    closed = X.T @ np.diag(s * (1 - s)) @ X          # labels are +-1: y^2 = 1
    H = hessian(logistic)(w)
    np.testing.assert_allclose(H, closed, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(H, differences(grad(logistic), (w,), 0), rtol=1e-6, atol=1e-8)


def test_hessian_of_softplus_sum_is_diagonal():
    x = np.array([0.3, -1.2, 2.0])
    H = hessian(softplus_sum)(x)
    np.testing.assert_allclose(H, np.diag(sigmoid(x) * (1 - sigmoid(x))), rtol=1e-13,
                               atol=1e-16)
    np.testing.assert_allclose(H, differences(grad(softplus_sum), (x,), 0), rtol=1e-6,
                               atol=1e-9)


def test_hessian_blocks_of_several_inputs():
    x, M = np.array([0.3, -1.1, 0.7]), RNG.normal(size=(3, 3))
    (xx, xM), (Mx, MM) = hessian(bilinear)(x, M)
    assert xx.shape == (3, 3) and xM.shape == (3, 3, 3) and Mx.shape == (3, 3, 3) \
        and MM.shape == (3, 3, 3, 3)
    np.testing.assert_allclose(xx, M + M.T, rtol=1e-14)
    gradient = grad(bilinear)
    for j, column in enumerate(((xx, Mx), (xM, MM))):
        numeric = [differences(lambda *a, k=k: gradient(*a)[k], (x, M), j) for k in range(2)]
        for block, expected in zip(column, numeric):
            np.testing.assert_allclose(block, expected, rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(MM.reshape(9, 9), np.diag(-np.sin(M).ravel()), atol=1e-15)


@pytest.mark.parametrize("func, point", [(quadratic, np.array([0.3, -1.1, 0.7])),
                                         (logistic, np.array([0.2, -0.4, 0.1])),
                                         (softplus_sum, np.array([0.3, -1.2, 2.0]))],
                         ids=lambda v: getattr(v, "__name__", ""))
def test_hvp_is_the_hessian_times_v_and_the_derivative_of_the_gradient(func, point):
    v = np.array([1.0, -2.0, 0.5])
    product = hvp(func, (point,), (v,))
    np.testing.assert_allclose(product, hessian(func)(point) @ v, rtol=1e-12, atol=1e-14)
    h = 1e-6
    gradient = grad(func)
    numeric = (gradient(point + h * v) - gradient(point - h * v)) / (2 * h)
    np.testing.assert_allclose(product, numeric, rtol=1e-6, atol=1e-8)


def test_hvp_of_several_parameters_and_of_scalar_code():
    x, M = np.array([0.3, -1.1, 0.7]), RNG.normal(size=(3, 3))
    v, V = np.array([1.0, 0.5, -1.0]), RNG.normal(size=(3, 3))
    px, pM = hvp(bilinear, (x, M), (v, V))
    (xx, xM), (Mx, MM) = hessian(bilinear)(x, M)
    np.testing.assert_allclose(px, xx @ v + np.tensordot(xM, V, 2), rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(pM, np.tensordot(Mx, v, 1) + np.tensordot(MM, V, 2),
                               rtol=1e-12, atol=1e-14)

    def f(x, y):
        return x * x * y + math.sin(x * y)
    H = hessian(f)(0.7, -0.4)
    assert hvp(f, (0.7, -0.4), (1.0, 2.0)) == pytest.approx(tuple(H @ [1.0, 2.0]), rel=1e-13)


def test_hvp_is_exported_and_checks_its_arguments():
    assert "hvp" in s2sdiff.__all__
    with pytest.raises(ArgumentError, match="hvp: tangents has length 2"):
        hvp(quadratic, (np.ones(3),), (np.ones(3), np.ones(3)))
    with pytest.raises(NotScalarError, match="scalar output"):
        hvp(cube_scaled, (np.ones(3),), (np.ones(3),))


@custom_jvp
def smooth(x):
    return np.log1p(np.exp(x))


smooth.defjvps(lambda g, ans, x: g / (1.0 + np.exp(-x)))


def uses_smooth(x):
    return np.sum(smooth(x))


def test_second_derivatives_refuse_custom_rules():
    with pytest.raises(UnsupportedError, match="hvp\\(uses_smooth\\).*custom rule"):
        hvp(uses_smooth, (np.ones(3),), (np.ones(3),))
    with pytest.raises(UnsupportedError, match="hessian\\(uses_smooth\\).*custom rule"):
        hessian(uses_smooth)


def scaled_by_keyword(x, *, scale=2.0):
    return np.sin(x) * scale


def test_keyword_only_parameters_and_defaults():
    x = np.array([0.1, -0.2, 0.3])
    for mode in ("forward", "reverse", "auto"):
        along_x, along_scale = jacobian(scaled_by_keyword, mode=mode)(x, scale=3.0)
        np.testing.assert_allclose(along_x, np.diag(3.0 * np.cos(x)), rtol=1e-14)
        np.testing.assert_allclose(along_scale, np.sin(x), rtol=1e-14)
        np.testing.assert_allclose(jacobian(scaled_by_keyword, wrt="x", mode=mode)(x),
                                   np.diag(2.0 * np.cos(x)), rtol=1e-14)


# -- hvp over the NumPy corpus ------------------------------------------------------------

def _corpus_arguments(spec, rng):
    """Arguments for ``array_functions.CASES`` (as test_arrays makes them) and tangents:
    random for floats, zero for integer arrays."""
    args = []
    for s in spec:
        if s == "i":
            args.append(np.array([0, 2, 2, 1, 3, 0]))
        elif s == "onehot":
            args.append(np.eye(3)[[0, 2, 1, 1]])
        else:
            args.append(float(rng.normal()) if s == () else rng.normal(size=s))
    tangents = [np.zeros(a.shape) if isinstance(a, np.ndarray) and a.dtype.kind in "iu"
                else (float(rng.normal()) if np.shape(a) == () else rng.normal(size=a.shape))
                for a in args]
    return args, tangents


@pytest.mark.parametrize("func, spec", af.CASES,
                         ids=[f"{f.__name__}-{spec}" for f, spec in af.CASES])
def test_hvp_over_the_corpus_matches_differences_of_the_gradient(func, spec):
    """A right product or a clear refusal at generation, never a wrong value."""
    args, tangents = _corpus_arguments(spec, np.random.default_rng(7))
    real = [i for i, a in enumerate(args)
            if not (isinstance(a, np.ndarray) and a.dtype.kind in "iu")]
    try:
        product = hvp(func, [np.copy(a) if isinstance(a, np.ndarray) else a for a in args],
                      tangents)
    except UnsupportedError:
        pytest.skip("refused clearly at generation")
    gradient = grad(func, wrt=tuple(real))
    h = 1e-6

    def gradient_at(sign):
        moved = [a + sign * h * t if i in real else a
                 for i, (a, t) in enumerate(zip(args, tangents))]
        return gradient(*moved)
    numeric = [(p - m) / (2 * h) for p, m in zip(gradient_at(1), gradient_at(-1))]
    product = product if isinstance(product, tuple) else (product,)
    for k, i in enumerate(real):
        np.testing.assert_allclose(product[i], numeric[k], rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("func, spec", af.CASES,
                         ids=[f"{f.__name__}-{spec}" for f, spec in af.CASES])
def test_both_orders_over_the_corpus_agree_with_grad(func, spec):
    """Scalar outputs: each block of jacfwd and of jacrev is the gradient."""
    args, _ = _corpus_arguments(spec, np.random.default_rng(8))
    real = tuple(i for i, a in enumerate(args)
                 if not (isinstance(a, np.ndarray) and a.dtype.kind in "iu"))
    copies = [np.copy(a) if isinstance(a, np.ndarray) else a for a in args]
    expected = grad(func, wrt=real)(*copies)
    for order in (jacfwd, jacrev):
        try:
            blocks = order(func, wrt=real)(*[np.copy(a) if isinstance(a, np.ndarray) else a
                                            for a in args])
        except UnsupportedError:
            assert order is jacfwd        # forward mode may refuse; reverse mode runs
            continue
        blocks = blocks if isinstance(blocks, tuple) else tuple(np.atleast_1d(blocks)) \
            if len(real) > 1 else (blocks,)
        for block, gradient in zip(blocks, expected):
            np.testing.assert_allclose(block, gradient, rtol=1e-10, atol=1e-12)


def test_a_function_that_writes_into_its_argument_runs_on_fresh_copies():
    a, y = np.array([0.1, 0.2, 0.3]), 0.7
    expected = grad(af.assigns_into_its_argument, wrt=0)(a.copy(), y)
    for order in (jacfwd, jacrev):
        np.testing.assert_allclose(order(af.assigns_into_its_argument, wrt=0)(a, y), expected,
                                   rtol=1e-14)
        np.testing.assert_array_equal(a, [0.1, 0.2, 0.3])
    H = hessian(af.assigns_into_its_argument, wrt=0)(a, y)
    np.testing.assert_allclose(H, np.diag([0.0, 2.0, 2.0]), atol=1e-15)
    np.testing.assert_array_equal(a, [0.1, 0.2, 0.3])
