"""``ast.parse`` and ``compile`` behind one lock, for generation in threads; ``nodes_of``,
a faster ``ast.walk``, ``by_class``, its nodes sorted by class, ``bound_names``, and
``Unused``, names a rewrite may add to a function.

CPython 3.11 counts the depth of its conversions between C and Python syntax trees
(``ast.parse``, ``compile`` of a tree) in one counter per interpreter, not per thread.
A conversion that lets another thread run in the middle of it (a garbage collection
running a weakref callback suffices) while that thread converts too fails with
``SystemError: AST constructor recursion depth mismatch``.  Every parse and compile of
s2sdiff goes through here, so two never overlap; nothing is called back while the lock
is held but finalizers, which may parse again in the same thread.
"""

import ast
import builtins
import collections
import threading

_lock = threading.RLock()         # re-entrant: a finalizer run by a collection may parse


def parse(source, filename="<unknown>", mode="exec"):
    """``ast.parse(source, filename, mode)``."""
    with _lock:
        return ast.parse(source, filename, mode)


def compile(source, filename, mode, **options):
    """``compile(source, filename, mode, **options)`` of a string or a tree."""
    with _lock:
        return builtins.compile(source, filename, mode, **options)


def nodes_of(node):
    """``list(ast.walk(node))``, the same nodes in the same order, found faster (no
    generator per node); for trees nothing changes while they are read."""
    found = [node]
    for node in found:                  # breadth first, as ast.walk
        for name in node._fields:
            value = getattr(node, name, None)
            if isinstance(value, ast.AST):
                found.append(value)
            elif isinstance(value, list):
                for item in value:
                    if isinstance(item, ast.AST):
                        found.append(item)
    return found


def by_class(nodes):
    """``{class: [its nodes among nodes, in their order]}`` (the exact class of each)."""
    found = collections.defaultdict(list)
    for node in nodes:
        found[node.__class__].append(node)
    return dict(found)


def bound_names(node, parsed=None):
    """Every name bound anywhere in ``node``: parameters (its own and of nested
    functions and lambdas), assignment targets, nested ``def`` names (not ``node``'s
    own), imports.  ``parsed``: a ``Parsed`` whose function ``node`` may be, whose nodes
    are then read as it sorted them (``Parsed.of``, ``Parsed.stored``)."""
    if parsed is not None and parsed.node is node:
        of, names = parsed.of, set(parsed.stored())
    else:
        kinds = by_class(nodes_of(node))

        def of(cls):
            return kinds.get(cls, ())
        names = {n.id for n in of(ast.Name) if not isinstance(n.ctx, ast.Load)}
    names.update(a.arg for a in of(ast.arg))
    for cls in (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef):
        names.update(d.name for d in of(cls) if d is not node)
    for sub in (*of(ast.Import), *of(ast.ImportFrom)):
        names.update((a.asname or a.name).split(".")[0] for a in sub.names)
    return names


_OWN_SCOPES = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)


def rewrite_inner_blocks(stmt, block):
    """Replace each list of statements nested in ``stmt`` (an ``if``'s or a loop's body and
    ``else``, a ``try``'s and its handlers') by ``block(that list)``; a nested function or
    class keeps its own, whose names are its own."""
    if isinstance(stmt, _OWN_SCOPES):
        return
    for field in ("body", "orelse", "finalbody"):
        inner = getattr(stmt, field, None)
        if isinstance(inner, list) and inner and isinstance(inner[0], ast.stmt):
            setattr(stmt, field, block(inner))
    for handler in getattr(stmt, "handlers", ()):
        handler.body = block(handler.body)


def parents_and_parameters(func):
    """``({node: its parent node}, the names of every parameter)`` of the function
    definition ``func``."""
    parents = {child: parent for parent in ast.walk(func)
               for child in ast.iter_child_nodes(parent)}
    args = func.args
    params = {a.arg for a in args.posonlyargs + args.args + args.kwonlyargs}
    return parents, params | {a.arg for a in (args.vararg, args.kwarg) if a is not None}


class Unused:
    """Names ``node`` does not use (its names and parameters): ``fresh("acc")`` is ``acc``,
    or ``acc_``, ``acc__``... when taken; each one given is taken from then on."""

    def __init__(self, node):
        self.taken = {n.id for n in ast.walk(node) if isinstance(n, ast.Name)} \
            | {a.arg for a in ast.walk(node) if isinstance(a, ast.arg)}

    def fresh(self, base):
        name = base
        while name in self.taken:
            name += "_"
        self.taken.add(name)
        return name
