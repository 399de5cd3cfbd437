"""Jacobians of functions returning tuples: the JAX idiom ``return x[0] * x[1], x[1] ** 2``
given a 1-D array (code without NumPy calls, read as code on lists), and nested tuple
outputs ``return a, (b, c)``.  Oracles: closed forms, central differences and forward
against reverse mode."""
import numpy as np
import pytest

from s2sdiff import S2SDiffError, UnsupportedError, hessian, jacfwd, jacobian, jacrev, jvp, vjp


def pair(x):
    return x[0] * x[1], x[1] ** 2


def product(x):
    return x[0] * x[1]


def nested_out(x):
    return (x[0] * x[1], (x[1] ** 2, x[0]))


def nested_numbers(a, b):
    return (a * b, (b ** 2, a))


def nested_with_a_list(a, b):
    return (a * b, [b ** 2, a])


def nested_numpy(x):
    return (np.sum(x) * x[0], (x[1] ** 2, np.sin(x)))


def pair_stacked(x):
    return np.stack([x[0] * x[1], x[1] ** 2])


X = np.array([0.7, -1.3])


def pair_rows(x):
    return [[x[1], x[0]], [0.0, 2 * x[1]]]


def central(f, x, h=1e-6):
    """d f / d x by central differences, one column per entry of x: out.shape + x.shape."""
    columns = []
    for i in range(x.size):
        e = np.zeros(x.size)
        e[i] = h
        columns.append((np.asarray(f(x + e.reshape(x.shape)), dtype=float)
                        - np.asarray(f(x - e.reshape(x.shape)), dtype=float)) / (2 * h))
    return np.moveaxis(np.array(columns), 0, -1).reshape(np.shape(f(x)) + x.shape)


@pytest.mark.parametrize("transform", [jacfwd, jacrev, jacobian])
def test_a_tuple_of_entries_of_an_array_has_one_row_per_output(transform):
    rows = transform(pair)(X)
    assert isinstance(rows, tuple) and len(rows) == 2
    assert all(isinstance(r, np.ndarray) and r.shape == X.shape for r in rows)
    np.testing.assert_allclose(np.array(rows), pair_rows(X), rtol=1e-14)
    np.testing.assert_allclose(np.array(transform(pair)(np.array([1.0, 2.0]))),
                               [[2.0, 1.0], [0.0, 4.0]])


def test_forward_and_reverse_agree_with_the_list_jacobian():
    np.testing.assert_allclose(np.array(jacfwd(pair)(X)), np.array(jacrev(pair)(X)))
    np.testing.assert_allclose(np.array(jacrev(pair)(X)), jacobian(pair)(list(X)))
    np.testing.assert_allclose(np.array(jacrev(pair)(X)),
                               central(lambda x: np.array(pair(x)), X), atol=1e-8)


@pytest.mark.parametrize("transform", [jacfwd, jacrev, jacobian])
def test_one_output_of_an_array_read_as_a_list(transform):
    np.testing.assert_allclose(transform(product)(X), [X[1], X[0]], rtol=1e-14)


def test_vjp_and_jvp_at_an_array_match_each_other_and_the_closed_form():
    u, v = np.array([0.4, -2.0]), (1.5, -0.25)
    out, pullback = vjp(pair, X)
    np.testing.assert_allclose(out, pair(X))
    (cotangent,) = pullback(v)
    J = np.array(pair_rows(X))
    np.testing.assert_allclose(cotangent, np.array(v) @ J, rtol=1e-14)
    _, tangent = jvp(pair, (X,), (u,))
    np.testing.assert_allclose(tangent, J @ u, rtol=1e-14)
    assert np.dot(v, tangent) == pytest.approx(np.dot(cotangent, u), rel=1e-14)


def test_vjp_at_an_array_leaves_it_unchanged():
    x = X.copy()
    vjp(pair, x)[1]((1.0, 1.0))
    np.testing.assert_array_equal(x, X)


NESTED_ROWS = [[X[1], X[0]], [0.0, 2 * X[1]], [1.0, 0.0]]


@pytest.mark.parametrize("transform", [jacrev, jacobian])
def test_a_nested_tuple_output_given_a_list(transform):
    first, rest = transform(nested_out)(list(X))
    np.testing.assert_allclose(first, NESTED_ROWS[0], rtol=1e-14)
    np.testing.assert_allclose(np.array(rest), NESTED_ROWS[1:], rtol=1e-14)


@pytest.mark.parametrize("transform", [jacfwd, jacrev, jacobian])
def test_a_nested_tuple_output_given_an_array(transform):
    first, (second, third) = transform(nested_out)(X)
    np.testing.assert_allclose([first, second, third], NESTED_ROWS, rtol=1e-14)


@pytest.mark.parametrize("function", [nested_numbers, nested_with_a_list])
def test_a_nested_output_of_numbers_is_laid_out_per_output_forward_and_reverse(function):
    a, b = 0.6, -1.7
    expected = [[b, a], [[0.0, 2 * b], [1.0, 0.0]]]
    for transform in (jacfwd, jacrev, jacobian):
        first, rest = transform(function)(a, b)
        np.testing.assert_allclose(first, expected[0], rtol=1e-14)
        np.testing.assert_allclose(rest, expected[1], rtol=1e-14)
    # each input alone: its column, in the output's structure
    first, rest = jacfwd(function, wrt=1)(a, b)
    assert first == pytest.approx(a) and np.allclose(rest, [2 * b, 0.0])


def test_a_constant_nested_entry_has_zero_rows():
    def with_constants(x):
        return x[0] * x[1], (1.0, 2.0)
    for transform in (jacfwd, jacrev):
        first, (c1, c2) = transform(with_constants)(X)
        np.testing.assert_allclose(first, [X[1], X[0]])
        np.testing.assert_array_equal(np.array([c1, c2]), np.zeros((2, 2)))


def test_a_nested_output_of_numpy_code():
    expected_first = central(lambda x: nested_numpy(x)[0], X)
    expected_sin = central(lambda x: nested_numpy(x)[1][1], X)
    for transform in (jacfwd, jacobian):
        first, (second, third) = transform(nested_numpy)(X)
        np.testing.assert_allclose(first, expected_first, atol=1e-8)
        np.testing.assert_allclose(second, [0.0, 2 * X[1]], rtol=1e-14)
        np.testing.assert_allclose(third, np.diag(np.cos(X)), rtol=1e-14)
        np.testing.assert_allclose(third, expected_sin, atol=1e-8)


def test_a_2d_array_for_code_on_lists_is_refused_with_a_hint_that_works():
    matrix = np.array([[1.0, 2.0], [3.0, 4.0]])
    for transform in (jacfwd, jacrev, jacobian):
        with pytest.raises(UnsupportedError) as caught:
            transform(pair)(matrix)
        assert caught.value.filename and caught.value.lineno and caught.value.source_line
        assert "np.stack([x[0] * x[1], x[1]" in caught.value.hint
        J = transform(pair_stacked)(matrix)          # the hint, followed
        np.testing.assert_allclose(J, central(pair_stacked, matrix), atol=1e-8)


def test_jacfwd_still_refuses_a_list_and_its_hint_works():
    with pytest.raises(UnsupportedError, match="list `x`") as caught:
        jacfwd(pair)(list(X))
    assert "jacrev" in caught.value.hint
    np.testing.assert_allclose(jacrev(pair)(list(X)), pair_rows(X))


def test_hessian_of_a_tuple_output_is_a_clear_error():
    for function, args in ((pair, (X,)), (nested_numbers, (0.5, 2.0))):
        with pytest.raises(S2SDiffError, match="scalar output"):
            hessian(function)(*args)
