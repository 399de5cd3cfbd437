"""Vector-Jacobian and Jacobian-vector products of ``np.linalg`` decompositions, which
generated code calls (``linalg_rules.py``); each uses only NumPy, as ``np``.

Every function works on stacks of matrices (leading batch axes, as NumPy's own
``np.linalg`` functions) and is vectorised: no Python loop over entries (``matrix_power``
loops over the powers of the matrix).  Functions of a symmetric matrix (``eigh``,
``eigvalsh``, ``cholesky``) read one triangle of their argument, as LAPACK does: their
derivatives are those of the function NumPy computes, zero in the other triangle.
Repeated eigenvalues or singular values (and zero singular values for ``U`` and ``Vh``
of a non-square matrix) make the eigenvector and singular-vector derivatives infinite or
NaN, as in JAX and autograd: there the functions are not differentiable.

>>> w, v = np.linalg.eigh(np.diag([1.0, 3.0]))      # d(largest eigenvalue)/da
>>> eigenvalues_vjp(w, v, np.array([0.0, 1.0]))
array([[0., 0.],
       [0., 1.]])
"""

import numpy as np


def _mT(x):
    return np.swapaxes(x, -1, -2)


def _eye(n):
    return np.eye(n)


def _lower(uplo):
    return str(uplo).upper() == "L"


def _symmetric(da, lower):
    """The symmetric matrix that the one triangle of ``da`` LAPACK reads stands for."""
    if lower:
        return np.tril(da) + _mT(np.tril(da, -1))
    return np.triu(da) + _mT(np.triu(da, 1))


def _fold(g, lower):
    """The adjoint of the argument of a function of the symmetric matrix built from one
    triangle (``_symmetric``), given ``g`` with ``d f = <g, dS>`` for symmetric ``dS``:
    ``g + g^T`` off the diagonal in that triangle, ``g``'s diagonal on it, 0 elsewhere."""
    h = g + _mT(g)
    half = 1.0 - 0.5 * _eye(g.shape[-1])
    return (np.tril(h) if lower else np.triu(h)) * half


def _gaps(w):
    """``F[i, j] = 1 / (w[j] - w[i])`` off the diagonal, 0 on it."""
    eye = _eye(w.shape[-1])
    return 1.0 / (w[..., None, :] - w[..., :, None] + eye) - eye


# --- eigh, eigvalsh ----------------------------------------------------------------------

def eigenvalues_vjp(w, v, g, UPLO="L"):
    """Adjoint of ``a`` from that of ``w`` in ``w, v = np.linalg.eigh(a, UPLO)``."""
    return _fold((v * g[..., None, :]) @ _mT(v), _lower(UPLO))


def eigenvectors_vjp(w, v, g, UPLO="L"):
    """Adjoint of ``a`` from that of ``v`` in ``w, v = np.linalg.eigh(a, UPLO)``."""
    return _fold(v @ (_gaps(w) * (_mT(v) @ g)) @ _mT(v), _lower(UPLO))


def eigenvalues_jvp(w, v, da, UPLO="L"):
    """Tangent of ``w`` in ``w, v = np.linalg.eigh(a, UPLO)`` along ``da``."""
    return np.sum(v * (_symmetric(da, _lower(UPLO)) @ v), axis=-2)


def eigenvectors_jvp(w, v, da, UPLO="L"):
    """Tangent of ``v`` in ``w, v = np.linalg.eigh(a, UPLO)`` along ``da``."""
    return v @ (_gaps(w) * (_mT(v) @ _symmetric(da, _lower(UPLO)) @ v))


def eigvalsh_vjp(a, w, g, UPLO="L"):
    """Adjoint of ``a`` from that of ``w = np.linalg.eigvalsh(a, UPLO)``."""
    return eigenvalues_vjp(w, np.linalg.eigh(a, UPLO)[1], g, UPLO)


def eigvalsh_jvp(a, w, da, UPLO="L"):
    return eigenvalues_jvp(w, np.linalg.eigh(a, UPLO)[1], da, UPLO)


# --- cholesky ----------------------------------------------------------------------------

def _phi(x):
    """The lower triangle of ``x``, its diagonal halved."""
    return np.tril(x) * (1.0 - 0.5 * _eye(x.shape[-1]))


def cholesky_vjp(out, g, upper=False):
    """Adjoint of ``a`` from that of ``out = np.linalg.cholesky(a, upper=upper)``, which
    reads the lower (upper) triangle of ``a``."""
    if upper:
        return _mT(cholesky_vjp(_mT(out), _mT(g)))
    inverse = np.linalg.inv(out)
    s = _mT(inverse) @ _phi(_mT(out) @ g) @ inverse
    return _fold(s, True)


def cholesky_jvp(out, da, upper=False):
    if upper:
        return _mT(cholesky_jvp(_mT(out), _mT(da)))
    inverse = np.linalg.inv(out)
    return out @ _phi(inverse @ _symmetric(da, True) @ _mT(inverse))


# --- qr (mode="reduced", rows >= columns) ------------------------------------------------

def qr_q_vjp(q, r, g):
    """Adjoint of ``a`` from that of ``q`` in ``q, r = np.linalg.qr(a)``."""
    m = _mT(q) @ g
    n = np.tril(m, -1) - np.tril(_mT(m), -1) - m
    return (q @ n + g) @ _mT(np.linalg.inv(r))


def qr_r_vjp(q, r, g):
    """Adjoint of ``a`` from that of ``r`` in ``q, r = np.linalg.qr(a)``."""
    m = g @ _mT(r)
    n = m - np.tril(m, -1) + np.tril(_mT(m), -1)
    return q @ n @ _mT(np.linalg.inv(r))


def _qr_tangents(q, r, da):
    da_rinv = da @ np.linalg.inv(r)
    c = _mT(q) @ da_rinv
    low = np.tril(c, -1)
    omega = low - _mT(low)
    return q @ (omega - c) + da_rinv, (c - omega) @ r


def qr_q_jvp(q, r, da):
    return _qr_tangents(q, r, da)[0]


def qr_r_jvp(q, r, da):
    return _qr_tangents(q, r, da)[1]


# --- svd (reduced, or square) ------------------------------------------------------------

def _svd_gaps(s):
    """``F[i, j] = 1 / (s[j]**2 - s[i]**2)`` off the diagonal, 0 on it."""
    eye = _eye(s.shape[-1])
    return 1.0 / (s[..., None, :] ** 2 - s[..., :, None] ** 2 + eye) - eye


def singular_values_vjp(u, s, vh, g):
    """Adjoint of ``a`` from that of ``s`` in ``u, s, vh = np.linalg.svd(a)``."""
    return (u[..., :, :s.shape[-1]] * g[..., None, :]) @ vh[..., :s.shape[-1], :]


def singular_values_jvp(u, s, vh, da):
    k = s.shape[-1]
    return np.sum(u[..., :, :k] * (da @ _mT(vh[..., :k, :])), axis=-2)


def svd_values_vjp(a, s, g):
    """Adjoint of ``a`` from that of ``s = np.linalg.svd(a, compute_uv=False)``."""
    u, _, vh = np.linalg.svd(a, full_matrices=False)
    return singular_values_vjp(u, s, vh, g)


def svd_values_jvp(a, s, da):
    u, _, vh = np.linalg.svd(a, full_matrices=False)
    return singular_values_jvp(u, s, vh, da)


def left_singular_vectors_vjp(u, s, vh, g):
    """Adjoint of ``a`` from that of ``u`` in ``u, s, vh = np.linalg.svd(a)`` (reduced)."""
    k = _svd_gaps(s) * (_mT(u) @ g)
    result = u @ ((k + _mT(k)) * s[..., None, :]) @ vh
    if u.shape[-2] > s.shape[-1]:
        result = result + ((g - u @ (_mT(u) @ g)) / s[..., None, :]) @ vh
    return result


def right_singular_vectors_vjp(u, s, vh, g):
    """Adjoint of ``a`` from that of ``vh`` in ``u, s, vh = np.linalg.svd(a)`` (reduced)."""
    g_v = _mT(g)
    j = _svd_gaps(s) * (vh @ g_v)
    result = u @ (s[..., :, None] * (j + _mT(j))) @ vh
    if vh.shape[-1] > s.shape[-1]:
        result = result + (u / s[..., None, :]) @ _mT(g_v - _mT(vh) @ (vh @ g_v))
    return result


def left_singular_vectors_jvp(u, s, vh, da):
    v = _mT(vh)
    ds = _mT(u) @ da @ v
    scaled = ds * s[..., None, :]
    result = u @ (_svd_gaps(s) * (scaled + _mT(scaled)))
    if u.shape[-2] > s.shape[-1]:
        dav = da @ v
        result = result + (dav - u @ (_mT(u) @ dav)) / s[..., None, :]
    return result


def right_singular_vectors_jvp(u, s, vh, da):
    v = _mT(vh)
    ds = _mT(u) @ da @ v
    scaled = s[..., :, None] * ds
    dv = v @ (_svd_gaps(s) * (scaled + _mT(scaled)))
    if v.shape[-2] > s.shape[-1]:
        dau = _mT(da) @ u
        dv = dv + (dau - v @ (vh @ dau)) / s[..., None, :]
    return _mT(dv)


# --- pinv, matrix_power ------------------------------------------------------------------

def pinv_vjp(a, p, g):
    """Adjoint of ``a`` from that of ``p = np.linalg.pinv(a)`` (constant rank)."""
    p_t, g_t = _mT(p), _mT(g)
    rows, columns = a.shape[-2:]
    return (-(p_t @ g @ p_t) + (_eye(rows) - a @ p) @ g_t @ (p @ p_t)
            + (p_t @ p) @ g_t @ (_eye(columns) - p @ a))


def pinv_jvp(a, p, da):
    p_t, da_t = _mT(p), _mT(da)
    rows, columns = a.shape[-2:]
    return (-(p @ da @ p) + (p @ p_t) @ da_t @ (_eye(rows) - a @ p)
            + (_eye(columns) - p @ a) @ da_t @ (p_t @ p))


def _powers(a, n):
    powers = [np.broadcast_to(_eye(a.shape[-1]), a.shape)]
    for _ in range(n - 1):
        powers.append(powers[-1] @ a)
    return powers


def matrix_power_vjp(a, n, g):
    """Adjoint of ``a`` from that of ``np.linalg.matrix_power(a, n)``: the sum over
    ``k`` of ``(a^k)^T g (a^(n-1-k))^T`` (of ``inv(a)`` for ``n < 0``)."""
    if n == 0:
        return np.zeros(a.shape)
    if n < 0:
        b = np.linalg.inv(a)
        return -(_mT(b) @ matrix_power_vjp(b, -n, g) @ _mT(b))
    powers = _powers(a, n)
    return sum(_mT(powers[k]) @ g @ _mT(powers[n - 1 - k]) for k in range(n))


def matrix_power_jvp(a, n, da):
    if n == 0:
        return np.zeros(a.shape)
    if n < 0:
        b = np.linalg.inv(a)
        return matrix_power_jvp(b, -n, -(b @ da @ b))
    powers = _powers(a, n)
    return sum(powers[k] @ da @ powers[n - 1 - k] for k in range(n))


# --- norm --------------------------------------------------------------------------------

def _norm_axes(x, axis):
    if axis is None:
        return tuple(range(x.ndim))
    axes = axis if isinstance(axis, tuple) else (axis,)
    return tuple(a % x.ndim for a in axes)


def norm_vjp(x, norm, g, ord=None, axis=None, keepdims=False):
    """Adjoint of ``x`` from that of ``norm = np.linalg.norm(x, ord, axis, keepdims)`` for
    every ``ord`` NumPy takes; tied maxima (minima) of ``ord=inf``, ``1`` and their
    negatives share the adjoint evenly, as ``np.max`` does."""
    axes = _norm_axes(x, axis)
    g, norm = np.asarray(g, dtype=float), np.asarray(norm, dtype=float)
    if not keepdims:
        g, norm = np.expand_dims(g, axes), np.expand_dims(norm, axes)
    if ord is None or ord == "fro" or (ord == 2 and len(axes) == 1):
        return x * (g / norm)
    if len(axes) == 1:
        magnitude = np.abs(x)
        if ord in (np.inf, -np.inf):
            tied = magnitude == norm
            return np.sign(x) * tied * (g / np.sum(tied, axis=axes, keepdims=True))
        if ord == 0:
            return np.zeros(x.shape)
        if ord == 1:
            return np.sign(x) * g
        return np.sign(x) * (magnitude / norm) ** (ord - 1) * g
    rows, columns = axes
    if ord in (1, -1, np.inf, -np.inf):
        summed, across = (rows, columns) if ord in (1, -1) else (columns, rows)
        sums = np.sum(np.abs(x), axis=summed, keepdims=True)
        tied = sums == norm
        return np.sign(x) * tied * (g / np.sum(tied, axis=across, keepdims=True))
    matrices = np.moveaxis(x, (rows, columns), (-2, -1))
    u, _, vh = np.linalg.svd(matrices, full_matrices=False)
    if ord == "nuc":
        weight = u @ vh
    elif ord == 2:
        weight = u[..., :, :1] @ vh[..., :1, :]
    else:                                               # -2: the smallest singular value
        weight = u[..., :, -1:] @ vh[..., -1:, :]
    return np.moveaxis(weight, (-2, -1), (rows, columns)) * g


def norm_jvp(x, norm, dx, ord=None, axis=None, keepdims=False):
    """Tangent of ``np.linalg.norm(x, ord, axis, keepdims)`` along ``dx``."""
    weight = norm_vjp(x, norm, np.ones(np.shape(norm)), ord, axis, keepdims)
    return np.sum(weight * dx, axis=_norm_axes(x, axis), keepdims=keepdims)
