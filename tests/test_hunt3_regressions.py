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
    assert vjp(total_times_count, [1.0, 2.0], (5.0,))[1](1.0) == ([1.0, 1.0], (0.0,))
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


def product_of_first_two(x):
    return x[0] * x[1]


def sum_of_squared_entries(xs):
    s = 0.0
    for v in xs:
        s = s + v * v
    return s


def test_a_2d_array_given_to_code_on_lists_is_not_a_gradient_of_a_sum():
    """Code on numbers and lists given a 2-D array: its entries are rows and the output
    an array; grad returned the gradient of the output's sum silently (found by
    helper-72).  A 1-D array's entries are numbers: exact."""
    from s2sdiff import NotScalarError
    X = np.arange(6.0).reshape(3, 2)
    for f in (product_of_first_two, sum_of_squared_entries):
        with pytest.raises(NotScalarError, match="an array of shape"):
            grad(f)(X)
    assert np.array_equal(grad(product_of_first_two)(np.array([2.0, 3.0])), [3.0, 2.0])
    assert np.array_equal(grad(sum_of_squared_entries)(np.array([2.0, 3.0])), [4.0, 6.0])


def slice_held_in_a_name(xs):
    ys = [x * 2.0 for x in xs]
    zs = ys[1:]
    return sum(zs)


def slice_summed_where_read(xs):
    ys = [x * 2.0 for x in xs]
    return sum(ys[1:])


def test_a_list_refused_by_numpy_code_says_what_made_it_numpy_code():
    """A list slice held in a name reads as NumPy code, which then refused the list
    argument without saying why; the message names the slice and its line, and the
    rewrite it gives is exact."""
    from s2sdiff import ArgumentError
    with pytest.raises(ArgumentError, match=r"NumPy code because of `ys\[1:\]` on line") as caught:
        grad(slice_held_in_a_name)([1.0, 2.0, 3.0])
    assert "sum(xs[1:])" in str(caught.value)
    assert grad(slice_summed_where_read)([1.0, 2.0, 3.0]) == [0.0, 2.0, 2.0]


def test_an_ejected_loop_over_a_list_has_no_run_time_check():
    """The output check (`scalar_output`) calls into s2sdiff: ejected modules leave it
    out, like the argument checks, and run without s2sdiff."""
    from s2sdiff.eject import eject
    module = eject(sum_of_squared_entries)
    assert "scalar_output" not in module and "import s2sdiff" not in module
    namespace = {}
    exec(module, namespace)
    assert namespace["grad_sum_of_squared_entries"]([2.0, 3.0]) == [4.0, 6.0]
