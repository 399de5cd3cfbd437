"""NumPy functions of list comprehensions, written as NumPy functions of arrays.

Before comprehensions become loops (``comprehensions.py``):

* ``list(e for v in xs)`` (so ``list(map(f, xs))`` after ``maps.py``) is the list
  comprehension ``[e for v in xs]``, the same list;
* a NumPy function (a ufunc too) whose first argument is a list comprehension gets
  ``np.array`` of it, as NumPy converts it anyway: ``np.sum([v ** 2 for v in x])`` is
  ``np.sum(np.array([v ** 2 for v in x]))``, whose comprehension the desugarer writes as
  rows of a preallocated array;
* so does a name that only ever holds a list the function built (``arrays_of_lists``):
  ``np.mean(losses)`` after ``losses.append(...)`` in a loop is
  ``np.mean(np.array(losses))``, whose adjoint ``joins.py`` splits back into the list's.

Not the functions that take a sequence of arrays
  (``np.stack``, ``np.concatenate``...): ``np.array`` of arrays of several shapes fails
  where they do not.

>>> import ast, numpy as np
>>> class Desugarer:
...     def resolve(self, func):
...         return {"np.sum": np.sum, "list": list}.get(ast.unparse(func))
>>> call = ast.parse("np.sum(list(v * v for v in x))", mode="eval").body
>>> call.args = [as_list_comprehension(Desugarer(), a) for a in call.args]
>>> call.args[0] = array_of_list(Desugarer(), call)
>>> print(ast.unparse(call))
np.sum(np.array([v * v for v in x]))
"""

import ast
import copy
import dataclasses
import types

import numpy as np

from .tuples import kept_names

_TAKE_SEQUENCES = {"array", "asarray", "stack", "concatenate", "vstack", "hstack", "dstack",
                   "column_stack", "row_stack", "block"}


def as_list_comprehension(desugarer, node):
    """``list(e for v in xs)`` as ``[e for v in xs]``; any other node as it is."""
    if isinstance(node, ast.Call) and len(node.args) == 1 and not node.keywords \
            and isinstance(node.args[0], ast.GeneratorExp) \
            and desugarer.resolve(node.func) is list:
        generator = node.args[0]
        return ast.copy_location(ast.ListComp(generator.elt, generator.generators), node)
    return node


def array_of_list(desugarer, node):
    """``np.array(c)`` for the list comprehension ``c`` that the NumPy function called by
    ``node`` gets first (module docstring), spelled through the function's module; else
    None."""
    func = node.func
    if not (node.args and isinstance(node.args[0], ast.ListComp)
            and isinstance(func, ast.Attribute) and func.attr not in _TAKE_SEQUENCES):
        return None
    callee = desugarer.resolve(func)
    module = (getattr(callee, "__module__", None) or "").split(".")[0]
    if module != "numpy" and not isinstance(callee, np.ufunc):
        return None
    return ast.copy_location(ast.Call(ast.Attribute(copy.deepcopy(func.value), "array",
                                                    ast.Load()), [node.args[0]], []), node)


def arrays_of_lists(parsed):
    """``parsed`` with ``np.f(xs, ...)`` written ``np.f(np.array(xs), ...)`` where ``xs``
    only ever holds a list the function built (``built_lists``) and ``np.f`` takes an
    array; ``parsed`` itself when there is none."""
    if not parsed.of(ast.List, ast.ListComp):
        return parsed
    lists = built_lists(parsed)

    def converts(call):
        func = call.func
        if not (call.args and isinstance(call.args[0], ast.Name) and call.args[0].id in lists
                and isinstance(func, ast.Attribute) and func.attr not in _TAKE_SEQUENCES):
            return False
        root = _root(func)                          # np of np.mean, np.linalg.norm
        if root is None or root.id in lists or parsed.lookup(root.id, None) is not np:
            return False
        module = np
        for attribute in reversed(_attributes(func.value)):
            module = getattr(module, attribute, None)
        return isinstance(module, types.ModuleType)
    if not lists or not any(converts(c) for c in parsed.of(ast.Call)):
        return parsed

    class Convert(ast.NodeTransformer):
        def visit_Call(self, node):
            self.generic_visit(node)
            if converts(node):
                array = ast.Attribute(copy.deepcopy(_root(node.func)), "array", ast.Load())
                node.args[0] = ast.copy_location(ast.Call(array, [node.args[0]], []), node)
            return node
    node = Convert().visit(copy.deepcopy(parsed.node))
    return dataclasses.replace(parsed, node=ast.fix_missing_locations(node))


def _root(func):
    """The name ``np`` of ``np.linalg.norm``, or None."""
    while isinstance(func, ast.Attribute):
        func = func.value
    return func if isinstance(func, ast.Name) else None


def _attributes(node):
    """``["linalg"]`` of ``np.linalg``: the attributes read, innermost last."""
    names = []
    while isinstance(node, ast.Attribute):
        names.append(node.attr)
        node = node.value
    return names


def built_lists(parsed):
    """The local names every binding of which is a list display or a list comprehension
    (``losses = []`` filled by appends; ``zs, errs = [], []``; ``xs += [v]`` extends it),
    parameters, ``global`` names and names nested scopes use excepted (``tuples.kept_names``)."""
    listed, lists = set(), set()
    for node in parsed.of(ast.Assign):
        pairs = [(node.targets[0], node.value)] if len(node.targets) == 1 else []
        if pairs and isinstance(node.targets[0], ast.Tuple) and isinstance(node.value, ast.Tuple) \
                and len(node.targets[0].elts) == len(node.value.elts):
            pairs = list(zip(node.targets[0].elts, node.value.elts))
        for target, value in pairs:
            if isinstance(target, ast.Name) and isinstance(value, (ast.List, ast.ListComp)):
                listed.add(id(target))
                lists.add(target.id)
    for node in parsed.of(ast.AugAssign):          # xs += [v]: the same list, extended
        if isinstance(node.op, ast.Add) and isinstance(node.value, (ast.List, ast.ListComp)):
            listed.add(id(node.target))
    other = {n.id for n in parsed.of(ast.Name)
             if not isinstance(n.ctx, ast.Load) and id(n) not in listed}
    return lists - other - kept_names(parsed)
