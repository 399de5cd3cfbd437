"""Methods and helpers given a record built in the function, inlined, in code on numbers too.

A record (``records.py``) is followed field by field only while the function does
nothing but read its fields.  So before that pass, for each local name that only ever
holds records of one class (``s = State(...)`` in every assignment):

* a method call ``s.m(a)``, ``m`` a function of the class written in your files (not a
  property, a staticmethod or a classmethod), becomes ``State.m(s, a)``, spelled with the
  name the function builds the record with; ``s._replace(x=e)`` (a NamedTuple) and
  ``dataclasses.replace(s, x=e)`` become ``State(x=e, v=s.v)``;
* each call of a user's function that takes such a name as an argument (``step(s, dt)``,
  ``State.m(s, a)``) is inlined (``helpers.py``, ``force``), in code on numbers as in
  NumPy code: the helper's ``self.x`` becomes ``s.x``, its ``return State(...)`` an
  assignment of a record again.

The generated code checks on entry that ``State.m`` and ``step`` are still the functions
inlined (``parsed.inlined``).  A call that cannot be inlined is refused at its line, as
in NumPy code.

>>> import ast, typing
>>> from s2sdiff.parse import parse
>>> class Vec(typing.NamedTuple):
...     x: float
...     y: float
...     def scaled(self, k):
...         return Vec(self.x * k, self.y * k)
>>> def f(a):
...     v = Vec(a, 2.0)
...     v = v.scaled(3.0)
...     return v.x * v.y
>>> print(ast.unparse(inline_record_calls(parse(f)).node.body))
v = Vec(a, 2.0)
v = Vec(v.x * 3.0, v.y * 3.0)
return v.x * v.y
"""

import ast
import copy
import dataclasses
import inspect

from .helpers import _resolve_in, inline_helpers
from .records import builds_records, constructor_class, fields_of
from ..user_functions import is_helper


def inline_record_calls(parsed):
    """``parsed`` with the calls above inlined (module docstring), or ``parsed`` itself."""
    records = _records(parsed) if builds_records(parsed) else None
    if not records:
        return parsed
    methods = [c for c in parsed.of(ast.Call) if _method_of(c, records) is not None
               or _replaced(parsed, c, records) is not None]
    if methods:
        node = copy.deepcopy(parsed.node)
        _AsFunctionCalls(parsed, records).visit(node)
        ast.fix_missing_locations(node)
        parsed = dataclasses.replace(parsed, node=node)

    def force(call):
        return any(isinstance(a, ast.Name) and a.id in records
                   for a in call.args + [k.value for k in call.keywords])

    if not any(force(c) for c in parsed.of(ast.Call)):
        return parsed
    return inline_helpers(parsed, force=force)


def _records(parsed):
    """``{name: (class, its spelling)}`` of the local names that only ever hold records
    of one class built in the function, or the result of a call given such a name
    (``s = s.step(dt)``, ``s = step(s, dt)``: a record again once inlined, or refused)."""
    found = {}
    for stmt in parsed.of(ast.Assign):
        for target in stmt.targets:
            if isinstance(target, ast.Name):
                cls = constructor_class(parsed, stmt.value) if len(stmt.targets) == 1 else None
                found.setdefault(target.id, []).append(
                    (cls, stmt.value.func) if cls is not None else stmt.value)
    args = parsed.node.args
    params = {a.arg for a in args.posonlyargs + args.args + args.kwonlyargs}
    records = {}
    for name, built in found.items():
        made = [b for b in built if isinstance(b, tuple)]
        if made and name not in params and all(b[0] is made[0][0] for b in made):
            records[name] = (made[0], [b for b in built if not isinstance(b, tuple)])
    changed = True
    while changed:                  # a call's result is a record if it is given one
        changed = False
        for name, (_, others) in list(records.items()):
            if not all(_given_record(value, records) for value in others):
                del records[name]
                changed = True
    return {name: made for name, (made, _) in records.items()}


def _given_record(value, records):
    """Whether ``value`` is a call of a method of a record name, or a call given one."""
    if not isinstance(value, ast.Call):
        return False
    func = value.func
    if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name) \
            and func.value.id in records:
        return True
    return any(isinstance(a, ast.Name) and a.id in records
               for a in value.args + [k.value for k in value.keywords])


def _method_of(call, records):
    """The plain function ``v.m`` calls, ``v`` a record name, or None."""
    func = call.func
    if not (isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name)
            and func.value.id in records):
        return None
    cls = records[func.value.id][0]
    if func.attr in [f for f, _ in fields_of(cls)]:
        return None
    method = inspect.getattr_static(cls, func.attr, None)
    return method if is_helper(method) else None     # yours: not _asdict, _replace


def _replaced(parsed, call, records):
    """The record name ``call`` copies with some fields changed, ``v._replace(x=e)`` (a
    NamedTuple) or ``dataclasses.replace(v, x=e)``, each keyword a field; else None."""
    func = call.func
    if isinstance(func, ast.Attribute) and func.attr == "_replace" and not call.args \
            and isinstance(func.value, ast.Name) and func.value.id in records:
        name = func.value.id
    elif len(call.args) == 1 and isinstance(call.args[0], ast.Name) \
            and call.args[0].id in records and isinstance(func, (ast.Name, ast.Attribute)) \
            and _resolve_in(parsed, func, parsed.stored()) is dataclasses.replace:
        name = call.args[0].id
    else:
        return None
    fields = [f for f, _ in fields_of(records[name][0])]
    keys = [k.arg for k in call.keywords]
    return name if all(k in fields for k in keys) and len(set(keys)) == len(keys) else None


class _AsFunctionCalls(ast.NodeTransformer):
    """``v.m(a)`` -> ``Cls.m(v, a)``; ``v._replace(x=e)`` -> ``Cls(x=e, y=v.y)``."""

    def __init__(self, parsed, records):
        self.parsed, self.records = parsed, records

    def visit_Call(self, node):
        self.generic_visit(node)
        name = _replaced(self.parsed, node, self.records)
        if name is not None:            # the changed fields first, as written, then the rest
            cls, spelling = self.records[name]
            given = [k.arg for k in node.keywords]
            rest = [ast.keyword(f, ast.Attribute(ast.Name(name, ast.Load()), f, ast.Load()))
                    for f, _ in fields_of(cls) if f not in given]
            return ast.copy_location(ast.Call(copy.deepcopy(spelling), [],
                                              list(node.keywords) + rest), node)
        if _method_of(node, self.records) is not None:
            instance = node.func.value
            spelling = copy.deepcopy(self.records[instance.id][1])
            node.func = ast.copy_location(
                ast.Attribute(spelling, node.func.attr, ast.Load()), node.func)
            node.args = [ast.Name(instance.id, ast.Load())] + node.args
        return node
