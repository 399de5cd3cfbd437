"""The control family: the straight family's expressions inside branches, loops,
helper calls and local lists (``ControlGenerator``).

Values are not tracked while generating: ``generate_control`` runs the finished program
at its point under a tracer that rejects runaway values and regenerates it (from the same
random stream, so still deterministic) when it raises or runs away; a returned program
always evaluates to a float below ``VALUE_LIMIT``.
"""

import ast
import math

from .loops import LoopStatements
from .programs import VALUE_LIMIT, Program, Rejected, run_program
from .straight import LOCAL_NAMES, Generator


LIST_NAMES = ["vs", "buf", "acc", "ys", "ws", "lst", "arr", "cs"]
HELPER_PARAMS = ["a", "b", "c", "p", "q", "u"]
CONTROL_ATTEMPTS = 30       # regenerations of a control program whose values run away


class _Block(Exception):
    """No statement of the requested kind fits here."""


class ControlGenerator(LoopStatements, Generator):
    """Builds one random program with branches, loops, calls and lists.

    Expressions come from the straight-line templates; ``order`` holds the float names
    that are definitely assigned at the current line (a name assigned in one branch only,
    or in a loop body, leaves scope after the statement), ``ints`` the int names (loop
    counters) and ``lists`` the local lists with a lower bound of their length.  Values are
    not tracked while generating: the finished program is run at the point, and one whose
    values leave (-VALUE_LIMIT, VALUE_LIMIT) or that raises is generated again.
    """

    def __init__(self, rng, index, name, size="full", params=None, helper=False):
        super().__init__(rng, index, name, smooth=rng.random() < 0.7, size=size)
        if params is not None:
            self.params = list(params)
            self.order = list(params)
            self.unread = set(params)
            self.point = ()
        self.helper = helper
        self.ints = []
        self.lists = {}
        self.loops = 0              # loops made so far
        self.loop_level = 0         # loops around the current line
        self.level = 0              # compound statements around the current line
        self.helper_calls = []      # (name, positional, defaults, keyword-only)
        self.helper_sources = []
        self.uses_lists = not helper and rng.random() < 0.35
        self.max_level = rng.choice(self.size["levels"])
        self.max_loops = rng.choice([1, 2, 2, 3])
        self.taken = set(self.params) | {name}
        self.size_name = size
        self.index_vars = set()     # (list, int name) of the loops over range(len(list))
        self.made_list = False
        # hooks of the pattern family (off: the random stream is the control family's)
        self.reuse = False          # for-loop variables drawn from REUSED_LOOP_NAMES
        self.loop_vars = set()      # for-loop variables used so far
        self.branches = 0           # if statements around the current line
        self.min_helpers = 0
        self.top = None             # statements at the top level (None: drawn)
        self.prelude, self.closure_lines = [], []

    # names ----------------------------------------------------------------------

    def fresh_from(self, names):
        free = [n for n in names if n not in self.taken]
        if not free:
            raise _Block
        name = self.rng.choice(free)
        self.taken.add(name)
        return name

    def fresh_local(self):
        free = [n for n in LOCAL_NAMES if n not in self.taken]
        if not free:
            return None
        name = self.rng.choice(free)
        self.taken.add(name)
        return name

    def float_locals(self):
        return [n for n in self.order if n not in self.params]

    def leaf(self):
        r = self.rng.random()
        if r < 0.08 and self.ints:
            self.features.add("int operand")
            return self.rng.choice(self.ints)
        if r < 0.2 and self.lists:
            return self.list_read()
        return super().leaf()

    def list_read(self):
        name = self.rng.choice(list(self.lists))
        index = self.list_index(name)
        self.features.add("list read")
        return f"{name}[{index}]"

    def list_index(self, name):
        n = self.lists[name]
        loops = [i for i in self.ints if (name, i) in self.index_vars]
        if loops and self.rng.random() < 0.6:
            return self.rng.choice(loops)
        return str(self.rng.randrange(-n, n))

    # reading and writing --------------------------------------------------------

    def expr(self, depth=None):
        text = self.sub(self._depth() if depth is None else depth)
        self.read(text)
        return text

    def read(self, text):
        for node in ast.walk(ast.parse(text.strip())):
            if isinstance(node, ast.Name):
                self.unread.discard(node.id)

    def bind(self, name):
        if name in self.order:
            self.order.remove(name)
        self.order.append(name)
        self.unread.add(name)

    def scope(self):
        return (list(self.order), list(self.ints), dict(self.lists))

    def restore(self, saved):
        self.order, self.ints, self.lists = list(saved[0]), list(saved[1]), dict(saved[2])

    # conditions -----------------------------------------------------------------

    def condition(self, nested=0):
        r = self.rng.random()
        if nested < 2 and r < 0.22:
            op = self.rng.choice(["and", "or"])
            self.features.add(op)
            left, right = self.condition(nested + 1), self.condition(nested + 1)
            return f"({left} {op} {right})"
        if nested < 2 and r < 0.3:
            self.features.add("not")
            return f"not {self.comparison()}"
        return self.comparison()

    def comparison(self):
        op = self.rng.choice(["<", ">", "<=", ">="])
        r = self.rng.random()
        if r < 0.15 and self.ints:
            i = self.rng.choice(self.ints)
            self.features.add("int condition")
            return self.rng.choice([f"{i} {op} {self.rng.randrange(0, 4)}", f"{i} % 2 == 0",
                                    f"{i} != 1"])
        if r < 0.22:
            self.features.add("constant condition")
            return self.rng.choice(["SCALE > 1", "OFFSET < 0", "SCALE < OFFSET", "2 > 3",
                                    "math.pi > 3"])
        self.features.add("active condition")
        left = self.expr(self.rng.choice([0, 0, 1, 1, 2]))
        if self.rng.random() < 0.5:
            right = self.rng.choice(["0", "0.5", "1.0", "-0.5", "2.0", "-1", "SCALE"])
        else:
            right = self.expr(self.rng.choice([0, 0, 1]))
        if right == left:
            right = "0.25"
        if self.rng.random() < 0.06:
            self.features.add("chained comparison")
            return f"-2.0 < {left} {op.replace('>', '<')} {right}"
        return f"{left} {op} {right}"

    # statements -----------------------------------------------------------------

    def block(self, count, indent):
        """``count`` statements at ``indent``; returns (lines, falls_through)."""
        lines = []
        for _ in range(count):
            made, falls = self.cstatement(indent)
            lines += made
            if not falls:
                return lines, False
        return lines, True

    def cstatement(self, indent):
        kinds = {"simple": 12, "ifexp": 1.5}
        if self.level < self.max_level:
            kinds.update({"if": 4, "one_sided": 0.6})
            if self.loops < self.max_loops:
                kinds.update({"for_range": 3, "for_list": 1.2, "for_enumerate": 0.8,
                              "for_zip": 0.8, "while": 1.5})
        if self.loop_level:
            kinds.update({"break": 1.5, "continue": 1.2})
        kinds["return"] = 0.8
        if self.uses_lists:
            kinds.update({"list_new": 2 if not self.lists else 0.5})
            if self.lists:
                kinds.update({"list_set": 3, "list_aug": 3, "list_append": 2.5})
                if self.level < self.max_level and self.loops < self.max_loops:
                    kinds["for_indices"] = 1.5
        if self.helper_calls:
            kinds["call"] = 3
        if self.reuse:
            for kind, factor in (("for_range", 3.0), ("for_enumerate", 1.5), ("if", 2.0)):
                if kind in kinds:
                    kinds[kind] *= factor
            if self.level == 0:         # loops and branches at the top, in sequence
                kinds["simple"] = 3
        names = list(kinds)
        for _ in range(10):
            kind = self.rng.choices(names, [kinds[k] for k in names])[0]
            saved = self.scope()
            try:
                lines, falls = getattr(self, "_c_" + kind)(indent)
            except _Block:
                self.restore(saved)
                continue
            return lines, falls
        return self._c_simple(indent)

    def _line(self, indent, text):
        return "    " * indent + text

    def _assignment(self):
        """(target, text) of one assignment, loop-safe when inside a loop."""
        r = self.rng.random()
        locals_ = self.float_locals()
        if self.loop_level and r < 0.5:
            # a loop-carried update that stays bounded over a few trips
            name = self.rng.choice(self.order)
            self.read(name)
            self.features.add("loop-carried")
            form = self.rng.choice([
                f"{name} = {name} * {self.rng.choice(['0.5', '0.9', '-0.7'])} + {self.bounded(1)}",
                f"{name} += {self.bounded(1)} * {self.rng.choice(['0.5', '2', 'SCALE'])}",
                f"{name} = {self.bounded(2)} + {name} / {self.positive(0)}",
                f"{name} -= {self.expr(1)} * 0.25",
            ])
            self.read(form.split("=", 1)[1])
            return form, name
        if r < 0.4 or not locals_:
            name = self.fresh_local()
            if name is None:
                name = self.rng.choice(self.order)
            return f"{name} = {self.expr()}", name
        if r < 0.6:
            name = self.rng.choice(self.params if not self.helper else self.order)
            self.features.add("reassign")
            text = self.expr()
            if name not in text and self.rng.random() < 0.7:
                text = f"({name} + {text})"
                self.read(name)
            return f"{name} = {text}", name
        if r < 0.8:
            name = self.rng.choice(self.order)
            op = self.rng.choice(["+=", "-=", "*=", "/="])
            text = self.positive(1) if op == "/=" else self.expr()
            self.read(name + " + " + text)
            self.features.add("augmented")
            return f"{name} {op} {text}", name
        name = self.rng.choice(locals_)
        self.features.add("reassign")
        return f"{name} = {self.expr()}", name

    def _c_simple(self, indent):
        line, name = self._assignment()
        self.bind(name)
        return [self._line(indent, line)], True

    def _c_ifexp(self, indent):
        name = self.fresh_local() or self.rng.choice(self.order)
        a, c, b = self.expr(), self.condition(), self.expr()
        self.features.add("conditional expression")
        self.bind(name)
        return [self._line(indent, f"{name} = {a} if {c} else {b}")], True

    def _c_if(self, indent):
        before = self.scope()
        self.level += 1
        self.branches += 1
        heads = [f"if {self.condition()}:"]
        for _ in range(self.rng.choice([0, 0, 0, 1, 1, 2])):
            heads.append(f"elif {self.condition()}:")
            self.features.add("elif")
        if self.rng.random() < 0.55:
            heads.append("else:")
            self.features.add("else")
        lines, through = [], []
        for head in heads:
            self.restore(before)
            body, falls = self.block(self.rng.choice(self.size["body"]), indent + 1)
            lines += [self._line(indent, head)] + body
            if falls:
                through.append(self.scope())
        self.level -= 1
        self.branches -= 1
        if heads[-1] != "else:":
            through.append(before)
        self.features.add("if")
        if not through:                 # every branch returns: drop the last jump
            raise _Block
        self.restore(before)
        common = set.intersection(*(set(s[0]) for s in through))
        for name in through[0][0]:
            if name in common and name not in before[0]:
                self.order.append(name)
        if len(through) < len(heads) + (heads[-1] != "else:"):
            self.features.add("branch jumps")
        return lines, True

    def _c_one_sided(self, indent):
        """A name assigned on one side only, and read only under the same condition."""
        cond = self.condition()
        name = self.fresh_local()
        if name is None:
            raise _Block
        inner = self.expr()
        target = self.rng.choice(self.order)
        later = self.expr(1)
        self.read(target)
        self.features.add("one-sided")
        # nothing between the two ifs assigns a name the condition reads
        lines = [self._line(indent, f"if {cond}:"),
                 self._line(indent + 1, f"{name} = {inner}"),
                 self._line(indent, f"if {cond}:"),
                 self._line(indent + 1, f"{target} = {target} + {name} * {later}")]
        self.bind(target)
        return lines, True

    def _display(self, n=None):
        n = n or self.rng.choice([1, 2, 3, 3, 4])
        return [self.expr(self.rng.choice([0, 0, 1, 1, 2])) for _ in range(n)]

    def _jump(self, indent, word):
        cond = self.condition()
        lines = [self._line(indent, f"if {cond}:")]
        if self.rng.random() < 0.3:
            line, name = self._assignment()
            lines.append(self._line(indent + 1, line))
        lines.append(self._line(indent + 1, word))
        self.features.add(word.split()[0] + (" in loop" if self.loop_level and word.startswith("return") else ""))
        return lines, True

    def _c_break(self, indent):
        return self._jump(indent, "break")

    def _c_continue(self, indent):
        return self._jump(indent, "continue")

    def _c_return(self, indent):
        if self.level == 0 and self.rng.random() < 0.5:
            raise _Block         # a return at the top level ends the program: rarely
        saved = self.scope()
        text = self.returned_text()
        self.restore(saved)
        return self._jump(indent, f"return {text}")

    def _c_list_new(self, indent):
        name = self.fresh_from(LIST_NAMES)
        items = self._display(self.rng.choice([1, 2, 3, 4]))
        self.lists[name] = len(items)
        self.made_list = True
        self.features.add("list display")
        return [self._line(indent, f"{name} = [{', '.join(items)}]")], True

    def _c_list_set(self, indent):
        name = self.rng.choice(list(self.lists))
        index = self.list_index(name)
        self.features.add("list set")
        return [self._line(indent, f"{name}[{index}] = {self.expr()}")], True

    def _c_list_aug(self, indent):
        name = self.rng.choice(list(self.lists))
        index = self.list_index(name)
        op = self.rng.choice(["+=", "+=", "-=", "*="])
        text = self.bounded(1) if op == "*=" else self.expr(1)
        self.features.add("list augmented")
        return [self._line(indent, f"{name}[{index}] {op} {text}")], True

    def _c_list_append(self, indent):
        name = self.rng.choice(list(self.lists))
        self.features.add("append")
        return [self._line(indent, f"{name}.append({self.expr()})")], True

    def _c_call(self, indent):
        name, positional, defaults, keyword = self.rng.choice(self.helper_calls)
        args = [self.expr(self.rng.choice([0, 1, 1, 2])) for _ in positional]
        texts = list(args)
        if self.rng.random() < 0.25 and len(positional) > 1:
            texts = [f"{p}={a}" for p, a in zip(positional, args)]
            self.rng.shuffle(texts)
            self.features.add("keyword arguments")
        for p, _ in defaults + keyword:
            if self.rng.random() < 0.4:
                texts.append(f"{p}={self.expr(self.rng.choice([0, 1]))}")
                self.features.add("keyword arguments")
        if name.endswith("_rec"):
            texts = [args[0], str(self.rng.randrange(0, 4))]
            self.features.add("recursion")
        target = self.fresh_local() or self.rng.choice(self.order)
        call = f"{name}({', '.join(texts)})"
        self.features.add("call")
        if self.rng.random() < 0.3:
            call = f"{self.expr(0)} * {call}"
        self.bind(target)
        return [self._line(indent, f"{target} = {call}")], True

    # helpers --------------------------------------------------------------------

    def make_helpers(self):
        count = max(self.min_helpers, self.rng.choices([0, 1, 2], [60, 28, 12])[0])
        for k in range(count):
            n = self.rng.choice([1, 2, 2, 3])
            positional = self.rng.sample(HELPER_PARAMS, n)
            rest = [p for p in HELPER_PARAMS if p not in positional]
            defaults, keyword = [], []
            if self.rng.random() < 0.4:
                defaults.append((rest.pop(), self.rng.choice(["0.5", "2.0", "-1.0"])))
            if self.rng.random() < 0.25:
                keyword.append((rest.pop(), self.rng.choice(["1.5", "0.25"])))
            name = f"{self.name}_h{k}"
            sub = ControlGenerator(self.rng, self.index, name, self.size_name, helper=True,
                                   params=positional + [p for p, _ in defaults + keyword])
            sub.max_level, sub.max_loops = 1, self.rng.choice([0, 1])
            body, falls = sub.block(self.rng.choice([1, 2, 3]), 1)
            text, _ = sub.returned_text(), None
            signature = positional + [f"{p}={v}" for p, v in defaults]
            if keyword:
                signature += ["*"] + [f"{p}={v}" for p, v in keyword]
            lines = [f"def {name}({', '.join(signature)}):"] + body
            if falls:
                lines.append(f"    return {text}")
            self.helper_sources.append("\n".join(lines))
            self.helper_calls.append((name, positional, defaults, keyword))
            self.features.add("helper")
            self.features |= {f for f in sub.features if f in ("if", "for range", "while")}
        if self.rng.random() < 0.12:
            name = f"{self.name}_rec"
            sub = ControlGenerator(self.rng, self.index, name, self.size_name, helper=True,
                                   params=["a"])
            base, step = sub.expr(1), sub.bounded(1)
            extra = sub.expr(1)
            lines = [f"def {name}(a, depth):", "    if depth <= 0:", f"        return {base}",
                     f"    return {name}({step}, depth - 1) * {self.rng.choice(['0.5', '-0.8', '1.0'])}"
                     f" + {extra}"]
            self.helper_sources.append("\n".join(lines))
            self.helper_calls.append((name, ["a", "depth"], [], []))

    # the program ----------------------------------------------------------------

    def returned_text(self):
        live = [n for n in self.order if n in self.unread]
        self.rng.shuffle(live)
        parts = live[:3] or [self.rng.choice(self.order)]
        if self.lists and self.rng.random() < 0.5:
            parts.append(self.list_read())
        text = parts[0]
        for part in parts[1:]:
            text = f"({text} {self.rng.choice(['+', '-', '*'])} {part})"
        if self.rng.random() < 0.3:
            text = f"({text} + {self.sub(1)})"
        elif self.rng.random() < 0.15:
            text = f"math.sin({text})"
        elif self.rng.random() < 0.1:
            text = f"({text} if {self.condition()} else {self.sub(1)})"
        self.read(text)
        return text

    def build_control(self):
        self.make_helpers()
        lines = []
        if self.uses_lists:         # a list from the start, so that the list statements fire
            lines, _ = self._c_list_new(0)
        more, falls = self.block(self.top or self.rng.choice(self.size["control"]), 0)
        lines += more
        if falls:
            lines.append(f"return {self.returned_text()}")
        self.features.add("control")
        if self.made_list:
            self.features.add("lists")
        tangent = tuple(round(self.rng.uniform(-1, 1), 3) for _ in self.params)
        program = Program(self.index, self.name, self.params, lines, self.point, tangent,
                          None, True, self.features, family="control",
                          helpers=self.helper_sources, prelude=list(self.prelude),
                          closure=list(self.closure_lines))
        program.lists = self.made_list
        return program


def generate_control(rng, index, size, make=None):
    """A control program; ``make()`` builds its generator (the pattern family's variants)."""
    for attempt in range(CONTROL_ATTEMPTS):
        g = make() if make else ControlGenerator(rng, index, f"fz{index}", size)
        try:
            program = g.build_control()
            value = run_program(program, limited=True)
        except (Rejected, ArithmeticError, ValueError, TypeError, RecursionError, IndexError,
                NameError):     # TypeError: a negative base ** 0.5 is complex
            continue
        if type(value) is float and math.isfinite(value) and abs(value) < VALUE_LIMIT:
            program.value = run_program(program)
            return program
    raise AssertionError(f"no control program for index {index} in {CONTROL_ATTEMPTS} attempts")
