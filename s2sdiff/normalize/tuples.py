"""A name that only ever holds a tuple display of one length becomes one name per entry.

When every assignment of a local name is ``state = (e1, ..., en)`` (one target, a tuple
display of ``n`` entries, no ``*``) and every read of it is an unpacking into ``n`` names
(``h, c = state``), an index by an int literal (``state[0]``, ``state[-1]``),
``len(state)``, ``return state`` or an argument (``np.stack(state)``, ``g(state)``), the
name is replaced by ``n`` fresh names ``state_0``...: the assignment becomes ``state_0,
state_1 = e1, e2``, the unpacking ``h, c = state_0, state_1``, the index ``state_0``,
``len(state)`` the literal ``n``, and the return and the argument the display ``(state_0,
state_1)``: a new tuple of the same entries, which only ``is`` tells apart.  The entries then flow through loops and
branches as separate values, which NumPy code differentiates (it refuses indexing a tuple
held in a name).  Python evaluates the display's entries before it binds any of them, and
so does the unpacking the normalizer makes of ``state_0, state_1 = e1, e2``.

A name read any other way (iterated, compared, a keyword argument), assigned
any other way, a parameter, declared ``global`` or ``nonlocal``, or read in a nested
function or lambda is left as it is; so is an index out of range (Python's ``IndexError``
stays where it is raised).

>>> import ast
>>> from s2sdiff.parse import parse
>>> def lstm(x):
...     state = (x, 0.0)
...     for t in range(2):
...         h, c = state
...         state = (h * c, c + h)
...     return state[0] * len(state)
>>> print(ast.unparse(split(parse(lstm)).node.body))
state_0, state_1 = (x, 0.0)
for t in range(2):
    h, c = (state_0, state_1)
    state_0, state_1 = (h * c, c + h)
return state_0 * 2
"""

import ast
import copy
import dataclasses

from ..syntax import Unused

_SCOPES = (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef)


def split(parsed):
    """``parsed`` with each such name split (module docstring), or ``parsed`` itself."""
    lengths = _candidates(parsed)
    if not lengths:
        return parsed
    node = copy.deepcopy(parsed.node)
    names = Unused(node)
    entries = {name: [names.fresh(f"{name}_{i}") for i in range(length)]
               for name, length in lengths.items()}
    node.body = [_Split(entries).visit(stmt) for stmt in node.body]
    ast.fix_missing_locations(node)
    return dataclasses.replace(parsed, node=node)


def _candidates(parsed):
    """``{name: n}`` for the names that may be split."""
    displays = {}                      # name -> the lengths of the displays it is given
    for stmt in parsed.of(ast.Assign):
        if len(stmt.targets) == 1 and isinstance(stmt.targets[0], ast.Name) \
                and isinstance(stmt.value, ast.Tuple) \
                and not any(isinstance(e, ast.Starred) for e in stmt.value.elts):
            displays.setdefault(stmt.targets[0].id, set()).add(len(stmt.value.elts))
    if not displays:
        return {}
    excluded = kept_names(parsed)
    lengths = {name: next(iter(n)) for name, n in displays.items()
               if len(n) == 1 and name not in excluded and next(iter(n)) > 0}
    allowed = set()                    # the ids of the Name nodes read or written as wanted
    for stmt in parsed.of(ast.Assign):
        target, value = stmt.targets[0], stmt.value
        if len(stmt.targets) == 1 and isinstance(target, ast.Name) and target.id in lengths \
                and isinstance(value, ast.Tuple) and len(value.elts) == lengths[target.id]:
            allowed.add(id(target))
        if len(stmt.targets) == 1 and isinstance(value, ast.Name) and value.id in lengths \
                and isinstance(target, (ast.Tuple, ast.List)) \
                and len(target.elts) == lengths[value.id] \
                and not any(isinstance(e, ast.Starred) for e in target.elts):
            allowed.add(id(value))
    for sub in parsed.of(ast.Subscript):
        if isinstance(sub.value, ast.Name) and sub.value.id in lengths \
                and isinstance(sub.ctx, ast.Load) \
                and _index(sub.slice, lengths[sub.value.id]) is not None:
            allowed.add(id(sub.value))
    for stmt in parsed.of(ast.Return):
        if isinstance(stmt.value, ast.Name) and stmt.value.id in lengths:
            allowed.add(id(stmt.value))
    for call in parsed.of(ast.Call):      # len(state), np.stack(state), g(state)
        allowed.update(id(a) for a in call.args if isinstance(a, ast.Name))
    for name in parsed.of(ast.Name):
        if name.id in lengths and id(name) not in allowed:
            del lengths[name.id]        # read or written some other way: left as it is
    return lengths


def kept_names(parsed):
    """The names a pass that splits a local name into several must leave as they are: the
    parameters, names declared ``global`` or ``nonlocal``, and names a nested function,
    lambda or class reads or writes."""
    args = parsed.node.args
    kept = {a.arg for a in args.posonlyargs + args.args + args.kwonlyargs}
    for declared in parsed.of(ast.Global, ast.Nonlocal):
        kept.update(declared.names)
    for scope in parsed.of(*_SCOPES):
        if scope is not parsed.node:
            kept.update(n.id for n in ast.walk(scope) if isinstance(n, ast.Name))
    return kept


def _index(node, length):
    """The entry ``node`` (an int literal, maybe negative) selects, or None."""
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub) \
            and isinstance(node.operand, ast.Constant):
        value = node.operand.value
        value = -value if type(value) is int else None
    else:
        value = node.value if isinstance(node, ast.Constant) else None
    if type(value) is not int or not -length <= value < length:
        return None
    return value % length


class _Split(ast.NodeTransformer):
    def __init__(self, entries):
        self.entries = entries

    def names(self, name, ctx):
        return ast.Tuple([ast.Name(e, ctx()) for e in self.entries[name]], ctx())

    def visit_Assign(self, node):
        self.generic_visit(node)
        target = node.targets[0]
        if isinstance(target, ast.Name) and target.id in self.entries:
            node.targets = [ast.copy_location(self.names(target.id, ast.Store), target)]
        elif isinstance(node.value, ast.Name) and node.value.id in self.entries:
            node.value = ast.copy_location(self.names(node.value.id, ast.Load), node.value)
        return node

    def visit_Return(self, node):
        self.generic_visit(node)
        if isinstance(node.value, ast.Name) and node.value.id in self.entries:
            node.value = ast.copy_location(self.names(node.value.id, ast.Load), node.value)
        return node

    def visit_Subscript(self, node):
        if isinstance(node.value, ast.Name) and node.value.id in self.entries:
            entries = self.entries[node.value.id]
            return ast.copy_location(
                ast.Name(entries[_index(node.slice, len(entries))], ast.Load()), node)
        return self.generic_visit(node)

    def visit_Call(self, node):
        if isinstance(node.func, ast.Name) and node.func.id == "len" and len(node.args) == 1 \
                and isinstance(node.args[0], ast.Name) and node.args[0].id in self.entries:
            return ast.copy_location(ast.Constant(len(self.entries[node.args[0].id])), node)
        self.generic_visit(node)
        node.args = [ast.copy_location(self.names(a.id, ast.Load), a)
                     if isinstance(a, ast.Name) and a.id in self.entries else a
                     for a in node.args]
        return node
