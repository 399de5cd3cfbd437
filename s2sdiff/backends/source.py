"""Rewriting generated source for a backend: the checks taken out, kept lines and
comments rendered as they were, compiled in the generated function's namespace."""

import ast
import inspect
import linecache
import re

from .. import defaults, syntax
from ..build import unparse
from ..errors import UnsupportedError



def _new(node):
    """Mark ``node`` as written by the backend (rendered by ``ast.unparse``)."""
    node.s2sdiff_new = True
    return node


def _user_line(origin, pattern):
    """(file, line, text) of the first line of ``origin``'s source matching ``pattern``."""
    try:
        lines, first = inspect.getsourcelines(origin)
        filename = inspect.getsourcefile(origin)
    except (OSError, TypeError):
        return None, None, None
    for offset, line in enumerate(lines[1:], 1):
        if re.search(pattern, line):
            return filename, first + offset, line.rstrip()
    return None, None, None


def _tagged(node):
    """Mark ``node`` as rewritten from the generated statement on its line (whose tag,
    ``# (3)``, it keeps)."""
    node.s2sdiff_tagged = True
    return _new(node)


def _unwrap_checks(func, backend, origin, original):
    """Take the body out of the generated ``try: ... except TypeError: check(...)``
    wrapper and drop ``if not (type(x) is float): check(...)`` guards and the
    ``scalar_output(y)`` check; return the checker call (an ``ast.Call``) or None.  An
    IEEE retry handler (``except (ArithmeticError, ValueError)``) goes too: the compiled
    code computes in IEEE arithmetic, so the partials that would raise in Python give inf
    or NaN.  Code that calls other user functions (its entry checks they were not
    rebound) is refused: their generated code is Python."""
    body = func.body = [s for s in map(defaults.without_tests, func.body) if s is not None]
    name = getattr(origin, "__name__", "the function")
    for stmt in body:
        if isinstance(stmt, ast.If) and len(stmt.body) == 1 and isinstance(stmt.body[0], ast.Return) \
                and isinstance(stmt.test, ast.Compare) and isinstance(stmt.test.ops[0], ast.IsNot):
            helper = ast.unparse(stmt.test.left)
            filename, lineno, text = _user_line(origin, rf"\b{re.escape(helper)}\s*\(")
            raise UnsupportedError(
                f"backend={backend!r} cannot compile {name}: it calls the Python function "
                f"`{helper}`, whose generated derivative is Python code",
                construct=f"call of a user function under backend={backend!r}",
                filename=filename, lineno=lineno, source_line=text,
                hint=f"Write `{helper}`'s body inline, or use the default backend='python'.")
    checker = None
    if len(body) == 1 and isinstance(body[0], ast.Try) and not body[0].finalbody:
        handlers = body[0].handlers
        for handler in handlers:
            caught = handler.type.elts if isinstance(handler.type, ast.Tuple) else [handler.type]
            if any(isinstance(c, ast.Name) and c.id == "TypeError" for c in caught) \
                    and isinstance(handler.body[0], ast.Expr):
                checker = handler.body[0].value
        body = body[0].body
    checker_name = getattr(getattr(checker, "func", None), "id", None)

    def is_guard(stmt):
        return (isinstance(stmt, ast.If) and len(stmt.body) == 1 and not stmt.orelse
                and isinstance(stmt.body[0], ast.Expr) and isinstance(stmt.body[0].value, ast.Call)
                and getattr(stmt.body[0].value.func, "id", None) == checker_name)

    def is_output_check(stmt):
        if isinstance(stmt, ast.If) and len(stmt.body) == 1 and not stmt.orelse:
            call = getattr(stmt.body[0], "value", None)
            if isinstance(call, ast.Call) and getattr(call.func, "id", "").startswith(
                    "numbers_only"):
                return True         # left out, as from ejected modules: it calls s2sdiff
        return (isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Call)
                and getattr(stmt.value.func, "id", "").startswith(("scalar_output",
                                                                   "distinct_arguments")))
    func.body = [s for s in body if not is_guard(s) and not is_output_check(s)]
    return checker


def _render(func, original, header):
    """The source of ``func``: statements kept from ``original`` (its lines) keep their
    text and comments, the backend's own are unparsed."""
    lines = original.splitlines()
    out = [f"def {func.name}({ast.unparse(func.args)}):"]
    out += ["    " + h for h in header]
    emitted = set()

    def comments_before(stmt, indent):
        line = stmt.lineno - 2
        found = []
        while line >= 0 and lines[line].strip().startswith("#") and line not in emitted:
            found.append(lines[line].strip())
            emitted.add(line)
            line -= 1
        return [indent + c for c in reversed(found)
                if "rejects a non-real" not in c and not c.startswith("# generated by")
                and not c.startswith("# gradient of")]

    def original_text(stmt):
        if getattr(stmt, "s2sdiff_new", False) or not hasattr(stmt, "lineno") \
                or stmt.lineno > len(lines):
            return None
        return lines[stmt.lineno - 1].strip()

    def block(stmts, indent):
        for stmt in stmts:
            text = original_text(stmt)
            if text is not None or getattr(stmt, "s2sdiff_tagged", False):
                out.extend(comments_before(stmt, indent))
            if isinstance(stmt, (ast.For, ast.While, ast.If)):
                if text is None or not text.endswith(":") and "#" not in text:
                    head = unparse(stmt).splitlines()[0]
                else:
                    head = text
                if isinstance(stmt, ast.If) and head.startswith("elif "):
                    head = head[2:]
                out.append(indent + head)
                block(stmt.body, indent + "    ")
                if stmt.orelse:
                    if len(stmt.orelse) == 1 and isinstance(stmt.orelse[0], ast.If) and \
                            (original_text(stmt.orelse[0]) or "").startswith("elif "):
                        out.append(indent + "el" + original_text(stmt.orelse[0])[2:])
                        block(stmt.orelse[0].body, indent + "    ")
                        if stmt.orelse[0].orelse:
                            out.append(indent + "else:")
                            block(stmt.orelse[0].orelse, indent + "    ")
                    else:
                        out.append(indent + "else:")
                        block(stmt.orelse, indent + "    ")
            elif text is not None and stmt.end_lineno == stmt.lineno:
                out.append(indent + text)
            else:
                text = unparse(stmt).splitlines()
                tag = re.search(r"#\s*\(\d+\)\s*$", lines[stmt.lineno - 1]) \
                    if getattr(stmt, "s2sdiff_tagged", False) else None
                if tag and len(text) == 1:
                    text[0] += "  " + tag.group(0)
                out.extend(indent + line for line in text)
    block(func.body, "    ")
    return "\n".join(out) + "\n"


def _header(original):
    """The leading comment lines of the generated function (what it computes, from where)."""
    lines = original.splitlines()[1:]
    found = []
    for line in lines:
        if not line.strip().startswith("#"):
            break
        found.append(line.strip())
    return found


def _namespace(generated):
    """The names the generated function reads: its globals and the injected cells."""
    namespace = dict(generated.__globals__)
    code = generated.__code__
    for name, cell in zip(code.co_freevars, generated.__closure__ or ()):
        try:
            namespace[name] = cell.cell_contents
        except ValueError:
            pass
    return namespace


def _exec(source, name, namespace, label):
    """Compile ``source`` (registered in ``linecache``) in ``namespace``; its function."""
    filename = f"<s2sdiff {label} {name}>"
    linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
    exec(syntax.compile(source, filename, "exec"), namespace)
    return namespace[name], filename


def _line_of(message, source):
    """(line number, text) of the generated line a compiler's message names."""
    plain = re.sub(r"\x1b\[[0-9;]*m", "", message)
    found = re.findall(r"line (\d+)", plain)
    lines = source.splitlines()
    for number in reversed(found):
        if 0 < int(number) <= len(lines):
            return int(number), lines[int(number) - 1]
    return None, None


def _refusal(backend, name, message, source, filename, hint):
    lineno, text = _line_of(message, source)
    plain = re.sub(r"\x1b\[[0-9;]*m", "", message).strip()
    first = next((line.strip() for line in plain.splitlines()
                  if line.strip() and not line.startswith("Failed in")), plain[:200])
    return UnsupportedError(f"backend={backend!r} cannot compile {name}: {first}",
                            filename=filename if lineno else None, lineno=lineno,
                            source_line=text, construct=f"code {backend} cannot compile",
                            hint=hint)


def _describe(result, generated, source):
    result.source = source
    for attribute in ("__s2sdiff_origin__", "__s2sdiff_outputs__", "__s2sdiff_custom__"):
        if hasattr(generated, attribute):
            setattr(result, attribute, getattr(generated, attribute))
    result.python = generated
    return result
