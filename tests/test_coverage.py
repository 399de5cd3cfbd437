"""docs/reference/coverage.md is what ``python -m s2sdiff.coverage`` generates from the
rule table, so the documented coverage cannot go stale."""

import pathlib

import pytest

from s2sdiff import coverage, rules

PAGE = pathlib.Path(__file__).resolve().parent.parent / "docs" / "reference" / "coverage.md"


def test_the_checked_in_page_is_the_generated_one():
    pytest.importorskip("scipy.stats")            # the page lists SciPy's rows too
    assert PAGE.read_text() == coverage.table(), (
        "the rule table changed: run python -m s2sdiff.coverage > docs/reference/coverage.md")


def test_every_row_is_listed_once():
    text = coverage.table()
    rows = [line for line in text.splitlines() if line.startswith("| `")]
    assert len(rows) == len(rules.RULES)
    assert "| `np.sum` | yes | yes | numeric |" in rows
    assert "| `math.sin` | yes | yes | SymPy |" in rows
    assert "| `math.floor` | constant | constant | constant |" in rows
