"""List methods and nested lists in code on numbers (normalize/list_methods.py and
friends): ``ys.pop()``, ``ys.pop(0)``, ``ys.insert(i, v)``, ``xs.copy()``.  They were
refused ("result is discarded", "method call not supported", "NumPy code"); each gradient
here is checked against central differences, each refusal for naming what was written."""

import math

import pytest

from differences import central_list as central
from s2sdiff import UnsupportedError, grad



def check(f, xs):
    got = grad(f)(list(xs))
    assert got == pytest.approx(central(f, xs), rel=1e-6, abs=1e-8), f.__name__
    return got


def inserted_first(xs):
    ys = list(xs)
    ys.insert(0, 2.0 * xs[1])
    return ys[0] * ys[1] + ys[2] ** 2


def inserted_inside(xs):
    ys = [x * x for x in xs]
    ys.insert(1, math.sin(xs[0]))
    return ys[1] * ys[2] + ys[0]


def inserted_before_last(xs):
    ys = [x * x for x in xs]
    ys.insert(-1, xs[0] * 3.0)
    return ys[0] * ys[-2] + ys[-1] * ys[1]


def inserted_out_of_range(xs):
    ys = [x * x for x in xs]
    ys.insert(10, xs[0] * 3.0)          # at the end, as Python does
    ys.insert(-10, xs[1])               # at the start
    return ys[0] * ys[-1] + ys[1]


def reversed_by_insert(xs):
    ys = []
    for x in xs:
        ys.insert(0, x * 2.0)
    return ys[0] * ys[-1] + ys[1]


def popped_last(xs):
    ys = list(xs)
    v = ys.pop()
    return v * sum(ys)


def popped_first(xs):
    ys = list(xs)
    v = ys.pop(0)
    return v * v + sum(y * y * y for y in ys)


def popped_inside(xs):
    ys = [x * x for x in xs]
    v = ys.pop(1)
    w = ys.pop(-2)
    return v * w + sum(ys) * 2.0


def stack(xs):
    st = [xs[0]]
    for x in xs[1:]:
        st.append(x * st[-1])
    t = 0.0
    while st:
        t = t * 0.5 + st.pop()
    return t


def discarded_pop(xs):
    ys = [x * x for x in xs]
    ys.insert(0, 1.0)
    ys.pop()
    return sum(y * y for y in ys)


@pytest.mark.parametrize("f", [inserted_first, inserted_inside, inserted_before_last,
                               inserted_out_of_range, reversed_by_insert, popped_last,
                               popped_first, popped_inside, stack, discarded_pop])
def test_pop_and_insert_against_central_differences(f):
    check(f, [0.5, 1.5, -2.0, 0.75])


def test_the_list_left_is_python_s():
    """The values too: the rewrite leaves the list Python's method leaves."""
    from s2sdiff import value_and_grad
    xs = [0.5, 1.5, -2.0, 0.75]
    for f in (inserted_out_of_range, reversed_by_insert, popped_inside, stack):
        assert value_and_grad(f)(list(xs))[0] == pytest.approx(f(list(xs)), rel=1e-15)


def test_an_empty_pop_raises_index_error():
    with pytest.raises(IndexError):
        grad(popped_last)([])


def copied(xs):
    ys = xs.copy()
    ys[0] = ys[0] ** 2
    return sum(y * xs[1] for y in ys)


def test_copy_of_a_list_parameter():
    """`xs.copy()` made the function NumPy code, which refused the list argument."""
    import numpy as np
    got = check(copied, [0.5, 1.5, 2.0])
    assert isinstance(got, list)
    assert grad(copied)(np.array([0.5, 1.5, 2.0])) == pytest.approx(got)


def aliased(xs):
    ys = [x * x for x in xs]
    zs = ys
    v = ys.pop()
    return zs[-1] * v


def read_in_the_statement(xs):
    ys = [x * x for x in xs]
    t = ys[0] * ys.pop()
    return t + sum(ys)


def popped_while_looping(xs):
    ys = [x for x in xs]
    t = 0.0
    for y in ys:
        t = t + y * ys.pop()
    return t


def inserted_at(xs, i):
    ys = [x for x in xs]
    ys.insert(i, 1.0)
    return sum(ys)


@pytest.mark.parametrize("f, words", [
    (aliased, r"`ys.pop\(...\)` on a list that another name may also hold"),
    (read_in_the_statement, r"`ys.pop\(...\)` in a statement that also reads `ys`"),
    (popped_while_looping, r"`ys.pop\(...\)` on a list .* loops over"),
])
def test_what_is_not_rewritten_is_refused_by_name(f, words):
    """A new list bound to `ys` would not be the list `zs` holds, nor the one the loop
    runs over: refused, naming the call, with the rebinding that works."""
    with pytest.raises(UnsupportedError, match=words) as caught:
        grad(f)([0.5, 1.5, 2.0])
    assert "ys = [e for e in ys[:-1]]" in str(caught.value)


def test_an_index_not_written_in_the_call_is_refused():
    with pytest.raises(UnsupportedError, match=r"`ys.insert\(...\)` with an index") as caught:
        grad(inserted_at, wrt="xs")([0.5, 1.5], 1)
    assert "ys = [e for e in ys[:i]] + [1.0] + [e for e in ys[i:]]" in str(caught.value)


def the_rewrite_suggested(xs):
    ys = [x for x in xs]
    i = 1
    ys = [e for e in ys[:i]] + [1.0] + [e for e in ys[i:]]
    v = ys[-1]
    ys = [e for e in ys[:-1]]
    return sum(y * y for y in ys) * v


def test_the_suggested_rewrite_works():
    check(the_rewrite_suggested, [0.5, 1.5, 2.0])


def scalar_central(f, x, h=1e-6):
    return (f(x + h) - f(x - h)) / (2 * h)


def grid_read(x):
    n = 3
    m = [[x * (i + j + 1) for j in range(n)] for i in range(n)]
    return m[0][1] * m[2][2] + sum(sum(r) for r in m)


def zeros_grid_unused(x):
    n = 2
    m = [[0.0] * n for _ in range(n)]
    return x * x + m[0][0]


def rows_appended(x):
    m = []
    for i in range(3):
        m.append([x * (i + j) for j in range(3)])
    return sum(sum(r) for r in m) + m[1][2] * m[2][1]


def rows_looped(x):
    m = [[math.sin(x * i), x * x] for i in range(3)]
    t = 0.0
    for r in m:
        t = t + r[0] * r[1]
    return t


@pytest.mark.parametrize("f", [grid_read, zeros_grid_unused, rows_appended, rows_looped])
def test_a_list_of_lists_built_whole_then_read(f):
    """A nested comprehension (or rows appended) was refused as `items.append(...)`
    writing into storage `m` holds: each pass builds a new row, whose appends are over
    once the list of rows holds it (alias_passes._rows_safe)."""
    assert grad(f)(0.7) == pytest.approx(scalar_central(f, 0.7), rel=1e-6)


def grid_rows_replaced(x):
    n = 3
    m = [[0.0] * n for _ in range(n)]
    for i in range(n):
        m[i] = [x * (i + j) for j in range(n)]
    return sum(sum(r) for r in m)


def entries_written(x):
    n = 3
    m = [[0.0] * n for _ in range(n)]
    for i in range(n):
        for j in range(n):
            m[i][j] += x * (i + 1)
            m[i][j] *= x + j
    for k in range(n):
        m[k][-1] = m[k][k] ** 2
    return sum(sum(r) for r in m) + m[2][1]


def dynamic_programming(x):
    n = 4
    t = [[0.0] * n for _ in range(n)]
    for i in range(n):
        t[i][0] = x * i
        t[0][i] = x * x * i
    for i in range(1, n):
        for j in range(1, n):
            t[i][j] = math.sin(t[i - 1][j]) + t[i][j - 1] * 0.5 + t[i - 1][j - 1] * x
    return t[n - 1][n - 1]


def rows_read_by_loops(x):
    m = [[x * i for i in range(2)] for _ in range(2)]
    m[0][1] = x * x
    t = sum(r[1] * len(r) for r in m) + sum(sum(r) for r in m)
    for r in m:
        t = t + r[0] * r[1]
    return t


def table_of_numbers(x):
    m = [[0.0, 1.0], [2.0, -1.0]]
    m[1][0] = m[0][1] * x
    m[0][0] += x * x
    return m[1][0] * m[0][0] + m[1][1]


@pytest.mark.parametrize("f", [grid_rows_replaced, entries_written, dynamic_programming,
                               rows_read_by_loops, table_of_numbers])
def test_rows_replaced_and_entries_written(f):
    """`m[i] = [...]` and `m[i][j] = v` on `m = [[0.0] * n for _ in range(n)]` were
    refused (`items.append(...)`, "nested list"): `m[i][j] = v` is a new row put in `m`
    (normalize/nested_lists.py); in reverse and forward mode, and the hessian."""
    from s2sdiff import derivative, hessian
    assert grad(f)(0.7) == pytest.approx(scalar_central(f, 0.7), rel=1e-6)
    assert derivative(f)(0.7) == pytest.approx(scalar_central(f, 0.7), rel=1e-6)
    second = (scalar_central(f, 0.7 + 1e-4) - scalar_central(f, 0.7 - 1e-4)) / 2e-4
    assert hessian(f)(0.7) == pytest.approx(second, rel=1e-4, abs=1e-4)


def rows_kept_in_another_list(x):
    m = [[x * i for i in range(2)] for _ in range(2)]
    keep = []
    for r in m:
        keep.append(r)
    m[0][1] = x * x
    return keep[0][1]


def rows_copied_by_comprehension(x):
    m = [[x * i for i in range(2)] for _ in range(2)]
    m2 = [r for r in m]
    for k in range(2):
        m[k][0] = x * x
    return m2[0][0]


def row_bound_to_a_name(x):
    m = [[x * i for i in range(2)] for _ in range(2)]
    r = m[1]
    m[1][0] = x * x
    return r[0] + m[1][0]


@pytest.mark.parametrize("f", [rows_kept_in_another_list, rows_copied_by_comprehension,
                               row_bound_to_a_name])
def test_an_entry_write_another_name_would_see_is_refused(f):
    """Python's write shows through `keep[0]`, `m2[0]`, `r`: a new row would not."""
    with pytest.raises(UnsupportedError, match=r"nested list `m\[\w\]\[\d\]`"):
        grad(f)(0.7)


def a_row_changed_through_its_name(x):
    m = [[x * i, x * x] for i in range(3)]
    r = m[0]
    r.append(x)
    return sum(m[0]) + r[0]


def test_a_row_written_through_another_name_is_still_refused():
    with pytest.raises(UnsupportedError, match=r"`r.append\(...\)` writes in place"):
        grad(a_row_changed_through_its_name)(0.7)


# a loop over a constant sequence of functions (normalize/function_loops.py) ------------

import functools  # noqa: E402


def _square(z):
    return z * z


FUNCTIONS = (math.sin, math.cos)


def composed_in_a_loop(x):
    for f in [math.sin, math.cos, math.exp]:
        x = f(x)
    return x


def composed_with_lambda_and_helper(x):
    for f in (math.sin, _square, lambda z: 3.0 * z):
        x = f(x) + 0.5
    return x


def composed_by_reduce(x):
    fs = [math.tanh, _square, math.exp]
    return functools.reduce(lambda acc, g: g(acc), fs, x)


def summed_over_functions(x):
    t = 0.0
    for f in [math.sin, math.cos]:
        for k in range(1, 3):
            t = t + f(x * k)
    return t


@pytest.mark.parametrize("f", [composed_in_a_loop, composed_with_lambda_and_helper,
                               composed_by_reduce, summed_over_functions])
def test_a_loop_over_functions_is_unrolled(f):
    """It was refused: "call of `f`" (and "call of `item`" for reduce, a name the user
    never wrote)."""
    from s2sdiff import derivative
    assert grad(f)(0.3) == pytest.approx(scalar_central(f, 0.3), rel=1e-6)
    assert derivative(f)(0.3) == pytest.approx(scalar_central(f, 0.3), rel=1e-6)


def reduce_over_a_module_tuple(x):
    return functools.reduce(lambda acc, f: f(acc), FUNCTIONS, x)


def loop_over_a_changed_list(x):
    fs = [math.sin, math.cos]
    fs.append(math.exp)
    for f in fs:
        x = f(x)
    return x


@pytest.mark.parametrize("f", [reduce_over_a_module_tuple, loop_over_a_changed_list])
def test_a_loop_over_functions_not_unrolled_names_the_user_s_variable(f):
    with pytest.raises(UnsupportedError, match=r"call of `f`, a loop variable over "
                       r"functions") as caught:
        grad(f)(0.3)
    assert "item" not in str(caught.value).split("\n")[0]
    assert "for f in [math.sin, math.cos]" in str(caught.value)


# repeated displays, statistics.mean, math.dist (list_idioms.py) ------------------------

import statistics  # noqa: E402


def repeated_variable(x):
    ys = [x] * 3
    return sum(y * y for y in ys)


def repeated_display(x):
    ys = [x, 2 * x] * 2
    return ys[0] * ys[3] + ys[2]


def repeated_by_count(x, n):
    ys = n * [x, 1.0]
    return sum(ys) * x


def mean_of_list(xs):
    return statistics.mean(xs) ** 2 + statistics.fmean([xs[0], 2.0 * xs[1]])


def distance(p):
    return math.dist(p, [1.0, 2.0]) + math.dist((p[0], 1.5), p)


def test_repeated_displays_of_variables():
    """`[x] * n`, `[x, 2 * x] * 2` were refused as list arithmetic."""
    for f in (repeated_variable, repeated_display):
        assert grad(f)(0.3) == pytest.approx(scalar_central(f, 0.3), rel=1e-6)
    for n in (0, 1, 3):
        assert grad(repeated_by_count, wrt="x")(0.3, n) == pytest.approx(
            scalar_central(lambda x: repeated_by_count(x, n), 0.3), rel=1e-6, abs=1e-9)


def test_mean_and_dist_of_lists():
    """`statistics.mean`, `math.dist` had no rule (and made no NumPy code of a list)."""
    check(mean_of_list, [0.3, 0.5, 2.0])
    check(distance, [0.3, 0.5])
    with pytest.raises(IndexError):            # lengths that differ: math.dist's ValueError
        grad(lambda p, q: math.dist(p, q), wrt="p")([0.3, 0.5], [1.0, 2.0, 3.0])


GLOBAL_LIST = [1.0, 2.0, 3.0]
GLOBAL_TABLE = [[0.0, 1.0], [2.0, 3.0]]


def pops_a_global(x):
    v = GLOBAL_LIST.pop()
    return v * x


def writes_a_global_table(x):
    GLOBAL_TABLE[0][1] = x
    return GLOBAL_TABLE[0][1] * x


@pytest.mark.parametrize("f", [pops_a_global, writes_a_global_table])
def test_a_list_the_function_does_not_own_is_not_rewritten(f):
    """A new list bound to the name would make it local (UnboundLocalError inside
    generated code): refused as before, and the module's lists are left as they were."""
    with pytest.raises(UnsupportedError):
        grad(f)(0.7)
    assert GLOBAL_LIST == [1.0, 2.0, 3.0] and GLOBAL_TABLE == [[0.0, 1.0], [2.0, 3.0]]


def queue(xs):
    q = list(xs)
    while len(q) > 1:
        a = q.pop(0)
        b = q.pop(0)
        q.append(a * b + 0.5)
    return q[0]


def rebuilt_then_appended(xs):
    q = [2.0 * e for e in xs]
    for _ in range(2):
        q = [2.0 * e for e in q]
        q.append(q[0] * q[1])
    return q[-1] + q[0]


def alias_read_after_append(x):
    t = 0.0
    for i in range(2):
        a = []
        b = a
        b.append(x)
        t = t + len(a) * x
    return t


def test_a_list_rebuilt_in_a_loop_then_appended():
    """`q = [... for e in q]` (or `q.pop(0)`) then `q.append(...)` in a loop was refused:
    "`q.append(...)` writes into storage that `q` also refers to" (the comprehension's
    list, new on each pass, alias_passes.copied_each_pass)."""
    check(queue, [0.5, 1.5, -2.0, 0.75])
    check(rebuilt_then_appended, [0.5, 1.5, -2.0])


def test_an_alias_read_after_the_append_is_still_refused():
    """Python's `len(a)` sees `b.append(x)`; the SSA program's `a` would not."""
    with pytest.raises(UnsupportedError, match=r"`b.append\(...\)` writes in place"):
        grad(alias_read_after_append)(0.7)


# --- rows written in a display (hunt 9 bug_13) -----------------------------------------------

def determinant_of_rows(a):
    m = [[a, 1.0], [2.0, a * a]]
    return m[0][0] * m[1][1] - m[0][1] * m[1][0]


def rows_of_a_display_looped(a):
    m = [[a, 1.0], [2.0, a * a]]
    total = 0.0
    for row in m:
        for v in row:
            total += v * v
    return total


def rows_named_first(a):
    r0 = [a, 1.0]
    r1 = [2.0, a * a]
    m = [r0, r1]
    return m[0][0] * m[1][1]


def test_a_display_of_rows():
    """d/da (a^3 - 2) = 3 a^2; d/da (a^2 + 1 + 4 + a^4) = 2 a + 4 a^3 (it was refused: "a
    list or tuple of lists or tuples")."""
    assert grad(determinant_of_rows)(0.7) == pytest.approx(3 * 0.49, rel=1e-14)
    assert grad(rows_of_a_display_looped)(0.7) == pytest.approx(1.4 + 4 * 0.343, rel=1e-14)
    with pytest.raises(UnsupportedError, match="list or tuple of lists") as caught:
        grad(rows_named_first)(0.7)
    assert "m.append([x, y])" in caught.value.hint
