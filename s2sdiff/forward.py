"""Forward mode: every step followed by its tangent, from the same rule table.

Given a ``Program`` in SSA form and its ``Activity``, ``forward`` produces a ``Listing``:

* every step of the program, in order, tagged ``(k)``, each followed, for each direction,
  by one statement ``t(target) = p1 * t(a1) + p2 * t(a2) + ...`` tagged with the same
  ``(k)``; the partials ``p_i`` come from the rule table, the very ones reverse mode
  reads, and ``t(a)`` is the tangent of the argument ``a`` in that direction;
* a name has a tangent in a direction only if it is active there (varied by the
  direction's parameters and reaching the output); an argument without a tangent
  contributes no term, so no ``0 * x`` is ever written (nor folded away);
* a return of the outputs' tangents (for a function returning a tuple, one row per
  output: the Jacobian); an output that does not depend on a direction returns the
  literal ``0.0`` there.

Directions:

* ``jvp=True``: one direction, chosen by the caller.  The tangent of ``v`` is ``v_dot``;
  the tangents of the parameters ``activity.wrt`` are extra parameters ``p_dot`` after
  the user's, and the listing returns ``(out, out_dot)``;
* otherwise one direction per parameter ``p`` of ``activity.wrt`` (one column of the
  Jacobian), all interleaved after each step.  The tangent of ``v`` along ``p`` is
  ``dv_dp``, seeded by ``dp_dp = 1.0``; the derivatives are returned like ``reverse``
  returns gradients (``single``, ``with_value``).

A call of a ``custom_jvp`` wrapper gets its tangents from the user's rule, called visibly
(``_custom_tangents``); a ``custom_vjp`` wrapper on an active value is an error.
A local partial that several directions need and that is more than a name or a number
is computed once, into ``d<target>_d<arg>`` (``dinvden_dden = -1.0 / den ** 2``).
A tangent name the function already uses gets ``_2``, ``_3``... (``program.namer``).
The listing is naive (``1 * x_dot``, ``dxpy_dx = 1 * dx_dx``); ``optimize`` folds it.
"""

import ast
import copy
import functools
import operator

from . import custom
from .activity import analyze
from .build import Expr, as_node
from .listing import Line, Listing, assign, header
from .modules import ModuleAliases
from .normalize import Step
from .optimize import fold


def _is_atom(node):
    return isinstance(node, (ast.Name, ast.Constant))


def forward(program, activity, *, jvp=False, with_value=False, single=False, name=None):
    """The forward-mode ``Listing`` of ``program`` along ``activity.wrt``."""
    modules = ModuleAliases(program)
    what = ("value and Jacobian-vector product" if jvp else
            "Jacobian (by columns, forward mode)" if program.returns_tuple else
            "forward-mode derivative")
    listing = Listing(name=name or f"{'jvp' if jvp else 'derivative'}_{program.name}",
                      origin=program, header=header(program, activity, what), body=[],
                      returns=None)
    tangent = _TangentNames(program, listing)
    if jvp:
        directions = [(None, activity)]
        params = program.params + [tangent(p, None) for p in activity.wrt]
        listing.signature = ast.arguments(posonlyargs=[], args=[ast.arg(p) for p in params],
                                          vararg=None, kwonlyargs=[], kw_defaults=[],
                                          kwarg=None, defaults=[])
    else:
        directions = [(p, analyze(program, [p])) for p in activity.wrt]
        for p, _ in directions:
            listing.body.append(Line(assign(tangent(p, p), ast.Constant(1.0))))

    for item in program.body:
        if not isinstance(item, Step):
            listing.body.append(Line(item.stmt))
            continue
        listing.body.append(Line(item.statement, item.number))
        active = [(d, facts) for d, facts in directions if facts.is_active(ast.Name(item.target))]
        if not active:
            continue
        if item.custom is not None:          # the user's rule, called visibly (custom.py)
            _custom_tangents(program, item, active, tangent, listing)
            continue
        m = modules.namespace_for(item)
        partials = [as_node(p) for p in
                    item.rule.partials(m, Expr.name(item.target), *map(Expr, item.args))]
        for i, atom in enumerate(item.args):
            users = sum(facts.is_active(atom) for _, facts in active)
            if users > 1 and not _is_atom(fold(copy.deepcopy(partials[i]))):
                # A partial shared by several directions is computed once: d<target>_d<arg>.
                shared = tangent((item.target, atom.id, i), "partial")
                listing.body.append(Line(assign(shared, partials[i]), item.number))
                partials[i] = ast.Name(shared, ast.Load())
        for direction, facts in active:
            terms = [Expr(copy.deepcopy(partial)) * Expr.name(tangent(atom.id, direction))
                     for atom, partial in zip(item.args, partials) if facts.is_active(atom)]
            value = functools.reduce(operator.add, terms)
            listing.body.append(Line(assign(tangent(item.target, direction), value.node),
                                     item.number))

    def tangent_of(output, direction, facts):
        if facts.is_active(output):
            return ast.Name(tangent(output.id, direction), ast.Load())
        return ast.Constant(0.0)

    def packed(values):
        return ast.Tuple(values, ast.Load()) if program.returns_tuple else values[0]

    if jvp:
        facts = directions[0][1]
        listing.returns = ast.Tuple([packed(program.outputs),
                                     packed([tangent_of(o, None, facts) for o in program.outputs])],
                                    ast.Load())
    else:
        rows = []
        for output in program.outputs:     # one row of the Jacobian per output
            row = [tangent_of(output, d, facts) for d, facts in directions]
            rows.append(row[0] if single else ast.Tuple(row, ast.Load()))
        result = packed(rows)
        listing.returns = ast.Tuple([program.output, result], ast.Load()) if with_value else result
    listing.injected = modules.injected()
    return listing


def _custom_tangents(program, step, active, tangent, listing):
    """The tangent statements of a call of a custom rule, one per active direction.

    ``defjvps``: ``t(target) = f.jvps[0](t(x), target, x, y) + ...``, the terms summed like
    the rule table's; ``defjvp``: the forward statement itself becomes
    ``target, t(target) = f.jvp((x, y), (t(x), t(y)))`` (``0.0`` for an argument without
    a tangent), and every further direction calls the rule again, ``_, t(target) = ...``.
    A custom_vjp rule defines no tangents: an ``UnsupportedError``, as in JAX.
    """
    if custom.is_vjp(step):
        name = custom.spelled(step)
        args = ", ".join(a.id for a in step.args if isinstance(a, ast.Name)
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
            listing.body.append(Line(assign(target, value.node), step.number))
            continue
        call = custom.jvp_call(step, [t or ast.Constant(0.0) for t in tangents])
        primal = step.target if k == 0 else program.namer.discard()
        line = Line(custom.unpack([primal, target], call), step.number)
        if k == 0:
            listing.body[-1] = line          # replaces `target = f(x, y)`
        else:
            listing.body.append(line)


class _TangentNames:
    """``v_dot`` (the jvp direction) or ``dv_dp`` (along ``p``); ``_2``... when taken."""

    def __init__(self, program, listing):
        self.program = program
        self.listing = listing

    def __call__(self, name, direction):
        names = self.listing.adjoints
        key = (name, direction)
        if key not in names:
            if direction == "partial":            # the local partial d target / d arg
                names[key] = self.program.namer.fresh(f"d{name[0]}_d{name[1]}")   # one per position
                self.listing.kept.add(names[key])
                return names[key]
            preferred = f"{name}_dot" if direction is None else f"d{name}_d{direction}"
            names[key] = self.program.namer.fresh(preferred)
            if name not in self.program.temps:
                self.listing.kept.add(names[key])     # the user will look for it
        return names[key]
