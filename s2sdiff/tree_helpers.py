"""Helpers given trees: ``neural_net_predict(params, inputs)`` called from
``log_posterior(params, inputs, targets)``, as in autograd's neural-net example.

A tree is read leaf by leaf (``tree_flatten``), and a helper's parameters are not its
caller's, so a helper given a tree, or a part of one, is inlined into the caller before
the tree rewrite (``normalize/helpers.py``, which NumPy code uses anyway; here scalar
code too):

* ``tree_parameters(parsed, wrt_names)``: the parameters read as trees, by the function
  or by the helpers it passes them to (``tree_arguments``);
* ``tree_arguments(parsed, wrt_names, sequences)``: the caller's parameters that it
  passes whole to a helper reading that parameter as a tree (``trees.candidates`` of the
  helper, and of the helpers it passes it on to): parameters of the caller that are trees
  although its own body only passes them on; a helper may be a method: ``NET.predict``
  and ``MODEL(params, x)`` (``__call__``) of an object read from outside, ``self.predict``
  in a method, ``model.apply`` of a parameter the function was made for the class of;
* ``outside_objects(parsed)``: such calls written ``type(NET).predict(NET, ...)``
  (``objects.py``, ``methods.py``) before inlining, the objects passed being data;
* ``inline_tree_helpers(parsed, tree_params)``: ``parsed`` with the calls of helpers
  inlined whose arguments are rooted in a tree parameter or in a name bound from one
  (``for layer in params: h = apply(layer, h)``); the helpers stay in ``parsed.inlined``,
  so the generated code checks that their names still hold them (``emit.guarded_calls``).

>>> import ast, numpy as np
>>> from s2sdiff.parse import parse
>>> def predict(params, x):
...     return np.tanh(x @ params["W"] + params["b"])
>>> def loss(params, x):
...     return np.sum(predict(params, x) ** 2)
>>> sorted(tree_arguments(parse(loss), ["params"], True))
['params']
>>> print(ast.unparse(inline_tree_helpers(parse(loss), ["params"]).node))
def loss(params, x):
    return np.sum(np.tanh(x @ params['W'] + params['b']) ** 2)
"""

import ast
import copy
import dataclasses
import inspect
import types

from . import methods, objects
from .errors import S2SDiffError
from .normalize.helpers import _bound_names, _resolve_in, inline_helpers, is_helper
from .parse import parse
from .tree_idioms import extra_candidates
from .trees import candidates, uses_numpy


def tree_parameters(parsed, wrt_names):
    """The parameters ``parsed``'s function reads as trees (``trees.candidates``) or
    passes whole to a helper that does (``tree_arguments``)."""
    sequences = uses_numpy(parsed)
    node = parsed.node
    params = {a.arg for a in node.args.posonlyargs + node.args.args + node.args.kwonlyargs}
    return candidates(parsed, wrt_names, sequences) | tree_arguments(
        parsed, wrt_names, sequences) | extra_candidates(parsed, params, wrt_names)


def tree_arguments(parsed, wrt_names, sequences, seen=()):
    """The parameters of ``parsed``'s function that it passes whole, as an argument, to
    a helper whose corresponding parameter that helper reads as a tree."""
    node = parsed.node
    args = node.args
    params = {a.arg for a in args.posonlyargs + args.args + args.kwonlyargs}
    calls = [c for c in parsed.of(ast.Call) if any(
        a.__class__ is ast.Name and a.id in params
        for a in c.args + [k.value for k in c.keywords])]
    if not calls:
        return set()
    assigned = parsed.stored()
    passed = [p for p in params if p not in assigned]
    calls = [c for c in calls if any(a.__class__ is ast.Name and a.id in passed
                                     for a in c.args + [k.value for k in c.keywords])]
    if not calls:
        return set()
    local = _bound_names(node, parsed)
    found = set()
    for call in calls:
        callee = _called_object(_resolve_in(parsed, call.func, local)) \
            or _own_method(parsed, call.func)
        method = callee.__func__ if inspect.ismethod(callee) \
            and not isinstance(callee.__self__, type) else None     # NET.predict(params, x)
        if not is_helper(method or callee) or callee in seen:
            continue
        named = _matched(callee, call, passed)
        if not named:
            continue
        try:
            inner = parse(method or callee)
        except S2SDiffError:
            continue                  # refused where it is called, as before
        inner_sequences = sequences or uses_numpy(inner)
        for param, own in named.items():
            wrt = [own] if param in wrt_names else []
            if own in candidates(inner, wrt, inner_sequences) \
                    or own in extra_candidates(inner, _params(inner), wrt) \
                    or own in tree_arguments(inner, wrt, inner_sequences, seen + (callee,)):
                found.add(param)
    return found


def _own_method(parsed, func):
    """``self.predict`` in a method specialised on its class (``methods.py``), or
    ``model.apply`` of a parameter whose class the function was made for
    (``object_parameters.variant``): that class's function, bound (to a stand-in for the
    instance) so that its parameters are matched without ``self``; else None."""
    if not isinstance(func, ast.Attribute) or not isinstance(func.value, ast.Name):
        return None
    first = (parsed.node.args.posonlyargs + parsed.node.args.args)[:1]
    known = {entry[0]: entry[1] for entry in getattr(parsed.func, "__s2sdiff_objects__", ())}
    if first and methods.class_of(parsed.func) is not None:
        known[first[0].arg] = methods.class_of(parsed.func)
    cls = known.get(func.value.id)
    found = inspect.getattr_static(cls, func.attr, None) if cls is not None else None
    return types.MethodType(found, _INSTANCE) if isinstance(found, types.FunctionType) \
        else None


def _called_object(value):
    """``a.__call__`` bound, for an object ``a`` of the user's class called as ``a(x)``."""
    call = inspect.getattr_static(type(value), "__call__", None)
    return types.MethodType(call, value) if isinstance(call, types.FunctionType) \
        and not isinstance(value, (type, types.FunctionType, types.MethodType)) else value


_INSTANCE = object()


def _params(parsed):
    args = parsed.node.args
    return {a.arg for a in args.posonlyargs + args.args + args.kwonlyargs}


def _matched(callee, call, passed):
    """``{caller's parameter: the callee's parameter it is passed for}``."""
    if any(isinstance(a, ast.Starred) for a in call.args) or any(
            k.arg is None for k in call.keywords):
        return {}
    try:
        bound = inspect.signature(callee).bind_partial(
            *call.args, **{k.arg: k.value for k in call.keywords})
    except (TypeError, ValueError):
        return {}
    return {value.id: own for own, value in bound.arguments.items()
            if isinstance(value, ast.Name) and value.id in passed}


def inline_tree_helpers(parsed, tree_params, rounds=32):
    """``parsed`` with the helpers inlined that are given a part of a tree (module
    docstring), or ``parsed`` itself.  A helper inlined may hand a part of the tree on to
    another (``model(params)`` calling ``dense(layer, h)``): the names are found again
    after each round, for at most ``rounds`` (a helper that recurses on a tree keeps its
    last call, which the tree rewrite refuses)."""
    for _ in range(rounds):
        inlined = _inline_round(parsed, tree_params)
        if inlined is parsed:
            break
        parsed = inlined
    return parsed


def _inline_round(parsed, tree_params):
    derived = _derived_names(parsed.node, set(tree_params))

    def given_a_tree(call):
        if any(isinstance(a, ast.Starred) for a in call.args) or any(
                k.arg is None for k in call.keywords):
            return False      # h(*layer): the tree rewrite spells its entries out first
        for arg in call.args + [k.value for k in call.keywords]:
            while isinstance(arg, (ast.Subscript, ast.Attribute)):
                arg = arg.value
            if isinstance(arg, ast.Name) and arg.id in derived:
                return True
        return False
    return inline_helpers(parsed, force=given_a_tree)


def outside_objects(parsed):
    """``parsed`` with ``NET.predict(params, x)``, ``NET`` an object of the user's class
    read from outside, written ``type(NET).predict(NET, params, x)`` (``objects.py``, on a
    copy), which the inliner follows when given a tree; ``parsed`` when there is none."""
    if not any(isinstance(c.func, ast.Attribute) for c in parsed.of(ast.Call)):
        return parsed
    copied = dataclasses.replace(parsed, node=copy.deepcopy(parsed.node))
    before = [(c, c.func) for c in copied.of(ast.Call)]
    if methods.class_of(parsed.func) is not None:      # self.predict(params, x) too
        methods.rewrite(copied)
        return copied
    objects.rewrite(copied, None, None)         # each call rewritten gets a new func
    changed = [c for c, func in before if c.func is not func]
    args = copied.node.args
    params = {a.arg: a for a in args.posonlyargs + args.args + args.kwonlyargs}
    owners = {objects.marked(c.func)[0] for c in changed if objects.marked(c.func)}
    copied.opaque = {**{o: params[o] for o in owners if o in params}, **copied.opaque}
    return copied if changed else parsed       # model.apply(...), model a parameter: data


def _derived_names(node, names):
    """``names`` and every name bound from a value that reads one of them (assignment
    and loop targets, comprehension variables), to a fixed point."""
    bindings = []
    for sub in ast.walk(node):
        if isinstance(sub, ast.Assign):
            bindings.append((sub.targets, sub.value))
        elif isinstance(sub, (ast.AnnAssign, ast.AugAssign, ast.NamedExpr)) \
                and sub.value is not None:
            bindings.append(([sub.target], sub.value))
        elif isinstance(sub, (ast.For, ast.comprehension)):
            bindings.append(([sub.target], sub.iter))
    derived = set(names)
    changed = True
    while changed:
        changed = False
        for targets, value in bindings:
            if any(isinstance(n, ast.Name) and n.id in derived for n in ast.walk(value)):
                for target in targets:
                    for n in ast.walk(target):
                        if isinstance(n, ast.Name) and n.id not in derived:
                            derived.add(n.id)
                            changed = True
    return derived


_FOLDABLE = (ast.Expression, ast.Constant, ast.BinOp, ast.UnaryOp, ast.Add, ast.Sub, ast.Mult,
             ast.FloorDiv, ast.USub, ast.UAdd)


def constant_range(flattener, loop):
    """``for i in range(len(params) - 1):`` whose body indexes a tree with ``i``
    (``W, b = params[i]``): the loop's values as constants (the tree rewrite unrolls it,
    ``i`` a constant in each copy), when the bounds are constants once ``len`` of trees
    is (else None)."""
    call, target = loop.iter, loop.target
    if not (isinstance(call, ast.Call) and flattener.builtin(call.func, "range")
            and not call.keywords and 1 <= len(call.args) <= 3
            and isinstance(target, ast.Name) and not loop.orelse):
        return None
    indexed = any(isinstance(n, ast.Subscript) and flattener.derived(n.value)
                  and any(isinstance(m, ast.Name) and m.id == target.id
                          for m in ast.walk(n.slice))
                  for stmt in loop.body for n in ast.walk(stmt))
    if not indexed:
        return None
    bounds = []
    for arg in call.args:
        folded = flattener.visit(copy.deepcopy(arg))     # len(params) -> a constant
        expression = ast.Expression(folded)
        if not all(isinstance(n, _FOLDABLE) for n in ast.walk(expression)) or not all(
                type(n.value) is int for n in ast.walk(expression) if isinstance(n, ast.Constant)):
            return None
        bounds.append(eval(compile(ast.fix_missing_locations(expression), "<range>", "eval")))
    return [ast.Constant(v) for v in range(*bounds)]
