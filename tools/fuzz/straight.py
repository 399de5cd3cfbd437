"""The straight family: straight-line scalar programs (``Generator``).

Each statement is evaluated at the sample point while it is generated, so every program
evaluates and its values stay below ``VALUE_LIMIT``; the control family and the scalar
patterns extend ``Generator``.
"""

import ast
import builtins
import math

from .programs import IMPORTED, MODULE_GLOBALS, SIZES, VALUE_LIMIT, Program, Rejected, power_base
from .templates import NONDIFF_CALLS, TEMPLATES


PARAM_NAMES = ["x", "y", "z", "w", "a", "b", "u", "v", "x1", "x2", "en", "d", "p", "q"]
LOCAL_NAMES = ["t", "s", "r", "h", "g", "k", "m", "t1", "t2", "xpy", "xty", "expx", "sigx",
               "negx", "xsqr", "invy", "dx", "d_x", "dt", "dt1", "x_2", "y_2", "out", "num",
               "den", "f1", "tmp", "sinx", "xpy_2"]


class Generator:
    """Builds one random program; see the package docstring (**straight**)."""

    def __init__(self, rng, index, name, smooth, size="full"):
        self.size = SIZES[size]
        self.rng = rng
        self.index = index
        self.name = name
        self.smooth = smooth
        self.piecewise = False
        self.features = set()
        n = rng.choice([1, 1, 2, 2, 2, 3, 3, 4])
        self.params = rng.sample(PARAM_NAMES, n)
        self.point = tuple(self._coordinate() for _ in self.params)
        self.env = dict(zip(self.params, self.point))
        self.order = list(self.params)          # names by last assignment, oldest first
        self.unread = set(self.params)
        self.history = []                       # expression texts, for repetition
        self.body = []
        self.namespace = {"math": math, **IMPORTED, **MODULE_GLOBALS,
                          "__builtins__": builtins}

    def _coordinate(self):
        r = self.rng.random()
        if r < 0.15:
            return round(self.rng.uniform(-2.5, 2.5), 1)
        if r < 0.25:
            return self.rng.uniform(-12.0, 12.0)
        return self.rng.uniform(-2.5, 2.5)

    # expressions -----------------------------------------------------------------

    def sub(self, depth):
        """Any expression of at most ``depth`` levels of operations."""
        if depth <= 0 or self.rng.random() < 0.2:
            return self.leaf()
        keys = [k for k, (smooth, _, _) in TEMPLATES.items() if smooth or not self.smooth]
        weights = [TEMPLATES[k][2] for k in keys]
        key = self.rng.choices(keys, weights)[0]
        return TEMPLATES[key][1](self, depth - 1)

    def leaf(self):
        if self.rng.random() < 0.18:
            return self.constant()
        return self.variable()

    def variable(self):
        names = self.order
        weights = [1.0 + 3.0 * i / len(names) for i in range(len(names))]   # recent ones
        return self.rng.choices(names, weights)[0]

    def constant(self):
        return self.rng.choice(["2", "3", "0.5", "1.5", "2.5", "0.25", "1e-3", "10.0",
                                "-1.5", "-2", "0.1", "math.pi", "math.e", "SCALE", "OFFSET"])

    def positive(self, depth, low=0.0):
        """An expression > ``low`` + 0.4 whatever its operands."""
        a = self.sub(depth)
        plus = f" + {low}" if low else ""
        forms = [f"({1.5 + low} + {a} * {a})", f"({1.5 + low} + {power_base(a)} ** 2)",
                 f"({2.0 + low} + math.sin({a}))", f"(math.exp(math.sin({a})){plus})",
                 f"(math.cosh(math.tanh({a})) + {0.5 + low})",
                 f"({1 + low} + 1.0 / (1 + math.exp(-{a})))"]
        if not self.smooth:
            forms += [f"({0.5 + low} + abs({a}))", f"max({a}, {low + 0.5})"]
        text = self.rng.choice(forms)
        self._mark(text)
        return text

    def bounded(self, depth):
        """An expression in (-1, 1)."""
        a = self.sub(depth)
        forms = [f"math.tanh({a})", f"math.sin({a})", f"math.cos({a})", f"math.erf({a})",
                 f"tanh({a})", f"({a} / (1 + {a} * {a}))", f"(1.0 / (1 + math.exp(-{a})))"]
        if not self.smooth:
            forms += [f"max(min({a}, 0.9), -0.9)"]
        text = self.rng.choice(forms)
        self._mark(text)
        return text

    def _mark(self, text):
        if not self.smooth and any(p in text for p in ("abs(", "max(", "min(")):
            self.piecewise = True

    def piecewise_used(self):
        self.piecewise = True

    # statements ------------------------------------------------------------------

    def evaluate(self, text, env=None):
        try:
            value = eval(text, self.namespace, dict(self.env if env is None else env))
        except (ArithmeticError, ValueError, TypeError, RecursionError):
            raise Rejected from None
        if type(value) not in (int, float) or not math.isfinite(value) \
                or abs(value) > VALUE_LIMIT:
            raise Rejected
        if value == 0 and type(value) is float and any(p in text for p in self.env):
            raise Rejected         # an exact cancellation: singular points live there
        return value

    def fresh_local(self):
        free = [n for n in LOCAL_NAMES + [self.name] if n not in self.env]
        return self.rng.choice(free) if free else None

    def statement(self):
        kinds = ["new", "reassign_param", "reassign_local", "augmented", "unpack", "swap",
                 "constant", "chain", "annotated", "deep", "repeat"]
        weights = [30, 10, 8, 15, 6, 5, 4, 3, 2, 4, 6]
        for _ in range(15):
            kind = self.rng.choices(kinds, weights)[0]
            saved = (self.piecewise, set(self.features))
            try:
                line, bindings = getattr(self, "_" + kind)()
            except Rejected:
                self.piecewise, self.features = saved
                continue
            self._commit(line, bindings)
            return
        # nothing evaluable: a plain statement that always is
        name = self.fresh_local() or self.variable()
        source = self.variable()
        self._commit(f"{name} = {source} * 0.5", [(name, self.env[source] * 0.5)])

    def _commit(self, line, bindings):
        self.body.append(line)
        tree = ast.parse(line)
        for node in ast.walk(tree):
            if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load):
                self.unread.discard(node.id)
        for name, value in bindings:
            self.env[name] = value
            if name in self.order:
                self.order.remove(name)
            self.order.append(name)
            self.unread.add(name)

    def _depth(self):
        return self.rng.choice(self.size["depth"])

    def _expression(self, depth=None):
        text = self.sub(self._depth() if depth is None else depth)
        if len(text) < 200:
            self.history.append(text)
        return text

    def _new(self):
        name = self.fresh_local()
        if name is None:
            return self._reassign_local()
        text = self._expression()
        return f"{name} = {text}", [(name, self.evaluate(text))]

    def _reassign_param(self):
        name = self.rng.choice(self.params)
        text = self._expression()
        if name not in text:
            text = f"({name} + {text})" if self.rng.random() < 0.7 else text
        self.features.add("reassign")
        return f"{name} = {text}", [(name, self.evaluate(text))]

    def _reassign_local(self):
        names = [n for n in self.env if n not in self.params]
        if not names:
            return self._reassign_param()
        name = self.rng.choice(names)
        text = self._expression()
        self.features.add("reassign")
        return f"{name} = {text}", [(name, self.evaluate(text))]

    def _augmented(self):
        name = self.variable()
        op = self.rng.choice(["+=", "-=", "*=", "/=", "**="])
        if op == "/=":
            text = self.positive(self._depth() - 1)
        elif op == "**=":
            text = self.rng.choice(["2", "3", "2", "1", "2.0"])
        else:
            text = self._expression()
        self.features.add("augmented")
        value = self.evaluate(f"({name}) {op[:-1]} ({text})")
        return f"{name} {op} {text}", [(name, value)]

    def _unpack(self):
        n = self.rng.choice([2, 2, 3])
        targets = []
        for _ in range(n):
            if self.rng.random() < 0.5:
                candidate = self.fresh_local()
            else:
                candidate = self.variable()
            if candidate is None or candidate in targets:
                raise Rejected
            targets.append(candidate)
        texts = [self._expression(self.rng.choice([0, 1, 2])) for _ in targets]
        values = [self.evaluate(t) for t in texts]
        self.features.add("unpack")
        return f"{', '.join(targets)} = {', '.join(texts)}", list(zip(targets, values))

    def _swap(self):
        if len(self.env) < 2:
            raise Rejected
        n = 3 if len(self.env) >= 3 and self.rng.random() < 0.3 else 2
        names = self.rng.sample(list(self.env), n)
        rotated = names[1:] + names[:1]
        self.features.add("swap")
        return (f"{', '.join(names)} = {', '.join(rotated)}",
                [(a, self.env[b]) for a, b in zip(names, rotated)])

    def _constant(self):
        name = self.fresh_local()
        if name is None:
            raise Rejected
        forms = [self.constant(), f"{self.constant()} * {self.constant()}",
                 f"math.sqrt({self.rng.choice(['2', '3.0', 'SCALE'])})"]
        if not self.smooth:
            forms.append(f"{self.rng.choice(NONDIFF_CALLS)}({self.variable()})")
        text = self.rng.choice(forms)
        if any(text.startswith(c) for c in NONDIFF_CALLS):
            self.piecewise_used()
        self.features.add("constant")
        return f"{name} = {text}", [(name, self.evaluate(text))]

    def _chain(self):
        first, second = self.fresh_local(), self.fresh_local()
        if first is None or second is None or first == second:
            raise Rejected
        text = self._expression()
        value = self.evaluate(text)
        self.features.add("chain")
        return f"{first} = {second} = {text}", [(second, value), (first, value)]

    def _annotated(self):
        name = self.fresh_local()
        if name is None:
            raise Rejected
        text = self._expression()
        self.features.add("annotated")
        return f"{name}: float = {text}", [(name, self.evaluate(text))]

    def _deep(self):
        name = self.fresh_local() or self.variable()
        text = self.sub(self.rng.choice(self.size["deep"]))
        self.features.add("deep")
        return f"{name} = {text}", [(name, self.evaluate(text))]

    def _repeat(self):
        if not self.history:
            raise Rejected
        previous = self.rng.choice(self.history)
        name = self.fresh_local() or self.variable()
        text = self.rng.choice([previous, f"({previous} * {previous})",
                                f"({previous} + math.sin({previous}))"])
        self.features.add("repeat")
        return f"{name} = {text}", [(name, self.evaluate(text))]

    def returned(self):
        """``return`` of an expression that gathers the values nobody read yet."""
        for _ in range(10):
            live = [n for n in self.order if n in self.unread]
            self.rng.shuffle(live)
            parts = live[:3] or [self.variable()]
            text = parts[0]
            for part in parts[1:]:
                text = f"({text} {self.rng.choice(['+', '-', '*'])} {part})"
            r = self.rng.random()
            if r < 0.3:
                text = f"({text} + {self.sub(2)})"
            elif r < 0.4:
                text = f"math.sin({text})"
            try:
                return text, self.evaluate(text)
            except Rejected:
                continue
        name = self.variable()
        return name, self.env[name]

    def build(self):
        for _ in range(self.rng.choice(self.size["statements"])):
            self.statement()
        text, value = self.returned()
        if self.rng.random() < 0.3 and self.body:
            # return through a named result, as the seed's ``f = num * invden``
            target = self.fresh_local() or self.name
            self.body.append(f"{target} = {text}")
            text = target
        self.body.append(f"return {text}")
        tangent = tuple(round(self.rng.uniform(-1, 1), 3) for _ in self.params)
        return Program(self.index, self.name, self.params, self.body, self.point, tangent,
                       value, self.piecewise, self.features)
