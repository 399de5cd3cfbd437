"""A sum started as a number literal in NumPy code starts as what it becomes
(``kind_errors.py``): ``total = 0``, then floats added in a loop or assigned on another
path, reads ``total = 0.0`` in the generated code; ``acc = 0`` (or ``sum(hs)``, which
starts from 0), then arrays of one shape, reads ``acc = np.zeros(shape)``.  Gradients are
checked against central differences.  An int that is not a literal (a count, ``len(x)``)
stays a constant and the change of kind stays refused, and so does a sum started from
another literal that becomes an array."""
import numpy as np
import pytest

from s2sdiff import UnsupportedError, grad, hessian, value_and_grad

RNG = np.random.default_rng(7)
W = RNG.normal(size=3)
X = RNG.normal(size=(5, 3))
Y = RNG.normal(size=5)


def squared_error(w, X, y):
    total = 0
    for i in range(X.shape[0]):
        pred = np.tanh(X[i] @ w)
        total += (pred - y[i]) ** 2
    return total / X.shape[0]


def mean_of_exps(w, x):
    n = 0                       # a count: stays an int
    total = 0
    for i in range(len(x)):
        total = total + np.exp(w[i] * x[i])
        n = n + 1
    return total / n


def started_in_a_branch(w, x):
    if x[0] > 0:
        s = 0
    else:
        s = np.sum(w * x)
    for i in range(3):
        s = s + np.sin(w[i]) * x[i]
    return s


def started_from_a_length(w, x):
    s = len(x)
    for i in range(3):
        s = s + np.sin(w[i]) * x[i]
    return s


def accumulated_array(w, X):
    acc = 0
    for row in X:
        acc = acc + row * w
    return np.sum(acc ** 2)


def summed_list(W, xs, ys):
    losses = []
    for x, y in zip(xs, ys):
        losses.append((np.tanh(W @ x) - y) ** 2)
    return np.sum(sum(losses))


def started_at_one(w, X):
    acc = 1
    for row in X:
        acc = acc * (row * w)
    return np.sum(acc)


def rnn_loss(Whh, Wxh, Why, xs, targets):
    """Karpathy's min-char-rnn loss, as written there: ``loss = 0``."""
    h = np.zeros(Whh.shape[0])
    loss = 0
    for t in range(len(xs)):
        h = np.tanh(Wxh @ xs[t] + Whh @ h)
        y = Why @ h
        p = np.exp(y) / np.sum(np.exp(y))
        loss += -np.log(p[targets[t]])
    return loss


def test_min_char_rnn_against_central_differences():
    r = np.random.default_rng(0)
    Whh, Wxh, Why = r.normal(size=(3, 3)), r.normal(size=(3, 2)), r.normal(size=(4, 3))
    xs, targets = r.normal(size=(5, 2)), r.integers(0, 4, 5)
    gradient = grad(rnn_loss, wrt="Whh")(Whh, Wxh, Why, xs, targets)
    h = 1e-6
    expected = np.zeros((3, 3))
    for index in np.ndindex(3, 3):
        step = np.zeros((3, 3))
        step[index] = h
        expected[index] = (rnn_loss(Whh + step, Wxh, Why, xs, targets)
                           - rnn_loss(Whh - step, Wxh, Why, xs, targets)) / (2 * h)
    np.testing.assert_allclose(gradient, expected, rtol=1e-6, atol=1e-8)


def zero_on_one_branch(x, c):
    if c > 0:
        s = 0.0
    else:
        s = x * 2.0
    return np.sum(s * s)


def central(f, w, *args, h=1e-6):
    return np.array([(f(w + h * e, *args) - f(w - h * e, *args)) / (2 * h)
                     for e in np.eye(len(w))])


@pytest.mark.parametrize("f, args", [
    (squared_error, (X, Y)),
    (mean_of_exps, (X[0],)),
    (started_in_a_branch, (X[0],)),
    (started_in_a_branch, (-X[0],)),
    (started_in_a_branch, (np.abs(X[1]),)),
])
def test_gradient_against_central_differences(f, args):
    np.testing.assert_allclose(grad(f, wrt="w")(W, *args), central(f, W, *args),
                               rtol=1e-6, atol=1e-8)


def test_the_literal_is_a_float_in_the_generated_code_and_a_count_stays_an_int():
    g = grad(mean_of_exps, wrt="w")
    g(W, X[0])
    source = g.source
    assert "total = 0.0" in source and "n = 0 " in source


def test_value_and_hessian():
    value, gradient = value_and_grad(squared_error, wrt="w")(W, X, Y)
    assert value == pytest.approx(squared_error(W, X, Y), rel=1e-12)
    H = hessian(mean_of_exps, wrt="w")(W, X[0])
    g = grad(mean_of_exps, wrt="w")
    expected = np.array([(g(W + 1e-5 * e, X[0]) - g(W - 1e-5 * e, X[0])) / 2e-5
                         for e in np.eye(3)])
    np.testing.assert_allclose(H, expected, rtol=1e-5, atol=1e-7)


def test_an_int_that_is_not_a_literal_is_refused():
    with pytest.raises(UnsupportedError) as error:
        grad(started_from_a_length, wrt="w")(W, X[0])
    assert "`s` is first an int, then a float" in str(error.value)


def test_a_zero_that_becomes_an_array_starts_as_zeros():
    np.testing.assert_allclose(grad(accumulated_array, wrt="w")(W, X),
                               central(accumulated_array, W, X), rtol=1e-6, atol=1e-8)
    g = grad(accumulated_array, wrt="w")
    g(W, X)
    assert "acc = np.zeros((3,))" in g.source
    single = grad(accumulated_array, wrt="w")
    gradient = single(W.astype(np.float32), X.astype(np.float32))
    assert gradient.dtype == np.float32
    assert "np.zeros((3,), np.float32)" in single.specialize(
        W.astype(np.float32), X.astype(np.float32)).source


def test_sum_of_a_list_of_arrays():
    r = np.random.default_rng(2)
    Wm, xs, ys = r.normal(size=(2, 3)), r.normal(size=(4, 3)), r.normal(size=(4, 2))
    gradient = grad(summed_list, wrt="W")(Wm, xs, ys)
    h, expected = 1e-6, np.zeros((2, 3))
    for index in np.ndindex(2, 3):
        step = np.zeros((2, 3))
        step[index] = h
        expected[index] = (summed_list(Wm + step, xs, ys)
                           - summed_list(Wm - step, xs, ys)) / (2 * h)
    np.testing.assert_allclose(gradient, expected, rtol=1e-6, atol=1e-8)


def test_another_literal_that_becomes_an_array_is_refused():
    with pytest.raises(UnsupportedError) as error:
        grad(started_at_one, wrt="w")(W, X)
    assert "`acc` is first an int, then an array of shape (3,)" in str(error.value)
    assert "np.zeros" in str(error.value)


def test_a_zero_that_no_sum_adds_to_is_refused():
    # a branch's value, not a sum's start: returned as it is, 0.0 and np.zeros(2) differ
    with pytest.raises(UnsupportedError) as error:
        grad(zero_on_one_branch, wrt=0)(W[:2], 1.0)
    assert "`s` is a float on one path" in str(error.value)
