"""Silent wrong values found by the fifth hunt of user programs (/tmp/hunt5), each checked
against central differences of the program itself, in reverse and forward mode."""

import numpy as np
import pytest

from differences import central
from s2sdiff import S2SDiffError, grad, jacfwd, jacrev, jvp

RNG = np.random.default_rng(55)
A = RNG.normal(size=(3, 4))
W6 = RNG.normal(size=(2, 6))
W12 = RNG.normal(size=12)
W33 = RNG.normal(size=(3, 3))


def reshape_fortran(A):
    return np.sum(A.reshape(2, 6, order="F") * W6)


def np_reshape_fortran(A):
    return np.sum(np.reshape(A, (12,), order="F") * W12)


def cumsum_flat(A):
    return np.sum(np.cumsum(A, axis=None) * W12)


def cumsum_method_flat(A):
    return np.sum(A.cumsum(axis=None) * W12)


def cumprod_flat(A):
    return np.sum(np.cumprod(A, axis=None) * W12)


def concatenate_flat(A):
    return np.sum(np.concatenate([A, A[:1] ** 2], axis=None) * np.arange(16.0))


T3 = RNG.normal(size=(2, 3, 4))
W423 = RNG.normal(size=(4, 2, 3))


def transpose_negative(T):
    return np.sum(np.transpose(T, (-1, 0, -2)) * W423)


def transpose_method_negative(T):
    return np.sum(T.transpose(-1, 0, 1) * W423)


def transpose_method_tuple(T):
    return np.sum(T.transpose((2, 0, 1)) * W423)


def triu_of_vector(x):
    return np.sum(np.triu(x) * W33)


def tril_of_vector(x):
    return np.sum(np.tril(x, -1) * W33)


@pytest.mark.parametrize("function, x", [
    (reshape_fortran, A), (np_reshape_fortran, A), (cumsum_flat, A),
    (cumsum_method_flat, A), (cumprod_flat, A), (concatenate_flat, A), (triu_of_vector, RNG.normal(size=3)),
    (tril_of_vector, RNG.normal(size=3)), (transpose_negative, T3),
    (transpose_method_negative, T3), (transpose_method_tuple, T3),
])
def test_reverse_and_forward_mode_match_central_differences(function, x):
    expected = central(function, [x], 0)
    gradient = grad(function)(x)
    assert gradient.shape == x.shape
    assert np.allclose(gradient, expected, rtol=1e-6, atol=1e-8)
    forward = jacfwd(function)(x)
    assert np.allclose(forward, expected, rtol=1e-6, atol=1e-8)


def triu(x):
    return np.triu(x)


def cumsum(x):
    return np.cumsum(x, axis=None)


def fortran(x):
    return x.reshape(12, order="F")


@pytest.mark.parametrize("function, x", [(triu, RNG.normal(size=3)), (cumsum, A), (fortran, A)])
def test_jacobians_in_both_orders_agree(function, x):
    assert np.allclose(jacrev(function)(x), jacfwd(function)(x))


def reshape_any_order(A):
    return np.sum(np.reshape(A.T, (12,), order="A") * W12)


def pad_maximum(x):
    return np.pad(x, 1, mode="maximum")


def pad_odd(x):
    return np.sum(np.pad(x, 2, mode="reflect", reflect_type="odd") * np.arange(1.0, 10.0))


def test_order_a_is_refused_in_both_modes():
    with pytest.raises(S2SDiffError, match="order='A'"):
        grad(reshape_any_order)(A)
    with pytest.raises(S2SDiffError, match="order='A'"):
        jacfwd(reshape_any_order)(A)


def test_a_statistic_padding_is_refused_in_forward_mode_as_in_reverse():
    x = np.array([0.5, 3.0, -1.0, 2.0])
    with pytest.raises(S2SDiffError, match="mode='maximum'"):
        jvp(pad_maximum, (x,), (np.ones(4),))


def test_odd_reflection_forward_mode_is_exact_and_reverse_refuses():
    x = np.array([0.5, 3.0, -1.0, 2.0, 1.5])
    expected = central(pad_odd, [x], 0)
    assert np.allclose(jacfwd(pad_odd)(x), expected, rtol=1e-6, atol=1e-8)
    with pytest.raises(S2SDiffError, match="reflect_type='odd'"):
        grad(pad_odd)(x)


def nested_tuple_helper(x):
    def h(z):
        return z ** 2, np.sin(z)
    a, b = h(x)
    return np.sum(a * b)


def nested_tuple_lambda_in_loop(x):
    step = lambda z, w: (z * w, np.tanh(z))  # noqa: E731
    total = 0.0
    for k in range(3):
        a, b = step(x, k + 1.0)
        total = total + np.sum(a * b)
    return total


def nested_tuple_of_parameters(x, y):
    def swap(p, q):
        return q, p * 2.0
    a, b = swap(x, y)
    return np.sum(a * np.exp(b))


@pytest.mark.parametrize("function, args", [
    (nested_tuple_helper, (RNG.normal(size=3),)),
    (nested_tuple_lambda_in_loop, (RNG.normal(size=3),)),
    (nested_tuple_of_parameters, (RNG.normal(size=3), RNG.normal(size=3))),
])
def test_a_nested_helper_returning_a_tuple_in_numpy_code(function, args):
    """It was refused naming the generated `unpacked` (hunt 5 bug_06)."""
    gradients = grad(function)(*args)
    gradients = gradients if isinstance(gradients, tuple) else (gradients,)
    for k, gradient in enumerate(gradients):
        assert np.allclose(gradient, central(function, args, k), rtol=1e-6, atol=1e-8)


def einsum_dot(x):
    return np.einsum("i,i->", x, x)


def test_a_scalar_einsum_keeps_float32():
    x = np.array([0.3, -0.7, 1.1], dtype=np.float32)
    gradient = grad(einsum_dot)(x)
    assert gradient.dtype == np.float32
    assert np.allclose(gradient, 2 * x)


def noisy_cubes(x):
    eps = np.random.normal(size=x.shape)
    return np.sum(x ** 3 * eps)


def noisy_squares(x):
    return x ** 2 * NOISE_RNG.normal(size=x.shape)


NOISE_RNG = np.random.default_rng(3)


@pytest.mark.parametrize("transform", ["hessian", "jacfwd", "jacrev", "jacobian"])
def test_a_draw_under_a_jacobian_or_hessian_is_refused(transform):
    """Each column or row ran the function again with other draws: the result belonged to
    no single draw (hunt 5 bug_23).  grad and hvp run it once and keep working."""
    import s2sdiff
    function = noisy_cubes if transform == "hessian" else noisy_squares
    with pytest.raises(S2SDiffError, match="draws random numbers") as caught:
        getattr(s2sdiff, transform)(function)(np.array([0.5, -1.0, 2.0]))
    assert "Draw the numbers once" in str(caught.value)


def test_grad_of_a_draw_is_the_gradient_for_that_draw():
    x = np.array([0.5, -1.0, 2.0])
    np.random.seed(7)
    gradient = grad(noisy_cubes)(x)
    np.random.seed(7)
    eps = np.random.normal(size=3)
    assert np.allclose(gradient, 3 * x ** 2 * eps)


def two_outputs(x):
    return np.sum(x), x * 2


def test_a_none_cotangent_is_refused_naming_the_output():
    """It was refused naming the generated adjoint `dtwo_outputs1` as a parameter."""
    from s2sdiff import ArgumentError, vjp
    _, pullback = vjp(two_outputs, np.array([0.3, -0.7, 1.1]))
    with pytest.raises(ArgumentError, match="cotangent of output 1 is None") as caught:
        pullback((1.0, None))
    assert "dtwo" not in str(caught.value) and "np.zeros_like" in str(caught.value)
    assert np.allclose(pullback((1.0, np.zeros(3)))[0], 1.0)


def norm_minus_inf(x):
    return np.linalg.norm(x, -np.inf)


def norm_minus_inf_keyword(x):
    return np.linalg.norm(x, ord=-np.inf) * np.linalg.norm(x, ord=np.inf)


@pytest.mark.parametrize("function", [norm_minus_inf, norm_minus_inf_keyword])
def test_ord_minus_inf(function):
    """-np.inf was refused as "not a constant" (hunt 5 bug_02); numpy.md lists it."""
    x = np.array([0.5, -2.0, 1.5])
    assert np.allclose(grad(function)(x), central(function, [x], 0), rtol=1e-6, atol=1e-8)


def tagged_branches(x):
    if x[0] > 0:
        return np.sum(x ** 2), "pos"
    if x[1] > 0:
        return np.sum(x), None
    return np.sum(x ** 3), "neg"


@pytest.mark.parametrize("x, tag, slope", [
    (np.array([0.3, -0.7, 1.1]), "pos", lambda x: 2 * x),
    (np.array([-0.3, 0.7, 1.1]), None, lambda x: np.ones(3)),
    (np.array([-0.3, -0.7, 1.1]), "neg", lambda x: 3 * x ** 2),
])
def test_an_aux_that_is_another_string_at_each_return(x, tag, slope):
    """It was refused as "constant 'pos' is not supported" (hunt 5 bug_17)."""
    from s2sdiff import value_and_grad
    (value, aux), gradient = value_and_grad(tagged_branches, has_aux=True)(x)
    assert aux == tag and value == pytest.approx(tagged_branches(x)[0])
    assert np.allclose(gradient, slope(x))
    source = value_and_grad(tagged_branches, has_aux=True).specialize(x).source
    assert "('pos', None, 'neg')[" in source


def index_methods(x):
    return x[x.argmax()] ** 2 + np.sum(x[x.argsort()] * np.arange(4.0)) - x[x.argmin()]


def rounded_weights(x):
    return np.sum(x.round(1) * x)


@pytest.mark.parametrize("function", [index_methods, rounded_weights])
def test_constant_valued_array_methods(function):
    """x.argmax(), x.argsort(), x.argmin() and x.round(n) were refused, though their
    functions work (hunt 5 bug_20); away from ties they are constants."""
    x = np.array([0.31, -0.74, 1.12, 0.23])
    assert np.allclose(grad(function)(x), central(function, [x], 0), rtol=1e-6, atol=1e-8)


def with_generator(x, rng):
    eps = rng.normal(size=x.shape)
    return np.sum((x + eps) ** 2)


def test_a_generator_passed_in_is_refused_with_what_works():
    """The hint spoke of classes defined in your files (hunt 5 bug_24)."""
    with pytest.raises(S2SDiffError, match="random generator") as caught:
        grad(with_generator, wrt="x")(np.ones(3), np.random.default_rng(5))
    assert "module-level generator" in str(caught.value)


def inner_loss(x):
    return np.sum(np.sin(x) * x ** 2)


def via_jvp(x):
    _, t = jvp(inner_loss, (x,), (np.ones_like(x),))
    return t ** 2


def test_a_transform_called_inside_is_refused_naming_it():
    """The hints treated s2sdiff's jvp as the user's helper (hunt 5 bug_16)."""
    with pytest.raises(S2SDiffError, match="call of s2sdiff's `jvp` inside") as caught:
        grad(via_jvp)(np.array([0.3, -0.7, 1.1]))
    assert "hessian" in str(caught.value)


def zero_diagonal(A):
    B = A.copy()
    np.fill_diagonal(B, 0.0)
    return np.sum(B ** 2)


def test_an_in_place_numpy_function_is_refused_as_one():
    """np.fill_diagonal got the hint to use its result, which is None (hunt 5 bug_04)."""
    with pytest.raises(S2SDiffError, match="writes into `B` in place") as caught:
        grad(zero_diagonal)(np.ones((3, 3)))
    assert "np.eye" in str(caught.value)


def clip_out(x):
    y = x * 1.0
    z = np.clip(y, -1.0, 1.0, out=y)
    return np.sum(z)


def test_out_is_refused_as_a_write_in_place_when_the_result_is_read():
    """Reading the result gave "no derivative rule for numpy.clip" (hunt 5 bug_12)."""
    with pytest.raises(S2SDiffError, match="`out=` in `np.clip"):
        grad(clip_out)(np.array([0.7, 2.3, -1.6]))


def joined_r(x, y):
    return np.sum(np.r_[x, y, 2.0] ** 2 * np.arange(1.0, 5.0))


def joined_c(x):
    return np.sum(np.c_[x, x ** 2] * np.array([[1.0, 2.0], [3.0, 4.0]]))


@pytest.mark.parametrize("function, args", [
    (joined_r, (np.array([0.3, -0.7]), np.array([1.1]))), (joined_c, (np.array([0.3, -0.7]),)),
])
def test_np_r_and_np_c_join(function, args):
    """They were refused as indexing with a differentiated index (hunt 5 bug_19)."""
    gradients = grad(function)(*args)
    gradients = gradients if isinstance(gradients, tuple) else (gradients,)
    for k, gradient in enumerate(gradients):
        assert np.allclose(gradient, central(function, args, k), rtol=1e-6, atol=1e-8)


def p_norm_squared(x):
    return np.linalg.norm(x, 3) ** 2


def test_a_second_derivative_through_an_own_helper_names_the_users_function():
    """It named s2sdiff.linalg_runtime.norm_jvp, jvp_pnorm and pnorm1 (hunt 5 bug_14)."""
    from s2sdiff import hessian
    with pytest.raises(S2SDiffError, match="cannot differentiate p_norm_squared twice") as caught:
        hessian(p_norm_squared)(np.array([0.5, -1.0, 2.0]))
    error = caught.value
    assert error.filename == __file__ and "np.linalg.norm(x, 3)" in error.source_line
    assert "jvp_p_norm" not in str(error)


def zero_the_diagonal(A):
    B = A * 1.0
    B[np.arange(3), np.array([0, 1, 2])] = 0.0
    return np.sum(B ** 2)


def repeat_into_the_diagonal(A, v):
    B = A * 1.0
    B[np.array([0, 1, 1]), np.array([0, 1, 1])] = v
    return np.sum(B ** 2)


def test_a_write_through_integer_arrays_quotes_the_users_index():
    """The message quoted the normalizer's temporaries, `B[B1, B2]` (hunt 5 bug_03).  A
    constant written is exact whatever the positions (zero_the_diagonal: 2 A off the
    diagonal, 0 on it)."""
    a = np.arange(9.0).reshape(3, 3)
    assert np.allclose(grad(zero_the_diagonal)(a), 2 * a * (1 - np.eye(3)), atol=0)
    with pytest.raises(S2SDiffError) as caught:
        grad(repeat_into_the_diagonal, wrt=1)(np.ones((3, 3)), np.ones(3))
    assert "`B[np.array([0, 1, 1]), np.array([0, 1, 1])] = ...`" in str(caught.value)


def running_minimum(x):
    best = float("inf")
    for v in (x, 2 * x, x * x):
        if v < best:
            best = v
    return best * 3.0 + float("1.5") * x


def norm_float_inf(x):
    return np.linalg.norm(x, float("inf"))


def test_float_of_a_string_is_its_number():
    """float("inf") was refused as a string constant, with a hint about dict keys."""
    for x in (0.7, -0.7):
        assert grad(running_minimum)(x) == pytest.approx(central(running_minimum, [x], 0))
    x = np.array([0.5, -2.0, 1.5])
    assert np.allclose(grad(norm_float_inf)(x), [0.0, -1.0, 0.0])


def square(t):
    return t * t


def numpy_of_a_comprehension(x):
    return np.sum([v ** 2 for v in x]) + np.mean([np.sin(v) * v for v in x])


def numpy_of_a_mapped_list(x):
    return np.sum(np.array(list(map(square, x))) * np.arange(1.0, 4.0))


@pytest.mark.parametrize("function, x", [
    (numpy_of_a_comprehension, np.array([0.7, 2.3, -1.6])),
    (numpy_of_a_mapped_list, np.array([0.7, 2.3, -1.6])),
])
def test_numpy_of_a_list_comprehension(function, x):
    """np.sum([...]) and np.array(list(map(f, x))) were refused naming `items` (bug_11)."""
    assert np.allclose(grad(function)(x), central(function, [x], 0), rtol=1e-6, atol=1e-8)


def nested_returns_a_bound_once_local(x):
    y = x + 1
    def h(z):
        return z * 2, z
    p, q = h(y)
    return np.sum(p) + np.sum(q * q)


def test_a_nested_helper_returning_a_local_bound_once():
    """`a, b = h(y)` with h returning y itself was refused (hunt 6 bug_02)."""
    x = RNG.normal(size=3)
    function = nested_returns_a_bound_once_local
    assert np.allclose(grad(function)(x), central(function, [x], 0), rtol=1e-6, atol=1e-8)

