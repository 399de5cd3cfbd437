"""``sorted(xs)`` of a list of numbers, with ``reverse=`` and ``key=``: one step, whose
derivative both modes write out here.

The sorted list holds the entries of ``xs`` themselves, reordered: its derivative is the
permutation.  The adjoint of each sorted position goes back to the entry sorted there::

    s = sorted(xs, reverse=True)
    ...
    # backprop s = sorted(xs, reverse=True)
    order = argsort(xs, reverse=True)
    for j, i in enumerate(order):
        dxs[i] += ds[j]

and in forward mode ``ds_dot = [dxs_dot[i] for i in order]``.  ``argsort``
(``runtime.py``) is the permutation ``sorted`` applies, computed by ``sorted`` itself with
the same keys: at ties (entries with equal keys) Python's sort is stable, so each tied
entry gets the adjoint of one of the positions the tied values fill, the earlier entry
the earlier position, as ``np.sort`` does (``rules.py``).  The key only chooses the
order: ``key=abs`` or a lambda of one element, written where it is used, goes into the
generated code as written (``key_function``).  ``sorted(xs)`` itself stays the user's
call: an empty list gives an empty list.

Only scalar code: in NumPy code (``normalize/statements.py``: it calls NumPy or slices)
``sorted`` is a call without a rule, fine on constants (dictionary keys) and refused on
differentiated values with ``np.sort`` to use instead (``split_rules.NO_RULE_HINTS``).
"""

import ast
import copy

from . import rules, runtime
from .build import Expr
from .draws import draws_anew
from .listing import Block, Line, assign
from .rules import Syntax

KEY = Syntax("sorted")


def key_function(normalizer, node, keyword, name):
    """The ``key=`` of ``name`` (``sorted``, ``max``, ``min``) in the call ``node`` as it
    goes into the generated code: a free name (``abs``, a module-level function) or a
    lambda of one parameter that reads no local variable; else an ``UnsupportedError``."""
    value = keyword.value
    drawn = next((n for n in ast.walk(value) if isinstance(n, ast.Call)
                  and normalizer.is_free(n.func) and draws_anew(normalizer.resolve(n.func))),
                 None)
    if drawn is not None or isinstance(value, (ast.Name, ast.Attribute)) \
            and normalizer.is_free(value) and draws_anew(normalizer.resolve(value)):
        raise normalizer.error(node, f"{name} with a `key=` that draws random numbers "
                                     f"(`{ast.unparse(drawn or value)}`)",
                               "The derivative computes the keys again, which would draw "
                               "others: draw the keys first (`keys = [random.random() for _ "
                               "in xs]`) and order the indices by them (`[xs[i] for i in "
                               "sorted(range(len(xs)), key=keys.__getitem__)]`).")
    if isinstance(value, ast.Lambda):
        params = value.args
        if len(params.args) != 1 or params.posonlyargs or params.kwonlyargs \
                or params.vararg or params.kwarg or params.defaults:
            raise normalizer.error(node, f"{name} with a `key=` lambda of other than one "
                                         f"parameter", "Write `key=lambda v: ...` of one element.")
        own = {params.args[0].arg} | {n.id for n in ast.walk(value.body) if isinstance(
            n, ast.Name) and isinstance(n.ctx, ast.Store)} | {
            a.arg for n in ast.walk(value.body) if isinstance(n, ast.Lambda)
            for a in n.args.args}
        local = sorted({n.id for n in ast.walk(value.body) if isinstance(n, ast.Name)
                        and n.id not in own and n.id in normalizer.locals})
        if not local:
            return copy.deepcopy(value)
        raise normalizer.error(node, f"{name} with a `key=` lambda that reads the local "
                                     f"variable `{local[0]}`",
                               _compute_first(name))
    if isinstance(value, (ast.Name, ast.Attribute)) and normalizer.is_free(value) \
            and callable(normalizer.resolve(value)):
        return copy.deepcopy(value)
    raise normalizer.error(node, f"{name} with `key={ast.unparse(value)}`",
                           "Pass a function defined at module level or a builtin (`key=abs`), "
                           "or a lambda of one element that reads no local variable; "
                           + _compute_first(name))


def _compute_first(name):
    if name == "sorted":
        return ("or compute the keys first, `keys = [g(v) for v in xs]`, and sort the "
                "indices: `[xs[i] for i in sorted(range(len(xs)), key=keys.__getitem__)]`.")
    return f"or compute the values to compare in a list first ({name}([g(v) for v in xs]))."


def step(normalizer, node, args, keywords, into):
    """The step ``s = sorted(xs, key=..., reverse=...)`` for the call ``node`` with one
    argument, a list or tuple of numbers, or an ``UnsupportedError``."""
    if len(args) != 1:
        raise normalizer.error(node, f"sorted with {len(args)} positional arguments",
                               "Call sorted(xs) with one list.")
    if not isinstance(args[0], ast.Name):
        raise normalizer.error(node, "sorted of a constant", "Sort a variable.")
    made = next((s for s in reversed(normalizer.body) if getattr(s, "target", None)
                 == args[0].id), None)
    if made is not None and isinstance(made.rule, rules.Partials):
        raise normalizer.error(node, "sorted of a number",
                               "Python cannot iterate over the number that arithmetic or a "
                               "math function gives: sort a list of numbers.")
    words, atoms = [], [args[0]]
    for keyword in keywords:
        if keyword.arg == "key":
            if not (isinstance(keyword.value, ast.Constant) and keyword.value.value is None):
                words.append(ast.keyword("key", key_function(normalizer, node, keyword,
                                                             "sorted")))
        elif keyword.arg == "reverse":
            reverse = normalizer.atom(keyword.value, "reverse", into.lineno)
            words.append(ast.keyword("reverse", reverse))
            if isinstance(reverse, ast.Name):
                atoms.append(reverse)        # read again by the derivative
        else:
            raise normalizer.error(node, f"sorted with `{keyword.arg}=`",
                                   "Pass only `key=` and `reverse=`.")
    value = ast.Call(copy.deepcopy(node.func), [copy.deepcopy(args[0])], words)
    return into.emit(value, atoms, rules.lookup(KEY))


def order_step(normalizer, node, args, into):
    """The step ``order = argsort(xs, key=..., reverse=...)`` of generated code
    differentiated again: a constant, its key kept as written."""
    words, atoms = [], list(args)
    for keyword in node.keywords:
        if keyword.arg == "key":
            words.append(ast.keyword("key", key_function(normalizer, node, keyword, "sorted")))
        else:
            words.append(ast.keyword(keyword.arg, normalizer.atom(keyword.value, "reverse",
                                                                  into.lineno)))
            atoms.append(words[-1].value)
    value = ast.Call(copy.deepcopy(node.func), copy.deepcopy(args), words)
    return into.emit(value, atoms, None, runtime.argsort, differentiable=False)


def _order(modules, namer, step, where):
    """``order = argsort(xs, key, reverse=...)``, the permutation the step applied: its
    name and line."""
    order = namer.fresh("order")
    call = ast.Call(ast.Name(modules.helper(runtime.argsort), ast.Load()),
                    [copy.deepcopy(step.value.args[0])],
                    [copy.deepcopy(k) for k in step.value.keywords])
    return order, Line(assign(order, call), where)


def backprop(sweeps, step, d_target, out):
    """The reverse of ``s = sorted(xs)``: ``dxs[i] += ds[j]`` along the permutation."""
    sequence = step.args[0]
    adjoints, namer = sweeps.adjoints, sweeps.program.namer
    if sweeps.activity.is_active(sequence) and adjoints.holds(d_target.node.id):
        order, line = _order(sweeps.modules, namer, step, step.number)
        out.append(line)
        d_sequence = adjoints.name(sequence.id)
        if not adjoints.holds(d_sequence):
            out.append(Line(assign(d_sequence, adjoints.zero(sequence.id))))
            adjoints.mark_held(d_sequence)
        position, index = namer.fresh("j"), namer.fresh("i")
        body = []
        entry = ast.Subscript(d_target.node, ast.Name(position, ast.Load()), ast.Load())
        adjoints.write(sequence, Expr(entry), body, step.number,
                       f"sorted, line {step.lineno}", index=ast.Name(index, ast.Load()))
        head = ast.parse(f"for {position}, {index} in enumerate({order}): pass").body[0]
        head.body = []
        out.append(Block(head, body))
    adjoints.forget(d_target.node.id)


def tangents(program, modules, step, active, tangent, out):
    """The tangent of ``s = sorted(xs)`` along each active direction:
    ``ds_dot = [dxs_dot[i] for i in order]``."""
    order, line = _order(modules, program.namer, step, step.number)
    out.append(line)
    index = program.namer.fresh("i")
    for direction, facts in active:
        text = f"[{tangent(step.args[0].id, direction)}[{index}] for {index} in {order}]"
        out.append(Line(assign(tangent(step.target, direction),
                               ast.parse(text, mode="eval").body), step.number))
