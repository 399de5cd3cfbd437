"""Build AST expressions with Python operators, for the rule table.

A rule's partials are ordinary Python lambdas such as ``lambda m, out, x, y: (y, x)``.
Called with ``Expr`` arguments and a ``Namespace`` as ``m`` they return ``Expr`` objects
that wrap the AST of the partial; called with SymPy symbols and a SymPy namespace they
return SymPy expressions, which is how the table is checked.  Building is purely
structural: ``1 * x`` stays ``1 * x`` here and is folded by ``optimize``.

>>> x, y = Expr.name("x"), Expr.name("y")
>>> str(-x / y ** 2)
'-x / y ** 2'
>>> str(Namespace("math").cos(x) * y)
'math.cos(x) * y'
"""

import ast
import sys

_BINOPS = {"+": ast.Add, "-": ast.Sub, "*": ast.Mult, "/": ast.Div, "**": ast.Pow,
           "%": ast.Mod, "//": ast.FloorDiv, "@": ast.MatMult}
_COMPARE = {"<": ast.Lt, "<=": ast.LtE, ">": ast.Gt, ">=": ast.GtE}


class _ParenthesizeNegativeBases(ast.NodeTransformer):
    def visit_BinOp(self, node):
        self.generic_visit(node)
        left = node.left
        if isinstance(node.op, ast.Pow) and isinstance(left, ast.Constant) \
                and isinstance(left.value, (int, float)) and left.value < 0:
            node.left = ast.UnaryOp(ast.USub(), ast.Constant(-left.value))
        return node


if sys.version_info >= (3, 11):
    _unparse = ast.unparse
else:
    from ast import _Precedence

    class _Unparser(ast._Unparser):
        """Python 3.10's unparser writing what 3.11+ write: no parentheses around a tuple
        target (``a, b = t``, ``for i, x in ...``) and ``lambda: 1``, not ``lambda : 1``."""

        def visit_Tuple(self, node):
            with self.delimit_if("(", ")", len(node.elts) == 0
                                 or self.get_precedence(node) > _Precedence.TUPLE):
                self.items_view(self.traverse, node.elts)

        def visit_Assign(self, node):
            for target in node.targets:
                self.set_precedence(_Precedence.TUPLE, target)
            super().visit_Assign(node)

        def _for_helper(self, fill, node):
            self.set_precedence(_Precedence.TUPLE, node.target)
            super()._for_helper(fill, node)

        def visit_Lambda(self, node):
            with self.require_parens(_Precedence.TEST, node):
                self.write("lambda")
                arguments = type(self)().visit(node.args)
                if arguments:
                    self.write(" " + arguments)
                self.write(": ")
                self.set_precedence(_Precedence.TEST, node.body)
                self.traverse(node.body)

    def _unparse(node):
        return _Unparser().visit(node)


def unparse(node):
    """``ast.unparse``, the same text on every Python version s2sdiff supports (3.10 writes
    ``(a, b) = t`` where 3.11+ write ``a, b = t``), except that a negative literal base of
    ``**`` keeps its parentheses: ``ast.unparse`` writes ``Constant(-2.0) ** 2`` as
    ``-2.0 ** 2``, which Python reads as ``-(2.0 ** 2)``.  The statements and expressions
    generated code is made of are written by ``_Text`` (the same text, several times
    faster); any other node by Python's unparser.

    >>> print(unparse(ast.parse("for (i, x) in e:\\n    (a, b) = (x, i)")))
    for i, x in e:
        a, b = (x, i)
    """
    return _Text().text(node)


def unparser():
    """A function giving ``unparse(node)`` of each node it is called with, the same text,
    faster over many nodes (one writer, its state reset for each node): for ``emit``,
    which writes every statement of a listing."""
    return _Text().text


def _python_text(node):
    """``unparse(node)`` by Python's unparser, for a node ``_Text`` leaves to it."""
    text = _unparse(node)
    if "**" not in text or not any(
            isinstance(n, ast.BinOp) and isinstance(n.op, ast.Pow)
            and isinstance(n.left, ast.Constant) for n in ast.walk(node)):
        return text                 # nothing to parenthesise: no copy needed
    return _parenthesised(node)


def _parenthesised(node):
    """``node`` by Python's unparser, a negative literal base of ``**`` parenthesised."""
    import copy
    return _unparse(_ParenthesizeNegativeBases().visit(copy.deepcopy(node)))


class _Other(Exception):
    """A node ``_Text`` leaves to Python's unparser."""


# Python's unparser's precedences (ast._Precedence), in its order
(_NAMED_EXPR, _TUPLE, _YIELD, _TEST, _OR, _AND, _NOT, _CMP, _EXPR, _BXOR, _BAND, _SHIFT,
 _ARITH, _TERM, _FACTOR, _POWER, _AWAIT, _ATOM) = range(1, 19)
_BINOP_TEXT = {ast.Add: (" + ", _ARITH), ast.Sub: (" - ", _ARITH), ast.Mult: (" * ", _TERM),
               ast.MatMult: (" @ ", _TERM), ast.Div: (" / ", _TERM), ast.Mod: (" % ", _TERM),
               ast.FloorDiv: (" // ", _TERM), ast.LShift: (" << ", _SHIFT),
               ast.RShift: (" >> ", _SHIFT), ast.BitOr: (" | ", _EXPR),
               ast.BitXor: (" ^ ", _BXOR), ast.BitAnd: (" & ", _BAND),
               ast.Pow: (" ** ", _POWER)}
_UNARY_TEXT = {ast.USub: ("-", _FACTOR), ast.UAdd: ("+", _FACTOR), ast.Invert: ("~", _FACTOR),
               ast.Not: ("not ", _NOT)}
_COMPARE_TEXT = {ast.Eq: " == ", ast.NotEq: " != ", ast.Lt: " < ", ast.LtE: " <= ",
                 ast.Gt: " > ", ast.GtE: " >= ", ast.Is: " is ", ast.IsNot: " is not ",
                 ast.In: " in ", ast.NotIn: " not in "}
_AUG_TEXT = {op: f" {text.strip()}= " for op, (text, _) in _BINOP_TEXT.items()}
_INF = "1e" + repr(sys.float_info.max_10_exp + 1)
_REPR = (int, bool, str, type(None))


class _Text:
    """Python 3.11's ``ast.unparse`` of the nodes generated code is made of, to the
    character: the same precedences, kept per node in a dict as there (a node shared by
    two parents is written with the precedence the last parent gave it, as there), and
    ``_Other`` raised for any other node.  ``powers``: whether a ``**`` has a literal base
    (``unparse`` then parenthesises a negative one)."""

    __slots__ = ("out", "precedence", "powers")

    def __init__(self):
        self.out = []
        self.precedence = {}
        self.powers = False

    def text(self, node):
        """``unparse(node)``; the writer's state is reset first, so one writer serves
        any number of nodes."""
        self.out, self.precedence, self.powers = [], {}, False
        try:
            self.statement(node)
        except (_Other, RecursionError):
            return _python_text(node)
        if self.powers:                 # a literal base of **: parenthesise a negative one
            return _parenthesised(node)
        return "".join(self.out)

    def statement(self, node):
        kind, out = type(node), self.out
        if kind is ast.Assign:
            if node.type_comment is not None:
                raise _Other
            for target in node.targets:
                if type(target) is ast.Name:        # (a name reads no precedence)
                    out.append(target.id)
                else:
                    self.precedence[target] = _TUPLE
                    self.expression(target)
                out.append(" = ")
            self.expression(node.value)
        elif kind is ast.AugAssign:
            target = node.target
            if type(target) is ast.Name:
                out.append(target.id)
            else:
                self.expression(target)
            out.append(_AUG_TEXT[type(node.op)])
            self.expression(node.value)
        elif kind is ast.Return:
            out.append("return")
            if node.value:
                out.append(" ")
                self.expression(node.value)
        elif kind is ast.Expr:
            self.precedence[node.value] = _YIELD
            self.expression(node.value)
        elif kind is ast.Pass:
            out.append("pass")
        elif isinstance(node, ast.expr):
            self.expression(node)
        else:
            raise _Other

    def expression(self, node):
        kind, out, precedence = type(node), self.out, self.precedence
        if kind is ast.Name:
            out.append(node.id)
        elif kind is ast.Constant:
            value = node.value
            if node.kind is not None:
                raise _Other
            if type(value) is float or type(value) is complex:
                text = repr(value)
                if "n" in text:         # inf, nan: no other float or complex has an n
                    text = text.replace("inf", _INF).replace("nan", f"({_INF}-{_INF})")
                out.append(text)
            elif type(value) in _REPR:
                out.append(repr(value))
            else:
                raise _Other
        elif kind is ast.BinOp:
            text, own = _BINOP_TEXT[type(node.op)]
            parens = precedence.get(node, _TEST) > own
            if parens:
                out.append("(")
            after = own + 1 if own < _ATOM else own
            left, right = node.left, node.right
            if type(left) is ast.Name:              # a name reads no precedence
                out.append(left.id)
            else:
                if own == _POWER:
                    precedence[left] = after
                    if type(left) is ast.Constant:
                        self.powers = True
                else:
                    precedence[left] = own
                self.expression(left)
            out.append(text)
            if type(right) is ast.Name:
                out.append(right.id)
            else:
                precedence[right] = own if own == _POWER else after
                self.expression(right)
            if parens:
                out.append(")")
        elif kind is ast.Call:
            func = node.func
            if type(func) is ast.Name:
                out.append(func.id)
            else:
                precedence[func] = _ATOM
                self.expression(func)
            out.append("(")
            comma = False
            for argument in node.args:
                if comma:
                    out.append(", ")
                comma = True
                if type(argument) is ast.Name:
                    out.append(argument.id)
                elif type(argument) is ast.Starred:
                    raise _Other
                else:
                    self.expression(argument)
            for keyword in node.keywords:
                if comma:
                    out.append(", ")
                comma = True
                out.append("**" if keyword.arg is None else keyword.arg + "=")
                self.expression(keyword.value)
            out.append(")")
        elif kind is ast.Attribute:
            value = node.value
            if type(value) is ast.Name:
                out.append(value.id)
            else:
                precedence[value] = _ATOM
                self.expression(value)
            if type(value) is ast.Constant and isinstance(value.value, int):
                out.append(" ")
            out.append(".")
            out.append(node.attr)
        elif kind is ast.UnaryOp:
            text, own = _UNARY_TEXT[type(node.op)]
            parens = precedence.get(node, _TEST) > own
            if parens:
                out.append("(")
            out.append(text)
            precedence[node.operand] = own
            self.expression(node.operand)
            if parens:
                out.append(")")
        elif kind is ast.Subscript:
            precedence[node.value] = _ATOM
            self.expression(node.value)
            out.append("[")
            index = node.slice
            if type(index) is ast.Tuple and index.elts:
                self.items(index.elts)
            else:
                self.expression(index)
            out.append("]")
        elif kind is ast.Compare:
            parens = precedence.get(node, _TEST) > _CMP
            if parens:
                out.append("(")
            precedence[node.left] = _CMP + 1
            for comparator in node.comparators:
                precedence[comparator] = _CMP + 1
            self.expression(node.left)
            for op, comparator in zip(node.ops, node.comparators):
                out.append(_COMPARE_TEXT[type(op)])
                self.expression(comparator)
            if parens:
                out.append(")")
        elif kind is ast.IfExp:
            parens = precedence.get(node, _TEST) > _TEST
            if parens:
                out.append("(")
            precedence[node.body] = precedence[node.test] = _TEST + 1
            self.expression(node.body)
            out.append(" if ")
            self.expression(node.test)
            out.append(" else ")
            precedence[node.orelse] = _TEST
            self.expression(node.orelse)
            if parens:
                out.append(")")
        elif kind is ast.BoolOp:
            own = _AND if type(node.op) is ast.And else _OR
            parens = precedence.get(node, _TEST) > own
            if parens:
                out.append("(")
            text = " and " if own == _AND else " or "
            for i, value in enumerate(node.values):
                if i:
                    out.append(text)
                own = own + 1 if own < _ATOM else own      # as ast's: rising per operand
                precedence[value] = own
                self.expression(value)
            if parens:
                out.append(")")
        elif kind is ast.Tuple:
            parens = not node.elts or precedence.get(node, _TEST) > _TUPLE
            if parens:
                out.append("(")
            self.items(node.elts)
            if parens:
                out.append(")")
        elif kind is ast.List:
            out.append("[")
            for i, element in enumerate(node.elts):
                if i:
                    out.append(", ")
                self.expression(element)
            out.append("]")
        elif kind is ast.Slice:
            if node.lower:
                self.expression(node.lower)
            out.append(":")
            if node.upper:
                self.expression(node.upper)
            if node.step:
                out.append(":")
                self.expression(node.step)
        else:
            raise _Other

    def items(self, elements):
        """A tuple's items (``ast._Unparser.items_view``): ``a,`` for one."""
        if len(elements) == 1:
            self.expression(elements[0])
            self.out.append(",")
            return
        for i, element in enumerate(elements):
            if i:
                self.out.append(", ")
            self.expression(element)


def as_node(value):
    """An AST expression for an ``Expr``, an AST node or a Python number."""
    if isinstance(value, Expr):
        return value.node
    if isinstance(value, ast.AST):
        return value
    if isinstance(value, (bool, int, float)):
        if value < 0:
            return ast.UnaryOp(ast.USub(), ast.Constant(-value))
        return ast.Constant(value)
    raise TypeError(f"cannot build an expression from {value!r}")


class Expr:
    """An AST expression that composes with Python's operators."""

    __slots__ = ("node",)

    def __init__(self, node):
        self.node = node

    @classmethod
    def name(cls, identifier):
        return cls(ast.Name(identifier, ast.Load()))

    def __str__(self):
        return unparse(self.node)

    __repr__ = __str__

    def _binop(self, op, other, reflected=False):
        left, right = (other, self) if reflected else (self, other)
        return Expr(ast.BinOp(as_node(left), _BINOPS[op](), as_node(right)))

    def _compare(self, op, other):
        return Expr(ast.Compare(self.node, [_COMPARE[op]()], [as_node(other)]))

    def __add__(self, o): return self._binop("+", o)
    def __radd__(self, o): return self._binop("+", o, True)
    def __sub__(self, o): return self._binop("-", o)
    def __rsub__(self, o): return self._binop("-", o, True)
    def __mul__(self, o): return self._binop("*", o)
    def __rmul__(self, o): return self._binop("*", o, True)
    def __truediv__(self, o): return self._binop("/", o)
    def __rtruediv__(self, o): return self._binop("/", o, True)
    def __pow__(self, o): return self._binop("**", o)
    def __rpow__(self, o): return self._binop("**", o, True)
    def __mod__(self, o): return self._binop("%", o)
    def __floordiv__(self, o): return self._binop("//", o)
    def __rfloordiv__(self, o): return self._binop("//", o, True)
    def __matmul__(self, o): return self._binop("@", o)
    def __rmatmul__(self, o): return self._binop("@", o, True)
    def __neg__(self): return Expr(ast.UnaryOp(ast.USub(), self.node))
    @property
    def T(self): return Expr(ast.Attribute(self.node, "T", ast.Load()))   # noqa: E301 (arrays)
    def __pos__(self): return self
    def __lt__(self, o): return self._compare("<", o)
    def __le__(self, o): return self._compare("<=", o)
    def __gt__(self, o): return self._compare(">", o)
    def __ge__(self, o): return self._compare(">=", o)
    __hash__ = None


def _sum(terms):
    total = terms[0]
    for term in terms[1:]:
        total = Expr(ast.BinOp(as_node(total), ast.Add(), as_node(term)))
    return total


class Namespace:
    """``m`` for code generation: ``m.cos(x)`` builds ``<alias>.cos(x)``.

    A few names are spelled inline rather than called, because the module has no such
    function or because the inline form is what a person would write:
    ``m.sign(x)`` is ``1.0 if x > 0 else -1.0 if x < 0 else 0 * x`` (0 at 0, NaN at NaN;
    floats on every path, so code differentiated again keeps one dtype per name),
    ``m.indicator(c)`` is the comparison ``c`` itself (a bool multiplies like 0 or 1), or
    with ``nan=v`` the comparison unless ``v`` is NaN, and then ``v`` (a NaN stays NaN),
    and ``m.where(c, a, b)`` is ``a if c else b``.

    >>> x, out = Expr.name("x"), Expr.name("out")
    >>> m = Namespace("math")
    >>> str(m.sign(x))
    '1.0 if x > 0 else -1.0 if x < 0 else 0 * x'
    >>> str(m.indicator(x >= out, nan=out))
    'x >= out if out == out else out'
    """

    def __init__(self, alias):
        self.alias = alias

    def __getattr__(self, name):
        if name.startswith("__"):
            raise AttributeError(name)

        def call(*args, **keywords):
            func = ast.Attribute(ast.Name(self.alias, ast.Load()), name, ast.Load())
            return Expr(ast.Call(func, [as_node(a) for a in args],
                                 [ast.keyword(k, as_node(v)) for k, v in keywords.items()]))
        return call

    @staticmethod
    def indicator(condition, nan=None):
        if nan is None:
            return condition
        return Namespace.where(Namespace.not_nan(nan), condition, nan)

    @staticmethod
    def tied_share(out, xs, i):
        """d max(*xs)/d xs[i] (and min's): the share of the adjoint that ``xs[i]`` takes,
        ``1/k`` when it is one of the ``k`` arguments exactly equal to ``out``, else 0; NaN
        where ``out`` is NaN.  Spelled with conditionals, the fastest form on floats:
        ``(0.5 if x == y else 1.0) if x == out else 0.0 if out == out else out``."""
        x, others = xs[i], xs[:i] + xs[i + 1:]
        if not others:
            share = 1.0
        elif len(others) == 1:
            share = Namespace.where(Namespace.equal(x, others[0]), 0.5, 1.0)
        else:
            share = 1 / _sum([Namespace.equal(v, out) for v in xs])
        return Namespace.where(Namespace.equal(x, out), share,
                               Namespace.where(Namespace.not_nan(out), 0.0, out))

    @staticmethod
    def equal(a, b):
        """``a == b``."""
        return Expr(ast.Compare(as_node(a), [ast.Eq()], [as_node(b)]))

    @staticmethod
    def not_nan(x):
        """``x == x``: false only where ``x`` is NaN."""
        return Expr(ast.Compare(as_node(x), [ast.Eq()], [as_node(x)]))

    @staticmethod
    def where(condition, if_true, if_false):
        """``if_true if condition else if_false``."""
        return Expr(ast.IfExp(as_node(condition), as_node(if_true), as_node(if_false)))

    @staticmethod
    def abs(x):
        """The builtin ``abs(x)`` (cheaper than ``math.fabs`` in generated scalar code)."""
        return Expr(ast.Call(ast.Name("abs", ast.Load()), [as_node(x)], []))

    @staticmethod
    def unless_zero(y, value):
        """``value if y else 0``: ``0 * x ** -1`` raises at ``x = 0``, but ``d(x ** 0)/dx`` is 0.
        A literal ``y`` decides here, so ``x ** 2`` keeps the plain ``2 * x ** (2 - 1)``."""
        node = as_node(y)
        if isinstance(node, ast.Constant) and isinstance(node.value, (bool, int, float)):
            return value if node.value else 0
        if isinstance(node, ast.UnaryOp) and isinstance(node.operand, ast.Constant):
            return value                                   # a negative literal
        return Namespace.where(y, value, 0)

    @staticmethod
    def is_zero(x):
        return Expr(ast.Compare(as_node(x), [ast.Eq()], [ast.Constant(0)]))

    @staticmethod
    def sign(x):
        return Namespace.where(x > 0, 1.0, Namespace.where(x < 0, -1.0, 0 * x))
