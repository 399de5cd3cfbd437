"""Read a Python function into an AST and the namespace it runs in.

After this pass:

* ``Parsed.node`` is an ``ast.FunctionDef`` without decorators (nor, for a function
  s2sdiff generated, its argument-checking ``try``) whose line numbers are
  the line numbers of the file the function lives in (lambdas become a one-statement
  ``def`` named after the lambda's binding, or ``lambda``);
* ``Parsed.lookup(name)`` resolves a free name the way the function itself would at
  call time: closure cells first, then module globals, then builtins;
* any failure to read the source raises ``SourceError`` naming the function.

>>> def f(x):
...     return x * 2
>>> parsed = parse(f)
>>> parsed.node.name, [a.arg for a in parsed.node.args.args]
('f', ['x'])
"""

import ast
import builtins
import inspect
import linecache
import textwrap
import types
from dataclasses import dataclass, field

from .custom import rule_of
from .errors import SourceError, UnsupportedError

_MISSING = object()


@dataclass
class Parsed:
    func: types.FunctionType
    node: ast.FunctionDef
    filename: str
    closure: dict = field(default_factory=dict)   # free name -> cell

    @property
    def globals(self):
        return self.func.__globals__

    def lookup(self, name, default=_MISSING):
        """The value a free ``name`` has for the function right now."""
        if name in self.closure:
            try:
                return self.closure[name].cell_contents
            except ValueError:      # empty cell: the enclosing variable is unset
                pass
        elif name in self.func.__globals__:
            return self.func.__globals__[name]
        elif hasattr(builtins, name):
            return getattr(builtins, name)
        if default is _MISSING:
            raise NameError(name)
        return default

    def source_line(self, lineno):
        return linecache.getline(self.filename, lineno).rstrip("\n")

    def error(self, node, message, construct, hint=None, cls=UnsupportedError):
        """An error pointing at ``node`` in the user's file."""
        lineno = getattr(node, "lineno", self.node.lineno)
        return cls(message, filename=self.filename, lineno=lineno,
                   source_line=self.source_line(lineno), construct=construct, hint=hint)


def parse(func):
    """Parse ``func`` (a plain Python function or lambda) into a ``Parsed``."""
    if not isinstance(func, types.FunctionType):
        kind = type(func).__name__
        hint = "Wrap it in a Python function written with supported operations."
        if rule_of(func) is not None:
            name = func.__name__
            hint = (f"Differentiate a function that calls it, such as `def f(x): return "
                    f"{name}(x)`: the generated code of grad(f) calls {name}'s rule.")
        raise SourceError(
            f"s2sdiff can only differentiate Python functions, got {kind} {func!r}",
            construct=kind, hint=hint)
    code = func.__code__
    filename = code.co_filename
    try:
        lines, first = inspect.findsource(code)
    except (OSError, TypeError) as exc:
        raise SourceError(
            f"cannot read the source of {func.__qualname__}: {exc}",
            filename=filename, lineno=code.co_firstlineno, construct="source",
            hint="Define the function in a file (or a Jupyter cell) so its source "
                 "can be read; functions typed at the interactive prompt, builtins and "
                 "functions built with exec() have no readable source.") from None
    block = inspect.getblock(lines[code.co_firstlineno - 1:])
    text = textwrap.dedent("".join(block))
    tree = _parse_block(text, func, filename, code.co_firstlineno)
    ast.increment_lineno(tree, code.co_firstlineno - 1)
    node = _find_function(tree, func, filename)
    closure = dict(zip(code.co_freevars, func.__closure__ or ()))
    return Parsed(func=func, node=node, filename=filename, closure=closure)


def _parse_block(text, func, filename, lineno):
    try:
        return ast.parse(text)
    except SyntaxError:
        pass
    # A lambda inside a larger expression: its block is a fragment; parse its line.
    if func.__name__ == "<lambda>":
        for end in range(1, text.count("\n") + 2):
            fragment = "\n".join(text.splitlines()[:end]).strip()
            for candidate in (fragment, fragment.rstrip(",)]} "), "(" + fragment + ")"):
                try:
                    return ast.parse(candidate)
                except SyntaxError:
                    continue
    raise SourceError(f"cannot parse the source of {func.__qualname__}",
                      filename=filename, lineno=lineno, construct="source",
                      hint="Define the function with def in a file.")


def _find_function(tree, func, filename):
    code = func.__code__
    params = list(code.co_varnames[:code.co_argcount + code.co_kwonlyargcount])
    if func.__name__ == "<lambda>":
        lambdas = [n for n in ast.walk(tree) if isinstance(n, ast.Lambda)
                   and [a.arg for a in n.args.posonlyargs + n.args.args + n.args.kwonlyargs]
                   == params]
        if len(lambdas) != 1:
            raise SourceError(
                "cannot tell which lambda on this line to differentiate",
                filename=filename, lineno=code.co_firstlineno, construct="lambda",
                hint="Write the function with def, or put each lambda on its own line.")
        lam = lambdas[0]
        node = ast.FunctionDef(name="lambda_", args=lam.args,
                               body=[ast.Return(lam.body, lineno=lam.lineno,
                                                col_offset=lam.col_offset)],
                               decorator_list=[], returns=None, type_comment=None,
                               lineno=lam.lineno, col_offset=lam.col_offset)
        return ast.fix_missing_locations(node)
    for node in ast.walk(tree):
        if isinstance(node, ast.AsyncFunctionDef) and node.name == func.__name__:
            raise UnsupportedError(
                f"s2sdiff cannot differentiate {func.__qualname__}: it is an async function",
                filename=filename, lineno=node.lineno, construct="async def",
                source_line=linecache.getline(filename, node.lineno).rstrip("\n"),
                hint="Differentiate a plain def function: await the values outside it "
                     "and pass them in.")
        if isinstance(node, ast.FunctionDef) and node.name == func.__name__:
            node.decorator_list = []
            if hasattr(func, "__s2sdiff_origin__"):
                _unwrap_generated(node)
            return node
    hint = "Define the function with def in a file."
    if hasattr(func, "__wrapped__"):        # functools.wraps: the code is the wrapper's
        hint = (f"{func.__qualname__} is wrapped by a decorator whose code is `{code.co_name}`; "
                f"differentiate the undecorated function ({func.__name__}.__wrapped__) "
                f"or apply the decorator to the gradient.")
    raise SourceError(f"cannot find the definition of {func.__qualname__} in its source",
                      filename=filename, lineno=code.co_firstlineno, construct="source",
                      hint=hint)


def _unwrap_generated(node):
    """Differentiating generated code again (Hessians): drop the argument checks that
    ``emit`` adds (the ``try``/``except TypeError``, the retry in IEEE arithmetic, and any
    explicit type test)."""
    body = node.body
    if len(body) == 1 and isinstance(body[0], ast.Try) and len(body[0].handlers) in (1, 2):
        node.body = [stmt for stmt in body[0].body if not _is_argument_check(stmt)]


def _is_argument_check(stmt):
    """``if not (type(x) is float): check_arguments(...)``, which emit writes."""
    return (isinstance(stmt, ast.If) and not stmt.orelse and len(stmt.body) == 1
            and isinstance(stmt.body[0], ast.Expr) and isinstance(stmt.body[0].value, ast.Call)
            and isinstance(stmt.body[0].value.func, ast.Name)
            and stmt.body[0].value.func.id.startswith("check_arguments"))
