"""The rewrite of a function with tree parameters into the function of their leaves
(``flatten``), which ``grad``'s tree entry and ``tree_calls`` call.

Each read of a tree parameter with constant keys (``params["W"]``, ``params[0]``,
``params.W``), each unpacking (``W, b = params``, ``first, *rest = params``) and each loop
over a list or tuple of it (``for W, b in params:``, unrolled: one copy of the body per
entry) becomes a read of a leaf's local (``params_W``); anything else that reads the tree
raises an ``S2SDiffError`` at its line: a computed key, the tree used whole, a write, ``break``.

Sequences whose entries are known here, because a tree's lengths are, are written out: a
list or tuple (part of a) tree, a dict one (its keys), its ``items()``, ``values()``,
``keys()`` (a key bound by a loop is a constant in each copy; more in ``tree_idioms.py``),
a constant slice, ``range(len(params))`` if the loop indexes the tree with it,
``reversed``, ``enumerate``, ``list``, ``tuple``, ``zip`` of such sequences and
``zip(*params)``, and displays with ``*params`` entries.  Loops and comprehensions over
them are unrolled (an ``if`` clause on a key is decided per copy), ``len`` of them is a
constant, ``*s`` is spelled entry by entry, a name assigned one of them once (``Ws, bs =
zip(*params)``) is bound to its entries, and other entries are computed once, in order.

>>> import ast, numpy as np
>>> from s2sdiff.parse import parse
>>> from s2sdiff.trees import structure
>>> def loss(p, x):
...     return np.sum(p["W"] * x) + p["b"]
>>> layout = (("p", structure({"W": np.ones(2), "b": 1.0})),)
>>> print(ast.unparse(flatten(parse(loss), layout).node))
def loss_leaves(p_W, p_b, x):
    return np.sum(p_W * x) + p_b
"""

import ast
import builtins
import copy
import dataclasses

from .names import Namer
from .normalize.substitute import Substitute
from . import tree_jumps
from .tree_helpers import constant_range, inline_tree_helpers, outside_objects
from .tree_idioms import UNROLLABLE, Idioms, Sequence as _Sequence, constant_key, \
    describe as _describe, method_calls
from .trees import _NOT_CONSTANT, _constant, _is_leaf, local_names


class _Flattener(Idioms, ast.NodeTransformer):
    """Reads of tree parameters with constant keys -> the leaves' locals."""

    def __init__(self, parsed, trees, namer):
        self.parsed = parsed
        self.trees = trees            # parameter -> (structure, {path: local})
        self.namer = namer
        self.virtual = {}             # local name -> the part of a tree it is bound to
        node = parsed.node
        stores = [n.id for n in ast.walk(node) if isinstance(n, ast.Name)
                  and not isinstance(n.ctx, ast.Load)]
        self.assigned = set(stores) | {a.arg for a in ast.walk(node) if isinstance(a, ast.arg)}
        called = {id(c.func) for c in ast.walk(node) if isinstance(c, ast.Call)}
        mutated = {n.value.id for n in ast.walk(node) if isinstance(n, (ast.Attribute,
                   ast.Subscript)) and isinstance(n.value, ast.Name)
                   and (not isinstance(n.ctx, ast.Load) or id(n) in called)}
        self.once = {name for name in self.assigned if stores.count(name) == 1} - mutated
        self.depth = 0                # inside an `if`, `while` or loop not unrolled
        self.baked = {}               # free name -> the keys unrolled (tree_keys.py)

    def refuse(self, node, message, hint=None):
        return self.parsed.error(node, message, construct="tree parameter", hint=hint or (
            "Read each leaf with a constant key (params[\"W\"], params.W, params[0]) or "
            "unpack a tuple (W, b = params); a function of yours given the tree is inlined, "
            "a library's is not."))

    def resolve(self, node):
        """``(parameter, structure, path)`` if ``node`` reads a part of a tree parameter
        by constant keys, else ``None``."""
        if isinstance(node, ast.Name):
            if node.id in self.trees:
                return node.id, self.trees[node.id][0], ()
            if node.id in self.virtual:
                return self.resolve(self.virtual[node.id])
            return None
        if isinstance(node, ast.Subscript):
            key = constant_key(node.slice)
        elif isinstance(node, ast.Attribute):
            key = node.attr
        else:
            return None
        inner = self.resolve(node.value)
        if inner is None or _is_leaf(inner[1]):
            return None             # a read of a leaf's own part: params["W"].T
        name, tree, path = inner
        if key is _NOT_CONSTANT:
            raise self.refuse(node, f"{ast.unparse(node)} reads the tree parameter {name} with "
                                    f"a key that is not a constant")
        kind, keys, children = tree
        if isinstance(node, ast.Attribute):
            if isinstance(keys, int) or kind is dict or node.attr not in keys:
                raise self.refuse(node, f"{ast.unparse(node)}: {_describe(tree)} has no "
                                        f"field {node.attr!r}")
            return name, children[keys.index(node.attr)], path + (node.attr,)
        if isinstance(keys, int) or (isinstance(key, int) and not kind is dict
                                     and kind.__dict__.get("_fields") is not None):
            count = keys if isinstance(keys, int) else len(keys)
            if not isinstance(key, int) or isinstance(key, bool) or not -count <= key < count:
                raise self.refuse(node, f"{ast.unparse(node)}: {_describe(tree)} has no "
                                        f"entry {key!r}")
            index = key % count
            return name, children[index], path + ((keys[index] if not isinstance(keys, int)
                                                   else index),)
        if kind is not dict or key not in keys:
            raise self.refuse(node, f"{ast.unparse(node)}: {_describe(tree)} has no key "
                                    f"{key!r}")
        return name, children[keys.index(key)], path + (key,)

    def part(self, node):
        """``resolve(node)``, None for a slice (``params[:-1]``)."""
        if isinstance(node, ast.Subscript) and isinstance(node.slice, ast.Slice):
            return None
        return self.resolve(node)

    def replace(self, node, found):
        name, tree, path = found
        if not _is_leaf(tree):
            raise self.refuse(node, f"{ast.unparse(node)} uses {_describe(tree)} as a whole "
                                    f"(tree parameter {name}); s2sdiff reads trees leaf by "
                                    f"leaf")
        if tree[0] == "value":
            return ast.copy_location(ast.Constant(tree[1]), node)
        return ast.copy_location(ast.Name(self.trees[name][1][path], ast.Load()), node)

    def visit_Subscript(self, node):
        if isinstance(node.ctx, ast.Load) and self.part(node) is None \
                and self.derived(node.value):
            sequence = self.sequence(node.value)
            if sequence is not None:
                if isinstance(node.slice, ast.Slice):
                    return self.visit(ast.copy_location(self.display(sequence), node))
                key = _constant(node.slice)
                count = len(sequence.elements)
                if key is _NOT_CONSTANT or not isinstance(key, int) \
                        or isinstance(key, bool) or not -count <= key < count:
                    raise self.refuse(node, f"{ast.unparse(node)} reads a sequence of "
                                            f"{count} entries built from a tree with an index "
                                            f"that is not a constant in range")
                return self.visit(copy.deepcopy(sequence.elements[key]))
        return self._read(node)

    def visit_Attribute(self, node):
        return self._read(node)

    def visit_Name(self, node):
        if node.id in self.virtual and isinstance(node.ctx, ast.Load):
            return self.visit(ast.copy_location(copy.deepcopy(self.virtual[node.id]), node))
        if node.id in self.trees:
            if not isinstance(node.ctx, ast.Load):
                raise self.refuse(node, f"{node.id} is a tree parameter; assigning it is not "
                                        f"supported", "Assign to a new name.")
            return self.replace(node, self.resolve(node))
        return node

    def _read(self, node):
        found = self.resolve(node)
        if found is None:
            return self.generic_visit(node)
        if not isinstance(node.ctx, ast.Load):
            raise self.refuse(node, f"{ast.unparse(node)} writes into the tree parameter "
                                    f"{found[0]}", "Build a new value instead of writing "
                                                   "into the tree.")
        return self.replace(node, found)

    # sequences known here: a list or tuple tree, zip/reversed/enumerate of one... ----------

    def builtin(self, func, name):
        """Whether ``func`` names the builtin ``name`` (not shadowed by the function)."""
        return isinstance(func, ast.Name) and func.id == name and func.id not in self.assigned \
            and self.parsed.lookup(name, None) is getattr(builtins, name)

    def derived(self, node):
        """Whether ``node`` reads a tree parameter or a name bound to a part of one."""
        return any(isinstance(n, ast.Name) and (n.id in self.trees or n.id in self.virtual)
                   for n in ast.walk(node))

    def sequence(self, node):
        """The ``_Sequence`` ``node`` evaluates to when its length is known here: a list or
        tuple (part of a) tree parameter, a display, ``zip``, ``reversed``, ``enumerate``,
        ``list``, ``tuple`` or a constant slice of those; else None."""
        if isinstance(node, ast.Name) and node.id in self.virtual:
            return self.sequence(self.virtual[node.id])
        if isinstance(node, (ast.Name, ast.Subscript, ast.Attribute)):
            found = self.part(node)
            if found is not None:
                tree = found[1]
                if not _is_leaf(tree) and tree[0] is dict:       # iterating gives the keys
                    return _Sequence("list", self.keys_of(node, found))
                if _is_leaf(tree) or not issubclass(tree[0], (list, tuple)):
                    return None
                kind = "list" if issubclass(tree[0], list) else "tuple"
                return _Sequence(kind, [ast.copy_location(ast.Constant(child[1]) if child[0]
                                                          == "value" and type(child[1]) is str
                                                          else ast.Subscript(
                    copy.deepcopy(node), ast.Constant(i), ast.Load()), node)
                    for i, child in enumerate(tree[2])])     # names=("a", "b"): the keys
        if isinstance(node, ast.Subscript) and self.derived(node.value):
            inner = self.sequence(node.value)
            if inner is None:
                return None
            if isinstance(node.slice, ast.Slice):
                bounds = [None if part is None else _constant(part) for part in
                          (node.slice.lower, node.slice.upper, node.slice.step)]
                if any(b is _NOT_CONSTANT or not (b is None or isinstance(b, int))
                       for b in bounds):
                    raise self.refuse(node, f"{ast.unparse(node)} slices a sequence built "
                                            f"from a tree with bounds that are not constants")
                return _Sequence("list" if inner.kind == "list" else "tuple",
                                 inner.elements[slice(*bounds)])
            key = _constant(node.slice)
            if isinstance(key, int) and not isinstance(key, bool) \
                    and -len(inner.elements) <= key < len(inner.elements):
                return self.sequence(inner.elements[key])
            return None
        if isinstance(node, (ast.List, ast.Tuple)):
            elements = []
            for element in node.elts:
                if isinstance(element, ast.Starred):
                    inner = self.sequence(element.value)
                    if inner is None:
                        return None
                    elements += inner.elements
                else:
                    elements.append(element)
            return _Sequence("list" if isinstance(node, ast.List) else "tuple", elements)
        if isinstance(node, (ast.ListComp, ast.GeneratorExp)) and all(   # [k for k in p if]
                self.derived(g.iter) and not g.is_async for g in node.generators):
            return _Sequence("list", self._unrolled(node, node.generators, {}))
        if isinstance(node, ast.Call) and self.sorted_sequence(node) is not None:
            return self.sorted_sequence(node)
        if not isinstance(node, ast.Call) or node.keywords and not (self.builtin(
                node.func, "enumerate") and [k.arg for k in node.keywords] == ["start"]):
            return None
        args = node.args + [k.value for k in node.keywords]      # enumerate(xs, start=1)
        view = self.dict_view(node)
        if view is not None:
            return view
        plain = not any(isinstance(a, ast.Starred) for a in args)
        for name in ("reversed", "list", "tuple"):
            if self.builtin(node.func, name) and len(args) == 1 and plain:
                inner = self.sequence(args[0])
                if inner is None:
                    return None
                elements = inner.elements[::-1] if name == "reversed" else inner.elements
                return _Sequence("tuple" if name == "tuple" else "list", elements)
        if self.builtin(node.func, "enumerate") and plain and len(args) in (1, 2):
            start = _constant(args[1]) if len(args) == 2 else 0
            inner = self.sequence(args[0])
            if inner is None or not isinstance(start, int):
                return None
            return _Sequence("list", [ast.Tuple([ast.Constant(start + i), e], ast.Load())
                                      for i, e in enumerate(inner.elements)])
        if self.builtin(node.func, "zip"):
            rows = self.sequence(ast.List(args, ast.Load()))
            if rows is None:
                return None
            columns = [self.sequence(row) for row in rows.elements]
            if any(c is None for c in columns):
                if self.derived(node):
                    raise self.refuse(node, f"{ast.unparse(node)} zips values whose lengths "
                                            f"are not known when the code is generated "
                                            f"(arrays, not lists or tuples)",
                                      "Zip lists or tuples of the tree, or index the arrays.")
                return None
            width = min((len(c.elements) for c in columns), default=0)
            return _Sequence("list", [ast.Tuple([c.elements[j] for c in columns], ast.Load())
                                      for j in range(width)])
        return None

    def display(self, sequence):
        """A list or tuple display of the entries of ``sequence``."""
        make = ast.List if sequence.kind == "list" else ast.Tuple
        return make([copy.deepcopy(e) for e in sequence.elements], ast.Load())

    def pure(self, node):
        """Whether ``node`` may be copied to where it is read: a constant, a read of a tree
        parameter or of a name bound to one, a display of those."""
        if isinstance(node, ast.Constant) or (isinstance(node, ast.Name)
                                              and node.id in self.virtual):
            return True
        if isinstance(node, (ast.List, ast.Tuple)):
            return all(not isinstance(e, ast.Starred) and self.pure(e) for e in node.elts)
        if isinstance(node, (ast.Name, ast.Subscript, ast.Attribute)):
            return self.part(node) is not None
        return False

    def capture(self, node, statements):
        """``node`` as an expression that may be copied to where it is read: its entries
        that are neither constants nor reads of the tree are computed now, into new
        variables (assignments appended to ``statements``)."""
        if self.pure(node):
            return node
        sequence = self.sequence(node) if self.derived(node) or isinstance(
            node, (ast.List, ast.Tuple)) else None
        if sequence is not None:
            entries = [self.capture(e, statements) for e in sequence.elements]
            make = ast.List if sequence.kind == "list" else ast.Tuple
            return make(entries, ast.Load())
        name = self.namer.fresh("entry")
        statements.append(ast.copy_location(
            ast.Assign([ast.Name(name, ast.Store())], self.visit(node)), node))
        return ast.Name(name, ast.Load())

    def visit_Call(self, node):
        got = self.dict_get(node)           # params.get("k", default)
        if got is not None:
            return got
        if self.builtin(node.func, "len") and len(node.args) == 1 and not node.keywords \
                and self.derived(node.args[0]):
            sequence = self.sequence(node.args[0])
            if sequence is not None:
                return ast.copy_location(ast.Constant(len(sequence.elements)), node)
        if (any(isinstance(f, ast.Name) and f.id in ("zip", "reversed", "enumerate", "list",
                                                     "tuple", "sorted") for f in [node.func])
                or self.dict_view(node) is not None) and self.derived(node):
            sequence = self.sequence(node)
            if sequence is not None:      # used as a value: the display of its entries
                return self.visit(ast.copy_location(self.display(sequence), node))
        node.args = self.expand(node.args)
        return self.generic_visit(node)

    def expand(self, elements):
        """``elements`` with each ``*s`` of a sequence built from a tree written out."""
        out = []
        for element in elements:
            sequence = self.sequence(element.value) if isinstance(element, ast.Starred) \
                and self.derived(element.value) else None
            if sequence is not None:
                out += [copy.deepcopy(e) for e in sequence.elements]
            else:           # *leaf: an array, spread by the normalizer's rewrites, or refused
                out.append(element)
        return out

    def visit_List(self, node):
        node.elts = self.expand(node.elts)
        return self.generic_visit(node)

    visit_Tuple = visit_List

    def visit_ListComp(self, node):
        """``[e for v in s]`` over a sequence built from a tree: the display of ``e`` for each
        entry (no ``if``); over ``range`` or literal keys if ``e`` indexes a tree with ``v``."""
        first = node.generators[0]
        if not self.derived(ast.Module([ast.Expr(g.iter) for g in node.generators], [])):
            loop = ast.For(first.target, first.iter, [ast.Expr(node.elt)], [])
            values = constant_range(self, loop) if len(node.generators) == 1 \
                and not first.ifs else None
            if values is None and len(node.generators) == 1 and not first.ifs:
                values = getattr(self.literal_loop(loop), "elements", None)   # ("a", "b")
            if values is None:
                return self._scope(node)
            entries = [Substitute({first.target.id: v}).visit(copy.deepcopy(node.elt))
                       for v in values]
            return self.visit(ast.copy_location(ast.List(entries, ast.Load()), node))
        entries = self._unrolled(node, node.generators, {})
        return self.visit(ast.copy_location(ast.List(entries, ast.Load()), node))

    visit_GeneratorExp = visit_ListComp

    def _scope(self, node):
        """A comprehension or lambda: the names it binds are its own, not names bound to
        parts of a tree outside it."""
        if isinstance(node, ast.Lambda):
            own = {a.arg for a in ast.walk(node.args) if isinstance(a, ast.arg)}
        else:
            own = {n.id for g in node.generators for n in ast.walk(g.target)
                   if isinstance(n, ast.Name)}
        hidden = {name: self.virtual.pop(name) for name in own if name in self.virtual}
        try:
            return self.generic_visit(node)
        finally:
            self.virtual.update(hidden)

    visit_SetComp = visit_Lambda = _scope

    def _unrolled(self, node, generators, bound):
        if not generators:
            return [Substitute(bound).visit(copy.deepcopy(node.elt))]
        generator, rest = generators[0], generators[1:]
        iterable = Substitute(bound).visit(copy.deepcopy(generator.iter))
        sequence = self.sequence(iterable) if self.derived(iterable) else None
        entries = []
        for element in (sequence.elements if sequence and not generator.is_async else [None]):
            inner, kept = dict(bound), [None]   # `if k.startswith("w")`: decided per key
            if sequence:
                self._bind_names(node, generator.target, element, inner)
                kept = [self.test_value(Substitute(inner).visit(copy.deepcopy(test)))
                        for test in generator.ifs]
            if None in kept:
                raise self.refuse(node, f"the comprehension {ast.unparse(node)} loops over a "
                                  f"tree with a clause s2sdiff cannot unroll", UNROLLABLE)
            if all(kept):
                entries += self._unrolled(node, rest, inner)
        return entries

    def _bind_names(self, statement, target, element, bound):
        """Each name of ``target`` -> the part of ``element`` it is bound to."""
        if isinstance(target, ast.Name):
            bound[target.id] = element
            return
        if not isinstance(target, (ast.Tuple, ast.List)) or any(
                isinstance(e, ast.Starred) for e in target.elts):
            raise self.refuse(statement, f"the target {ast.unparse(target)} of a loop over a "
                                         f"tree", "Use names or tuples of names.")
        sequence = self.sequence(element)
        if sequence is not None and len(sequence.elements) != len(target.elts):
            raise self.refuse(statement, f"{ast.unparse(target)} unpacks "
                                         f"{len(sequence.elements)} values into "
                                         f"{len(target.elts)} names")
        for index, part in enumerate(target.elts):
            value = sequence.elements[index] if sequence is not None else ast.Subscript(
                copy.deepcopy(element), ast.Constant(index), ast.Load())
            self._bind_names(statement, part, value, bound)

    # statements ---------------------------------------------------------------------

    def bindable(self, name):
        """Whether an assignment to ``name`` here may bind it to its value's entries: it
        is assigned once, outside ``if`` and ``while``, never written into or called a
        method of, and is not a tree parameter."""
        return name in self.once and not self.depth and name not in self.trees

    def visit_If(self, node):
        folded = self.fold_if(node)         # if name == "hidden": in an unrolled loop
        if folded is not None:
            return folded
        self.depth += 1
        try:
            return self.generic_visit(node)
        finally:
            self.depth -= 1

    visit_While = visit_If

    def visit_Assign(self, node):
        if len(node.targets) == 1 and self.derived(node.value):
            target = node.targets[0]
            sequence = self.sequence(node.value)
            found = self.part(node.value) if sequence is None else None
            if isinstance(target, (ast.Tuple, ast.List)) and (
                    sequence is not None or (found is not None and not _is_leaf(found[1]))):
                statements = []
                self._unpack(node, target, self.capture(node.value, statements), statements)
                return statements
            if isinstance(target, ast.Name) and self.bindable(target.id) \
                    and (sequence is not None or (found is not None and not _is_leaf(found[1]))):
                statements = []
                self.virtual[target.id] = self.capture(node.value, statements)
                return statements
        for target in node.targets:
            for name in ast.walk(target):
                if isinstance(name, ast.Name):
                    self.virtual.pop(name.id, None)
        return self.generic_visit(node)

    def visit_For(self, node):
        """``for W, b in params:`` over a tree of known length (a list or tuple, a constant
        slice, ``reversed``, ``zip`` or ``enumerate`` of one) -> the body once per entry,
        each after ``W, b = params[i]``."""
        sequence = self.sequence(node.iter) if self.derived(node.iter) else None
        if sequence is None and (values := constant_range(self, node)) is not None:
            sequence = _Sequence("range", values)
        sequence = sequence or self.literal_loop(node)       # for name in ("a", "b"):
        if sequence is None:
            self.depth += 1
            try:
                return self.generic_visit(node)
            finally:
                self.depth -= 1
        name = ast.unparse(node.iter)
        targets = {n.id for n in ast.walk(node.target) if isinstance(n, ast.Name)}
        if any(isinstance(n, ast.Name) and n.id in targets and not isinstance(n.ctx, ast.Load)
               for stmt in node.body for n in ast.walk(stmt)):
            raise self.refuse(node, f"the loop over {name} (a tree) assigns "
                                    f"its variable {', '.join(sorted(targets))} in its body",
                              "Assign to a new name.")
        statements, jump, subtrees = [], None, {}
        entries = [self.capture(e, statements) for e in sequence.elements]
        constants = sequence.substituted and isinstance(node.target, ast.Name)
        for count, entry in enumerate(entries, 1):
            bound = {}
            self._bind_names(node, node.target, entry, bound)
            leaves = {n: v for n, v in bound.items() if not self._subtree(v) and not constants}
            for target, value in leaves.items():
                statements.append(ast.copy_location(ast.Assign(
                    [ast.Name(target, ast.Store())], self.visit(copy.deepcopy(value))), node))
            subtrees = {n: v for n, v in bound.items()
                        if n not in leaves or self.int_key(n, v, node)}     # params[3]
            body = [_Renamed(subtrees).visit(copy.deepcopy(stmt)) if subtrees else
                    copy.deepcopy(stmt) for stmt in node.body]
            body, jump = tree_jumps.straight(self, body)       # `if ...: continue` per key
            for stmt in body:
                visited = self.visit(stmt)
                statements += visited if isinstance(visited, list) else [visited]
            if jump is ast.Break:
                break
        for stmt in node.orelse if jump is not ast.Break else []:     # no `break` reached
            visited = self.visit(_Renamed(subtrees).visit(copy.deepcopy(stmt)))
            statements += visited if isinstance(visited, list) else [visited]
        return statements + (self.after_loop(node, entries[count - 1])
                             if constants and entries else [])

    def _subtree(self, value):
        """Whether ``value`` (pure) is a part of a tree or a display, read by the body."""
        found = self.part(value)
        if found is not None:
            return not _is_leaf(found[1])
        return isinstance(value, (ast.List, ast.Tuple)) or (
            isinstance(value, ast.Name) and value.id in self.virtual) or (
            isinstance(value, ast.Constant) and isinstance(value.value, str))   # a dict key

    def _unpack(self, statement, target, value, statements):
        """``W, b = params`` -> ``W = params_0`` and ``b = params_1``, nested too."""
        found = self.part(value)
        if found is not None and not _is_leaf(found[1]) and found[1][0] is dict \
                and isinstance(target, (ast.Tuple, ast.List)):
            raise self.refuse(statement, "unpacking a dict gives its keys, not its leaves")
        sequence = self.sequence(value) if isinstance(target, (ast.Tuple, ast.List)) else None
        if sequence is not None:
            stars = [i for i, t in enumerate(target.elts) if isinstance(t, ast.Starred)]
            count = len(sequence.elements)
            fixed = len(target.elts) - len(stars)
            if len(stars) > 1 or (count != fixed if not stars else count < fixed):
                raise self.refuse(statement, f"{ast.unparse(statement)} unpacks {count} "
                                             f"values into {len(target.elts)} names")
            star = stars[0] if stars else len(target.elts)
            rest = count - fixed
            for index, element in enumerate(target.elts):
                if index < star:
                    self._unpack(statement, element, sequence.elements[index], statements)
                elif index > star:
                    self._unpack(statement, element, sequence.elements[index - 1 + rest],
                                 statements)
                else:
                    self._unpack(statement, element.value, ast.List(
                        sequence.elements[star:star + rest], ast.Load()), statements)
            return
        if isinstance(target, ast.Name) and self.bindable(target.id) and self._subtree(value):
            self.virtual[target.id] = value
            return
        statements.append(ast.copy_location(
            ast.Assign(targets=[target], value=self.visit(copy.deepcopy(value))), statement))


class _Renamed(Substitute):
    """Reads of the names of ``mapping`` -> copies of their expressions (parts of trees),
    in the scopes where the names mean the loop's variables."""


def flatten(parsed, layout):
    """``parsed`` with the tree parameters of ``layout`` (``(name, structure)`` pairs)
    replaced by their leaves' parameters (every parameter positional, no defaults: the
    entry passes each one), named ``NAME_leaves``; helpers given a part of a tree are
    inlined first (``tree_helpers.py``), methods of dataclass trees too (``tree_idioms``)."""
    parsed = outside_objects(parsed)
    for _ in range(8):                  # an inlined method may call another
        resolver = _Flattener(parsed, {name: (tree, {}) for name, tree in layout}, None)
        inlined = inline_tree_helpers(method_calls(parsed, resolver),
                                      [name for name, _ in layout])
        if inlined is parsed:
            break
        parsed = inlined
    node = parsed.node
    if node.args.vararg or node.args.kwarg:
        raise parsed.error(node, f"{node.name} takes *args or **kwargs; tree parameters need "
                                 f"named parameters", construct="tree parameter")
    names = local_names(node, layout)
    trees = {name: (tree, {path: local for path, local, _ in names[name]})
             for name, tree in layout}
    namer = Namer.for_function(node)
    for found in names.values():
        for _, local, _ in found:
            namer.reserve(local)
    flattener = _Flattener(parsed, trees, namer)
    flat = flattener.visit(copy.deepcopy(node))
    params = []
    for arg in node.args.posonlyargs + node.args.args + node.args.kwonlyargs:
        if arg.arg in trees:
            params += [ast.arg(local) for _, local, leaf in names[arg.arg] if leaf[0] != "value"]
        else:
            params.append(ast.arg(arg.arg))
    flat.name = f"{node.name}_leaves"        # grad_loss calls grad_loss_leaves
    flat.args = ast.arguments(posonlyargs=[], args=params, vararg=None, kwonlyargs=[],
                              kw_defaults=[], kwarg=None, defaults=[])
    ast.fix_missing_locations(flat)
    return dataclasses.replace(parsed, node=flat, baked={**parsed.baked, **flattener.baked})
