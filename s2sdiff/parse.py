"""Read a Python function into an AST and the namespace it runs in.

After this pass:

* ``Parsed.node`` is an ``ast.FunctionDef`` without decorators (nor, for a function
  s2sdiff generated, its argument-checking ``try``) whose line numbers are
  the line numbers of the file the function lives in (lambdas become a one-statement
  ``def`` named after the lambda's binding, or ``lambda``);
* ``Parsed.lookup(name)`` resolves a free name the way the function itself would at
  call time: closure cells first, then module globals, then builtins;
* any failure to read the source raises ``SourceError`` naming the function, and so
  does source that no longer matches the code that runs (the file was edited after the
  module was imported): the definition read from the file is compiled and compared with
  ``func.__code__`` (bytecode, constants, names; line numbers may differ).

>>> def f(x):
...     return x * 2
>>> parsed = parse(f)
>>> parsed.node.name, [a.arg for a in parsed.node.args.args]
('f', ['x'])
"""

import __future__
import ast
import builtins
import copy
import functools
import inspect
import linecache
import os
import re
import sys
import textwrap
import types
import weakref
from dataclasses import dataclass, field

from .custom import rule_of
from .errors import SourceError, UnsupportedError
from .listing import tagged_line
from .user_functions import is_helper, is_own_file
from . import methods, reductions
from . import syntax

_MISSING = object()


@dataclass
class Parsed:
    func: types.FunctionType
    node: ast.FunctionDef
    filename: str
    closure: dict = field(default_factory=dict)   # free name -> cell
    inlined: tuple = ()     # (spelling, function) of each helper inlined (normalize/helpers.py)
    opaque: dict = field(default_factory=dict)    # parameter called as an inlined helper -> node
    returns: dict = field(default_factory=dict)   # name of an inlined helper's result -> words
    baked: dict = field(default_factory=dict)     # free name -> the keys built in (tree_keys.py)
    written: dict = field(default_factory=dict)   # name a pass made -> what the user wrote
    walked: list = field(default=None, repr=False, compare=False)  # [node, nodes, by class, stored]

    def nodes(self):
        """``syntax.nodes_of(self.node)``, walked once for the scans that read the tree
        before normalization changes it (object parameters, trees, tree helpers, methods
        of objects, the passes of ``normalize``, the normalizer's own scans): a pass that
        changes ``node`` in place calls ``forget_nodes``; a new ``node``
        (``dataclasses.replace``) is walked again.  The list is shared: not to be changed."""
        if self.walked is None or self.walked[0] is not self.node:
            self.walked = [self.node, syntax.nodes_of(self.node), None, None]
        return self.walked[1]

    def of(self, *classes):
        """The nodes of ``nodes()`` whose class is one of ``classes`` (exactly, as the
        parser makes them: ``ast.For`` is not ``ast.AsyncFor``), in the order of
        ``nodes()``.  The nodes are sorted by class once per walk, so a scan for a kind
        of node the function lacks (``:=``, a loop's ``else``) costs next to nothing.
        The list may be shared: not to be changed."""
        nodes = self.nodes()
        by_class = self.walked[2]
        if by_class is None:
            by_class = self.walked[2] = syntax.by_class(nodes)
        present = [by_class[cls] for cls in classes if cls in by_class]
        if len(present) > 1:            # several classes: in the order of the walk
            return [n for n in nodes if n.__class__ in classes]
        return present[0] if present else []

    def stored(self):
        """The names that ``nodes()`` assigns or deletes (``ast.Name`` not in a load
        context), found once per walk.  The set is shared: not to be changed."""
        self.nodes()
        if self.walked[3] is None:
            self.walked[3] = {n.id for n in self.of(ast.Name) if not isinstance(n.ctx, ast.Load)}
        return self.walked[3]

    def forget_nodes(self):
        self.walked = None

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

    def _user_line(self, lineno):
        """For generated code differentiated again (a Hessian), ``(filename, name, line)``
        of the user's line that ``lineno`` comes from (``listing.tagged_line``), else None."""
        if getattr(self.func, "__s2sdiff_origin__", None) is None:
            return None
        return tagged_line(self.func, [self.source_line(lineno)])

    def error(self, node, message, construct, hint=None, cls=UnsupportedError):
        """An error pointing at ``node`` in the user's file, naming the user's function
        (not ``loss_leaves``, its tree parameters' leaves: ``tree_flatten``)."""
        lineno = getattr(node, "lineno", self.node.lineno)
        name = getattr(self.func, "__name__", None)
        if name and self.node.name == f"{name}_leaves":     # the user's name everywhere
            message = re.sub(rf"\b{re.escape(self.node.name)}\b", name, message)
            hint = hint and re.sub(rf"\b{re.escape(self.node.name)}\b", name, hint)
        generated = None if hasattr(node, "s2sdiff_at") else self._user_line(lineno)
        if generated is not None:                       # a derivative differentiated again
            filename, name, line = generated
            message = message.replace(f"differentiate {self.node.name}",
                                      f"differentiate the derivative of {name}", 1)
            return cls(message, filename=filename, lineno=line, construct=construct, hint=hint,
                       source_line=linecache.getline(filename, line).rstrip("\n"))
        inlined = getattr(node, "s2sdiff_at", None)      # a helper's line, inlined here
        if inlined is not None and inlined[2] is not None \
                and not is_own_file(inlined[0]):           # not numpy_definitions' lines
            filename, helper, line = inlined
            return cls(f"{message} (in `{helper}`, called at line {lineno} of "
                       f"{os.path.basename(self.filename)})", filename=filename, lineno=line,
                       source_line=linecache.getline(filename, line).rstrip("\n"),
                       construct=construct, hint=hint)
        return cls(message, filename=self.filename, lineno=lineno,
                   source_line=self.source_line(lineno), construct=construct, hint=hint)


def parse(func):
    """Parse ``func`` (a plain Python function or lambda) into a ``Parsed``.  Generated
    code is read as it is now: if a function it checks was rebound since it was made, its
    regenerated version is read (``current``), and the code made from it checks what it
    checked (``Parsed.inlined``), so a second derivative follows the helpers."""
    func = current(func)
    if not isinstance(func, types.FunctionType):
        kind = type(func).__name__
        hint = "Wrap it in a Python function written with supported operations."
        if rule_of(func) is not None:
            name = func.__name__
            hint = (f"Differentiate a function that calls it, such as `def f(x): return "
                    f"{name}(x)`: the generated code of grad(f) calls {name}'s rule.")
        elif is_helper(getattr(func, "__wrapped__", None)):
            hint = (f"It wraps your function {func.__wrapped__.__qualname__} (a decorator "
                    f"such as @functools.lru_cache): differentiate that function, "
                    f"`{func.__wrapped__.__name__}.__wrapped__`.")
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
    tree, block = None, None
    if func.__name__ != "<lambda>":
        block = _definition_lines(lines, code.co_firstlineno - 1)
    if block is not None:
        text = textwrap.dedent("".join(block))
        try:
            tree = syntax.parse("\n" * (code.co_firstlineno - 1) + text)
        except SyntaxError:
            tree = None            # a string or brackets reaching the margin: tokenize
    if tree is None:
        block = inspect.getblock(lines[code.co_firstlineno - 1:])
        text = textwrap.dedent("".join(block))
        tree = _parse_block(text, func, filename, code.co_firstlineno)
    node = _find_function(tree, func, filename)
    if not hasattr(func, "__s2sdiff_origin__") and _checked.get(func) != (code, text):
        _check_source_matches(node, tree, func, filename)    # generated code: its own linecache
        try:
            _checked[func] = (code, text)
        except TypeError:
            pass
    closure = dict(zip(code.co_freevars, func.__closure__ or ()))
    parsed = Parsed(func=func, node=node, filename=filename, closure=closure)
    parsed.inlined = tuple(getattr(func, "__s2sdiff_checks__", ()))
    return reductions.rewrite(parsed)       # functools.reduce(f, xs): the loop it runs


def current(func):
    """``func``, or for generated code a rebound function of which it checks, the code
    generated again for the function as it is now (its ``Renewal``)."""
    cls = methods.class_of(func)      # code specialised on a class stays specialised
    seen = set()
    while id(func) not in seen:       # each rebinding since adds one renewal to follow
        seen.add(id(func))
        checks = getattr(func, "__s2sdiff_checks__", ())
        renewal = getattr(func, "__s2sdiff_renewal__", None)
        if renewal is None or all(_holds(func, spelling, callee) for spelling, callee in checks):
            return func
        func = renewal.current() if cls is None else methods.specialised(
            renewal.current(), cls, methods.attributes_of(func))
    return func


def _holds(func, spelling, callee):
    """Whether ``spelling`` (a name or dotted name) still denotes ``callee`` for ``func``."""
    if not isinstance(spelling, (ast.Name, ast.Attribute)) or isinstance(
            getattr(spelling, "value", None), ast.Call):
        return methods.holds(func, spelling, callee)
    parts = []
    while isinstance(spelling, ast.Attribute):
        parts.append(spelling.attr)
        spelling = spelling.value
    code = func.__code__
    cells = dict(zip(code.co_freevars, func.__closure__ or ()))
    try:
        value = cells[spelling.id].cell_contents if spelling.id in cells \
            else func.__globals__[spelling.id]
        for attribute in reversed(parts):
            value = getattr(value, attribute)
    except (KeyError, ValueError, AttributeError):
        return False
    return value is callee


# function -> (code, source text) already found to match: each further wrt, and the
# pipeline's second parse, skip compiling the definition again
_checked = weakref.WeakKeyDictionary()


def _definition_lines(lines, first):
    """The lines of the definition whose first line (a decorator's or the ``def``) is
    ``lines[first]``: up to the first line after the ``def`` line that is not blank, not
    a comment and indented no deeper than it; or None.  A cut inside a string or brackets
    that reach the margin does not parse, and the caller tokenizes (``inspect.getblock``,
    several times slower on long functions)."""
    head = lines[first]
    indent = len(head) - len(head.lstrip())
    index = first
    while index < len(lines):          # past the decorators
        line = lines[index]
        stripped = line.lstrip()
        if stripped.startswith(("def ", "async def ")) and len(line) - len(stripped) == indent:
            break
        index += 1
    else:
        return None
    for end in range(index + 1, len(lines)):
        line = lines[end]
        stripped = line.lstrip()
        if stripped and not stripped.startswith("#") and len(line) - len(stripped) <= indent:
            return lines[first:end]
    return lines[first:]


def _parse_block(text, func, filename, lineno):
    """The tree of ``text``, its line numbers those of the file (``text`` starts at
    ``lineno``): parsed after ``lineno - 1`` empty lines, rather than shifted after."""
    try:
        return syntax.parse("\n" * (lineno - 1) + text)
    except SyntaxError:
        pass
    # A lambda inside a larger expression: its block is a fragment; parse its line.
    if func.__name__ == "<lambda>":
        for end in range(1, text.count("\n") + 2):
            fragment = "\n".join(text.splitlines()[:end]).strip()
            for candidate in (fragment, fragment.rstrip(",)]} "), "(" + fragment + ")"):
                try:
                    tree = syntax.parse(candidate)
                except SyntaxError:
                    continue
                return ast.increment_lineno(tree, lineno - 1)
        found = _lambdas_on(text.splitlines()[0] if text else "")
        if found:                  # `"sq": lambda x: x * x,` in a display over several lines
            return ast.increment_lineno(ast.Module([ast.Expr(n) for n in found], []),
                                        lineno - 1)
    raise SourceError(f"cannot parse the source of {func.__qualname__}",
                      filename=filename, lineno=lineno, construct="source",
                      hint="Define the function with def in a file.")


def _lambdas_on(line):
    """The lambdas written on ``line``, each parsed from its ``lambda`` keyword to the
    longest end that parses (the rest of the line is another expression's), by column."""
    found = {}
    start = line.find("lambda")
    while start >= 0:
        for end in range(len(line), start, -1):
            try:
                tree = syntax.parse(line[start:end])
            except SyntaxError:
                continue
            for node in ast.walk(tree):
                if isinstance(node, ast.Lambda):
                    found.setdefault(start + node.col_offset, node)
            break
        start = line.find("lambda", start + 1)
    return [found[column] for column in sorted(found)]


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
    """Differentiating generated code again (Hessians): drop the checks that ``emit``
    adds (the rebinding check, the ``try``/``except TypeError``, the retry in IEEE
    arithmetic, any explicit type test, the scalar output test); the code generated from
    it checks what it calls itself, and what this code checked (``parse``)."""
    body = node.body
    if body and _is_rebinding_check(body[0]):
        body = body[1:]
    if len(body) == 1 and isinstance(body[0], ast.Try) and len(body[0].handlers) in (1, 2):
        node.body = [stmt for stmt in body[0].body
                     if not _is_argument_check(stmt) and not _is_output_check(stmt)]
    for stmt in ast.walk(node):
        if _is_shape_guard(stmt):
            stmt.body = [_shape_refusal(stmt)]


def _is_shape_guard(stmt):
    """``if m.shape != (2,): return specialise_again([m.shape], x)`` (``data_shapes``):
    this code was generated for the data shapes of one call."""
    return (isinstance(stmt, ast.If) and not stmt.orelse and len(stmt.body) == 1
            and isinstance(stmt.body[0], ast.Return) and isinstance(stmt.body[0].value, ast.Call)
            and isinstance(stmt.body[0].value.func, ast.Name)
            and stmt.body[0].value.func.id.startswith("specialise_again"))


def _shape_refusal(guard):
    """In place of a data-shape guard's ``return`` in code differentiated again: a
    ``ValueError`` where the data gives other shapes (this code, and so the code generated
    from it, holds the shapes of the call it was specialised for; the code generated from
    it has guards of its own before this one)."""
    shown = ast.unparse(guard.test.left) if isinstance(guard.test, ast.Compare) else "a value"
    message = (f"{shown} has another shape than the code differentiated again was generated "
               f"for: differentiate the function at these arguments")
    raise_ = ast.Raise(ast.Call(ast.Name("ValueError", ast.Load()), [ast.Constant(message)],
                                []), None)
    return ast.copy_location(ast.fix_missing_locations(ast.copy_location(raise_, guard)), guard)


def _is_output_check(stmt):
    """``scalar_output(f)``, which emit writes where ``grad`` needs a number, or ``if
    type(X) is not float: numbers_only(...)`` (``reverse._numbers_only_check``)."""
    if isinstance(stmt, ast.If) and not stmt.orelse and len(stmt.body) == 1:
        stmt = stmt.body[0]
        prefix = "numbers_only"
    else:
        prefix = "scalar_output"
    return (isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Call)
            and isinstance(stmt.value.func, ast.Name)
            and stmt.value.func.id.startswith(prefix))


def _is_rebinding_check(stmt):
    """``if g is not g_differentiated: return generate_again(x)``, which emit writes."""
    return (isinstance(stmt, ast.If) and not stmt.orelse and len(stmt.body) == 1
            and isinstance(stmt.body[0], ast.Return) and isinstance(stmt.body[0].value, ast.Call)
            and isinstance(stmt.body[0].value.func, ast.Name)
            and stmt.body[0].value.func.id.startswith("generate_again"))


def _is_argument_check(stmt):
    """``if not (type(x) is float): check_arguments(...)``, which emit writes."""
    return (isinstance(stmt, ast.If) and not stmt.orelse and len(stmt.body) == 1
            and isinstance(stmt.body[0], ast.Expr) and isinstance(stmt.body[0].value, ast.Call)
            and isinstance(stmt.body[0].value.func, ast.Name)
            and stmt.body[0].value.func.id.startswith("check_arguments"))


_FUTURE_FLAGS = 0
for _feature in __future__.all_feature_names:
    _FUTURE_FLAGS |= getattr(__future__, _feature).compiler_flag


def _check_source_matches(node, tree, func, filename):
    """Raise ``SourceError`` if the definition read from ``filename`` does not compile to
    the code ``func`` runs: the gradient would follow the file, not the function."""
    code = func.__code__
    if _rewritten_by_pytest(code):
        return                      # assert statements rewritten on import: not comparable
    try:
        compiled = _compile_alone(node, tree, func, filename)
    except RecursionError:
        return                      # nested too deeply to compile: normalize says so
    if compiled is None or _same_code(compiled, code, _qualname_prefixes(func)):
        return
    raise SourceError(
        f"the source of {func.__qualname__} in {filename} does not match the code that runs: "
        f"the file was changed after the module was imported, so a gradient generated from "
        f"it would differentiate code that does not run",
        filename=filename, lineno=code.co_firstlineno, construct="stale source",
        source_line=linecache.getline(filename, code.co_firstlineno).rstrip("\n"),
        hint="Reload the module (importlib.reload) or restart the interpreter, then "
             "differentiate the function again.")


def _compile_alone(node, tree, func, filename):
    """The code object the definition ``node`` compiles to, in a scope giving it the same
    free variables (and the same class, for private-name mangling) as ``func``."""
    code = func.__code__
    if func.__name__ == "<lambda>":
        lam = next(n for n in ast.walk(tree) if isinstance(n, ast.Lambda)
                   and [a.arg for a in n.args.posonlyargs + n.args.args + n.args.kwonlyargs]
                   == list(code.co_varnames[:code.co_argcount + code.co_kwonlyargcount]))
        statement = ast.fix_missing_locations(ast.Expr(copy.deepcopy(lam)))
    else:
        statement = node          # compiled as it is: compile() leaves a tree unchanged
    # the nodes around it get locations here (fixing the whole tree would walk all of it)
    scope = [statement]
    parts = func.__qualname__.split(".")
    if len(parts) >= 2 and parts[-2] != "<locals>":      # a method: names are mangled
        scope = [ast.fix_missing_locations(ast.ClassDef(parts[-2], [], [], [], []))]
        scope[0].body = [statement]
    cells = [ast.fix_missing_locations(ast.Assign([ast.Name(n, ast.Store())], ast.Constant(None)))
             for n in code.co_freevars if n != "__class__"]
    bound = scope[0].name if isinstance(scope[0], ast.ClassDef) else getattr(statement, "name", None)
    if bound is not None and bound not in code.co_freevars:
        cells.insert(0, ast.fix_missing_locations(ast.Global([bound])))   # it calls itself (or its class) as a global
    enclosing = ast.fix_missing_locations(ast.FunctionDef(
        "s2sdiff_enclosing", ast.arguments([], [], None, [], [], None, []),
        [ast.Return(ast.Constant(None))], [], None, None))
    enclosing.body[:0] = cells + scope
    # the compiler calls methods of imported modules differently (LOAD_ATTR, 3.11+)
    imports = [ast.fix_missing_locations(ast.Import([ast.alias(name)]))
               for name in _imported_names(filename)]
    module = ast.Module(imports + [enclosing], [])
    try:
        compiled = syntax.compile(module, filename, "exec", flags=code.co_flags & _FUTURE_FLAGS,
                           dont_inherit=True)
    except (SyntaxError, ValueError):
        return None                 # not comparable this way; the source was parsed already
    return _find_code(compiled, code.co_name)


def _imported_names(filename):
    """The names the module in ``filename`` binds by ``import`` at its top level."""
    return _imports_of("".join(linecache.getlines(filename)))


@functools.lru_cache(maxsize=64)
def _imports_of(text):
    """``_imported_names`` of a module's text, parsed once per text (a module of many
    functions is not parsed again for each one differentiated)."""
    try:
        tree = syntax.parse(text)
    except (SyntaxError, ValueError):
        return ()
    names, todo = [], list(tree.body)
    while todo:
        node = todo.pop(0)
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            names += [(a.asname or a.name).split(".")[0] for a in node.names if a.name != "*"]
        elif isinstance(node, ast.stmt) and not isinstance(
                node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            todo += [n for n in ast.iter_child_nodes(node) if isinstance(n, ast.stmt)]
    return tuple(dict.fromkeys(names))


def _find_code(code, name, depth=0):
    """The code object called ``name`` nested (at most three levels) in ``code``."""
    for const in code.co_consts:
        if isinstance(const, types.CodeType):
            if const.co_name == name and depth > 0:
                return const
            found = _find_code(const, name, depth + 1) if depth < 3 else None
            if found is not None:
                return found
    return None


def _qualname_prefixes(func):
    """Before Python 3.11 a nested function's qualified name is a constant of the code that
    defines it: ``(prefix in the code _compile_alone compiles, prefix in func's code)``."""
    if sys.version_info >= (3, 11):
        return None
    parts = func.__qualname__.split(".")
    cls = parts[-2] if len(parts) >= 2 and parts[-2] != "<locals>" else None
    bound = cls if cls is not None else None if func.__name__ == "<lambda>" else func.__name__
    # the scope _compile_alone builds: the definition (or its class) is declared global there
    # unless it is one of func's free variables
    head = "" if bound is not None and bound not in func.__code__.co_freevars \
        else "s2sdiff_enclosing.<locals>."
    compiled = head + (f"{cls}." if cls is not None else "") + func.__name__
    return f"{compiled}.", f"{func.__qualname__}."


def _same_code(a, b, qualnames=None):
    """Whether two code objects do the same thing: line numbers and qualified names aside
    (``qualnames``: a pair of prefixes of qualified-name constants, see _qualname_prefixes)."""
    if (a.co_code, a.co_names, a.co_varnames, a.co_freevars, a.co_cellvars, a.co_argcount,
            a.co_kwonlyargcount, a.co_posonlyargcount, a.co_name) != \
            (b.co_code, b.co_names, b.co_varnames, b.co_freevars, b.co_cellvars, b.co_argcount,
             b.co_kwonlyargcount, b.co_posonlyargcount, b.co_name):
        return False
    if len(a.co_consts) != len(b.co_consts):
        return False
    return all(_same_constant(x, y, qualnames) for x, y in zip(a.co_consts, b.co_consts))


def _same_constant(a, b, qualnames=None):
    if isinstance(a, types.CodeType) and isinstance(b, types.CodeType):
        return _same_code(a, b, qualnames)
    if isinstance(a, (tuple, frozenset)) and type(a) is type(b) and len(a) == len(b):
        return all(_same_constant(x, y, qualnames) for x, y in zip(sorted(a, key=repr) if
                   isinstance(a, frozenset) else a, sorted(b, key=repr)
                   if isinstance(b, frozenset) else b))
    if qualnames is not None and isinstance(a, str) and isinstance(b, str) \
            and a.startswith(qualnames[0]) and b.startswith(qualnames[1]):
        return a[len(qualnames[0]):] == b[len(qualnames[1]):]
    return type(a) is type(b) and repr(a) == repr(b)       # 1 vs 1.0, 0.0 vs -0.0 differ


def _rewritten_by_pytest(code):
    """pytest rewrites ``assert`` statements in test modules: the names it adds."""
    return any(name.startswith("@py") for name in code.co_names) or any(
        isinstance(c, types.CodeType) and _rewritten_by_pytest(c) for c in code.co_consts)
