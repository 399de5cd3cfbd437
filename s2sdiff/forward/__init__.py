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
is computed once, into ``d<target>_d<arg>`` (``dinvden_dden = -1.0 / den / den``).
A tangent name the function already uses gets ``_2``, ``_3``... (``program.namer``).
The listing is naive (``1 * x_dot``, ``dxpy_dx = 1 * dx_dx``); ``optimize`` folds it.
"""

import ast
import copy
import functools
import operator

from .. import array_context, custom
from ..activity import _loop_elements, analyze
from ..build import Expr, as_node
from ..listing import Block, Line, Listing, assign, header
from ..modules import ModuleAliases
from ..ir import If, Jump, Loop, Passive, Step, store_names
from .. import rules
from ..rules import Structural, Syntax
from ..emit import sequence_parameters
from ..optimize import fold
from . import arrays


def _is_atom(node):
    return isinstance(node, (ast.Name, ast.Constant))


def forward(program, activity, *, jvp=False, with_value=False, single=False, name=None):
    """The forward-mode ``Listing`` of ``program`` along ``activity.wrt``."""
    modules = ModuleAliases(program)
    kinds = getattr(program, "kinds", None)     # NumPy code, specialised on shapes
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
        written_into = {s.target for s in program.steps if s.mutates}
        for p in activity.wrt:
            if p in written_into and kinds and kinds[p].array:   # never the caller's array
                listing.body.append(Line(assign(tangent(p, None), ast.Call(ast.Attribute(
                    ast.Name(tangent(p, None), ast.Load()), "copy", ast.Load()), [], []))))
        listing.signature = ast.arguments(posonlyargs=[], args=[ast.arg(p) for p in params],
                                          vararg=None, kwonlyargs=[], kw_defaults=[],
                                          kwarg=None, defaults=[])
    else:
        sequences = sequence_parameters(program)
        for p in activity.wrt:
            if p in sequences:
                raise program.parsed.error(
                    program.parsed.node, f"s2sdiff cannot differentiate {program.name} in forward "
                    f"mode with respect to the list `{p}`: one derivative per element",
                    construct="forward mode over a list parameter",
                    hint=f"Use grad or jacrev (reverse mode), or jvp with a tangent list for {p}.")
        directions = [(p, analyze(program, [p])) for p in activity.wrt]
        for p, _ in directions:
            listing.body.append(Line(assign(tangent(p, p), ast.Constant(1.0))))
    for direction, facts in directions:
        # a parameter a loop reassigns from another one varies along it from then on
        seeded = activity.wrt if direction is None else [direction]
        for p in program.params:
            if p not in seeded and facts.is_active(ast.Name(p)):
                listing.body.append(Line(assign(tangent(p, direction), ast.Constant(0.0))))

    def zero_of(name):
        """A zero tangent: ``0.0``, or zeros of the array's shape in NumPy code."""
        if kinds and name in kinds and kinds[name].array:
            return arrays.zeros_of(modules, name)
        return ast.Constant(0.0)

    def step_tangents(item, out):
        own = item.target in [getattr(a, "id", None) for a in item.args]
        if own and isinstance(item.rule, rules.Partials):
            # `p = p * xpk` in a loop: the tangents read the old p, so they come first
            tangents = []
            step_tangents_after(item, tangents)
            out += tangents[1:] + tangents[:1]
            return
        step_tangents_after(item, out)

    def step_tangents_after(item, out):
        out.append(Line(item.statement, item.number))
        active = [(d, facts) for d, facts in directions if facts.is_active(ast.Name(item.target))]
        if not active:
            return
        if item.rule is None and not item.differentiable:
            # a constant (np.zeros(n)) that a later assignment into it makes vary
            for direction, _ in active:
                out.append(Line(assign(tangent(item.target, direction), zero_of(item.target)),
                                item.number))
            return
        if isinstance(item.rule, Structural):
            _structural_tangents(program, item, active, tangent, out)
            return
        if item.custom is not None:          # the user's rule, called visibly (custom.py)
            _custom_tangents(program, item, active, tangent, out)
            return
        if isinstance(item.rule, rules.ArrayRule):     # NumPy rows: arrays.tangent_of_row
            for direction, facts in active:
                array_context.refuse_varied_options(program, item, facts.is_active)
            for direction, facts in active:
                def of(atom, direction=direction, facts=facts):
                    if isinstance(atom, ast.Name) and facts.is_active(atom):
                        return ast.Name(tangent(atom.id, direction), ast.Load())
                    return None
                value = arrays.tangent_of_row(item, kinds, modules, of)
                out.append(Line(assign(tangent(item.target, direction), value), item.number))
            return
        m = array_context.array_namespace(modules, kinds, item) if kinds else modules.namespace_for(item)
        arguments = array_context.partial_arguments(modules, kinds, item) if kinds else None
        may_raise = array_context.partials_may_raise(kinds, item, m) if kinds else None
        partials = [as_node(p) for p in modules.partials(item, m, arguments, may_raise)]
        for i, atom in enumerate(item.args):
            users = sum(facts.is_active(atom) for _, facts in active)
            if users > 1 and not _is_atom(fold(copy.deepcopy(partials[i]))):
                # A partial shared by several directions is computed once: d<target>_d<arg>.
                shared = tangent((item.target, atom.id, i), "partial")
                out.append(Line(assign(shared, partials[i]), item.number))
                partials[i] = ast.Name(shared, ast.Load())
        for direction, facts in active:
            terms = [Expr(copy.deepcopy(partial)) * Expr.name(tangent(atom.id, direction))
                     for atom, partial in zip(item.args, partials) if facts.is_active(atom)]
            # a name assigned in several places (a branch, a loop) may get a constant here
            value = functools.reduce(operator.add, terms) if terms else Expr(zero_of(item.target))
            if terms and kinds:          # broadcasting: a tangent has its value's shape
                value = arrays.spread_tangent(modules, kinds, item, [
                    (p, a) for a, p in zip(item.args, partials) if facts.is_active(a)], value)
            out.append(Line(assign(tangent(item.target, direction), value.node), item.number))

    def items_with_tangents(items):
        out = []
        for item in items:
            if isinstance(item, Step):
                step_tangents(item, out)
            elif isinstance(item, Passive):
                out.append(Line(item.stmt))
            elif isinstance(item, Jump):
                out.append(Line(ast.Break() if item.kind == "break" else ast.Continue()))
            elif isinstance(item, If):
                out.append(Block(ast.If(item.test, [], []), items_with_tangents(item.body),
                                 items_with_tangents(item.orelse)))
            elif isinstance(item, Loop):
                for name in item.unbound:       # unassigned until an iteration assigns it
                    out.append(Line(assign(name, ast.Constant(0.0))))
                    for direction, facts in directions:
                        if facts.is_active(ast.Name(name)):
                            out.append(Line(assign(tangent(name, direction), zero_of(name))))
                head, body = _loop_head(item), items_with_tangents(item.body)
                pairs = [(e, q, d) for e, q in _loop_elements(item) for d, facts in directions
                         if facts.is_active(ast.Name(e)) and facts.is_active(ast.Name(q))]
                own_index = _enumerate_index(head)
                if pairs and own_index:     # for i, x in enumerate(xs): x_dot = xs_dot[i]
                    index = own_index
                elif pairs:                 # for k, x in enumerate(xs): x_dot = xs_dot[k]
                    index = program.namer.fresh("k")
                    head.target = ast.Tuple([ast.Name(index, ast.Store()), head.target],
                                            ast.Store())
                    head.iter = ast.Call(ast.Name("enumerate", ast.Load()), [head.iter], [])
                if pairs:
                    body[:0] = [Line(assign(tangent(e, d), ast.Subscript(
                        ast.Name(tangent(q, d), ast.Load()), ast.Name(index, ast.Load()),
                        ast.Load()))) for e, q, d in pairs]
                # a target the body makes active, bound to a constant: its tangent restarts at 0
                from_sequence = {(e, d) for e, _, d in pairs}
                body[:0] = [Line(assign(tangent(name, d), zero_of(name)))
                            for name in store_names(item.target) for d, facts in directions
                            if facts.is_active(ast.Name(name)) and (name, d) not in from_sequence]
                out.append(Block(head, body))
        return out

    for name in program.unbound:          # copied on paths where the user never reads it
        listing.body.append(Line(assign(name, ast.Constant(0.0))))
        for direction, facts in directions:
            if facts.is_active(ast.Name(name)):
                listing.body.append(Line(assign(tangent(name, direction), zero_of(name))))
    listing.body += items_with_tangents(program.body)

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
    listing.injected = {**modules.injected(), **_injected_names(program)}
    return listing


def _structural_tangents(program, step, active, tangent, out):
    """Tangents of moving values (an element's tangent is the tangent's element) and of a
    call of the user's function (its generated jvp, ``t, t_dot = jvp_g(x, y, x_dot)``)."""
    key = step.rule.key
    if key != Syntax("call"):
        for direction, facts in active:
            _sequence_tangents(step, direction, facts, tangent, out)
        return
    from ..api import jvp_of                # the pipeline, run again on the callee
    import inspect
    params = list(inspect.signature(step.callee).parameters)
    for k, (direction, facts) in enumerate(active):
        wrt = [p for p, a in zip(params, step.args) if facts.is_active(a)]
        target = tangent(step.target, direction)
        if not wrt:
            out.append(Line(assign(target, ast.Constant(0.0)), step.number))
            continue
        generated = jvp_of(step.callee, wrt)
        injected = _injected_names(program)
        name = next((n for n, f in injected.items() if f is generated), None)
        if name is None:
            base = step.callee.__name__
            name = program.namer.fresh(f"jvp_{base}" if base.isidentifier() else "jvp")
            injected[name] = generated
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


def _sequence_tangents(step, direction, facts, tangent, out):
    """A list's tangent is a list of its elements' tangents (``0.0`` for a constant one):
    ``v_dot = [x_dot, 0.0]``, ``t_dot = v_dot[i]``, ``v_dot[i] = e_dot``,
    ``v_dot.append(e_dot)``."""
    key = step.rule.key

    def of(atom):
        if facts.is_active(atom):
            return ast.Name(tangent(atom.id, direction), ast.Load())
        return ast.Constant(0.0)
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


def _enumerate_index(head):
    """``i`` of ``for i, x in enumerate(xs)`` (no start): already the element's index."""
    if not isinstance(head, ast.For):
        return None
    it, target = head.iter, head.target
    if isinstance(it, ast.Call) and getattr(it.func, "id", None) == "enumerate" \
            and len(it.args) == 1 and not it.keywords and isinstance(target, ast.Tuple) \
            and isinstance(target.elts[0], ast.Name):
        return target.elts[0].id
    return None


def _injected_names(program):
    if not hasattr(program, "_jvp_callees"):
        program._jvp_callees = {}
    return program._jvp_callees


def _loop_head(loop):
    if loop.kind == "for":
        return ast.For(copy.deepcopy(loop.target), copy.deepcopy(loop.iterable), [], [], lineno=0)
    test = copy.deepcopy(loop.test) if loop.test is not None else ast.Constant(True)
    return ast.While(test, [], [])


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
            listing.append(Line(assign(target, value.node), step.number))
            continue
        call = custom.jvp_call(step, [t or ast.Constant(0.0) for t in tangents])
        primal = step.target if k == 0 else program.namer.discard()
        line = Line(custom.unpack([primal, target], call), step.number)
        if k == 0:
            listing[-1] = line          # replaces `target = f(x, y)`
        else:
            listing.append(line)


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
