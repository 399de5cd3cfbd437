"""Writes through integer-array indices whose positions cannot repeat, and writes of a
constant through any index (hunt 10, D1): the cs231n SVM loss's ``margins[np.arange(n), y]
= 0``, label smoothing's ``Y[np.arange(n), y] = 1 - eps``, a causal mask through
``np.triu_indices``, a diagonal through ``np.diag_indices``.  Oracle: central differences,
and closed forms for the smallest cases."""

import numpy as np
import pytest

import differences
import s2sdiff


def central(f, args, k):
    return differences.central(f, args, k, floats=False)   # int labels stay ints

RNG = np.random.default_rng(3)
W, X = RNG.normal(size=(3, 4)), RNG.normal(size=(5, 3))
LABELS = np.array([0, 3, 1, 1, 2])


def svm_loss(W, X, y):
    n = X.shape[0]
    scores = X @ W
    correct = scores[np.arange(n), y]
    margins = np.maximum(0, scores - correct[:, None] + 1.0)
    margins[np.arange(n), y] = 0
    return np.sum(margins) / n


def smoothed_targets(W, X, y, eps):
    n = X.shape[0]
    Y = np.zeros((n, W.shape[1]))
    Y[np.arange(n), y] = 1 - eps
    return np.sum(Y * np.tanh(X @ W))


def causal_scores(W, X):
    s = (X @ W) @ X.T
    s[np.triu_indices(s.shape[0], 1)] = -1e9
    e = np.exp(s - s.max(axis=1, keepdims=True))
    return np.sum(e / e.sum(axis=1, keepdims=True) * np.arange(s.shape[0]))


def exp_diagonal(A):
    B = A.copy()
    B[np.diag_indices(3)] = np.exp(np.diag(A))
    return np.sum(B ** 2)


def shifted_pairs(A, v):
    B = A.copy()
    rows = np.arange(2)
    B[rows, rows + 1] = v
    return np.sum(B ** 2)


def repeated_constant(x, idx):
    y = x.copy()
    y[idx] = 0.5
    return np.sum(y ** 3)


def repeated_value(x, idx, v):
    y = x.copy()
    y[idx] = v
    return np.sum(y ** 2)


@pytest.mark.parametrize("f, args, k", [
    (svm_loss, (W, X, LABELS), 0),
    (smoothed_targets, (W, X, LABELS, 0.1), 0),
    (smoothed_targets, (W, X, LABELS, 0.1), 3),
    (causal_scores, (RNG.normal(size=(3, 3)), X), 0),
    (exp_diagonal, (RNG.normal(size=(3, 3)),), 0),
    (shifted_pairs, (RNG.normal(size=(3, 3)), RNG.normal(size=2)), 0),
    (shifted_pairs, (RNG.normal(size=(3, 3)), RNG.normal(size=2)), 1),
    (repeated_constant, (RNG.normal(size=4), np.array([0, 2, 0])), 0)])
def test_against_central_differences(f, args, k):
    got = s2sdiff.grad(f, wrt=k)(*args)
    assert np.allclose(got, central(f, args, k), rtol=1e-6, atol=1e-7)


def test_closed_forms():
    """d/deps sum((1 - eps) tanh(XW)[i, y_i]) = -sum tanh(XW)[i, y_i]; the diagonal of
    exp_diagonal's gradient is 2 exp(2 a_ii), the rest 2 a_ij; positions a write of a
    constant covers get nothing (3 y^2 elsewhere)."""
    t = np.tanh(X @ W)[np.arange(5), LABELS]
    assert s2sdiff.grad(smoothed_targets, wrt=3)(W, X, LABELS, 0.1) == pytest.approx(-t.sum())
    a = RNG.normal(size=(3, 3))
    want = 2 * a
    want[np.diag_indices(3)] = 2 * np.exp(2 * np.diag(a))
    assert np.allclose(s2sdiff.grad(exp_diagonal)(a), want, atol=1e-12)
    x = np.array([0.3, -0.2, 0.7, 1.1])
    assert np.allclose(s2sdiff.grad(repeated_constant, wrt=0)(x, np.array([0, 2, 0])),
                       [0.0, 3 * 0.04, 0.0, 3 * 1.21], atol=1e-12)


def test_a_value_written_through_repeated_positions_stays_refused():
    with pytest.raises(s2sdiff.UnsupportedError, match="may repeat a position"):
        s2sdiff.grad(repeated_value, wrt=2)(np.ones(4), np.array([0, 2, 0]), np.ones(3))


# --- arguments NumPy needs as constants, computed from shapes (hunt 10, D2) ----------------

def same_convolution(w, x):
    k = len(w)
    xp = np.pad(x, (k // 2, k // 2))
    return np.sum(np.array([xp[i:i + k] @ w for i in range(len(x))]) ** 2)


def tiled_bias(b, X):
    B = np.tile(b, (X.shape[0], 1))
    return np.sum(np.tanh(X + B))


@pytest.mark.parametrize("f, args, k", [
    (same_convolution, (RNG.normal(size=3), RNG.normal(size=6)), 0),
    (same_convolution, (RNG.normal(size=3), RNG.normal(size=6)), 1),
    (tiled_bias, (RNG.normal(size=3), X[:4]), 0)])
def test_pad_width_and_reps_from_shapes(f, args, k):
    """`(k // 2, k // 2)` and `(X.shape[0], 1)` hold values the code is generated for (it
    is generated per shape); they were refused as "not a constant"."""
    got = s2sdiff.grad(f, wrt=k)(*args)
    assert np.allclose(got, central(f, args, k), rtol=1e-6, atol=1e-7)


def test_tiled_bias_closed_form():
    """d/db sum tanh(X + b) = sum over rows of 1 - tanh(X + b)^2."""
    b = np.array([0.1, -0.4, 0.3])
    want = np.sum(1 - np.tanh(X[:4] + b) ** 2, axis=0)
    assert np.allclose(s2sdiff.grad(tiled_bias, wrt=0)(b, X[:4]), want, atol=1e-12)


# --- keys written with + (hunt 10, D4) and a loop of no pass (C3) ------------------------

def cost_concatenated(parameters, X):
    A = X
    for l in range(1, 3):
        A = np.tanh(parameters["W" + str(l)] @ A + parameters["b" + str(l)])
    return np.sum(A ** 2)


def cost_formatted(parameters, X):
    A = X
    for l in range(1, 3):
        A = np.tanh(parameters[f"W{l}"] @ A + parameters[f"b{l}"])
    return np.sum(A ** 2)


def test_keys_joined_with_plus_are_the_f_string():
    p = {"W1": RNG.normal(size=(4, 3)), "b1": RNG.normal(size=(4, 1)),
         "W2": RNG.normal(size=(1, 4)), "b2": RNG.normal(size=(1, 1))}
    x = RNG.normal(size=(3, 5))
    got = s2sdiff.grad(cost_concatenated, wrt="parameters")(p, x)
    want = s2sdiff.grad(cost_formatted, wrt="parameters")(p, x)
    assert sorted(got) == sorted(p) and all(np.array_equal(got[k], want[k]) for k in p)
    w1 = central(lambda w: cost_concatenated({**p, "W1": w}, x), (p["W1"],), 0)
    assert np.allclose(got["W1"], w1, atol=1e-7)


def windows(K, img):
    kh, kw = K.shape
    out = np.zeros((img.shape[0] - kh + 1, img.shape[1] - kw + 1))
    for i in range(out.shape[0]):
        for j in range(out.shape[1]):
            out[i, j] = np.sum(img[i:i + kh, j:j + kw] * K)
    return np.sum(np.tanh(out))


def test_a_loop_of_no_pass_is_named_as_such():
    """An image smaller than the kernel: it was refused as "an index that may repeat"."""
    K = np.ones((2, 2))
    assert np.allclose(s2sdiff.grad(windows, wrt=0)(K, np.ones((3, 3))),
                       central(windows, (K, np.ones((3, 3))), 0), atol=1e-7)
    with pytest.raises(s2sdiff.UnsupportedError, match="runs no pass for arguments"):
        s2sdiff.grad(windows, wrt=0)(K, np.ones((1, 3)))


# --- second derivatives of these writes (hunt 10 bug_10: they were refused) ---------------

def bag_of_embeddings(E, docs, w):
    feats = np.stack([E[d].mean(axis=0) for d in docs])
    return np.sum(np.tanh(feats @ w))


def squared_margins(W, X, y):
    n = X.shape[0]
    s = X @ W
    m = np.maximum(0, s - s[np.arange(n), y][:, None] + 1.0)
    m[np.arange(n), y] = 0
    return np.sum(m ** 2)


def masked_scores(W, X):
    s = (X @ W) @ X.T
    s[np.triu_indices(3, 1)] = -1e9
    return np.sum(np.exp(s - s.max()))


def differences_of_the_gradient(f, args, k, h=1e-5):
    g = s2sdiff.grad(f, wrt=k)
    x = np.asarray(args[k], dtype=float)
    columns = []
    for i in range(x.size):
        step = np.zeros_like(x)
        step.flat[i] = h
        plus, minus = list(args), list(args)
        plus[k], minus[k] = x + step, x - step
        columns.append(((g(*plus) - g(*minus)) / (2 * h)).ravel())
    return np.array(columns).T


@pytest.mark.parametrize("f, args", [
    (bag_of_embeddings, (RNG.normal(size=(5, 2)), np.array([[0, 3], [4, 4], [1, 2]]),
                         RNG.normal(size=2))),
    (squared_margins, (RNG.normal(size=(2, 3)), RNG.normal(size=(3, 2)), np.array([0, 2, 1]))),
    (masked_scores, (RNG.normal(size=(2, 2)) * 0.3, RNG.normal(size=(3, 2)) * 0.5))])
def test_hessians_against_differences_of_the_gradient(f, args):
    got = s2sdiff.hessian(f, wrt=0)(*args)
    n = np.size(args[0])
    assert np.allclose(got.reshape(n, n), differences_of_the_gradient(f, args, 0),
                       rtol=1e-4, atol=1e-6)
