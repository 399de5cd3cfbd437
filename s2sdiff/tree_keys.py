"""Key names a tree loop reads from outside the function: ``LAYERS = ("hidden",
"output")`` at module level (or in a closure), then ``for k in LAYERS: ... params[k]``.

The tree rewrite (``tree_flatten.py``) unrolls such a loop as it does ``for k in
("hidden", "output"):``, so the keys are built into the generated code.  The guarantee:
that code runs only while the name still holds those keys.

* ``global_keys(parsed, node, assigned)``: the keys a free name holds now, a non-empty
  tuple or list of strings and ints, or None (a local or a parameter, another value);
* ``record(parsed, name, value)``: what the flat function's ``Parsed`` keeps
  (``Parsed.baked``) for the generated code to check (also the keys of a dict read by
  ``G.get(key)``: ``normalize/free_calls.py``);
* ``baked_tests(program, injected)``: the entry tests (``emit.compile_listing``'s
  ``(test, None)`` guards) ``NAME is not <the object seen> or NAME != <its keys then>``;
  when one holds, the code is generated again for what the name holds now (the
  ``Renewal`` of the listing), as for a rebound helper.
"""

import ast

_KEYS = (str, int)


def global_keys(parsed, node, assigned):
    """The entries of the free name ``node`` (an ``ast.Name`` the function neither assigns
    nor takes as a parameter: ``assigned``) when it holds a non-empty tuple or list of
    strings or ints now; else None."""
    if not isinstance(node, ast.Name) or node.id in assigned:
        return None
    value = parsed.lookup(node.id, None)
    if type(value) not in (tuple, list) or not value \
            or not all(type(v) in _KEYS for v in value):
        return None
    return value


def record(baked, name, value):
    """Keep, in ``baked`` (a flattener's), that the code was generated for ``name``
    holding ``value``."""
    baked[name] = (value, tuple(value))


def baked_tests(program, injected):
    """``NAME is not seen or NAME != keys`` for each name whose keys the code was built
    with (``Parsed.baked``); the objects compared go into ``injected``."""
    tests = []
    for name, (value, keys) in sorted(getattr(program.parsed, "baked", {}).items()):
        seen = program.namer.fresh(f"{name}_seen")
        then = program.namer.fresh(f"{name}_keys")
        injected[seen] = value
        held = ast.Name(name, ast.Load())
        if keys is value:                   # a partial called (normalize/free_calls.py)
            tests.append((ast.Compare(ast.Name(name, ast.Load()), [ast.IsNot()],
                                      [ast.Name(seen, ast.Load())]), None))
            continue
        if type(value) is dict:             # G.get(key) (normalize/free_calls.py): its keys
            injected[then] = frozenset(keys)
            held = ast.Call(ast.Attribute(held, "keys", ast.Load()), [], [])
        else:
            injected[then] = list(keys) if type(value) is list else keys
        test = ast.BoolOp(ast.Or(), [
            ast.Compare(ast.Name(name, ast.Load()), [ast.IsNot()], [ast.Name(seen, ast.Load())]),
            ast.Compare(held, [ast.NotEq()], [ast.Name(then, ast.Load())])])
        test.s2sdiff_keys = name            # for the comment above (defaults.comment)
        tests.append((test, None))
    return tests


def changed(parsed):
    """Whether a name whose keys the code was built with holds another object or other
    keys now (what ``baked_tests`` tests on entry), for the dispatcher of NumPy code, whose
    key reads those entries first (``CFG['scale']``, gone from ``CFG``)."""
    for name, (value, keys) in getattr(parsed, "baked", {}).items():
        now = parsed.lookup(name, None)
        if now is not value:
            return True
        if keys is value:                   # a partial: the same object is enough
            continue
        if (frozenset(now) != frozenset(keys)) if type(now) is dict else tuple(now) != keys:
            return True
    return False

