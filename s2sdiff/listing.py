"""The generated function before it becomes text: statements, tags and comments.

``reverse`` and ``forward`` build a ``Listing``, ``optimize`` rewrites its statements,
``emit`` turns it into source.  A ``Line`` is one statement with the number ``(k)`` of
the forward statement it belongs to; a ``Comment`` is a full-line comment.
"""

import ast
from dataclasses import dataclass, field


@dataclass
class Line:
    stmt: ast.stmt
    tag: int = None


@dataclass
class Comment:
    text: str


@dataclass
class Listing:
    name: str                      # the generated function's name
    origin: object                 # the normalize.Program it was generated from
    header: list                   # comment lines at the top of the body
    body: list                     # Lines and Comments, forward sweep then reverse sweep
    returns: ast.expr
    adjoints: dict = field(default_factory=dict)   # primal name -> derivative name
    kept: set = field(default_factory=set)         # derivative names kept even as copies
    injected: dict = field(default_factory=dict)   # name -> object the code needs bound

    @property
    def derivative_names(self):
        return set(self.adjoints.values())


def assign(name, value):
    return ast.Assign([ast.Name(name, ast.Store())], value, lineno=0)


def accumulate(name, value):
    return ast.AugAssign(ast.Name(name, ast.Store()), ast.Add(), value, lineno=0)
