"""np.linalg in both modes: every function as users write it (tuple unpacking, indexing
and the namedtuple fields of NumPy 2), at several shapes including stacks of matrices,
against central differences and forward against reverse (``<v, J u> = <J^T v, u>``);
Hessians of code using inv, det, slogdet and solve; and the clear errors for what is not
differentiable exactly.  The single-call rows are also checked by test_array_rules.py."""

import numpy as np
import pytest

from s2sdiff import grad, hessian, jvp, vjp
from s2sdiff.errors import S2SDiffError, UnsupportedError

STEP = 1e-6
RNG = np.random.default_rng(16)


def _central(f, primals, i, direction):
    h = STEP * max(1.0, float(np.max(np.abs(primals[i]))))
    plus, minus = list(primals), list(primals)
    plus[i] = primals[i] + h * direction
    minus[i] = primals[i] - h * direction
    return (np.asarray(f(*plus)) - np.asarray(f(*minus))) / (2 * h)


def _like(value):
    return float(RNG.normal()) if np.ndim(value) == 0 else RNG.normal(size=np.shape(value))


def check(f, *primals, rtol=1e-5, atol=1e-7):
    """Reverse and forward mode of ``f`` at ``primals`` against central differences, and
    against each other."""
    out, pullback = vjp(f, *primals)
    np.testing.assert_allclose(out, f(*primals), rtol=1e-12)
    cotangent = _like(out)
    gradients = pullback(cotangent)
    for i, primal in enumerate(primals):
        assert np.shape(gradients[i]) == np.shape(primal)
        numeric = np.zeros(np.shape(primal))
        for position in np.ndindex(np.shape(primal)):
            e = np.zeros(np.shape(primal))
            e[position] = 1.0
            numeric[position] = np.sum(cotangent * _central(f, primals, i, e))
        np.testing.assert_allclose(gradients[i], numeric, rtol=rtol, atol=atol,
                                   err_msg=f"reverse, argument {i}")
    tangents = [_like(p) for p in primals]
    out, tangent_out = jvp(f, tuple(primals), tuple(tangents))
    assert np.shape(tangent_out) == np.shape(out)
    numeric = sum(_central(f, primals, i, t) for i, t in enumerate(tangents))
    np.testing.assert_allclose(tangent_out, numeric, rtol=rtol, atol=atol, err_msg="forward")
    forward = np.sum(cotangent * tangent_out)
    reverse = sum(np.sum(g * t) for g, t in zip(gradients, tangents))
    assert forward == pytest.approx(reverse, rel=1e-10, abs=1e-12)


def square(*shape):
    """Well-conditioned square matrices (a stack of them for a longer shape)."""
    n = shape[-1]
    return RNG.normal(size=shape) + n * np.eye(n)


def spd(*shape):
    factor = RNG.normal(size=shape)
    return factor @ np.swapaxes(factor, -1, -2) + shape[-1] * np.eye(shape[-1])


SQUARE_SHAPES = [(1, 1), (3, 3), (5, 5), (2, 3, 3), (2, 2, 4, 4)]


# --- inv, det, slogdet, solve ----------------------------------------------------------

def inv(a):
    return np.linalg.inv(a)


def det(a):
    return np.linalg.det(a)


def logdet_unpacked(a):
    sign, logdet = np.linalg.slogdet(a)
    return logdet * sign


def logdet_indexed(a):
    res = np.linalg.slogdet(a)
    return res[1] + res[-1]


def logdet_field(a):
    return np.linalg.slogdet(a).logabsdet


@pytest.mark.parametrize("shape", SQUARE_SHAPES)
@pytest.mark.parametrize("f", [inv, det, logdet_unpacked, logdet_indexed, logdet_field])
def test_inverse_and_determinants(f, shape):
    check(f, square(*shape))


def test_slogdet_sign_is_a_constant():
    a = square(3, 3)
    a[:, 0] *= -1.0                             # a negative determinant

    def signed(a):
        sign, logdet = np.linalg.slogdet(a)
        return sign * np.exp(logdet)
    np.testing.assert_allclose(grad(signed)(a), np.linalg.det(a) * np.linalg.inv(a).T,
                               rtol=1e-10)


def solve(a, b):
    return np.linalg.solve(a, b)


@pytest.mark.parametrize("a_shape, b_shape", [
    ((3, 3), (3,)), ((3, 3), (3, 2)), ((2, 3, 3), (3,)), ((2, 3, 3), (2, 3, 1)),
    ((2, 3, 3), (3, 2)), ((3, 3), (4, 3, 2)), ((2, 1, 3, 3), (4, 3, 2))])
def test_solve_batched_and_broadcast(a_shape, b_shape):
    check(solve, square(*a_shape), RNG.normal(size=b_shape))


def test_solve_with_a_constant_matrix_or_right_hand_side():
    a, b = square(3, 3), RNG.normal(size=(3, 2))
    for wrt in ("a", "b"):
        g = grad(lambda a, b: np.sum(np.linalg.solve(a, b) ** 2), wrt=wrt)(a, b)
        x = np.linalg.solve(a, b)
        gb = np.linalg.solve(a.T, 2 * x)
        np.testing.assert_allclose(g, gb if wrt == "b" else -gb @ x.T, rtol=1e-10)


# --- pinv, matrix_power ----------------------------------------------------------------

@pytest.mark.parametrize("shape", [(3, 3), (3, 5), (5, 2), (2, 4, 3)])
def test_pinv(shape):
    check(lambda a: np.linalg.pinv(a), RNG.normal(size=shape))


@pytest.mark.parametrize("n", [0, 1, 2, 3, 5, -1, -3])
@pytest.mark.parametrize("shape", [(3, 3), (2, 3, 3)])
def test_matrix_power(n, shape):
    a = square(*shape) / shape[-1]
    check(lambda a: np.linalg.matrix_power(a, n), a)


# --- cholesky, eigh, eigvalsh ----------------------------------------------------------

@pytest.mark.parametrize("shape", [(1, 1), (3, 3), (4, 4), (2, 3, 3)])
@pytest.mark.parametrize("upper", [False, True])
def test_cholesky(shape, upper):
    if upper:
        check(lambda a: np.linalg.cholesky(a, upper=True), spd(*shape))
    else:
        check(lambda a: np.linalg.cholesky(a), spd(*shape))


def test_cholesky_reads_one_triangle_as_numpy_does():
    """The derivative is that of the function NumPy computes: zero above the diagonal."""
    g = grad(lambda a: np.sum(np.linalg.cholesky(a) ** 3))(spd(4, 4))
    assert np.all(np.triu(g, 1) == 0.0) and np.all(g[np.tril_indices(4)] != 0.0)


def eigh_unpacked(a):
    w, v = np.linalg.eigh(a)
    return w * np.sum(v ** 2 * np.arange(1.0, v.shape[-1] + 1.0), axis=-1)


def eigh_values(a):
    return np.linalg.eigh(a).eigenvalues


def eigh_vectors(a):
    res = np.linalg.eigh(a)
    return res.eigenvectors * res[1]                 # invariant under each vector's sign


def eigh_upper(a):
    w, v = np.linalg.eigh(a, UPLO="U")
    return w + v[..., 0, :] ** 2


def eigvalsh(a):
    return np.linalg.eigvalsh(a)


@pytest.mark.parametrize("shape", [(3, 3), (5, 5), (2, 4, 4)])
@pytest.mark.parametrize("f", [eigh_unpacked, eigh_values, eigh_vectors, eigh_upper, eigvalsh])
def test_eigh(f, shape):
    check(f, RNG.normal(size=shape))


# --- svd, qr ---------------------------------------------------------------------------

def svd_unpacked(a):
    u, s, vh = np.linalg.svd(a, full_matrices=False)
    return (u * s[..., None, :]) ** 2 + 0.0 * np.sum(vh)


def svd_vectors(a):
    res = np.linalg.svd(a, full_matrices=False)
    return np.sum(res.U ** 2 * res.S[..., None, :], axis=-2) + np.sum(res.Vh ** 4, axis=-1)


def svd_outer(a):
    u, s, vh = np.linalg.svd(a, full_matrices=False)
    return u[..., :, :1] * vh[..., :1, :] * s[..., :1, None]    # s1 u1 v1^T, sign-invariant


def svd_values(a):
    return np.linalg.svd(a, compute_uv=False)


def svd_values_of_the_tuple(a):
    return np.linalg.svd(a).S                         # full_matrices: S is still exact


@pytest.mark.parametrize("shape", [(3, 3), (4, 2), (2, 5), (2, 3, 4), (2, 4, 3)])
@pytest.mark.parametrize("f", [svd_unpacked, svd_vectors, svd_outer, svd_values,
                               svd_values_of_the_tuple])
def test_svd(f, shape):
    check(f, RNG.normal(size=shape))


def qr_unpacked(a):
    q, r = np.linalg.qr(a)
    return q * np.sum(r, axis=-2)[..., None, :]


def qr_fields(a):
    res = np.linalg.qr(a)
    return np.sum(res.Q, axis=-1) + np.sum(res.R ** 2) + res[1][..., 0, :1]


@pytest.mark.parametrize("shape", [(3, 3), (5, 3), (2, 4, 2)])
@pytest.mark.parametrize("f", [qr_unpacked, qr_fields])
def test_qr(f, shape):
    check(f, RNG.normal(size=shape))


# --- norm ------------------------------------------------------------------------------

VECTOR_ORDS = [None, 2, 1, np.inf, -np.inf, 3, 0.5, -1, -2.5]
MATRIX_ORDS = [None, "fro", "nuc", np.inf, -np.inf, 1, -1, 2, -2]


@pytest.mark.parametrize("order", VECTOR_ORDS, ids=repr)
@pytest.mark.parametrize("axis, keepdims, shape", [
    (None, False, (5,)), (0, True, (5,)), (1, False, (3, 4)), (-1, True, (2, 3, 4)),
    ((0,), False, (4, 3))])
def test_vector_norms(order, axis, keepdims, shape):
    x = RNG.normal(size=shape)

    def f(x):
        return np.linalg.norm(x, ord=order, axis=axis, keepdims=keepdims)
    check(f, x)


@pytest.mark.parametrize("order", MATRIX_ORDS, ids=repr)
@pytest.mark.parametrize("axis, keepdims, shape", [
    (None, False, (3, 4)), ((0, 1), True, (4, 3)), ((1, 2), False, (2, 3, 4)),
    ((2, 0), True, (3, 2, 4)), ((-1, -2), False, (2, 4, 3))])
def test_matrix_norms(order, axis, keepdims, shape):
    x = RNG.normal(size=shape)

    def f(x):
        return np.linalg.norm(x, order, axis, keepdims)
    check(f, x)


def test_the_default_norm_of_any_array_and_ord_as_a_global():
    check(lambda x: np.linalg.norm(x), RNG.normal(size=(2, 3, 4)))
    check(lambda x: np.linalg.norm(x, np.inf), RNG.normal(size=(6,)))


def test_ord_zero_counts_nonzero_entries_and_has_a_zero_derivative():
    x = RNG.normal(size=(4,))
    np.testing.assert_array_equal(grad(lambda x: np.linalg.norm(x, 0))(x), np.zeros(4))


def test_tied_maximum_entries_share_the_gradient():
    x = np.array([1.0, -3.0, 3.0, 2.0])
    np.testing.assert_array_equal(grad(lambda x: np.linalg.norm(x, np.inf))(x),
                                  [0.0, -0.5, 0.5, 0.0])


# --- programs mixing them, Hessians ----------------------------------------------------

def gaussian_log_likelihood(mean, cov, x):
    sign, logdet = np.linalg.slogdet(cov)
    r = x - mean
    return -0.5 * (logdet + r @ np.linalg.solve(cov, r))


def test_a_gaussian_log_likelihood():
    check(gaussian_log_likelihood, RNG.normal(size=3), spd(3, 3), RNG.normal(size=3))


def _numeric_hessian(f, x):
    """Central differences of the (already checked) gradient."""
    g = grad(f)
    h = 1e-5
    rows = []
    for position in np.ndindex(x.shape):
        e = np.zeros(x.shape)
        e[position] = h
        rows.append((g(x + e) - g(x - e)) / (2 * h))
    rows = np.array(rows).reshape(x.shape + x.shape)
    return np.moveaxis(rows, range(x.ndim), range(x.ndim, 2 * x.ndim))


def inv_loss(a):
    return np.sum(np.linalg.inv(a) ** 2)


def det_loss(a):
    return np.linalg.det(a)


def slogdet_loss(a):
    sign, logdet = np.linalg.slogdet(a)
    return logdet


def solve_loss(a):
    x = np.linalg.solve(a, np.array([1.0, 2.0, 3.0]))
    return np.sum(x ** 2)


@pytest.mark.parametrize("f", [inv_loss, det_loss, slogdet_loss, solve_loss])
def test_hessians(f):
    a = square(3, 3)
    np.testing.assert_allclose(hessian(f)(a), _numeric_hessian(f, a), rtol=1e-5, atol=1e-7)


def test_hessian_of_log_det_closed_form():
    """d2 log|det A| / dA_ij dA_kl = -inv(A)_li inv(A)_jk."""
    a = square(3, 3)
    b = np.linalg.inv(a)
    np.testing.assert_allclose(hessian(slogdet_loss)(a), -np.einsum("li,jk->ijkl", b, b),
                               rtol=1e-10, atol=1e-12)


def test_hessian_through_a_decomposition_is_a_clear_error():
    with pytest.raises(UnsupportedError, match="Second derivatives through np.linalg"):
        hessian(lambda a: np.sum(np.linalg.eigvalsh(a) ** 2))(spd(3, 3))


# --- what is refused -------------------------------------------------------------------

def _refused(f, *args, match):
    with pytest.raises(UnsupportedError, match=match) as error:
        vjp(f, *args)[1](np.ones(np.shape(f(*args))))
    return error.value


def test_the_tuple_used_whole_is_refused():
    def whole(a):
        res = np.linalg.eigh(a)
        return res
    _refused(whole, spd(3, 3), match="used whole")

    def passed_on(a):
        res = np.linalg.qr(a)
        return res[0] * len(list(res))
    _refused(passed_on, RNG.normal(size=(3, 3)), match="used whole")


def test_singular_vectors_with_full_matrices_of_a_non_square_matrix_are_refused():
    error = _refused(lambda a: np.linalg.svd(a)[0], RNG.normal(size=(4, 3)),
                     match="full_matrices=True")
    assert "full_matrices=False" in str(error)


def test_qr_of_a_wide_matrix_is_refused():
    _refused(lambda a: np.linalg.qr(a)[1], RNG.normal(size=(2, 4)), match="wide matrix")


def test_hermitian_options_are_refused():
    _refused(lambda a: np.linalg.pinv(a, hermitian=True), spd(3, 3), match="hermitian")
    _refused(lambda a: np.linalg.svd(a, hermitian=True)[1], spd(3, 3), match="hermitian")


def test_eig_of_a_general_matrix_is_refused():
    with pytest.raises(UnsupportedError, match="use np.linalg.eigh"):
        grad(lambda a: np.sum(np.linalg.eig(a)[0]))(square(3, 3))
    with pytest.raises(UnsupportedError, match="use np.linalg.eigvalsh"):
        grad(lambda a: np.sum(np.linalg.eigvals(a)))(square(3, 3))


def test_complex_matrices_are_refused():
    with pytest.raises(S2SDiffError, match="real"):
        grad(lambda a: np.sum(np.linalg.inv(a)).real)(square(2, 2) + 1j)


def test_a_field_of_something_else_is_refused():
    def field(a):
        b = a * 2.0
        return np.sum(b.eigenvalues)
    with pytest.raises(UnsupportedError, match="attribute `b.eigenvalues`"):
        grad(field)(square(2, 2))


def test_a_vector_right_hand_side_of_a_stack_reads_plainly():
    g = grad(lambda a, b: np.sum(np.linalg.solve(a, b) ** 2), wrt="a")
    g(square(2, 3, 3), np.ones(3))
    assert "[..., :, None] * " in g.source and "slice(" not in g.source, g.source


def test_the_generated_code_reads_like_the_math():
    g = grad(slogdet_loss)
    g(square(3, 3))                 # NumPy code is generated for the arguments' kinds
    assert "da = np.linalg.inv(a).T" in g.source, g.source
    g = grad(lambda a, b: np.sum(np.linalg.solve(a, b)), wrt="a")
    g(square(2, 3, 3), np.ones((3, 2)))
    assert "np.linalg.solve(np.swapaxes(a, -1, -2), " in g.source, g.source


def inline_entries(a):
    total = 0.0
    for k in range(2):
        if k == 0:
            total = total + np.sum(np.linalg.eigh(a)[0] ** 2)
        else:
            total = total + np.linalg.slogdet(a + k)[1] + np.sum(np.linalg.qr(a).R)
    return total


def test_entries_inline_in_loops_and_branches():
    check(inline_entries, spd(3, 3))


def written_entry(a):
    w, v = np.linalg.eigh(a)
    w[0] = 0.0                        # w is its own array: v and the rest are unaffected
    return np.sum(w ** 2) + np.sum(v ** 3 * v)


def test_a_write_into_one_entry():
    check(written_entry, spd(3, 3))


def test_a_write_into_an_entry_read_again_through_the_tuple_is_refused():
    def aliased(a):
        res = np.linalg.eigh(a)
        w = res[0]
        w[1] = 3.0
        return np.sum(res.eigenvalues * res.eigenvectors[0] ** 2)
    with pytest.raises(UnsupportedError, match="writes in place into storage that"):
        grad(aliased)(spd(3, 3))


def test_the_norm_of_a_list_display_in_both_modes():
    check(lambda x, y: np.linalg.norm([x, y], 1) + np.linalg.norm([x, y]), 0.3, -1.2)


def test_singular_vectors_of_a_square_matrix_with_full_matrices():
    def f(a):
        u, s, vh = np.linalg.svd(a)              # full_matrices=True: square, so exact
        return np.sum(u ** 2 * s[..., None, :]) + np.sum((vh * s[..., :, None]) ** 4)
    check(f, RNG.normal(size=(2, 3, 3)))
