"""Scalar code given an array where a helper or a sequence parameter carries it to the
output through arithmetic: grad and value_and_grad raise ``NotScalarError`` (the output
is an array), while a helper that indexes the array gives the exact gradient."""
import numpy as np
import pytest

from s2sdiff import NotScalarError, grad, value_and_grad


def square(a):
    return a * a


def through_a_helper(x):
    return square(x) + 1.0


def helper_then_arithmetic(x):
    y = square(x)
    z = -y * 2.0
    return z


def indexed_and_whole(x):
    return x[0] + x


def helper_result_indexed(x):
    return square(x)[0] + 1.0            # d/dx = [2 x0, 0]


@pytest.mark.parametrize("function", [through_a_helper, helper_then_arithmetic,
                                      indexed_and_whole])
@pytest.mark.parametrize("transform", [grad, value_and_grad])
def test_an_array_output_is_refused(function, transform):
    with pytest.raises(NotScalarError, match=r"array of shape \(2,\)"):
        transform(function)(np.array([1.0, 3.0]))


def test_numbers_still_give_the_closed_form():
    assert grad(through_a_helper)(3.0) == 6.0
    assert value_and_grad(helper_then_arithmetic)(3.0) == (-18.0, -12.0)


def test_a_helper_result_indexed_is_a_number():
    assert np.array_equal(grad(helper_result_indexed)(np.array([1.5, 3.0])), [3.0, 0.0])


def test_the_check_is_one_visible_line_only_where_needed():
    """An entry of the helper's result is a row when the argument is a 2-D array: checked
    too (it used to have no check, and gave the gradient of the row's sum)."""
    assert "scalar_output(through_a_helper)" in grad(through_a_helper).source
    assert "scalar_output(helper_result_indexed)" in grad(helper_result_indexed).source
    with pytest.raises(NotScalarError, match=r"array of shape \(2,\)"):
        grad(helper_result_indexed)(np.ones((3, 2)))
    assert "scalar_output(" not in grad(square_of_a_number).source


def square_of_a_number(x, y):
    return x * x + y
