"""Activity analysis: which names need an adjoint (or a tangent).

A name is *varied* if it depends differentiably on a requested input and *useful* if
the output depends on it.  Only *active* names, both varied and useful, get adjoints
(seed 004: prune the branches the gradient does not need).  Piecewise-constant steps
(comparisons, ``floor``, ``len``) end variation.  A useful step that mixes in a varied
argument through a call without a derivative rule is an ``UnsupportedError`` here, at
generation time, never a silent zero; so is such a call of a ``custom_vjp``/``custom_jvp``
wrapper whose rule was never defined (or whose ``defjvps`` has the wrong length).

``analyze`` returns the final ``Activity``: nothing edits it afterwards.
``Activity.is_active(atom)`` says whether an atom gets an adjoint (a tangent); the sets
are only ever tested for membership, so generated code does not depend on set order.
"""

import ast
import functools
import linecache
import types
from dataclasses import dataclass

from . import custom, linalg_rules
from .errors import UnsupportedError
from .generated_origin import Origin
from .ir import Loop, walk_items
from .kinds import constant_names
from .rules import Function
from .split_rules import no_rule_hint
from .user_functions import is_helper


@dataclass
class Activity:
    wrt: list          # parameter names, in the order gradients are returned
    varied: set
    useful: set

    def is_active(self, atom):
        return isinstance(atom, ast.Name) and atom.id in self.varied and atom.id in self.useful


def analyze(program, wrt, kinds=None):
    """The ``Activity`` of ``program`` with respect to the parameters ``wrt``.

    Loops feed values back to their own start, so both sets grow to a fixed point.
    ``kinds`` (NumPy code specialised on its arguments, ``kinds.infer``): variation starts
    only at the parameters in ``wrt`` that are numbers or arrays of floats, and names
    whose kind makes them constants (``kinds.constant_names``) are not varied; ``wrt``
    stays the parameters whose gradients are returned.
    """
    steps = program.steps
    loops = [item for item in walk_items(program.body) if isinstance(item, Loop)]
    # each step's target and the names among its arguments, read once (the passes below
    # run until nothing changes; a step already counted adds nothing again)
    differentiable = [(s.target, [a.id for a in s.args if a.__class__ is ast.Name])
                      for s in steps if s.differentiable]
    varied = set(wrt) if kinds is None else {
        p for p in wrt if kinds[p].real or not kinds[p].array}
    changed = True
    while changed:
        size = len(varied)
        for target, names in differentiable:
            if target not in varied:
                for name in names:
                    if name in varied:
                        varied.add(target)
                        break
        for loop in loops:             # an element of a varied sequence is varied
            for element, sequence in loop_elements(loop):
                if sequence in varied:
                    varied.add(element)
        changed = len(varied) != size
    useful = {_name(o) for o in program.outputs} - {None}
    pending = differentiable[::-1]     # last to first: one pass reaches straight code's end
    changed = True
    while changed:
        size = len(useful)
        waiting = []
        for entry in pending:
            if entry[0] in useful:
                useful.update(entry[1])
            else:
                waiting.append(entry)
        pending = waiting
        for loop in loops:
            for element, sequence in loop_elements(loop):
                if element in useful:
                    useful.add(sequence)
        changed = len(useful) != size
    for step in steps:
        if step.target in useful and step.target in varied and step.custom is not None:
            _check_custom_rule(program, step, varied)
        elif step.target in useful and step.target in varied and step.rule is None \
                and step.differentiable and any(_name(a) in varied for a in step.args):
            _no_rule(program, step, varied)
    for loop in loops:
        _check_loop(program, loop, varied, useful)
    if kinds is not None:
        varied -= constant_names(program, kinds, varied)
    return Activity(list(wrt), varied, useful)


def loop_elements(loop):
    """(element, sequence) name pairs a ``for`` loop binds: ``for x in xs``,
    ``for i, x in enumerate(xs)``, ``for x, y in zip(xs, ys)``, and nestings of them."""
    if loop.kind != "for":
        return []
    return [(e, q) for e, q, _ in _elements_of(loop.target, loop.iterable)]


def scatter_pairs(loop):
    """The pairs whose element is a whole entry of its sequence, at the loop's position:
    the reverse sweep adds the element's adjoint to ``d<sequence>[k]``."""
    if loop.kind != "for":
        return []
    return [(e, q) for e, q, whole in _elements_of(loop.target, loop.iterable) if whole]


def _elements_of(target, iterable, reversed_=False):
    """(element, sequence, whole) triples; ``whole``: the element is entry k of the
    sequence on the loop's k-th iteration (not part of an entry, not reversed)."""
    if isinstance(iterable, ast.Name):
        whole = isinstance(target, ast.Name) and not reversed_
        return [(n.id, iterable.id, whole) for n in ast.walk(target) if isinstance(n, ast.Name)]
    if not isinstance(iterable, ast.Call):
        return []
    func = getattr(iterable.func, "id", None)
    if func == "enumerate" and iterable.args and isinstance(target, ast.Tuple) \
            and len(target.elts) == 2:
        return _elements_of(target.elts[1], iterable.args[0], reversed_)
    if func == "zip" and isinstance(target, ast.Tuple) and len(target.elts) == len(iterable.args):
        return [triple for t, a in zip(target.elts, iterable.args)
                for triple in _elements_of(t, a, reversed_)]
    if func == "reversed" and iterable.args:
        return _elements_of(target, iterable.args[0], True)
    return []


def _check_loop(program, loop, varied, useful):
    """A loop over an active sequence must bind its entries whole (``for x in xs``,
    ``enumerate``, ``zip``): each entry's adjoint is scattered back by position."""
    whole = scatter_pairs(loop)
    for element, sequence in loop_elements(loop):
        active = element in varied and element in useful and sequence in varied
        if not active or (element, sequence) in whole:
            continue
        raise program.parsed.error(
            ast.Expr(loop.iterable, lineno=loop.lineno),
            f"s2sdiff cannot differentiate {program.name}: a loop over the differentiated "
            f"sequence `{sequence}` written as `{ast.unparse(loop.iterable)}`",
            construct="loop over a sequence",
            hint=f"Loop over indices, `for i in range(len({sequence}))`, and read "
                 f"`{sequence}[i]`.")


def _name(atom):
    return atom.id if isinstance(atom, ast.Name) else None


def _spelled_arguments(program, step, varied):
    """The arguments of ``step`` that depend on the differentiated inputs, as the user
    wrote them (``Program.spelled``)."""
    return [program.spelled(a) for a in step.args if _name(a) in varied]


def _no_rule(program, step, varied):
    callee = step.callee
    what = Function(callee).name if callee is not None else ast.unparse(step.value)
    spelled = _spelled_arguments(program, step, varied)
    args = ", ".join(f"`{a}`" for a in spelled)
    if linalg_rules.hint_for(callee) is not None:
        hint = linalg_rules.hint_for(callee)
    elif callee in (list, tuple):
        sequence = spelled[0] if len(spelled) == 1 else "a"
        hint = (f"Write the new {callee.__name__}'s elements out, `[{sequence}[0], "
                f"{sequence}[1], ...]`, or index `{sequence}` itself.")
    elif getattr(callee, "__name__", None) == "trigamma" and callee.__module__.startswith(
            "s2sdiff"):
        hint = ("`trigamma` is what the second derivative of math.gamma and math.lgamma "
                "calls: s2sdiff differentiates them twice, not three times.")
    elif isinstance(callee, types.MethodType) and isinstance(callee.__self__, type) \
            and is_helper(callee.__func__):                   # Util.cube, a classmethod
        what = ast.unparse(step.value.func) if isinstance(step.value, ast.Call) else what
        hint = (f"`{what}` is a classmethod: s2sdiff inlines functions and staticmethods of "
                f"yours, not classmethods (which receive the class). Make it a "
                f"@staticmethod that names the class itself, or a function of its module.")
    elif is_helper(getattr(callee, "__wrapped__", None)) \
            and isinstance(getattr(step.value, "func", None), (ast.Name, ast.Attribute)):
        what = ast.unparse(step.value.func)           # @functools.lru_cache, @cache...
        hint = (f"`{what}` is your function `{callee.__wrapped__.__qualname__}` wrapped by "
                f"a decorator's `{type(callee).__module__}.{type(callee).__name__}`, whose "
                f"code s2sdiff does not read (a cache such as @functools.lru_cache also hands "
                f"back values it did not compute): call `{what}.__wrapped__(...)`, the "
                f"function itself, in the code you differentiate.")
    elif _method_of_an_object(callee, step):
        what = ast.unparse(step.value.func)           # AFFINE.loss, not module.loss
        owner, name = what.rsplit(".", 1)
        hint = (f"`{what}` is a method of `{owner}`, an object {program.name} reads from "
                f"its module or closure: s2sdiff follows methods of `self` inside a method "
                f"it differentiates (`grad({what})`), not methods of other objects.  "
                f"Differentiate the method itself, or write `{name}` as a function of the "
                f"object's data (`{name}(w, x)`, called as `{name}({owner}.w, x)`).")
    elif callee is not None and not isinstance(callee, type) and (
            not hasattr(callee, "__name__") or type(callee).__name__ == "vectorize") \
            and isinstance(getattr(step.value, "func", None), (ast.Name, ast.Attribute)):
        # a callable object (an instance with __call__, functools.partial, np.vectorize):
        # no source that s2sdiff reads, no rule
        what = ast.unparse(step.value.func)
        hint = (f"`{what}` is a {type(callee).__name__} object, whose code s2sdiff does not "
                f"read: call a function defined with `def` in your files instead (s2sdiff "
                f"inlines those), or call `{what}` only on values that do not depend on the "
                f"differentiated inputs.")
        if type(callee) is functools.partial and isinstance(callee.func, types.FunctionType):
            hint = (f"`{what}` binds arguments by position: bind them by keyword "
                    f"(functools.partial({callee.func.__name__}, name=value)), which s2sdiff "
                    f"reads, or call {callee.func.__name__} with all its arguments.")
    elif callable(callee) and hasattr(callee, "__code__"):
        hint = (f"s2sdiff inlines your own functions, not those of the standard library or "
                f"of installed packages: write `{what}` as a function of your own with "
                f"supported operations, or call it only on values that do not depend on the "
                f"differentiated inputs.")
    else:
        hint = (f"Write `{what}` with supported operations (README lists them), or call it "
                f"only on values that do not depend on the differentiated inputs.")
    why = no_rule_hint(callee)                # left out on purpose: complex, lists of parts
    if why is not None:
        hint = why[1]
    headline, construct = f"has no derivative rule for `{what}`", f"call to {what}"
    origin = Origin.of(program) if (getattr(callee, "__module__", None) or "").startswith(
        "s2sdiff.") else None
    if origin is not None:             # a second derivative through norm_jvp, eigvalsh_jvp
        filename, _, _ = origin.where
        lineno = origin.line(step.lineno)
        raise UnsupportedError(
            f"s2sdiff cannot differentiate {origin.user_name} twice: its derivative calls "
            f"s2sdiff's `{callee.__name__}`, which has no derivative of its own"
            + ("" if why is None else f" ({why[0]})"),
            filename=filename, lineno=lineno,
            source_line=linecache.getline(filename, lineno).rstrip("\n"),
            construct=f"second derivative through {callee.__name__}", hint=hint)
    if _method_of_an_object(callee, step):
        headline = f"does not follow the method call `{what}(...)` of an object"
        construct = f"method call `{what}(...)` of an object"
    raise program.parsed.error(
        ast.Expr(step.value, lineno=step.lineno),
        f"s2sdiff {headline}, which {program.name} applies to "
        f"{args} (a value that depends on the differentiated inputs)"
        + ("" if why is None else f": {why[0]}"),
        construct=construct, hint=hint)


def _method_of_an_object(callee, step):
    """Whether ``step`` calls ``obj.m(...)``, a method written in Python of an object
    (not of a class or module) that the function reads from outside."""
    return isinstance(callee, types.MethodType) and isinstance(
        callee.__func__, types.FunctionType) and not isinstance(
        callee.__self__, (type, types.ModuleType)) and isinstance(
        getattr(step.value, "func", None), ast.Attribute)


def _check_custom_rule(program, step, varied):
    """A custom_vjp/custom_jvp wrapper applied to a varied value must have its rule."""
    name = custom.spelled(step)
    args = ", ".join(f"`{a}`" for a in _spelled_arguments(program, step, varied))
    wrapper = step.custom
    jvps = getattr(wrapper, "jvps", None)
    if wrapper.defined and (jvps is None or len(jvps) == len(step.args)):
        return
    if not wrapper.defined:
        problem = f"`{name}` is a {wrapper.kind} function whose rule was never defined"
    else:
        problem = (f"`{name}.defjvps` was given {len(jvps)} function"
                   f"{'' if len(jvps) == 1 else 's'} (one per argument), but {program.name} "
                   f"calls `{name}` with {len(step.args)} arguments")
    raise program.parsed.error(
        ast.Expr(step.value, lineno=step.lineno),
        f"s2sdiff has no derivative rule for `{name}`, which {program.name} applies to {args} "
        f"(a value that depends on the differentiated inputs): {problem}",
        construct=f"call to {name}",
        hint=f"Before differentiating {program.name}, {custom.signature_to_write(step)}.")


def format_activity(facts):
    """The analysis as text, for pass-level tests: the parameters ``wrt`` in order, then the
    *active* names (varied and useful), those only varied and those only useful, each
    line sorted."""
    lines = [f"wrt: {', '.join(facts.wrt)}"]
    for label, names in (("active", facts.varied & facts.useful),
                         ("varied only", facts.varied - facts.useful),
                         ("useful only", facts.useful - facts.varied)):
        lines.append(f"{label}: {', '.join(sorted(names)) or '-'}")
    return "\n".join(lines)
