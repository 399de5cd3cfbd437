"""The before/after examples in the passes' docstrings are executed, like README's."""

import doctest
import importlib
import pkgutil

import pytest

import s2sdiff

MODULES = sorted(m.name for m in pkgutil.iter_modules(s2sdiff.__path__) if m.name != "__main__")


@pytest.mark.parametrize("name", MODULES)
def test_module_docstring_examples(name):
    module = importlib.import_module(f"s2sdiff.{name}")
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
    assert result.failed == 0
