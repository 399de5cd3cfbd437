"""Dicts with keys known when the code is generated, as one variable per key.

``scalarize(function, namer)`` rewrites a dict assigned once (``d = {"a": x, "b": y}``
or a dict comprehension over displays, ``{k: v * 2 for k, v in zip("ab", [x, y])}``)
whose every use reads a key it has (``d["a"]``) or a view (``d.values()``, ``d.items()``,
``d.keys()``) into one assignment per key (``d_a = x``), those reads into the names and
the views into lists of them, in the dict's order: the same values, with nothing left for
the normalizer to refuse.  Any other dict is left as it is, and the normalizer refuses it.

A loop over the keys of such a dict (``for k, v in d.items():``, ``for k in d:``,
``d.keys()``), whose variables nothing outside it reads or writes, is unrolled first: its
body once per key, ``k`` the key and ``v`` the read ``d["a"]``; so is a list or dict
comprehension over them, and a generator over them given to ``sum``, ``min``, ``max``...  A key is a string the
generated code cannot carry in a variable; written in place it indexes other dicts of the
same keys (``scale[k]``), and these reads become names too.
"""

import ast
import copy

from .substitute import Substitute


def scalarize(function, namer):
    """``function``'s body with its dicts of known keys scalarized (see the module
    docstring); the body unchanged when it has none."""
    _unroll_key_loops(function)
    stores, loads = {}, {}
    for node in ast.walk(function):
        if isinstance(node, ast.Name):
            (stores if isinstance(node.ctx, ast.Store) else loads).setdefault(node.id, []).append(node)
    params = {a.arg for a in ast.walk(function.args) if isinstance(a, ast.arg)}
    reads = {id(n.value): n for n in ast.walk(function)
             if isinstance(n, ast.Subscript) and isinstance(n.value, ast.Name)}
    views = {id(n.func.value) for n in ast.walk(function) if _view(n)}
    variables = {}
    for stmt in ast.walk(function):
        if not (isinstance(stmt, ast.Assign) and len(stmt.targets) == 1
                and isinstance(stmt.targets[0], ast.Name)):
            continue
        name = stmt.targets[0].id
        entries = _entries(stmt.value)
        if entries is None or len(stores.get(name, [])) != 1 or name in params:
            continue
        keys = {key for key, _ in entries}
        uses = [reads.get(id(load)) for load in loads.get(name, []) if id(load) not in views]
        if all(use is not None and isinstance(use.slice, ast.Constant)
               and use.slice.value in keys and isinstance(use.ctx, ast.Load) for use in uses):
            names = {key: namer.fresh(f"{name}_{_spelled(key)}") for key, _ in entries}
            variables[name] = (stmt, entries, names)
    if not variables:
        return function.body
    return _Rewrite(variables).block(function.body)


def _unroll_key_loops(function):
    """Unroll, in place, the loops over the keys of dicts assigned once to displays (see
    the module docstring)."""
    if not any(isinstance(n, ast.comprehension) or isinstance(n, ast.For)
               for n in ast.walk(function)):
        return
    stored = {}
    for node in ast.walk(function):
        if isinstance(node, ast.Name) and not isinstance(node.ctx, ast.Load):
            stored[node.id] = stored.get(node.id, 0) + 1
    params = {a.arg for a in ast.walk(function.args) if isinstance(a, ast.arg)}
    known = {}
    for stmt in ast.walk(function):
        if isinstance(stmt, ast.Assign) and len(stmt.targets) == 1 \
                and isinstance(stmt.targets[0], ast.Name):
            name = stmt.targets[0].id
            entries = _entries(stmt.value)
            keys = [key for key, _ in entries or ()]
            if entries and stored.get(name) == 1 and name not in params \
                    and len(set(map(repr, keys))) == len(keys):
                known[name] = keys
    if known:
        _KeyLoops(function, known).visit(function)


# calls whose value is the same given a list as given a generator of the same elements
_REDUCTIONS = frozenset(("sum", "min", "max", "list", "tuple", "sorted", "fsum", "prod", "any",
                         "all"))


class _KeyLoops(ast.NodeTransformer):
    def __init__(self, function, known):
        self.function = function
        self.known = known

    def visit_For(self, loop):
        self.generic_visit(loop)
        unrolled = self.unrolled(loop)
        return loop if unrolled is None else unrolled

    def visit_ListComp(self, node):
        self.generic_visit(node)
        elements = self.comprehended(node, node.elt)
        return node if elements is None else ast.copy_location(
            ast.List(elements, ast.Load()), node)

    def visit_DictComp(self, node):
        self.generic_visit(node)
        pairs = self.comprehended(node, ast.Tuple([node.key, node.value], ast.Load()))
        return node if pairs is None else ast.copy_location(
            ast.Dict([p.elts[0] for p in pairs], [p.elts[1] for p in pairs]), node)

    def visit_Call(self, node):
        self.generic_visit(node)
        func = node.func
        if len(node.args) == 1 and isinstance(node.args[0], ast.GeneratorExp) and (
                isinstance(func, ast.Name) and func.id in _REDUCTIONS
                or isinstance(func, ast.Attribute) and func.attr in _REDUCTIONS):
            elements = self.comprehended(node.args[0], node.args[0].elt)
            if elements is not None:    # the same values in the same order, as a list
                node.args[0] = ast.copy_location(ast.List(elements, ast.Load()), node.args[0])
        return node

    def comprehended(self, node, element):
        """``element`` once per key of a comprehension over the keys of a known dict
        (one generator, no condition), or None."""
        if len(node.generators) != 1 or node.generators[0].ifs \
                or node.generators[0].is_async:
            return None
        generator = node.generators[0]
        found = self.over_keys(generator.iter, generator.target)
        if found is None:
            return None
        name, key_name, value_name = found
        return [Substitute(self.mapping(name, key, key_name, value_name)).visit(
            copy.deepcopy(element)) for key in self.known[name]]

    def over_keys(self, iterable, target):
        """(dict, key variable, value variable or None) of ``for target in iterable`` over
        the keys of a dict of ``known``, or None."""
        if isinstance(iterable, ast.Name):
            name, kind = iterable.id, "keys"
        elif _view(iterable) and iterable.func.attr in ("keys", "items"):
            name, kind = iterable.func.value.id, iterable.func.attr
        else:
            return None
        if name not in self.known:
            return None
        if kind == "items" and isinstance(target, ast.Tuple) and len(target.elts) == 2 \
                and all(isinstance(e, ast.Name) for e in target.elts) \
                and target.elts[0].id != target.elts[1].id:
            return name, target.elts[0].id, target.elts[1].id
        if kind == "keys" and isinstance(target, ast.Name):
            return name, target.id, None
        return None

    @staticmethod
    def mapping(name, key, key_name, value_name):
        mapping = {key_name: ast.Constant(key)}
        if value_name is not None:
            mapping[value_name] = ast.Subscript(ast.Name(name, ast.Load()), ast.Constant(key),
                                                ast.Load())
        return mapping

    def unrolled(self, loop):
        """The statements of ``loop`` unrolled, or None when it is no loop over the keys
        of a dict of ``known``."""
        if loop.orelse:
            return None
        found = self.over_keys(loop.iter, loop.target)
        if found is None:
            return None
        name, key_name, value_name = found
        target = loop.target
        variables = {key_name, value_name} - {None}
        inside = {id(n) for n in ast.walk(loop)}
        if any(isinstance(n, (ast.Break, ast.Continue)) for s in loop.body for n in ast.walk(s)) \
                or any(isinstance(n, ast.Name) and n.id in variables and (
                    id(n) not in inside or not isinstance(n.ctx, ast.Load))
                    for n in ast.walk(self.function) if n is not target
                    and not (isinstance(target, ast.Tuple) and n in target.elts)):
            return None          # read after the loop, or rebound: left to the normalizer
        out = []
        for key in self.known[name]:
            mapping = self.mapping(name, key, key_name, value_name)
            for stmt in loop.body:
                out.append(Substitute(mapping).visit(copy.deepcopy(stmt)))
        return out


def _view(node):
    """Whether ``node`` is ``d.values()``, ``d.items()`` or ``d.keys()`` of a name ``d``."""
    return isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) \
        and node.func.attr in ("values", "items", "keys") and not node.args \
        and not node.keywords and isinstance(node.func.value, ast.Name)


def _entries(value):
    """[(key, expression)] of a dict display with constant keys or of a dict comprehension
    over displays; None for any other value."""
    if isinstance(value, ast.Dict):
        if all(isinstance(k, ast.Constant) for k in value.keys):
            return [(k.value, v) for k, v in zip(value.keys, value.values)]
        return None
    if not (isinstance(value, ast.DictComp) and len(value.generators) == 1
            and not value.generators[0].ifs):
        return None
    generator = value.generators[0]
    rows = _rows(generator.iter)
    if rows is None:
        return None
    entries = []
    for row in rows:
        mapping = _bind(generator.target, row)
        if mapping is None:
            return None
        key = Substitute(mapping).visit(copy.deepcopy(value.key))
        if not isinstance(key, ast.Constant):
            return None
        entries.append((key.value, Substitute(mapping).visit(copy.deepcopy(value.value))))
    return entries


def _rows(node):
    """The elements ``node`` yields, each a name or a constant, when its text tells them:
    a display, a string, ``zip`` or ``enumerate`` of those."""
    if isinstance(node, (ast.List, ast.Tuple)):
        if all(isinstance(e, (ast.Name, ast.Constant)) for e in node.elts):
            return list(node.elts)
        return None
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return [ast.Constant(c) for c in node.value]
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and not node.keywords:
        columns = [_rows(a) for a in node.args]
        if any(c is None for c in columns) or not columns:
            return None
        if node.func.id == "zip":
            return [ast.Tuple(list(row), ast.Load()) for row in zip(*columns)]
        if node.func.id == "enumerate" and len(columns) == 1:
            return [ast.Tuple([ast.Constant(i), e], ast.Load()) for i, e in enumerate(columns[0])]
    return None


def _bind(target, row):
    if isinstance(target, ast.Name):
        return {target.id: row}
    if isinstance(target, (ast.Tuple, ast.List)) and isinstance(row, ast.Tuple) \
            and len(target.elts) == len(row.elts):
        mapping = {}
        for sub_target, element in zip(target.elts, row.elts):
            inner = _bind(sub_target, element)
            if inner is None:
                return None
            mapping.update(inner)
        return mapping
    return None


def _spelled(key):
    text = str(key)
    return text if text.isidentifier() or text.isdigit() else "key"


class _Rewrite(ast.NodeTransformer):
    """The assignments of the dicts into one per key, their reads into the names."""

    def __init__(self, variables):
        self.variables = variables
        self.assignments = {id(stmt): name for name, (stmt, _, _) in variables.items()}

    def block(self, stmts):
        out = []
        for stmt in stmts:
            name = self.assignments.get(id(stmt))
            if name is None:
                out.append(self.visit(stmt))
                continue
            _, entries, names = self.variables[name]
            for key, value in entries:
                out.append(ast.copy_location(ast.Assign(
                    [ast.Name(names[key], ast.Store())], self.visit(value)), stmt))
        return out

    def generic_visit(self, node):
        for field in ("body", "orelse"):
            if isinstance(getattr(node, field, None), list) and isinstance(node, ast.stmt):
                setattr(node, field, self.block(getattr(node, field)))
        for field, value in ast.iter_fields(node):
            if field in ("body", "orelse") and isinstance(node, ast.stmt):
                continue
            if isinstance(value, ast.AST):
                setattr(node, field, self.visit(value))
            elif isinstance(value, list):
                setattr(node, field, [self.visit(v) if isinstance(v, ast.AST) else v
                                      for v in value])
        return node

    def visit_Call(self, node):
        if _view(node) and node.func.value.id in self.variables:
            _, entries, names = self.variables[node.func.value.id]
            parts = {"keys": lambda key: ast.Constant(key),
                     "values": lambda key: ast.Name(names[key], ast.Load()),
                     "items": lambda key: ast.Tuple([ast.Constant(key), ast.Name(
                         names[key], ast.Load())], ast.Load())}[node.func.attr]
            return ast.copy_location(ast.List([parts(key) for key, _ in entries], ast.Load()),
                                     node)
        return self.generic_visit(node)

    def visit_Subscript(self, node):
        if isinstance(node.value, ast.Name) and node.value.id in self.variables \
                and isinstance(node.slice, ast.Constant):
            names = self.variables[node.value.id][2]
            return ast.copy_location(ast.Name(names[node.slice.value], ast.Load()), node)
        return self.generic_visit(node)
