"""Calls of methods of attributes of ``self`` in a bound method: ``self.l1.forward(x)``
in ``grad(model.loss)``, the PyTorch-style model made of layer objects.

Which function ``self.l1.forward`` is depends on the class of the object ``self.l1``,
a property of the instance, not of the model's class.  So the key a bound method is
specialised on (``methods.specialised``) is the class of ``self`` and the
*attributes*: ``((path, class, names), ...)``, for each chain of attributes
``self.l1`` (path ``("l1",)``; ``self.enc.l1``: ``("enc", "l1")``) that the method,
the methods of ``self`` it calls, and the methods of attributes they call (at any
depth) call a method of, with the class of that object on the instance at hand and the
names of its methods called.  ``key_for`` reads it from the instance (``grad(model.loss)``
reads ``model``'s).  Then:

* ``methods.rewrite`` writes ``self.l1.forward(x)`` ``type(self.l1).forward(self.l1, x)``,
  an ordinary call of ``Dense.forward`` specialised on ``Dense`` and the attributes of
  ``self.l1`` (``sub_key``), with ``self.l1`` a passive argument, as ``self`` is;
* the generated code checks on entry the class of each such object
  (``type(self.l1) is not Dense``, ``class_tests``) and that none has an instance
  attribute shadowing a method called (``'forward' in self.l1.__dict__``); when one
  fails, ``pipeline.Renewal`` calls the code generated for the key of the instance at
  hand (``instance_variant``): two models whose layers have different classes each get
  their own code, and rebinding ``model.l1`` to an object of another class is followed;
* only plain attributes are followed (an instance's ``__dict__``, ``__slots__``, a
  namedtuple field, a class attribute that is not a descriptor): a property, a class
  with a ``__getattribute__`` written in Python and a chain deeper than ``DEPTH`` are
  refused at generation (``refusal``), at the line of the call;
* ``for layer in self.layers: h = layer.forward(h)`` (a list or tuple attribute, the
  body calling methods of ``layer``, or ``layer(h)``: its ``__call__``) is unrolled for
  the instance at hand (``unrolled``): the key holds the list's length (path
  ``("layers", LENGTH)``) and the class of each element (paths ``("layers", 0)``...),
  the code calls ``type(self.layers[0]).forward(self.layers[0], h)``... and checks
  ``len(self.layers) != 2`` and each element's class on entry.  Refused when unrolling
  would not be exact: ``break``/``continue``/``else`` in the loop, ``layer`` used other
  than to call it or its methods and read its attributes, or after the loop, the list
  assigned or mutated in the function; ``enumerate``, ``zip`` and indexing (``self.layers[i]``) stay refused.
"""

import ast
import copy
import inspect
import textwrap
import types
import weakref

from .errors import UnsupportedError

DEPTH = 6                                  # longest chain of attributes followed
EACH = "*"                                 # ``for layer in self.layers``: each element
LENGTH = "#len"                            # path step of a list's length in a key
_MISSING = object()
_scanned = weakref.WeakKeyDictionary()     # code -> its calls (``_calls``)


def attributes_of(func):
    """The attributes ``func`` (or the function the code ``func`` was generated from) is
    specialised on: ``((path, class, names), ...)``, or ``()``."""
    seen = set()
    while func is not None and id(func) not in seen:
        seen.add(id(func))
        known = getattr(func, "__s2sdiff_attributes__", None)
        if known is not None:
            return known
        func = getattr(func, "__s2sdiff_origin__", None)
    return ()


def classes(func):
    """``{path: class}`` of ``attributes_of(func)``."""
    return {path: cls for path, cls, _ in attributes_of(func)}


def sub_key(attributes, path):
    """The attributes of the object at ``path``, relative to it."""
    n = len(path)
    return tuple((p[n:], cls, names) for p, cls, names in attributes
                 if len(p) > n and p[:n] == path)


def is_method(value):
    return isinstance(value, (types.FunctionType, staticmethod, classmethod, property))


def _function(value):
    value = value.__func__ if isinstance(value, staticmethod) else value
    return value if isinstance(value, types.FunctionType) else None


def mangled(name, func):
    """``name`` as Python mangles it in the class that defines ``func``."""
    if not isinstance(name, str):
        return name                           # an index into a list (``("layers", 0)``)
    parts = func.__qualname__.split(".")
    if name.startswith("__") and not name.endswith("__") and len(parts) >= 2 \
            and parts[-2] != "<locals>" and parts[-2].strip("_"):
        return f"_{parts[-2].lstrip('_')}{name}"
    return name


def chain_of(node, me):
    """``("l1", "W")`` for ``self.l1.W`` (``me`` = ``"self"``), ``()`` for ``self``,
    ``("layers", 0)`` for ``self.layers[0]``, else None."""
    parts = []
    while isinstance(node, (ast.Attribute, ast.Subscript)):
        if isinstance(node, ast.Subscript):
            index = node.slice
            if not (isinstance(index, ast.Constant) and type(index.value) is int
                    and index.value >= 0):
                return None
            parts.append(index.value)
        else:
            parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name) and node.id == me:
        return tuple(reversed(parts))
    return None


def _calls(func):
    """``(chain, name)`` of each call ``self.<chain>.name(...)`` in ``func``'s source
    (``self`` its first parameter; chain ``()``: a method of ``self``; None:
    ``super().name(...)``), read once per code object."""
    code = func.__code__
    known = _scanned.get(code)
    if known is not None:
        return known
    found = []
    try:
        tree = ast.parse(textwrap.dedent(inspect.getsource(func)))
    except Exception:       # unreadable (exec, a prompt...): nothing followed; refused later
        tree = None
    node = next((n for n in ast.walk(tree) if isinstance(n, (ast.FunctionDef, ast.Lambda,
                 ast.AsyncFunctionDef))), None) if tree is not None else None
    positional = node.args.posonlyargs + node.args.args if node is not None else []
    me = positional[0].arg if positional else None
    loops = {}                  # for layer in self.layers: layer.m(...) (``unrolled``)
    for sub in ast.walk(node) if me is not None else ():
        chain = chain_of(sub.iter, me) if isinstance(sub, ast.For) \
            and isinstance(sub.target, ast.Name) else None
        if chain:
            loops.setdefault(sub.target.id, chain + (EACH,))
    for sub in ast.walk(node) if me is not None else ():
        if isinstance(sub, ast.Call) and chain_of(sub.func, me) is not None:
            found.append((tuple(mangled(part, func) for part in chain_of(sub.func, me)),
                          "__call__"))                          # self(x), self.l1(x)
        if isinstance(sub, ast.Call) and isinstance(sub.func, ast.Name) \
                and sub.func.id in loops:                        # for layer in ...: layer(x)
            found.append((tuple(mangled(part, func) for part in loops[sub.func.id]),
                          "__call__"))
        if not (isinstance(sub, ast.Call) and isinstance(sub.func, ast.Attribute)):
            continue
        name = mangled(sub.func.attr, func)
        if isinstance(sub.func.value, ast.Call) and isinstance(sub.func.value.func, ast.Name) \
                and sub.func.value.func.id == "super":
            found.append((None, name))
            continue
        chain = chain_of(sub.func.value, me)
        if chain is None and isinstance(sub.func.value, ast.Name):
            chain = loops.get(sub.func.value.id)
        if chain is not None and len(chain) <= DEPTH:
            found.append((tuple(mangled(part, func) for part in chain), name))
    found = tuple(dict.fromkeys(found))
    _scanned[code] = found
    return found


def plain_getattribute(cls):
    return isinstance(inspect.getattr_static(cls, "__getattribute__", None),
                      types.WrapperDescriptorType)


def read(obj, part):
    """``obj.part`` when it is a plain attribute (see the module docstring), else
    ``_MISSING``."""
    cls = type(obj)
    if not isinstance(part, str):             # an index: only into a list or a tuple
        return obj[part] if cls in (list, tuple) and 0 <= part < len(obj) else _MISSING
    if not plain_getattribute(cls):
        return _MISSING
    static = inspect.getattr_static(cls, part, _MISSING)
    if hasattr(type(static), "__set__") or hasattr(type(static), "__delete__"):
        if isinstance(static, types.MemberDescriptorType) \
                or type(static).__name__ == "_tuplegetter":       # __slots__, namedtuple
            return getattr(obj, part, _MISSING)
        return _MISSING                       # a property or another data descriptor
    own = getattr(obj, "__dict__", None)
    if isinstance(own, dict) and part in own:
        return own[part]
    if static is _MISSING or hasattr(type(static), "__get__"):
        return _MISSING                       # a method, a classmethod...: not an object
    return static


def key_for(func, instance):
    """The attributes of ``instance`` that ``func`` (its unspecialised function) depends
    on: see the module docstring.  A list iterated to call methods of its elements
    (``for layer in self.layers``) adds its length (path ``("layers", LENGTH)``, the
    length in place of a class) and each element (``("layers", 0)``...)."""
    found, seen = {}, set()
    todo = [(func, instance, ())]
    while todo:
        f, obj, path = todo.pop()
        if (f.__code__, path) in seen:
            continue
        seen.add((f.__code__, path))
        calls = list(_calls(f))
        while calls:
            chain, name = calls.pop(0)
            if chain is None:                 # super().name: any definition in the MRO
                todo += [(fn, obj, path) for klass in type(obj).__mro__
                         if (fn := _function(vars(klass).get(name))) is not None]
                continue
            if len(path) + len(chain) > DEPTH:
                continue
            if EACH in chain:                 # for layer in self.layers: each element
                k = chain.index(EACH)
                items = obj
                for part in chain[:k]:
                    items = read(items, part)
                    if items is _MISSING:
                        break
                if type(items) not in (list, tuple) or not any(is_method(
                        inspect.getattr_static(type(item), name, None)) for item in items):
                    continue
                for j in range(k):
                    found.setdefault(path + chain[:j + 1], (type(read_path(obj, chain[:j + 1])),
                                                            set()))
                found[path + chain[:k] + (LENGTH,)] = (len(items), set())
                calls[:0] = [(chain[:k] + (i,) + chain[k + 1:], name) for i in range(len(items))]
                continue
            objects, target = [], obj
            for part in chain:
                target = read(target, part)
                if target is _MISSING:
                    break
                objects.append(target)
            else:
                method = inspect.getattr_static(type(target), name, None)
                if not is_method(method):
                    continue
                for k, value in enumerate(objects):
                    found.setdefault(path + chain[:k + 1], (type(value), set()))
                if path + chain:
                    found[path + chain][1].add(name)
                if _function(method) is not None:
                    todo.append((_function(method), target, path + chain))
    return tuple((path, cls, tuple(sorted(names))) for path, (cls, names)
                 in sorted(found.items(), key=lambda item: _order(item[0])))


def _order(path):
    """Sort key of paths: parents first, a list's length before its elements."""
    return tuple((0, part) if isinstance(part, str) else (1, part) for part in path)


def read_path(obj, path):
    for part in path:
        obj = read(obj, part)
        if obj is _MISSING:
            return _MISSING
    return obj


def unrolled(parsed, me):
    """``parsed``'s tree with each ``for layer in self.layers:`` whose body calls methods
    of ``layer`` (the length of ``self.layers`` in the key of the function) replaced by
    one copy of its body per element, ``layer`` written ``self.layers[i]``; refused when
    that would not be exact."""
    lengths = {path[:-1]: n for path, n, _ in attributes_of(parsed.func)
               if path and path[-1] == LENGTH}
    if not lengths:
        return
    for node in list(ast.walk(parsed.node)):
        for field in ("body", "orelse", "finalbody"):
            items = getattr(node, field, None)
            if not isinstance(items, list):
                continue
            new = []
            for item in items:
                chain = chain_of(item.iter, me) if isinstance(item, ast.For) else None
                path = tuple(mangled(p, parsed.func) for p in chain) if chain else None
                if path not in lengths:
                    new.append(item)
                    continue
                _check_unrollable(parsed, me, item, path)
                for i in range(lengths[path]):
                    item_node = load(me, path + (i,))
                    callable_ = isinstance(inspect.getattr_static(
                        classes(parsed.func).get(path + (i,)), "__call__", None),
                        types.FunctionType)
                    for statement in item.body:
                        clone = _Substitute(item.target.id, item_node, callable_).visit(
                            copy.deepcopy(statement))
                        new.append(ast.fix_missing_locations(clone))
            setattr(node, field, new)


class _Substitute(ast.NodeTransformer):
    """``name`` written ``element``; with ``callable_`` (the element's class defines
    ``__call__``), ``name(h)`` written ``element.__call__(h)``, a method call."""

    def __init__(self, name, element, callable_=False):
        self.name, self.element, self.callable = name, element, callable_

    def visit_Call(self, node):
        called = isinstance(node.func, ast.Name) and node.func.id == self.name
        self.generic_visit(node)
        if called and self.callable:
            node.func = ast.copy_location(ast.Attribute(node.func, "__call__", ast.Load()),
                                          node.func)
        return node

    def visit_Name(self, node):
        if node.id == self.name:
            return ast.copy_location(copy.deepcopy(self.element), node)
        return node


def _check_unrollable(parsed, me, loop, path):
    """Refuse ``for layer in self.layers`` (``loop``) unless unrolling it is exact."""
    source = ast.unparse(loop.iter)
    name = loop.target.id if isinstance(loop.target, ast.Name) else None

    def refuse(node, what, hint):
        return parsed.error(node, f"s2sdiff cannot differentiate {parsed.node.name}: {what} "
                            f"is not supported", construct=what, hint=hint)

    plain = f"Write the loop as `for {name or 'layer'} in {source}:` with a body that only " \
        f"calls `{name or 'layer'}` or its methods and reads its attributes, or give each " \
        f"object its own attribute."
    if name is None:
        raise refuse(loop, f"loop over `{source}` with the target "
                     f"`{ast.unparse(loop.target)}`", plain)
    if loop.orelse:
        raise refuse(loop, f"`for ... else` over `{source}`", plain)
    for sub in ast.walk(ast.Module(loop.body, [])):
        if isinstance(sub, (ast.Break, ast.Continue)):
            raise refuse(sub, f"`{ast.unparse(sub)}` in a loop over `{source}`, whose "
                         f"methods are called", plain)
        if isinstance(sub, ast.Name) and sub.id == name and not isinstance(sub.ctx, ast.Load):
            raise refuse(sub, f"assignment to `{name}` in the loop over `{source}`", plain)
    body = ast.Module(loop.body, [])
    uses = {id(sub.func.value) for sub in ast.walk(body)
            if isinstance(sub, ast.Call) and isinstance(sub.func, ast.Attribute)
            and isinstance(sub.func.value, ast.Name) and sub.func.value.id == name}
    uses |= {id(sub.func) for sub in ast.walk(body) if isinstance(sub, ast.Call)
             and isinstance(sub.func, ast.Name) and sub.func.id == name}    # layer(h)
    uses |= {id(sub.value) for sub in ast.walk(body) if isinstance(sub, ast.Attribute)
             and isinstance(sub.ctx, ast.Load) and isinstance(sub.value, ast.Name)
             and sub.value.id == name}                                     # layer.w
    inside = {id(sub) for sub in ast.walk(body)}
    others = {id(sub) for other in ast.walk(parsed.node) if isinstance(other, ast.For)
              and other is not loop and isinstance(other.target, ast.Name)
              and other.target.id == name for sub in ast.walk(other)}
    for sub in ast.walk(parsed.node):
        if isinstance(sub, ast.Name) and sub.id == name and sub is not loop.target \
                and id(sub) not in uses and (id(sub) in inside or id(sub) not in others):
            raise refuse(sub, f"use of `{name}` other than a call `{name}(...)`, "
                         f"`{name}.m(...)` or a read `{name}.a` "
                         f"(the loop over `{source}` is unrolled)", plain)
    for sub in ast.walk(parsed.node):
        targets = sub.targets if isinstance(sub, ast.Assign) else [sub.target] \
            if isinstance(sub, (ast.AugAssign, ast.AnnAssign, ast.For)) else []
        for target in targets:
            for part in ast.walk(target):
                if not isinstance(part, ast.Load) and _reaches(part, me, path):
                    raise refuse(sub, f"assignment to `{source}` in a function that loops "
                                 f"over it", plain)
        if isinstance(sub, ast.Delete) or (isinstance(sub, ast.Call) and isinstance(
                sub.func, ast.Attribute) and sub.func.attr in _MUTATORS
                and _reaches(sub.func.value, me, path, load=True)):
            if not isinstance(sub, ast.Delete) or any(_reaches(t, me, path, load=True)
                                                      for t in sub.targets):
                raise refuse(sub, f"`{ast.unparse(sub)}`, which may modify `{source}` "
                             f"in a function that loops over it", plain)


def _reaches(node, me, path, load=False):
    """Whether ``node`` (written, or read with ``load``) is ``self.layers``, a part of it,
    or ``self``/a parent of it."""
    if not load and not isinstance(getattr(node, "ctx", None), (ast.Store, ast.Del)):
        return False
    if isinstance(node, ast.Name):
        return node.id == me
    chain = chain_of(node, me)
    while chain is None and isinstance(node, (ast.Attribute, ast.Subscript)):
        node = node.value                     # self.layers[i].W: self.layers
        chain = chain_of(node, me)
    if chain is None:
        return False
    n = min(len(chain), len(path))
    return tuple(chain[:n]) == tuple(path[:n])


def source_function(func):
    """The user's function ``func`` was generated from (``func`` itself if it is one)."""
    while getattr(func, "__s2sdiff_origin__", None) not in (None, func):
        func = func.__s2sdiff_origin__
    return func


def shadowing(attributes, instance):
    """``(path, name)`` of the first method called on an attribute that an instance
    attribute shadows (``self.l1.forward = ...``), or None.  The classes along the paths
    are assumed to be those of ``attributes``."""
    for path, _, names in attributes:
        if path[-1] == LENGTH:
            continue
        obj = read_path(instance, path)
        own = getattr(obj, "__dict__", None)
        for name in names:
            if isinstance(own, dict) and name in own:
                return path, name
    return None


def matches(attributes, instance):
    """Whether the objects at the paths of ``attributes`` have those classes."""
    for path, cls, _ in attributes:          # parents first: sorted by path
        if path[-1] == LENGTH:
            obj = read_path(instance, path[:-1])
            if type(obj) not in (list, tuple) or len(obj) != cls:
                return False
            continue
        obj = read_path(instance, path)
        if obj is _MISSING or type(obj) is not cls:
            return False
    return True


def check_shadowing(func, attributes, instance, where):
    found = shadowing(attributes, instance)
    if found is not None:
        path, name = found
        owner = ".".join(("self",) + path)
        raise UnsupportedError(
            f"{func.__qualname__} calls `{owner}.{name}`, and the object `{owner}` has an "
            f"instance attribute `{name}` that shadows the method of its class: s2sdiff "
            f"differentiates methods defined in the class", construct="instance attribute "
            "shadowing a method", hint=f"Delete the instance attribute (del {owner}.{name}), "
            f"or define the new behaviour as a method of a subclass.", **where)


def label(parsed, cls):
    """The name the generated code reads ``cls`` by: its own name when the function sees
    it under that name, else a closure cell ``<Name>_class`` added to ``parsed``."""
    name = cls.__name__ if cls.__name__.isidentifier() else "attribute"
    if parsed.lookup(name, None) is cls:
        return name
    name = f"{name}_class"
    while name in parsed.closure or parsed.lookup(name, None) is not None:
        cell = parsed.closure.get(name)
        try:
            if cell is not None and cell.cell_contents is cls:
                return name
        except ValueError:
            pass
        name += "_"
    parsed.closure[name] = types.CellType(cls)
    return name


def load(me, path):
    """The expression reading ``path`` (attribute names, list indices) from ``me``."""
    node = ast.Name(me, ast.Load())
    for part in path:
        node = ast.Attribute(node, part, ast.Load()) if isinstance(part, str) else \
            element(node, part)
    return node


def element(node, index):
    """``node[index]``, marked as an element of a list of objects (read as a free value)."""
    node = ast.Subscript(node, ast.Constant(index), ast.Load())
    node.s2sdiff_element = True
    return node


def class_tests(parsed, me, attributes):
    """The entry tests of code specialised on ``attributes``: ``type(self.l1) is not
    Dense`` for each path (parents first), then ``'forward' in self.l1.__dict__`` for each
    method called on an object whose class gives its instances a ``__dict__``."""
    tests, shadows = [], []
    for path, cls, names in attributes:
        if path[-1] == LENGTH:               # len(self.layers) != 3
            tests.append(ast.Compare(ast.Call(ast.Name(label(parsed, len), ast.Load()), [
                load(me, path[:-1])], []), [ast.NotEq()], [ast.Constant(cls)]))
            continue
        tests.append(ast.Compare(ast.Call(ast.Name("type", ast.Load()), [load(me, path)], []),
                                 [ast.IsNot()], [ast.Name(label(parsed, cls), ast.Load())]))
        if getattr(cls, "__dictoffset__", 0):
            shadows += [ast.Compare(ast.Constant(name), [ast.In()], [
                ast.Attribute(load(me, path), "__dict__", ast.Load())]) for name in names]
    return [(test, None) for test in tests + shadows]


def refusal(parsed, func, me, cls):
    """``(construct, hint)`` for ``self.<chain>.m(...)`` (``func``) that no rewrite
    resolved, in a function specialised on ``cls``."""
    call = f"`{ast.unparse(func)}(...)`"
    chain = chain_of(func.value, me)
    known = classes(parsed.func)
    owner, where = cls, me
    for k, part in enumerate(chain):
        part = mangled(part, parsed.func)
        static = inspect.getattr_static(owner, part, None) \
            if owner is not None and isinstance(part, str) else None
        if isinstance(static, property) or (static is not None and hasattr(
                type(static), "__set__") and not isinstance(static, types.MemberDescriptorType)
                and type(static).__name__ != "_tuplegetter"):
            return (f"method call {call} of the property `{where}.{part}`",
                    f"Store the object in a plain attribute (self.{part} = ...), or call "
                    f"a module-level function.")
        if owner is not None and not plain_getattribute(owner):
            return (f"method call {call} through {owner.__qualname__}, which defines "
                    f"__getattribute__", "Use classes without a custom __getattribute__.")
        where = f"{where}.{part}" if isinstance(part, str) else f"{where}[{part}]"
        owner = known.get(tuple(mangled(p, parsed.func) for p in chain[:k + 1]))
    if owner is not None and not plain_getattribute(owner):
        return (f"method call {call} of a {owner.__qualname__}, which defines "
                f"__getattribute__", "Use classes without a custom __getattribute__.")
    if len(chain) > DEPTH:
        return (f"method call {call} through more than {DEPTH} attributes",
                "Give the object a shorter path, or call its method in a method of the "
                "object in between.")
    owner_text = ast.unparse(func.value)
    return (f"method call {call} of the object `{owner_text}`, which is not an object "
            f"with the method `{func.attr}` (or was not one when the gradient was made)",
            f"s2sdiff resolves methods of `{me}` and of objects in its attributes: make "
            f"`{owner_text}` such an object before making the gradient, or call it "
            f"through its class (`ItsClass.{func.attr}({owner_text}, ...)`).")


def taken_from(parsed, func, me):
    """``(construct, hint)`` for ``layer.m(...)``, ``layer`` a local variable taken from
    an attribute of ``me`` (``for layer in self.layers``, ``layer = self.l1``), else None."""
    owner = func.value.id
    if parsed.lookup(owner, _MISSING) is not _MISSING:
        return None                           # a global or a closure's: not a local
    for node in ast.walk(parsed.node):
        if isinstance(node, ast.For):
            target, source = node.target, node.iter
            if isinstance(target, ast.Tuple) and isinstance(source, ast.Call) and any(
                    isinstance(e, ast.Name) and e.id == owner for e in target.elts):
                target = ast.Name(owner, ast.Store())   # enumerate(self.layers), zip(...)
                source = next((a for a in source.args if _reaches(a, me, (), load=True)),
                              source)
        elif isinstance(node, ast.Assign) and len(node.targets) == 1:
            target, source = node.targets[0], node.value
        else:
            continue
        root = source
        while isinstance(root, (ast.Attribute, ast.Subscript)):
            root = root.value
        if isinstance(target, ast.Name) and target.id == owner and isinstance(root, ast.Name) \
                and root.id == me and source is not root:
            instead = f"loop over the list itself (for {owner} in {me}.<list>: ..." \
                f"{owner}.{func.attr}(h), unrolled for the instance), or give each object " \
                f"its own attribute ({me}.l1.{func.attr}(h), {me}.l2.{func.attr}(h))" \
                if isinstance(node, ast.For) else \
                f"call `{ast.unparse(source)}.{func.attr}(...)` where it is called"
            return (f"method call `{ast.unparse(func)}(...)` of `{owner}`, an object taken "
                    f"from `{ast.unparse(source)}`",
                    f"s2sdiff resolves methods of `{me}` and of objects in its attributes, "
                    f"called through them: {instead}; or call a module-level function.")
    return None


_MUTATORS = {"append", "extend", "insert", "pop", "popitem", "remove", "clear", "update",
             "setdefault", "add", "discard", "sort", "reverse", "fill", "resize", "put",
             "write", "send"}


def writes(getter):
    """What ``getter`` writes (an attribute, an item, a global...), or None."""
    try:
        tree = ast.parse(textwrap.dedent(inspect.getsource(getter)))
    except (OSError, TypeError, SyntaxError):
        return "cannot be read"
    for sub in ast.walk(tree):
        if isinstance(sub, (ast.Global, ast.Nonlocal)):
            return "writes a global or nonlocal name"
        targets = sub.targets if isinstance(sub, ast.Assign) else \
            [sub.target] if isinstance(sub, (ast.AugAssign, ast.AnnAssign)) else []
        if any(isinstance(t, (ast.Attribute, ast.Subscript)) for t in targets):
            return "assigns an attribute or an item"
        if isinstance(sub, ast.Call) and isinstance(sub.func, ast.Attribute) \
                and sub.func.attr in _MUTATORS:
            return f"calls `.{sub.func.attr}(...)`"
    return None


def refuse_unusual(refuse, parsed, node, found, call, name):
    """Raise ``refuse(node, what, hint)`` for a call of a classmethod, or where the module
    rebinds ``type`` (the generated code calls ``type(obj).m(obj, ...)``)."""
    if isinstance(found, classmethod):
        raise refuse(node, f"call of the classmethod {call}", f"Make `{name}` a plain method "
                     f"or a staticmethod, or a module-level function.")
    if parsed.lookup("type", None) is not type:
        raise refuse(node, f"method call {call} where `type` is rebound",
                     "Do not rebind the name `type` in the module.")
