"""``max(xs)`` and ``min(xs)`` of a list whose length is not known when the code is
generated: one step each, whose derivative both modes write out here.

The derivative is the one the rule table gives ``max(a, b, c)`` (rules.py), applied to
the entries of ``xs``: the entries exactly equal to the result (the ``k`` tied ones)
share the adjoint evenly, ``1/k`` each, the others get nothing, and a NaN result gives
every entry a NaN derivative.  The generated code reads::

    m = max(xs)
    ...
    # backprop m = max(xs)
    count = sum([v == m for v in xs])
    for i, v in enumerate(xs):
        dxs[i] += (1 / count if v == m else 0.0 if m == m else m) * dm

the partial spelled as the rule table's ``max(a, b, c)`` row spells it; in forward mode
``t(m) = sum((1 / count if ...) * t(xs)[i] for i, v in enumerate(xs))``, the terms of the
row's tangent ``p_a * t(a) + p_b * t(b) + ...`` in the same order.  ``max(xs)`` itself
stays the user's call: an empty list raises Python's own ``ValueError``.

Only scalar code: in NumPy code ``max`` of a list of arrays is not NumPy's maximum, and
the normalizer refuses it (``step``).  ``key=`` only chooses the entry: it is kept as
written (``sorting.key_function``), and the entries equal to the result share the
adjoint as above (``max([3.0, -3.0], key=abs)`` is the first entry, which gets it all);
``default=`` is refused.

``math.fsum(xs)`` is the same kind of step with the partial 1 for every entry:
``dxs[i] += dtotal``, and in forward mode ``dtotal_dot = math.fsum(dxs_dot)``, the
exactly rounded sum of the tangents; its value stays ``math.fsum``'s.
"""

import ast
import builtins
import copy

from . import rules, sorting
from .build import Expr
from .listing import Block, Line, assign
from .rules import Syntax

KEYS = {builtins.max: Syntax("max of a list"), builtins.min: Syntax("min of a list")}
FSUM = Syntax("fsum of a list")
FORMS = frozenset(KEYS.values()) | {FSUM}


def step(normalizer, node, callee, args, keywords, into):
    """The step ``m = max(xs)`` for the call ``node`` with one argument (a list, tuple
    or 1-D array of numbers), or an ``UnsupportedError``."""
    name = callee.__name__
    words = []
    for keyword in keywords:
        if keyword.arg != "key":
            raise normalizer.error(node, f"{name} with `{keyword.arg}=`",
                                   f"Test for an empty list first (`{name}(xs) if xs else "
                                   f"d`)." if keyword.arg == "default" else
                                   f"Compute the values to compare in a list first "
                                   f"({name}([g(v) for v in xs])).")
        if not (isinstance(keyword.value, ast.Constant) and keyword.value.value is None):
            words.append(ast.keyword("key", sorting.key_function(normalizer, node, keyword,
                                                                 name)))
    if normalizer.array_code:
        raise normalizer.error(node, f"{name} of one list or array in NumPy code",
                               f"Use np.{name}(x) of an array, np.{name}imum(a, b) of two, or "
                               f"Python's {name}(a, b, c) of separate numbers.")
    if not isinstance(args[0], ast.Name):
        raise normalizer.error(node, f"{name} of a constant", "Take it of a variable.")
    made = next((s for s in reversed(normalizer.body) if getattr(s, "target", None)
                 == args[0].id), None)
    if made is not None and isinstance(made.rule, rules.Partials):
        raise normalizer.error(node, f"{name} of a number",
                               f"Python cannot iterate over the number that arithmetic or a "
                               f"math function gives: pass the values as separate "
                               f"arguments, {name}(a, b).")
    value = ast.Call(ast.Name(name, ast.Load()), [copy.deepcopy(args[0])], words)
    return into.emit(value, [args[0]], rules.lookup(KEYS[callee]))


def fsum_step(normalizer, node, args, keywords, into):
    """The step ``total = math.fsum(xs)`` for the call ``node``, or an ``UnsupportedError``."""
    if keywords or len(args) != 1:
        raise normalizer.error(node, "math.fsum with other than one argument",
                               "Call math.fsum(xs) with one list.")
    if not isinstance(args[0], ast.Name):
        raise normalizer.error(node, "math.fsum of a constant", "Sum a variable.")
    value = ast.Call(copy.deepcopy(node.func), [copy.deepcopy(args[0])], [])
    return into.emit(value, [args[0]], rules.lookup(FSUM))


def _count(namer, sequence, result, where):
    """``count = sum([v == m for v in xs])``, the number of tied entries: its name and line."""
    count, entry = namer.fresh("count"), namer.fresh("v")
    text = f"{count} = sum([{entry} == {result} for {entry} in {sequence}])"
    return count, Line(ast.parse(text).body[0], where)


def _share(count, entry, result):
    """The rule table's partial of ``max(a, b, c)`` for the entry ``entry``:
    ``1 / count if v == m else 0.0 if m == m else m``."""
    return ast.parse(f"1 / {count} if {entry} == {result} else 0.0 if {result} == {result} "
                     f"else {result}", mode="eval").body


def backprop(sweeps, step, d_target, out):
    """The reverse of ``m = max(xs)``: ``dxs[i] += share * dm`` for each entry."""
    sequence = step.args[0]
    adjoints, namer = sweeps.adjoints, sweeps.program.namer
    fsum = step.rule.key == FSUM
    if sweeps.activity.is_active(sequence):
        if not fsum:
            count, line = _count(namer, sequence.id, step.target, step.number)
            out.append(line)
        d_sequence = adjoints.name(sequence.id)
        if not adjoints.holds(d_sequence):
            out.append(Line(assign(d_sequence, adjoints.zero(sequence.id))))
            adjoints.mark_held(d_sequence)
        index, entry = namer.fresh("i"), None if fsum else namer.fresh("v")
        body = []
        adjoints.write(sequence, d_target if fsum else Expr(_share(count, entry, step.target))
                       * d_target, body, step.number,
                       f"{ast.unparse(step.value.func)} of a list, line {step.lineno}",
                       index=ast.Name(index, ast.Load()))
        head = ast.parse(f"for {index} in range(len({sequence.id})): pass" if fsum else
                         f"for {index}, {entry} in enumerate({sequence.id}): pass").body[0]
        head.body = []
        out.append(Block(head, body))
    adjoints.forget(d_target.node.id)


def tangents(program, step, active, tangent, out):
    """The tangent of ``m = max(xs)`` along each active direction:
    ``dm = sum((1 / count if v == m else ...) * dxs[i] for i, v in enumerate(xs))``."""
    sequence = step.args[0].id
    if step.rule.key == FSUM:
        for direction, facts in active:
            value = ast.Call(copy.deepcopy(step.value.func),
                             [ast.Name(tangent(sequence, direction), ast.Load())], [])
            out.append(Line(assign(tangent(step.target, direction), value), step.number))
        return
    count, line = _count(program.namer, sequence, step.target, step.number)
    out.append(line)
    index, entry = program.namer.fresh("i"), program.namer.fresh("v")
    share = ast.unparse(_share(count, entry, step.target))
    for direction, facts in active:
        text = (f"sum(({share}) * {tangent(sequence, direction)}[{index}] "
                f"for {index}, {entry} in enumerate({sequence}))")
        out.append(Line(assign(tangent(step.target, direction),
                               ast.parse(text, mode="eval").body), step.number))
