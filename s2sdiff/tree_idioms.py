"""Everyday idioms on tree parameters, resolved when the code is generated from the
tree's layout (its keys, field names and classes, part of the key the code is cached
on: another layout gets code of its own), for the tree rewrite (``tree_flatten.py``):

* keys spelled by the code: ``params[f"w{i}"]`` once ``i`` is a constant (a loop over
  ``range`` with constant bounds is unrolled), ``for name in ("hidden", "output"):``
  (a loop over a display of constants whose variable indexes a tree: unrolled, the key
  a constant in each copy, ``if name == "hidden":`` decided in each), ``for name in
  params`` and ``sorted(params)`` (a dict's keys, in its order or sorted);
* ``params.get("scale", 1.0)``: the leaf when the layout has the key, else the default;
* ``{k: v ** 2 for k, v in params.items()}``: the dict display of one entry per key
  (no ``if`` clause), which the normalizer scalarises (``normalize/dicts.py``);
* ``g.log_pdf(x)``, ``g`` a dataclass or namedtuple (part of a) tree: the method of
  ``g``'s class, called as ``Gaussian.log_pdf(g, x)`` and inlined like any helper given
  a tree (``tree_helpers.py``); the generated code checks that ``Gaussian.log_pdf``
  still is that function (``emit.guarded_calls``).

A key not known when the code is generated, ``get`` with a computed key, a method that
is a property or a class's own attribute of another kind are refused at their line.
"""

import ast
import copy
import dataclasses
import inspect
import math
import types

import numpy as np

from . import tree_keys
from .normalize.comprehensions import desugar
from .trees import _NOT_CONSTANT, ARRAY_ATTRIBUTES, _constant, _is_leaf

_CONVERSIONS = {-1: format, 115: lambda v, spec: format(str(v), spec),
                114: lambda v, spec: format(repr(v), spec),
                97: lambda v, spec: format(ascii(v), spec)}
_KEYS = (str, int)


def joined(node):
    """``"W" + str(l)`` (string literals and ``str()`` of values joined by ``+``) as the
    f-string it equals, ``f"W{l!s}"``; else None."""
    parts = []

    def add(part):
        if isinstance(part, ast.BinOp) and isinstance(part.op, ast.Add):
            return add(part.left) and add(part.right)
        if isinstance(part, ast.Constant) and isinstance(part.value, str):
            parts.append(ast.Constant(part.value))
            return True
        if isinstance(part, ast.Call) and isinstance(part.func, ast.Name) \
                and part.func.id == "str" and len(part.args) == 1 and not part.keywords:
            parts.append(ast.FormattedValue(part.args[0], 115, None))
            return True
        return False
    if not (isinstance(node, ast.BinOp) and add(node)
            and any(isinstance(p, ast.Constant) for p in parts)):
        return None
    return ast.copy_location(ast.JoinedStr(parts), node)


def constant_key(node):
    """``trees._constant(node)``, and the text of an f-string whose parts are constants
    (``f"w{0}"`` once a loop made ``i`` the constant 0), or of such a string written with
    ``+`` (``"W" + str(1)``: ``joined``)."""
    node = joined(node) or node
    if not isinstance(node, ast.JoinedStr):
        return _constant(node)
    text = []
    for part in node.values:
        if isinstance(part, ast.Constant) and isinstance(part.value, str):
            text.append(part.value)
            continue
        if not isinstance(part, ast.FormattedValue) or part.conversion not in _CONVERSIONS:
            return _NOT_CONSTANT
        value = _constant(part.value)
        spec = "" if part.format_spec is None else constant_key(part.format_spec)
        if value is _NOT_CONSTANT or not isinstance(spec, str) \
                or type(value) not in (str, int, float, bool):
            return _NOT_CONSTANT
        try:
            text.append(_CONVERSIONS[part.conversion](value, spec))
        except (ValueError, TypeError):
            return _NOT_CONSTANT
    return "".join(text)


def extra_candidates(parsed, params, wrt_names):
    """Parameters that ``trees.candidates`` misses and these idioms read as trees:
    indexed by an f-string or by the variable of a loop over constants or over the
    parameter itself, indexed by the key of a loop over a dict parameter's keys or items
    (``scale[k]`` in ``for k in p: ... p[k]`` or ``for k, v in p.items()``), ``p.get("k")``, and a method of a differentiated parameter that
    an array does not have and that is not a function of ``math`` or NumPy
    (``g.log_pdf(x)``, not ``p.exp(x)``: refused where it is generated, as before)."""
    loop_keys = {}          # loop variable -> the parameter iterated, or "" (constants)
    dict_keys = {}          # loop variable -> the parameter whose items() the loop runs over
    for sub in parsed.of(ast.For, ast.comprehension):      # in order: the last loop wins
        target, iterated = sub.target, sub.iter
        if isinstance(iterated, ast.Call) and isinstance(iterated.func, ast.Name) \
                and iterated.func.id == "enumerate" and iterated.args \
                and isinstance(target, ast.Tuple) and len(target.elts) == 2:
            target, iterated = target.elts[1], iterated.args[0]     # for i, key in enumerate(p)
        if isinstance(target, ast.Tuple) and len(target.elts) == 2 \
                and isinstance(target.elts[0], ast.Name):
            items = _unwrapped(iterated)       # for k, v in p.items(), sorted(p.items())
            if isinstance(items, ast.Call) and isinstance(items.func, ast.Attribute) \
                    and items.func.attr == "items" and not items.args \
                    and isinstance(items.func.value, ast.Name) and items.func.value.id in params:
                dict_keys[target.elts[0].id] = items.func.value.id
        if isinstance(target, ast.Name):
            iterated = _unwrapped(iterated)
            if isinstance(iterated, (ast.List, ast.Tuple)) and iterated.elts and all(
                    isinstance(e, ast.Constant) and type(e.value) in _KEYS
                    for e in iterated.elts):
                loop_keys[target.id] = ""
            elif isinstance(iterated, ast.Name) and iterated.id in params:
                loop_keys[target.id] = iterated.id
            elif tree_keys.global_keys(parsed, iterated, params | parsed.stored()):
                loop_keys[target.id] = ""               # for k in LAYERS (tree_keys.py)
    found = set()
    for sub in parsed.of(ast.Subscript):
        root = sub.value
        while isinstance(root, (ast.Subscript, ast.Attribute)):
            root = root.value
        if not isinstance(root, ast.Name) or root.id not in params:
            continue
        key = joined(sub.slice) or sub.slice       # parameters["W" + str(l)]
        if isinstance(key, ast.JoinedStr) or isinstance(key, ast.Name) and (
                loop_keys.get(key.id, None) is not None):
            found.add(root.id)          # for k in names: params[k], names a parameter too
            if isinstance(key, ast.Name) and loop_keys[key.id]:
                found.add(loop_keys[key.id])
    for sub in parsed.of(ast.Subscript):     # scale[k], k a key of the dict p: keyed too
        key = sub.slice
        if isinstance(sub.value, ast.Name) and sub.value.id in params \
                and isinstance(key, ast.Name) \
                and (key.id in dict_keys or loop_keys.get(key.id) in found):
            found.add(sub.value.id)
    for sub in parsed.of(ast.Call):
        if isinstance(sub.func, ast.Attribute) \
                and isinstance(sub.func.value, ast.Name) and sub.func.value.id in params:
            name, attr = sub.func.value.id, sub.func.attr
            if attr == "get" and sub.args and (isinstance(sub.args[0], (
                    ast.Constant, ast.JoinedStr)) or isinstance(sub.args[0], ast.Name) and (
                    sub.args[0].id in dict_keys or sub.args[0].id in loop_keys)):
                found.add(name)             # scale.get(k, 1.0), k a key of a loop
            elif name in wrt_names and attr not in ARRAY_ATTRIBUTES and attr != "get" \
                    and not hasattr(math, attr) and not hasattr(np, attr):
                found.add(name)       # not `math.exp(x)` of a parameter named math
    return found


def _unwrapped(node):
    """``sorted(p)``, ``list(p)``, ``reversed(p)``, ``p.keys()`` -> ``p``."""
    while isinstance(node, ast.Call) and not node.args[1:] and (
            isinstance(node.func, ast.Name) and node.func.id in ("sorted", "list", "reversed",
                                                                 "tuple") and node.args
            or isinstance(node.func, ast.Attribute) and node.func.attr == "keys"
            and not node.args):
        node = node.args[0] if node.args else node.func.value
    return node


class Sequence:
    """A list or tuple whose entries (expressions) are known when code is generated;
    ``kind`` ``"range"`` (or entries all constants): a loop's variable is substituted."""

    def __init__(self, kind, elements):
        self.kind, self.elements = kind, elements

    @property
    def substituted(self):
        return self.kind == "range" or bool(self.elements) and all(
            isinstance(e, ast.Constant) for e in self.elements)


def describe(tree):
    kind, keys, _ = tree
    if kind is dict:
        return f"the dict with keys {', '.join(map(repr, keys)) or 'none'}"
    if isinstance(keys, int):
        return f"the {kind.__name__} of length {keys}"
    return f"the {kind.__name__} with fields {', '.join(keys)}"


class Idioms:
    """The flattener's (``tree_flatten._Flattener``) handling of the idioms above."""

    def keys_of(self, node, found):
        """The keys of the dict (part of a) tree ``found`` (``resolve``'s), as constants."""
        keys = found[1][1]
        if not all(type(k) in (str, int, float, bool) for k in keys):
            raise self.refuse(node, f"{ast.unparse(node)}: the keys of {describe(found[1])} "
                                    f"are not strings or numbers",
                              "Key the dict with strings or numbers, or read each leaf by "
                              "its key.")
        return [ast.Constant(k) for k in keys]

    def int_key(self, name, value, loop):
        """Whether the loop ``loop`` binds ``name`` to the int ``value`` and indexes a tree
        with it (``for i, key in enumerate(params)``, integer keys): the body reads the
        constant, ``params[3]``, and ``name`` is assigned too, for after the loop."""
        return isinstance(value, ast.Constant) and type(value.value) is int and any(
            isinstance(s, ast.Subscript) and self.derived(s.value) and any(
                isinstance(n, ast.Name) and n.id == name for n in ast.walk(s.slice))
            for stmt in loop.body for s in ast.walk(stmt))

    def sorted_sequence(self, node):
        """``sorted(s)`` (``reverse=`` a constant) of a sequence of constants known here,
        or of ``(key, leaf)`` pairs with distinct keys (``sorted(params.items())``)."""
        if not (self.builtin(node.func, "sorted") and len(node.args) == 1
                and all(k.arg == "reverse" for k in node.keywords)):
            return None
        reverse = _constant(node.keywords[0].value) if node.keywords else False
        inner = self.sequence(node.args[0])
        if inner is None or not isinstance(reverse, bool):
            return None
        def key(e):             # a key, or the pair (key, leaf) of items(): by its key
            return (e.elts[0] if isinstance(e, ast.Tuple) and e.elts else e).value
        firsts = [e.elts[0] if isinstance(e, ast.Tuple) and e.elts else e
                  for e in inner.elements]
        if not all(isinstance(e, ast.Constant) for e in firsts) or (
                any(isinstance(e, ast.Tuple) for e in inner.elements)
                and len({repr(e.value) for e in firsts}) < len(firsts)):
            raise self.refuse(node, f"{ast.unparse(node)} sorts values of a tree",
                              "Sort the keys (sorted(params)) or the items "
                              "(sorted(params.items())), not the leaves.")
        try:
            ordered = sorted(inner.elements, key=key, reverse=reverse)
        except TypeError:
            raise self.refuse(node, f"{ast.unparse(node)}: the keys cannot be compared") \
                from None
        return Sequence("list", [copy.deepcopy(e) for e in ordered])

    def literal_loop(self, loop):
        """``for name in ("hidden", "output"):`` whose body indexes a tree with ``name``
        (or over a free name holding such keys now, ``for name in LAYERS:``, the code
        then checking it still does: ``tree_keys.py``): the constants, for the loop to be
        unrolled; else None."""
        free = tree_keys.global_keys(self.parsed, loop.iter, self.assigned)
        if free is None and not (isinstance(loop.iter, (ast.List, ast.Tuple))
                                 and loop.iter.elts and all(
                                     isinstance(e, ast.Constant) and type(e.value) in _KEYS
                                     for e in loop.iter.elts)):
            return None
        if not isinstance(loop.target, ast.Name):
            return None
        name = loop.target.id
        if not any(isinstance(n, ast.Subscript) and self.derived(n.value)
                   and any(isinstance(m, ast.Name) and m.id == name for m in ast.walk(n.slice))
                   for stmt in loop.body for n in ast.walk(stmt)):
            return None
        if free is not None:
            tree_keys.record(self.baked, loop.iter.id, free)
            return Sequence("range", [ast.Constant(v) for v in free])
        return Sequence("range", [copy.deepcopy(e) for e in loop.iter.elts])

    def after_loop(self, loop, last):
        """What a loop unrolled with its variable a constant leaves in it: ``i = 2`` after
        ``for i in range(3)``; a key (a string, which generated code does not hold) read
        after the loop is refused."""
        name = loop.target.id
        if not isinstance(last.value, str):
            return [ast.copy_location(ast.Assign([ast.Name(name, ast.Store())], last), loop)]
        span = ((loop.lineno, loop.col_offset), (loop.end_lineno, loop.end_col_offset))
        own = {id(n) for c in ast.walk(self.parsed.node) if isinstance(c, (
            ast.ListComp, ast.SetComp, ast.GeneratorExp, ast.DictComp)) and any(
                isinstance(t, ast.Name) and t.id == name for g in c.generators
                for t in ast.walk(g.target)) for n in ast.walk(c)}   # [k for k in p]: its own
        if any(isinstance(n, ast.Name) and n.id == name and id(n) not in own
               and not span[0] <= (n.lineno, n.col_offset) <= span[1]
               for n in ast.walk(self.parsed.node)):   # the function as written: a copy here
            raise self.refuse(loop, f"{name}, the key of the loop over {ast.unparse(loop.iter)}, "
                                    f"is used outside the loop", "Use a new name there.")
        return []

    def dict_view(self, node):
        """``params.items()``, ``.values()`` or ``.keys()`` of a dict (part of a) tree: its
        ``(key, leaf)`` pairs, leaves or keys in the dict's order; else None."""
        func = node.func
        if not (isinstance(func, ast.Attribute) and func.attr in ("items", "values", "keys")
                and not node.args and not node.keywords):
            return None
        found = self.part(func.value)
        if found is None or _is_leaf(found[1]) or not issubclass(found[1][0], dict):
            return None
        keys = [k.value for k in self.keys_of(node, found)]

        def read(key):
            return ast.copy_location(ast.Subscript(copy.deepcopy(func.value), ast.Constant(key),
                                                   ast.Load()), node)
        entries = {"keys": [ast.Constant(k) for k in keys], "values": [read(k) for k in keys],
                   "items": [ast.Tuple([ast.Constant(k), read(k)], ast.Load()) for k in keys]}
        return Sequence("list", entries[func.attr])

    def dict_get(self, node):
        """``params.get(key, default)`` of a dict (part of a) tree: the leaf's read when
        the layout has ``key``, else ``default`` (``None`` without one); else None."""
        func = node.func
        if not (isinstance(func, ast.Attribute) and func.attr == "get"
                and 1 <= len(node.args) <= 2 and not node.keywords):
            return None
        found = self.part(func.value)
        if found is None or _is_leaf(found[1]) or found[1][0] is not dict:
            return None
        key = constant_key(node.args[0])
        if key is _NOT_CONSTANT:
            raise self.refuse(node, f"{ast.unparse(node)} reads the tree parameter "
                                    f"{found[0]} with a key that is not a constant")
        if key in found[1][1]:
            read = ast.Subscript(copy.deepcopy(func.value), ast.Constant(key), ast.Load())
            return self.visit(ast.copy_location(read, node))
        if len(node.args) == 2:
            return self.visit(node.args[1])
        return ast.copy_location(ast.Constant(None), node)

    def visit_DictComp(self, node):
        """``{k: e for k, v in params.items()}``: the display of one entry per entry of
        the sequence (no ``if`` clause)."""
        if not self.derived(ast.Module([ast.Expr(g.iter) for g in node.generators], [])):
            return self._scope(node)
        pair = ast.ListComp(ast.Tuple([node.key, node.value], ast.Load()), node.generators)
        entries = self._unrolled(ast.copy_location(pair, node), node.generators, {})
        display = ast.Dict([e.elts[0] for e in entries], [e.elts[1] for e in entries])
        return self.visit(ast.copy_location(display, node))

    def test_value(self, test):
        """True or False when ``test`` compares constants (a key a loop made one: ``name ==
        "hidden"``) or asks whether a dict (part of a) tree has a key (``"scale" in
        params``, known from the layout), tests a constant string (``name.startswith("w")``)
        or negates or joins these (``not``, ``and``, ``or``); else None."""
        if isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not):
            value = self.test_value(test.operand)
            return None if value is None else not value
        if isinstance(test, ast.BoolOp):
            values = [self.test_value(v) for v in test.values]
            if None in values:
                return None
            return all(values) if isinstance(test.op, ast.And) else any(values)
        if isinstance(test, ast.Call):
            return _string_test(test)
        if isinstance(test, ast.Compare) and len(test.ops) == 1 \
                and isinstance(test.ops[0], (ast.Is, ast.IsNot)) \
                and isinstance(test.comparators[0], ast.Constant) \
                and test.comparators[0].value is None \
                and isinstance(test.left, (ast.Subscript, ast.Attribute)):
            found = self.part(test.left)                  # p["s"] is None: a None leaf
            if found is not None and _is_leaf(found[1]):
                none = found[1][0] == "value" and found[1][1] is None
                return none if isinstance(test.ops[0], ast.Is) else not none
        if not (isinstance(test, ast.Compare) and len(test.ops) == 1
                and type(test.ops[0]) in _COMPARISONS):
            return None
        op, left, right = test.ops[0], constant_key(test.left), test.comparators[0]
        found = self.part(right) if isinstance(op, (ast.In, ast.NotIn)) and isinstance(
            right, (ast.Name, ast.Subscript, ast.Attribute)) else None
        if found is not None and not _is_leaf(found[1]) and found[1][0] is dict:
            right = found[1][1]                               # the keys of the layout
        elif isinstance(op, (ast.In, ast.NotIn)) and isinstance(right, (ast.Tuple, ast.List)):
            right = [constant_key(e) for e in right.elts]
            if any(r is _NOT_CONSTANT for r in right):
                return None
        elif isinstance(op, (ast.In, ast.NotIn)) and (keys := tree_keys.global_keys(
                self.parsed, right, self.assigned)) is not None:
            tree_keys.record(self.baked, right.id, keys)     # k in KEYS: checked on entry
            right = list(keys)
        else:
            right = constant_key(right)
        if left is _NOT_CONSTANT or right is _NOT_CONSTANT \
                or type(left) not in _KEYS or isinstance(right, (float, bool)):
            return None
        return bool(_COMPARISONS[type(op)](left, right))

    def fold_if(self, node):
        """The branch an ``if`` takes when ``test_value`` knows its test, visited (the
        other one may read a key the layout has not); else None."""
        value = self.test_value(node.test)
        if value is None:
            return None
        out = []
        for stmt in node.body if value else node.orelse:
            visited = self.visit(stmt)
            out += visited if isinstance(visited, list) else [visited]
        return out or [ast.copy_location(ast.Pass(), node)]

    def visit_IfExp(self, node):
        """``params["s"] if "s" in params else 1.0``: the arm taken, when known here."""
        value = self.test_value(node.test)
        if value is None:
            return self.generic_visit(node)
        return self.visit(node.body if value else node.orelse)

    def visit_Compare(self, node):
        """``"s" in params`` outside an ``if``: True or False, from the layout."""
        value = self.test_value(node)
        if value is None:
            return self.generic_visit(node)
        return ast.copy_location(ast.Constant(value), node)

    def property_read(self, node):
        """``g.variance``, ``g`` (a part of) a dataclass or namedtuple tree whose class
        has the property ``variance``: ``(class, getter)``; else None."""
        found = self.part(node.value) if isinstance(node.ctx, ast.Load) else None
        if found is None or _is_leaf(found[1]) or found[1][0] in (dict, list, tuple) \
                or isinstance(found[1][1], int) or node.attr in found[1][1]:
            return None
        try:
            attribute = inspect.getattr_static(found[1][0], node.attr)
        except AttributeError:
            return None
        if isinstance(attribute, property) and isinstance(attribute.fget, types.FunctionType):
            return found[1][0], attribute.fget
        return None

    def called_object(self, func):
        """Whether ``func``, called, is (a part of) a tree of a dataclass or namedtuple
        whose class defines ``__call__`` (``self.l1(x)``: ``self.l1.__call__(x)``)."""
        if isinstance(func, ast.Attribute):     # a field (self.l1), not a method (self.f)
            parent = self.part(func.value)
            if parent is None or _is_leaf(parent[1]) or isinstance(parent[1][1], int) \
                    or func.attr not in parent[1][1]:
                return False
        found = self.part(func)
        return found is not None and not _is_leaf(found[1]) \
            and found[1][0] not in (dict, list, tuple) and isinstance(
                inspect.getattr_static(found[1][0], "__call__", None), types.FunctionType)

    def method_call(self, node):
        """``g.m(args)``, ``g`` (a part of) a tree of a dataclass or namedtuple whose
        class has the function ``m``: ``(class, function, staticmethod?)``; else None."""
        func = node.func
        if not isinstance(func, ast.Attribute):
            return None
        found = self.part(func.value)
        if found is None or _is_leaf(found[1]):
            return None
        kind, keys = found[1][0], found[1][1]
        if kind in (dict, list, tuple) or isinstance(keys, int) or func.attr in keys:
            return None
        try:
            attribute = inspect.getattr_static(kind, func.attr)
        except AttributeError:
            return None
        if isinstance(attribute, staticmethod):
            return kind, attribute.__func__, True
        if isinstance(attribute, types.FunctionType):
            return kind, attribute, False
        raise self.refuse(node, f"{ast.unparse(func)} is a {type(attribute).__name__} of "
                                f"{kind.__name__}, not a method s2sdiff can inline",
                          "Call a plain method of the class, or a function of the fields.")


# the hint of a comprehension over a tree that cannot be unrolled (tree_flatten._unrolled)
UNROLLABLE = ("Loop over the tree itself (or a constant slice, zip, enumerate or reversed of "
              "it); an `if` clause may test its keys only.")
_COMPARISONS = {ast.Eq: lambda a, b: a == b, ast.NotEq: lambda a, b: a != b,
                ast.In: lambda a, b: a in b, ast.NotIn: lambda a, b: a not in b}
_STRING_TESTS = frozenset(("startswith", "endswith", "isdigit", "isalpha", "isalnum",
                           "islower", "isupper", "isidentifier"))


def _string_test(call):
    """``key.startswith("w")`` (a tuple of prefixes too) and the other tests of
    ``_STRING_TESTS`` on a constant string with constant arguments: True or False; else
    None."""
    func = call.func
    if not (isinstance(func, ast.Attribute) and func.attr in _STRING_TESTS
            and not call.keywords):
        return None
    receiver = constant_key(func.value)
    args = [tuple(constant_key(e) for e in a.elts) if isinstance(a, ast.Tuple)
            else constant_key(a) for a in call.args]
    if type(receiver) is not str or any(
            a is _NOT_CONSTANT or isinstance(a, tuple) and _NOT_CONSTANT in a for a in args):
        return None
    try:
        return bool(getattr(receiver, func.attr)(*args))
    except (TypeError, ValueError):
        return None               # wrong arguments: the code reports it where it runs


def method_calls(parsed, resolver):
    """``parsed`` with each call of a method of a dataclass or namedtuple (part of a) tree
    parameter written ``C.m(g, args)`` (a call ``g(args)``: ``C.__call__(g, args)``), each
    read of a property ``C.p.fget(g)`` (``C`` a name for the class: its global name when it
    holds it, else a new closure cell), for ``tree_helpers`` to inline; ``parsed`` itself
    when there is none.  ``resolver``: a flattener of ``parsed`` (``Idioms``)."""
    if not any(isinstance(n, ast.Attribute) and _root(n.value) in resolver.trees
               or isinstance(n, ast.Call) and _root(n.func) in resolver.trees
               for n in parsed.nodes()):
        return parsed
    rewritten = _MethodCalls(parsed, resolver)
    result = rewritten.rewrite()
    if rewritten.nested:          # in a comprehension: its loop first, for the inliner
        result = desugar(result)
    return result


def _root(node):
    while isinstance(node, (ast.Subscript, ast.Attribute)):
        node = node.value
    return node.id if isinstance(node, ast.Name) else None


class _MethodCalls(ast.NodeTransformer):
    def __init__(self, parsed, resolver):
        self.parsed, self.resolver, self.trees = parsed, resolver, resolver.trees
        self.closure = dict(parsed.closure)
        self.taken = {n.id for n in parsed.nodes() if isinstance(n, ast.Name)}
        self.spelled = {}
        self.changed = False
        self.scopes = 0               # comprehensions and lambdas around the node visited
        self.nested = False           # a call rewritten in one

    def rewrite(self):
        node = self.visit(copy.deepcopy(self.parsed.node))
        if not self.changed:
            return self.parsed
        ast.fix_missing_locations(node)
        result = dataclasses.replace(self.parsed, node=node, closure=self.closure)
        result.inlined, result.opaque = self.parsed.inlined, self.parsed.opaque
        return result

    def visit_Call(self, node):
        self.generic_visit(node)
        func = node.func
        if isinstance(func, (ast.Name, ast.Attribute, ast.Subscript)) \
                and _root(func) in self.trees and self.resolver.called_object(func):
            node.func = func = ast.copy_location(ast.Attribute(func, "__call__", ast.Load()),
                                                 func)
        if not isinstance(func, ast.Attribute) or _root(func.value) not in self.trees:
            return node
        found = self.resolver.method_call(node)
        if found is None:
            return node
        cls, _, static = found
        spelled = ast.Attribute(ast.Name(self.spelling(cls), ast.Load()), func.attr, ast.Load())
        args = node.args if static else [func.value] + node.args
        self.changed = True
        self.nested = self.nested or self.scopes > 0
        return ast.copy_location(ast.Call(spelled, args, node.keywords), node)

    def visit_Attribute(self, node):
        self.generic_visit(node)
        if _root(node.value) not in self.trees:
            return node
        found = self.resolver.property_read(node)
        if found is None:
            return node
        self.changed = True
        self.nested = self.nested or self.scopes > 0
        getter = ast.Attribute(ast.Attribute(ast.Name(self.spelling(found[0]), ast.Load()),
                                             node.attr, ast.Load()), "fget", ast.Load())
        return ast.copy_location(ast.Call(getter, [node.value], []), node)

    def _scope(self, node):
        self.scopes += 1
        try:
            return self.generic_visit(node)
        finally:
            self.scopes -= 1

    visit_ListComp = visit_SetComp = visit_DictComp = visit_GeneratorExp = visit_Lambda = _scope

    def spelling(self, cls):
        """A name the generated code reads ``cls`` by."""
        if cls not in self.spelled:
            name = cls.__name__
            if not (name.isidentifier() and self.parsed.lookup(name, None) is cls
                    and name not in self.taken):
                base = name if name.isidentifier() else "tree_class"
                name, suffix = base, 1
                while name in self.taken or name in self.closure \
                        or self.parsed.lookup(name, None) is not None:
                    name, suffix = f"{base}_{suffix}", suffix + 1
                self.closure[name] = types.CellType(cls)
            self.taken.add(name)
            self.spelled[cls] = name
        return self.spelled[cls]
