"""Writes into arrays followed by views and copies of them (hunts 9 and 10): a view made
after a write outside loops (a boundary value then a stencil, a Cholesky factor filled
through np.tril_indices then L @ L.T), `a /= a.sum()` then `a[:, None]`, and the explicit
finite-difference step in a loop (`u_new = u.copy()`, `u_new[1:-1] = ...`, `u = u_new`).
Oracle: central differences of the function itself, and forward mode."""

import numpy as np
import pytest

import differences
import s2sdiff


def central(f, args, k):
    return differences.central(f, args, k, floats=False)   # int labels stay ints


def heat(u0, alpha):
    u = u0.copy()
    for n in range(3):
        u_new = u.copy()
        u_new[1:-1] = u[1:-1] + alpha * (u[2:] - 2 * u[1:-1] + u[:-2])
        u = u_new
    return np.sum(u ** 2)


def heat_once(u0, alpha):
    u = u0
    u_new = u.copy()
    u_new[1:-1] = alpha * u[1:-1]
    u = u_new
    return np.sum(u ** 2)


def wave(u0, c):
    u_prev = u0.copy()
    u = u0.copy()
    for n in range(4):
        u_new = np.zeros_like(u)
        u_new[1:-1] = 2 * u[1:-1] - u_prev[1:-1] + c * (u[2:] - 2 * u[1:-1] + u[:-2])
        u_prev, u = u, u_new
    return np.sum(u ** 2) + np.sum(u_prev)


def fresh_zeros_each_pass(u0, alpha):
    u = u0
    for n in range(3):
        nxt = np.zeros(u.shape[0])
        nxt[1:-1] = np.tanh(u[1:-1] * alpha)
        nxt[0] = u[0] * alpha
        u = nxt
    return np.sum(u ** 3)


def while_pass(u0, alpha):
    u = u0.copy()
    k = 0
    while k < 3:
        u_new = u.copy()
        u_new[1:] = u[1:] * alpha + u[:-1]
        u = u_new
        k += 1
    return np.sum(u ** 2)


def attention_pooling(s, alpha):
    a = np.exp(s * alpha)
    a /= a.sum()
    return np.sum(a[:, None] * np.outer(s, s))


def cholesky_factor(v, A):
    L = np.zeros((3, 3))
    L[np.tril_indices(3)] = v
    return np.sum((L @ L.T) * A)


def adjoint_views_the_written_array(u0, w):
    u = u0.copy()
    u[0] = 0.0
    z = u[:2]
    return np.sum(z * w)            # dw is z itself: a view of u


def write_in_a_branch(x, w):
    y = x.copy()
    if w[0] > 0:
        y[0] = w[1]
    z = y[:2]
    return np.sum(z * w)            # dw = z * 1.0, folded to z: a view of y


def loop_then_view(x, w):
    y = np.zeros(4)
    for k in range(3):
        y[k + 1] = y[k] * w[0] + x[k]
    return np.sum(y[1:] * y[1:]) + np.sum(y[:2] * w[1])


RNG = np.random.default_rng(5)
U0 = RNG.normal(size=6)
CASES = [(heat, (U0, 0.3)), (heat_once, (U0, 0.3)), (wave, (U0, 0.3)),
         (fresh_zeros_each_pass, (U0, 0.3)), (while_pass, (U0, 0.3)),
         (attention_pooling, (U0[:4], 0.3)),
         (cholesky_factor, (RNG.normal(size=6), RNG.normal(size=(3, 3)))),
         (adjoint_views_the_written_array, (U0[:4], RNG.normal(size=2))),
         (write_in_a_branch, (U0[:3], np.array([0.7, 0.4]))),
         (loop_then_view, (U0[:3], np.array([0.7, 0.4])))]


@pytest.mark.parametrize("f, args", CASES, ids=[f.__name__ for f, _ in CASES])
@pytest.mark.parametrize("k", [0, 1])
def test_reverse_against_central_differences_and_forward_mode(f, args, k):
    passed = [np.copy(a) for a in args]
    got = s2sdiff.grad(f, wrt=k)(*passed)
    assert np.allclose(got, central(f, args, k), rtol=1e-6, atol=1e-7)
    assert np.allclose(s2sdiff.jacfwd(f, wrt=k)(*passed), got, rtol=1e-10, atol=1e-12)
    assert all(np.array_equal(p, a) for p, a in zip(passed, args))    # nothing written


def test_the_adjoint_viewing_the_written_array_is_its_own_copy():
    """dw = z = u[:2] = [0, u1]; the restore of u[0] would turn it into [u0, u1].  In the
    branch: dw = [w1, x1] (it gave [x0, x1])."""
    u0, w = np.array([0.7, -0.2, 0.4]), np.array([1.0, 2.0])
    g = s2sdiff.grad(adjoint_views_the_written_array, wrt=1)
    assert np.allclose(g(u0, w), [0.0, -0.2], atol=0)
    assert "dw = z.copy()" in g.specialize(u0, w).source
    x, w = np.array([0.5, -0.3, 0.8]), np.array([0.7, 0.4])
    assert np.allclose(s2sdiff.grad(write_in_a_branch, wrt=1)(x, w), [0.4, 0.4], atol=0)


def test_heat_hessian_in_alpha():
    h = s2sdiff.hessian(heat, wrt=1)(U0, 0.3)
    want = central(lambda u, a: s2sdiff.grad(heat, wrt=1)(u, a), (U0, 0.3), 1)
    assert h == pytest.approx(want, rel=1e-5)


def same_pass_view(u0, alpha):
    u = u0.copy()
    total = 0.0
    for n in range(3):
        u_new = u.copy()
        u_new[1:-1] = u[1:-1] * alpha
        total = total + np.sum(u_new[2:] ** 2)
        u = u_new
    return total


def copy_between_writes(u0, x):
    u = u0.copy()
    for n in range(2):
        nxt = np.zeros_like(u)
        nxt[0] = x * u[0]
        keep = nxt
        nxt[1] = x * 2.0
        u = keep
    return np.sum(u)


def view_before_a_second_write(u0, w):
    u = u0 * 1.0
    u[1] = w[0] * 3.0
    z = u[:3]
    u[0] = w[1]
    return np.sum(z * w) + np.sum(u)


@pytest.mark.parametrize("f, second", [(same_pass_view, 0.3), (copy_between_writes, 0.3),
                                       (view_before_a_second_write, np.array([0.3, 0.5, 0.7]))])
def test_what_stays_refused(f, second):
    """A view of an array written in the same pass, read after the write; a copy made
    between two writes; a view made before a write and read after it."""
    with pytest.raises(s2sdiff.UnsupportedError, match="writes in place into storage"):
        s2sdiff.grad(f, wrt=1)(U0[:4].copy(), second)
