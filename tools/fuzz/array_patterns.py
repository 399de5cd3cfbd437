"""The NumPy programs of the pattern family (issue 13): free data in every operand
position, ``np.array`` displays, repeated indices, ties, helpers, ints and bools, and
views written in place.

Each generator extends ``ArrayGenerator``, so every form it inserts is evaluated at the
point (shapes fit, values finite); ``PatternArrays.finish`` makes every name a pattern
form assigned reach the output.
"""

import ast

import numpy as np

from .arrays import ARRAY_UNARY, SHAPE_SETS, ArrayGenerator
from .programs import RTOL, VALUE_LIMIT, Program, Rejected


TIE_GAP = 1e-6              # an inexact tie (a near tie) closer than this is not generated


def _parenthesized(text):
    return text if text.isidentifier() else f"({text})"


def _literal(value):
    """Source text of a free datum: a float, a list of floats, an ndarray."""
    if isinstance(value, np.ndarray):
        return f"np.array({value.tolist()!r})"
    return repr(value)


def _free_definitions(program, free, placement):
    """Put the free data ``free`` (name -> value) in module globals or in a closure."""
    lines = [f"{name} = {_literal(value)}" for name, value in free.items()]
    if placement == "closure":
        program.closure = lines
    else:
        program.prelude = ["\n".join(lines)]


class PatternArrays(ArrayGenerator):
    """An array program whose expressions, with probability ``share`` at each level, take
    one of the pattern's forms (``forms(depth)`` gives (feature, text) candidates; the
    first that evaluates at the point is kept)."""

    refusals = 0.0
    share = 0.4

    def __init__(self, rng, index, name, size):
        super().__init__(rng, index, name, size)
        self.used = False
        self.form_texts = []

    def _expr(self, depth):
        if depth > 0 and self.rng.random() < self.share:
            self.first = []
            candidates = self.forms(depth)
            self.rng.shuffle(candidates)
            for feature, text in self.first + candidates:
                try:
                    self.check_form(text)
                except Rejected:
                    continue
                self.features.add(feature)
                self.used = True
                self.form_texts.append(text)
                return text
        return super()._expr(depth)

    def check_form(self, text):
        self.evaluate(text)

    def operand(self, depth, ndim=0):
        """(text, value) of a subexpression with at least ``ndim`` dimensions."""
        for _ in range(6):
            text = self._expr(depth - 1) if depth > 1 else self.leaf()
            try:
                value = self.evaluate(text)
            except Rejected:
                continue
            if np.ndim(value) >= ndim:
                return text, value
        names = [n for n, v in self.env.items() if np.ndim(v) >= ndim]
        if not names:
            raise Rejected
        name = self.rng.choice(names)
        return name, self.env[name]

    def scalar(self):
        """An active scalar expression: a float parameter, an entry, a sum..."""
        options = []
        for name, value in self.env.items():
            if np.ndim(value) == 0:
                options += [name, name]
            elif np.ndim(value) == 1:
                options += [f"{name}[0]", f"{name}[-1]", f"np.sum({name})"]
            else:
                options += [f"{name}[0, -1]", f"{name}[-1, 0]"]
        base = self.rng.choice(options)
        r = self.rng.random()
        if r < 0.25:
            return f"({base} * {self.rng.choice(['2.0', '0.5', '-1.5'])})"
        if r < 0.45:
            return self.rng.choice(ARRAY_UNARY).format(base)
        return base

    def finish(self, pattern, **extra):
        """The program, its return extended so that every name a pattern form assigned
        reaches the output."""
        program = self.build()
        if not self.used:
            raise Rejected
        returned = program.body[-1][len("return "):]
        targets = [line.split(" = ")[0] for line in program.body[:-1]
                   if " = " in line and any(t in line for t in self.form_texts)]
        missing = [t for t in dict.fromkeys(targets)
                   if not any(n.id == t for n in ast.walk(ast.parse(returned))
                              if isinstance(n, ast.Name))]
        if missing:
            returned += "".join(f" + np.sum({t})" for t in missing)
            program.value = self.evaluate(returned)
            program.body[-1] = f"return {returned}"
        program.family, program.pattern = "patterns", pattern
        for key, value in extra.items():
            setattr(program, key, value)
        return program


DISPLAY_SHAPE_SETS = [[(), (3,)], [(), ()], [(2, 3), ()], [(3,), (3,)], [(), (2, 2)], [(4,)],
                      [(2, 3)], [(), (), (2,)]]


class FreeData(PatternArrays):
    """Arrays, lists and floats in module globals or a closure, in every operand position."""

    def __init__(self, rng, index, name, size, placement):
        super().__init__(rng, index, name, size)
        self.placement = placement
        shapes = [np.shape(v) for v in self.point if np.ndim(v)] or [(3,)]
        prefix = f"FZ{index}_" if placement == "global" else ""
        self.free, self.partners = {}, {}   # free matrix -> (side, params it multiplies)
        for k in range(rng.choice([1, 2, 2, 3])):
            shape = rng.choice(shapes)
            kind = rng.choice(["same", "same", "right", "left", "index", "list", "float"])
            if kind == "same":
                value = self._value(shape)
            elif kind == "right":
                value = self._value(rng.choice([(shape[-1],), (shape[-1], 2)]))
            elif kind == "left":
                value = self._value((2, shape[0]))
            elif kind == "index":
                first = rng.randrange(shape[0])
                value = np.array([first, rng.randrange(shape[0]), first])
            elif kind == "list":
                value = [round(rng.uniform(-2, 2), 3) for _ in range(shape[-1])]
            else:
                value = round(rng.uniform(-2, 2), 3)
            name = f"{prefix}{['C', 'K', 'Q'][k]}" if kind != "index" else f"{prefix}IDX{k}"
            self.free[name] = value
            if kind in ("right", "left"):
                self.partners[name] = (kind, [p for p, v in self.env.items()
                                              if np.shape(v) == shape])
        self.namespace.update(self.free)

    def leaf(self):
        if self.rng.random() < 0.15:
            name = self.rng.choice(list(self.free))
            if not isinstance(self.free[name], np.ndarray) or self.free[name].dtype.kind == "f":
                self.used = True
                return name
        return super().leaf()

    def forms(self, depth):
        e, value = self.operand(depth)
        pe = _parenthesized(e)
        result = []
        for f, (side, partners) in self.partners.items():
            if partners and self.rng.random() < 0.6:      # a product that fits, first
                p = self.rng.choice(ARRAY_UNARY + ["{}"] * 4).format(self.rng.choice(partners))
                if side == "right":
                    first = [("free @ right", f"({p} @ {f})"), ("np.dot free", f"np.dot({p}, {f})"),
                             ("free .dot", f"{_parenthesized(p)}.dot({f})")]
                else:
                    first = [("free @ left", f"({f} @ {p})"), ("np.dot free", f"np.dot({f}, {p})"),
                             ("free .dot", f"{f}.dot({p})"), ("free .T", f"({p}.T @ {f}.T)")]
                self.rng.shuffle(first)
                self.first = first
        for f, v in self.free.items():
            if isinstance(v, np.ndarray) and v.dtype.kind in "iu":
                if np.ndim(value):
                    result += [("free index array", f"{pe}[{f}]")]
                continue
            if not isinstance(v, np.ndarray):
                result += [(f"free {type(v).__name__} operand", text) for text in
                           (f"({f} * {e})", f"({e} - {f})", f"({e} + {f})")]
                continue
            result += [("free @ left", f"({f} @ {e})"), ("free @ right", f"({e} @ {f})"),
                       ("free * or +", f"({f} * {e})"), ("free * or +", f"({e} + {f})"),
                       ("free * or +", f"({f} - {e})"), ("np.dot free", f"np.dot({f}, {e})"),
                       ("np.dot free", f"np.dot({e}, {f})"), ("free .dot", f"{f}.dot({e})"),
                       ("free .dot", f"{pe}.dot({f})"), ("free .T", f"({e} @ {f}.T)"),
                       ("free .T", f"({f}.T @ {e})"), ("free .T", f"({f}.T * {e})"),
                       ("concatenate free", f"np.concatenate(({f}, {e}, {f}))"),
                       ("concatenate free", f"np.concatenate([{e}, {f}])"),
                       ("free indexed", f"({f}[0] * {e})"), ("free indexed", f"({e} + {f}[-1])"),
                       ("free indexed", f"({e} * {f}[1:])"),
                       ("free * or +", f"({e} / (1.5 + {f} ** 2))")]
        return result

    def build_pattern(self, pattern):
        program = self.finish(pattern)
        _free_definitions(program, self.free, self.placement)
        return program


class ArrayDisplays(PatternArrays):
    """``np.array`` displays of active values, flat and nested, and lists of active values
    passed to NumPy functions."""

    shape_sets = DISPLAY_SHAPE_SETS

    def forms(self, depth):
        s = [self.scalar() for _ in range(6)]
        c = self.rng.choice(["2.0", "-0.5", "SCALE"])
        return [("flat np.array display", f"np.array([{s[0]}, {s[1]}, {s[2]}])"),
                ("flat np.array display", f"np.array([{s[0]}, {c}, {s[1]}])"),
                ("repeated entries in a display", f"np.array([{s[0]}, {s[0]}])"),
                ("nested np.array display", f"np.array([[{s[0]}, {s[1]}, {s[2]}], "
                                            f"[{s[3]}, {s[4]}, {s[5]}]])"),
                ("nested np.array display", f"np.array([[{s[0]}, {c}], [{s[1]}, {s[0]}]])"),
                ("np.array of a tuple", f"np.array(({s[0]}, {s[1]}))"),
                ("list passed to NumPy", f"np.sum([{s[0]}, {s[1]}])"),
                ("list passed to NumPy", f"np.mean([{s[0]}, {s[1]}, {s[2]}])"),
                ("list passed to NumPy", f"np.prod([{s[0]}, {s[1]}])"),
                ("list passed to NumPy", f"np.sum(np.array([{s[0]}, {s[1]}]) * {s[2]})")]

    def build_pattern(self, pattern):
        return self.finish(pattern)


class RepeatedIndices(PatternArrays):
    """Fancy indexing with repeated positions, ``x[[0, 0, 2]]``."""

    def forms(self, depth):
        e, value = self.operand(depth, ndim=1)
        pe = _parenthesized(e)
        shape = np.shape(value)
        a, b = (self.rng.randrange(-shape[0], shape[0]) for _ in range(2))
        result = [("repeated index list", f"{pe}[[{a}, {a}, {b}]]"),
                  ("repeated index array", f"{pe}[np.array([{b}, {a}, {b}])]"),
                  ("repeated index list", f"{pe}[[{a}, {a}]]")]
        if len(shape) == 2:
            c, d = (self.rng.randrange(-shape[1], shape[1]) for _ in range(2))
            result += [("repeated rows", f"{pe}[[{a}, {a}], :]"),
                       ("repeated columns", f"{pe}[:, [{c}, {c}, {d}]]"),
                       ("repeated index pairs", f"{pe}[[{a}, {a}, {b}], [{c}, {c}, {d}]]")]
        return result

    def build_pattern(self, pattern):
        return self.finish(pattern)


def _tie_gap_ok(values):
    """Exact ties are fine; the top value and the next distinct one must be apart."""
    flat = sorted(set(np.ravel(np.real(values)).tolist()), reverse=True)
    if len(flat) < 2:
        return True
    low = sorted(flat)
    return all(abs(p - q) > TIE_GAP * (1 + abs(p)) for p, q in ((flat[0], flat[1]), (low[0], low[1])))


class ArrayTies(PatternArrays):
    """Ties by construction: ``np.maximum(a, a)``, ``np.max(x[0] + 0.0 * x)`` (every entry
    is the same function), ``np.max(np.array([u, u, v]))``, min likewise."""

    shape_sets = DISPLAY_SHAPE_SETS

    def check_form(self, text):
        self.evaluate(text)
        if text.startswith(("np.max(", "np.min(", "np.amax(", "np.amin(")):
            inner = text[text.index("(") + 1:-1]
            if not _tie_gap_ok(self.evaluate(inner)):
                raise Rejected

    def forms(self, depth):
        e, value = self.operand(depth)
        s, t = self.scalar(), self.scalar()
        result = [("np.maximum(a, a)", f"np.maximum({e}, {e})"),
                  ("np.maximum(a, a)", f"np.minimum({e}, {e} * 1.0)"),
                  ("reduction over identical entries", f"np.max(np.array([{s}, {s}, {t}]))"),
                  ("reduction over identical entries", f"np.min(np.array([{t}, {s}, {s}]))"),
                  ("reduction over identical entries", f"np.amax(np.array([{s}, {t}, {s}]))")]
        if np.ndim(value) >= 1:
            result += [("reduction over a constant-shaped array", f"np.max({s} + 0.0 * {e})"),
                       ("reduction over a constant-shaped array", f"np.min({e} * 0.0 + {s})"),
                       ("reduction over a constant-shaped array", f"np.max({e} * 0.0 + 1.5)")]
        if np.ndim(value) == 1:
            result += [("reduction of a doubled array", f"np.max(np.concatenate(({e}, {e})))"),
                       ("reduction of a doubled array", f"np.amin(np.concatenate(({e}, {e})))")]
        return result

    def build_pattern(self, pattern):
        return self.finish(pattern)


class ArrayHelpers(PatternArrays):
    """User functions called from NumPy code (refused today: counted, not failed)."""

    def __init__(self, rng, index, name, size):
        super().__init__(rng, index, name, size)
        self.helper_sources, self.helpers = [], []
        for k in range(rng.choice([1, 1, 2])):
            helper = f"{name}_h{k}"
            unary = rng.choice(ARRAY_UNARY)
            if rng.random() < 0.5:
                source = f"def {helper}(a):\n    return {unary.format('a')} * 2.0 + a"
                arity = 1
            else:
                source = (f"def {helper}(a, b=0.5):\n    t = a * b\n"
                          f"    return {unary.format('t')} + a")
                arity = 2
            exec(source, self.namespace)
            self.helper_sources.append(source)
            self.helpers.append((helper, arity))

    def forms(self, depth):
        e, _ = self.operand(depth)
        s = self.scalar()
        result = []
        for helper, arity in self.helpers:
            result.append(("NumPy helper call", f"{helper}({e})"))
            if arity == 2:
                result += [("NumPy helper call", f"{helper}({e}, {s})"),
                           ("NumPy helper call", f"{helper}({e}, b={s})")]
        return result

    def build_pattern(self, pattern):
        return self.finish(pattern, helpers=self.helper_sources, expect_refusal=True)


class ArrayIntsBools(PatternArrays):
    """Ints and bools mixed into float code; sometimes a float32 parameter (its gradient
    must stay float32)."""

    def __init__(self, rng, index, name, size):
        super().__init__(rng, index, name, size)
        arrays = [i for i, v in enumerate(self.point) if np.ndim(v)]
        self.float32 = bool(arrays) and rng.random() < 0.3
        if self.float32:
            k = rng.choice(arrays)
            self.point = tuple(v.astype(np.float32) if i == k else v
                               for i, v in enumerate(self.point))
            self.env = dict(zip(self.params, self.point))
            self.features.add("float32 input")

    def check_form(self, text):
        self.evaluate(text)
        if text in self.masks:              # the mask must not switch nearby
            inner, threshold = self.masks[text]
            if np.min(np.abs(np.real(self.evaluate(inner)) - threshold)) < TIE_GAP:
                raise Rejected

    def forms(self, depth):
        e, value = self.operand(depth)
        pe = _parenthesized(e)
        self.masks = {f"({e} * ({e} > 0.5))": (e, 0.5), f"(({e} <= -0.5) * {e})": (e, -0.5),
                      f"(np.sum({e} > 0.5) * {e})": (e, 0.5)}
        result = [("bool mask", f"({e} * ({e} > 0.5))"),
                  ("bool mask", f"(({e} <= -0.5) * {e})"),
                  ("bool literal", f"(True * {e})"), ("bool literal", f"({e} * False + {e})"),
                  ("int literal", f"({e} * 2 + 1)"),
                  ("int count", f"(np.sum({e} > 0.5) * {e})")]
        if np.ndim(value) >= 1:
            n = np.shape(value)[-1]
            result += [("int array", f"({e} * np.arange({n}))"),
                       ("int array", f"({e} + np.ones({np.shape(value)}, dtype=int))"),
                       ("shape or size", f"(np.sum({e}) * {pe}.shape[0])"),
                       ("shape or size", f"({e} * len({pe}))"),
                       ("shape or size", f"({e} * {pe}.size)"),
                       ("bool array", f"({e} * (np.arange({n}) % 2 == 0))")]
        return result

    def build_pattern(self, pattern):
        return self.finish(pattern, rtol=1e-4 if self.float32 else RTOL)


class ViewAliases(ArrayGenerator):
    """A view of a fresh array (a slice, ``.ravel()``, ``.reshape``, ``.T``, the name
    itself) written in place, then the array read; copies as controls."""

    shape_sets = [s for s in SHAPE_SETS if any(len(x) for x in s)]

    def build_pattern(self, pattern):
        rng = self.rng
        text, value = self.expr(rng.choice([1, 1, 2]))
        if np.ndim(value) == 0:
            name = rng.choice([n for n, v in self.env.items() if np.ndim(v)])
            text, value = f"np.sin({name})", self.evaluate(f"np.sin({name})")
        base = rng.choice(["y", "H", "Z"])
        fresh = rng.choice([f"{_parenthesized(text)} * 1.0", f"{_parenthesized(text)} + 0.0",
                            f"np.tanh({text})"])
        shape = np.shape(value)
        n = int(np.prod(shape))
        views = [("slice view", f"{base}[1:]"), ("slice view", f"{base}[::2]"),
                 ("slice view", f"{base}[0:2]"), ("ravel view", f"{base}.ravel()"),
                 ("reshape view", f"{base}.reshape(-1)"), ("reshape view", f"{base}.reshape(1, {n})"),
                 ("name alias", base), ("full slice view", f"{base}[:]"),
                 ("copy (no alias)", f"{base}.copy()"), ("copy (no alias)", f"{base}.flatten()"),
                 ("copy (no alias)", f"np.array({base})"), ("copy (no alias)", f"{base}[[0, 0]]")]
        if len(shape) == 2:
            views += [("row view", f"{base}[0]"), ("column view", f"{base}[:, 0]"),
                      ("transpose view", f"{base}.T"), ("reshape view", f"{base}.reshape({shape[1]}, {shape[0]})")]
        view_feature, view = rng.choice(views)
        s = ArrayDisplays.scalar(self)
        writes = [("*= on a view", "v *= 3.0"), ("*= on a view", f"v *= {s}"),
                  ("+= on a view", f"v += {s}"), ("-= on a view", "v -= np.sin(v)"),
                  ("item set on a view", f"v[0] = {s}"), ("item set on a view", "v[-1] += 2.5"),
                  ("slice set on a view", "v[:] = np.tanh(v)"), ("/= on a view", "v /= 2.0")]
        write_feature, write = rng.choice(writes)
        lines = [f"{base} = {fresh}", f"v = {view}", write]
        if rng.random() < 0.3:
            lines.append(rng.choice([f"{base} *= 0.5", f"{base}[0] = {s} * 2.0"]))
            write_feature += ", then the base"
        final = rng.choice([f"np.sum({base} * {base})", f"np.sum(np.sin({base})) + np.sum(v * v)",
                            f"np.sum({base}) * 2.0 + np.sum(v)"])
        env = {k: (np.array(v) if isinstance(v, np.ndarray) else v) for k, v in self.env.items()}
        with np.errstate(all="raise"):
            try:
                for line in lines:
                    exec(line, self.namespace, env)
                result = eval(final, self.namespace, env)
            except (ArithmeticError, ValueError, TypeError, IndexError, AttributeError):
                raise Rejected from None
        if not np.isfinite(result) or abs(result) > VALUE_LIMIT:
            raise Rejected
        self.features |= {"view alias", view_feature, write_feature}
        tangent = tuple(round(rng.uniform(-1, 1), 3) for _ in self.params)
        return Program(self.index, self.name, self.params, lines + [f"return {final}"],
                       self.point, tangent, result, True, self.features, family="patterns",
                       pattern=pattern, arrays=True, expect_refusal=True)
