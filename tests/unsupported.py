"""User functions that s2sdiff must reject, one unsupported construct each.

``tests/test_errors.py`` differentiates every function here and checks that the error
points at the right line of this file.  The expected line is found by searching this
file's text for a snippet, so functions can be edited and moved freely; keep each
snippet unique within its function.  Every function would run fine in plain Python
(or at least compile), so the errors come from s2sdiff and not from the interpreter.
"""

import contextlib
import math

import numpy as np


def helper(t):
    """A user function without a derivative rule."""
    return t * 2.0


def variadic_helper(*ts):
    """A user function s2sdiff cannot bind arguments of."""
    return ts[0] * 2.0


GLOBAL_LIST = [0.0]


# statements --------------------------------------------------------------------

def uses_with(x):
    with contextlib.nullcontext():
        y = x * 2.0
    return y


def uses_try(x):
    try:
        y = 1.0 / x
    except ZeroDivisionError:
        y = 0.0
    return y


def uses_raise(x):
    y = x * 2.0
    raise ValueError("no")
    return y


def defines_class(x):
    class Box:
        pass
    return x


def defines_function(x):
    def inner(t):
        for _ in range(2):
            t = t * 2.0
        return t
    return inner(x)


def uses_global(x):
    global GLOBAL_COUNTER
    GLOBAL_COUNTER = x
    return x


def _make_uses_nonlocal():
    cell = 0.0

    def uses_nonlocal(x):
        nonlocal cell
        cell = x
        return x * 2.0
    return uses_nonlocal


uses_nonlocal = _make_uses_nonlocal()


def uses_del(x):
    y = x * 2.0
    del y
    return x


def imports_inside(x):
    import math as m
    return m.sin(x)


def imports_from_inside(x):
    from math import sin
    return sin(x)


def uses_match(x):
    match x:
        case 0:
            return 0.0
    return x


def yields(x):
    yield x * 2.0


def yields_value(x):
    y = yield x
    return y


def yields_from(x):
    yield from [x]


async def awaits(x):
    y = await x
    return y


async def async_with(x):
    async with x as y:
        return y


def with_args(x, *rest):
    return x


def with_kwargs(x, **options):
    return x


def deletes_subscript(x, y):
    del y[0]
    return x


# expressions -------------------------------------------------------------------

def lambda_in_body(x):
    fs = [lambda t: t * 2.0]
    return fs[0](x)


def list_comprehension(x):
    y = x
    while sum([t * y for t in (1.0, 2.0)]) < 10.0:
        y = y * 2.0
    return y


def set_comprehension(x):
    y = {t * x for t in (1.0, 2.0)}
    return y


def dict_comprehension(x):
    y = {t: t * x for t in (1.0, 2.0)}
    return y


def max_with_key(xs):
    y = max((t * 2.0 for t in xs), key=lambda v: abs(v - xs[0]))
    return y


def walrus(x):
    y = x * (x := x * 2.0)            # reads x before := rebinds it
    return y + x


def loop_over_reversed_input(xs):
    s = 0.0
    for i, v in enumerate(reversed(xs)):
        s = s * 0.5 + v
        xs = [s, v]       # rebinds the list the loop reads backwards
    return s


def array_function_without_rule(x):
    y = np.nanpercentile(x, 50.0)
    return np.sum(y)


def attribute_assignment(x, box):
    box.value = x
    return x


def global_subscript_assignment(x):
    GLOBAL_LIST[0] = x
    return x


def global_augmented_subscript_assignment(x):
    GLOBAL_LIST[0] += x
    return x


def list_display(x):
    y = [x, x]
    return y


def dict_display(x):
    y = {"x": x}
    return y


def set_display(x):
    y = {x}
    return y


def f_string(x):
    s = f"{x}"
    return x


def starred_call(x):
    y = math.hypot(*x)
    return y


def double_starred_call(x):
    y = helper(**x)
    return y


def method_call(x):
    y = x.conjugate()
    return y


def attribute_of_local(x):
    y = x.real
    return y


def calls_helper(x):
    y = variadic_helper(x) + 1.0
    return y


def calls_helper_on_constant(x):
    c = helper(2.0)
    return c * x


def calls_helper_on_other(x, y):
    c = helper(y)
    return c * x


def calls_undefined(x):
    y = not_defined_anywhere(x)  # noqa: F821
    return y


def calls_local(x):
    abs = math.fabs
    y = abs(x)
    return y


def discards_call(x):
    math.sin(x)
    return x


def reads_before_assignment(x):
    y = x + z
    z = 1.0
    return y


def string_constant(x):
    y = x * "abc"
    return y


def complex_constant(x):
    y = x * 1j
    return y


def none_constant(x):
    y = None
    return x + y


def multi_line(x):
    y = (x * 2.0
         + {x}
         + 1.0)
    return y


# outputs -----------------------------------------------------------------------

def returns_tuple(x, y):
    return x * y, x + y


def returns_list(x):
    return [x, x]


def returns_nothing(x):
    y = x * 2.0  # noqa: F841


def returns_bare(x):
    y = x * 2.0  # noqa: F841
    return


def returns_none(x):
    y = x * 2.0  # noqa: F841
    return None


def calls_a_lambda_in_place(x):
    return (lambda t: t * t)(x)


def nested_list_write(x):
    m = [[x, 2.0 * x], [x * x, 1.0]]
    m[1][0] = m[0][1] * 3.0
    return m[1][0] + m[0][0]
