"""A local name that only ever holds a record built in the function becomes a tuple.

A record class is a ``NamedTuple`` or a dataclass whose ``__init__`` the decorator wrote
(no ``__post_init__``, every field taken by ``__init__``), read from the module or a
closure and never rebound in the function.  When every assignment of a local name is
``v = C(...)`` (one class ``C``; arguments by position or by field name, no ``*`` or
``**``; a field left out has a number, string, bool or None default) and every read of
the name is a field, ``v.x`` (for a ``NamedTuple`` also an index by an int literal, an
unpacking, or an argument of a call: ``sum(v)``, a tuple of the fields), the construction
becomes the display ``v = (a, b)`` and each field read ``v[0]``, and then, as
``tuples.py`` does, each field gets a name of its own: ``v_x, v_y = (a, b)``, ``v.x`` is
``v_x``.  The fields flow through loops and branches as any number or array.

Arguments by field name out of the fields' order are evaluated first, in the order
written (``p_b_arg = math.sin(b)``), unless each is a name or a literal.  A name written
or read any other way (returned, iterated, compared, ``v.x = e``, a method
``record_calls.py`` did not inline, a field the class computes) is left as it is: the
normalizer refuses it.

>>> import ast, typing
>>> from s2sdiff.parse import parse
>>> class Vec(typing.NamedTuple):
...     x: float
...     y: float = 0.0
>>> def norm2(a, b):
...     v = Vec(y=b, x=a)
...     w = Vec(v.x * 2.0)
...     return v.x * w.x + v.y * v.y + w.y
>>> print(ast.unparse(as_tuples(parse(norm2)).node.body))
v_x, v_y = (a, b)
w_x, w_y = (v_x * 2.0, 0.0)
return v_x * w_x + v_y * v_y + w_y
"""

import ast
import copy
import dataclasses
import types

from ..syntax import Unused
from .tuples import _Split, _index, kept_names

_MISSING = object()


def as_tuples(parsed):
    """``parsed`` with each such name's records written as tuples (module docstring), or
    ``parsed`` itself."""
    classes = _candidates(parsed) if builds_records(parsed) else None
    if not classes:
        return parsed
    node = copy.deepcopy(parsed.node)
    names = Unused(node)
    entries = {name: [names.fresh(f"{name}_{field}") for field, _ in fields]
               for name, (_, fields) in classes.items()}
    node.body = _AsTuples(classes, names).visit(node).body
    node.body = [_Split(entries).visit(stmt) for stmt in node.body]
    ast.fix_missing_locations(node)
    # the code no longer calls the class: it checks on entry that the name still holds
    # it, before the checks of its methods inlined (record_calls.py), which read it
    checked = tuple((copy.deepcopy(func), cls) for func, (cls, _)
                    in _spellings(parsed, classes).values())
    spelled = {entry: f"`{name}.{field}`" for name, (_, fields) in classes.items()
               for entry, (field, _) in zip(entries[name], fields)}    # for messages: s.q
    result = dataclasses.replace(parsed, node=node, inlined=checked + tuple(parsed.inlined))
    result.returns = {**parsed.returns, **spelled}
    return result


def _spellings(parsed, classes):
    """``{how the function spells a record class: (that spelling, (class, fields))}``, in
    the order of the function's assignments."""
    out = {}
    for stmt in parsed.of(ast.Assign):
        target = stmt.targets[0]
        if isinstance(target, ast.Name) and target.id in classes:
            out.setdefault(ast.unparse(stmt.value.func), (stmt.value.func, classes[target.id]))
    return out


def fields_of(cls):
    """``[(field, default or _MISSING)]`` of a record class, or None for any other class."""
    if not isinstance(cls, type):
        return None
    if issubclass(cls, tuple):          # a NamedTuple's class, not a subclass of one
        fields = cls.__dict__.get("_fields")
        if not isinstance(fields, tuple) or cls.__mro__[1] is not tuple:
            return None
        defaults = cls.__dict__.get("_field_defaults", {})
        return [(f, defaults.get(f, _MISSING)) for f in fields]
    if not dataclasses.is_dataclass(cls) or hasattr(cls, "__post_init__"):
        return None
    params = getattr(cls, "__dataclass_params__", None)
    init = cls.__dict__.get("__init__")
    code = getattr(init, "__code__", None)
    if params is None or not params.init or code is None or code.co_kwonlyargcount \
            or "__create_fn__" not in getattr(code, "co_qualname", "__create_fn__"):
        return None                      # no __init__ the decorator wrote for all fields
    fields = dataclasses.fields(cls)
    if list(code.co_varnames[1:code.co_argcount]) != [f.name for f in fields] \
            or any(f.default_factory is not dataclasses.MISSING for f in fields):
        return None
    return [(f.name, _MISSING if f.default is dataclasses.MISSING else f.default)
            for f in fields]


def builds_records(parsed):
    """Whether the function calls a record class anywhere (a quick test first: most
    functions call none)."""
    known = {}
    return any(_record_class(parsed, call.func, known) is not None
               for call in parsed.of(ast.Call))


def constructor_class(parsed, value):
    """The record class ``value`` builds (``Vec(a, b)``, ``shapes.Vec(a, b)``, its
    arguments fit for a display), or None."""
    if not isinstance(value, ast.Call):
        return None
    cls = _record_class(parsed, value.func)
    return cls if cls is not None and _entries(value, fields_of(cls)) is not None else None


def _record_class(parsed, func, known=None):
    """The record class the free name or dotted name ``func`` denotes, or None;
    ``known``: spelling -> the answer, for repeated spellings (``math.sin``)."""
    attributes = []
    while func.__class__ is ast.Attribute:
        attributes.append(func.attr)
        func = func.value
    if func.__class__ is not ast.Name:
        return None
    key = (func.id, *attributes)
    if known is not None and key in known:
        return known[key]
    cls = None
    if func.id not in parsed.stored():
        cls = parsed.lookup(func.id, None)
        for attribute in reversed(attributes):      # through modules only: nothing runs
            cls = getattr(cls, attribute, None) if isinstance(cls, types.ModuleType) else None
        cls = cls if fields_of(cls) is not None else None
    if known is not None:
        known[key] = cls
    return cls


def _is_tuple_class(cls):
    return issubclass(cls, tuple)


def _entries(call, fields):
    """The argument nodes of ``call`` in the order of ``fields`` (defaults as literals),
    or None when the call cannot be written as a display (module docstring)."""
    if any(isinstance(a, ast.Starred) for a in call.args) \
            or any(k.arg is None for k in call.keywords) or len(call.args) > len(fields):
        return None
    names = [f for f, _ in fields]
    given = dict(zip(names, call.args))
    for keyword in call.keywords:
        if keyword.arg not in names or keyword.arg in given:
            return None
        given[keyword.arg] = keyword.value
    out = []
    for name, default in fields:
        if name in given:
            out.append(given[name])
        elif default is None or type(default) in (int, float, bool, str):
            out.append(ast.Constant(default))
        else:
            return None
    return out


def _candidates(parsed):
    """``{name: (class, fields)}`` of the names whose records may be written as tuples."""
    built = {}                              # name -> the classes it is given
    for stmt in parsed.of(ast.Assign):
        if len(stmt.targets) == 1 and isinstance(stmt.targets[0], ast.Name):
            cls = constructor_class(parsed, stmt.value)
            if cls is not None:
                built.setdefault(stmt.targets[0].id, []).append((cls, fields_of(cls)))
                continue
        for target in stmt.targets:
            if isinstance(target, ast.Name):
                built.setdefault(target.id, []).append(None)    # assigned another way
    classes = {name: found[0] for name, found in built.items()
               if None not in found and all(f[0] is found[0][0] for f in found)}
    if not classes:
        return {}
    excluded = kept_names(parsed)
    classes = {n: c for n, c in classes.items() if n not in excluded}
    allowed = set()
    for stmt in parsed.of(ast.Assign):
        target = stmt.targets[0]
        if len(stmt.targets) == 1 and isinstance(target, ast.Name) and target.id in classes:
            allowed.add(id(target))
        value = stmt.value
        if len(stmt.targets) == 1 and isinstance(value, ast.Name) and value.id in classes \
                and _is_tuple_class(classes[value.id][0]) \
                and isinstance(target, (ast.Tuple, ast.List)) \
                and len(target.elts) == len(classes[value.id][1]) \
                and not any(isinstance(e, ast.Starred) for e in target.elts):
            allowed.add(id(value))      # x, y = v (a NamedTuple)
    for attribute in parsed.of(ast.Attribute):
        value = attribute.value
        if isinstance(value, ast.Name) and value.id in classes \
                and isinstance(attribute.ctx, ast.Load) \
                and attribute.attr in [f for f, _ in classes[value.id][1]]:
            allowed.add(id(value))
    for sub in parsed.of(ast.Subscript):
        value = sub.value
        if isinstance(value, ast.Name) and value.id in classes \
                and _is_tuple_class(classes[value.id][0]) and isinstance(sub.ctx, ast.Load) \
                and _index(sub.slice, len(classes[value.id][1])) is not None:
            allowed.add(id(value))                      # v[0], v[-1] (a NamedTuple)
    for call in parsed.of(ast.Call):                    # sum(v), np.stack(v): its fields
        allowed.update(id(a) for a in call.args if isinstance(a, ast.Name)
                       and a.id in classes and _is_tuple_class(classes[a.id][0]))
    for name in parsed.of(ast.Name):
        if name.id in classes and id(name) not in allowed:
            del classes[name.id]        # read or written some other way: left as it is
    return classes


class _AsTuples(ast.NodeTransformer):
    def __init__(self, classes, names):
        self.classes, self.names = classes, names

    def visit_Assign(self, node):
        self.generic_visit(node)
        target = node.targets[0]
        if not (isinstance(target, ast.Name) and target.id in self.classes):
            return node
        call = node.value
        entries = _entries(call, self.classes[target.id][1])
        node.value = ast.copy_location(ast.Tuple(entries, ast.Load()), call)
        written = call.args + [k.value for k in call.keywords]
        if [id(e) for e in entries if any(e is w for w in written)] \
                == [id(w) for w in written] \
                or all(isinstance(w, (ast.Name, ast.Constant)) for w in written):
            return node
        # arguments by field name out of the fields' order: evaluated first, as written
        hoisted, names = [], {}
        fields = {id(e): field for e, (field, _) in zip(entries, self.classes[target.id][1])}
        for value in written:
            name = names[id(value)] = self.names.fresh(f"{target.id}_{fields[id(value)]}_arg")
            hoisted.append(ast.copy_location(
                ast.Assign([ast.Name(name, ast.Store())], value), node))
        node.value.elts = [ast.Name(names[id(e)], ast.Load()) if id(e) in names else e
                           for e in entries]
        return hoisted + [node]

    def visit_Attribute(self, node):
        if isinstance(node.value, ast.Name) and node.value.id in self.classes:
            names = [f for f, _ in self.classes[node.value.id][1]]
            return ast.copy_location(ast.Subscript(
                node.value, ast.Constant(names.index(node.attr)), ast.Load()), node)
        return self.generic_visit(node)

    def visit_Subscript(self, node):
        if isinstance(node.value, ast.Name) and node.value.id in self.classes:
            length = len(self.classes[node.value.id][1])      # v[-1]: v[1]
            node.slice = ast.copy_location(ast.Constant(_index(node.slice, length)), node.slice)
            return node
        return self.generic_visit(node)


def refusal(parsed, node):
    """``(construct, hint)`` for ``node``, a field read ``v.x`` or a method ``v.m`` of a
    local name assigned a record of a class the function reads, which this pass left as
    it is; None for anything else."""
    base = node.value
    if not isinstance(base, ast.Name):
        return None
    built = [a.value.func.id for a in parsed.of(ast.Assign)
             if any(isinstance(t, ast.Name) and t.id == base.id for t in a.targets)
             and isinstance(a.value, ast.Call) and isinstance(a.value.func, ast.Name)]
    cls = parsed.lookup(built[0], None) if built else None
    if not isinstance(cls, type):
        return None
    what = f"`{ast.unparse(node)}` of `{base.id}`, a {cls.__name__} built in {parsed.node.name}"
    if fields_of(cls) is None:
        return (what, f"{cls.__name__} is not a plain record: s2sdiff follows the fields of "
                f"a NamedTuple or of a dataclass whose __init__ the decorator wrote (no "
                f"__post_init__, no default_factory, no keyword-only fields). Keep the "
                f"values in names of their own (`{base.id}_{node.attr} = ...`).")
    fields = [f for f, _ in fields_of(cls)]
    if node.attr not in fields:
        return (what, f"s2sdiff follows the fields of a record built in the function "
                f"({', '.join(fields)}), not its methods or properties: write the "
                f"method's expression on the fields (`{base.id}.{fields[0]}`), or a "
                f"module-level function of them.")
    return (what, f"s2sdiff follows the fields of a record built in the function when "
            f"`{base.id}` is only ever assigned {cls.__name__}(...) and only its fields are "
            f"read: pass its fields, not the record, to functions, return numbers, and "
            f"give it no other value.")
