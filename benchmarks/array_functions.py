"""The array functions benchmarked by bench_arrays.py, each next to its hand-written backprop.

`make(xp)` returns the user functions written with the array module `xp` (numpy for
s2sdiff, autograd.numpy, jax.numpy); the hand-written gradients use NumPy and compute
exactly the requested gradients, nothing more.
"""
import numpy as np


def make(xp):
    def least_squares(X, w, y):
        """Seed 004: z = ||Xw - y||**2, differentiated with respect to w."""
        r = X @ w - y
        return xp.sum(r ** 2)

    def mlp(W1, b1, W2, b2, X, Y):
        """Two-layer tanh network with softmax cross-entropy (stable log-sum-exp)."""
        h = xp.tanh(X @ W1 + b1)
        logits = h @ W2 + b2
        m = xp.max(logits, axis=1, keepdims=True)
        z = logits - m
        lse = xp.log(xp.sum(xp.exp(z), axis=1, keepdims=True))
        return -xp.sum(Y * (z - lse)) / X.shape[0]

    return {"least_squares": least_squares, "mlp": mlp}


FUNCTIONS = make(np)


def least_squares_hand(X, w, y):
    r = X @ w - y
    return X.T @ (2 * r)            # 2 (Xw - y)^T X, seed 004's closed form


def mlp_hand(W1, b1, W2, b2, X, Y):
    h = np.tanh(X @ W1 + b1)
    logits = h @ W2 + b2
    e = np.exp(logits - logits.max(axis=1, keepdims=True))
    p = e / e.sum(axis=1, keepdims=True)
    dlogits = (p - Y) / X.shape[0]
    dW2 = h.T @ dlogits
    db2 = dlogits.sum(axis=0)
    dz = (dlogits @ W2.T) * (1 - h * h)
    dW1 = X.T @ dz
    db1 = dz.sum(axis=0)
    return dW1, db1, dW2, db2


def mlp_hand_exact(W1, b1, W2, b2, X, Y):
    """mlp_hand with tanh's partial sech(z) ** 2 written exactly, as s2sdiff writes it."""
    z = X @ W1 + b1
    h = np.tanh(z)
    logits = h @ W2 + b2
    e = np.exp(logits - logits.max(axis=1, keepdims=True))
    p = e / e.sum(axis=1, keepdims=True)
    dlogits = (p - Y) / X.shape[0]
    dW2 = h.T @ dlogits
    db2 = dlogits.sum(axis=0)
    dz = (dlogits @ W2.T) * (np.exp(-2 * np.abs(z)) * (1 + np.abs(h)) ** 2)
    dW1 = X.T @ dz
    db1 = dz.sum(axis=0)
    return dW1, db1, dW2, db2


def cases(seed=0):
    """(case name, function name, hand-written gradient, args, argnums)."""
    rng = np.random.default_rng(seed)
    out = []
    for m, n in ((100, 10), (1000, 100), (10000, 1000)):
        X, w, y = rng.normal(size=(m, n)), rng.normal(size=n), rng.normal(size=m)
        out.append((f"least squares {m}x{n}", "least_squares", least_squares_hand, (X, w, y), 1))
    batch, sizes = 64, (784, 256, 10)
    X = rng.normal(size=(batch, sizes[0]))
    Y = np.eye(sizes[2])[rng.integers(0, sizes[2], size=batch)]
    W1 = rng.normal(size=sizes[:2]) / np.sqrt(sizes[0])
    W2 = rng.normal(size=sizes[1:]) / np.sqrt(sizes[1])
    b1, b2 = np.zeros(sizes[1]), np.zeros(sizes[2])
    out.append(("MLP 64, 784-256-10", "mlp", mlp_hand, (W1, b1, W2, b2, X, Y), (0, 1, 2, 3)))
    return out
