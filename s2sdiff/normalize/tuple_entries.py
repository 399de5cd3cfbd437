"""A tuple display bound once in NumPy code, read entry by entry: the entries themselves.

NumPy code differentiates no tuple held in a name (a display is a structural step, which
reverse mode refuses there).  ``tuples.py`` splits such names before SSA, but a display
made during SSA is out of its reach: what an inlined nested function returns, unpacked
(``a, b = h(x)``, desugared as ``unpacked = h(x)``, ``a = unpacked[0]``...).  So:

* ``note(normalizer, name, elements)``: a name the function binds in one place, to a tuple
  display whose entries are temporaries, literals, names the function never assigns or
  assigns once outside loops, is noted with its atoms; those still hold what the display
  holds wherever the name is read (a temporary is bound once, next to the display);
* ``entry(normalizer, node)``: ``t[i]`` of such a name, an int literal in range, is the
  atom itself (``a = xsqr``);
* ``drop_unread(body, displays)``: once nothing reads the display but the length checks
  of unpackings (``assert len(unpacked) == 2``, true of a display of two), the display
  and those checks go; a display read another way stays, and is refused as before.
"""

import ast

from ..ir import If, Loop, Passive, Step, item_loads, walk_items


def note(normalizer, name, elements):
    """Remember ``name = (elements)`` when its entries may stand for its reads."""
    if len(_stores(normalizer.parsed, name)) != 1:
        return
    stored = normalizer.parsed.stored()
    if all(isinstance(e, ast.Constant) or e.id in normalizer.temps or e.id not in stored
           or _fixed(normalizer.parsed, e.id) for e in elements):
        normalizer.tuple_displays[name] = elements


def _stores(parsed, name):
    return [n for n in parsed.of(ast.Name) if n.id == name and not isinstance(n.ctx, ast.Load)]


def _fixed(parsed, name):
    """Whether the function binds ``name`` once, outside any loop: from then on it holds
    one value (``y = x * 2``, then ``a, b = h(y)``, ``h`` returning ``y`` itself)."""
    stores = _stores(parsed, name)
    return len(stores) == 1 and not any(
        stores[0] is n for loop in parsed.of(ast.For, ast.While) for n in ast.walk(loop))


def entry(normalizer, node):
    """The atom ``node`` (``t[i]``) reads, or None (module docstring)."""
    entries = normalizer.tuple_displays.get(getattr(node.value, "id", None))
    index = node.slice.value if isinstance(node.slice, ast.Constant) else None
    if entries is None or type(index) is not int or not -len(entries) <= index < len(entries):
        return None
    return entries[index]


def drop_unread(body, displays):
    """``body`` without the displays of ``displays`` nothing else reads, nor their length
    checks (module docstring)."""
    if not displays:
        return body
    checks, read = set(), set()
    for item in walk_items(body):
        loads = set(item_loads(item)) & set(displays)
        if not loads:
            continue
        if isinstance(item, Passive) and _length_check(item.stmt, displays):
            checks.add(id(item))
        else:
            read |= loads
    unread = set(displays) - read
    if not unread:
        return body
    return _without(body, lambda item: isinstance(item, Step) and item.target in unread
                    or id(item) in checks and set(item_loads(item)) & set(displays) <= unread)


def _length_check(stmt, displays):
    """``assert len(t) == n``, ``t`` a display of ``n`` entries."""
    test = stmt.test if isinstance(stmt, ast.Assert) else None
    return isinstance(test, ast.Compare) and len(test.ops) == 1 \
        and isinstance(test.ops[0], ast.Eq) and isinstance(test.left, ast.Call) \
        and getattr(test.left.func, "id", None) == "len" and len(test.left.args) == 1 \
        and isinstance(test.left.args[0], ast.Name) and test.left.args[0].id in displays \
        and isinstance(test.comparators[0], ast.Constant) \
        and test.comparators[0].value == len(displays[test.left.args[0].id])


def _without(items, dropped):
    out = []
    for item in items:
        if dropped(item):
            continue
        if isinstance(item, If):
            item.body, item.orelse = _without(item.body, dropped), _without(item.orelse, dropped)
        elif isinstance(item, Loop):
            item.body = _without(item.body, dropped)
        out.append(item)
    return out
