"""``map(f, xs)`` as the generator expression it equals, ``(f(v) for v in xs)``, before
the comprehensions are rewritten (``comprehensions.py``).

``as_generators(parsed)`` rewrites each call of the builtin ``map`` (not shadowed) with a
function and one or more iterables, ``map(f, xs, ys)`` into ``(f(v, w) for v, w in
zip(xs, ys))``: the same values, in the same order (``map`` stops at the shortest
iterable, as ``zip`` does), where it is consumed at once: an argument of a call
(``sum(map(f, xs))``) or what a loop or comprehension iterates.  A ``map`` bound to a
name is left as it is (refused): read twice, the iterator is empty the second time,
which the list a comprehension becomes (``comprehensions.py``) would not be.  ``f`` is
evaluated once per element, which is the same function when ``f`` is a name or a dotted
name (the only forms rewritten: a lambda written in the call or a call returning a
function stays as it is, and is refused where it was before).  The element names are the parameters of ``f`` when it is a lambda or a
function bound in the function (``f = lambda v: v * v``), else ``item``; the
comprehension pass renames them when they collide with the user's.
"""

import ast
import builtins
import copy
import dataclasses
import types

from ..errors import S2SDiffError
from ..names import Namer
from ..parse import parse


def as_generators(parsed):
    """``parsed`` with its ``map`` calls rewritten (see the module docstring), or
    ``parsed`` itself when it has none."""
    refuse_reused_generators(parsed)
    calls = [n for n in parsed.of(ast.Call)
             if isinstance(n.func, ast.Name) and n.func.id == "map"]
    if not calls or parsed.lookup("map", None) is not builtins.map \
            or "map" in parsed.stored():
        return parsed
    node = _Maps(parsed.node).visit(copy.deepcopy(parsed.node))
    return dataclasses.replace(parsed, node=ast.fix_missing_locations(node))


class _Maps(ast.NodeTransformer):
    def __init__(self, function):
        self.namer = Namer.for_function(function)
        self.params = {}            # a lambda or function bound to a name -> its parameters
        for sub in ast.walk(function):
            if isinstance(sub, ast.Assign) and len(sub.targets) == 1 \
                    and isinstance(sub.targets[0], ast.Name) and isinstance(sub.value, ast.Lambda):
                self.params[sub.targets[0].id] = sub.value.args
            elif isinstance(sub, ast.FunctionDef) and sub is not function:
                self.params[sub.name] = sub.args

    def visit_Call(self, node):
        self.generic_visit(node)
        node.args = [self.rewritten(a) for a in node.args]
        return node

    def visit_For(self, node):
        self.generic_visit(node)
        node.iter = self.rewritten(node.iter)
        return node

    visit_comprehension = visit_For

    def rewritten(self, node):
        """``node`` as a generator expression if it is a ``map`` call, else itself."""
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
                and node.func.id == "map"
                and len(node.args) >= 2 and not node.keywords
                and not any(isinstance(a, ast.Starred) for a in node.args)
                and _dotted(node.args[0])):
            return node
        function, iterables = node.args[0], node.args[1:]
        names = self.element_names(function, len(iterables))
        call = ast.Call(copy.deepcopy(function), [ast.Name(n, ast.Load()) for n in names], [])
        if len(iterables) == 1:
            target, iterable = ast.Name(names[0], ast.Store()), iterables[0]
        else:
            target = ast.Tuple([ast.Name(n, ast.Store()) for n in names], ast.Store())
            iterable = ast.Call(ast.Name("zip", ast.Load()), iterables, [])
        generator = ast.comprehension(target, iterable, [], 0)
        return ast.copy_location(ast.GeneratorExp(call, [generator]), node)

    def element_names(self, function, count):
        args = self.params.get(function.id) if isinstance(function, ast.Name) else None
        own = [a.arg for a in args.posonlyargs + args.args] if args is not None else []
        bases = own[:count] if len(own) >= count else ["item"] * count
        return [self.namer.fresh(base) for base in bases]


def _dotted(node):
    while isinstance(node, ast.Attribute):
        node = node.value
    return isinstance(node, ast.Name)


def refuse_reused_generators(parsed):
    """Refuse a generator expression bound to a name that may be read more than once
    (read twice, or read in a loop the assignment is not in), or a name bound to one and
    to something else: Python's generator is empty once read, the list a comprehension
    becomes (``comprehensions.py``) is not, and the gradient would count it again."""
    if not parsed.of(ast.GeneratorExp):
        return
    bound = [n for n in parsed.of(ast.Assign) if len(n.targets) == 1 and isinstance(
        n.targets[0], ast.Name) and isinstance(n.value, ast.GeneratorExp)]
    passed = [n for n in parsed.of(ast.Call) if isinstance(n.func, ast.Name)
              and any(isinstance(a, ast.GeneratorExp) for a in n.args)]
    loops = _enclosing_loops(parsed.node) if bound else {}
    for assign in bound:
        name = assign.targets[0].id
        where = _read_again(parsed, name, assign, loops)
        if where is not None:
            raise parsed.error(
                where, f"s2sdiff cannot differentiate {parsed.node.name}: the generator "
                       f"expression bound to `{name}` may be read more than once (a generator "
                       f"is used up by its first reader, and then is empty)",
                construct="generator expression read more than once",
                hint=f"Make `{name}` a list (`[...]` instead of `(...)`) to read it several "
                     f"times, or pass the generator expression where it is read.")
    for call in passed:            # your own function given a generator: read once in it?
        callee = parsed.lookup(call.func.id, None)
        if not isinstance(callee, types.FunctionType):
            continue
        try:
            inner = parse(callee)
        except S2SDiffError:
            continue                # refused where it is differentiated
        params = [a.arg for a in inner.node.args.posonlyargs + inner.node.args.args]
        inner_loops = _enclosing_loops(inner.node)
        for position, arg in enumerate(call.args):
            if isinstance(arg, ast.GeneratorExp) and position < len(params) and \
                    _read_again(inner, params[position], None, inner_loops) is not None:
                raise parsed.error(
                    call, f"s2sdiff cannot differentiate {parsed.node.name}: "
                          f"`{call.func.id}` may read its parameter `{params[position]}` more "
                          f"than once, and it is given a generator expression here (used up "
                          f"by its first reader, then empty)",
                    construct="generator expression read more than once",
                    hint="Pass a list (`[...]` instead of `(...)`) if it should be read "
                         "several times.")


def _read_again(parsed, name, assign, loops):
    """The second read of ``name`` (bound by ``assign``, or a parameter when None), or a
    read in a loop ``assign`` is not in (``loops``: ``_enclosing_loops``), or the
    assignment when the name is bound twice; None when it is read at most once."""
    uses = [n for n in parsed.of(ast.Name) if n.id == name]
    reads = [n for n in uses if isinstance(n.ctx, ast.Load)]
    stores = len(uses) - len(reads)
    inside = loops.get(id(assign), ()) if assign is not None else ()
    if stores == (1 if assign is not None else 0) and len(reads) <= 1 and all(
            set(loops.get(id(r), ())) <= set(inside) for r in reads):
        return None
    return reads[1] if len(reads) > 1 else reads[0] if reads else assign or parsed.node


def _enclosing_loops(function):
    """id of each node under ``function`` -> the ids of the loops whose body (or else)
    holds it, outermost first (a loop's header is not in its body)."""
    out = {}

    def visit(node, loops):
        for field, value in ast.iter_fields(node):
            inner = loops + (id(node),) if isinstance(node, (ast.For, ast.While)) \
                and field in ("body", "orelse") or isinstance(node, ast.While) \
                and field == "test" else loops
            for child in value if isinstance(value, list) else [value]:
                if isinstance(child, ast.AST):
                    out[id(child)] = inner
                    visit(child, inner)
    visit(function, ())
    return out
