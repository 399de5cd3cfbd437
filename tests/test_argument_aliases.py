"""One object passed for two parameters of a function that writes into one in place
(argument_aliases.py): in Python the other parameter sees the write, in the SSA program
it does not, so the derivative refuses such a call instead of returning the derivative of
a different function (hunt 2, bug_02)."""

import numpy as np
import pytest

from s2sdiff import ArgumentError, grad, hessian, jacobian, jvp, value_and_grad, vjp


def scale_then_dot(x, y):
    x *= 2.0
    return np.sum(x * y)


def first_tripled(xs, ys):
    xs[0] = xs[0] * 3.0
    return xs[0] * ys[0] + xs[1] * ys[1]


def reads_both(x, y):
    return np.sum(x * y) + np.sum(x ** 2)


def test_the_same_array_for_a_parameter_written_in_place_is_refused_at_the_write():
    a = np.array([1.0, 2.0, 3.0])
    with pytest.raises(ArgumentError, match="writes into its argument `x` in place") as caught:
        value_and_grad(scale_then_dot)(a, a)
    assert caught.value.source_line.strip() == "x *= 2.0"
    assert caught.value.construct == "aliased arguments"
    assert "x = x * 2.0" in caught.value.hint
    assert np.array_equal(a, [1.0, 2.0, 3.0])          # refused before anything was written


def test_distinct_arrays_and_views_of_disjoint_entries_are_differentiated():
    x, y = np.array([1.0, 2.0]), np.array([3.0, 4.0])
    value, (dx, dy) = value_and_grad(scale_then_dot)(x.copy(), y)
    assert value == 2 * (1 * 3 + 2 * 4)
    assert np.array_equal(dx, 2 * y) and np.array_equal(dy, 2 * x)
    buffer = np.array([1.0, 3.0, 2.0, 4.0])
    dx, dy = grad(scale_then_dot)(buffer[::2], buffer[1::2])   # one buffer, no entry shared
    assert np.array_equal(dx, 2 * y) and np.array_equal(dy, 2 * x)


def test_views_sharing_entries_are_refused():
    buffer = np.arange(4.0)
    with pytest.raises(ArgumentError, match="sharing its memory"):
        grad(scale_then_dot)(buffer[:3], buffer[1:])


def test_the_same_list_is_refused_and_distinct_lists_are_exact():
    shared = [1.0, 2.0]
    with pytest.raises(ArgumentError, match="`xs` in place") as caught:
        grad(first_tripled)(shared, shared)
    assert "list(xs)" in caught.value.hint
    assert shared == [1.0, 2.0]
    # f = 3 x0 y0 + x1 y1
    assert grad(first_tripled)([1.0, 2.0], [5.0, 7.0]) == ([15.0, 7.0], [3.0, 2.0])


@pytest.mark.parametrize("transform", ["jvp", "vjp", "jacobian", "hessian"])
def test_every_transform_refuses_the_shared_argument(transform):
    a = np.array([1.0, 2.0])
    run = {"jvp": lambda: jvp(scale_then_dot, (a, a), (np.ones(2), np.ones(2))),
           "vjp": lambda: vjp(scale_then_dot, a, a),
           "jacobian": lambda: jacobian(scale_then_dot)(a, a),
           "hessian": lambda: hessian(scale_then_dot)(a, a)}[transform]
    with pytest.raises(ArgumentError, match="aliased arguments|same object"):
        run()


def test_a_hessian_at_distinct_arguments_is_exact():
    # f = 2 x . y: the Hessian has 2 I off the diagonal blocks, nothing on them
    blocks = hessian(scale_then_dot)(np.array([1.0, 2.0]), np.array([3.0, 4.0]))
    assert np.array_equal(blocks[0][1], 2 * np.eye(2)) and np.array_equal(blocks[1][0], 2 * np.eye(2))
    assert not blocks[0][0].any() and not blocks[1][1].any()


def test_a_function_writing_into_no_parameter_takes_one_array_twice_and_has_no_check():
    a = np.array([1.0, 2.0])
    assert np.array_equal(grad(reads_both, wrt="x")(a, a), a + 2 * a)
    assert "distinct_arguments" not in grad(reads_both).specialize(a, a).source
    assert "distinct_arguments(x, y)" in grad(scale_then_dot).specialize(a, a.copy()).source
