"""The program's own statements in generated code: one way for both modes.

``reverse`` (its forward sweep, and a loop's recomputation) and ``forward`` write the
program through ``primal_lines``, which guarantees:

* every item in the program's order: a step as the mode writes it (``step_lines``; as
  it stands, ``step_line``, tagged with the step's number ``(k)``, unless the mode
  replaces it), a passive statement and a ``break``/``continue`` as they are, an ``if``
  on the same condition with both arms written the same way, a loop as the mode writes
  it (``loop_lines``) around a body headed by ``loop_head``, the user's own head;
* a name that is copied where it may be unbound (``Program.unbound``, ``Loop.unbound``)
  is bound to ``0.0`` first (``unbound_line``), so that the copy cannot raise.

Nothing here depends on the mode: what follows a step (tangents) or what a loop pushes
(the tape) is the caller's.
"""

import ast
import copy

from .ir import If, Jump, Loop, Passive, Step
from .listing import Block, Line, assign


def primal_lines(items, step_lines, loop_lines):
    """The lines of ``items`` in order; ``step_lines(step)`` and ``loop_lines(loop)``
    give the lines of a step and of a loop, and an ``if``'s arms are written alike."""
    out = []
    for item in items:
        if isinstance(item, Step):
            out += step_lines(item)
        elif isinstance(item, Passive):
            out.append(Line(item.stmt))
        elif isinstance(item, Jump):
            out.append(Line(ast.Break() if item.kind == "break" else ast.Continue()))
        elif isinstance(item, If):
            out.append(Block(ast.If(item.test, [], []),
                             primal_lines(item.body, step_lines, loop_lines),
                             primal_lines(item.orelse, step_lines, loop_lines)))
        elif isinstance(item, Loop):
            out += loop_lines(item)
    return out


def step_line(step):
    """The step's own statement, tagged with its number."""
    return Line(step.statement, step.number)


def loop_head(loop):
    """``for target in iterable:`` or ``while test:`` (``while True:``), with no body."""
    if loop.kind == "for":
        return ast.For(copy.deepcopy(loop.target), copy.deepcopy(loop.iterable), [], [], lineno=0)
    test = copy.deepcopy(loop.test) if loop.test is not None else ast.Constant(True)
    return ast.While(test, [], [])


def unbound_line(name):
    """``name = 0.0``: a name copied on paths where the user's code never assigns it."""
    return Line(assign(name, ast.Constant(0.0)))
