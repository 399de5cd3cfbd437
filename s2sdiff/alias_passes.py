"""Lists rebuilt on each pass of a loop (``EachPass``, a base of ``aliases._Analysis``).

``v = [f(u) for u in v]`` in a loop becomes ``items = []``, appends into ``items``, and
``v = items``: the flow-insensitive analysis sees ``v`` and ``items`` share one list, but
each pass appends into a new list and ``v`` only ever holds a list whose appends are over.
``copied_each_pass`` finds the names of which that holds, for ``_check_write`` to leave
out (and a list of such rows: ``m = [[f(i, j) for j in ...] for i in ...]`` appends each
pass's new row once its appends are over, so ``m``, its rows ``m[i]`` and a loop over
them ``for r in m`` hold only finished rows).  The same holds of an array made anew each
pass, written into, then copied: ``u_new = u.copy()``, ``u_new[1:-1] = ...``, ``u =
u_new``, the explicit finite-difference step.  ``_bound_after``, ``_later_versions`` and
``sums`` are its other tests of what a write may reach.  The analysis provides ``order``, ``defined``, ``objects``, ``reach``,
``program``, ``carried`` and the IR classes.
"""

import ast

from .rules import Syntax

_NEW_ARRAYS = ("array", "zeros", "ones", "empty", "full", "zeros_like", "ones_like",
               "empty_like", "full_like")     # np.array copies, as np.copy and a.copy() do


class EachPass:
    def _bound_after(self, reader, after, lineage):
        """Whether every binding of ``reader`` comes after position ``after`` and reads a
        name of ``lineage`` (it is no parameter nor carried by a loop): ``z = y[1:3]`` after
        ``y[0] = 0.0`` sees the write
        forward, but the reverse sweep restores ``y[0]`` in place, under adjoints that may
        hold ``z``; refused all the same, with a message of its own."""
        positions = self.defined.get(reader)
        return bool(positions) and reader not in self.program.params \
            and reader not in self.carried and all(
                p > after and isinstance(self.order[p][0], self.Step) and any(
                    isinstance(a, ast.Name) and a.id in lineage for a in self.order[p][0].args)
                for p in positions)

    def _later_versions(self, lineage):
        """``lineage`` with the SSA names that later writes in place give the same variable
        (``y += a; y += b``: ``y_3`` from ``y_2``), which see every earlier write."""
        lineage = set(lineage)
        grown = True
        while grown:
            grown = False
            for later in self.program.steps:
                if (later.augmented or later.mutates) and later.target not in lineage \
                        and later.args and isinstance(later.args[0], ast.Name) \
                        and later.args[0].id in lineage:
                    lineage.add(later.target)
                    grown = True
        return lineage

    def sums(self, item):
        """Whether ``item`` only adds its operands (``t + 2.0``, ``t - u``, ``-t``) into a
        new value: no derivative reads them, so a view among them (``y[2:] += 2`` after
        ``y[:2] += 1``) is safe to restore under."""
        value = getattr(item, "value", None)
        return isinstance(item, self.Step) and not item.augmented and (
            isinstance(value, ast.BinOp) and isinstance(value.op, (ast.Add, ast.Sub))
            or isinstance(value, ast.UnaryOp) and isinstance(value.op, (ast.USub, ast.UAdd)))

    def copied_each_pass(self, step, index, lineage, written, arrays=False):
        """Names bound to the appended list only by copies made after this append (after the
        loop or branch holding it) in the block (loop body or branch arm) that binds the
        list to a new list display (``items = []``, its only binding) before the append:
        each pass appends into a new list, and a
        copy holds the list of a pass whose appends are over
        (``for _ in range(n): v = [f(u) for u in v]``), or copies of such names, or list
        displays of values that do not reach the written list.  An append into ``q`` bound
        once by ``q = items`` from such a list, ``items`` read nowhere after that, is one
        into ``items`` (``q = [e for e in q[1:]]``, then ``q.append(e)``).  With ``arrays``
        (a write into an array), a new array (``u.copy()``, ``np.zeros(n)``) stands for the
        new list display."""
        sites = self.defined.get(step.args[0].id, ())
        if len(sites) == 1 and isinstance(self.order[sites[0]][0], self.Step) \
                and self.order[sites[0]][0].value.__class__ is ast.Name:
            source = self.order[sites[0]][0].value.id       # q = items, then q.append(e)
            first = self.defined.get(source, ())
            if len(first) == 1 and first[0] < sites[0] \
                    and self._block(first[0]) == self._block(sites[0]) \
                    and all(first[0] <= p <= sites[0] for p, _ in self.reads.get(source, ())):
                sites, lineage = first, set(lineage) | {source}
        if len(sites) != 1 or not (isinstance(self.order[sites[0]][0], self.Step)
                                   and self._new(self.order[sites[0]][0].value, arrays)):
            return set()
        block = self._block(sites[0]) or (self.program.body, 0)   # or the function's body
        after = last = None          # the end of the block's item holding the append, its end
        position = block[1]
        for item in block[0]:
            end = position + _size([item]) - 1
            if position <= index <= end:
                after = end
            position = end + 1
        last = position - 1
        if after is None or index <= sites[0]:
            return set()
        copies = {n for n in self.defined if n not in lineage}
        changed = True
        while changed:                  # the largest such set: copies may go round a loop
            changed = False
            for name in sorted(copies):
                if not all(self._copy_safe(self.order[p][0], p, after, last, lineage, copies,
                                           written, arrays) for p in self.defined[name]):
                    copies.discard(name)
                    changed = True
        return copies

    @staticmethod
    def _new(value, arrays):
        """Whether ``value`` makes a new list (a display) or, with ``arrays``, a new array:
        ``a.copy()``, ``np.copy(a)``, ``np.array(a)``, ``np.zeros(...)`` and their kin."""
        if isinstance(value, ast.List):
            return True
        func = getattr(value, "func", None)
        return arrays and isinstance(func, ast.Attribute) and (func.attr == "copy" or (
            func.attr in _NEW_ARRAYS and isinstance(func.value, ast.Name)))

    def _copy_safe(self, item, position, after, last, lineage, copies, written, arrays=False):
        """Whether the binding ``item`` (at ``position``) keeps its name a safe copy: a copy
        of the list made between ``after`` (the end of the loop or branch holding the
        append, which may run it again) and ``last`` (the block's end), a copy of a safe
        copy, or a list display nothing written was put in."""
        if isinstance(item, self.Loop) and item.kind == "for":
            iterated = self._iterated(item.iterable)      # the rows of a safe copy
            return bool(iterated) and all(n in copies for n in iterated)
        if not isinstance(item, self.Step):
            return False
        value = item.value
        if value.__class__ is ast.Name:
            return value.id in copies or value.id in lineage and after < position <= last \
                or arrays and value.id not in lineage \
                and not self.reach(self.atom(value)) & written      # u = u0, a parameter
        if value.__class__ is ast.Subscript and value.value.__class__ is ast.Name \
                and value.value.id in copies:
            return True                 # a row of a safe copy: its appends are over
        held = self.objects.get(("step", item.target, item.lineno))   # what was put in it too
        if isinstance(value, ast.List) and all(
                not isinstance(e, ast.Name) or e.id in copies
                or e.id not in lineage and not self.reach(self.atom(e)) & written
                for e in value.elts):
            return self._rows_safe(item.target, after, last, lineage, copies, written)
        return self._new(value, arrays) and held is not None \
            and not self.reach({held}) & written

    def _rows_safe(self, name, after, last, lineage, copies, written):
        """Whether the list ``name``, bound to ``[]``, is only appended to or has entries
        replaced (``m[i] = row``), each time with a number, a name that does not reach the
        written storage, a safe copy, or a name of ``lineage`` after its appends are over
        (between ``after`` and ``last``): the rows of ``[[f(i, j) for j in ...] for i in
        ...]``, each row a new list of its own pass."""
        for position, (other, _, _) in enumerate(self.order):
            if not isinstance(other, self.Step) or not other.mutates \
                    or other.target != name:
                continue
            key = getattr(other.rule, "key", None)
            if key not in (Syntax("append"), Syntax("setitem")) or other.augmented:
                return False
            element = other.args[-1]
            if not isinstance(element, ast.Name):
                continue                                  # a number
            if not (element.id in copies
                    or element.id in lineage and after < position <= last
                    or element.id not in lineage
                    and not self.reach(self.atom(element)) & written):
                return False
        return True

    def _block(self, position):
        """(items, position of the first) of the block (a loop's body, a branch's arm) that
        holds the item at ``position`` itself; None when it is the function's body."""
        item = self.order[position][0]
        for first in range(position - 1, -1, -1):
            block = self.order[first][0]
            if not isinstance(block, (self.Loop, self.If)):
                continue
            start = first + 1
            for arm in [block.body] + ([block.orelse] if isinstance(block, self.If) else []):
                if any(i is item for i in arm):
                    return arm, start
                start += _size(arm)
        return None


def _size(items):
    """How many positions ``items`` and the items nested in them take in ``order``."""
    return sum(1 + _size(getattr(i, "body", [])) + _size(getattr(i, "orelse", []))
               for i in items)
