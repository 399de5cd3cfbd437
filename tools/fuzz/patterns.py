"""The pattern family: one construct that once broke s2sdiff per program (issue 13).

``PATTERNS`` lists each pattern with its share and builder; scalar patterns are built
here (reused loop variables, free scalars, ties, ints and bools, list aliases, helpers),
NumPy ones in ``array_patterns``.  ``generate_pattern`` draws one and retries a builder
that rejects its random draw, so a program ``k`` depends only on its random stream.
"""

import math

from .array_patterns import (TIE_GAP, ArrayDisplays, ArrayHelpers, ArrayIntsBools, ArrayTies,
                             FreeData, RepeatedIndices, ViewAliases)
from .control import ControlGenerator, generate_control
from .loops import ITEM_NAMES, REUSED_LOOP_NAMES
from .programs import VALUE_LIMIT, Program, Rejected, run_program
from .straight import Generator


PATTERN_ATTEMPTS = 30


class ScalarTies(Generator):
    """Straight-line scalar programs with ties by construction: ``max(u, u)``,
    ``max(x, x, y)``, ``min(u, u * 1.0)``."""

    def statement(self):
        if self.rng.random() < 0.5:
            for _ in range(10):
                try:
                    line, bindings = self._tie()
                except Rejected:
                    continue
                self._commit(line, bindings)
                return
        super().statement()

    def _tie(self):
        name = self.fresh_local() or self.variable()
        a = self.variable() if self.rng.random() < 0.5 else self._expression(self.rng.choice([1, 2]))
        b = self.sub(1)
        va, vb = self.evaluate(a), self.evaluate(b)
        if abs(va - vb) < TIE_GAP * (1 + abs(va)):
            raise Rejected
        which = self.rng.choice(["max", "min"])
        forms = [("tie of two", f"{which}({a}, {a})"), ("tie and another", f"{which}({a}, {a}, {b})"),
                 ("tie and another", f"{which}({b}, {a}, {a})"),
                 ("tie of equal expressions", f"{which}({a}, {a} * 1.0)"),
                 ("tie inside an expression", f"({b} + {which}({a}, {a}) * 0.5)")]
        feature, text = self.rng.choice(forms)
        self.features.add(feature)
        self.piecewise_used()
        return f"{name} = {text}", [(name, self.evaluate(text))]


class ScalarIntsBools(Generator):
    """Straight-line scalar programs with ints and bools mixed in: ``x * (x > 0.5)``,
    ``True * x``, an int accumulator ``k = 0`` then ``k += u``."""

    def statement(self):
        if self.rng.random() < 0.5:
            for _ in range(10):
                try:
                    lines = self._mixed()
                except Rejected:
                    continue
                for line, bindings in lines:
                    self._commit(line, bindings)
                return
        super().statement()

    def _mixed(self):
        name = self.fresh_local()
        if name is None:
            raise Rejected
        a, b = self._expression(1), self.sub(1)
        va = self.evaluate(a)
        kind = self.rng.choice(["mask", "mask", "bool", "accumulator", "int name", "len"])
        self.features.add({"mask": "bool mask", "bool": "bool literal", "accumulator":
                           "int accumulator", "int name": "int variable", "len": "len"}[kind])
        self.piecewise_used()
        if kind == "mask":
            c = self.rng.choice(["0.5", "0", "-1.0"])
            if abs(va - float(c)) < TIE_GAP:
                raise Rejected
            text = self.rng.choice([f"({b} + {a} * ({a} > {c}))", f"({b} + ({a} <= {c}) * 2.5)",
                                    f"({b} * ({a} > {c}) + {a})"])
            return [(f"{name} = {text}", [(name, self.evaluate(text))])]
        if kind == "bool":
            text = self.rng.choice([f"(True * {a})", f"({a} * False + {b})", f"({b} + True)"])
            return [(f"{name} = {text}", [(name, self.evaluate(text))])]
        if kind == "accumulator":
            op = self.rng.choice(["+=", "-="])
            value = self.evaluate(f"0 {op[0]} ({a})")
            return [(f"{name} = 0", [(name, 0)]), (f"{name} {op} {a}", [(name, value)])]
        if kind == "int name":
            k = self.rng.choice([2, 3, -1])
            text = f"{a} * {name}"
            target = self.fresh_local()
            if target is None:
                raise Rejected
            return [(f"{name} = {k}", [(name, k)]),
                    (f"{target} = {text}", [(target, self.evaluate(f"({a}) * {k}"))])]
        text = f"{a} * len([{a}, {b}])"
        return [(f"{name} = {text}", [(name, self.evaluate(text))])]


class FreeScalars(ControlGenerator):
    """Control programs that read floats and lists kept in module globals or a closure."""

    def __init__(self, rng, index, name, size, placement):
        super().__init__(rng, index, name, size)
        prefix = f"FZ{index}_" if placement == "global" else ""
        self.free = {f"{prefix}{'K' if prefix else 'k0'}": round(rng.uniform(-2, 2), 3),
                     f"{prefix}{'COEF' if prefix else 'coef'}":
                         [round(rng.uniform(-2, 2), 3) for _ in range(rng.choice([2, 3]))]}
        lines = [f"{n} = {v!r}" for n, v in self.free.items()]
        if placement == "closure":
            self.closure_lines = lines
        else:
            self.prelude = ["\n".join(lines)]
        self.namespace.update(self.free)
        self.used_free = False

    def leaf(self):
        if self.rng.random() < 0.15:
            name = self.rng.choice(list(self.free))
            value = self.free[name]
            self.used_free = True
            if isinstance(value, list):
                self.features.add("free list read")
                return f"{name}[{self.rng.randrange(-len(value), len(value))}]"
            self.features.add("free float")
            return name
        return super().leaf()

    def _c_for_list(self, indent):
        if self.rng.random() < 0.5:
            item = self.fresh_from(ITEM_NAMES)
            name = [n for n, v in self.free.items() if isinstance(v, list)][0]
            self.used_free = True
            self.features.add("for over a free list")
            pre = self._accumulator(indent)
            return self._loop_body(indent, f"for {item} in {name}:", pre, [(item, "float")])
        return super()._c_for_list(indent)

    def build_control(self):
        program = super().build_control()
        if not self.used_free:
            raise Rejected
        program.lists = True        # forward mode is not asked about lists
        return program


def _scalar_program(program, pattern, **extra):
    program.family, program.pattern, program.piecewise = "patterns", pattern, True
    for key, value in extra.items():
        setattr(program, key, value)
    return program


def _p_loop_variables(rng, index, size, pattern):
    def make():
        g = ControlGenerator(rng, index, f"fz{index}", size)
        g.reuse = True
        g.taken |= set(REUSED_LOOP_NAMES)       # not for while counters or list indices
        g.max_level, g.max_loops = 2, rng.choice([3, 4])
        g.top = rng.choice([2, 3, 4])
        return g
    return _scalar_program(generate_control(rng, index, size, make), pattern)


def _p_free_scalars(rng, index, size, pattern):
    placement = "global" if pattern.endswith("globals") else "closure"
    program = generate_control(rng, index, size,
                               lambda: FreeScalars(rng, index, f"fz{index}", size, placement))
    return _scalar_program(program, pattern)


def _p_scalar_helpers(rng, index, size, pattern):
    def make():
        g = ControlGenerator(rng, index, f"fz{index}", size)
        g.min_helpers = 1
        return g
    for _ in range(PATTERN_ATTEMPTS):
        program = generate_control(rng, index, size, make)
        if "call" in program.features:
            return _scalar_program(program, pattern)
    raise Rejected


def _p_straight(cls):
    def build(rng, index, size, pattern):
        g = cls(rng, index, f"fz{index}", rng.random() < 0.5, size)
        program = g.build()
        return _scalar_program(program, pattern)
    return build


ALIAS_MUTATIONS = ["{b}[0] = {e}", "{b}[1] += {e}", "{b}.append({e})", "{b}[-1] *= 0.5",
                   "{b}[0], {b}[1] = {b}[1], {b}[0]", "{b}.insert(0, {e})", "{b}.pop()",
                   "{b}.extend([{e}, {e}])"]


def _p_list_aliases(rng, index, size, pattern):
    """``b = a`` for a list, then ``b[0] = ...``/``b.append(...)``; a helper that writes
    into its list argument; copies (``list(a)``, ``a[:]``, ``a.copy()``) as controls."""
    for _ in range(PATTERN_ATTEMPTS):
        g = Generator(rng, index, f"fz{index}", True, size)
        e = lambda: g.sub(rng.choice([0, 1, 1, 2]))     # noqa: E731
        items = [e() for _ in range(rng.choice([2, 3]))]
        kind = rng.choice(["name", "name", "chain", "through the original", "helper", "copy"])
        lines, helpers, helper_read = [f"a = [{', '.join(items)}]"], [], ""
        if kind == "helper":
            helper = f"fz{index}_h0"
            write = rng.choice(["v[0] = v[0] * c", "v.append(c)", "v[-1] += c"])
            helpers.append(f"def {helper}(v, c):\n    {write}\n    return c")
            lines.append(f"t = {helper}(a, {e()})")
            feature = "list written by a helper"
            helper_read = " + t"
        else:
            if kind == "copy":
                lines.append(f"b = {rng.choice(['list(a)', 'a[:]', 'a.copy()'])}")
            elif kind == "chain":
                lines += ["c = a", "b = c"]
            else:
                lines.append("b = a")
            target = "a" if kind == "through the original" else "b"
            mutation = rng.choice(ALIAS_MUTATIONS)
            lines.append(mutation.format(b=target, e=e()))
            feature = f"list alias: {kind}" if kind != "copy" else "list copy (no alias)"
        reads = rng.choice(["a[0] + a[1] * 2.0", "a[-1] * a[0]"]) + helper_read
        if kind not in ("helper",) and rng.random() < 0.4:
            reads += " + b[0]"
        if rng.random() < 0.4:
            lines += ["s = 0.0", "for el in a:", f"    s = s + el * {rng.choice(['0.5', '1.5'])}"]
            reads += " + s"
        lines.append(f"return {reads}")
        program = Program(index, f"fz{index}", g.params, lines, g.point,
                          tuple(round(rng.uniform(-1, 1), 3) for _ in g.params), None, True,
                          {"list alias", feature}, helpers=helpers, lists=True)
        try:
            value = run_program(program, limited=True)
        except (Rejected, ArithmeticError, ValueError, TypeError, IndexError, NameError,
                RecursionError):
            continue
        if type(value) is float and math.isfinite(value) and abs(value) < VALUE_LIMIT:
            program.value = run_program(program)
            return _scalar_program(program, pattern, expect_refusal=True)
    raise Rejected


def _p_arrays(cls, *args):
    def build(rng, index, size, pattern):
        return cls(rng, index, f"fz{index}", size, *args).build_pattern(pattern)
    return build


PATTERNS = [    # name, share, builder(rng, index, size, name) -> Program
    ("loop variables reused", 3.0, _p_loop_variables),
    ("free data: globals", 1.5, _p_arrays(FreeData, "global")),
    ("free data: closure", 1.5, _p_arrays(FreeData, "closure")),
    ("free scalars: globals", 0.75, _p_free_scalars),
    ("free scalars: closure", 0.75, _p_free_scalars),
    ("np.array displays", 2.0, _p_arrays(ArrayDisplays)),
    ("repeated indices", 1.0, _p_arrays(RepeatedIndices)),
    ("ties: scalar", 1.5, _p_straight(ScalarTies)),
    ("ties: NumPy", 1.5, _p_arrays(ArrayTies)),
    ("aliases: lists", 1.5, _p_list_aliases),
    ("aliases: views", 2.0, _p_arrays(ViewAliases)),
    ("helpers: scalar", 1.0, _p_scalar_helpers),
    ("helpers: NumPy", 1.0, _p_arrays(ArrayHelpers)),
    ("ints and bools: scalar", 1.0, _p_straight(ScalarIntsBools)),
    ("ints and bools: NumPy", 1.5, _p_arrays(ArrayIntsBools)),
]


def generate_pattern(rng, index, size):
    name, _, build = rng.choices(PATTERNS, [share for _, share, _ in PATTERNS])[0]
    for _ in range(PATTERN_ATTEMPTS):
        try:
            return build(rng, index, size, name)
        except Rejected:
            continue
    raise AssertionError(f"no {name} program for index {index} in {PATTERN_ATTEMPTS} attempts")
