"""The before/after examples in the passes' docstrings (subpackages included) are executed,
like README's."""

import doctest
import importlib
import pkgutil

import pytest

import s2sdiff

MODULES = sorted(m.name for m in pkgutil.walk_packages(s2sdiff.__path__, "s2sdiff.")
                 if m.name != "s2sdiff.__main__")


@pytest.mark.parametrize("name", MODULES)
def test_module_docstring_examples(name):
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
    assert result.failed == 0
