"""The user's function behind generated code that is differentiated again.

A Hessian differentiates generated code (``derivative_f``, ``jvp_scale``); the argument
checks of the code made from it would name that generated function, its parameters and
its file under the temporary directory.  ``Origin.of(program)`` is ``None`` for a
program read from the user's own source; for one read from generated code it knows the
user's function the code was generated from (through every level: a third derivative's
too), and maps what the checks report back to it:

* ``name(spelling)``: the user's function's name for the generated function's name (or
  for the generated name of a function it calls, ``jvp_scale`` for ``scale``);
* ``where``: the user's file, the line of its ``def`` and that line's text;
* ``line(lineno)``: the user's line that a line of the generated file comes from (by
  its tag ``# (k)``), else the ``def`` line;
* ``parameter(name)``: a tangent parameter (``xs_dot``, ``xs_dot_2``) as ``the tangent
  of xs``, a parameter of the user's function as it is.

``located(program)`` is what ``emit.argument_checker`` reads: the place, the lines and a
renaming of the reported names, the user's own for a program read from their source.
Nothing here changes generated code; it only rewrites messages.
"""

import linecache
import re

from .errors import SourceError
from .listing import program_of

_DEPTH = 4          # derivatives of derivatives: a Hessian is two levels, rarely more
_TAG = re.compile(r"# \((\d+)\)")


class Origin:
    """What the checks of code made from generated code report, in the user's terms."""

    def __init__(self, program, user):
        self.generated = program.name
        self.parsed = program.parsed        # until the lines are mapped (``located``)
        parsed = user.parsed
        self.user_name = getattr(parsed.func, "__name__", user.name)
        self.params = set(user.params)
        lineno = parsed.node.lineno
        self.where = (parsed.filename, lineno, parsed.source_line(lineno))
        self._tags = {}

    @classmethod
    def of(cls, program):
        """The ``Origin`` of ``program`` when it was read from generated code, else None."""
        func = getattr(program.parsed, "func", None)
        if getattr(func, "__s2sdiff_origin__", None) is None:
            return None
        user = None
        for _ in range(_DEPTH):
            try:
                user = program_of(func)
            except (KeyError, TypeError, AttributeError, SourceError):
                break
            func = getattr(user.parsed, "func", None)
            if getattr(func, "__s2sdiff_origin__", None) is None:
                break
        return None if user is None else cls(program, user)

    def name(self, spelling):
        """The user's name for the generated function ``spelling`` (``derivative_f`` is
        ``f``; ``jvp_scale``, a function the code calls, is ``scale``)."""
        if spelling == self.generated:
            return self.user_name
        match = re.fullmatch(r"(?:jvp|derivative|grad|vjp|jacfwd)_(\w+?)(?:_\d+)?", spelling)
        return match.group(1) if match else spelling

    def parameter(self, name):
        """``name`` as the user's function knows it: a tangent (``xs_dot``) as the tangent of
        its parameter."""
        if name in self.params:
            return name
        match = re.fullmatch(r"(\w+?)_dot(?:_\d+)?", name)
        if match and match.group(1) in self.params:
            return f"the tangent of {match.group(1)}"
        return name

    def line(self, lineno):
        """The user's line that line ``lineno`` of the generated file comes from."""
        func, filename = self.parsed.func, self.parsed.filename
        for _ in range(_DEPTH):
            tag = _TAG.search(linecache.getline(filename, lineno))
            found = self._steps(func).get(int(tag[1])) if tag else None
            if found is None:
                return self.where[1]
            filename, lineno, func = found
            if func is None or filename == self.where[0]:
                return lineno
        return self.where[1]

    def _steps(self, func):
        """{tag: (file, line, the generated function read there or None)} of the program
        ``func`` was generated from, made once per function."""
        if func not in self._tags:
            try:
                program = program_of(func)
            except (KeyError, TypeError, AttributeError, SourceError):
                program = None
            inner = getattr(program, "parsed", None)
            origin = getattr(inner, "func", None)
            origin = origin if getattr(origin, "__s2sdiff_origin__", None) is not None else None
            self._tags[func] = {} if program is None else {
                s.number: (inner.filename, s.lineno, origin) for s in program.steps}
        return self._tags[func]


def located(program):
    """``(where, lines, rename)`` for the argument checks of the code made from
    ``program``: ``where`` the user's file, ``def`` line and its text; ``lines`` each step's
    tag -> the user's line; ``rename(function_name, sequences, arguments)`` -> the same
    with the user's names (unchanged for the user's own function)."""
    parsed = program.parsed
    lines = {step.number: step.lineno for step in program.steps}
    origin = Origin.of(program)
    if origin is None:
        where = (parsed.filename, parsed.node.lineno, parsed.source_line(parsed.node.lineno))
        return where, lines, lambda name, sequences, arguments: (name, sequences, arguments)

    lines = {k: origin.line(v) for k, v in lines.items()}
    origin.parsed, origin._tags = None, {}    # the checker keeps no program alive

    def rename(function_name, sequences, arguments):
        return (origin.name(function_name), tuple(origin.parameter(s) for s in sequences),
                {origin.parameter(k): v for k, v in arguments.items()})
    return origin.where, lines, rename
