"""Every error s2sdiff raises derives from S2SDiffError.

Errors about user code are raised while a derivative is generated, never later, and
carry ``filename``, ``lineno``, ``source_line`` and ``construct`` so that the message
points at the offending line and says what to do instead.
"""


class S2SDiffError(Exception):
    """Base class of every error s2sdiff raises."""

    def __init__(self, message, *, filename=None, lineno=None, source_line=None,
                 construct=None, hint=None):
        self.message = message
        self.filename = filename
        self.lineno = lineno
        self.source_line = source_line
        self.construct = construct
        self.hint = hint
        super().__init__(self._render())

    def _render(self):
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
    """A differentiated function was called with arguments it cannot take."""
