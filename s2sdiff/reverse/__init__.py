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
  starts from and recomputing what its reverse reads (``sweeps.py``, ``loops.py``); a call of the user's
  function becomes a call of its generated pullback (``pullback_g(x, dt)``);
* ``v[i] = e`` gives ``de += dv[i]; dv[i] = 0.0`` (then ``v[i]`` gets its old value back)
  and ``v.append(e)`` gives ``de += dv.pop(); v.pop()``.

The listing is deliberately naive (``1 * dden``, ``dxpy = 2 * xpy ** (2 - 1) * ...``);
``optimize`` folds it.  The adjoint of ``v`` is named ``dv`` unless that name is taken.

The package: this module drives the pass (straight-line NumPy code here, anything with
blocks through ``sweeps.Sweeps``); ``adjoints.py`` owns the adjoints and writes every
contribution; ``arrays.py`` is the reverse of NumPy steps; ``loops.py`` plans a loop's
reverse.  The forward sweep's statements are written by ``primal.py``, as forward mode's
are.
"""

import ast

from .. import aux as has_aux
from .. import runtime
from ..errors import ArgumentError
from ..build import Expr, unparse
from ..scalar_inputs import sequence_parameters
from ..ir import Loop, has_control_flow, is_array_program, walk_items, walk_steps
from ..libraries import is_array_of_entries
from ..listing import Block, Comment, Line, Listing, assign, header
from ..modules import ModuleAliases
from ..primal import bound_checks, primal_lines, unbound_line
from ..rules import Structural, Syntax
from .adjoints import Adjoints
from .arrays import Backprop
from .loops import elements
from .sweeps import Sweeps, active_step, backprop_custom, forward_step


def reverse(program, activity, *, pullback_of, with_value=False, single=False, name=None,
            cotangents=False, bare=False):
    """The gradient ``Listing`` of ``program`` for the parameters in ``activity.wrt``;
    ``bare``: a single gradient is returned alone even with ``cotangents``;
    ``pullback_of(func, wrt)``: the generated pullback of a user function ``program``
    calls (``pipeline.pullback_of``)."""
    if program.kinds is not None and not has_control_flow(program.body) and not any(
            isinstance(s.rule, Structural) and s.rule.key == Syntax("append")
            for s in program.steps):        # appends: the sweeps pop the list's adjoint
        listing = _reverse_arrays(program, activity, with_value=with_value, single=single,
                                  name=name, cotangents=cotangents)
        if bare and isinstance(listing.returns, ast.Tuple) and len(listing.returns.elts) == 1:
            listing.returns = listing.returns.elts[0]
        return listing
    listing = _listing(program, activity, name, with_value, cotangents)
    sweep = Sweeps(program, activity, listing, pullback_of)
    adjoints = sweep.adjoints
    listing.body = sweep.forward(program.body, taping=True)
    # copied on paths where the user's code never reads them: the copy must not raise
    listing.body[:0] = [unbound_line(name) for name in program.unbound]
    listing.body += bound_checks(program, sweep.modules)
    checked = {} if cotangents else _scalar_output_check(program, with_value, listing.body)
    checked.update(_numbers_only_check(program, listing.body))
    if sweep.tape_used:
        listing.body.insert(0, Line(assign(sweep.tape, ast.List([], ast.Load()))))
    value = program.output
    if with_value and isinstance(value, ast.Name) and any(
            isinstance(item, Loop) for item in walk_items(program.body)):
        # the reverse sweep restores loop variables to their earlier values: keep the result
        value = ast.Name(program.namer.fresh(f"{value.id}_value"), ast.Load())
        listing.body.append(Line(assign(value.id, program.output)))
    # has_aux: the aux's values (a vjp's pullback does not return it)
    aux = None if cotangents else has_aux.kept(program, listing.body, Line, assign)
    _seed(program, activity, adjoints, listing, cotangents)
    listing.body += sweep.backward(program.body)
    for param in activity.wrt:
        if not adjoints.holds(adjoints.name(param)):
            adjoints.unreached(param, listing.body)
    if sweep.arrays is not None:
        sweep.arrays.finish(activity.wrt, listing.body)   # every gradient with its parameter's shape
    grads = [ast.Name(adjoints.name(p), ast.Load()) for p in activity.wrt]
    grads = [ast.Call(ast.Name(sweep.modules.helper(runtime.structured_as), ast.Load()),
                      [g, ast.Name(p, ast.Load())], []) if p in adjoints.sequences else g
             for g, p in zip(grads, activity.wrt)]      # a tuple's gradient is a tuple
    result = grads[0] if (single and not cotangents) or (bare and len(grads) == 1) \
        else ast.Tuple(grads, ast.Load())
    listing.returns = ast.Tuple([value, result], ast.Load()) if with_value else result
    listing.returns = has_aux.returned(listing.returns, aux, program, with_value)
    listing.injected = {**sweep.modules.injected(), **sweep.pullbacks, **checked}
    listing.tape = sweep.tape        # what checkpoint.py needs to rewrite a top-level loop
    listing.sequences = frozenset(adjoints.sequences & set(program.params))
    listing.list_output = not program.returns_tuple and any(   # `return ys`, ys a list
        _copied_from(o, program) & adjoints.sequences for o in program.outputs)
    listing.loops = [(item, sweep.plans.get(id(item)), sweep.blocks.get(id(item), {}))
                     for item in program.body if isinstance(item, Loop)]
    return listing

# what each helper of runtime.py that generated code calls is the derivative of
_SECOND_ORDER = {"prod_of_others_tangent": "np.prod", "cumprod_back": "np.cumprod",
                 "cumprod_tangent": "np.cumprod"}


def _reverse_arrays(program, activity, *, with_value=False, single=False, name=None,
                    cotangents=False):
    """``reverse`` of straight-line NumPy code, specialised on argument kinds (arrays.py)."""
    modules = ModuleAliases(program)
    listing = _listing(program, activity, name, with_value, cotangents)
    residuals = {}     # target of an active custom_vjp call -> its residuals' name
    listing.body = primal_lines(
        program.body, lambda step: [forward_step(step, activity, residuals, program.namer)],
        loop_lines=None)           # straight-line code: no loops
    adjoints = Adjoints(program, listing, modules)
    backprop = Backprop(program, activity, adjoints, modules)
    # has_aux: the aux's values (a vjp's pullback does not return it)
    aux = None if cotangents else has_aux.kept(program, listing.body, Line, assign)
    _seed(program, activity, adjoints, listing, cotangents)
    for step in reversed(program.steps):
        if step.rule is not None and step.rule.key == Syntax("array setitem"):
            # a[idx] = e: its adjoint, then a's old values
            backprop.set_item(step, active_step(step, activity), listing.body)
            continue
        if isinstance(step.rule, Structural) and getattr(
                step.callee, "__module__", None) == runtime.__name__:
            raise program.parsed.error(
                ast.Expr(step.value, lineno=step.lineno),
                f"s2sdiff cannot differentiate {program.name}: second derivatives through "
                f"{_SECOND_ORDER.get(step.callee.__name__, 'this operation')} (whose derivative "
                f"calls s2sdiff's helper `{step.callee.__name__}`) are not supported",
                construct="second derivative through " + step.callee.__name__,
                hint="For positive entries write the product as np.exp(np.sum(np.log(a))) "
                     "or np.exp(np.cumsum(np.log(a))), whose derivatives differentiate again.")
        if isinstance(step.rule, Structural):
            if not is_array_program(program):    # x[0] * x[1], given arrays (vjp, jacrev)
                raise program.parsed.error(
                    ast.Expr(step.value, lineno=step.lineno),
                    f"s2sdiff cannot differentiate {program.name} in reverse mode for array "
                    f"arguments: with no NumPy call in it, it was read as code on lists "
                    f"({step.rule.name})", construct=step.rule.name,
                    hint="Make it NumPy code by building its arrays with NumPy "
                         "(`out = np.zeros_like(x)`, `return np.stack([x[0] * x[1], x[1]])`), "
                         "or pass lists (jacobian(f)(list(x)), vjp(f, list(x))) if it "
                         "computes on lists.")
            raise program.parsed.error(
                ast.Expr(step.value, lineno=step.lineno),
                f"s2sdiff cannot differentiate {program.name}: {step.rule.name} in NumPy "
                f"code", construct=step.rule.name,
                hint="Build arrays with NumPy functions (np.stack, np.concatenate, np.where).")
        if not active_step(step, activity):
            continue
        if step.custom is None and (
                step.rule is None or not any(activity.is_active(a) for a in step.args)):
            continue        # `y = np.zeros(3)`, active only by a later `y[i] = e`
        listing.body.append(Comment(f"backprop {unparse(step.statement)}"))
        if step.custom is not None:          # the user's rule, called visibly (custom.py)
            backprop_custom(step, activity, Expr.name(adjoints.name(step.target)),
                            residuals.get(step.target), adjoints, listing.body, program.namer)
            continue
        backprop.step(step, listing.body)
    for param in activity.wrt:
        if not adjoints.holds(adjoints.name(param)):
            adjoints.unreached(param, listing.body)
    backprop.finish(activity.wrt, listing.body)
    grads = [ast.Name(adjoints.name(p), ast.Load()) for p in activity.wrt]
    result = grads[0] if single and not cotangents else ast.Tuple(grads, ast.Load())
    listing.returns = ast.Tuple([program.output, result], ast.Load()) if with_value else result
    listing.returns = has_aux.returned(listing.returns, aux, program, with_value)
    listing.injected = modules.injected()
    return listing


def _scalar_output_check(program, with_value, body):
    """``scalar_output(y)`` after the forward sweep of a gradient whose output ``y`` comes
    through arithmetic, indexing and loops over entries alone from a call of the user's
    function or from a parameter used as a sequence: given an array (2-D, for the entries
    of a sequence), those make ``y`` an array, and a gradient needs a number.  The
    argument checker cannot tell (the helper may index its argument); the output can, for
    the price of one call where such a path exists.  Appends it to ``body``; returns what
    it needs bound."""
    output = program.output
    if not isinstance(output, ast.Name):
        return {}
    arrays = set(sequence_parameters(program))
    steps, call = program.steps, Syntax("call")
    if not arrays and not any(s.rule is not None and s.rule.key == call for s in steps):
        return {}                          # nothing can make the output an array
    loops = [item for item in walk_items(program.body) if isinstance(item, Loop)]
    for _ in range(2):                     # a loop feeds its end back to its start
        for loop in loops:                 # for v in xs: a row of a 2-D array xs
            arrays.update(v for v, seq in elements(loop) or [] if seq in arrays)
        for step in steps:
            if step.rule is not None and step.rule.key == call or (
                    isinstance(step.value, (ast.BinOp, ast.UnaryOp, ast.Name, ast.Subscript))
                    and any(isinstance(a, ast.Name) and a.id in arrays for a in step.args)):
                arrays.add(step.target)    # x[0] of a 2-D array x is a row too
    if output.id not in arrays:
        return {}
    transform = "value_and_grad" if with_value else "grad"

    def scalar_output(value):
        shape = getattr(value, "shape", ())
        if isinstance(shape, tuple) and len(shape) > 0:
            raise program.not_scalar(
                transform, f"an array of shape {shape} (from an array argument)",
                "Reduce it (np.sum, np.mean), or use s2sdiff.vjp(f, *args) for a "
                "vector-Jacobian product, or s2sdiff.jacobian(f) for the whole Jacobian.")

    name = program.namer.fresh("scalar_output")
    body.append(Line(ast.Expr(ast.Call(ast.Name(name, ast.Load()),
                                       [ast.Name(output.id, ast.Load())], [])), check=True))
    return {name: scalar_output}


def _numbers_only_check(program, body):
    """``numbers_only('self.X', X, ...)`` after the forward sweep of code generated for
    numbers (no NumPy call) that reads an attribute of a parameter (``self.X``) and
    computes with it whole: an array there would be broadcast against the numbers the
    sweep takes, giving per-entry partials, and what the attribute holds is only known
    when the code runs.  An attribute read at the top level is checked once; one read only
    inside loops or branches is checked at each of its reads' names, bound to ``0.0``
    first (a read that never ran used nothing).  Appends the check to ``body``, prepends
    those bindings, and returns what the check needs bound."""
    if program.kinds is not None or not program.parameter_reads \
            or {"type", "float"} & (set(program.params) | program.parsed.stored()):
        return {}
    top = {id(s) for s in program.body}
    reads, nested = {}, set()
    for s in walk_steps(program.body):
        if getattr(s, "value", None) is not None and s.rule is None \
                and isinstance(s.value, (ast.Attribute, ast.Subscript)) \
                and unparse(s.value) in program.parameter_reads:
            reads[s.target] = unparse(s.value)
            if id(s) not in top:
                nested.add(s.target)
    at_top = {spelled: t for t, spelled in reads.items() if t not in nested}
    candidates = list(at_top.values()) + [t for t in reads if t in nested
                                          and reads[t] not in at_top]
    whole = [t for t in candidates if any(
        isinstance(s.value, (ast.BinOp, ast.UnaryOp, ast.Call)) and not isinstance(
            s.rule, Structural) and any(getattr(a, "id", None) == t for a in s.args)
        for s in program.steps)]
    if not whole:
        return {}
    body[:0] = [unbound_line(t) for t in whole if t in nested]

    def numbers_only(*pairs):
        for spelled, value in zip(pairs[::2], pairs[1::2]):
            if is_array_of_entries(value):
                raise program.parsed.error(
                    program.parsed.node, f"`{spelled}` is an array of shape {value.shape}, "
                    f"which {program.name} computes with, and its code is generated for "
                    f"numbers (it calls no NumPy function)", construct="array attribute",
                    hint=f"Make {program.name} NumPy code: compute with NumPy functions "
                         f"(`np.multiply({spelled}, w)`, `np.sum(...)`); or index "
                         f"`{spelled}` entry by entry.", cls=ArgumentError)

    name = program.namer.fresh("numbers_only")
    arguments = [a for t in whole for a in (ast.Constant(reads[t]), ast.Name(t, ast.Load()))]
    not_floats = [ast.Compare(ast.Call(ast.Name("type", ast.Load()), [ast.Name(t, ast.Load())],
                                       []), [ast.IsNot()], [ast.Name("float", ast.Load())])
                  for t in whole]                       # a float costs one type test
    check = Block(ast.If(ast.BoolOp(ast.Or(), not_floats) if len(not_floats) > 1
                         else not_floats[0], [], []),
                  [Line(ast.Expr(ast.Call(ast.Name(name, ast.Load()), arguments, [])))],
                  check=True)
    body.append(check)
    return {name: numbers_only}


def _listing(program, activity, name, with_value, cotangents):
    return Listing(name=name or f"grad_{program.name}", origin=program,
                   header=header(program, activity, "vector-Jacobian product" if cotangents else
                                 "value and gradient" if with_value else "gradient"),
                   body=[], returns=None)


def _seed(program, activity, adjoints, listing, cotangents):
    """The outputs' adjoints: ``d<out> = 1.0``, or with ``cotangents`` (``vjp``) one
    parameter per output, which becomes the listing's signature."""
    if cotangents:
        seeds = _seed_parameters(program, activity, adjoints)
        listing.signature = ast.arguments(
            posonlyargs=[], args=[ast.arg(p) for p in program.params + seeds], vararg=None,
            kwonlyargs=[], kw_defaults=[], kwarg=None, defaults=[])
        for output, seed in zip(program.outputs, seeds):
            if activity.is_active(output) and adjoints.name(output.id) != seed:
                adjoints.write(output, Expr.name(seed), listing.body)
    elif activity.is_active(program.output):
        listing.body.append(Comment("reverse sweep: the output's adjoint starts at 1"))
        adjoints.write(program.output, Expr(ast.Constant(1.0)), listing.body)


def _seed_parameters(program, activity, adjoints):
    """One cotangent parameter per output: the output's adjoint name itself the first time
    an active output appears (so no copy is needed), a fresh ``d<out>`` otherwise."""
    seeds = []
    for i, output in enumerate(program.outputs):
        if activity.is_active(output) and not adjoints.holds(adjoints.name(output.id)):
            seeds.append(adjoints.name(output.id))
            adjoints.mark_held(seeds[-1])
            if adjoints.kinds is not None:      # NumPy code: the caller's array, its shape
                kind = adjoints.kinds.get(output.id)
                if kind is not None and kind.shape is not None:
                    adjoints.ashape[seeds[-1]], adjoints.owned[seeds[-1]] = kind.shape, False
        else:
            base = output.id if isinstance(output, ast.Name) else f"out{i}"
            seeds.append(program.namer.fresh("d" + base))
    return seeds


def _copied_from(atom, program):
    """The names whose value the name ``atom`` may hold through copies (``v_2 = items``)."""
    found, todo = set(), [atom.id] if isinstance(atom, ast.Name) else []
    while todo:
        name = todo.pop()
        if name not in found:
            found.add(name)
            todo += [s.args[0].id for s in program.steps if s.target == name
                     and getattr(s.rule, "key", None) == Syntax("copy")
                     and isinstance(s.args[0], ast.Name)]
    return found
