"""Loop targets read after their loop: the value Python leaves there (the last element,
or the value from before a loop that ran no trip), in the forward value, the gradient and
forward mode.  Each case against a closed form worked out by hand."""

import pytest

from s2sdiff import derivative, grad, value_and_grad


def inner_target_read_in_outer_body(x):
    for i in range(2):
        for j in range(2):
            x = x + 0.0
        if j == 0:             # j is 1 after the inner loop: never taken
            x = x * 5.0
    return x


def zero_trip_loop_keeps_the_old_target(x):
    j = 5
    s = 0.0
    for i in range(3):
        for j in range(i):     # no trip at i = 0: j is still 5
            s = s + x
        s = s + x * j
    return s                   # x * (0 + 1 + 2) + x * (5 + 0 + 1) = 9x


def last_trips_run_none(x):
    j = 5
    s = 0.0
    for i in range(3):
        for j in range(2 - i):  # 2, 1, 0 trips: j is 1, 0, 0
            s = s + x
        s = s + x * j
    return s                   # x * (2 + 1) + x * (1 + 0 + 0) = 4x


def target_of_a_list_loop_after_no_trip(x, y):
    v = y
    for v in []:
        x = x * 2.0
    return x * v               # the loop ran no trip: v is y


@pytest.mark.parametrize("f, args, value, gradient", [
    (inner_target_read_in_outer_body, (0.3,), 0.3, 1.0),
    (zero_trip_loop_keeps_the_old_target, (0.7,), 9 * 0.7, 9.0),
    (last_trips_run_none, (0.7,), 4 * 0.7, 4.0),
    (target_of_a_list_loop_after_no_trip, (0.5, 3.0), 1.5, (3.0, 0.5)),
])
def test_a_loop_target_keeps_the_value_python_leaves(f, args, value, gradient):
    got_value, got = value_and_grad(f)(*args)
    assert got_value == pytest.approx(value, rel=1e-14)
    assert f(*args) == pytest.approx(value, rel=1e-14)
    assert grad(f)(*args) == pytest.approx(gradient, rel=1e-14)
    assert got == pytest.approx(gradient, rel=1e-14)
    assert derivative(f)(*args) == pytest.approx(gradient, rel=1e-14)
