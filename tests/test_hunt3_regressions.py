"""Programs from the third user-program hunt (/tmp/hunt3 on the machine that ran it),
each checked against a closed form."""

import numpy as np
import pytest

from s2sdiff import grad, vjp


def total_times_count(xs, ys):
    return sum(xs) * len(ys)


def times_length(x, mode):
    return x * len(mode)


def test_a_list_parameter_only_measured_gets_a_list_of_zeros():
    """`len(ys)` alone: the gradient of `ys` was the number 0.0 (bug_02); a list of
    zeros, like the array's zeros; a mode string's stays 0.0."""
    assert grad(total_times_count)([1.0, 2.0], [1.0, 2.0, 3.0]) == ([3.0, 3.0], [0.0, 0.0, 0.0])
    assert vjp(total_times_count, [1.0, 2.0], (5.0,))[1](1.0) == ([1.0, 1.0], [0.0])
    assert grad(times_length)(2.0, "abc") == (3.0, 0.0)


SCALE = 2.0
COUNT = 3


def reads_module_numbers(x):
    y = SCALE * x + COUNT * x * x
    return y * y


def test_a_module_float_rebound_to_an_array_makes_the_code_generate_again():
    """Code generated for numbers read `SCALE * x` with the float it had: rebound to an
    array, the same gradient returned an array silently (bug_01).  The code now checks
    on entry that `SCALE` is still a float and generates itself again (NumPy code, here
    refused: the output is an array); rebound to a float, the value is right again."""
    global SCALE
    from s2sdiff import NotScalarError
    g = grad(reads_module_numbers)
    x = 0.5
    try:
        assert g(x) == pytest.approx(2 * (2.0 * x + 3 * x * x) * (2.0 + 6 * x), rel=1e-15)
        assert "type(SCALE) is not float or type(COUNT) is not int" in g.source
        SCALE = np.array([1.0, 2.0])
        with pytest.raises(NotScalarError):
            g(x)
        SCALE = 4.0
        assert g(x) == pytest.approx(2 * (4.0 * x + 3 * x * x) * (4.0 + 6 * x), rel=1e-15)
    finally:
        SCALE = 2.0


def times_module_int(x):
    return COUNT * x


def test_a_module_int_does_not_make_the_gradient_an_int():
    """`COUNT * x` with `COUNT = 3`: the gradient was the int 3 (bug_03), not a float."""
    gradient = grad(times_module_int)(1.0)
    assert gradient == 3.0 and type(gradient) is float
