"""np.bincount with weights (rules.py), whose length depends on the data
(data_shapes.py), and np.add.at, refused with the np.bincount form that replaces it."""
import numpy as np
import pytest

from s2sdiff import UnsupportedError, grad, value_and_grad


def central(f, x, *rest, h=1e-6):
    out = np.zeros_like(x)
    for i in np.ndindex(x.shape):
        up, down = x.copy(), x.copy()
        up[i] += h
        down[i] -= h
        out[i] = (f(up, *rest) - f(down, *rest)) / (2 * h)
    return out


def histogram_energy(w, idx):
    return np.sum(np.bincount(idx, weights=w) ** 3)


def scatter_into(w, idx):
    out = np.ones(4)
    out = out + np.bincount(idx, weights=w, minlength=out.size)
    return np.sum(np.log(out) * np.arange(4.0))


@pytest.mark.parametrize("idx", [[0, 1, 1, 3], [2, 2, 2, 2], [0, 1, 5, 1], [4, 0, 0, 1]])
@pytest.mark.parametrize("f", [histogram_energy, scatter_into])
def test_gradients_of_the_weights(f, idx):
    rng = np.random.default_rng(len(idx) + sum(idx))
    w, idx = rng.uniform(0.5, 1.5, size=4), np.array(idx)
    if f is scatter_into and idx.max() >= 4:
        idx = idx % 4
    value, dw = value_and_grad(f, wrt="w")(w, idx)
    assert value == f(w, idx)
    np.testing.assert_allclose(dw, central(f, w, idx), rtol=1e-6, atol=1e-9)


def test_one_gradient_for_counts_of_several_lengths():
    """The output's length follows the largest index: code is made per length."""
    g = grad(histogram_energy, wrt="w")
    w = np.array([1.0, 2.0, 3.0])
    np.testing.assert_allclose(g(w, np.array([0, 1, 1])), [3.0, 75.0, 75.0])
    np.testing.assert_allclose(g(w, np.array([0, 1, 4])), [3.0, 12.0, 27.0])
    np.testing.assert_allclose(g(w, np.array([0, 1, 1])), [3.0, 75.0, 75.0])


def added_at(w, idx):
    out = np.zeros(3)
    np.add.at(out, idx, w)
    return np.sum(out ** 2)


def test_add_at_is_refused_with_the_bincount_form():
    with pytest.raises(UnsupportedError) as info:
        grad(added_at, wrt="w")(np.ones(3), np.array([0, 0, 2]))
    message = str(info.value)
    assert "np.add.at(...)" in message and "writes into `out` in place" in message
    assert "out = out + np.bincount(idx, weights=w, minlength=out.size)" in message
    assert "np.add.at(out, idx, w)" in message          # the user's line
