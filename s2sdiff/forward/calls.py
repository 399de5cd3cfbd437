"""Tangents of the steps without partials: lists, calls of the user's functions, custom rules.

* A list's tangent is a list of its elements' tangents (``0.0`` for a constant one):
  ``v_dot = [x_dot, 0.0]``, ``t_dot = v_dot[i]``, ``v_dot[i] = e_dot``,
  ``v_dot.append(e_dot)``.
* A call of the user's function ``g`` calls its generated jvp along the active arguments:
  ``t, t_dot = jvp_g(x, y, x_dot)`` replaces ``t = g(x, y)``; each generated jvp is
  bound under one name however many calls use it (``CalleeJvps``).
* A call of a ``custom_jvp`` wrapper calls the user's rule visibly (``custom.py``); of a
  ``custom_vjp`` wrapper on an active value, it is an ``UnsupportedError``.

Each function appends to ``out``, the lines of the step, whose last line is the step's
own statement when it is called; a call computing the value and its tangent together
replaces that line (later directions call it again, discarding the value).
"""

import ast
import copy
import functools
import inspect
import operator

from .. import custom, extrema, sorting
from ..build import Expr
from ..emit import Later
from .arrays import zeros_of
from ..listing import Line, assign
from ..rules import Syntax
from ..runtime import zeros_like


class CalleeJvps:
    """The generated jvps of the user's functions the program calls, by the name the
    generated code calls them (``injected``); ``jvp_of(func, wrt)`` generates one."""

    def __init__(self, namer, jvp_of, own_name=None):
        self.namer = namer
        self.jvp_of = jvp_of
        self.injected = {}
        self.own_name = own_name      # the generated function's name: a call of itself only

    def name(self, func, wrt):
        """The name of the generated jvp of ``func`` along its parameters ``wrt``."""
        generated = self.jvp_of(func, wrt)
        name = next((n for n, f in self.injected.items() if f is generated), None)
        if name is None:
            base = func.__name__
            name = self.namer.fresh(f"jvp_{base}" if base.isidentifier() else "jvp")
            if name == self.own_name and not isinstance(generated, Later):
                # the jvp of the same function along other parameters (a recursive call
                # whose `n // 2` is not varied): the own name would call itself
                name = self.namer.fresh(name)
            self.injected[name] = generated
        return name


def structural_tangents(program, step, active, tangent, callees, out, modules=None,
                        zero=lambda name: ast.Constant(0.0)):
    """Tangents of moving values (an element's tangent is the tangent's element) and of a
    call of the user's function (its generated jvp, ``t, t_dot = jvp_g(x, y, x_dot)``);
    ``zero(name)``: the zero tangent of ``name`` (a sequence's is a sequence)."""
    key = step.rule.key
    if key in extrema.FORMS:                 # max(xs) of a list (extrema.py)
        extrema.tangents(program, step, active, tangent, out)
        return
    if key == sorting.KEY:                   # sorted(xs) (sorting.py)
        sorting.tangents(program, modules, step, active, tangent, out)
        return
    if key != Syntax("call"):
        zero = _zero_rows(program, modules)
        for direction, facts in active:
            _sequence_tangents(step, direction, facts, tangent, out, zero)
        return
    params = list(inspect.signature(step.callee).parameters)
    for k, (direction, facts) in enumerate(active):
        wrt = [p for p, a in zip(params, step.args) if facts.is_active(a)]
        target = tangent(step.target, direction)
        if not wrt:
            out.append(Line(assign(target, zero(step.target)), step.number))
            continue
        name = callees.name(step.callee, wrt)
        tangents = [ast.Name(tangent(a.id, direction), ast.Load())
                    for a in step.args if facts.is_active(a)]
        call = ast.Call(ast.Name(name, ast.Load()),
                        [copy.deepcopy(a) for a in step.args] + tangents, [])
        primal = step.target if k == 0 else program.namer.discard()
        line = Line(ast.Assign([ast.Tuple([ast.Name(primal, ast.Store()),
                                           ast.Name(target, ast.Store())], ast.Store())],
                               call, lineno=0), step.number)
        if k == 0:
            out[-1] = line               # replaces `target = g(x, y)`
        else:
            out.append(line)


def _zero_rows(program, modules):
    """``zero(atom)``: the tangent of a constant element put in a list, ``zeros_like(row)``
    for a list or tuple the function builds (a row of a list of lists, a state ``(1.0,
    0.0)`` put in a list of states: its tangent is indexed),
    zeros of an array's shape in NumPy code, else None (``0.0``)."""
    lists = getattr(program, "built_lists", None)
    if lists is None:
        display = Syntax("display")
        lists = program.built_lists = {s.target for s in program.steps
                                       if s.rule is not None and s.rule.key == display
                                       and isinstance(s.value, (ast.List, ast.Tuple))
                                       or getattr(s, "callee", None) is zeros_like}
    kinds = program.kinds or {}
    if not (lists or kinds) or modules is None:
        return lambda atom: None

    def zero(atom):
        if isinstance(atom, ast.Name) and atom.id in lists:
            return ast.Call(ast.Name(modules.helper(zeros_like), ast.Load()),
                            [ast.Name(atom.id, ast.Load())], [])
        if isinstance(atom, ast.Name) and getattr(kinds.get(atom.id), "array", False):
            return zeros_of(modules, atom.id)     # `W @ hs_dot[0]` needs an array
        return None
    return zero


def _sequence_tangents(step, direction, facts, tangent, out, zero=lambda atom: None):
    """A list's tangent is a list of its elements' tangents (``0.0`` for a constant one):
    ``v_dot = [x_dot, 0.0]``, ``t_dot = v_dot[i]``, ``v_dot[i] = e_dot``,
    ``v_dot.append(e_dot)``."""
    key = step.rule.key

    def of(atom):
        if facts.is_active(atom):
            return ast.Name(tangent(atom.id, direction), ast.Load())
        return zero(atom) or ast.Constant(0.0)
    target = tangent(step.target, direction)
    if key == Syntax("display"):
        value = type(step.value)([of(a) for a in step.args], ast.Load())
        out.append(Line(assign(target, value), step.number))
    elif key == Syntax("getitem"):
        sequence, index = step.args
        value = ast.Subscript(of(sequence), copy.deepcopy(index), ast.Load()) \
            if facts.is_active(sequence) else ast.Constant(0.0)
        out.append(Line(assign(target, value), step.number))
    elif key == Syntax("setitem"):
        _, index, element = step.args
        out.append(Line(ast.Assign([ast.Subscript(ast.Name(target, ast.Load()),
                                                  copy.deepcopy(index), ast.Store())],
                                   of(element), lineno=0), step.number))
    elif key == Syntax("append"):
        _, element = step.args
        out.append(Line(ast.Expr(ast.Call(ast.Attribute(ast.Name(target, ast.Load()), "append",
                                                        ast.Load()), [of(element)], [])),
                        step.number))
    elif key == Syntax("array setitem"):
        element = step.args[1]
        index = step.store.targets[0].slice
        out.append(Line(ast.Assign([ast.Subscript(ast.Name(target, ast.Load()),
                                                  copy.deepcopy(index), ast.Store())],
                                   of(element), lineno=0), step.number))


def custom_tangents(program, step, active, tangent, out):
    """The tangent statements of a call of a custom rule, one per active direction.

    ``defjvps``: ``t(target) = f.jvps[0](t(x), target, x, y) + ...``, the terms summed like
    the rule table's; ``defjvp``: the forward statement itself becomes
    ``target, t(target) = f.jvp((x, y), (t(x), t(y)))`` (``0.0`` for an argument without
    a tangent), and every further direction calls the rule again, ``_, t(target) = ...``.
    A custom_vjp rule defines no tangents: an ``UnsupportedError``, as in JAX.
    """
    if custom.is_vjp(step):
        name = custom.spelled(step)
        args = ", ".join(f"`{program.spelled(a)}`" for a in step.args if isinstance(a, ast.Name)
                         and any(facts.is_active(a) for _, facts in active))
        raise program.parsed.error(
            ast.Expr(step.value, lineno=step.lineno),
            f"s2sdiff cannot differentiate {program.name} in forward mode: it applies `{name}` "
            f"to {args}, and `{name}` is a custom_vjp function, whose rule defines reverse "
            f"mode only", construct="custom_vjp in forward mode",
            hint=f"Use grad, value_and_grad, vjp or jacrev (reverse mode); or define the rule "
                 f"with s2sdiff.custom_jvp instead (`{name}.defjvp(...)` or "
                 f"`{name}.defjvps(...)`), which serves both modes, as in JAX.")
    for k, (direction, facts) in enumerate(active):
        tangents = [ast.Name(tangent(atom.id, direction), ast.Load()) if facts.is_active(atom)
                    else None for atom in step.args]
        target = tangent(step.target, direction)
        if custom.uses_jvps(step):
            terms = [Expr(t) for t in custom.linear_terms(step, tangents) if t is not None]
            value = functools.reduce(operator.add, terms)
            out.append(Line(assign(target, value.node), step.number))
            continue
        call = custom.jvp_call(step, [t or ast.Constant(0.0) for t in tangents])
        primal = step.target if k == 0 else program.namer.discard()
        line = Line(custom.unpack([primal, target], call), step.number)
        if k == 0:
            out[-1] = line          # replaces `target = f(x, y)`
        else:
            out.append(line)
