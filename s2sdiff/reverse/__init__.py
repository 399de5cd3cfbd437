"""Reverse mode: the forward sweep followed by the reverse sweep, seed-002 style.

Given a ``Program`` in SSA form and its ``Activity``, ``reverse`` produces a ``Listing``:

* the forward sweep: every step of the program, in order, tagged ``(k)``;
* ``d<out> = 1.0``, the seed of the output's adjoint; with ``cotangents=True`` (``vjp``)
  the seeds are instead extra parameters, one per output, named like the outputs'
  adjoints, and every requested gradient is returned in a tuple;
* for each active step, last to first: a ``# backprop <step>`` comment, then for each
  active argument ``a`` one statement ``da = partial * d<target>`` the first time ``da``
  is written and ``da += partial * d<target>`` after that, tagged with the step's ``(k)``;
  the partials come from the rule table;
* a call of a ``custom_vjp`` wrapper runs ``t, t_res = f.fwd(...)`` in the forward sweep
  and ``f.bwd(t_res, dt)`` in the reverse sweep; a ``custom_jvp`` call contributes through
  its rule (``custom.py`` spells these calls out), accumulated like any other contribution;
* ``dp = 0.0`` for a requested parameter that does not reach the output;
* a return of the requested gradients (and the value, for ``value_and_grad``).

* an ``if`` becomes an ``if`` on the same condition in the reverse sweep, its arms
  reversed; a loop becomes a loop running backwards (``reversed(range(n))``, or
  ``range(trips)`` when it may have stopped early), each iteration popping the values it
  starts from and recomputing what its reverse reads (``_Sweeps``); a call of the user's
  function becomes a call of its generated pullback (``pullback_g(x, dt)``);
* ``v[i] = e`` gives ``de += dv[i]; dv[i] = 0.0`` (then ``v[i]`` gets its old value back)
  and ``v.append(e)`` gives ``de += dv.pop(); v.pop()``.

The listing is deliberately naive (``1 * dden``, ``dxpy = 2 * xpy ** (2 - 1) * ...``);
``optimize`` folds it.  The adjoint of ``v`` is named ``dv`` unless that name is taken.
"""

import ast
import contextlib
import copy
import keyword

from .. import custom
from . import arrays, loops
from ..build import Expr, as_node, unparse
from ..listing import Block, Comment, Line, Listing, accumulate, assign, header
from ..modules import ModuleAliases
from ..ir import If, Jump, Loop, Passive, Step, has_control_flow, store_names, walk_items, walk_steps
from ..rules import ARRAY_SETITEM, Structural
from ..runtime import add_sequences, zeros_like
from ..optimize import fold


def reverse(program, activity, *, with_value=False, single=False, name=None, cotangents=False,
            bare=False):
    """The gradient ``Listing`` of ``program`` for the parameters in ``activity.wrt``;
    ``bare``: a single gradient is returned alone even with ``cotangents``."""
    if getattr(program, "kinds", None) is not None and not has_control_flow(program.body):
        listing = _reverse_arrays(program, activity, with_value=with_value, single=single,
                                  name=name, cotangents=cotangents)
        if bare and isinstance(listing.returns, ast.Tuple) and len(listing.returns.elts) == 1:
            listing.returns = listing.returns.elts[0]
        return listing
    listing = Listing(name=name or f"grad_{program.name}", origin=program,
                      header=header(program, activity, "vector-Jacobian product" if cotangents else
                                    "value and gradient" if with_value else "gradient"),
                      body=[], returns=None)
    sweep = _Sweeps(program, activity, listing)
    listing.body = sweep.forward(program.body, taping=True)
    # copied on paths where the user's code never reads them: the copy must not raise
    listing.body[:0] = [Line(assign(name, ast.Constant(0.0))) for name in program.unbound]
    if sweep.tape_used:
        listing.body.insert(0, Line(assign(sweep.tape, ast.List([], ast.Load()))))
    value = program.output
    if with_value and isinstance(value, ast.Name) and any(
            isinstance(item, Loop) for item in walk_items(program.body)):
        # the reverse sweep restores loop variables to their earlier values: keep the result
        value = ast.Name(program.namer.fresh(f"{value.id}_value"), ast.Load())
        listing.body.append(Line(assign(value.id, program.output)))
    if cotangents:
        seeds = _seed_parameters(program, activity, sweep.adjoint, sweep.written)
        listing.signature = ast.arguments(
            posonlyargs=[], args=[ast.arg(p) for p in program.params + seeds], vararg=None,
            kwonlyargs=[], kw_defaults=[], kwarg=None, defaults=[])
        for output, seed in zip(program.outputs, seeds):
            if activity.is_active(output) and sweep.adjoint(output.id) != seed:
                sweep.write(output, Expr.name(seed), None, listing.body)
    elif activity.is_active(program.output):
        listing.body.append(Comment("reverse sweep: the output's adjoint starts at 1"))
        sweep.write(program.output, Expr(ast.Constant(1.0)), None, listing.body)
    listing.body += sweep.backward(program.body)
    for param in activity.wrt:
        if sweep.adjoint(param) not in sweep.written:
            listing.body.append(Comment(f"{param} does not reach the output"))
            sweep.write(ast.Name(param), Expr(sweep.zero(param)), None, listing.body)
    if sweep.arrays is not None:
        sweep.arrays.written = sweep.written
        sweep.arrays.finish(activity.wrt)      # every gradient with its parameter's shape
    grads = [ast.Name(sweep.adjoint(p), ast.Load()) for p in activity.wrt]
    result = grads[0] if (single and not cotangents) or (bare and len(grads) == 1) \
        else ast.Tuple(grads, ast.Load())
    listing.returns = ast.Tuple([value, result], ast.Load()) if with_value else result
    listing.injected = {**sweep.modules.injected(), **sweep.pullbacks}
    return listing


def _reverse_arrays(program, activity, *, with_value=False, single=False, name=None,
                    cotangents=False):
    """``reverse`` of straight-line NumPy code, specialised on argument kinds (arrays.py)."""
    modules = ModuleAliases(program)
    listing = Listing(name=name or f"grad_{program.name}", origin=program,
                      header=header(program, activity, "vector-Jacobian product" if cotangents else
                                    "value and gradient" if with_value else "gradient"),
                      body=[], returns=None)
    adjoint = _AdjointNames(program, listing)
    residuals = {}     # target of an active custom_vjp call -> its residuals' name
    for item in program.body:
        if hasattr(item, "target") and custom.is_vjp(item) and _active(item, activity):
            residuals[item.target] = program.namer.fresh(f"{item.target}_res")
            listing.body.append(Line(custom.vjp_forward(item, residuals[item.target]), item.number))
            continue
        listing.body.append(Line(item.statement, item.number) if hasattr(item, "target")
                            else Line(item.stmt))
    written = set()

    def write(atom, value, tag, note=None):
        target = adjoint(atom.id)
        make = accumulate if target in written else assign
        written.add(target)
        listing.body.append(Line(make(target, value.node), tag, note))

    backprop = None
    if getattr(program, "kinds", None) is not None:     # NumPy arrays: see arrays.py
        backprop = arrays.Backprop(program, activity, listing, adjoint, modules, _explain)
        written, write = backprop.written, backprop.write

    if cotangents:
        seeds = _seed_parameters(program, activity, adjoint, written)
        listing.signature = ast.arguments(
            posonlyargs=[], args=[ast.arg(p) for p in program.params + seeds], vararg=None,
            kwonlyargs=[], kw_defaults=[], kwarg=None, defaults=[])
        for output, seed in zip(program.outputs, seeds):
            if activity.is_active(output) and adjoint(output.id) != seed:
                write(output, Expr.name(seed), None)
    elif activity.is_active(program.output):
        listing.body.append(Comment("reverse sweep: the output's adjoint starts at 1"))
        write(program.output, Expr(ast.Constant(1.0)), None)
    for step in reversed(program.steps):
        if step.rule is ARRAY_SETITEM:         # a[idx] = e: its adjoint, then a's old values
            backprop.set_item(step, _active(step, activity))
            continue
        if isinstance(step.rule, Structural):
            raise program.parsed.error(
                ast.Expr(step.value, lineno=step.lineno),
                f"s2sdiff cannot differentiate {program.name}: {step.rule.name} in NumPy "
                f"code", construct=step.rule.name,
                hint="Build arrays with NumPy functions (np.stack, np.concatenate, np.where).")
        if not _active(step, activity):
            continue
        if backprop is not None and step.custom is None and (
                step.rule is None or not any(activity.is_active(a) for a in step.args)):
            continue        # `y = np.zeros(3)`, active only by a later `y[i] = e`
        listing.body.append(Comment(f"backprop {unparse(step.statement)}"))
        d_target = Expr.name(adjoint(step.target))
        if step.custom is not None:          # the user's rule, called visibly (custom.py)
            _backprop_custom(step, activity, d_target, residuals.get(step.target), adjoint,
                             written, write, listing.body, listing)
            continue
        if backprop is not None:
            backprop.step(step, _explain)
            continue
        partials = modules.partials(step, modules.namespace_for(step))
        for atom, partial in zip(step.args, partials):
            if activity.is_active(atom):
                write(atom, partial * d_target, step.number, _explain(step, atom, partial))
    for param in activity.wrt:
        if adjoint(param) not in written and backprop is not None:
            backprop.zero(param)
        elif adjoint(param) not in written:
            listing.body.append(Comment(f"{param} does not reach the output"))
            write(ast.Name(param), Expr(ast.Constant(0.0)), None)
    if backprop is not None:
        backprop.finish(activity.wrt)
    grads = [ast.Name(adjoint(p), ast.Load()) for p in activity.wrt]
    result = grads[0] if single and not cotangents else ast.Tuple(grads, ast.Load())
    listing.returns = ast.Tuple([program.output, result], ast.Load()) if with_value else result
    listing.injected = modules.injected()
    return listing


class _Sweeps:
    """The forward and reverse sweeps of a program with blocks.

    Invariants of the code it writes:

    * at every point of the reverse sweep each name holds the value it held at the
      matching point of the forward sweep: straight-line code is in SSA form, so nothing
      is overwritten there; a loop pushes on ``tape``, at the start of each iteration,
      the carried values the reverse of that iteration reads (and nothing else), and the
      reverse of the iteration pops them, then recomputes from them the body's values it
      reads (``_recompute``), so values computed inside a loop are never stored;
    * branch decisions are not stored: the condition is a name that keeps its value;
    * ``written`` holds the adjoints that hold a value at the current point of the
      reverse sweep: the first contribution to any other is an assignment, later ones
      ``+=``; a branch where only one arm writes an adjoint gets ``d = 0.0`` before it.
    """

    def __init__(self, program, activity, listing):
        self.program = program
        self.activity = activity
        self.listing = listing
        self.modules = ModuleAliases(program)
        self.adjoint = _AdjointNames(program, listing)
        self.residuals = {}
        self.written = set()
        self.tape = program.namer.fresh("tape")
        self.tape_used = False
        self.plans = {}
        self.pullbacks = {}          # name -> generated pullback of a called user function
        self.sequences = loops.sequences(program)
        self.read_in_loops = {a.id for loop in walk_items(program.body) if isinstance(loop, Loop)
                              for s in walk_steps(loop.body) for a in s.args
                              if isinstance(a, ast.Name)}
        self.kinds = getattr(program, "kinds", None)
        self.arrays = None
        if self.kinds is not None:        # NumPy code with blocks: arrays.Backprop, plainly
            self.arrays = arrays.Backprop(program, activity, listing, self.adjoint,
                                          self.modules, _explain, plain=True)
            self.arrays.written = self.written
        self.replayable = set(program.params) | {
            s.target for s in walk_steps(program.body)
            if isinstance(s.rule, Structural) and s.rule.key == "display"}
        for item in walk_steps(program.body):
            if custom.is_vjp(item) and self.active(item) and loops.inside_block(program.body, item):
                raise program.parsed.error(
                    ast.Expr(item.value, lineno=item.lineno),
                    f"s2sdiff cannot differentiate {program.name}: a custom_vjp function "
                    f"called inside a branch or loop", construct="custom_vjp in a block",
                    hint="Call it outside the branch or loop, or give it a custom_jvp rule.")

    def active(self, step):
        return _active(step, self.activity)

    @contextlib.contextmanager
    def into(self, out):
        """Let ``arrays.Backprop`` (which appends to the listing) write into ``out``, with
        the adjoints this sweep knows are written."""
        saved = self.listing.body
        self.listing.body = out
        self.arrays.written = self.written
        try:
            yield
        finally:
            self.listing.body = saved

    def zero(self, name):
        kind = self.kinds.get(name) if self.kinds else None
        if kind is not None and kind.array:
            self.arrays.fresh_zero(self.adjoint(name), name)
            return self.arrays.np.zeros(Expr(ast.Attribute(ast.Name(name, ast.Load()), "shape",
                                                           ast.Load()))).node
        if name in self.sequences:
            zeros = self.modules.helper(zeros_like)
            return ast.Call(ast.Name(zeros, ast.Load()), [ast.Name(name, ast.Load())], [])
        return ast.Constant(0.0)

    def write(self, atom, value, tag, out, note=None, index=None):
        """Add ``value`` to the adjoint of ``atom`` (assign it if it holds nothing yet);
        ``index``: to element ``index`` of a sequence's adjoint."""
        if self.arrays is not None and index is None:
            with self.into(out):
                self.arrays.write(atom, value, tag, note)
            return
        target = self.adjoint(atom.id)
        if index is not None:
            if target not in self.written:
                out.append(Line(assign(target, self.zero(atom.id))))
                self.written.add(target)
            element = ast.Subscript(ast.Name(target, ast.Load()), copy.deepcopy(index), ast.Store())
            out.append(Line(ast.AugAssign(element, ast.Add(), as_node(value), lineno=0), tag, note))
            return
        if target in self.written and atom.id in self.sequences:    # a list: entry by entry
            add = ast.Name(self.modules.helper(add_sequences), ast.Load())
            out.append(Line(assign(target, ast.Call(add, [ast.Name(target, ast.Load()),
                                                          as_node(value)], [])), tag, note))
            return
        make = accumulate if target in self.written else assign
        self.written.add(target)
        out.append(Line(make(target, as_node(value)), tag, note))

    # the forward sweep ------------------------------------------------------------

    def forward(self, items, taping):
        """The forward statements of ``items``; ``taping``: loops push what their reverse
        reads (the forward sweep proper, and a recomputation inside a reverse loop)."""
        out = []
        for item in items:
            if isinstance(item, Step):
                if custom.is_vjp(item) and self.active(item):
                    self.residuals[item.target] = self.program.namer.fresh(f"{item.target}_res")
                    out.append(Line(custom.vjp_forward(item, self.residuals[item.target]),
                                    item.number))
                else:
                    out.append(Line(item.statement, item.number))
            elif isinstance(item, Passive):
                out.append(Line(item.stmt))
            elif isinstance(item, Jump):
                out.append(Line(ast.Break() if item.kind == "break" else ast.Continue()))
            elif isinstance(item, If):
                out.append(Block(ast.If(item.test, [], []), self.forward(item.body, taping),
                                 self.forward(item.orelse, taping)))
            elif isinstance(item, Loop):
                out += self.forward_loop(item, taping)
        return out

    def forward_loop(self, loop, taping):
        plan = self.plan(loop) if taping else None
        body = self.forward(loop.body, taping=False)
        before = []
        if plan is not None and plan.counter:
            before.append(Line(assign(plan.counter, ast.Constant(0))))
            body.insert(0, Line(ast.AugAssign(ast.Name(plan.counter, ast.Store()), ast.Add(),
                                              ast.Constant(1), lineno=0)))
        for name in loop.unbound:       # unassigned until an iteration assigns it: copies
            before.append(Line(assign(name, ast.Constant(0.0))))    # of it must not raise
        if plan is not None and plan.pushed:
            self.tape_used = True
            pushed = loops.pack(plan.pushed)
            body.insert(1 if plan.counter else 0, Line(ast.Expr(ast.Call(
                ast.Attribute(ast.Name(self.tape, ast.Load()), "append", ast.Load()),
                [pushed], []))))
        return before + [Block(loops.loop_head(loop), body)]

    # planning a loop's reverse ------------------------------------------------------

    def plan(self, loop):
        """What the reverse of ``loop`` needs: its reverse body, the recomputation, the
        values to push per iteration and whether iterations must be counted."""
        if id(loop) in self.plans:
            return self.plans[id(loop)]
        local = loops.local_names(loop)
        outside = {self.adjoint(n) for n in self._adjoint_candidates(loop) if n not in local}
        saved = self.written
        self.written = set(outside)
        if self.arrays is not None:       # written before the loop by then, full-shaped
            for name in outside:
                primal = self.adjoint.primal(name)
                if primal in self.kinds and self.kinds[primal].array:
                    self.arrays.fresh_zero(name, primal)
        try:
            reverse_body = self.backward(loop.body)
            unwritten_carried = [c for c in loop.carried
                                 if self.adjoint(c) in outside and self.adjoint(c) not in self.written
                                 and self._has_adjoint(c)]
            elements_written = {e for e, _ in self._active_sequences(loop)
                                if self.adjoint(e) in self.written}
        finally:
            self.written = saved
        touched = loops.adjoints_in(reverse_body, self.listing.derivative_names)
        counter = None
        exits = loop.exits or loop.kind == "while" or not loops.replayable(loop, self.replayable)
        if reverse_body or unwritten_carried:
            if exits:
                counter = self.program.namer.fresh("trips")
            recompute = loops.prune(loops.without_carried_writes(self.forward(loop.body, taping=True),
                                                       loop.carried), loops.loads(reverse_body))
        else:
            recompute = []
        reads = set(loops.loads(reverse_body)) | set(loops.loads(recompute))
        entry = list(loop.carried) + (store_names(loop.target) if exits else [])
        mutated = [s.target for s in walk_steps(loop.body) if s.mutates and s.target not in local]
        pushed = [n for n in entry if n in reads] + [
            loops.Snapshot(n, bool(self.kinds and n in self.kinds and self.kinds[n].array))
            for n in dict.fromkeys(mutated)
            if n in set(loops.loads(recompute)) or n in self.read_in_loops]
        sequences = self._active_sequences(loop)
        plan = loops.Plan(reverse_body, recompute, pushed, counter, elements_written,
                     [a for a in self.listing.adjoints.values() if a in touched and a in outside]
                     + [self.adjoint(c) for c in unwritten_carried],
                     unwritten_carried, sequences)
        self.plans[id(loop)] = plan
        return plan

    def _adjoint_candidates(self, loop):
        names = []
        for step in walk_steps(loop.body):
            names += [a.id for a in step.args if isinstance(a, ast.Name)]
        for item in walk_items(loop.body):
            if isinstance(item, Loop) and isinstance(item.iterable, (ast.Name, ast.Call)):
                names += [n.id for n in ast.walk(item.iterable) if isinstance(n, ast.Name)]
        names += list(loop.carried)
        names += [n.id for n in ast.walk(loop.iterable) if isinstance(n, ast.Name)] \
            if loop.iterable is not None else []
        return [n for n in dict.fromkeys(names) if self._has_adjoint(n)]

    def _has_adjoint(self, name):
        return name in self.activity.varied and name in self.activity.useful

    def _active_sequences(self, loop):
        """(element name, sequence name) for each loop element whose sequence is active."""
        pairs = loops.elements(loop)
        if pairs is None:
            return []
        return [(e, q) for e, q in pairs if self._has_adjoint(q)]

    # the reverse sweep ------------------------------------------------------------

    def backward(self, items):
        out = []
        for item in reversed(items):
            if isinstance(item, Step) and item.rule is ARRAY_SETITEM:
                with self.into(out):
                    self.arrays.set_item(item, self.active(item))
            elif isinstance(item, Step):
                if self.active(item) and (item.mutates or any(
                        self.activity.is_active(a) for a in item.args)):
                    self.backprop(item, out)
                elif not item.mutates:
                    self.written.discard(self.adjoint.get(item.target))
                elif item.saved is not None and item.rule.key == "setitem":
                    _restore(item, item.args[1], out)
                elif item.rule.key == "append":
                    _unappend(item, out)
            elif isinstance(item, If):
                out += self.backward_if(item)
            elif isinstance(item, Loop):
                out += self.backward_loop(item)
        return out

    def backward_if(self, item):
        before = set(self.written)
        # Both arms run again from the adjoints either of them wrote until they agree: an
        # adjoint may be written only once another exists (dw once dws does), so this can
        # take more than two rounds; `start` grows every round, so it ends.
        shapes = dict(self.arrays.ashape) if self.arrays is not None else None
        while True:
            start = set(self.written)
            then = self.backward(item.body)
            after_then, self.written = self.written, set(start)
            then_shapes = self._reset_shapes(shapes)
            orelse = self.backward(item.orelse)
            after_else = self.written
            else_shapes = self._reset_shapes(shapes)
            one_sided = sorted(((after_then ^ after_else) - start))
            if not one_sided:
                break
            self.written = start | set(one_sided)
        if self.arrays is not None:
            self._same_shapes([(then, then_shapes, after_then), (orelse, else_shapes, after_else)])
        # an adjoint one arm consumed (the arm assigns its name: a loop's carried name
        # before `continue`) and the other kept must be zero after the first arm
        for arm, after, other in ((then, after_then, after_else), (orelse, after_else, after_then)):
            for name in sorted((other - after) & start):
                arm.append(Line(assign(name, self.zero(self.adjoint.primal(name)))))
                after.add(name)
        if not then and not orelse:
            self.written = after_then | after_else
            return []
        inits = [Line(assign(d, self.zero(self.adjoint.primal(d)))) for d in sorted(start - before)]
        self.written = after_then | after_else
        head = ast.If(item.test, [], [])
        if not then:
            head = ast.If(ast.UnaryOp(ast.Not(), copy.deepcopy(item.test)), [], [])
            then, orelse = orelse, []
        return inits + [Block(head, then, orelse)]

    def _reset_shapes(self, shapes):
        """The adjoints' shapes an arm left (arrays.Backprop), reset to ``shapes``."""
        if self.arrays is None:
            return None
        left, self.arrays.ashape = self.arrays.ashape, dict(shapes)
        return left

    def _same_shapes(self, arms):
        """An adjoint that leaves the arms of an ``if`` with different shapes (a lazy
        ``dy = 1.0`` in one, a full array in the other) gets its full shape in every arm,
        so that the code after the ``if`` knows its shape."""
        names = sorted({n for _, shapes, _ in arms for n in shapes})
        merged = dict(arms[0][1])
        for name in names:
            if len({shapes.get(name) for _, shapes, _ in arms}) == 1 \
                    or name not in self.listing.derivative_names:
                continue
            primal = self.adjoint.primal(name)
            kind = self.kinds.get(primal)
            if kind is None or kind.shape is None:
                continue
            full = tuple(kind.shape)
            for out, shapes, written in arms:
                if name in written and shapes.get(name) != full:
                    self.arrays.ashape = shapes
                    with self.into(out):
                        self.arrays.materialize(primal, full)
            merged[name] = full
        self.arrays.ashape = merged

    def backward_loop(self, loop):
        plan = self.plan(loop)
        if not plan.reverse_body and not plan.unwritten_carried:
            return []
        out = []
        for name in plan.adjoints:
            primal = self.adjoint.primal(name)
            if name not in self.written:
                out.append(Line(assign(name, self.zero(primal))))
                self.written.add(name)
            elif self.arrays is not None and primal in self.kinds and self.kinds[primal].array:
                # the loop adds into it in place: a full-shaped array of its own first
                full = ast.BinOp(ast.Name(name, ast.Load()), ast.Add(), self.zero(primal))
                out.append(Line(assign(name, full)))
        body = []
        if plan.pushed:
            body.append(Line(ast.Assign([loops.pack(plan.pushed, ast.Store())], ast.Call(
                ast.Attribute(ast.Name(self.tape, ast.Load()), "pop", ast.Load()), [], []),
                lineno=0)))
        body += plan.recompute
        body += copy.deepcopy(plan.reverse_body)
        for carried in plan.unwritten_carried:
            body.append(Line(assign(self.adjoint(carried), self.zero(carried))))
        index = None
        if plan.sequences:
            index = self.program.namer.fresh("k")
            for element, sequence in plan.sequences:
                if self._has_adjoint(element) and element in plan.elements_written:
                    body.append(Line(ast.AugAssign(
                        ast.Subscript(ast.Name(self.adjoint(sequence), ast.Load()),
                                      ast.Name(index, ast.Load()), ast.Store()),
                        ast.Add(), ast.Name(self.adjoint(element), ast.Load()), lineno=0)))
            for _, sequence in plan.sequences:
                if self.adjoint(sequence) not in self.written:
                    out.append(Line(assign(self.adjoint(sequence), self.zero(sequence))))
                    self.written.add(self.adjoint(sequence))
        out.append(Block(loops.reverse_head(loop, plan, index), body))
        return out

    def backprop(self, step, out):
        if self.adjoint(step.target) not in self.written and not step.mutates:
            return        # nothing after it on this path reads the value: its adjoint is 0
        if step.rule is None and step.custom is None and not step.differentiable:
            self.written.discard(self.adjoint(step.target))
            return        # `c = a < b` in one arm, `c = a + b` in the other: a constant here
        out.append(Comment(f"backprop {unparse(step.statement)}"))
        d_target = Expr.name(self.adjoint(step.target))
        if step.custom is not None:          # the user's rule, called visibly (custom.py)
            _backprop_custom(step, self.activity, d_target, self.residuals.get(step.target),
                             self.adjoint, self.written,
                             lambda atom, value, tag, note=None: self.write(atom, value, tag, out, note),
                             out, self.listing)
            self.written.discard(self.adjoint(step.target))
            return
        if isinstance(step.rule, Structural):
            self.backprop_structure(step, d_target, out)
            return
        if self.arrays is not None:
            with self.into(out):
                self.arrays.step(step, _explain)
            self.written.discard(self.adjoint(step.target))
            return
        partials = self.modules.partials(step, self.modules.namespace_for(step))
        own = []                   # s = s * y in a loop: the new s's adjoint feeds the old s's
        for atom, partial in zip(step.args, partials):
            if not self.activity.is_active(atom):
                continue
            if atom.id == step.target:
                own.append(partial)
                continue
            self.write(atom, partial * d_target, step.number, out, _explain(step, atom, partial))
        self.written.discard(self.adjoint(step.target))
        if own:
            total = own[0] * d_target
            for partial in own[1:]:
                total = total + partial * d_target
            self.write(step.args[[a.id if isinstance(a, ast.Name) else None
                                  for a in step.args].index(step.target)],
                       total, step.number, out, _explain(step, ast.Name(step.target), own[0]))


def _backprop_structure(self, step, d_target, out):
    """Adjoints of moving values: an element's adjoint is the sequence adjoint's entry."""
    key = step.rule.key
    d_name = d_target.node.id
    if key == "getitem":
        sequence, index = step.args
        if self.activity.is_active(sequence):
            self.write(sequence, d_target, step.number, out, f"indexing, line {step.lineno}",
                       index=index)
        self.written.discard(d_name)
    elif key == "display":
        if d_name in self.written:
            for i, element in enumerate(step.args):
                if self.activity.is_active(element):
                    self.write(element, Expr(ast.Subscript(ast.Name(d_name, ast.Load()),
                                                           ast.Constant(i), ast.Load())),
                               step.number, out)
        self.written.discard(d_name)
    elif key == "setitem":
        _, index, element = step.args
        if d_name not in self.written:
            _restore(step, index, out)
            return                    # nothing read the sequence after this assignment
        entry = ast.Subscript(ast.Name(d_name, ast.Load()), copy.deepcopy(index), ast.Load())
        if self.activity.is_active(element):
            self.write(element, Expr(entry), step.number, out)
        out.append(Line(ast.Assign([ast.Subscript(ast.Name(d_name, ast.Load()),
                                                  copy.deepcopy(index), ast.Store())],
                                   ast.Constant(0.0), lineno=0), step.number,
                        "the overwritten element no longer reaches the output"))
        _restore(step, index, out)
    elif key == "call":
        self.backprop_call(step, d_target, out)
    elif key == "append":
        _, element = step.args
        if d_name not in self.written:
            out.append(Line(assign(d_name, self.zero(step.target))))
            self.written.add(d_name)
        popped = ast.Call(ast.Attribute(ast.Name(d_name, ast.Load()), "pop", ast.Load()), [], [])
        if self.activity.is_active(element):
            self.write(element, Expr(popped), step.number, out)
        else:
            out.append(Line(ast.Expr(popped), step.number))
        _unappend(step, out)


def _backprop_call(self, step, d_target, out):
    """``t = g(x, y)``: ``dx += pullback_g(x, y, dt)``, the pullback generated from ``g``."""
    from ..api import pullback_of         # the pipeline, run again on the callee
    import inspect
    params = list(inspect.signature(step.callee).parameters)
    active = [self.activity.is_active(a) for a in step.args]
    wrt = [p for p, a in zip(params, active) if a]
    if not wrt:
        self.written.discard(d_target.node.id)
        return
    pullback = pullback_of(step.callee, wrt)
    name = next((n for n, f in self.pullbacks.items() if f is pullback), None)
    if name is None:
        base = getattr(step.callee, "__name__", "f")
        name = self.program.namer.fresh(f"pullback_{base}" if base.isidentifier() else "pullback")
        self.pullbacks[name] = pullback
    seed = copy.deepcopy(d_target.node)
    if getattr(pullback, "__s2sdiff_outputs__", None):       # one cotangent per entry
        seed = ast.Starred(seed, ast.Load())
    call = ast.Call(ast.Name(name, ast.Load()), [copy.deepcopy(a) for a in step.args] + [seed], [])
    note = f"generated pullback of {ast.unparse(step.value.func)}, line {step.lineno}"
    self.written.discard(d_target.node.id)
    atoms = [a for a, is_active in zip(step.args, active) if is_active]
    if len(atoms) == 1:
        self.write(atoms[0], Expr(call), step.number, out, note)
        return
    names, later = [], []
    for atom in atoms:
        adjoint = self.adjoint(atom.id)
        if adjoint not in self.written and adjoint not in names:
            names.append(adjoint)
        else:
            names.append(self.program.namer.fresh(adjoint + "_c"))
            later.append((atom, names[-1]))
    out.append(Line(ast.Assign([ast.Tuple([ast.Name(n, ast.Store()) for n in names], ast.Store())],
                               call, lineno=0), step.number, note))
    self.written.update(n for n in names if n not in [m for _, m in later])
    for atom, value in later:
        self.write(atom, Expr.name(value), step.number, out, note)


def _unappend(step, out):
    """``v.pop()``: the list is as long as it was before ``v.append(e)`` again, for the
    reverse sweep of earlier statements (a loop over ``v`` sees the elements it saw)."""
    container = step.statement.value.func.value
    out.append(Line(ast.Expr(ast.Call(ast.Attribute(copy.deepcopy(container), "pop", ast.Load()),
                                      [], [])), step.number))


def _restore(step, index, out):
    """``v[i] = v_saved``: the list holds what it held before the assignment again."""
    container = step.store.targets[0].value
    out.append(Line(ast.Assign([ast.Subscript(copy.deepcopy(container), copy.deepcopy(index),
                                              ast.Store())],
                               ast.Name(step.saved, ast.Load()), lineno=0), step.number))


_Sweeps.backprop_structure = _backprop_structure
_Sweeps.backprop_call = _backprop_call


def _active(step, activity):
    return step.target in activity.varied and step.target in activity.useful


def _backprop_custom(step, activity, d_target, residual, adjoint, written, write, out, listing):
    """The reverse statements of a call of a custom rule (see ``custom.py``).

    custom_jvp: one contribution per active argument, ``write``-accumulated like any other.
    custom_vjp: one ``f.bwd(residuals, d<target>)`` call; with one active argument its
    cotangent is ``write``-accumulated (``dx = f.bwd(t_res, dt)[0]``), with several they
    are unpacked, straight into ``dx`` when it is written first and into ``dx_c`` (then
    ``dx += dx_c``) when it already holds a contribution; other positions go to ``_``.
    """
    active = [activity.is_active(atom) for atom in step.args]
    member = "bwd" if custom.is_vjp(step) else "jvps" if custom.uses_jvps(step) else "jvp"
    note = f"custom rule {custom.spelled(step)}.{member}, line {step.lineno}"
    if not custom.is_vjp(step):
        seeds = [copy.deepcopy(d_target.node) if a else None for a in active]
        for atom, term in zip(step.args, custom.linear_terms(step, seeds)):
            if term is not None:
                write(atom, Expr(term), step.number, note)
        return
    cotangents = custom.vjp_backward(step, residual, d_target.node)
    if sum(active) == 1:
        i = active.index(True)
        write(step.args[i], Expr(ast.Subscript(cotangents, ast.Constant(i), ast.Load())),
              step.number, note)
        return
    names, direct, later = [], set(), []
    namer = listing.origin.namer
    for atom, is_active in zip(step.args, active):
        if not is_active:
            names.append(namer.discard())
        elif adjoint(atom.id) not in written and adjoint(atom.id) not in direct:
            names.append(adjoint(atom.id))
            direct.add(names[-1])
        else:
            names.append(namer.fresh(adjoint(atom.id) + "_c"))
            later.append((atom, names[-1]))
    out.append(Line(custom.unpack(names, cotangents), step.number, note))
    written.update(direct)
    for atom, name in later:
        write(atom, Expr.name(name), step.number, note)


def _seed_parameters(program, activity, adjoint, written):
    """One cotangent parameter per output: the output's adjoint name itself the first time
    an active output appears (so no copy is needed), a fresh ``d<out>`` otherwise."""
    seeds = []
    for i, output in enumerate(program.outputs):
        if activity.is_active(output) and adjoint(output.id) not in written:
            seeds.append(adjoint(output.id))
            written.add(seeds[-1])
        else:
            base = output.id if isinstance(output, ast.Name) else f"out{i}"
            seeds.append(program.namer.fresh("d" + base))
    return seeds


class _explain:
    """``d(1.0 / den)/dden = -1.0 / den / den, line 14``: the local partial and its source,
    written out only when explain mode renders it (most listings never do)."""

    def __init__(self, step, atom, partial):
        self.step, self.atom, self.partial = step, atom, partial

    def __str__(self):
        value = unparse(self.step.value)
        partial = unparse(fold(copy.deepcopy(as_node(self.partial))))
        return f"d({value})/d{self.atom.id} = {partial}, line {self.step.lineno}"


class _AdjointNames:
    """``dv`` for ``v``; ``d_v`` (then ``d_v_2``...) when ``dv`` is taken."""

    def __init__(self, program, listing):
        self.namer = program.namer
        self.listing = listing
        self.user_names = {p for p in program.params} | {
            s.target for s in program.steps if s.target not in program.temps}

    def get(self, name):
        return self.listing.adjoints.get(name)

    def primal(self, adjoint_name):
        return next(p for p, d in self.listing.adjoints.items() if d == adjoint_name)

    def __call__(self, name):
        names = self.listing.adjoints
        if name not in names:
            preferred = "d" + name
            if preferred in self.namer.taken or keyword.iskeyword(preferred):
                preferred = self.namer.fresh("d_" + name)
            names[name] = self.namer.reserve(preferred)
            if name in self.user_names:
                self.listing.kept.add(names[name])
        return names[name]
