"""Code generated for numbers (no NumPy calls) given NumPy values it was not written for.

Such code runs unchanged on NumPy scalars and 0-d arrays, which NumPy's arithmetic and
``math`` treat as numbers, with one exception this pass removes: a 0-d array is mutable,
so a derivative first bound to a parameter itself (``dy = y``, after ``1.0 * y`` is
folded) and then accumulated in place (``dy += t``) would write into the caller's array
and return it as the derivative.  ``no_writes_into_parameters`` spells such
accumulations ``dy = dy + t`` (the same cost for floats).

An array of one or more dimensions where such code (or NumPy code, on a line that
needs one number: ``if a > 0``, ``math.exp(a)``) fails on it gets ``array_argument``'s
error, naming the parameter and what to write instead, not NumPy's ``ValueError``.

A list of lists built from variables has no adjoint layout in such code:
``refuse_lists_of_lists`` refuses it at its line (``aliases.check`` calls it).

``sequence_parameters`` (parameters that may be lists, tuples or arrays) and
``unchecked_parameters`` (those a non-real value could pass through without a
``TypeError``) decide the run-time checks ``emit`` writes.
"""

import ast
import collections

import numpy as np

from . import extrema, sorting
from .errors import ArgumentError
from .libraries import is_array_of_entries
from .ir import If, Loop, Step, reached, walk_items, walk_steps
from .listing import Block, Line, assign
from .rules import Structural, Syntax


def no_writes_into_parameters(listing):
    """Rewrite ``d += t`` as ``d = d + t`` for every derivative ``d`` of code generated for
    numbers that is ever bound to a parameter (itself, or a plain copy of it): nothing the
    caller passed in is written into, whatever number type it is."""
    if listing.origin.kinds is not None:
        return                      # NumPy code: optimize.no_writes_through_aliases
    signature = listing.signature
    params = [a.arg for a in signature.posonlyargs + signature.args + signature.kwonlyargs] \
        if signature is not None else list(listing.origin.params)
    copies = _copies(listing.body)
    holders = collections.defaultdict(list)        # name -> the names copied from it
    for target, source in copies:
        holders[source].append(target)
    sources = reached(params, holders)     # plain copies of parameters (`z = y`) hold them too
    derivatives = listing.derivative_names
    aliased = {target for target, source in copies if target in derivatives and source in sources}
    if aliased:
        _rewrite(listing.body, aliased)


def _rewrite(items, aliased):
    for item in items:
        if isinstance(item, Block):
            _rewrite(item.body, aliased)
            _rewrite(item.orelse, aliased)
        elif isinstance(item, Line) and isinstance(item.stmt, ast.AugAssign) \
                and isinstance(item.stmt.target, ast.Name) and item.stmt.target.id in aliased:
            name = item.stmt.target.id
            item.stmt = assign(name, ast.BinOp(ast.Name(name, ast.Load()), item.stmt.op,
                                               item.stmt.value))


def _copies(items):
    """``(target, source)`` of every ``name = name`` in ``items``, blocks included."""
    found = []
    for item in items:
        if item.__class__ is Line:
            stmt = item.stmt
            if stmt.__class__ is ast.Assign and stmt.value.__class__ is ast.Name \
                    and len(stmt.targets) == 1 and stmt.targets[0].__class__ is ast.Name:
                found.append((stmt.targets[0].id, stmt.value.id))
        elif isinstance(item, Block):
            found += _copies(item.body) + _copies(item.orelse)
    return found


def array_argument(function_name, arguments, sequences=(), what=None):
    """The ``ArgumentError`` for the first of ``arguments`` (name -> value) that is an
    array of one or more dimensions, where the code of ``function_name`` takes a number
    (not one of ``sequences``), or None if there is none.  ``what``: the failure seen."""
    for name, value in arguments.items():
        if name in sequences or not is_array_of_entries(value):
            continue
        shape = tuple(value.shape)
        error = ArgumentError(
            f"argument {name!r} of {function_name} is an array of shape {shape}, where "
            f"{function_name} works on one number: "
            + (what or "its code calls math functions or branches on the value"),
            construct="array argument",
            hint=f"Pass a number for {name!r} (call the gradient once per element), or write "
                 f"{function_name} for arrays: NumPy functions (np.exp, np.log) instead of "
                 f"math's, np.where(cond, a, b) instead of `if`, np.maximum instead of max, "
                 f"and reduce the result (np.sum) for grad, or use s2sdiff.vjp or "
                 f"s2sdiff.jacobian for an array result.")
        error.function_name = function_name
        return error
    return None


_NUMBER_EXPECTED = ("truth value of an array", "only 0-dimensional arrays",
                    "only length-1 arrays", "only size-1 arrays")


def needs_number(error):
    """Whether ``error`` is NumPy's for an array used where Python needs one number
    (``if a > 0``, ``math.exp(a)``, ``float(a)``)."""
    return isinstance(error, (TypeError, ValueError)) and any(
        text in str(error) for text in _NUMBER_EXPECTED)


def refuse_arrays_in_numpy_code(program, args, error):
    """In NumPy code run on ``args`` (``kinds.infer``), the ``ArgumentError`` for the array
    argument that reaches the line where ``error`` (``needs_number``) was raised, at that
    line; None if ``error`` is another, or no argument is an array."""
    unsized = isinstance(error, TypeError) and (
        "len() of unsized object" in str(error) or "has no len()" in str(error))
    if not needs_number(error) and not unsized:
        return None
    lineno, trace = None, error.__traceback__
    while trace is not None:
        if trace.tb_frame.f_code.co_filename == program.parsed.filename:
            lineno = trace.tb_lineno
        trace = trace.tb_next
    arguments = dict(zip(program.params, args))
    reaching = reaching_line(program, lineno) if lineno is not None else []
    if unsized:
        return _number_for_array(program, arguments, reaching, lineno, error)
    what = f"line {lineno} needs one number there: {type(error).__name__}: {error}"
    refusal = array_argument(program.name, {p: arguments[p] for p in reaching}, (), what) \
        or array_argument(program.name, arguments, (), what)
    if refusal is None:
        return None
    lineno = lineno or program.parsed.node.lineno
    return refusal.at(program.parsed.filename, lineno, program.parsed.source_line(lineno))


def _number_for_array(program, arguments, reaching, lineno, error):
    """The ``ArgumentError`` for a number (or 0-d array) among ``reaching`` (else among
    all ``arguments``) whose length line ``lineno`` takes; None if there is none."""
    numbers = [p for p in reaching or arguments if np.ndim(arguments[p]) == 0
               and isinstance(arguments[p], (int, float, np.number, np.ndarray))
               and not isinstance(arguments[p], bool)]
    if not numbers or lineno is None:
        return None
    name = numbers[0]
    refusal = ArgumentError(
        f"argument {name!r} of {program.name} is "
        f"{'a 0-d array' if isinstance(arguments[name], np.ndarray) else 'a number'} "
        f"({type(arguments[name]).__name__}), "
        f"where line {lineno} takes the length of an array ({type(error).__name__}: {error})",
        construct="number argument", hint=f"Pass an array of one or more dimensions for "
                                          f"{name!r} (np.atleast_1d({name})).")
    refusal.function_name = program.name
    return refusal.at(program.parsed.filename, lineno, program.parsed.source_line(lineno))


def reaching_line(program, lineno):
    """The parameters whose value reaches, through any steps, what line ``lineno`` reads."""
    read = [a for step in walk_steps(program.body) if step.lineno == lineno for a in step.args]
    read += [item.test for item in walk_items(program.body) if isinstance(item, (If, Loop))
             and item.lineno == lineno and getattr(item, "test", None) is not None]
    return _reaching(program, read)


NUMBERS_ONLY = ("it calls no NumPy function, so its code is generated for numbers and lists "
                "of them, and it indexes this value")


def indexed_parameters(program):
    """The parameters whose value reaches, through any steps, a name the program indexes
    (``p = xs * w; p[0]``): given an array, such code may still return a number."""
    indexed = [step.args[0] for step in walk_steps(program.body)
               if isinstance(step.rule, Structural) and step.rule.key == Syntax("getitem")]
    return set(_reaching(program, indexed)) if indexed else set()


def truth_tested(program):
    """The parameters whose value reaches, through any steps, the test of an ``if`` or
    ``while`` or a call of ``max``/``min``: an array there raises NumPy's ``ValueError``
    ("the truth value of an array ... is ambiguous")."""
    tests = [item.test for item in walk_items(program.body)
             if isinstance(item, (If, Loop)) and getattr(item, "test", None) is not None]
    tests += [a for step in walk_steps(program.body) if step.callee in (max, min)
              for a in step.args]
    if not tests:
        return []
    return _reaching(program, tests)


def _reaching(program, nodes):
    """The parameters whose value the names in ``nodes`` may depend on, through any steps:
    one walk back from those names over the steps assigning them."""
    sources = {}                      # name -> the names its assignments read
    for step in walk_steps(program.body):
        read = sources.setdefault(step.target, set())
        for a in step.args:
            read.update(n.id for n in ([a] if type(a) is ast.Name else ast.walk(a))
                        if isinstance(n, ast.Name))
    todo = [n.id for node in nodes for n in ast.walk(node) if isinstance(n, ast.Name)]
    seen = set()
    while todo:
        name = todo.pop()
        if name not in seen:
            seen.add(name)
            todo.extend(sources.get(name, ()))
    return [p for p in program.params if p in seen]


def refuse_lists_of_lists(program):
    """A list or tuple display holding another built from variables has no adjoint layout
    in scalar code: refused at its line (a table of literals is data)."""
    display = Syntax("display")
    displays = {s.target: s for s in program.steps
                if s.rule is not None and s.rule.key == display}
    for step in displays.values():
        for arg in step.args:
            inner = displays.get(getattr(arg, "id", None))
            if inner is not None and any(isinstance(a, ast.Name) for a in inner.args):
                raise program.parsed.error(
                    ast.Pass(lineno=step.lineno),
                    f"s2sdiff cannot differentiate {program.name}: a list or tuple of lists "
                    f"or tuples is not supported", construct="a list of lists",
                    hint="Write the rows in the display (`m = [[x, y], [y, x]]`) or append "
                         "them (`m.append([x, y])`), which s2sdiff follows row by row, or "
                         "make it a NumPy array (`np.array([[x, y], [y, x]])`).")


def unchecked_parameters(program, sequences=None):
    """Parameters a non-real value could pass through without any ``TypeError``.

    ``math.exp("a")`` and ``math.exp(1j)`` raise, and the ``except`` clause then names the
    argument; ``"a" * 3`` and ``1j + 2.0`` do not.  A parameter is checked by the code
    itself when it reaches a ``math`` function (or ``float``, or the sigmoid gate) through
    arithmetic alone, which keeps a string, a complex number or a list what it is.  The
    others need an explicit type test, which costs a few nanoseconds only where needed.
    ``sequences``: ``sequence_parameters(program)``, if found already.
    """
    if program.kinds is not None:
        return []              # dispatch.py checked the arguments when it specialised
    sources = {p: {p} for p in program.params}
    checked = set()
    used = {n.id for o in program.outputs for n in ast.walk(o) if isinstance(n, ast.Name)}
    checked |= sequence_parameters(program) if sequences is None else sequences
    candidates = set(program.params) - set(program.opaque_params)
    for step in program.steps:
        names = [a.id for a in step.args if isinstance(a, ast.Name)]
        used.update(names)
        reached = set().union(*(sources.get(n, set()) for n in names))
        if _rejects_non_reals(step):
            checked |= reached
            if checked >= candidates:
                return []          # every parameter checked: the rest changes nothing
        elif isinstance(step.value, (ast.BinOp, ast.UnaryOp, ast.Name)):
            sources[step.target] = reached
    return [p for p in program.params if p in used and p not in checked
            and p not in program.opaque_params]


def sequence_parameters(program):
    """Parameters that may be lists, tuples or arrays of reals: indexed, iterated over,
    or passed to a function that is not one of the rule table's."""
    names, sources = set(), collections.defaultdict(list)  # copies: target -> sources
    indexing = (Syntax("getitem"), Syntax("setitem"), Syntax("append"), *extrema.FORMS, sorting.KEY)
    copy = Syntax("copy")
    for item in walk_items(program.body):
        if isinstance(item, Step) and isinstance(item.rule, Structural) \
                and item.rule.key in indexing:
            names.update(a.id for a in item.args[:1] if isinstance(a, ast.Name))
        elif isinstance(item, Step) and getattr(item.rule, "key", None) == copy \
                and isinstance(item.args[0], ast.Name):
            sources[item.target].append(item.args[0].id)
        if isinstance(item, Loop) and item.iterable is not None:
            counts = {id(a) for n in ast.walk(item.iterable) if isinstance(n, ast.Call)
                      and getattr(n.func, "id", None) == "range" for a in n.args}
            names.update(n.id for n in ast.walk(item.iterable)      # range(steps): a count
                         if isinstance(n, ast.Name) and id(n) not in counts)
        if isinstance(item, Step) and item.callee is not None and item.rule is None \
                and item.custom is None and item.differentiable:
            names.update(a.id for a in item.args if isinstance(a, ast.Name))
    # state = state0, then h, c = state: state0 is one too
    return reached(names, sources) & set(program.params)


def _rejects_non_reals(step):
    """Whether the step raises TypeError for a non-real argument, or passes its arguments
    to a function that takes what it takes (``map(float, xs)``, the user's helper)."""
    if step.rule is not None and step.rule.key == Syntax("sigmoid"):
        return True
    if step.callee is not None and step.custom is None and (
            step.rule is None or isinstance(step.rule, Structural)):
        return True
    return getattr(step.callee, "__module__", None) == "math" or step.callee is float
