"""Lambdas written where users write them: in a display spread over several lines (a
table of losses), on the line of a compound statement, several on one line.  Oracle:
closed forms."""

import math

import pytest

from s2sdiff import S2SDiffError, grad

LOSSES = {
    "square": lambda x: x * x,
    "wave": lambda x: math.sin(x) * x,
}
PAIR = [lambda x: x ** 3, lambda y: 2 * y]
SAME = [lambda x: x ** 3, lambda x: 2 * x]


def test_a_lambda_in_a_display_over_several_lines():
    assert grad(LOSSES["square"])(2.0) == 4.0
    assert grad(LOSSES["wave"])(2.0) == pytest.approx(math.cos(2.0) * 2.0 + math.sin(2.0))


def test_a_lambda_on_a_compound_statement_line():
    try: gradient = grad(lambda x: x * x * x)(2.0)   # noqa: E701
    finally: pass                                   # noqa: E701
    assert gradient == 12.0


def test_lambdas_sharing_a_line_are_told_apart_by_their_parameters():
    assert grad(PAIR[0])(2.0) == 12.0 and grad(PAIR[1])(5.0) == 2.0
    with pytest.raises(S2SDiffError, match="cannot tell which lambda"):
        grad(SAME[0])
