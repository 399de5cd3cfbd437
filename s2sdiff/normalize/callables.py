"""Values the differentiated function reads without differentiating: attributes of its
parameters, functions bound to names inside it, and functions passed as parameters.

* ``cfg.lr``, ``self.w``, ``self.layers[0]``: an attribute chain rooted in a parameter the
  function never reassigns is read as data, one constant step (``lr = cfg.lr``) with no
  differentiated arguments; the parameter is recorded in ``opaque_params`` (an object,
  not a number) and the chain in ``parameter_reads`` (NumPy code keys its
  specialisations on the shapes read).  The pipeline refuses to differentiate such a
  parameter, so reading it as a constant is exact.  Private names are mangled as Python
  mangles them in the method's class (``self.__scale`` in ``Model`` is ``_Model__scale``).
* ``def sq(u): return u * u`` or ``sq = lambda u: u * u`` bound once at the top level of
  the function, then called: each call is inlined, its parameters bound to the argument
  atoms and its local assignments to fresh temporaries, so its free names read the
  enclosing variables as they are at the call (Python's late binding) and the gradient
  through a closure over differentiated variables is the one of the inlined code.
* ``f(x)`` where ``f`` is a parameter whose default is a function: it resolves to the
  default; ``opaque_params`` records ``f``, and the generated code checks that ``f`` is
  still its default (``emit.guarded_calls``), generating again for another function.
"""

import ast
import copy
import inspect

from .. import rules
from ..rules import Attribute
from .. import methods
from .substitute import Substitute

_INLINE_BODY = (ast.Assign, ast.AnnAssign, ast.Return)
_OWN_SCOPES = (ast.Lambda, ast.FunctionDef, ast.ListComp, ast.SetComp, ast.DictComp,
               ast.GeneratorExp, ast.ClassDef)


class LocalFunction:
    """A function bound to a name inside the differentiated one: its parameters, its
    local assignments and the expression it returns."""

    def __init__(self, name, args, assignments, returned, lineno):
        self.name, self.args, self.assignments = name, args, assignments
        self.returned, self.lineno = returned, lineno


class Callables:
    """The normalizer's handlers of parameter attributes and local functions (mixed into
    ``Normalizer``)."""

    def init_callables(self, stores):
        """``stores``: the names stored anywhere in the function (the body's, unless a
        decorator, a default or an annotation stores one with ``:=``)."""
        args = self.node.args
        self.param_names = [a.arg for a in args.posonlyargs + args.args + args.kwonlyargs]
        node = self.node
        if any(isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)
               for part in (node.args, *node.decorator_list, node.returns) if part is not None
               for n in ast.walk(part)):
            stores = {n.id for stmt in node.body for n in ast.walk(stmt)
                      if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)}
        self.rebound = stores
        self.opaque_params = {}        # parameter -> the first node reading it as an object
        self.parameter_reads = []      # dotted parameter attributes read ("self.w")
        self.local_functions = {}      # name -> LocalFunction
        self.inlining = []             # names of the local functions being inlined

    # attributes of parameters ----------------------------------------------------------

    def parameter_root(self, node):
        """The parameter an attribute chain (not an array attribute) reads, or None; for
        ``type(self).m`` (``methods.py``), ``self``."""
        if methods.instance_call(node) is not None:
            return methods.instance_call(node)
        if not isinstance(node, ast.Attribute) or rules.lookup(Attribute(node.attr)) is not None:
            return None
        root = node
        while isinstance(root, ast.Attribute) or getattr(root, "s2sdiff_element", False):
            root = root.value               # self.layers[0].W (attribute_methods.unrolled)
        if isinstance(root, ast.Name) and root.id in self.param_names \
                and root.id not in self.rebound:
            return root.id
        return None

    def parameter_attribute(self, node, into):
        """``cfg.lr``: a constant step reading the attribute of the parameter ``cfg``."""
        root = self.parameter_root(node)
        methods.check_read(self.parsed, node)      # a property that writes (methods.py)
        self.opaque_params.setdefault(root, node)
        value = self._mangled(node)
        key = ast.unparse(value)
        if key not in self.parameter_reads:
            self.parameter_reads.append(key)
        return into.emit(value, [], None, differentiable=False)

    def _mangled(self, node):
        """A load of the chain ``node`` with private names mangled for the method's class."""
        if isinstance(node, ast.Name):
            return ast.Name(node.id, ast.Load())
        if isinstance(node, ast.Subscript):         # self.layers[0]
            return ast.Subscript(self._mangled(node.value), node.slice, ast.Load())
        attr = node.attr
        parts = self.parsed.func.__qualname__.split(".")
        if attr.startswith("__") and not attr.endswith("__") and len(parts) >= 2 \
                and parts[-2] != "<locals>" and parts[-2].strip("_"):
            attr = f"_{parts[-2].lstrip('_')}{attr}"
        return ast.Attribute(self._mangled(node.value), attr, ast.Load())

    def function_parameter(self, name):
        """The default of the parameter ``name`` if it is a function the code calls, else
        None (a parameter reassigned in the body has no single value)."""
        if name not in self.param_names or name in self.rebound:
            return None
        try:
            default = inspect.signature(self.parsed.func).parameters[name].default
        except (TypeError, ValueError, KeyError):
            return None
        if default is inspect.Parameter.empty or not callable(default) \
                or isinstance(default, type):
            return None
        return default

    # functions bound to names inside the function --------------------------------------

    def statement_FunctionDef(self, stmt):
        args = stmt.args
        if stmt.decorator_list:
            raise self.error(stmt, f"decorated nested function `{stmt.name}`",
                             "Define the decorated function at module level.")
        body = stmt.body[1:] if stmt.body and _is_docstring(stmt.body[0]) else stmt.body
        self.define_local_function(stmt.name, args, body, stmt)

    def define_local_function(self, name, args, body, node):
        """Record the function ``name`` (``def`` or ``lambda``) for inlining at its calls."""
        what = f"nested function `{name}`"
        hint = (f"Keep `{name}` to assignments and one final return, or define it at module "
                f"level: s2sdiff differentiates your module-level helpers by transformation.")
        if self.open_blocks or self.loops:
            raise self.error(node, f"{what} defined inside a block",
                             f"Define `{name}` at the top level of {self.node.name}.")
        if sum(1 for n in ast.walk(self.node) if (isinstance(n, ast.Name) and n.id == name
               and isinstance(n.ctx, ast.Store)) or (isinstance(n, ast.FunctionDef)
               and n.name == name)) != 1 or name in self.param_names:
            raise self.error(node, f"{what} whose name is bound more than once",
                             f"Bind `{name}` once, or give the functions different names.")
        if args.vararg or args.kwarg or args.kwonlyargs or args.defaults:
            raise self.error(node, f"{what} with defaults, *args, **kwargs or keyword-only "
                             f"parameters", hint)
        if not body or not isinstance(body[-1], ast.Return) or body[-1].value is None \
                or not all(isinstance(s, _INLINE_BODY) for s in body) \
                or any(isinstance(s, ast.Return) for s in body[:-1]):
            raise self.error(node, f"{what} with statements other than assignments and a "
                             f"final return", hint)
        assignments = []
        for stmt in body[:-1]:
            targets = stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target]
            if len(targets) != 1 or not isinstance(targets[0], ast.Name) or stmt.value is None:
                raise self.error(stmt, f"{what} assigning other than one variable", hint)
            assignments.append((targets[0].id, stmt.value))
        for stmt in body:
            for sub in ast.walk(stmt):
                if isinstance(sub, _OWN_SCOPES) or isinstance(sub, ast.NamedExpr):
                    raise self.error(sub, f"{what} containing a nested scope or `:=`", hint)
        params = [a.arg for a in args.posonlyargs + args.args]
        self.local_functions[name] = LocalFunction(name, params, assignments,
                                                   body[-1].value, node.lineno)

    def local_function_call(self, node, into):
        """A call of a local function, inlined: arguments evaluated left to right into
        atoms, then its assignments and its returned expression with them substituted."""
        function = self.local_functions[node.func.id]
        if function.name in self.inlining:
            raise self.error(node, f"recursive call of the nested function `{function.name}`",
                             f"Define `{function.name}` at module level.")
        if any(isinstance(a, ast.Starred) for a in node.args) \
                or any(k.arg is None for k in node.keywords):
            raise self.error(node, "`*` or `**` in a call", "Pass the arguments one by one.")
        names = function.args[:len(node.args)] + [k.arg for k in node.keywords]
        if len(node.args) > len(function.args) or sorted(names) != sorted(function.args):
            raise self.error(node, f"call of `{function.name}` that does not match its "
                             f"parameters ({', '.join(function.args)})",
                             "Pass one value per parameter.")
        values = list(node.args) + [k.value for k in node.keywords]
        bound = {p: self.atom(v, p, into.lineno) for p, v in zip(names, values)}
        self.inlining.append(function.name)
        try:
            for target, value in function.assignments:
                bound[target] = self.atom(Substitute(bound).visit(copy.deepcopy(value)),
                                          target, into.lineno)
            returned = Substitute(bound).visit(copy.deepcopy(function.returned))
            return self.handler(returned)(returned, into)
        finally:
            self.inlining.pop()


def _is_docstring(stmt):
    return isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Constant) \
        and isinstance(stmt.value.value, str)
