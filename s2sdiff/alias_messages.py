"""The messages of ``aliases.check``: a write, the alias that would miss it, and what to
write instead, at the user's line (``Messages``, a base of its analysis)."""

import ast
import re

from .errors import SourceError, UnsupportedError
from .listing import program_of
from .ir import walk_steps
from .rules import Syntax


NESTED_HINT = ("A list of lists is differentiated when it is built whole and then only read: "
               "`m = [[f(i, j) for j in range(n)] for i in range(n)]`, or `m.append(row)` of "
               "each new row, then `m[i][j]`; do not replace or write rows afterwards "
               "(`m[i] = [...]`, `m[i][j] = ...`): build each row first, or use a NumPy "
               "array (`m = np.zeros((n, n))`, `m[i, j] = ...`).")


class Messages:
    """What ``aliases._Analysis`` reports; it provides ``program``, ``locals``, ``pts``
    and ``summary`` (a summary of a helper reports nothing)."""

    def user(self, name):
        """The user's spelling of an SSA name (``a_2`` is ``a``; ``smooth_y``, the local
        ``y`` of the inlined helper ``smooth``, is ``y``)."""
        if name in self.program.params:
            return name
        base = name if name in self.locals else re.sub(r"_\d+$", "", name)
        if base in self.locals:
            field = re.fullmatch(r"`(\w+\.\w+)`", self.program.parsed.returns.get(base, ""))
            return self.inlined_local(base) or (field[1] if field else base)   # s.q for s_q
        for step in walk_steps(self.program.body):   # a temporary: what it holds (`B[1]`)
            if step.target == name and step.store is None:
                return re.sub(r"\b[A-Za-z_]\w*\b", lambda m: self.inlined_local(m[0]) or m[0],
                              self.program.spelled(step.value))
        return name

    def inlined_local(self, name):
        """``y`` for ``smooth_y``, the local ``y`` of the inlined helper ``smooth``, else None."""
        found = self._inlined(name)
        return found and found[1]

    def helper_of(self, name):
        """`` in `smooth``` when ``name`` (or the version it is of) is a local of the inlined
        helper ``smooth``, else ``""``."""
        found = self._inlined(name) or self._inlined(re.sub(r"_\d+$", "", name))
        return f" in `{found[2]}`" if found else ""

    def _inlined(self, name):
        """The match of ``(local, helper)`` for an inlined helper's renamed local, read in
        the user's program (also for code generated from it: a Hessian reads the jvp the
        helper was inlined in)."""
        parsed = self.program.parsed
        if getattr(parsed.func, "__s2sdiff_origin__", None) is not None:
            try:
                parsed = program_of(parsed.func).parsed
            except (KeyError, TypeError, AttributeError, SourceError):
                return None
        return re.fullmatch(r"`(\w+)` in `([\w.]+)`", parsed.returns.get(name, ""))

    def _describe_write(self, step):
        if step.augmented:
            op = _OPS.get(type(step.value.op), "op") if isinstance(step.value, ast.BinOp) else ""
            name = step.args[0].id
            return f"`{self.user(name)} {op}= ...`{self.helper_of(name)}"
        if getattr(step.rule, "key", None) == Syntax("append"):
            return f"`{self.user(step.target)}.append(...)`{self.helper_of(step.target)}"
        return f"`{self.user(step.target)}[...] = ...`{self.helper_of(step.target)}"

    def refuse_alias(self, step, what, name, reader, item, later=False):
        shown = self.user(reader)
        line = getattr(item, "lineno", None)
        where = f" (read on line {line})" if line else " (returned)"
        if self.summary:
            return
        written_line = self.program.parsed.source_line(step.lineno) or ""
        if getattr(step.rule, "key", None) == Syntax("append") \
                and re.search(r"\[.*\bfor\b.*\]", written_line) \
                and not re.search(rf"\b{re.escape(self.user(name))}\b", written_line):
            raise self.error(          # the list a comprehension builds: no name of the user's
                step, f"the list of lists built on line {step.lineno} has rows replaced or "
                f"written in place while `{shown}` also refers to them{where}; s2sdiff follows each name "
                f"separately, so `{shown}` would not see the write", NESTED_HINT,
                construct="write into a row of a list of lists")
        lists = any(o.kind == "list" or o.kind == "tuple" for o in self.pts.get(name, ()))
        if shown == self.user(name) and not lists:     # two versions of one variable
            raise self.error(
                step, f"{what} writes in place into an array that another version of "
                f"`{shown}` (from before the write, or from an earlier pass of a loop) "
                f"still refers to{where}; s2sdiff gives each version a name of its own, so "
                f"that version would not see the write", (
                    f"Assign a new array instead of writing into `{shown}`: "
                    f"`{shown} = np.where(np.arange({shown}.size) == 1, -{shown}, {shown})`, "
                    f"or build it from its entries (`{shown} = np.array([{shown}[0], "
                    f"-{shown}[1]])`)."),
                construct="write through an alias")
        if later and not lists:
            raise self.error(
                step, f"{what} writes in place into an array that `{shown}`, made after the "
                f"write, views{where}; the reverse sweep restores the written entries in "
                f"place, where values read from `{shown}` would change", (
                    f"Build `{self.user(name)}` without writing into it: "
                    f"`np.concatenate(([0.0], {self.user(name)}[1:]))` for a boundary value, "
                    f"`np.where(mask, value, {self.user(name)})` for a masked one; or carry "
                    f"the state in a variable of its own and accumulate what the output "
                    f"needs from it (`s = s + 0.1 * np.sin(s)`, `total = total + "
                    f"np.sum(s ** 2)`), not reading rows back from `{self.user(name)}` "
                    f"(`.copy()` of a row still reads it)."),
                construct="write under a later view")
        hint = (f"Give `{self.user(name)}` storage of its own before writing into it: copy "
                f"it first (`v = y[0:2].copy()`, `z = y.copy()`, `np.array(y)`); a list: "
                f"build a new one from its elements.") if not lists else (
                f"Build a new list instead of sharing one: `{self.user(name)} = "
                f"[{shown}[0], {shown}[1], ...]`, or write through `{shown}` itself.")
        raise self.error(
            step, f"{what} writes in place into storage that `{shown}` also refers to "
            f"(an alias, a view, or a list holding it){where}; s2sdiff follows each name "
            f"separately, so `{shown}` would not see the write",
            hint, construct="write through an alias")

    def refuse_list_arithmetic(self, step, operand):
        raise self.error(step, f"`{self.program.spelled(step.value)}` joins or repeats the list "
                         f"`{self.user(operand.id)}`", "Append the elements one by one "
                         "(`v.append(e)`), or build the new list as a display `[a, b, c]`.",
                         construct="list arithmetic")

    def error(self, step, what, hint, construct="write in place"):
        if self.summary:
            raise UnsupportedError(what)
        parsed = self.program.parsed
        return parsed.error(ast.Pass(lineno=step.lineno),
                            f"s2sdiff cannot differentiate {self.program.name}: {what}",
                            construct=construct, hint=hint)

_OPS = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/", ast.Pow: "**",
        ast.FloorDiv: "//", ast.Mod: "%", ast.MatMult: "@", ast.BitAnd: "&", ast.BitOr: "|",
        ast.BitXor: "^", ast.LShift: "<<", ast.RShift: ">>"}


def copy_hint(o):
    return "np.copy(...)" if "array" in o.label else "list(...)"
