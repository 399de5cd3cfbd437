"""The program's own statements in generated code: one way for both modes.

``reverse`` (its forward sweep, and a loop's recomputation) and ``forward`` write the
program through ``primal_lines``, which guarantees:

* every item in the program's order: a step as the mode writes it (``step_lines``; as
  it stands, ``step_line``, tagged with the step's number ``(k)``, unless the mode
  replaces it), a passive statement and a ``break``/``continue`` as they are, an ``if``
  on the same condition with both arms written the same way, a loop as the mode writes
  it (``loop_lines``) around a body headed by ``loop_head``, the user's own head;
* a name that is copied where the user's code never reads it unbound (``Program.unbound``)
  is bound to ``0.0`` first (``unbound_line``), so that the copy cannot raise; a name
  only a loop's iterations assign (``Loop.unbound``) is bound to ``Unbound('y')``
  (``runtime.Unbound``, ``loop_unbound_line``): copies of it do not raise, reading it
  raises the user's own ``UnboundLocalError`` (a loop that ran no trip), and an output
  that may be one is checked (``bound_checks``); when it is an array of another library
  (Dask), the zeros of its derivative cannot be made (``unassigned_foreign_array``).

Nothing here depends on the mode: what follows a step (tangents) or what a loop pushes
(the tape) is the caller's.
"""

import ast
import copy

from .errors import UnsupportedError
from .ir import If, Jump, Loop, Passive, Step, walk_items, walk_steps
from .listing import Block, Line, assign
from .runtime import Unbound


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


def loop_unbound_line(program, name, modules):
    """``name = Unbound('y')``: ``name`` (the user's ``y``) before the loop that assigns it."""
    user = program.user_names.get(name, name)
    return Line(assign(name, ast.Call(ast.Name(modules.helper(Unbound), ast.Load()),
                                      [ast.Constant(user)], [])))


def bound_checks(program, modules):
    """``Unbound.check(y)`` for each output only the iterations of a loop assign: the
    user's function raises there when the loop ran no trip, and so must generated code,
    which may return the output unread (``grad``)."""
    unbound = {name for item in walk_items(program.body) if isinstance(item, Loop)
               for name in item.unbound}
    names = []
    for output in program.outputs:
        if isinstance(output, ast.Name) and output.id in unbound and output.id not in names:
            names.append(output.id)
    return [Line(ast.Expr(ast.Call(
        ast.Attribute(ast.Name(modules.helper(Unbound), ast.Load()), "check", ast.Load()),
        [ast.Name(name, ast.Load())], []))) for name in names]


def unassigned_foreign_array(program, name):
    """The error for an array of another library that only a loop's iterations assign
    (a ``return`` inside a loop): its zeros would be made from the value itself."""
    step = next((s for s in walk_steps(program.body) if s.target == name), None)
    user = program.user_names.get(name, name)
    user = "the value returned" if user == program.name else \
        program.parsed.returns.get(user, f"`{user}`")
    return program.parsed.error(
        ast.Pass(lineno=step.lineno if step else program.parsed.node.lineno),
        f"s2sdiff cannot differentiate {program.name} for "
        f"{program.foreign.__module__.split('.')[0]} arrays: "
        f"{user} is an array that only the iterations of a loop assign (a `return` "
        f"inside a loop), and the zeros of its derivative would be made from it before "
        f"the loop has run", construct="array assigned only inside a loop",
        cls=UnsupportedError,
        hint="Assign the array before the loop (np.zeros_like of an argument of its "
             "shape), update it in the loop and `break`, then return it after the loop; "
             "or call with NumPy arrays.")
