"""Methods of objects that are data: ``AFFINE.loss(x)`` and ``AFFINE(x)``, ``AFFINE`` an
instance the function reads from its module or a closure, and ``self(x)`` (or
``self.l1(x)``) inside a method.

The object's attributes are constants read when the code runs (rebinding ``AFFINE.w``
changes the next gradient); which function ``AFFINE.loss`` is depends on the object's
class, so the call is resolved for the class the object has when the code is generated,
as ``self.m(x)`` is for a bound method (``methods.py``):

* ``rewrite`` (called first by ``methods.rewrite``) writes ``AFFINE.loss(x)``
  ``type(AFFINE).loss(AFFINE, x)`` and ``AFFINE(x)`` ``type(AFFINE).__call__(AFFINE, x)``
  (a staticmethod: without the instance), the ``type(AFFINE)`` call marked with the class
  and the attributes (``attribute_methods.key_for``) it was resolved for; ``self(x)`` of a
  method specialised on a class whose ``__call__`` is a plain method becomes
  ``self.__call__(x)``, which ``methods.rewrite`` then resolves;
* ``resolve`` gives what such a call calls: the method specialised on the class and the
  attributes of the object (``methods.specialised``), so that its own ``self(x)``,
  ``self.m(x)`` and ``self.l1.m(x)`` resolve as in a bound method;
* ``entry_tests``: the generated code checks on entry, before ``type(AFFINE).loss is not
  ...``, that the object still has that class (``type(AFFINE) is not Affine``), that no
  instance attribute shadows the methods called and the classes of the attributes
  followed; when one fails the code is generated again for the object the name holds now
  (another class: its methods; no such method: the usual refusal);
* only objects of the user's own classes (the method's source in the user's files), whose
  class has no ``__getattribute__`` written in Python, are followed; a classmethod called
  is refused at the line of the call; a property giving a function, an instance
  attribute holding one, are called as any name is (the function they give is
  followed); a name bound in the function (a local) is not an object read from outside
  and is left alone; a parameter is followed when ``object_parameters`` made the
  function for the class of its argument (``__s2sdiff_objects__``).
"""

import ast
import copy
import inspect
import types

from .attribute_methods import _order, chain_of, class_tests, classes, key_for, label, \
    mangled, plain_getattribute, read_path, refuse_unusual, sub_key
from .syntax import bound_names
from .user_functions import is_helper

MARK = "s2sdiff_object"          # on the ``type(AFFINE)`` call: (name, class, attributes)


def rewrite(parsed, cls, me):
    """``parsed`` with the calls of methods of outside objects, and ``self(x)`` (``me`` the
    instance parameter of a function specialised on ``cls``), rewritten in place."""
    calls = parsed.of(ast.Call)     # the calls there are now: no recursion
    if calls:
        rewriter, changed = _Calls(parsed, cls, me, _bound(parsed.node, parsed)), False
        for call in calls:
            func = call.func
            rewriter.visit_Call(call)
            changed = changed or call.func is not func     # each rewrite sets a new func
        if changed:
            parsed.forget_nodes()
    return parsed


def _bound(node, parsed=None):
    """The names bound anywhere in the function ``node``, its own name included (found
    once per tree); ``parsed``: as for ``syntax.bound_names``."""
    known = getattr(node, "s2sdiff_bound", None)
    if known is None:
        known = node.s2sdiff_bound = bound_names(node, parsed)
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            known.add(node.name)
    return known


def _user_method(cls, name):
    """What ``cls`` defines for ``name`` when s2sdiff can follow it: a plain function or a
    staticmethod of the user's, or a classmethod (refused); else None (a property giving
    a function: the callee it gives, as for any name, ``parse.current``)."""
    found = inspect.getattr_static(cls, name, None)
    if isinstance(found, classmethod):
        return found if is_helper(found.__func__) else None
    function = found.__func__ if isinstance(found, staticmethod) else found
    return found if is_helper(function) else None


class _Calls:
    def __init__(self, parsed, cls, me, bound):
        self.parsed, self.cls, self.me, self.bound = parsed, cls, me, bound
        self.passed = {param: (klass, dict(per_method)) for param, klass, per_method
                       in getattr(parsed.func, "__s2sdiff_objects__", ())}

    def visit_Call(self, node):
        """Rewrite the call ``node`` in place."""
        func = node.func
        path = chain_of(func, self.me) if self.me is not None else None
        if path is not None:              # self(x), self.l1(x): self.__call__(x) (methods.py)
            cls = self.cls if path == () else classes(self.parsed.func).get(
                tuple(mangled(part, self.parsed.func) for part in path))
            if isinstance(inspect.getattr_static(cls, "__call__", None), types.FunctionType):
                node.func = ast.copy_location(ast.Attribute(func, "__call__", ast.Load()), func)
            return node
        if isinstance(func, ast.Name):
            owner, name = func, "__call__"
        elif isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name):
            owner, name = func.value, func.attr
        else:
            return node
        passed = self.passed
        if owner.id in passed:            # a parameter's (object_parameters.py)
            cls, per_method = passed[owner.id]
            found = _user_method(cls, name) if name in per_method else None
            if found is None:
                return node
        else:
            if owner.id in self.bound or owner.id == self.me:
                return node
            obj = self.parsed.lookup(owner.id, None)
            if obj is None or isinstance(obj, (type, types.ModuleType)):
                return node
            cls = type(obj)
            found = _user_method(cls, name)
            own = getattr(obj, "__dict__", None)
            if found is None or (isinstance(own, dict) and name in own) \
                    or not plain_getattribute(cls):
                return node
        call = f"`{ast.unparse(func)}(...)`"
        refuse_unusual(self.refuse, self.parsed, node, found, call, name)
        if owner.id in passed:
            attributes = passed[owner.id][1][name]
        else:
            attributes = key_for(found, obj) if isinstance(found, types.FunctionType) else ()
        owner_type = ast.Call(ast.Name("type", ast.Load()), [ast.Name(owner.id, ast.Load())], [])
        owner_type.s2sdiff_instance = owner.id          # methods.instance_call reads it
        setattr(owner_type, MARK, (owner.id, cls, attributes))   # what was resolved
        if isinstance(found, types.FunctionType):
            node.args.insert(0, ast.copy_location(ast.Name(owner.id, ast.Load()), owner))
        node.func = ast.copy_location(ast.Attribute(owner_type, name, ast.Load()), func)
        for part in (owner_type, owner_type.func, *owner_type.args):
            ast.copy_location(part, owner)
        return node

    def refuse(self, node, what, hint):
        return self.parsed.error(
            node, f"s2sdiff cannot differentiate {self.parsed.node.name}: {what} is not supported",
            construct=what, hint=hint)


def marked(func):
    """``(object, class, attributes)`` of a ``type(AFFINE).m`` that ``rewrite`` made (or
    ``resolve`` marked), ``object`` the expression text; else None."""
    if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Call):
        return getattr(func.value, MARK, None)
    return None


def resolve(parsed, func):
    """What ``type(AFFINE).m`` (made by ``rewrite``) calls, ``(function, class,
    attributes)``: ``m``, the class and the attributes it was resolved for (``methods``
    specialises it), or a staticmethod's function and None, None; else None.  A
    method's ``type(self).m(self, x)`` inlined into a caller with ``self`` an outside
    object (``type(AFFINE).__call__(AFFINE, x)``, ``type(AFFINE.l1).m(...)``) is marked
    here, for that object's class."""
    mark = marked(func) or _mark_inlined(parsed, func)
    if mark is None:
        return None
    _, cls, attributes = mark
    found = inspect.getattr_static(cls, func.attr, None)
    if isinstance(found, staticmethod):
        return found.__func__, None, None
    return (found, cls, attributes) if isinstance(found, types.FunctionType) else None


def _mark_inlined(parsed, func):
    if not (isinstance(func, ast.Attribute) and isinstance(func.value, ast.Call)
            and getattr(func.value, "s2sdiff_instance", None) is not None
            and isinstance(func.value.func, ast.Name) and func.value.func.id == "type"
            and len(func.value.args) == 1):
        return None
    owner, path = func.value.args[0], []
    while isinstance(owner, ast.Attribute):
        path.append(owner.attr)
        owner = owner.value
    path = tuple(reversed(path))
    passed = {param: (cls, per_method) for param, cls, per_method
              in getattr(parsed.func, "__s2sdiff_objects__", ())}
    if isinstance(owner, ast.Name) and owner.id in passed:     # a parameter's object
        cls, per_method = passed[owner.id]
        every = tuple(sorted({entry for _, attributes in per_method for entry in attributes},
                             key=lambda entry: _order(entry[0])))
        cls = cls if not path else {p: c for p, c, _ in every}.get(path)
        found = _user_method(cls, func.attr) if cls is not None else None
        attributes = sub_key(every, path) if path else every
    else:
        if not isinstance(owner, ast.Name) or owner.id in _bound(parsed.node):
            return None
        obj = parsed.lookup(owner.id, None)
        if obj is None or isinstance(obj, type) or isinstance(obj, types.ModuleType) and not path:
            return None
        obj = read_path(obj, path)           # helpers.OBJ: a helper's object, inlined
        cls, found = type(obj), _user_method(type(obj), func.attr)
        attributes = key_for(found, obj) if isinstance(found, types.FunctionType) else ()
    if not isinstance(found, (types.FunctionType, staticmethod)):
        return None
    if not isinstance(found, types.FunctionType):
        attributes = ()
    mark = (ast.unparse(func.value.args[0]), cls, attributes)
    setattr(func.value, MARK, mark)
    return mark


def entry_tests(parsed, guards):
    """The tests before the guards (``(spelling, name)`` pairs of ``emit``) of the code:
    for each object whose method is called, its class, then the instance attributes that
    would shadow the methods called and the classes of its attributes followed."""
    objects = {}                     # name -> (class, methods called, {(path, class): names})
    for spelling, _ in guards:
        mark = marked(spelling)
        if mark is None:
            continue
        _, cls, attributes = mark
        name = ast.unparse(spelling.value.args[0])     # as inlining renamed it
        _, names, known = objects.setdefault(name, (cls, set(), {}))
        names.add(spelling.attr)
        for path, klass, called in attributes:
            known.setdefault((path, klass), set()).update(called)
    tests = []
    for name in sorted(objects, key=lambda text: text.count(".")):      # AFFINE first
        cls, names, known = objects[name]
        node = ast.parse(name, mode="eval").body
        tests.append((ast.Compare(ast.Call(ast.Name("type", ast.Load()), [node], []),
                                  [ast.IsNot()], [ast.Name(label(parsed, cls), ast.Load())]),
                      None))
        if getattr(cls, "__dictoffset__", 0):
            tests += [(ast.Compare(ast.Constant(m), [ast.In()], [
                ast.Attribute(copy.deepcopy(node), "__dict__", ast.Load())]), None)
                for m in sorted(names)]
        attributes = tuple((path, klass, tuple(sorted(called)))
                           for (path, klass), called in sorted(
                               known.items(), key=lambda item: _order(item[0][0])))
        tests += [(_on(test, node), None) for test, _ in class_tests(parsed, "self", attributes)]
    unique = {}
    for test, name in tests:                     # each test once, where it first comes
        unique.setdefault(ast.unparse(test), (test, name))
    return list(unique.values())


def _on(test, node):
    """``test`` (on ``self``) on the object ``node``."""
    class Swap(ast.NodeTransformer):
        def visit_Name(self, name):
            return copy.deepcopy(node) if name.id == "self" else name
    return Swap().visit(test)


def changed(parsed, guards):
    """Whether an object whose methods the code calls (``guards`` of ``emit``) is now of
    another class, or is a parameter's (whose class ``Renewal`` checks): a dispatcher that
    cannot read the object's data asks for the code again instead."""
    args = parsed.node.args
    params = {a.arg for a in args.posonlyargs + args.args + args.kwonlyargs}
    for spelling, _ in guards:
        mark = marked(spelling)
        if mark is None:
            continue
        root, path = _chain(spelling)
        if root is None or root in params:
            return True
        value = read_path(parsed.lookup(root, None), path)
        if type(value) is not mark[1]:
            return True
    return False


def holds(names, func, spelling, callee):
    """Whether ``type(AFFINE).m`` (``spelling``) still calls ``callee``, for the code
    ``func`` (``parse.current``): the object the name holds has the class it was resolved
    for (a parameter's: checked when the code runs), which still defines ``m`` as it."""
    _, cls, _ = marked(spelling)
    root, path = _chain(spelling)
    code = func.__code__
    if root not in code.co_varnames[:code.co_argcount + code.co_kwonlyargcount]:
        if root is None or type(read_path(names.lookup(root, None), path)) is not cls:
            return False
    found = inspect.getattr_static(cls, spelling.attr, None)
    return (found.__func__ if isinstance(found, staticmethod) else found) is callee


def _chain(spelling):
    """``(root name, path)`` of the object of ``type(AFFINE.l1).m`` (``spelling``):
    ``("AFFINE", ("l1",))``; ``(None, ())`` for another expression."""
    node, path = spelling.value.args[0], []
    while isinstance(node, ast.Attribute):
        path.append(node.attr)
        node = node.value
    return (node.id, tuple(reversed(path))) if isinstance(node, ast.Name) else (None, ())
