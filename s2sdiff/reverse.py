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

The listing is deliberately naive (``1 * dden``, ``dxpy = 2 * xpy ** (2 - 1) * ...``);
``optimize`` folds it.  The adjoint of ``v`` is named ``dv`` unless that name is taken.
"""

import ast
import copy

from . import arrays, custom
from .build import Expr, as_node, unparse
from .listing import Comment, Line, Listing, accumulate, assign, header
from .modules import ModuleAliases
from .optimize import fold


def reverse(program, activity, *, with_value=False, single=False, name=None, cotangents=False):
    """The gradient ``Listing`` of ``program`` for the parameters in ``activity.wrt``."""
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
        if not _active(step, activity):
            continue
        listing.body.append(Comment(f"backprop {unparse(step.statement)}"))
        d_target = Expr.name(adjoint(step.target))
        if step.custom is not None:          # the user's rule, called visibly (custom.py)
            _backprop_custom(step, activity, d_target, residuals.get(step.target), adjoint,
                             written, write, listing)
            continue
        if backprop is not None:
            backprop.step(step, _explain)
            continue
        m = modules.namespace_for(step)
        partials = step.rule.partials(m, Expr.name(step.target), *map(Expr, step.args))
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


def _active(step, activity):
    return step.target in activity.varied and step.target in activity.useful


def _backprop_custom(step, activity, d_target, residual, adjoint, written, write, listing):
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
    listing.body.append(Line(custom.unpack(names, cotangents), step.number, note))
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


def _explain(step, atom, partial):
    """``d(1.0 / den)/dden = -1.0 / den ** 2, line 14``: the local partial and its source."""
    value = unparse(step.value)
    return (f"d({value})/d{atom.id} = {unparse(fold(copy.deepcopy(as_node(partial))))}, "
            f"line {step.lineno}")


class _AdjointNames:
    """``dv`` for ``v``; ``d_v`` (then ``d_v_2``...) when ``dv`` is taken."""

    def __init__(self, program, listing):
        self.namer = program.namer
        self.listing = listing
        self.user_names = {p for p in program.params} | {
            s.target for s in program.steps if s.target not in program.temps}

    def __call__(self, name):
        names = self.listing.adjoints
        if name not in names:
            preferred = "d" + name
            if preferred in self.namer.taken:
                preferred = self.namer.fresh("d_" + name)
            names[name] = self.namer.reserve(preferred)
            if name in self.user_names:
                self.listing.kept.add(names[name])
        return names[name]
