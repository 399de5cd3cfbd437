"""Programs from the second user-program hunt (/tmp/hunt2 on the machine that ran it),
each checked against central differences or a closed form."""

import math
import numpy as np
import pytest

from differences import central
from s2sdiff import grad

B = np.arange(9.0).reshape(3, 3)


def diag_term_last(x):
    return np.sum(x ** 2) + np.sum(np.diag(x) @ B)


def diagonal_term_last(A):
    return np.sum(A ** 2) + np.sum(np.diagonal(A) * 3.0) + np.sum(np.atleast_2d(A[0]))


def test_an_adjoint_first_given_a_read_only_view_is_copied_before_adding_into_it():
    """``dx = np.diag(ddiagx)`` is a read-only view of the matrix's diagonal: the next
    ``dx += 2 * x`` raised "output array is read-only" (bug_09)."""
    x = np.array([0.5, -1.0, 2.0])
    assert np.allclose(grad(diag_term_last)(x), 2 * x + B.sum(axis=1))
    A = np.arange(9.0).reshape(3, 3) / 4
    assert np.allclose(grad(diagonal_term_last)(A), central(diagonal_term_last, [A], 0),
                       rtol=1e-6, atol=1e-8)


def indexed_product(w, xs):
    p = xs * w
    return p[0] * p[1]              # a number, even for an array xs


def test_an_array_given_to_code_on_numbers_that_indexes_it_is_not_called_an_array_output():
    """It was refused with a false NotScalarError ("returns an array when `xs` is an
    array"); the code is generated for numbers and lists, and says so (bug_12)."""
    from s2sdiff import ArgumentError
    with pytest.raises(ArgumentError, match="it calls no NumPy function"):
        grad(indexed_product, wrt=0)(1.5, np.array([1.0, 2.0, 4.0]))


RNG = np.random.default_rng(0)


def noisy(x):
    return np.sum(x * RNG.normal(size=3))


def noisy_global(x):
    return np.sum(x * np.random.normal(size=3))


def test_generating_code_leaves_the_random_generators_where_they_were():
    """Kinds inference ran the draw once more on the first call: the gradient used the
    second draw and every later draw of the program was shifted (bug_06)."""
    from s2sdiff import value_and_grad
    reference = np.random.default_rng(0)
    x = np.ones(3)
    _, gradient = value_and_grad(noisy)(x)
    assert np.array_equal(gradient, reference.normal(size=3))
    assert np.array_equal(RNG.normal(size=3), reference.normal(size=3))
    np.random.seed(3)
    expected = np.random.normal(size=3)
    np.random.seed(3)
    assert np.array_equal(grad(noisy_global)(x), expected)


def fmod_of_an_expression(x, y):
    return np.sum(np.fmod(x * 2.0 + y, 1.5))


def repeated_list(xs):
    ys = [0.0, 1.0] * len(xs)
    ys[0] = xs[0] * 2.0
    return ys[0]


def repeated_call(xs):
    ys = [math.sin(xs[1])] * len(xs)
    ys[0] = xs[0] * 2.0
    return ys[0] + ys[1]


def repeated_one(xs):
    ys = [0.0] * len(xs)
    ys[0] = xs[0] * 2.0
    return ys[0]


def test_messages_spell_the_user_s_expression_not_internal_names():
    """They said "applies to f1_2" and "`ys1 * lenxs` joins or repeats" (bug_04)."""
    from s2sdiff import UnsupportedError
    with pytest.raises(UnsupportedError, match=r"applies to `x \* 2\.0 \+ y`"):
        grad(fmod_of_an_expression)(np.ones(2), np.ones(2))
    with pytest.raises(UnsupportedError, match=r"`\[math.sin\(xs\[1\]\)\] \* len\(xs\)` joins or "
                       r"repeats"):
        grad(repeated_call)([1.0, 2.0])
    assert grad(repeated_list)([1.0, 2.0]) == [2.0, 0.0]   # [a, b] * n: list_idioms.py
    assert grad(repeated_one)([1.0, 2.0]) == [2.0, 0.0]     # [0.0] * n: list_idioms.py


def trajectory(x, n):
    traj = np.zeros((n, 3))
    traj[0] = x
    for t in range(1, n):
        traj[t] = traj[t - 1] + 0.1 * np.sin(traj[t - 1])
    return np.sum(traj[-1] ** 2)


def carried_state(x, n):
    s = x
    for _ in range(1, n):
        s = s + 0.1 * np.sin(s)
    return np.sum(s ** 2)


def test_a_trajectory_buffer_read_back():
    """It was refused (bug_15: the message named `traj[traj3]`); the buffer's rows are
    read after the loop's writes by derivatives that run before the restores."""
    x = np.array([0.5, -1.0, 2.0])
    want = central(lambda v: trajectory(v, 5), [x], 0)
    assert np.allclose(grad(trajectory, wrt=0)(x, 5), want, rtol=1e-6)
    assert np.allclose(grad(carried_state, wrt=0)(x, 5), want, rtol=1e-6)


def least_squares(w, X, y):
    return np.sum((X @ w - y) ** 2)


def test_an_empty_data_array_is_data():
    """An empty minibatch given for a parameter left out of wrt= was refused (bug_14);
    a differentiated empty array still is."""
    from s2sdiff import ArgumentError, value_and_grad
    w = np.array([0.5, -0.2, 1.0])
    value, gradient = value_and_grad(least_squares, wrt=0)(w, np.zeros((0, 3)), np.zeros(0))
    assert value == 0.0 and np.array_equal(gradient, np.zeros(3))
    X = np.arange(6.0).reshape(2, 3)
    assert np.allclose(grad(least_squares, wrt=0)(w, X, np.ones(2)),
                       2 * X.T @ (X @ w - np.ones(2)))
    with pytest.raises(ArgumentError, match="empty array"):
        grad(least_squares, wrt=1)(w, np.zeros((0, 3)), np.zeros(0))


def product_of_three(x):
    return np.prod(x[:3]) + np.sum(x ** 2)


def cumulative_product_of_three(x):
    return np.sum(np.cumprod(x[:3])) + np.sum(x ** 2)


def test_an_error_differentiating_a_derivative_points_at_the_user_s_line():
    """It pointed into the generated jvp_p4-....py and named `jvp_p4` (bug_07).  Second
    derivatives through np.prod are exact now (product_of_three, below); np.cumprod's are
    still refused."""
    from s2sdiff import UnsupportedError, hessian
    with pytest.raises(UnsupportedError) as caught:
        hessian(cumulative_product_of_three)(np.array([0.5, -1.2, 2.0, 0.3]))
    error = caught.value
    assert error.filename == __file__
    assert error.source_line.strip() == "return np.sum(np.cumprod(x[:3])) + np.sum(x ** 2)"
    assert "the derivative of cumulative_product_of_three" in str(error)


def test_the_hessian_through_np_prod_matches_differences_of_the_gradient():
    from s2sdiff import hessian
    x, h = np.array([0.5, -1.2, 2.0, 0.3]), 1e-6
    gradient = grad(product_of_three)
    columns = [(gradient(x + h * e) - gradient(x - h * e)) / (2 * h) for e in np.eye(4)]
    assert np.allclose(hessian(product_of_three)(x), np.array(columns).T, rtol=1e-6, atol=1e-7)


def generator_made_inside(x):
    r = np.random.default_rng(0)
    noise = r.normal(size=x.shape)
    return np.sum((x + noise) ** 2)


def test_a_generator_made_inside_the_function_says_where_to_make_it():
    """The hint listed NumPy's array methods (bug_05)."""
    from s2sdiff import UnsupportedError
    with pytest.raises(UnsupportedError, match="of a random generator made in") as caught:
        grad(generator_made_inside)(np.ones(3))
    assert "RNG = np.random.default_rng(0)" in caught.value.hint


class Fit:
    def __init__(self):
        self.X = np.array([1.0, 2.0, 4.0])
        self.k = 0.5

    def loss(self, w):
        pred = self.X * w
        return (pred[0] - 1.0) ** 2 + (pred[1] - 2.0) ** 2 + self.k * pred[2]

    def loss_numpy(self, w):
        pred = np.multiply(self.X, w)
        return (pred[0] - 1.0) ** 2 + (pred[1] - 2.0) ** 2 + self.k * pred[2]


def test_an_array_attribute_in_code_on_numbers_is_refused_not_misread():
    """`self.X * w` in code calling no NumPy function returned per-entry partials
    silently; the code now checks what it reads (a float costs one type test), and the
    NumPy spelling its message gives is right."""
    from s2sdiff import ArgumentError
    model = Fit()
    expected = 2 * (1.0 * 1.5 - 1.0) * 1.0 + 2 * (2.0 * 1.5 - 2.0) * 2.0 + 0.5 * 4.0
    with pytest.raises(ArgumentError, match="`self.X` is an array of shape") as caught:
        grad(model.loss)(1.5)
    assert "np.multiply(self.X, w)" in caught.value.hint
    assert float(grad(model.loss_numpy)(1.5)) == pytest.approx(expected, rel=1e-12)


class Looped:
    def __init__(self, X, n=3):
        self.X = X
        self.n = n

    def loss(self, w):
        s = 0.0
        for i in range(self.n):
            s = s + self.X * w * i
        return s

    def branched(self, w, flag):
        if flag:
            s = self.X * w
        else:
            s = w * 3.0
        return s


@pytest.mark.parametrize("n", [0, 1, 3])
def test_an_array_attribute_read_only_inside_a_loop_or_branch_is_checked_too(n):
    """The check covered reads at the top level only: `self.X * w` inside a loop or a
    branch returned per-entry partials of an array output, silently.  A read that never
    ran (no trip, the other branch) used nothing and passes."""
    from s2sdiff import ArgumentError
    array = Looped(np.array([1.0, 2.0, 3.0]), n)
    if n:
        with pytest.raises(ArgumentError, match="`self.X` is an array of shape"):
            grad(array.loss)(2.0)
    else:
        assert grad(array.loss)(2.0) == 0.0
    with pytest.raises(ArgumentError, match="`self.X` is an array of shape"):
        grad(array.branched, wrt="w")(2.0, True)
    assert grad(array.branched, wrt="w")(2.0, False) == 3.0
    number = Looped(1.5, n)
    assert grad(number.loss)(2.0) == pytest.approx(1.5 * sum(range(n)), rel=1e-15)
    assert grad(number.branched, wrt="w")(2.0, True) == 1.5
