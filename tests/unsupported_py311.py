"""Unsupported constructs that need Python 3.11 syntax (kept apart so that
``tests/unsupported.py`` still imports on Python 3.10)."""


def uses_try_star(x):
    try:
        y = x * 2.0
    except* ValueError:
        y = 0.0
    return y
