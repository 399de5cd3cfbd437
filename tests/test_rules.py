"""Every row of the rule table agrees with sympy.diff; a new row is checked automatically."""

import pytest

from s2sdiff.check import check_rule
from s2sdiff.rules import RULES


@pytest.mark.parametrize("rule", list(RULES.values()), ids=lambda r: r.name)
def test_rule_matches_sympy(rule):
    results = check_rule(rule)
    assert len(results) == (rule.arity or 3)


def test_a_wrong_partial_is_caught():
    import math
    from s2sdiff.rules import Rule
    wrong = Rule(math.sin, RULES[math.sin].forward, lambda m, out, x: (-m.cos(x),))
    with pytest.raises(AssertionError, match="math.sin"):
        check_rule(wrong)
