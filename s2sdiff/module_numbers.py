"""Numbers code generated for numbers reads from outside the function: a float or int in
a global or closure variable (``D * x``), or an entry or attribute of one read with
constant keys (``LST[0]``, ``CFG.scale``).

``free_numbers`` finds them; ``number_tests`` gives the entry tests (``type(D) is not
float``, ``emit.compile_listing`` puts them with the rebinding checks) that make the code
generate itself again when one holds something else (rebound to an array: NumPy code);
``optimize`` keeps ``K * 1.0`` for an int ``K``, so the gradient stays a float.  Backends
and ejected modules leave the tests out (``defaults.without_tests``).
"""

import ast
import inspect
import types

from .ir import Loop, walk_items


def free_numbers(program):
    """``{spelling: float or int}`` for what code generated for numbers computes with from
    outside and holds a float or an int now (not a bool): a free name a differentiable
    step reads (``D``), or an entry or attribute of one read with constant keys
    (``LST[0]``, ``CFG.scale``).  Loop variables are the function's own, never free."""
    cached = getattr(program, "free_numbers", None)      # optimize and emit both ask
    if cached is None or cached[0] is not program.kinds:
        program.free_numbers = cached = (program.kinds, _free_numbers(program))
    return cached[1]


def _free_numbers(program):
    if program.kinds is not None:
        return {}                    # NumPy code: specialised on its free data's kinds
    steps = program.steps
    local = set(program.params)
    local.update(s.target for s in steps)
    local.update(n.id for item in walk_items(program.body) if isinstance(item, Loop)
                 and item.target is not None for n in ast.walk(item.target)
                 if isinstance(n, ast.Name))
    found = {}
    parsed = program.parsed
    for step in steps:
        if not step.differentiable:
            continue
        value = step.value
        if value.__class__ in _READS and _root(value) not in local:
            spelled = ast.unparse(value)     # g1 = LST[0]: an entry of data from outside
            if spelled not in found:
                found[spelled] = type(constant_read(parsed, value))
            continue
        for arg in step.args:
            if arg.__class__ is ast.Name and arg.id not in local and arg.id not in found:
                found[arg.id] = type(parsed.lookup(arg.id, None))
    return {spelled: kind for spelled, kind in found.items() if kind in (float, int)}


_READS = (ast.Subscript, ast.Attribute)


def _root(node):
    while isinstance(node, (ast.Subscript, ast.Attribute)):
        node = node.value
    return node.id if isinstance(node, ast.Name) else None


def constant_read(parsed, node):
    """What ``node`` (a free name, and entries or attributes of it with constant keys)
    holds now; None when it cannot be read without running code."""
    if isinstance(node, ast.Name):
        return parsed.lookup(node.id, None)
    inner = constant_read(parsed, node.value) if isinstance(
        node, (ast.Subscript, ast.Attribute)) else None
    try:
        if isinstance(node, ast.Attribute) and not isinstance(inner, types.ModuleType):
            return inspect.getattr_static(inner, node.attr, None) if inner is not None else None
        if isinstance(node, ast.Subscript) and isinstance(node.slice, ast.Constant) \
                and isinstance(inner, (list, tuple, dict)):
            return inner[node.slice.value]
    except (LookupError, TypeError):
        pass
    return None


def number_tests(program, real):
    """``(type(D) is not float, None)`` guards (``entry_tests``'s form) for each of
    ``free_numbers``; ``real``: the name ``float`` goes by in the generated code."""
    if "type" in program.namer.taken:
        return []
    spelled = {float: real, int: "int"}
    tests = []
    for read, kind in free_numbers(program).items():
        if spelled[kind] in program.namer.taken:
            continue                 # ``int`` shadowed in the function
        test = ast.Compare(ast.Call(ast.Name("type", ast.Load()),
                                    [ast.parse(read, mode="eval").body], []),
                           [ast.IsNot()], [ast.Name(spelled[kind], ast.Load())])
        test.s2sdiff_number = True              # for the comment above (defaults.comment)
        tests.append((test, None))
    return tests
