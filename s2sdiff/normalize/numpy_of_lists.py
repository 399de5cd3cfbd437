"""NumPy functions of list comprehensions, written as NumPy functions of arrays.

Before comprehensions become loops (``comprehensions.py``):

* ``list(e for v in xs)`` (so ``list(map(f, xs))`` after ``maps.py``) is the list
  comprehension ``[e for v in xs]``, the same list;
* a NumPy function (a ufunc too) whose first argument is a list comprehension gets
  ``np.array`` of it, as NumPy converts it anyway: ``np.sum([v ** 2 for v in x])`` is
  ``np.sum(np.array([v ** 2 for v in x]))``, whose comprehension the desugarer writes as
  rows of a preallocated array.  Not the functions that take a sequence of arrays
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

import numpy as np

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
