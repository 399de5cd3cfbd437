"""The array family: straight-line NumPy programs (``ArrayGenerator``).

Every subexpression is evaluated at the point while it is generated, so shapes always
fit and values stay finite and below ``VALUE_LIMIT``; a share ``ARRAY_REFUSALS`` of the
programs put array code in a branch or a loop (an expected refusal).
"""

import builtins

import numpy as np

from .programs import MODULE_GLOBALS, VALUE_LIMIT, Program, Rejected, power_base


ARRAY_PARAM_NAMES = ["X", "W", "A", "B", "x", "y", "s", "b", "v", "M"]
ARRAY_LOCAL_NAMES = ["H", "Z", "t", "r", "h", "P", "q", "e", "m", "D", "z1", "xw"]
SHAPE_SETS = [
    [(3, 1), (4,)], [(), (2, 3)], [(2, 3), ()], [(3,), (3,)], [(2, 3), (3,)],
    [(4, 3), (3, 2)], [(2, 3), (2, 3), (3,)], [(1, 3), (2, 1)], [(4,)], [(3, 3)],
    [(2, 4), (4,), ()], [(3,), (2, 3), (2, 1)], [(5,), ()], [(2, 2), (2,), (2, 2)],
]
ARRAY_UNARY = ["np.sin({})", "np.cos({})", "np.tanh({})", "np.exp(np.tanh({}))",
               "np.log(1.5 + {0} * {0})", "np.sqrt(2.0 + {0} ** 2)", "np.log1p({0} * {0})",
               "np.arctan({})", "np.square({})", "np.exp({} * 0.5)", "(-{})",
               "(1.0 / (1.0 + np.exp(-{})))", "np.sinh({} / 4)", "np.cosh({} / 3)",
               "np.expm1({} * 0.5)"]
ARRAY_REFUSALS = 0.06       # share of array programs with array code in a branch or loop


class ArrayGenerator:
    """Builds one straight-line NumPy program, evaluating every subexpression at the
    point (so shapes are known and broadcasting always works)."""

    shape_sets = SHAPE_SETS
    refusals = ARRAY_REFUSALS

    def __init__(self, rng, index, name, size):
        self.rng, self.index, self.name = rng, index, name
        shapes = rng.choice(self.shape_sets)
        self.params = rng.sample(ARRAY_PARAM_NAMES, len(shapes))
        self.point = tuple(self._value(shape) for shape in shapes)
        self.env = dict(zip(self.params, self.point))
        self.namespace = {"np": np, **MODULE_GLOBALS, "__builtins__": builtins}
        self.body = []
        self.features = {"array"}
        self.statements = rng.choice([1, 2, 3, 3, 4] if size == "small" else [2, 3, 4, 5, 6])

    def _value(self, shape):
        if shape == ():
            return round(self.rng.uniform(-2, 2), 6)
        count = int(np.prod(shape))
        return np.array([round(self.rng.uniform(-2, 2), 6) for _ in range(count)]).reshape(shape)

    def evaluate(self, text):
        with np.errstate(all="raise"):
            try:
                value = eval(text, self.namespace, dict(self.env))
            except (ArithmeticError, ValueError, TypeError, IndexError, AttributeError):
                raise Rejected from None
        if np.iscomplexobj(value) or isinstance(value, complex) or np.size(value) == 0 \
                or not np.all(np.isfinite(value)) \
                or np.max(np.abs(value)) > VALUE_LIMIT:
            raise Rejected
        return value

    def leaf(self):
        if self.rng.random() < 0.12:
            return self.rng.choice(["2.0", "0.5", "-1.5", "SCALE"])
        return self.rng.choice(list(self.env))

    def expr(self, depth):
        """(text, value) of a random array expression of at most ``depth`` levels."""
        for _ in range(12):
            try:
                text = self._expr(depth)
                return text, self.evaluate(text)
            except Rejected:
                continue
        name = self.rng.choice(list(self.env))
        return name, self.env[name]

    def _expr(self, depth):
        if depth <= 0 or self.rng.random() < 0.2:
            return self.leaf()
        r = self.rng.random()
        if r < 0.3:
            self.features.add("elementwise")
            return self.rng.choice(ARRAY_UNARY).format(self._expr(depth - 1))
        if r < 0.6:
            op = self.rng.choice(["+", "-", "*", "/", "**"])
            left = self._expr(depth - 1)
            if op == "/":
                right = f"(1.5 + {power_base(self._expr(depth - 1))} ** 2)"
            elif op == "**":
                self.features.add("power")
                if self.rng.random() < 0.5:
                    return f"({left} ** {self.rng.choice(['2', '3', '2.0'])})"
                return f"((1.5 + {power_base(left)} ** 2) ** {self.rng.choice(['0.5', '-1', '1.5'])})"
            else:
                right = self._expr(depth - 1)
            text = f"({left} {op} {right})"
            shapes = {np.shape(self.evaluate(left)), np.shape(self.evaluate(right))}
            if len(shapes) > 1:
                self.features.add("broadcasting")
            return text
        if r < 0.72:
            left = self._expr(depth - 1)
            a = np.shape(self.evaluate(left))
            partners = [n for n, v in self.env.items() if np.ndim(v) >= 1 and len(a) >= 1
                        and (np.shape(v)[0] == a[-1])]
            if not partners:
                raise Rejected
            self.features.add("matmul")
            return f"({left} @ {self.rng.choice(partners)})"
        if r < 0.87:
            inner = self._expr(depth - 1)
            nd = np.ndim(self.evaluate(inner))
            if nd == 0:
                raise Rejected
            which = self.rng.choice(["np.sum", "np.mean", "sum-method", "np.prod"])
            axis = self.rng.choice([None, None] + list(range(-nd, nd)))
            keep = self.rng.random() < 0.35
            args = (f", axis={axis}" if axis is not None else "") + (", keepdims=True" if keep else "")
            self.features.add("reduction" + (" axis" if axis is not None else "") + (" keepdims" if keep else ""))
            if which == "sum-method":
                return f"{inner}.sum({args[2:]})" if args else f"{inner}.sum()"
            return f"{which}({inner}{args})"
        inner = self._expr(depth - 1)
        shape = np.shape(self.evaluate(inner))
        if not shape:
            raise Rejected
        self.features.add("indexing")
        forms = ["[0]", "[-1]", "[1:]", "[::2]", "[:-1]"]
        if len(shape) == 2:
            forms += ["[:, 0]", "[0, -1]", "[1:, :]", "[:, ::-1]", ".T"]
        form = self.rng.choice(forms)
        if form == ".T":
            self.features.add("transpose")
        if not inner.isidentifier() and not inner.startswith("("):
            inner = f"({inner})"
        return f"{inner}{form}"

    def build(self):
        locals_ = [n for n in ARRAY_LOCAL_NAMES if n not in self.params]
        self.rng.shuffle(locals_)
        for k in range(self.statements):
            name = locals_[k] if self.rng.random() < 0.8 else self.rng.choice(list(self.env))
            text, value = self.expr(self.rng.choice([1, 2, 2, 3]))
            self.body.append(f"{name} = {text}")
            self.env[name] = value
        refuse = self.rng.random() < self.refusals
        if refuse:
            name = self.rng.choice([n for n in self.env if np.ndim(self.env[n])] or list(self.env))
            if self.rng.random() < 0.5:
                self.body += ["if SCALE > 1:",
                              f"    {name} = {name} * 0.5 + np.sin({name})"]
            else:
                self.body += ["for k in range(2):", f"    {name} = {name} * 0.5 + np.sin({name})"]
            self.env[name] = self.evaluate(f"{name} * 0.5 + np.sin({name})")   # SCALE > 1
            if self.body[-2].startswith("for"):
                self.env[name] = self.evaluate(f"{name} * 0.5 + np.sin({name})")
            self.features.add("array in control flow")
        for _ in range(12):
            names = self.rng.sample(list(self.env), min(len(self.env), self.rng.choice([1, 2, 3])))
            text = " * ".join(names) if self.rng.random() < 0.6 else " + ".join(names)
            final = self.rng.choice(["np.sum({})", "np.sum({})", "np.mean({})", "({}).sum()"])
            text = final.format(text)
            if self.rng.random() < 0.3:
                extra, _ = self.expr(1)
                text = f"{text} + np.sum({extra})"
            try:
                value = self.evaluate(text)
            except Rejected:
                continue
            break
        else:
            text = "np.sum(" + self.params[0] + ")"
            value = self.evaluate(text)
        self.body.append(f"return {text}")
        tangent = tuple(round(self.rng.uniform(-1, 1), 3) for _ in self.params)
        return Program(self.index, self.name, self.params, self.body, self.point, tangent,
                       value, True, self.features, family="array", expect_refusal=refuse,
                       arrays=True)
