"""Which name the generated code uses for a module that rule partials call.

Generated code calls the functions the user called: ``math.cos`` where the user wrote
``math.sin``.  If the user's module binds ``math`` (under any name) that name is used;
otherwise a fresh name is bound for the generated function alone (``injected``), so the
user's globals are never touched.
"""

import math

from .build import Namespace


class ModuleAliases:
    def __init__(self, program):
        self.program = program
        self.namespaces = {}       # module name -> (Namespace, object, needs injection)
        self.helpers = {}          # a function of runtime.py -> the name generated code uses

    def namespace_for(self, step):
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
            self.namespaces[key] = (_Recording(alias), module, inject)
        return self.namespaces[key][0]

    def _alias(self, module):
        parsed = self.program.parsed
        preferred = {"numpy": "np"}.get(module.__name__, module.__name__)
        candidates = [preferred] + sorted(n for n in parsed.globals if parsed.globals[n] is module)
        for name in candidates:
            if parsed.lookup(name, None) is module and not _assigned_locally(self.program, name):
                return name, False
        return self.program.namer.fresh(preferred), True

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
    return any(getattr(s, "target", None) == name for s in program.body) or name in program.params


class _Recording(Namespace):
    """A Namespace that remembers whether generated code used it."""

    def __init__(self, alias):
        super().__init__(alias)
        self.used = False

    def __getattr__(self, name):
        if not name.startswith("__"):
            self.used = True
        return super().__getattr__(name)
