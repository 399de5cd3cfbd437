"""np.convolve and np.correlate (rules.py): every mode, either operand the longer, both
operands differentiated, against central differences of the function itself; a
smoothing loss written as users write it; forward mode against reverse mode."""
import numpy as np
import pytest

from s2sdiff import grad, jvp

LENGTHS = [(7, 3), (3, 7), (4, 4), (6, 1), (1, 5), (2, 6)]


def central(f, args, index, h=1e-6):
    args = [np.array(a, dtype=float) for a in args]
    out = np.zeros_like(args[index])
    for i in np.ndindex(out.shape):
        up = [a.copy() for a in args]
        down = [a.copy() for a in args]
        up[index][i] += h
        down[index][i] -= h
        out[i] = (f(*up) - f(*down)) / (2 * h)
    return out


def convolve_full(a, v, w):
    return np.sum(w * np.convolve(a, v))


def convolve_same(a, v, w):
    return np.sum(w * np.convolve(a, v, "same"))


def convolve_valid(a, v, w):
    return np.sum(w * np.convolve(a, v, mode="valid"))


def correlate_full(a, v, w):
    return np.sum(w * np.correlate(a, v, "full") ** 2)


def correlate_same(a, v, w):
    return np.sum(w * np.correlate(a, v, mode="same") ** 2)


def correlate_valid(a, v, w):
    return np.sum(w * np.correlate(a, v) ** 2)


CASES = [(convolve_full, np.convolve, "full"), (convolve_same, np.convolve, "same"),
         (convolve_valid, np.convolve, "valid"), (correlate_full, np.correlate, "full"),
         (correlate_same, np.correlate, "same"), (correlate_valid, np.correlate, "valid")]


@pytest.mark.parametrize("n, m", LENGTHS)
@pytest.mark.parametrize("f, op, mode", CASES, ids=[c[0].__name__ for c in CASES])
def test_every_mode_and_length(f, op, mode, n, m):
    rng = np.random.default_rng(n * 10 + m)
    a, v = rng.normal(size=n), rng.normal(size=m)
    w = rng.normal(size=op(a, v, mode).shape)
    da, dv = grad(f, wrt=("a", "v"))(a, v, w)
    np.testing.assert_allclose(da, central(f, (a, v, w), 0), rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(dv, central(f, (a, v, w), 1), rtol=1e-6, atol=1e-8)


def smoothing_loss(signal, kernel, target):
    smooth = np.convolve(signal, kernel / np.sum(kernel), mode="same")
    return np.mean((smooth - target) ** 2) + 0.01 * np.sum(np.diff(smooth) ** 2)


def test_a_smoothing_loss():
    rng = np.random.default_rng(3)
    signal, kernel, target = rng.normal(size=20), rng.uniform(0.5, 1.5, size=5), rng.normal(size=20)
    ds, dk = grad(smoothing_loss, wrt=("signal", "kernel"))(signal, kernel, target)
    np.testing.assert_allclose(ds, central(smoothing_loss, (signal, kernel, target), 0),
                               rtol=1e-6, atol=1e-9)
    np.testing.assert_allclose(dk, central(smoothing_loss, (signal, kernel, target), 1),
                               rtol=1e-6, atol=1e-9)


def test_forward_mode_agrees_with_reverse():
    rng = np.random.default_rng(5)
    a, v, w = rng.normal(size=6), rng.normal(size=3), rng.normal(size=6)
    ta, tv = rng.normal(size=6), rng.normal(size=3)

    def f(a, v):
        return np.sum(w * np.convolve(a, v, "same"))
    _, tangent = jvp(f, (a, v), (ta, tv))
    da, dv = grad(f)(a, v)
    assert tangent == pytest.approx(np.dot(da, ta) + np.dot(dv, tv), rel=1e-10)
