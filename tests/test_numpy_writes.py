"""Writes into arrays as users write them.  Assignments through a boolean mask,
``y[m] = g(x[m])``: the number of entries the mask selects is known only from the data;
the reverse sweep sums a broadcast value's adjoint for any count, and reads the entries
back one for one when the value has one per entry.  Refusals that name their cause and a
rewrite that works: list-indexing code given arrays in reverse mode, a view made after a
write.

Oracle: central differences, at arguments whose masks select different counts."""

import numpy as np
import pytest

from differences import central
from s2sdiff import grad


def squares_where_positive(x):
    y = np.zeros_like(x)
    m = x > 0
    y[m] = x[m] ** 2
    return np.sum(y)


def exp_where_positive(x):
    y = np.zeros_like(x)
    m = x > 0
    y[m] = np.exp(x[m])
    return np.sum(y * x)


def broadcast_number(x):
    y = x * 1.0
    s = np.sum(x)
    y[x > 0.4] = s * s
    return np.sum(y ** 2)


def rows_where_positive(X):
    Y = np.zeros_like(X)
    m = X[:, 0] > 0
    Y[m] = np.tanh(X[m]) * 2.0
    return np.sum(Y ** 2)


def broadcast_row(X):
    Y = X * 1.0
    m = X[:, 0] > 0
    Y[m] = X[0] * 3.0
    return np.sum(Y ** 2)


VECTORS = [np.array([0.5, -1.0, 2.0, 0.3]), np.array([-0.5, -1.0, 2.0, -0.3]),
           np.array([-0.5, -1.0, -2.0, -0.3]), np.array([0.5, 1.0, 2.0, 0.3])]
MATRICES = [np.array([[0.5, 1.0], [-0.3, 2.0], [1.2, -0.7]]),
            np.array([[-0.5, 1.0], [-0.3, 2.0], [1.2, -0.7]]),
            np.array([[-0.5, 1.0], [-0.3, 2.0], [-1.2, -0.7]])]


@pytest.mark.parametrize("f, arguments", [
    (squares_where_positive, VECTORS), (exp_where_positive, VECTORS),
    (broadcast_number, VECTORS), (rows_where_positive, MATRICES), (broadcast_row, MATRICES)])
def test_gradient_through_a_masked_assignment_for_every_count(f, arguments):
    g = grad(f)
    for x in arguments:            # 3, 1, 0, 4 entries selected: one generated code
        np.testing.assert_allclose(g(x), central(f, [x], 0), rtol=1e-6, atol=1e-7)


def test_the_selected_entries_are_read_back_without_a_sum():
    source = grad(squares_where_positive).specialize(VECTORS[0]).source
    assert "dy2 = dy[m].copy()" in source and "np.sum" not in source.split("# backprop")[2]


def indexed_pair(x):
    return x[0] * x[1], x[1] ** 2


def test_list_code_given_a_1d_array_has_the_jacobian_of_the_list():
    """Refused before ("read as code on lists"): a 1-D array runs as a list does."""
    from s2sdiff import jacobian
    rows = jacobian(indexed_pair)(np.array([1.0, 2.0]))
    assert isinstance(rows, tuple) and len(rows) == 2
    np.testing.assert_allclose(np.array(rows), jacobian(indexed_pair)([1.0, 2.0]))
    np.testing.assert_allclose(np.array(rows), [[2.0, 1.0], [0.0, 4.0]])


def boundary_then_stencil(u0):
    u = u0.copy()
    u[0] = 0.0
    lap = u[2:] - 2 * u[1:-1] + u[:-2]
    return np.sum(lap ** 2)


def boundary_by_concatenation(u0):
    u = np.concatenate(([0.0], u0[1:]))
    lap = u[2:] - 2 * u[1:-1] + u[:-2]
    return np.sum(lap ** 2)


def test_a_view_made_after_a_write_outside_loops():
    """The views' derivatives run before the reverse sweep restores u[0] (it was refused);
    the same as the function written without the write."""
    x = np.array([0.5, -1.0, 2.0, 0.3, 0.7])
    want = central(boundary_then_stencil, [x], 0)
    np.testing.assert_allclose(grad(boundary_then_stencil)(x), want, rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(grad(boundary_by_concatenation)(x), want, rtol=1e-6, atol=1e-7)


def reversed_entries(x):
    return x[::-1]


def test_jvp_and_vjp_results_are_not_views_of_the_vectors_passed():
    from s2sdiff import jvp, vjp
    x, e = np.array([1.0, 2.0, 3.0]), np.zeros(3)
    columns = []
    for i in range(3):            # one buffer reused for every column, as users write it
        e[:] = 0.0
        e[i] = 1.0
        columns.append(jvp(reversed_entries, (x,), (e,))[1])
    np.testing.assert_array_equal(np.stack(columns, axis=1), np.eye(3)[::-1])
    _, pullback = vjp(reversed_entries, x)
    g = np.array([1.0, 0.0, 0.0])
    row = pullback(g)[0]
    g[0] = 5.0
    np.testing.assert_array_equal(row, [0.0, 0.0, 1.0])


def pendulum_rhs(s):
    ds = np.zeros(2)
    ds[0] = s[1]
    ds[1] = -np.sin(s[0]) - 0.1 * s[1]
    return ds


def test_reverse_mode_of_a_filled_and_returned_array():
    from s2sdiff import jacfwd, jacrev, vjp
    s = np.array([0.5, 0.2])
    expected = [[0.0, 1.0], [-np.cos(0.5), -0.1]]
    np.testing.assert_allclose(jacrev(pendulum_rhs)(s), expected)
    np.testing.assert_allclose(jacfwd(pendulum_rhs)(s), expected)
    cotangent = np.array([1.0, 2.0])
    (row,) = vjp(pendulum_rhs, s)[1](cotangent)
    np.testing.assert_allclose(row, [-2 * np.cos(0.5), 1.0 - 0.2])
    np.testing.assert_array_equal(cotangent, [1.0, 2.0])      # the caller's, untouched


def bounce_in_place(v0, e):
    pos = np.array([0.0, 1.0])
    vel = np.array([v0, 0.0])
    for _ in range(150):
        vel = vel + 0.01 * np.array([0.0, -9.81])
        pos = pos + 0.01 * vel
        if pos[1] < 0:
            pos[1] = -pos[1]
            vel[1] = -e * vel[1]
    return pos[0] + pos[1]


def bounce_by_new_arrays(v0, e):
    pos = np.array([0.0, 1.0])
    vel = np.array([v0, 0.0])
    for _ in range(150):
        vel = vel + 0.01 * np.array([0.0, -9.81])
        pos = pos + 0.01 * vel
        if pos[1] < 0:
            pos = np.where(np.arange(pos.size) == 1, -pos, pos)
            vel = np.array([vel[0], -e * vel[1]])
    return pos[0] + pos[1]


def test_a_write_into_a_loop_carried_array_names_the_two_versions_and_a_rewrite():
    from s2sdiff import UnsupportedError
    with pytest.raises(UnsupportedError) as caught:
        grad(bounce_in_place, wrt=(0, 1))(1.0, 0.8)
    assert "another version of `pos`" in str(caught.value)
    assert "np.where(np.arange(pos.size) == 1, -pos, pos)" in caught.value.hint
    got = grad(bounce_by_new_arrays, wrt=(0, 1))(1.0, 0.8)
    for k in range(2):
        args = [1.0, 0.8]
        up, down = list(args), list(args)
        up[k] += 1e-6
        down[k] -= 1e-6
        slope = (bounce_in_place(*up) - bounce_in_place(*down)) / 2e-6
        assert got[k] == pytest.approx(slope, rel=1e-6)
