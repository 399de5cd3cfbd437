"""The normalizer's ``Versions`` (issue 18, generation time): an ``if`` undoes what its
arms wrote instead of copying every user name's version, and must give what copies
gave: the same names, in the same order a copied dict would list them."""
import math
import random

import pytest

from s2sdiff import grad
from s2sdiff.normalize.control_flow import _ABSENT, Versions


def _arm(versions, shadow, rng, users, tag):
    """The same random writes and pops on ``versions`` and on a plain dict."""
    for step in range(rng.randrange(6)):
        user = rng.choice(users)
        if rng.random() < 0.25:
            versions.pop(user, None)
            shadow.pop(user, None)
        else:
            versions[user] = shadow[user] = f"{user}_{tag}{step}"


@pytest.mark.parametrize("seed", range(40))
def test_undo_gives_back_the_copy_values_and_order(seed):
    rng = random.Random(seed)
    users = [f"u{i}" for i in range(8)]
    versions, shadow = Versions(), {}
    _arm(versions, shadow, rng, users, "start")
    for round_ in range(5):
        before = dict(shadow)
        mark = versions.mark()
        then_shadow = dict(before)
        _arm(versions, then_shadow, rng, users, f"t{round_}")
        assert dict(versions) == then_shadow
        assert sorted(versions, key=versions.order.__getitem__) == list(then_shadow)
        then_state = versions.state(versions.since(mark))
        ordered = sorted((position, u) for u, (name, position) in then_state.items()
                         if name is not _ABSENT)
        # the positions give the order a copied dict has
        assert [u for _, u in ordered] == [u for u in then_shadow if u in then_state]
        versions.undo(mark)
        assert dict(versions) == before
        order = sorted(versions, key=versions.order.__getitem__)
        assert order == list(before)
        # the else arm, kept this time
        _arm(versions, shadow, rng, users, f"e{round_}")
        assert dict(versions) == shadow
        assert sorted(versions, key=versions.order.__getitem__) == list(shadow)


def test_restore_sets_names_and_positions():
    versions = Versions()
    versions["a"], versions["b"] = "a", "b"
    mark = versions.mark()
    versions.pop("a")
    versions["c"] = "c_2"
    versions["a"] = "a_2"
    state = versions.state(versions.since(mark))
    versions.undo(mark)
    assert dict(versions) == {"a": "a", "b": "b"}
    versions.restore(state)
    assert dict(versions) == {"b": "b", "c": "c_2", "a": "a_2"}
    assert sorted(versions, key=versions.order.__getitem__) == ["b", "c", "a"]


def branches(x, y):
    a = x * y
    b = y
    if a > 0:
        b = a * 2.0
        c = math.sin(a)
        if b > 1.0:
            c = c * b
        else:
            b = b - c
    else:
        c = a - 1.0
        if y > 0:
            b = c * c
    d = b * c if c > 0 else b - c
    if d > 0:
        d = d * x
    return d + b * y


def _central(f, x, y, h=1e-6):
    return ((f(x + h, y) - f(x - h, y)) / (2 * h), (f(x, y + h) - f(x, y - h)) / (2 * h))


@pytest.mark.parametrize("x, y", [(0.7, 1.3), (0.2, 0.4), (-0.5, 0.9), (-0.8, -0.6),
                                  (1.5, -0.3), (0.9, 2.1)])
def test_nested_branches_against_central_differences(x, y):
    dx, dy = grad(branches)(x, y)
    ex, ey = _central(branches, x, y)
    assert dx == pytest.approx(ex, rel=1e-6, abs=1e-6)
    assert dy == pytest.approx(ey, rel=1e-6, abs=1e-6)
