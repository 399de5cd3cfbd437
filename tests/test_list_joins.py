"""NumPy joins of a list the function built with appends (``hs.append(h)`` then
``np.stack(hs)``): the RNN idiom, and np.array / np.vstack / np.hstack / np.concatenate /
np.column_stack / np.dstack of such a list.  Oracle: central differences of the function
itself (``differences.central``), and the same function written without the list."""

import numpy as np
import pytest

import s2sdiff
from differences import central

RNG = np.random.default_rng(7)
W = RNG.normal(size=(4, 4)) * 0.4
U = RNG.normal(size=(4, 3)) * 0.4
X = RNG.normal(size=(6, 3))


def rnn(W, U, X):
    h = np.zeros(4)
    hs = []
    for t in range(X.shape[0]):
        h = np.tanh(W @ h + U @ X[t])
        hs.append(h)
    H = np.stack(hs)
    return np.sum(H ** 2) + np.sum(H[-1])


def rnn_without_list(W, U, X):
    h = np.zeros(4)
    total = 0.0
    for t in range(X.shape[0]):
        h = np.tanh(W @ h + U @ X[t])
        total = total + np.sum(h ** 2)
    return total + np.sum(h)


@pytest.mark.parametrize("k", [0, 1, 2])
def test_rnn_stack_of_appended_states(k):
    got = s2sdiff.grad(rnn, wrt=k)(W, U, X)
    assert np.allclose(got, central(rnn, (W, U, X), k), atol=1e-7)
    assert np.allclose(got, s2sdiff.grad(rnn_without_list, wrt=k)(W, U, X), atol=1e-12)


def test_rnn_generated_code_reads_as_written():
    """The join's adjoint is split back into the list's (one line), and the loop pushes
    the list's length, not a copy of it: the tape grows with the steps, not their square."""
    g = s2sdiff.grad(rnn, wrt=0)
    g(W, U, X)
    source = g.specialize(W, U, X).source
    assert "dhs = split_join(dH, hs, 'stack', 0)" in source
    assert "tape.append((h_2, len(hs)))" in source
    assert "del hs[hs_length:]" in source
    assert "list(hs)" not in source


def test_value_and_grad_vjp_jvp_and_hessian():
    small_w, small_x = W[:2, :2], X[:3, :2] * 0.5

    def f(W, X):
        h = np.zeros(2)
        hs = []
        for t in range(X.shape[0]):
            h = np.tanh(W @ h + X[t])
            hs.append(h)
        return np.sum(np.stack(hs) ** 2)

    expected = central(f, (small_w, small_x), 0)
    value, gradient = s2sdiff.value_and_grad(f, wrt=0)(small_w, small_x)
    assert value == pytest.approx(f(small_w, small_x)) and np.allclose(gradient, expected)
    _, pullback = s2sdiff.vjp(f, small_w, small_x)
    assert np.allclose(pullback(1.0)[0], expected)
    direction = RNG.normal(size=small_w.shape)
    _, tangent = s2sdiff.jvp(f, (small_w, small_x), (direction, np.zeros_like(small_x)))
    assert tangent == pytest.approx(np.sum(expected * direction), rel=1e-6)
    hessian = s2sdiff.hessian(f, wrt=0)(small_w, small_x)
    gradient_of = s2sdiff.grad(f, wrt=0)
    for i in np.ndindex(small_w.shape):
        step = np.zeros_like(small_w)
        step[i] = 1e-5
        column = (gradient_of(small_w + step, small_x) - gradient_of(small_w - step, small_x)) / 2e-5
        assert np.allclose(hessian[(Ellipsis,) + i], column, atol=1e-6)


def grow(x, n):
    hs = []
    h = x
    k = 0
    while k < n:
        h = np.sin(h) + 0.1 * k
        hs.append(h)
        k = k + 1
    return np.sum(np.stack(hs) ** 2)


def test_list_length_set_by_a_while_loop():
    x = RNG.normal(size=3)
    g = s2sdiff.grad(grow, wrt=0)
    for n in (3, 5, 2, 3):
        assert np.allclose(g(x, n), central(grow, (x, n), 0), atol=1e-7)


def branch_list(x, b):
    hs = [x]
    if np.sum(x) > 0:
        hs.append(x * 2)
    H = np.array(hs)
    return np.sum((H + b) ** 2)


def test_list_length_set_by_the_data_is_generated_per_length():
    """Same argument kinds, one or two rows: the join's shape is checked (data_shapes),
    so the broadcasting of ``b`` is summed for the rows there are."""
    x, b = np.abs(RNG.normal(size=3)), RNG.normal(size=(1, 3))
    g = s2sdiff.grad(branch_list, wrt=(0, 1))
    for point in (x, -x, x):
        got = g(point, b)
        for k in (0, 1):
            assert np.allclose(got[k], central(branch_list, (point, b), k), atol=1e-7)
    source = g.specialize(x, b).source
    assert "the shape of np.array(hs) depends on the data" in source


def joins(A):
    rows = []
    for i in range(A.shape[0]):
        rows.append(A[i] * (i + 1.0))
    M = np.vstack(rows)
    V = np.hstack(rows)
    C = np.column_stack(rows)
    D = np.dstack(rows)
    F = np.concatenate(rows, axis=None)
    return np.sum(M ** 2) + np.sum(np.sin(V)) + np.sum(C ** 3) + np.sum(np.cos(D)) + np.sum(F ** 4)


def blocks(A):
    bs = []
    for i in range(2):
        bs.append(A * (i + 1.0))
    return np.sum(np.concatenate(bs, axis=1) ** 2) + np.sum(np.hstack(bs) ** 3) \
        + np.sum(np.vstack(bs) * A[0]) + np.sum(np.stack(bs, axis=2) * A[:, :1, None])


@pytest.mark.parametrize("f", [joins, blocks])
def test_every_join_of_a_list(f):
    A = RNG.normal(size=(3, 2))
    assert np.allclose(s2sdiff.grad(f)(A), central(f, (A,), 0), atol=1e-6)
    assert np.allclose(s2sdiff.jacfwd(f)(A), central(f, (A,), 0), atol=1e-6)


def comprehension_list(W, X):
    outs = [np.tanh(W @ x) for x in X]
    return np.mean(np.array(outs)) + np.sum(np.asarray(outs) ** 2) + np.sum(np.vstack(outs))


def test_np_array_and_asarray_of_a_comprehension_list():
    """np.asarray of a list copies it: no alias of the list the appends write into."""
    w, x = RNG.normal(size=(2, 2)), RNG.normal(size=(4, 2))
    for k in (0, 1):
        assert np.allclose(s2sdiff.grad(comprehension_list, wrt=k)(w, x),
                           central(comprehension_list, (w, x), k), atol=1e-7)


def floats_and_reuse(x):
    vals, hs = [], []
    for i in range(3):
        vals.append(np.sum(x) * i)
        hs.append(x * i + x ** 2)
    H = np.stack(hs, axis=1)
    total = 0.0
    for h in hs:                     # the list is read again after the join
        total = total + np.sum(np.cos(h))
    return np.sum(np.array(vals) ** 2) + np.sum(H * np.arange(3.0)) + total


def test_list_of_numbers_and_a_list_read_twice():
    x = RNG.normal(size=3)
    assert np.allclose(s2sdiff.grad(floats_and_reuse)(x), central(floats_and_reuse, (x,), 0),
                       atol=1e-6)


def test_split_join_gives_each_entry_its_shape():
    from s2sdiff.runtime import split_join
    g = np.arange(12.0).reshape(3, 4)
    pieces = split_join(g, [np.ones((2, 4)), np.ones(4)], "vstack")
    assert [p.tolist() for p in pieces] == [g[:2].tolist(), g[2].tolist()]
    pieces = split_join(g, [np.ones((3, 1)), np.ones((3, 3))], "hstack")
    assert [p.shape for p in pieces] == [(3, 1), (3, 3)] and pieces[1].tolist() == g[:, 1:].tolist()
    pieces = split_join(g, [np.ones(3), np.ones(3), np.ones(3), np.ones(3)], "stack", 1)
    assert [p.tolist() for p in pieces] == [g[:, i].tolist() for i in range(4)]
    pieces[0][0] = -1.0                        # fresh arrays: g is not written through them
    assert g[0, 0] == 0.0


# --- NumPy functions of such a list, and its entries read back ---------------------------

def mean_of_losses(W, X, y):
    losses = []
    for i in range(X.shape[0]):
        p = np.tanh(W @ X[i])
        losses.append(np.sum((p - y[i]) ** 2))
    return np.mean(losses) + np.max(losses)


def reductions_of_rows(W, X, y):
    zs, errs = [], []
    for x in X:
        zs.append(W @ x)
        errs.append(np.tanh(W[0] @ x) - y[0])
    return np.sum(np.mean(zs, axis=0) ** 2) + np.sum(np.maximum(zs, 0.0) ** 2) \
        + np.linalg.norm(errs) + np.std(errs)


@pytest.mark.parametrize("f", [mean_of_losses, reductions_of_rows])
def test_numpy_functions_of_a_list_built_by_appends(f):
    """np.mean(losses) reads the list as np.array(losses) (normalize/numpy_of_lists.py)."""
    w, x, y = RNG.normal(size=(3, 3)), RNG.normal(size=(4, 3)), RNG.normal(size=4)
    for k in (0, 1):
        assert np.allclose(s2sdiff.grad(f, wrt=k)(w, x, y), central(f, (w, x, y), k), atol=1e-6)


def entries_read_back(W, X):
    hs = [np.zeros(3)]
    for t in range(X.shape[0]):
        hs.append(np.tanh(W @ hs[t] + X[t]))     # the state read back from the list
    return np.sum(hs[-1] ** 2) + np.sum(hs[1] * hs[-2])


def entries_of_a_while_list(W, X):
    hs = []
    k = 0
    h = X[0]
    while k < 3:
        h = np.sin(W @ h)
        hs.append(h)
        k = k + 1
    return np.sum(hs[k - 1]) + np.sum(hs[0] * hs[1])


@pytest.mark.parametrize("f", [entries_read_back, entries_of_a_while_list])
def test_entries_of_a_list_of_arrays(f):
    """hs[-1], hs[t]: the adjoint goes to the list's entry (dhs[-1] += g); forward mode
    gives the constant first entry an array of zeros as its tangent (W @ hs_dot[0])."""
    w, x = RNG.normal(size=(3, 3)) * 0.5, RNG.normal(size=(4, 3))
    for k in (0, 1):
        expected = central(f, (w, x), k)
        assert np.allclose(s2sdiff.grad(f, wrt=k)(w, x), expected, atol=1e-6)
        assert np.allclose(s2sdiff.jacfwd(f, wrt=k)(w, x), expected, atol=1e-6)


# --- code made again for another length gets the arguments the caller passed -------------

def rebinds_its_parameter(x):
    vals = []
    while x < 5.0:
        x = x * 1.5 + 0.1
        vals.append(np.sin(x))
    return np.sum(np.array(vals) ** 2)


def masks_after_rebinding(x):
    k = 0
    while k < 2:
        x = np.sin(x) * 1.5
        k = k + 1
    kept = x[x > 0]
    return np.sum(kept ** 3)


def test_specialising_again_passes_the_arguments_not_their_rebound_values():
    """A parameter the loop rebinds is kept first (x_argument = x): specialise_again got
    the value after the loop, replayed a loop of other trips and returned 0.0 (hunt 7)."""
    g = s2sdiff.grad(rebinds_its_parameter)
    for x in (4.9, 0.1, 3.0):                   # lists of 1, 6 and 2 entries
        h = 1e-6
        expected = (rebinds_its_parameter(x + h) - rebinds_its_parameter(x - h)) / (2 * h)
        assert g(x) == pytest.approx(expected, rel=1e-6)
        assert float(s2sdiff.jacfwd(rebinds_its_parameter)(x)) == pytest.approx(expected, rel=1e-6)
    g = s2sdiff.grad(masks_after_rebinding)
    for x in (np.array([0.5, -0.4, 1.0]), np.array([0.5, 0.4, 1.0]), np.array([-2.0, 2.5, -1.0])):
        assert np.allclose(g(x), central(masks_after_rebinding, (x,), 0), atol=1e-6)


# --- hunt 7: internal errors --------------------------------------------------------------

def loop_over_an_array_with_a_constant_gradient(x):
    hs = []
    for v in x:
        hs.append(v * v)
    s = 0.0
    for v in x:
        s = s + v ** 3
    return np.sum(np.array(hs)) + s + np.sum(x)


def list_of_lists(x):
    rows = []
    for i in range(2):
        row = []
        for j in range(3):
            row.append(x[j] * (i + 1.0))
        rows.append(row)
    return np.sum(np.array(rows) ** 2)


@pytest.mark.parametrize("f", [loop_over_an_array_with_a_constant_gradient, list_of_lists])
def test_former_internal_errors(f):
    """`dx = 1.0` (of np.sum(x)) then `dx[k] += dv` raised TypeError: dx is made whole
    first; np.array of a list of lists split its adjoint into arrays, where the sweep pops
    each row's adjoint as a list (AttributeError)."""
    x = np.array([0.3, -0.2, 0.5])
    assert np.allclose(s2sdiff.grad(f)(x), central(f, (x,), 0), atol=1e-6)


def growing(x):
    h = x
    hs = []
    while np.sum(h) < 3.0:
        h = h * 1.3 + 0.05 * h ** 2
        hs.append(h)
    return np.sum(np.stack(hs) ** 2)


def masked_cubes(x):
    return np.sum(x[x > 0] ** 3)


@pytest.mark.parametrize("f, points", [
    (growing, [np.array([0.2, 0.1]), np.array([1.0, 1.2]), np.array([0.2, 0.1])]),
    (masked_cubes, [np.array([0.2, -0.1]), np.array([1.0, 1.2])]),
])
def test_hessian_where_the_data_sets_a_shape(f, points):
    """The Hessian differentiates the gradient's code for these data shapes (it raised
    ValueError on a second shape); oracle: central differences of the gradient."""
    hessian, gradient = s2sdiff.hessian(f), s2sdiff.grad(f)
    for x in points:
        columns = [(gradient(x + e) - gradient(x - e)) / 2e-5 for e in np.eye(x.size) * 1e-5]
        assert np.allclose(hessian(x), np.array(columns).T, rtol=1e-5, atol=1e-4)


def features(x):
    feats = []
    feats.append(x)
    feats.append(x ** 2)
    feats.append(np.sin(x))
    return np.sum(np.column_stack(feats) @ np.array([1.0, 2.0, 3.0]) ** 2)


def test_appends_without_a_loop():
    """Straight-line NumPy code with appends goes through the sweeps that pop the list's
    adjoint (it was refused as `list.append in NumPy code`, while jacfwd took it)."""
    x = np.array([0.3, -0.5, 0.8])
    assert np.allclose(s2sdiff.grad(features)(x), central(features, (x,), 0), atol=1e-6)


# --- hunt 8 -------------------------------------------------------------------------------

def appends_to_its_list_parameter(x, xs):
    xs.append(x * x)
    return sum(xs)


def test_forward_mode_of_a_list_parameter_appended_to():
    """The list's tangent is a list of zeros (it was 0.0: AttributeError `append`):
    d/dx (x ** 2 + sum) = 2 x, d2/dx2 = 2."""
    assert s2sdiff.jacfwd(appends_to_its_list_parameter, wrt=0)(0.7, [1.0]) == pytest.approx(1.4)
    assert s2sdiff.hessian(appends_to_its_list_parameter, wrt=0)(0.7, [1.0]) == pytest.approx(2.0)


def stack_read_in_the_loop(x):
    hs = []
    h = x
    for i in range(3):
        hs.append(h)
        h = h + np.mean(np.stack(hs), axis=0)
    return np.sum(h)


def test_refusals_spell_the_join_as_written():
    """A join whose shape grows in the loop is refused naming `np.stack(hs)`, not the
    normalizer's `stackhs`."""
    with pytest.raises(s2sdiff.UnsupportedError) as caught:
        s2sdiff.grad(stack_read_in_the_loop)(np.ones(3))
    assert "`np.stack(hs)` is first an array of shape (1, 3)" in str(caught.value)


def sum_of_appended_arrays(x):
    hs = []
    for i in range(3):
        x = np.sin(x) + x * 0.5
        hs.append(x)
    return np.sum(sum(hs, 1.0) ** 2)      # from 0, the sum starts as zeros (kind_errors.py)


def stack_of_comprehension_in_the_loop(x):
    hs = []
    total = 0.0
    for i in range(3):
        x = np.cos(x) + x
        hs.append(x)
        total = total + np.sum(np.stack([p * p for p in hs]))
    return total


@pytest.mark.parametrize("f, written", [
    (sum_of_appended_arrays, "`sum(hs, 1.0)` is first a float, then an array of shape (3,)"),
    (stack_of_comprehension_in_the_loop,
     "`np.stack([p * p for p in hs])` is first an array of shape (1, 3)")])
def test_refusals_spell_rewritten_calls_as_written(f, written):
    """The names `desugar` gives sum() of a list and np.stack of a comprehension are spelled
    as the user wrote the call (the messages said `total`, `stacked`)."""
    with pytest.raises(s2sdiff.UnsupportedError) as caught:
        s2sdiff.grad(f)(np.array([0.1, 0.2, 0.3]))
    assert written in str(caught.value)


# --- helpers returning lists (hunt 7 bug_07) -----------------------------------------------

def collect_states(W, X):
    hs = []
    h = np.zeros(W.shape[0])
    for x in X:
        h = np.tanh(W @ h + x)
        hs.append(h)
    return hs


def loss_of_collected(W, X):
    hs = collect_states(W, X)
    return np.sum(np.stack(hs) ** 2)


def loss_of_collected_inline(W, X):
    h = np.zeros(W.shape[0])
    total = 0.0
    for x in X:
        h = np.tanh(W @ h + x)
        total = total + np.sum(h ** 2)
    return total


def pieces(x):
    out = []
    out.append(x * 2.0)
    out.append(np.cos(x))
    return out


def two_calls_and_a_copy(x):
    a = pieces(x)
    b = pieces(x * x)
    c = a
    return np.sum(np.stack(c) * np.stack(b))


def test_helper_returning_an_appended_list():
    """`hs = collect(W, X)` of a helper that returns the list it appended to: the copy
    passes the list's adjoint on entry by entry (it was refused: "`collect_hs` returns a
    list or tuple")."""
    w = np.array([[0.5, 0.1], [0.2, 0.4]])
    x = np.array([[1.0, 0.3], [0.2, -0.5], [0.7, 0.1]])
    for k in (0, 1):
        got = s2sdiff.grad(loss_of_collected, wrt=k)(w, x)
        assert np.allclose(got, central(loss_of_collected, (w, x), k), atol=1e-7)
        assert np.allclose(got, s2sdiff.grad(loss_of_collected_inline, wrt=k)(w, x), atol=1e-12)
    g = s2sdiff.grad(loss_of_collected, wrt=0)
    g(w, x)
    assert "dcollect_states_hs = dhs" in g.specialize(w, x).source


def test_copies_of_lists_from_two_calls():
    """d/dx sum(2x * 2x^2 + cos(x) * cos(x^2)), against central differences, in both modes."""
    x = np.array([0.3, -0.7, 1.1])
    want = 12 * x ** 2 - np.sin(x) * np.cos(x ** 2) - 2 * x * np.cos(x) * np.sin(x ** 2)
    assert np.allclose(s2sdiff.grad(two_calls_and_a_copy)(x), want, atol=1e-12)
    assert np.allclose(s2sdiff.jacfwd(two_calls_and_a_copy)(x), want, atol=1e-12)
    assert np.allclose(central(two_calls_and_a_copy, (x,), 0), want, atol=1e-6)


def table_of_rows(x):
    m = [[x[0], 2.0 * x[1]], [x[0] * x[1], 1.0]]
    return np.sum(np.array(m) ** 2)


def test_a_display_of_rows_in_numpy_code():
    """d/dx0 = 2 x0 + 2 x0 x1^2, d/dx1 = 8 x1 + 2 x0^2 x1."""
    x = np.array([0.3, -0.7])
    want = [2 * x[0] + 2 * x[0] * x[1] ** 2, 8 * x[1] + 2 * x[0] ** 2 * x[1]]
    assert np.allclose(s2sdiff.grad(table_of_rows)(x), want, atol=1e-12)
    assert np.allclose(s2sdiff.jacfwd(table_of_rows)(x), want, atol=1e-12)


def mean_of_parts(x):
    parts = [x[:2], x[2:]]
    return np.mean([np.sum(p ** 2) for p in parts])


COEFFS = [1.0, -3.0, 0.5, 2.0, -0.25]


def horner(x):
    result = 0.0
    for c in reversed(COEFFS):
        result = result * x + c
    return result


def test_refusals_spell_a_comprehension_variable_and_a_loop_header_as_written():
    """They named `p_2` (the variable of np.array's rows) and `reversed(n2)` (hunt 9)."""
    with pytest.raises(s2sdiff.UnsupportedError) as caught:
        s2sdiff.grad(mean_of_parts)(np.array([0.5, -1.0, 2.0]))
    assert "`p` is first an array of shape (2,)" in str(caught.value)
    with pytest.raises(s2sdiff.UnsupportedError) as caught:
        s2sdiff.grad(horner, checkpoint="sqrt")(0.7)
    assert "over `reversed(range(len(COEFFS)))`" in str(caught.value)
