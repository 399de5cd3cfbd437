"""The rewrite of a function with tree parameters into the function of their leaves
(``flatten``), which ``grad``'s tree entry and ``tree_calls`` call.

Each read of a tree parameter with constant keys (``params["W"]``, ``params[0]``,
``params.W``), each unpacking (``W, b = params``) and each loop over a list or tuple of it
(``for W, b in params:``, ``for layer in params[:-1]:``, unrolled: one copy of the body per
entry) becomes a read of a leaf's local (``params_W``); anything else that reads the tree
raises an ``S2SDiffError`` at its line: a computed key, the tree used whole, a write into
it, a loop with ``break``.

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
import copy
import dataclasses

from .trees import _NOT_CONSTANT, _children, _constant, _is_leaf, local_names


class _Flattener(ast.NodeTransformer):
    """Reads of tree parameters with constant keys -> the leaves' locals."""

    def __init__(self, parsed, trees):
        self.parsed = parsed
        self.trees = trees            # parameter -> (structure, {path: local})

    def refuse(self, node, message, hint=None):
        return self.parsed.error(
            node, message, construct="tree parameter",
            hint=hint or "Read each leaf with a constant key (params[\"W\"], params.W, "
                         "params[0]) or unpack a tuple (W, b = params); pass a helper the "
                         "leaves, not the tree.")

    def resolve(self, node):
        """``(parameter, structure, path)`` if ``node`` reads a part of a tree parameter
        by constant keys, else ``None``."""
        if isinstance(node, ast.Name):
            if node.id in self.trees:
                return node.id, self.trees[node.id][0], ()
            return None
        if isinstance(node, ast.Subscript):
            key = _constant(node.slice)
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
        return self._read(node)

    def visit_Attribute(self, node):
        return self._read(node)

    def visit_Name(self, node):
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

    def visit_Assign(self, node):
        found = self.resolve(node.value)
        if found is None or _is_leaf(found[1]) or len(node.targets) != 1 \
                or not isinstance(node.targets[0], (ast.Tuple, ast.List)):
            return self.generic_visit(node)
        statements = []
        self._unpack(node, node.targets[0], node.value, statements)
        return statements

    def visit_For(self, node):
        """``for W, b in params:`` over a tree of known length (or a slice of it with
        constant bounds, ``params[:-1]``) -> the body once per entry, each after
        ``W, b = params[i]``."""
        sequence, window = node.iter, slice(None)
        if isinstance(sequence, ast.Subscript) and isinstance(sequence.slice, ast.Slice):
            bounds = [None if part is None else _constant(part) for part in
                      (sequence.slice.lower, sequence.slice.upper, sequence.slice.step)]
            if self.resolve(sequence.value) is not None:
                if any(b is _NOT_CONSTANT or not (b is None or isinstance(b, int))
                       for b in bounds):
                    raise self.refuse(node, f"the loop over {ast.unparse(sequence)} slices a "
                                            f"tree with bounds that are not constants")
                sequence, window = sequence.value, slice(*bounds)
        found = self.resolve(sequence)
        if found is None or _is_leaf(found[1]):
            return self.generic_visit(node)
        if found[1][0] is dict:
            raise self.refuse(node, "iterating a dict gives its keys, not its leaves",
                              "Iterate over `params.values()` written out, or read each "
                              "key by name.")
        if node.orelse or any(isinstance(s, (ast.Break, ast.Continue))
                              for stmt in node.body for s in ast.walk(stmt)):
            raise self.refuse(node, f"the loop over the tree parameter {found[0]} has a "
                                    f"`break`, `continue` or `else`",
                              "Loop over the tree without them, or over range(len(...)) "
                              "with constant bounds.")
        statements = []
        alias = node.target.id if isinstance(node.target, ast.Name) else None
        if alias is not None and any(isinstance(n, ast.Name) and n.id == alias and not
                                     isinstance(n.ctx, ast.Load)
                                     for stmt in node.body for n in ast.walk(stmt)):
            raise self.refuse(node, f"the loop over the tree parameter {found[0]} assigns "
                                    f"its variable {alias} in its body", "Assign to a new name.")
        for index in range(len(_children(found[1])))[window]:
            part = ast.copy_location(ast.Subscript(copy.deepcopy(sequence), ast.Constant(index),
                                                   ast.Load()), node.iter)
            entry = self.resolve(part)
            body = [copy.deepcopy(stmt) for stmt in node.body]
            if alias is not None and not _is_leaf(entry[1]):
                # `for layer in layers:` with subtrees: `layer` reads layers[i] in the body
                body = [_Renamed(alias, part).visit(stmt) for stmt in body]
            else:
                self._unpack(node, copy.deepcopy(node.target), part, statements)
            for stmt in body:
                visited = self.visit(stmt)
                statements += visited if isinstance(visited, list) else [visited]
        return statements

    def _unpack(self, statement, target, value, statements):
        """``W, b = params`` -> ``W = params_0`` and ``b = params_1``, nested too."""
        found = self.resolve(value)
        if isinstance(target, (ast.Tuple, ast.List)) and found is not None \
                and not _is_leaf(found[1]):
            count = len(_children(found[1]))
            if len(target.elts) != count or any(isinstance(e, ast.Starred) for e in target.elts):
                raise self.refuse(statement, f"{ast.unparse(statement)} unpacks "
                                             f"{_describe(found[1])} into {len(target.elts)} names")
            for index, element in enumerate(target.elts):
                part = ast.copy_location(ast.Subscript(value, ast.Constant(index), ast.Load()),
                                         value)
                if found[1][0] is dict:
                    raise self.refuse(statement, "unpacking a dict gives its keys, not its leaves")
                self._unpack(statement, element, part, statements)
            return
        statements.append(ast.copy_location(
            ast.Assign(targets=[target], value=self.visit(value)), statement))


class _Renamed(ast.NodeTransformer):
    """Reads of the name ``alias`` -> copies of the expression ``part``."""

    def __init__(self, alias, part):
        self.alias, self.part = alias, part

    def visit_Name(self, node):
        if node.id == self.alias:
            return ast.copy_location(copy.deepcopy(self.part), node)
        return node



def _describe(tree):
    kind, keys, _ = tree
    if kind is dict:
        return f"the dict with keys {', '.join(map(repr, keys)) or 'none'}"
    if isinstance(keys, int):
        return f"the {kind.__name__} of length {keys}"
    return f"the {kind.__name__} with fields {', '.join(keys)}"


def flatten(parsed, layout):
    """``parsed`` with the tree parameters of ``layout`` (``(name, structure)`` pairs)
    replaced by their leaves' parameters (every parameter positional, no defaults: the
    entry passes each one), named ``NAME_leaves``."""
    node = parsed.node
    if node.args.vararg or node.args.kwarg:
        raise parsed.error(node, f"{node.name} takes *args or **kwargs; tree parameters need "
                                 f"named parameters", construct="tree parameter")
    names = local_names(node, layout)
    trees = {name: (tree, {path: local for path, local, _ in names[name]})
             for name, tree in layout}
    flat = _Flattener(parsed, trees).visit(copy.deepcopy(node))
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
    return dataclasses.replace(parsed, node=flat)
