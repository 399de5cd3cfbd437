"""What kinds inference (``kinds.py``) says when a name holds two kinds, and the one case
it resolves itself: a name started as an int literal that then holds floats
(``total = 0``, then ``total += (pred - y[i]) ** 2`` in a loop), the most common way to
start a sum.  The literal becomes a float (``total = 0.0`` in the generated code), which
changes no value the function computes: ``0 + x`` and ``0.0 + x`` are the same float.
Any other int (``n = len(xs)``, a parameter's int) stays a constant, and the change of
kind is refused as before.
"""

import ast

from .errors import UnsupportedError
from .ir import walk_steps


class IntStart(Exception):
    """``name`` started as an int literal, then held a float (``kinds.infer`` retries)."""

    def __init__(self, name):
        super().__init__(name)
        self.name = name


def int_start(program, name, first, then):
    """Whether ``name`` is an int number in one run or path and a float number in another,
    and an int literal is assigned to it, directly or through copies (``s = 0`` in one
    arm of an ``if``, then ``s_2 = s`` carried by a loop); ``_differ`` said they differ."""
    return not (first.array or then.array) and first.shape == then.shape == () \
        and {first.dtype, then.dtype} == {"i", "f"} and any(
            _int_literal(s.value) for s in walk_steps(program.body)
            if s.target in _copied_into(program, name))


def as_float_start(program, name):
    """Make each int literal assigned to ``name`` (directly or through copies) a float
    literal, a new node: the user's tree, which other specialisations normalise again,
    is left as it is."""
    sources = _copied_into(program, name)
    for step in walk_steps(program.body):
        if step.target in sources and _int_literal(step.value):
            old = step.value
            new = ast.copy_location(ast.Constant(float(old.value)), old)
            step.value = new
            step.args = [new if a is old else a for a in step.args]


def _copied_into(program, name):
    """``name`` and the names whose values plain copies (``s_2 = s``) carry into it."""
    copies = [(s.target, s.value.id) for s in walk_steps(program.body)
              if isinstance(s.value, ast.Name)]
    names, grown = {name}, True
    while grown:
        grown = False
        for target, source in copies:
            if target in names and source not in names:
                names.add(source)
                grown = True
    return names


def _int_literal(node):
    return isinstance(node, ast.Constant) and type(node.value) is int


def kind_error(program, name, first, then, lineno, paths=None):
    """The error for a name with two kinds: ``then`` assigned at ``lineno`` after
    ``first`` in one run, or (``paths``: the line assigning ``first``) on another path."""
    user = program.spelled(ast.Name(name, ast.Load()))     # np.stack(hs) for stackhs
    if name == program.name and any(getattr(o, "id", None) == name for o in program.outputs):
        user = "the value returned"
    else:
        user = f"`{user}`"
    numbers = {first.dtype, then.dtype} <= {"i", "b", "f"} and not (first.array or then.array)
    if paths is None:
        what = f"{user} is first {describe(first)}, then {describe(then)}"
    else:
        what = (f"{user} is {describe(first)} on one path (line {paths}) and "
                f"{describe(then)} on another (line {lineno})")
    hint = ("Start it as a float (`0.0`, not `0`): ints are constants in NumPy code."
            if numbers else
            "Keep every variable's shape fixed: preallocate the result with np.zeros(final "
            "shape) and assign each piece into it (`out[i] = ...`), or write the pieces in "
            "one call (np.stack([a, b, c])).")
    if paths is not None and not numbers:
        hint = ("Give the variable the same shape on every path (np.full(x.shape, s) for "
                "a number spread over an array, or reduce the array), use different names "
                "on the two paths, or branch on shapes (`x.ndim`, `len(x)`) or outside the "
                "differentiated function.")
    if first.shape == then.shape == () and first.array != then.array:
        hint = ("NumPy's functions and arithmetic turn a 0-d array into a NumPy scalar "
                "(np.exp of it is an np.float64), so a 0-d array argument changes kind: pass "
                "a number instead (x.item(), float(x)), or an array of shape (1,).")
    return program.parsed.error(
        ast.Pass(lineno=lineno), f"s2sdiff cannot differentiate {program.name}: {what}; "
        f"generated array code is specialised to one shape per name",
        construct="a shape that changes" if paths is None else "a shape that depends on the path",
        cls=UnsupportedError, hint=hint)


def describe(kind):
    """``a float``, ``an array of shape (3,)``: a kind in a message."""
    if kind.array:
        return f"an array of shape {kind.shape}"
    return {"f": "a float", "i": "an int", "b": "a bool"}.get(kind.dtype, "another value")
