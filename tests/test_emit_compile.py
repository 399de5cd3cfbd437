"""Generated source is compiled once, as text inside a factory function (emit._define):
the code must be what the source compiled alone gives, at the same lines and columns."""

import ast
import math
import sys
import traceback
import types

import pytest

from s2sdiff import emit, grad, sources, syntax


def _factory_of_tree(source, filename, name, outer, values):
    """The function ``name`` built as emit built it before: the parsed source put into a
    factory made of syntax trees."""
    tree = syntax.parse(source, filename)
    factory = ast.FunctionDef(
        name=emit.FACTORY,
        args=ast.arguments(posonlyargs=[], args=[ast.arg(n) for n in outer], vararg=None,
                           kwonlyargs=[], kw_defaults=[], kwarg=None, defaults=[]),
        body=[ast.Return(ast.Name(name, ast.Load()))],
        decorator_list=[], returns=None, type_comment=None, lineno=1, col_offset=0)
    ast.fix_missing_locations(factory)
    factory.body.insert(0, tree.body[0])
    namespace = {}
    exec(syntax.compile(ast.Module([factory], type_ignores=[]), filename, "exec"), {}, namespace)
    return namespace[emit.FACTORY](*values)


def _same_code(a, b):
    assert a == b                      # bytecode, constants, names, line table
    assert list(a.co_lines()) == list(b.co_lines())
    if hasattr(a, "co_positions"):     # 3.11+: columns
        assert list(a.co_positions()) == list(b.co_positions())
        assert a.co_qualname == b.co_qualname
    assert (a.co_freevars, a.co_cellvars) == (b.co_freevars, b.co_cellvars)
    nested = [(x, y) for x, y in zip(a.co_consts, b.co_consts) if isinstance(x, types.CodeType)]
    for x, y in nested:
        _same_code(x, y)


SOURCE = '''def grad_g(x, y=2.0, *, z=3.0):
    # a comment
    try:
        t = check(x) * (y +
                        z)  # (1)
        s = sum(t * k for k in range(3))  # (2)
        if s > 0.0:
            h = (lambda u: u * scale)(s)
        else:
            h = [v for v in (s, t)][0]
        return h
    except TypeError:
        check('g', x=x)
        raise
'''


def test_the_code_is_what_a_factory_of_syntax_trees_gives():
    outer = ["check", "scale"]
    built = emit._define(SOURCE, "<test emit compile>", "grad_g", outer, [abs, 2.0], {})
    before = _factory_of_tree(SOURCE, "<test emit compile>", "grad_g", outer, [abs, 2.0])
    _same_code(built.__code__, before.__code__)
    assert built.__defaults__ == before.__defaults__ == (2.0,)
    assert built.__kwdefaults__ == before.__kwdefaults__ == {"z": 3.0}
    assert built(1.0) == before(1.0)
    assert [c.cell_contents for c in built.__closure__] == [abs, 2.0]


def test_a_syntax_error_is_reported_at_its_line_of_the_source():
    with pytest.raises(SyntaxError) as info:
        emit._define("def f(x):\n    y = x +\n    return y\n", "<bad>", "f", ["a"], [1], {})
    assert info.value.lineno == 2 and info.value.text.strip() == "y = x +"


def staged(x):
    t = x * 2.0
    return math.log(t) * x


def test_a_traceback_points_at_the_generated_line_and_columns():
    generated = grad(staged)
    with pytest.raises(ValueError) as info:
        generated(-1.0)
    frame = [f for f in traceback.extract_tb(info.value.__traceback__)
             if sources.is_generated(f.filename)][-1]
    lines = generated.source.splitlines()
    assert lines[frame.lineno - 1].strip() == frame.line
    assert frame.line == "logt = math.log(t)  # (2)"
    if sys.version_info >= (3, 11):
        text = lines[frame.lineno - 1]
        assert text[frame.colno:frame.end_colno] == "math.log(t)"


def test_the_function_starts_at_its_def_line():
    generated = grad(staged)
    assert generated.__code__.co_firstlineno == 1
    first = min(line for _, _, line in generated.__code__.co_lines() if line is not None)
    assert first == 1
    last = max(line for _, _, line in generated.__code__.co_lines() if line is not None)
    assert last <= len(generated.source.splitlines())
