"""What kinds inference (``kinds.py``) says when a name holds two kinds, and the two
cases it resolves itself, the usual ways to start a sum:

* a name started as an int literal that then holds floats (``total = 0``, then ``total
  += (pred - y[i]) ** 2`` in a loop, or a float on another path): the literal becomes a
  float (``total = 0.0`` in the generated code), which changes no value the function
  computes (``0 + x`` and ``0.0 + x`` are the same float);
* a sum started as the literal ``0`` (or ``0.0``) that then holds arrays of floats of
  one shape (``acc = 0``, then ``acc = acc + row * w``; ``sum(hs)`` of arrays, which
  starts from ``0``): the literal becomes ``np.zeros(shape)`` of that array's shape and
  dtype, the same values (``0 + a`` is ``a``) for the shapes the code is generated for,
  and over no terms the zero array, as NumPy's sum of no rows.

Any other int (``n = len(xs)``, a parameter's int), any other literal, and arrays of
another library stay as they are, and the change of kind is refused as before.
"""

import ast

import numpy as np

from .errors import UnsupportedError
from .ir import reached, walk_steps


class NumberStart(Exception):
    """``name`` started as a number literal, then held a float or an array of floats:
    ``rewrite(step)`` is what its literal steps become (``kinds.infer`` runs again)."""

    def __init__(self, name, rewrite):
        super().__init__(name)
        self.name, self.rewrite = name, rewrite


def number_start(program, name, first, then):
    """The ``NumberStart`` for ``name``, whose kinds ``first`` and ``then`` (one run, or
    two paths) ``kinds._differ`` said differ, when a number literal assigned to it,
    directly or through copies (``s = 0`` in one arm, then ``s_2 = s`` carried by a
    loop), explains the difference; else None."""
    sources = _copied_into(program, name)
    literals = [s.value.value for s in walk_steps(program.body)
                if s.target in sources and _number_literal(s.value)]
    number, other = (first, then) if not first.array else (then, first)
    if not literals or number.array or number.shape != () or number.dtype not in "if":
        return None
    if not other.array and other.shape == () and {number.dtype, other.dtype} == {"i", "f"} \
            and int in map(type, literals):
        return NumberStart(name, lambda step: _float_literal(step, sources))
    alias = next((n for n, v in program.parsed.globals.items() if v is np), None)
    if other.array and other.dtype == "f" and isinstance(other.exact, np.dtype) \
            and all(v == 0 for v in literals) and alias is not None \
            and program.foreign is None and _added_to(program, sources):
        return NumberStart(name, lambda step: _zeros(step, sources, alias, other))
    return None


def _added_to(program, sources):
    """Whether one of ``sources`` is added to (``s + e``, ``e + s``, ``s += e``): the
    literal starts a sum, whose value over no terms of shape ``S`` is ``np.zeros(S)``, as
    NumPy's ``np.sum`` of no rows is.  A 0 that is the value of a branch
    (``s = 0.0 if c else x``) is not a sum's start and stays refused."""
    return any(isinstance(s.value, ast.BinOp) and isinstance(s.value.op, ast.Add)
               and any(isinstance(a, ast.Name) and a.id in sources
                       for a in (s.value.left, s.value.right))
               for s in walk_steps(program.body))


def _float_literal(step, sources):
    """``s = 0`` as ``s = 0.0`` (a new node: the user's tree, which other specialisations
    normalise again, is left as it is)."""
    if step.target in sources and _number_literal(step.value) and type(step.value.value) is int:
        old = step.value
        step.value = ast.copy_location(ast.Constant(float(old.value)), old)
        step.args = [step.value if a is old else a for a in step.args]


def _zeros(step, sources, alias, kind):
    """``s = 0`` as ``s = np.zeros(shape)`` (``dtype`` too when not float64)."""
    if step.target in sources and _number_literal(step.value):
        shape = ast.Tuple([ast.Constant(n) for n in kind.shape], ast.Load())
        args = [shape] + ([] if kind.exact == np.float64 else [ast.Attribute(
            ast.Name(alias, ast.Load()), kind.exact.name, ast.Load())])
        step.value = ast.copy_location(ast.Call(ast.Attribute(
            ast.Name(alias, ast.Load()), "zeros", ast.Load()), args, []), step.value)
        ast.fix_missing_locations(step.value)
        step.args, step.rule, step.callee, step.differentiable = [], None, np.zeros, False


def _copied_into(program, name):
    """``name`` and the names whose values plain copies (``s_2 = s``) carry into it."""
    sources = {}
    for s in walk_steps(program.body):
        if isinstance(s.value, ast.Name):
            sources.setdefault(s.target, []).append(s.value.id)
    return reached({name}, sources)


def _number_literal(node):
    return isinstance(node, ast.Constant) and type(node.value) in (int, float)


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
