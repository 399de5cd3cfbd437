"""Which name the generated code uses for a module that rule partials call.

Generated code calls the functions the user called: ``math.cos`` where the user wrote
``math.sin``.  If the user's module binds ``math`` (under any name) that name is used;
otherwise a fresh name is bound for the generated function alone (``injected``), so the
user's globals are never touched.
"""

import ast
import math
import weakref

from . import runtime
from .build import Expr, Namespace, as_node
from .rules import partials_raise


class ModuleAliases:
    def __init__(self, program):
        self.program = program
        self.namespaces = {}       # module name -> (Namespace, object, needs injection)
        self.helpers = {}          # a function of runtime.py -> the name generated code uses

    def namespace_for(self, step):
        if step.callee is None:            # an operator: math's (Python numbers)
            return self.namespace(math)
        module = math
        callee_module = getattr(step.callee, "__module__", None)
        if callee_module in ("numpy", "numpy.core.umath") or type(step.callee).__name__ == "ufunc":
            import numpy
            module = numpy
        return self.namespace(module)

    def namespace(self, module):
        key = module.__name__
        if key not in self.namespaces:
            alias, inject = self._alias(module)
            shadowed = _assigned_locally(self.program, "abs")
            self.namespaces[key] = (_Recording(alias, module, shadowed, self), module, inject)
        return self.namespaces[key][0]

    def _alias(self, module):
        parsed = self.program.parsed
        preferred = {"numpy": "np", "scipy.special": "special"}.get(module.__name__,
                                                                    module.__name__)
        candidates = [preferred] + sorted(n for n in parsed.globals if parsed.globals[n] is module)
        for name in candidates:
            if parsed.lookup(name, None) is module and not _assigned_locally(self.program, name):
                return name, False
        return self.program.namer.fresh(preferred), True

    def partials(self, step, m, arguments=None, may_raise=None):
        """The rule's partials of ``step`` built with ``m`` (on ``arguments``, the step's
        atoms as ``Expr`` unless given).  Notes in ``program.partials_raise`` whether they
        may raise where the forward does not (``may_raise``, for NumPy code
        ``array_context.partials_may_raise``; ``rules.partials_raise`` unless given); in the IEEE
        version of a gradient (``program.ieee``) every operation that can raise on Python
        floats is spelled ``ieee(...)`` (``_IEEE``): in every partial of scalar code, in
        the partials that may raise of NumPy code."""
        if arguments is None:
            arguments = map(Expr, step.args)
        partials = step.rule.partials(m, Expr.name(step.target), *arguments)
        if may_raise is None:
            may_raise = partials_raise(step.rule, step.args)
        elif not may_raise:
            return partials
        if may_raise:
            self.program.partials_raise = True
        if not getattr(self.program, "ieee", False):
            return partials
        helper = self.helper(runtime.ieee)
        return tuple(Expr(_IEEE(helper, m.alias).visit(as_node(p))) for p in partials)

    def helper(self, function):
        """The name under which generated code calls ``function`` (one of ``runtime.py``)."""
        if function not in self.helpers:
            self.helpers[function] = self.program.namer.fresh(function.__name__)
        return self.helpers[function]

    def injected(self):
        modules = {ns.alias: module for ns, module, inject in self.namespaces.values()
                   if inject and ns.used}
        return {**modules, **{name: function for function, name in self.helpers.items()}}


def _assigned_locally(program, name):
    return any(s.target == name for s in program.steps) or name in program.params


# Functions partials call that the module lacks (``m.digamma``): runtime.py's, called under
# the name ``ModuleAliases.helper`` gives them.
SPECIAL_HELPERS = {"digamma": runtime.digamma, "trigamma": runtime.trigamma}


class _Recording(Namespace):
    """A Namespace that remembers whether generated code used it; where the function binds
    the name ``abs`` itself, ``m.abs`` is the module's (``math.fabs``, ``np.abs``).  A
    function of ``SPECIAL_HELPERS`` the module lacks is runtime.py's."""

    def __init__(self, alias, module=math, abs_shadowed=False, owner=None):
        super().__init__(alias)
        self.used = False
        self.module_object = module
        self.owner = owner and weakref.ref(owner)    # not a cycle: garbage freed at once
        self.abs_shadowed = abs_shadowed
        self.module_abs = "fabs" if module is math else "abs"

    def abs(self, x):
        if self.abs_shadowed:
            return self.__getattr__(self.module_abs)(x)
        return Namespace.abs(x)

    def module(self, module):
        """The namespace of another ``module`` for the same generated function (a row's
        partials that call ``scipy.special`` as well as NumPy)."""
        return self.owner().namespace(module)

    def __getattr__(self, name):
        if name in SPECIAL_HELPERS and not hasattr(self.module_object, name) and self.owner:
            helper = self.owner().helper(SPECIAL_HELPERS[name])
            return lambda *args: Expr(ast.Call(ast.Name(helper, ast.Load()),
                                               [as_node(a) for a in args], []))
        if not name.startswith("__"):
            self.used = True
        return super().__getattr__(name)


class _IEEE(ast.NodeTransformer):
    """``a / b`` as ``ieee('/', a, b)`` (also ``**``, ``//``, ``%``) and ``math.f(v)`` as
    ``ieee(math.f, v)``: the same value where Python computes one, IEEE's inf or NaN where
    it raises (``runtime.ieee``)."""

    SYMBOLS = {ast.Div: "/", ast.Pow: "**", ast.FloorDiv: "//", ast.Mod: "%"}

    def __init__(self, helper, alias):
        self.helper, self.alias = helper, alias

    def visit_BinOp(self, node):
        self.generic_visit(node)
        symbol = self.SYMBOLS.get(type(node.op))
        if symbol is None:
            return node
        return ast.Call(ast.Name(self.helper, ast.Load()),
                        [ast.Constant(symbol), node.left, node.right], [])

    def visit_Call(self, node):
        self.generic_visit(node)
        func = node.func
        if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name) \
                and func.value.id == self.alias:
            return ast.Call(ast.Name(self.helper, ast.Load()), [func, *node.args], node.keywords)
        return node
