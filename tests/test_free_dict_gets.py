"""``G.get(key, default)`` of a dict held by the module (``normalize/free_calls.py``): the
read it is now, the entry read live, the code generated again when the dict's keys change.
Oracles: closed forms worked out by hand, and central differences."""

import numpy as np
import pytest

import s2sdiff
from differences import central

SCALE = {"a": 2.0}
WEIGHTS = {"w": np.array([1.0, 2.0])}


def scaled(x):
    return x * SCALE.get("a", 1.0) + x * x * SCALE.get("z", 0.5)


def weighted(x):
    return np.sum(np.sin(x) * WEIGHTS.get("w")) * SCALE.get("a")


@pytest.fixture(autouse=True)
def fresh_dicts():
    global SCALE, WEIGHTS
    SCALE, WEIGHTS = {"a": 2.0}, {"w": np.array([1.0, 2.0])}
    yield


def test_a_missing_key_is_its_default_and_a_present_key_its_entry():
    """d/dx (a x + z x^2) = a + 2 z x: 2 + 2 * 0.5 * 0.7."""
    g = s2sdiff.grad(scaled)
    assert g(0.7) == pytest.approx(2.0 + 0.7)
    assert "SCALE['a']" in g.source and "generate it again" in g.source


def test_the_code_follows_the_dict():
    g = s2sdiff.grad(scaled)
    assert g(0.7) == pytest.approx(2.7)
    SCALE["a"] = 5.0                    # an entry's value: read live
    assert g(0.7) == pytest.approx(5.0 + 0.7)
    SCALE["z"] = 3.0                    # a new key: generated again
    assert g(0.7) == pytest.approx(5.0 + 2 * 3.0 * 0.7)
    globals()["SCALE"] = {"a": 1.0}     # another dict, without "z": again
    assert g(0.7) == pytest.approx(1.0 + 0.7)


def test_numpy_code_reading_an_array_entry():
    x = np.array([0.3, -1.2])
    g = s2sdiff.grad(weighted)
    assert np.allclose(g(x), 2.0 * np.cos(x) * np.array([1.0, 2.0]), atol=1e-12)
    WEIGHTS["w"] = np.array([[1.0, 2.0], [3.0, 4.0]])     # another shape: x broadcasts
    assert np.allclose(g(x), central(weighted, (x,), 0), atol=1e-7)
    assert np.allclose(g(x), 2.0 * np.cos(x) * np.array([4.0, 6.0]), atol=1e-12)
    del SCALE["a"]                      # SCALE.get("a") is None now: as Python, refused
    with pytest.raises(s2sdiff.UnsupportedError, match="None"):
        g(x)
