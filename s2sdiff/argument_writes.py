"""What a user's function that s2sdiff cannot normalise may write into: read from its
syntax, for ``aliases.writes_arguments`` (a function returning nothing, such as
``def push(lst, x): lst.append(x)``, has no SSA program to summarise).

Conservative: a parameter counts as written when the function stores into an item of it
(``v[i] = e``, ``v[i] /= s``; an attribute, ``self.n = x``, is refused where it is
written, with a message of its own), calls a method of it that writes in place
(``v.append(e)``, ``a.fill(0.0)``), passes it to a NumPy function that writes into an
argument (``np.fill_diagonal(a, 0.0)``, ``np.copyto(a, b)``) or as ``out=``, or passes it
to a function called by name that is no pure builtin (one of yours may write into it).
``v += e`` counts apart (``augmented``): in place for a list or an array, a new value for
a number.

>>> import ast
>>> syntactic_writes(ast.parse("def f(v, w, s):\\n    v.append(s)\\n    w += s").body[0])
({'v'}, {'w'})
"""

import ast

import numpy as np

# methods that write into the object they are called on (lists, arrays, dicts, sets)
MUTATORS = frozenset(("append", "extend", "insert", "pop", "remove", "sort", "reverse",
                       "clear", "update", "setdefault", "popitem", "add", "discard", "fill",
                       "put", "itemset", "resize", "setfield", "partition", "__setitem__",
                       "__iadd__"))


# NumPy's functions that write into their first argument -> a rewrite into a new array
# (``normalize/in_place.py`` refuses their calls with it)
NUMPY_IN_PLACE = {
    np.fill_diagonal: "`A = np.where(np.eye(len(A), dtype=bool), value, A)`",
    np.copyto: "`y = np.array(x)` (a new array) instead of copying into `y`",
    np.put: "an index assignment on an array the function made, `y[[0, 2]] = v`",
    np.place: "`y = np.where(mask, values, y)`",
    np.putmask: "`y = np.where(mask, values, y)`",
    np.put_along_axis: "an index assignment on an array the function made",
    np.random.shuffle: "`x = rng.permutation(x)` (a new array)",
}
_NUMPY_IN_PLACE_NAMES = frozenset(f.__name__ for f in NUMPY_IN_PLACE)
# builtins that never write into their arguments
_PURE_BUILTINS = frozenset(("print", "len", "sum", "min", "max", "abs", "float", "int", "bool",
                            "isinstance", "str", "repr", "format", "sorted", "list", "tuple",
                            "range", "enumerate", "zip", "any", "all", "round", "type", "id",
                            "hash", "iter", "reversed", "map", "filter", "dict", "set",
                            "hasattr", "getattr", "callable", "issubclass", "divmod", "pow",
                            "complex", "slice", "next", "ValueError", "TypeError",
                            "NotImplementedError", "ArithmeticError", "ZeroDivisionError"))


def syntactic_writes(node):
    """(parameters written, parameters augmented) of the function definition ``node``."""
    args = node.args
    params = {a.arg for a in args.posonlyargs + args.args + args.kwonlyargs}
    written, augmented = set(), set()
    for sub in ast.walk(node):
        if isinstance(sub, ast.Subscript) and isinstance(sub.ctx, (ast.Store, ast.Del)):
            written |= _roots(sub.value, params)
        elif isinstance(sub, ast.AugAssign) and isinstance(sub.target, ast.Name) \
                and sub.target.id in params:
            augmented.add(sub.target.id)
        elif isinstance(sub, ast.Call):
            func = sub.func
            if isinstance(func, ast.Attribute) and func.attr in MUTATORS:
                written |= _roots(func.value, params)
            passed = [k.value for k in sub.keywords if k.arg == "out"]
            if isinstance(func, ast.Attribute) and func.attr in _NUMPY_IN_PLACE_NAMES and sub.args:
                passed.append(sub.args[0])              # np.fill_diagonal(a, 0.0)
            elif isinstance(func, ast.Name) and func.id not in _PURE_BUILTINS \
                    and func.id not in params:      # a parameter called: refused itself
                passed += list(sub.args) + [k.value for k in sub.keywords]   # may write
            for value in passed:
                written |= _roots(value, params)
    return written, augmented - written


def _roots(node, params):
    """The parameters ``node`` reads through (``v`` of ``v``, ``v[0]``, ``v.x``)."""
    while isinstance(node, (ast.Subscript, ast.Attribute, ast.Starred)):
        node = node.value
    return {node.id} if isinstance(node, ast.Name) and node.id in params else set()
