"""Seed 002's matrix multiply gate: D = W.dot(X) with dW = dD X^T and dX = W^T dD.

    python examples/staged_dot.py
"""
import numpy as np

from s2sdiff import grad


def gate(W, X, dD_seed):
    D = W.dot(X)
    return np.sum(D * dD_seed)       # so that the adjoint arriving at D is dD_seed


def main():
    rng = np.random.default_rng(0)
    W, X = rng.normal(size=(5, 10)), rng.normal(size=(10, 3))
    dD = rng.normal(size=(5, 3))
    g = grad(gate, wrt=("W", "X"))
    dW, dX = g(W, X, dD)
    print(g.specialize(W, X, dD).source)
    assert np.allclose(dW, dD.dot(X.T)) and dW.shape == W.shape
    assert np.allclose(dX, W.T.dot(dD)) and dX.shape == X.shape
    print("dW = dD X^T and dX = W^T dD: ok")


if __name__ == "__main__":
    main()
