"""A two-layer tanh MLP with softmax cross-entropy, trained with s2sdiff's gradient.

    python examples/mlp.py

The loss uses the numerically stable log-sum-exp; the gradient is generated once for
these shapes and printed, then checked against hand-written backprop and used for a few
hundred steps of gradient descent on a toy problem.
"""
import numpy as np

from s2sdiff import grad


def loss(W1, b1, W2, b2, X, Y):
    h = np.tanh(X @ W1 + b1)
    logits = h @ W2 + b2
    m = np.max(logits, axis=1, keepdims=True)
    z = logits - m
    lse = np.log(np.sum(np.exp(z), axis=1, keepdims=True))
    return -np.sum(Y * (z - lse)) / X.shape[0]


def hand_written(W1, b1, W2, b2, X, Y):
    h = np.tanh(X @ W1 + b1)
    logits = h @ W2 + b2
    p = np.exp(logits - logits.max(axis=1, keepdims=True))
    p /= p.sum(axis=1, keepdims=True)
    dlogits = (p - Y) / X.shape[0]
    dz = dlogits @ W2.T * (1 - h ** 2)
    return X.T @ dz, dz.sum(axis=0), h.T @ dlogits, dlogits.sum(axis=0)


def main(steps=300):
    rng = np.random.default_rng(0)
    n, d, hidden, k = 64, 2, 16, 3
    X = rng.normal(size=(n, d))
    labels = (np.arctan2(X[:, 1], X[:, 0]) + np.pi) // (2 * np.pi / k)
    Y = np.eye(k)[labels.astype(int) % k]
    params = [rng.normal(size=(d, hidden)), np.zeros(hidden), rng.normal(size=(hidden, k)) * 0.1,
              np.zeros(k)]
    dloss = grad(loss, wrt=(0, 1, 2, 3))
    print(dloss.specialize(*params, X, Y).source)
    for got, expected in zip(dloss(*params, X, Y), hand_written(*params, X, Y)):
        assert got.shape == expected.shape and np.allclose(got, expected)
    first = loss(*params, X, Y)
    for _ in range(steps):
        for p, g in zip(params, dloss(*params, X, Y)):
            p -= 0.5 * g
    last = loss(*params, X, Y)
    print(f"loss {first:.3f} -> {last:.3f}")
    assert last < first / 2


if __name__ == "__main__":
    main()
