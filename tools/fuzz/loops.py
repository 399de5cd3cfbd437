"""The loop statements of the control family: ``for`` over ranges, displays, lists,
``enumerate``, ``zip`` and indices, and ``while`` with a counter.

``LoopStatements`` is a mixin of ``control.ControlGenerator``: its ``_c_<kind>`` methods
are statement kinds that ``cstatement`` draws; each returns ``(lines, falls_through)``, and
a name bound only inside a loop (its variable, a name assigned in its body) is out of
scope after the loop, as a loop may run no trip.
"""

INT_NAMES = ["i", "j", "n", "ii", "jj", "kk", "it", "cnt", "step"]
ITEM_NAMES = ["e", "el", "item", "xi", "wi", "ai", "bi", "ci"]
REUSED_LOOP_NAMES = ["i", "i", "j"]     # i twice: more reuse


class LoopStatements:
    """Loop statements of ``ControlGenerator`` (a mixin: it uses the generator's
    scope, names and blocks)."""

    def _loop_body(self, indent, header, pre=(), bound=()):
        """Lines of a loop with ``header``; ``bound`` are the (name, kind) it binds."""
        before = self.scope()
        self.loops += 1
        self.level += 1
        self.loop_level += 1
        for name, kind in bound:
            if kind == "int":
                self.ints.append(name)
            else:
                self.bind(name)
        body, _ = self.block(self.rng.choice(self.size["body"]), indent + 1)
        self.loop_level -= 1
        self.level -= 1
        self.restore(before)
        return list(pre) + [self._line(indent, header)] + body, True

    def _accumulator(self, indent):
        """Sometimes an accumulator initialised before the loop."""
        if self.rng.random() < 0.5:
            return []
        name = self.fresh_local()
        if name is None:
            return []
        self.bind(name)
        self.features.add("accumulator")
        return [self._line(indent, f"{name} = {self.rng.choice(['0.0', '1.0', '0'])}")]

    def loop_var(self):
        """The variable of a for loop: a fresh int name, or in reuse mode one of
        REUSED_LOOP_NAMES, reused by sibling loops, nested loops and loops in branches."""
        if not self.reuse:
            return self.fresh_from(INT_NAMES)
        name = self.rng.choice(REUSED_LOOP_NAMES)
        if name in self.ints:
            self.features.add("reused by a nested loop")
        elif name in self.loop_vars:
            self.features.add("reused by a sibling loop")
        if self.branches:
            self.features.add("loop in a branch")
        self.loop_vars.add(name)
        return name

    def _c_for_range(self, indent):
        var = self.loop_var()
        r = self.rng.random()
        outer = [i for i in self.ints]
        if r < 0.3:
            args = f"{self.rng.randrange(0, 5)}"
        elif r < 0.55:
            a = self.rng.randrange(0, 4)
            args = f"{a}, {a + self.rng.randrange(-1, 4)}"
        elif r < 0.75:
            a, step = self.rng.randrange(0, 6), self.rng.choice([1, 2, -1, -2])
            args = f"{a}, {a + step * self.rng.randrange(0, 4)}, {step}"
        elif r < 0.88 and outer:
            args = f"{self.rng.choice(outer)} + {self.rng.randrange(0, 2)}"
            self.features.add("dependent range")
        else:
            args = f"{self.rng.randrange(0, 4)}"
        iterator = f"range({args})"
        if self.rng.random() < 0.1:
            iterator = f"reversed({iterator})"
            self.features.add("reversed")
        self.features.add("for range")
        if self.loop_level:
            self.features.add("nested loop")
        pre = self._accumulator(indent)
        lines = self._loop_body(indent, f"for {var} in {iterator}:", pre, [(var, "int")])
        if self.reuse and self.rng.random() < 0.25:
            self.ints.append(var)       # read after the loop (unbound after 0 trips: redrawn)
            self.features.add("loop variable read after the loop")
        return lines

    def _c_for_list(self, indent):
        item = self.fresh_from(ITEM_NAMES)
        r = self.rng.random()
        if r < 0.2 and self.lists:
            name = self.rng.choice(list(self.lists))
            iterable = name
            self.read(name)
            self.features.add("for over a list variable")
        elif r < 0.5:
            iterable = f"({', '.join(self._display())},)"
            self.features.add("for over a tuple")
        else:
            iterable = f"[{', '.join(self._display())}]"
            self.features.add("for over a list display")
        if self.loop_level:
            self.features.add("nested loop")
        pre = self._accumulator(indent)
        hidden = self.lists.pop(iterable, None)     # no append to the list being iterated
        lines = self._loop_body(indent, f"for {item} in {iterable}:", pre, [(item, "float")])
        if hidden is not None:
            self.lists[iterable] = hidden
        return lines

    def _c_for_enumerate(self, indent):
        var, item = self.loop_var(), self.fresh_from(ITEM_NAMES)
        start = ""          # enumerate(..., start=k) is refused (see the report of issue 7)
        self.features.add("enumerate")
        pre = self._accumulator(indent)
        return self._loop_body(indent, f"for {var}, {item} in enumerate([{', '.join(self._display())}]{start}):",
                               pre, [(var, "int"), (item, "float")])

    def _c_for_zip(self, indent):
        a, b = self.fresh_from(ITEM_NAMES), self.fresh_from(ITEM_NAMES)
        first = self._display(self.rng.choice([2, 3]))
        second = self._display(self.rng.choice([2, 3]))
        self.features.add("zip")
        pre = self._accumulator(indent)
        return self._loop_body(indent, f"for {a}, {b} in zip([{', '.join(first)}], ({', '.join(second)},)):",
                               pre, [(a, "float"), (b, "float")])

    def _c_while(self, indent):
        counter = self.fresh_from(INT_NAMES)
        bound = self.rng.randrange(1, 6)
        cond = f"{counter} < {bound}"
        if self.rng.random() < 0.7:
            cond += f" and {self.comparison()}"
            self.features.add("active while")
        self.features.add("while")
        pre = [self._line(indent, f"{counter} = 0")] + self._accumulator(indent)
        before = self.scope()
        self.ints.append(counter)
        lines, falls = self._loop_body(indent, f"while {cond}:", pre)
        # the counter goes first in the body, so that continue cannot skip it
        lines.insert(len(pre) + 1, self._line(indent + 1, f"{counter} += 1"))
        self.restore(before)
        self.ints.append(counter)
        return lines, falls

    def _c_for_indices(self, indent):
        name = self.rng.choice(list(self.lists))
        var = self.fresh_from(INT_NAMES)
        self.index_vars.add((name, var))
        self.features.add("for over indices")
        return self._loop_body(indent, f"for {var} in range(len({name})):", (), [(var, "int")])
