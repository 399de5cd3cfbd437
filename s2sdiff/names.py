"""Deterministic fresh names that never collide with anything the user wrote."""

import ast
import keyword


class Namer:
    """Hands out identifiers not used by the function, its free names or each other.

    ``fresh("x")`` gives ``x`` if free, then ``x_2``, ``x_3``...; no set is iterated and
    nothing is random, so the same function always gets the same names.
    """

    def __init__(self, reserved=()):
        self.taken = set(reserved)
        self._discard = None

    @classmethod
    def for_function(cls, node):
        return cls(n.id for n in ast.walk(node) if isinstance(n, ast.Name)) \
            ._with(a.arg for a in ast.walk(node) if isinstance(a, ast.arg))

    def _with(self, names):
        self.taken.update(names)
        return self

    def reserve(self, name):
        self.taken.add(name)
        return name

    def fresh(self, base, sep="_"):
        if base not in self.taken and not keyword.iskeyword(base):
            return self.reserve(base)
        k = 2
        while f"{base}{sep}{k}" in self.taken:
            k += 1
        return self.reserve(f"{base}{sep}{k}")

    def discard(self):
        """The name for values nobody reads: ``_`` (``__2`` if taken), the same every time."""
        if self._discard is None:
            self._discard = self.fresh("_")
        return self._discard

    def numbered(self, base):
        """``base1``, ``base2``...: the first of these that is free."""
        k = 1
        while f"{base}{k}" in self.taken:
            k += 1
        return self.reserve(f"{base}{k}")


class AdjointNames:
    """``dv`` for ``v``; ``d_v`` (then ``d_v_2``...) when ``dv`` is taken."""

    def __init__(self, program, listing):
        self.namer = program.namer
        self.listing = listing
        self.user_names = {p for p in program.params} | {
            s.target for s in program.steps if s.target not in program.temps}

    def get(self, name):
        return self.listing.adjoints.get(name)

    def primal(self, adjoint_name):
        return next(p for p, d in self.listing.adjoints.items() if d == adjoint_name)

    def __call__(self, name):
        names = self.listing.adjoints
        if name not in names:
            preferred = "d" + name
            if preferred in self.namer.taken or keyword.iskeyword(preferred):
                preferred = self.namer.fresh("d_" + name)
            names[name] = self.namer.reserve(preferred)
            if name in self.user_names:
                self.listing.kept.add(names[name])
        return names[name]
