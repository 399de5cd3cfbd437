"""The program's statements, each step followed by its tangents: ``Sweep``.

``forward`` runs ``Sweep.lines`` over the program's body.  The program's own statements
are written by ``primal.py``, as reverse mode's forward sweep writes them; after each
step come its tangents, along each direction in which its target is active, tagged with
the step's ``(k)``:

* a step with a rule: ``t(target) = p1 * t(a1) + p2 * t(a2) + ...``, the partials from
  the rule table, one term per active argument; a partial that several directions need
  and that is more than a name or a number is computed once, into ``d<target>_d<arg>``;
  with no active argument (a name assigned in several places may get a constant here)
  the tangent is a zero: ``0.0``, or in NumPy code ``np.zeros(target.shape)``, the zero
  of the target's shape (``zero_of``); a broadcast value's tangent is spread to its shape;
* a NumPy row: the row over its operands' tangents (``arrays.py``);
* lists, calls of the user's functions and calls of custom rules: ``calls.py``;
* a step reading its own target (``p = p * xpk`` in a loop) has its tangents first, so
  that they read the old value.

In a loop, an element ``x`` of a sequence ``xs`` both active in a direction gets
``t(x) = t(xs)[k]`` at the top of the body (the loop is enumerated for ``k``, unless it
already is, ``for k, x in enumerate(xs)``); a loop target bound to a constant that the
body makes active starts each iteration at a zero tangent.  A name copied where it may be
unbound is bound to ``0.0`` first, and so is its tangent (``unbound_lines``).
"""

import ast
import copy
import functools
import operator

from .. import array_context, rules
from ..activity import loop_elements
from ..build import Expr, as_node
from ..ir import store_names
from ..listing import Block, Line, assign
from ..modules import ModuleAliases
from ..optimize import fold
from ..primal import loop_head, loop_unbound_line, primal_lines, step_line, unbound_line
from ..reverse.loops import sequences
from ..rules import Structural
from ..runtime import zeros_like
from . import arrays
from .calls import CalleeJvps, custom_tangents, structural_tangents


class Sweep:
    """The statements of a program and their tangents along ``directions``, a list of
    ``(direction, Activity along it)``: ``(None, activity)`` for a jvp, ``(p, activity
    along p)`` for each parameter ``p`` by columns.  ``tangent(name, direction)`` names a
    tangent (``names.TangentNames``); ``jvp_of(func, wrt)`` gives the generated jvp of a
    user's function the program calls, bound in the generated code under the names
    ``callees.injected`` gives."""

    def __init__(self, program, directions, tangent, jvp_of, own_name=None):
        self.program = program
        self.directions = directions
        self.tangent = tangent
        self.modules = ModuleAliases(program)
        self.kinds = program.kinds       # NumPy code, specialised on shapes
        self.callees = CalleeJvps(program.namer, jvp_of, own_name)
        self._sequences = None           # names whose values are sequences, when asked

    def lines(self, items):
        """The statements of ``items``, each step followed by its tangents."""
        return primal_lines(items, self.step_lines, self.loop_lines)

    def unbound_lines(self, names, loop=False):
        """``v = 0.0`` and ``t(v)`` a zero in each direction where ``v`` is active, for
        each name copied where it may be unbound; before a ``loop``, ``v = Unbound('v')``."""
        out = []
        for name in names:
            out.append(loop_unbound_line(self.program, name, self.modules) if loop
                       else unbound_line(name))
            for direction, facts in self.directions:
                if facts.is_active(ast.Name(name)):
                    out.append(Line(assign(self.tangent(name, direction),
                                           self.zero_of(name, unbound=loop))))
        return out

    def zero_of(self, name, unbound=False):
        """A zero tangent: ``0.0``, or zeros of the array's shape in NumPy code (of its
        kind's shape when ``name`` is ``unbound``: ``Unbound`` has none); for a sequence
        (indexed, iterated over or measured: a tuple of data copied into a loop state,
        ``state = state0``), ``zeros_like(name)``, whose entries the tangents read."""
        if self.kinds and name in self.kinds and self.kinds[name].array:
            shape = self.kinds[name].shape if unbound else None
            return arrays.zeros_of(self.modules, name, shape)
        if not self.kinds and not unbound:
            if self._sequences is None:
                self._sequences = sequences(self.program)
            if name in self._sequences:
                return ast.Call(ast.Name(self.modules.helper(zeros_like), ast.Load()),
                                [ast.Name(name, ast.Load())], [])
        return ast.Constant(0.0)

    # steps --------------------------------------------------------------------------

    def step_lines(self, step):
        """The step, then its tangents; the tangents first when they read the old value
        of the step's own target."""
        out = []
        self._step_and_tangents(step, out)
        own = step.target in [getattr(a, "id", None) for a in step.args]
        if own and isinstance(step.rule, rules.Partials):
            return out[1:] + out[:1]      # `p = p * xpk` in a loop: the tangents read the old p
        return out

    def _step_and_tangents(self, step, out):
        out.append(step_line(step))
        active = [(d, facts) for d, facts in self.directions
                  if facts.is_active(ast.Name(step.target))]
        if not active:
            return
        if step.rule is None and not step.differentiable:
            # a constant (np.zeros(n)) that a later assignment into it makes vary
            for direction, _ in active:
                out.append(Line(assign(self.tangent(step.target, direction),
                                       self.zero_of(step.target)), step.number))
            return
        if isinstance(step.rule, Structural):
            structural_tangents(self.program, step, active, self.tangent, self.callees, out,
                                self.modules, self.zero_of)
            return
        if step.custom is not None:          # the user's rule, called visibly (custom.py)
            custom_tangents(self.program, step, active, self.tangent, out)
            return
        if isinstance(step.rule, rules.ArrayRule):     # NumPy rows: arrays.tangent_of_row
            self._row_tangents(step, active, out)
            return
        self._rule_tangents(step, active, out)

    def _row_tangents(self, step, active, out):
        for direction, facts in active:
            array_context.refuse_varied_options(self.program, step, facts.is_active)
        for direction, facts in active:
            def of(atom, direction=direction, facts=facts):
                if isinstance(atom, ast.Name) and facts.is_active(atom):
                    return ast.Name(self.tangent(atom.id, direction), ast.Load())
                return None
            value = arrays.tangent_of_row(step, self.kinds, self.modules, of)
            out.append(Line(assign(self.tangent(step.target, direction), value), step.number))

    def _rule_tangents(self, step, active, out):
        modules, kinds, tangent = self.modules, self.kinds, self.tangent
        m = array_context.array_namespace(modules, kinds, step) if kinds \
            else modules.namespace_for(step)
        arguments = array_context.partial_arguments(modules, kinds, step) if kinds else None
        may_raise = array_context.partials_may_raise(kinds, step, m) if kinds else None
        partials = [as_node(p) for p in modules.partials(step, m, arguments, may_raise)]
        for i, atom in enumerate(step.args):
            users = sum(facts.is_active(atom) for _, facts in active)
            if users > 1 and not _is_atom(fold(copy.deepcopy(partials[i]))):
                # A partial shared by several directions is computed once: d<target>_d<arg>.
                shared = tangent((step.target, atom.id, i), "partial")
                out.append(Line(assign(shared, partials[i]), step.number))
                partials[i] = ast.Name(shared, ast.Load())
        for direction, facts in active:
            terms = [Expr(copy.deepcopy(partial)) * Expr.name(tangent(atom.id, direction))
                     for atom, partial in zip(step.args, partials) if facts.is_active(atom)]
            # a name assigned in several places (a branch, a loop) may get a constant here
            value = functools.reduce(operator.add, terms) if terms \
                else Expr(self.zero_of(step.target))
            if terms and kinds:          # broadcasting: a tangent has its value's shape
                value = arrays.spread_tangent(modules, kinds, step, [
                    (p, a) for a, p in zip(step.args, partials) if facts.is_active(a)], value)
            out.append(Line(assign(tangent(step.target, direction), value.node), step.number))

    # loops --------------------------------------------------------------------------

    def loop_lines(self, loop):
        """The loop with the tangents of its elements and of its constant targets at the
        top of its body, after its unbound names."""
        out = self.unbound_lines(loop.unbound, loop=True)    # no iteration assigned it yet
        head, body = loop_head(loop), self.lines(loop.body)
        pairs = [(e, q, d) for e, q in loop_elements(loop) for d, facts in self.directions
                 if facts.is_active(ast.Name(e)) and facts.is_active(ast.Name(q))]
        own_index = _enumerate_index(head)
        if pairs and own_index:     # for i, x in enumerate(xs): x_dot = xs_dot[i]
            index = own_index
        elif pairs:                 # for k, x in enumerate(xs): x_dot = xs_dot[k]
            index = self.program.namer.fresh("k")
            head.target = ast.Tuple([ast.Name(index, ast.Store()), head.target], ast.Store())
            head.iter = ast.Call(ast.Name("enumerate", ast.Load()), [head.iter], [])
        if pairs:
            body[:0] = [Line(assign(self.tangent(e, d), ast.Subscript(
                ast.Name(self.tangent(q, d), ast.Load()), ast.Name(index, ast.Load()),
                ast.Load()))) for e, q, d in pairs]
        # a target the body makes active, bound to a constant: its tangent restarts at 0
        from_sequence = {(e, d) for e, _, d in pairs}
        body[:0] = [Line(assign(self.tangent(name, d), self.zero_of(name)))
                    for name in store_names(loop.target) for d, facts in self.directions
                    if facts.is_active(ast.Name(name)) and (name, d) not in from_sequence]
        out.append(Block(head, body))
        return out


def _is_atom(node):
    return isinstance(node, (ast.Name, ast.Constant))


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
