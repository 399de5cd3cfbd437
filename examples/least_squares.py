"""Seed 004's vector chain rule examples, differentiated by s2sdiff.

    python examples/least_squares.py

z = (<x, w> - y)**2 has dz/dw = 2 (<x, w> - y) x^T, and z = ||Xw - y||**2 has
dz/dw = 2 (Xw - y)^T X; the script prints the generated gradient of the second and
checks both against those closed forms, then fits w by gradient descent.
"""
import numpy as np

from s2sdiff import grad


def inner(x, w, y):
    return (x @ w - y) ** 2


def least_squares(X, w, y):
    r = X @ w - y
    return np.sum(r ** 2)


def main():
    rng = np.random.default_rng(0)
    x, w, y = rng.normal(size=4), rng.normal(size=4), 0.5
    dw = grad(inner, wrt="w")(x, w, y)
    assert np.allclose(dw, 2 * (x @ w - y) * x)

    X, true_w = rng.normal(size=(50, 4)), np.array([1.0, -2.0, 0.5, 3.0])
    y = X @ true_w + 0.01 * rng.normal(size=50)
    dloss = grad(least_squares, wrt="w")
    w = np.zeros(4)
    assert np.allclose(dloss(X, w, y), 2 * (X @ w - y) @ X)
    print(dloss.specialize(X, w, y).source)
    for _ in range(200):
        w -= 0.005 * dloss(X, w, y)
    print("fitted w:", np.round(w, 3), " true w:", true_w)
    assert np.allclose(w, true_w, atol=0.05)


if __name__ == "__main__":
    main()
