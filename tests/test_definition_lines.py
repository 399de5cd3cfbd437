"""parse finds a definition's lines by indentation (``parse._definition_lines``), and
tokenizes (``inspect.getblock``) only when that cut does not parse: a string or brackets
that reach the margin inside the function.  Each function below is laid out to hit one
case; its gradient is checked against the closed form, so a wrong cut cannot pass."""
import functools
import math

import pytest

from s2sdiff import grad
from s2sdiff.parse import _definition_lines, parse


def plain(x):
    y = x * x
    return y


def string_at_the_margin(x):
    """A docstring with a line
at the margin: the cut before this line does not parse.
"""
    return x * x * 3.0


def brackets_at_the_margin(x):
    y = (x * x +
2.0 * x)
    return y


def continued_line(x):
    y = x * x + \
x
    return y


def commented(x):
    y = x * x
# a comment at the margin, inside the function
    return y * x


def decorated_with(factor):
    def wrap(f):
        @functools.wraps(f)
        def wrapper(*args):
            return f(*args) * factor
        return wrapper
    return wrap


def one_line(x): return math.sin(x) * x


class Holder:
    def method(self, x):
        return x ** 3

    def other(self, x):
        return x


def outer(x):
    def inner(u):
        return u * u
    return inner(x) + x


CASES = [(plain, lambda x: 2 * x), (string_at_the_margin, lambda x: 6 * x),
         (brackets_at_the_margin, lambda x: 2 * x + 2.0), (continued_line, lambda x: 2 * x + 1),
         (commented, lambda x: 3 * x * x), (one_line, lambda x: math.cos(x) * x + math.sin(x)),
         (Holder().method, lambda x: 3 * x * x), (outer, lambda x: 2 * x + 1)]


@pytest.mark.parametrize("f, derivative", CASES, ids=lambda c: getattr(c, "__name__", ""))
def test_each_layout_is_read_whole(f, derivative):
    assert grad(f)(1.5) == pytest.approx(derivative(1.5), rel=1e-12)


def test_the_cut_stops_at_the_next_definition():
    import inspect
    lines, _ = inspect.findsource(Holder.method)
    first = Holder.method.__code__.co_firstlineno - 1
    block = _definition_lines(lines, first)
    assert block[0].strip() == "def method(self, x):"
    assert "def other" not in "".join(block)


def test_a_cut_that_does_not_parse_falls_back_to_tokenizing():
    import inspect
    lines, _ = inspect.findsource(string_at_the_margin)
    first = string_at_the_margin.__code__.co_firstlineno - 1
    block = _definition_lines(lines, first)
    assert "return" not in "".join(block)          # cut inside the string
    node = parse(string_at_the_margin).node            # parsed whole all the same
    assert len(node.body) == 2


def test_a_decorated_function_starts_at_its_decorator():
    @decorated_with(2.0)
    def scaled(x):
        return x * x
    undecorated = scaled.__wrapped__
    assert grad(undecorated)(3.0) == pytest.approx(6.0)
    import inspect
    lines, _ = inspect.findsource(undecorated)
    block = _definition_lines(lines, undecorated.__code__.co_firstlineno - 1)
    assert block[0].strip().startswith("@decorated_with")
    assert block[-1].strip() == "return x * x"
