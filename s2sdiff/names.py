"""Deterministic fresh names that never collide with anything the user wrote, the
readable names temporaries are given after what they compute (``suggest_name``), and the
names of derivatives: ``AdjointNames`` (reverse mode's ``dv``) and ``TangentNames``
(forward mode's ``v_dot`` and ``dv_dp``), each given once per value and kept in the
listing's ``adjoints``."""

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
        self._counters = {}        # (base, sep) -> a k such that every smaller one is taken

    @classmethod
    def for_function(cls, node):
        names = set()          # one walk: the names and the parameters' names
        for n in ast.walk(node):
            if isinstance(n, ast.Name):
                names.add(n.id)
            elif isinstance(n, ast.arg):
                names.add(n.arg)
        return cls(names)

    def _with(self, names):
        self.taken.update(names)
        return self

    def reserve(self, name):
        self.taken.add(name)
        return name

    def fresh(self, base, sep="_"):
        if base not in self.taken and not keyword.iskeyword(base):
            return self.reserve(base)
        k = self._counters.get((base, sep), 2)
        while f"{base}{sep}{k}" in self.taken:
            k += 1
        self._counters[base, sep] = k + 1
        return self.reserve(f"{base}{sep}{k}")

    def discard(self):
        """The name for values nobody reads: ``_`` (``__2`` if taken), the same every time."""
        if self._discard is None:
            self._discard = self.fresh("_")
        return self._discard

    def numbered(self, base):
        """``base1``, ``base2``...: the first of these that is free."""
        k = self._counters.get((base, None), 1)
        while f"{base}{k}" in self.taken:
            k += 1
        self._counters[base, None] = k + 1
        return self.reserve(f"{base}{k}")


_SYMBOL = {ast.Add: "p", ast.Sub: "m", ast.Mult: "t"}
_REDUCTIONS = ("sum", "mean", "max", "min")


def suggest_name(node):
    """A readable name for a temporary computing ``node``, or None: ``xpy`` for ``x + y``,
    ``invx``, ``sigu`` (the sigmoid gate), ``xsqr``, ``negx``, ``Xw`` for ``X @ w``, ``XT``
    for ``X.T``, ``sumx`` for ``x.sum()``, ``expx`` for ``exp(x)``."""
    if isinstance(node, ast.BinOp):
        left, right = _leaf(node.left), _leaf(node.right)
        if type(node.op) in _SYMBOL and left and right:
            return left + _SYMBOL[type(node.op)] + right
        if isinstance(node.op, ast.Div) and is_one(node.left) and right:
            return "inv" + right
        if isinstance(node.op, ast.Div) and is_one(node.left) and isinstance(node.right, ast.BinOp):
            call = [n for n in (node.right.left, node.right.right) if isinstance(n, ast.Call)]
            if call and isinstance(call[0].args[0], ast.UnaryOp):
                argument = _leaf(call[0].args[0].operand)     # the sigmoid gate
                return "sig" + argument if argument else None
        if isinstance(node.op, ast.Pow) and left and isinstance(node.right, ast.Constant) \
                and node.right.value in (2, 3):
            return left + ("sqr" if node.right.value == 2 else "cube")
        if isinstance(node.op, ast.MatMult):
            left, right = _leaf(node.left, 4), _leaf(node.right, 4)
            return left + right if left and right else None
        return None
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub) and _leaf(node.operand):
        return "neg" + _leaf(node.operand)
    if isinstance(node, ast.Attribute) and node.attr == "T" and _leaf(node.value, 4):
        return _leaf(node.value, 4) + "T"
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and not node.args \
            and _leaf(node.func.value, 4) and node.func.attr in _REDUCTIONS:
        return node.func.attr + _leaf(node.func.value, 4)
    if isinstance(node, ast.Call) and len(node.args) == 1 and _leaf(node.args[0]):
        func = node.func.attr if isinstance(node.func, ast.Attribute) else _leaf(node.func)
        if func:
            return func + _leaf(node.args[0])
    return None


def _leaf(node, longest=5):
    """A name short and plain enough to build other names from."""
    if isinstance(node, ast.Name) and node.id.isalpha() and len(node.id) <= longest:
        return node.id
    return None


def is_one(node):
    """Whether ``node`` is the literal number 1 (``1`` or ``1.0``, not ``True``)."""
    return isinstance(node, ast.Constant) and node.value == 1 and not isinstance(node.value, bool)


class AdjointNames:
    """``dv`` for ``v``; ``d_v`` (then ``d_v_2``...) when ``dv`` is taken."""

    def __init__(self, program, listing):
        self.namer = program.namer
        self.listing = listing
        self.user_names = {p for p in program.params} | {
            s.target for s in program.steps if s.target not in program.temps}

    def get(self, name):
        return self.listing.adjoints.get(name)

    def _index(self):
        """adjoint -> (its primal, its position in ``listing.adjoints``), kept on the
        listing and brought up to date by ``__call__`` (built again if it missed entries)."""
        names = self.listing.adjoints
        index = getattr(self.listing, "_adjoint_index", None)
        if index is None or index[0] != len(names):
            positions = {}
            for position, (p, d) in enumerate(names.items()):
                positions.setdefault(d, (p, position))
            index = self.listing._adjoint_index = [len(names), positions]
        return index[1]

    def primal(self, adjoint_name):
        return self._index()[adjoint_name][0]

    def in_order(self, adjoint_names):
        """``adjoint_names`` (adjoints in ``listing.adjoints``) in the order of that dict."""
        index = self._index()
        return sorted(adjoint_names, key=lambda d: index[d][1])

    def __call__(self, name):
        names = self.listing.adjoints
        found = names.get(name)
        if found is not None:
            return found
        preferred = "d" + name
        if preferred in self.namer.taken or keyword.iskeyword(preferred):
            preferred = self.namer.fresh("d_" + name)
        names[name] = self.namer.reserve(preferred)
        index = getattr(self.listing, "_adjoint_index", None)
        if index is not None and index[0] == len(names) - 1:
            index[1].setdefault(names[name], (name, index[0]))
            index[0] += 1
        if name in self.user_names:
            self.listing.kept.add(names[name])
        return names[name]


class TangentNames:
    """``v_dot`` (the jvp direction) or ``dv_dp`` (along ``p``); ``_2``... when taken."""

    def __init__(self, program, listing):
        self.program = program
        self.listing = listing

    def __call__(self, name, direction):
        names = self.listing.adjoints
        key = (name, direction)
        if key not in names:
            if direction == "partial":            # the local partial d target / d arg
                names[key] = self.program.namer.fresh(f"d{name[0]}_d{name[1]}")   # one per position
                self.listing.kept.add(names[key])
                return names[key]
            preferred = f"{name}_dot" if direction is None else f"d{name}_d{direction}"
            names[key] = self.program.namer.fresh(preferred)
            if name not in self.program.temps:
                self.listing.kept.add(names[key])     # the user will look for it
        return names[key]
