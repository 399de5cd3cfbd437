"""Every error s2sdiff raises derives from S2SDiffError.

Errors about user code are raised while a derivative is generated, never later, and
carry ``filename``, ``lineno``, ``source_line`` and ``construct`` so that the message
points at the offending line and says what to do instead.

Any other exception escaping generation is a bug of s2sdiff: ``firewall`` re-raises it
as an ``InternalError`` naming the function and the line being differentiated, with the
original chained, and records it in ``INTERNAL_ERRORS`` (the tests assert it stays empty).
"""

import contextlib
import linecache
import os
import re
import sys
from types import CodeType
from typing import Any, Iterator, TypeVar

_E = TypeVar("_E", bound="S2SDiffError")
_PACKAGE = os.path.dirname(os.path.abspath(__file__)) + os.sep


class S2SDiffError(Exception):
    """Base class of every error s2sdiff raises."""

    def __init__(self, message: str, *, filename: str | None = None, lineno: int | None = None,
                 source_line: str | None = None, construct: str | None = None,
                 hint: str | None = None) -> None:
        self.message = message
        self.filename = filename
        self.lineno = lineno
        self.source_line = source_line
        self.construct = construct
        self.hint = hint
        super().__init__(self._render())

    def at(self: _E, filename: str, lineno: int, source_line: str | None = None) -> _E:
        """This error, pointing at ``filename``, line ``lineno`` (unless it points
        somewhere already)."""
        if self.filename is None:
            self.filename, self.lineno, self.source_line = filename, lineno, source_line
            self.args = (self._render(),)
        return self

    def renamed(self, old: str, new: str) -> None:
        """Write ``new`` for the word ``old`` (a generated function's name: ``loss_leaves``,
        the function of a tree's leaves, is the user's ``loss``) in this error."""
        word = re.compile(rf"\b{re.escape(old)}\b")
        if word.search(self.message) or self.hint and word.search(self.hint):
            self.message = word.sub(lambda _: new, self.message)
            self.hint = self.hint and word.sub(lambda _: new, self.hint)
            self.args = (self._render(),)
        if getattr(self, "function_name", None) == old:
            setattr(self, "function_name", new)     # ArgumentError's

    def _render(self) -> str:
        parts = [self.message]
        if self.filename is not None and self.lineno is not None:
            parts.append(f'  File "{self.filename}", line {self.lineno}')
            if self.source_line:
                parts.append(f"    {self.source_line.strip()}")
        if self.hint:
            parts.append(self.hint)
        return "\n".join(parts)


class UnsupportedError(S2SDiffError):
    """The function uses a construct that s2sdiff cannot differentiate."""


class SourceError(S2SDiffError):
    """The function's source cannot be read (a builtin, a lambda typed at a REPL)."""


class NotScalarError(S2SDiffError, ValueError):
    """grad was asked for a function whose output is not a scalar."""


class ArgumentError(S2SDiffError, TypeError):
    """A differentiated function was called with arguments it cannot take; ``filename``
    and ``lineno`` point at the function's definition (or at the call of a helper that
    was passed a value the helper cannot take)."""

    function_name: str | None = None        # the function whose argument it is


class InternalError(S2SDiffError):
    """An exception from inside s2sdiff while it generated code: a bug, to be reported."""


# every InternalError raised: the test suite asserts there is none
INTERNAL_ERRORS: list[InternalError] = []


@contextlib.contextmanager
def firewall(func: Any) -> Iterator[None]:
    """Re-raise any exception but an ``S2SDiffError`` raised while generating code for
    ``func`` as an ``InternalError``."""
    try:
        yield
    except S2SDiffError:
        raise
    except Exception as error:
        if getattr(error, "s2sdiff_user_code", False):
            raise
        raise internal_error(func, error) from error


@contextlib.contextmanager
def user_code() -> Iterator[None]:
    """Mark an exception raised inside as the user's own (their forward code, run while
    generating to learn shapes, raised it): ``firewall`` lets it through unchanged."""
    try:
        yield
    except S2SDiffError:
        raise
    except Exception as error:
        error.s2sdiff_user_code = True  # type: ignore[attr-defined]
        raise


def add_note(error: BaseException, note: str) -> None:
    """``error.add_note(note)`` on Python 3.11+. Python 3.10 has no notes: ``note`` is
    appended to ``error.__notes__`` (as 3.11 would) and, where the message is the error's
    one string argument (``ValueError('math domain error')``), to that message, so that
    the traceback shows it; other errors (``KeyError``, ``OSError``) keep their arguments."""
    if sys.version_info >= (3, 11):
        error.add_note(note)
        return
    setattr(error, "__notes__", [*getattr(error, "__notes__", ()), note])
    if len(error.args) == 1 and isinstance(error.args[0], str) \
            and type(error).__str__ is BaseException.__str__:
        error.args = (f"{error.args[0]}\n{note}",)


def internal_error(func: Any, error: BaseException) -> InternalError:
    name = getattr(func, "__qualname__", None) or getattr(func, "__name__", repr(func))
    code = getattr(func, "__code__", None)
    filename = getattr(code, "co_filename", None)
    lineno = _line_reached(error, code)
    where = f", line {lineno}" if lineno is not None else ""
    text = str(error)
    original = f"{type(error).__name__}: {text}" if text else type(error).__name__
    internal = InternalError(
        f"internal error while differentiating {name}{where}: {original}; please report "
        f"this as a bug of s2sdiff", filename=filename if lineno is not None else None,
        lineno=lineno, source_line=linecache.getline(filename, lineno).rstrip("\n")
        if filename and lineno else None, construct="internal error")
    INTERNAL_ERRORS.append(internal)
    return internal


def _line_reached(error: BaseException, code: CodeType | None) -> int | None:
    """The line of the user's function the innermost pass was working on when ``error``
    was raised (a ``lineno`` of a local of s2sdiff's frames), else its ``def`` line."""
    if code is None:
        return None
    first = code.co_firstlineno
    last = max((line for _, _, line in code.co_lines() if line is not None), default=first)
    frames = []
    trace = error.__traceback__
    while trace is not None:
        frames.append(trace.tb_frame)
        trace = trace.tb_next
    for frame in reversed(frames):
        if not frame.f_code.co_filename.startswith(_PACKAGE):
            continue
        for value in frame.f_locals.values():
            line = getattr(value, "lineno", None)
            if isinstance(line, int) and not isinstance(line, bool) and first < line <= last:
                return line
    return first
