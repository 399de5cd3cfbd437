"""A generator is used up by its first reader; s2sdiff computes a generator expression as
a list.  So a generator expression bound to a name, or passed to your own function, must
be read once: read twice, Python's second read is empty and a list's is not, and the
gradient would count the values twice.  Such code is refused at generation time; code
reading it once, and lists built and then passed to helpers, differentiate (checked
against closed forms)."""

import pytest

from s2sdiff import S2SDiffError, grad, value_and_grad


def summed_twice(xs):
    m = (v * v for v in xs)
    return sum(m) + sum(m)


def looped_twice(xs):
    m = (v * v for v in xs)
    t = 0.0
    for a in m:
        t += a
    for a in m:
        t += 2.0 * a
    return t


def read_in_a_loop(xs):
    m = (v * v for v in xs)
    t = 0.0
    for k in range(2):
        t += sum(m) * k
    return t


def rebound(xs):
    m = (v * v for v in xs)
    t = sum(m)
    m = (v for v in xs)
    return t + sum(m)


def sums_twice(g):
    return sum(g) + sum(g)


def given_to_a_helper_reading_twice(xs):
    return sums_twice(v * v for v in xs)


@pytest.mark.parametrize("f", [summed_twice, looped_twice, read_in_a_loop, rebound,
                               given_to_a_helper_reading_twice])
def test_a_generator_read_more_than_once_is_refused(f):
    with pytest.raises(S2SDiffError, match="more than once") as caught:
        grad(f)([1.0, 2.0])
    assert "test_generators_read_once.py" in str(caught.value)
    assert "[...]" in str(caught.value)          # the fix: a list


def sums_once(g):
    return sum(g) * 2.0


def given_to_a_helper_reading_once(xs):
    return sums_once(v * v for v in xs)


def list_given_to_a_helper(xs):
    ys = [v * v for v in xs]
    return sums_once(ys)


def display_given_to_a_helper(xs):
    return sums_once([v * v for v in xs]) + sums_once(xs)


def read_once(xs):
    m = (v * v for v in xs)
    return sum(m)


def bound_in_each_iteration(xs):
    t = 0.0
    for k in range(3):
        m = (v * k for v in xs)
        t += sum(m)
    return t


@pytest.mark.parametrize("f, value, gradient", [
    (given_to_a_helper_reading_once, 10.0, [4.0, 8.0]),
    (list_given_to_a_helper, 10.0, [4.0, 8.0]),
    (display_given_to_a_helper, 16.0, [6.0, 10.0]),
    (read_once, 5.0, [2.0, 4.0]),
    (bound_in_each_iteration, 9.0, [3.0, 3.0]),
])
def test_a_generator_read_once_and_lists_given_to_helpers(f, value, gradient):
    """Closed forms: sum of squares 1 + 4, its gradient 2x; 0 + 1 + 2 times the sum."""
    assert f([1.0, 2.0]) == value
    got_value, got = value_and_grad(f)([1.0, 2.0])
    assert got_value == value and got == pytest.approx(gradient, rel=1e-15)


def identity(ys):
    return ys


def written_after_a_helper_returned_it(xs):
    ys = [v for v in xs]
    r = identity(ys)
    ys.append(3.0)
    return sum(r)


def test_a_list_written_after_a_helper_returned_it_is_still_refused():
    """Python's r is ys itself and sees the append (value 6); s2sdiff follows names."""
    with pytest.raises(S2SDiffError, match="writes in place"):
        grad(written_after_a_helper_returned_it)([1.0, 2.0])


def total(g):
    return sum(g)


def summed_by_a_helper(xs):
    ys = [v * v for v in xs]
    return total(ys) + total(v * 3.0 for v in xs)


def test_a_list_built_then_summed_by_a_helper():
    assert summed_by_a_helper([1.0, 2.0]) == 14.0
    assert grad(summed_by_a_helper)([1.0, 2.0]) == pytest.approx([5.0, 7.0], rel=1e-15)


def zero_first(v):
    v[0] = 0.0
    return v


def helper_writes_then_aliased(x):
    y = list(x)
    z = zero_first(y)
    return sum(a * b for a, b in zip(z, x)) + sum(y)


def test_a_helper_returning_the_list_it_wrote_is_refused():
    with pytest.raises(S2SDiffError):
        grad(helper_writes_then_aliased)([0.3, -1.2, 0.8])
