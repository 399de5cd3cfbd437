"""README.md is executed: its examples must print exactly what they show."""

import doctest
import pathlib
import re

ROOT = pathlib.Path(__file__).resolve().parent.parent


def test_readme_examples():
    result = doctest.testfile(str(ROOT / "README.md"), module_relative=False,
                              optionflags=doctest.ELLIPSIS)
    assert result.attempted > 10
    assert result.failed == 0


def test_readme_setup_commands_are_what_ci_runs():
    readme = (ROOT / "README.md").read_text()
    ci = (ROOT / ".ci" / "run").read_text()
    assert 'pip install -e ".[test]"' in readme and 'pip install --quiet -e ".[test]"' in ci
    assert "python -m pytest -q" in readme and "python -m pytest -q" in ci
    assert "python -m pytest -q -m fuzz" in readme and "python -m pytest -q -m fuzz" in ci
    assert "python -m s2sdiff" in readme and "python -m s2sdiff" in ci
    assert "mkdocs build --strict" in readme and "mkdocs build --strict" in ci


def test_readme_is_short_and_its_links_resolve():
    text = (ROOT / "README.md").read_text()
    assert len(text.encode()) <= 10_500
    links = re.findall(r"\]\(([^)#]+)(?:#[^)]*)?\)", text)
    assert links
    for link in links:
        assert (ROOT / link).exists(), link
