"""Helpers for tests that check where an error points: a line of a test function's
source, and an error that names given words, a file and a line."""

import inspect


def line_of(function, text):
    """The line number of the first line of ``function`` containing ``text``."""
    lines, start = inspect.getsourcelines(function)
    return start + next(i for i, line in enumerate(lines) if text in line)


def assert_error(error, *words, filename, line=None):
    """``error`` (a ``pytest.raises`` info) names every word, ``filename`` and ``line``."""
    text = str(error.value)
    for word in words:
        assert word in text, (word, text)
    assert error.value.filename == filename
    if line is not None:
        assert error.value.lineno == line, (error.value.lineno, line)
