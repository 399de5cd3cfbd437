"""The user-facing forms of the NumPy rows of shape_rules.py (issue 16 item 1): unpacked
splits, array methods, keyword forms, ``out=None``, einsum with any subscripts, ufunc
aliases with broadcasting, and the clear errors of what stays out (item 6).

Every value is checked against central differences of the function itself (each entry
of the pullback of a random cotangent) and forward mode against reverse mode
(``<v, J u>`` computed both ways).  tests/test_array_rules.py checks each row alone.
"""

import numpy as np
import pytest

from source_lines import line_of

from s2sdiff import S2SDiffError, UnsupportedError, grad, jvp, vjp

RTOL, ATOL = 1e-6, 1e-8


def _central(f, xs, i, position, h=1e-6):
    plus, minus = list(xs), list(xs)
    e = np.zeros(np.shape(xs[i]))
    e[position] = h
    plus[i], minus[i] = xs[i] + e, xs[i] - e
    return (np.asarray(f(*plus)) - np.asarray(f(*minus))) / (2 * h)


def check(f, *xs, seed=0):
    """The pullback of a random cotangent against central differences, entry by entry,
    and the jvp along random tangents against it (``<v, J u>`` both ways)."""
    rng = np.random.default_rng(seed)
    out, pullback = vjp(f, *xs)
    np.testing.assert_allclose(out, f(*xs), rtol=1e-14)
    cotangent = rng.normal(size=np.shape(out)) if np.ndim(out) else 1.0
    gradients = pullback(cotangent)
    for i, x in enumerate(xs):
        assert np.shape(gradients[i]) == np.shape(x)
        numeric = np.zeros(np.shape(x))
        for position in np.ndindex(np.shape(x)):
            numeric[position] = np.sum(cotangent * _central(f, xs, i, position))
        np.testing.assert_allclose(gradients[i], numeric, rtol=RTOL, atol=ATOL,
                                   err_msg=f"d/d{i} of {f.__name__}")
    tangents = tuple(rng.normal(size=np.shape(x)) for x in xs)
    _, tangent_out = jvp(f, xs, tangents)
    forward = np.sum(cotangent * tangent_out)
    reverse = sum(np.sum(g * t) for g, t in zip(gradients, tangents))
    assert forward == pytest.approx(reverse, rel=1e-10, abs=1e-12), f.__name__
    return gradients


def arrays(*shapes, seed=1):
    rng = np.random.default_rng(seed)
    return [rng.normal(size=s) for s in shapes]


# --- splitting: unpacked, indexed ------------------------------------------------------

def split_halves(x):
    a, b = np.split(x, 2)
    return a * b


def split_cut_points(x):
    a, b, c = np.split(x, [1, 3], axis=1)
    return np.sum(a) * np.sum(b ** 2) + np.sum(np.sin(c))


def array_split_uneven(x):
    first, second, third = np.array_split(x * 2.0, 3)     # 7 = 3 + 2 + 2
    return np.concatenate([third, first ** 2, np.exp(second)])


def hsplit_vsplit_dsplit(x):
    left, right = np.hsplit(x, 2)
    top, bottom = np.vsplit(x, [1])
    front, back = np.dsplit(x[:, :, None] * x[:, None, :], 2)
    return np.sum(left * right) + np.sum(top) * np.sum(bottom ** 2) + np.sum(front - back ** 2)


def hsplit_vector(x):
    a, b = np.hsplit(x, [2])
    return np.sum(a) * b


def split_indexed(x):
    return np.split(x, 3)[-1] * np.array_split(x, 3)[0]


def split_into_list_targets(x):
    [a, b] = np.split(x, 2, axis=0)
    return a @ b.T


@pytest.mark.parametrize("f, shape", [
    (split_halves, (4, 3)), (split_cut_points, (2, 5)), (array_split_uneven, (7,)),
    (hsplit_vsplit_dsplit, (4, 4)), (hsplit_vector, (5,)), (split_indexed, (6,)),
    (split_into_list_targets, (4, 3))])
def test_split_parts(f, shape):
    check(f, *arrays(shape))


def test_a_split_part_is_a_slice_update_in_the_generated_gradient():
    g = grad(split_halves_sum)
    g(np.ones((4, 3)))
    assert "a = np.split(x, 2)[0]" in g.source and "dx[2:4] += db" in g.source, g.source


def split_halves_sum(x):
    a, b = np.split(x, 2)
    return np.sum(a * b)


def split_wrong_count(x):
    a, b = np.split(x, 3)
    return np.sum(a * b)


def split_kept_as_list(x):
    parts = np.split(x, 2)
    return np.sum(parts[0])


def split_written_through(x):
    y = x * 1.0
    a, b = np.split(y, 2)
    a[0] = 5.0
    return np.sum(y * y)


def test_a_split_into_the_wrong_number_of_names_fails_as_the_function_does():
    with pytest.raises(AssertionError, match="2 values to unpack"):
        grad(split_wrong_count)(np.ones(6))


def test_a_split_kept_as_a_list_is_refused_with_what_to_do():
    with pytest.raises(UnsupportedError) as info:
        grad(split_kept_as_list)(np.ones(4))
    error = info.value
    assert error.lineno == line_of(split_kept_as_list, "parts = np.split(x, 2)")
    assert "list of arrays" in str(error) and "a, b = np.split(x, 2)" in str(error)


def test_a_write_through_a_split_part_is_refused():
    """A part is a view of ``y``: writing into it would change ``y`` behind the gradient."""
    with pytest.raises(UnsupportedError, match="writes in place"):
        vjp(split_written_through, np.ones(4))[1](1.0)


# --- array methods ---------------------------------------------------------------------

def methods_reductions(x):
    return (x.sum(axis=0, keepdims=True) * x.mean(axis=1, keepdims=True)
            + x.std(axis=0, ddof=1) + x.var(ddof=1) + x.max(axis=1, keepdims=True)
            + x.min() * x.prod(axis=0))


def methods_shapes(x):
    y = x.reshape(-1).cumsum() + x.flatten() * x.ravel()
    z = x.reshape(1, 3, 4).squeeze() * x.clip(-0.5, 0.5)
    return y.reshape(3, 4) + z.dot(x.T).dot(x) + x.reshape((4, 3)).T * x.cumprod(axis=1)


def methods_items(x):
    return x.astype(float) * x.item(5) + x.diagonal(1).sum() + x.trace() * x.take([0, 0, 7])[1]


def methods_astype_int_is_constant(x):
    return np.sum(x.astype(int) * x)


@pytest.mark.parametrize("f", [methods_reductions, methods_shapes, methods_items])
def test_array_methods(f):
    check(f, *arrays((3, 4)))


def test_astype_to_an_integer_dtype_is_a_constant():
    x = np.array([1.5, -2.5, 3.25])
    np.testing.assert_array_equal(grad(methods_astype_int_is_constant)(x), x.astype(int))


def item_of_a_number_array(x):
    return x.item() * 3.0 + x.reshape(1, 1).item() ** 2


def test_item_of_a_one_entry_array():
    check(item_of_a_number_array, np.array([0.7]))


# --- keyword forms and out=None ------------------------------------------------------------

def keyword_forms(x, y):
    s = np.sum(x, axis=0, keepdims=True, out=None) + np.multiply(x, y, out=None)
    v = np.var(x, axis=1, ddof=1, keepdims=True) + np.std(x, axis=1, ddof=1, keepdims=True)
    c = np.cumprod(y, axis=0) + np.cumsum(x, axis=1) + np.divide(1.0, 2.0 + y * y)
    return s * v + c + np.clip(x, a_min=-0.3, a_max=0.4) + np.einsum("ij,ij->ij", x, y,
                                                                     optimize=True)


def test_keyword_forms():
    check(keyword_forms, *arrays((3, 4), (3, 4)))


def ufunc_aliases(x, y):
    return (np.add(x, 1.0) * np.subtract(2.0, y) + np.true_divide(x, 3.0 + y * y)
            + np.remainder(x, 0.7) + np.mod(y, 2.5) + np.fabs(x) + np.float_power(1.5 + y * y, x)
            + np.arcsin(0.5 * np.tanh(x)) + np.arccos(0.3 * np.tanh(y))
            + np.arcsinh(x) + np.arccosh(2.0 + y * y) + np.arctanh(0.5 * np.tanh(y))
            + np.arctan2(x, y) + np.hypot(x, y) + np.log2(2.0 + x * x) + np.cbrt(3.0 + y * y)
            + np.fmax(x, y) + np.fmin(x, 0.0) + np.logaddexp(x, y) + np.logaddexp2(x, y)
            + np.exp2(x) + np.sinc(y) + np.deg2rad(x) + np.rad2deg(y) + np.power(2.0 + x * x, y))


def test_ufunc_aliases_with_broadcasting():
    check(ufunc_aliases, *arrays((2, 3), (3,)))


def test_ufunc_aliases_of_numbers():
    check(ufunc_aliases, 0.3, -1.2)


def nan_to_num_masks(x):
    y = np.log(x)                          # NaN below 0, -inf at 0
    return np.nan_to_num(y, nan=0.5, posinf=1.0, neginf=-1.0) * x


def test_nan_to_num_passes_the_adjoint_where_finite_only():
    x = np.array([2.0, -1.0, 0.5])
    with np.errstate(invalid="ignore"):
        gradient = vjp(nan_to_num_masks, x)[1](np.ones(3))[0]
        _, tangent = jvp(nan_to_num_masks, (x,), (np.ones(3),))
    expected = [np.log(2.0) + 1.0, 0.5, np.log(0.5) + 1.0]     # NaN replaced: 0.5 + x * 0
    np.testing.assert_allclose(gradient, expected)
    np.testing.assert_allclose(tangent, expected)


# --- einsum ---------------------------------------------------------------------------------

EINSUMS = [
    ("ij,jk", [(2, 3), (3, 4)]), ("ii->i", [(3, 3)]), ("ii", [(3, 3)]),
    ("...ij,...jk->...ik", [(2, 1, 2, 3), (4, 3, 2)]), ("ij,ij->", [(2, 3), (2, 3)]),
    ("ij->i", [(2, 3)]), ("i,ij,j", [(2,), (2, 3), (3,)]), ("bij,jk->bik", [(2, 3, 4), (4, 2)]),
    ("iji->j", [(3, 2, 3)]), ("...i,...i", [(2, 3), (3,)]), ("ij->ji", [(2, 3)]),
    ("i,j->ij", [(2,), (3,)]), ("ij,kj->ik", [(1, 3), (2, 3)]), ("bhqd,bhkd->bhqk",
                                                                [(1, 2, 3, 4), (1, 2, 2, 4)]),
]


@pytest.mark.parametrize("spec, shapes", EINSUMS, ids=[s for s, _ in EINSUMS])
def test_einsum(spec, shapes):
    def f(*operands):
        return np.einsum(spec, *operands)
    f.__name__ = "einsum_" + spec
    source = f"def f({', '.join(f'x{i}' for i in range(len(shapes)))}):\n" \
             f"    return np.einsum({spec!r}, {', '.join(f'x{i}' for i in range(len(shapes)))})\n"
    namespace = {"np": np}
    _exec(source, namespace)
    check(namespace["f"], *arrays(*shapes))


def _exec(source, namespace):
    import linecache
    filename = f"<einsum {abs(hash(source))}>"
    linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
    exec(compile(source, filename, "exec"), namespace)


def einsum_same_operand_twice(x):
    return np.einsum("i,i", x, x) + np.einsum("ij,ik->jk", x[:, None] * x, x[:, None])


def test_einsum_of_one_operand_twice():
    check(einsum_same_operand_twice, *arrays((3,)))


# --- reshaping, joining, choosing ---------------------------------------------------------

def diagonals_and_triangles(x, v):
    return (np.diag(v, k=-1)[:3, :4] * np.tril(x, k=1) + np.triu(x, -1) * np.diag(x)[:, None]
            + np.diagonal(x, offset=1).sum() + np.trace(x) + np.rot90(x[:3, :3], k=2, axes=(1, 0))
            .sum() + np.fliplr(x) + np.flipud(x) * np.roll(x, 1, axis=0))


def moving_axes(x):
    y = np.rollaxis(x, 2) + np.moveaxis(x, -1, 0) * np.swapaxes(x, 0, 2).transpose(0, 2, 1)
    return np.expand_dims(np.squeeze(y[:1], axis=0), axis=0) * np.broadcast_to(
        np.atleast_3d(x[0, 0, 0]), (1, 1, 1)) + np.atleast_1d(y.sum()) + np.atleast_2d(x[0, :, 0])


def padding(x):
    return (np.pad(x, 1) + np.pad(x, ((1, 1), (0, 2)), mode="edge")
            + np.pad(x, (1, 1), mode="reflect") * np.pad(x, 1, mode="wrap")
            + np.pad(x, 1, mode="symmetric") + np.pad(x, [(1, 1), (1, 1)], constant_values=2.0))


def joining(x, y):
    return (np.sum(np.append(x, 1.0)) * np.append(x, y, axis=0)[:3]
            + np.dstack([x, y])[..., 1] + np.column_stack([x[0], y[0]])[:, :1]
            + np.hstack([x, y])[:, 1:4] * np.vstack([x, y[0]])[1:4] + np.stack([x, y])[1]
            + np.kron(x[0], y[:, 0])[:3, None] + np.tile(y[0], (3, 1)) * np.repeat(x[:, :1], 3, axis=1))


def choosing(x, y, z):
    return (np.select([x > 0.5, y < 0.0], [x, y * 2.0], default=3.0)
            + np.select([x > 0.0], [y], z) + np.choose([[0, 1, 1], [1, 0, 2]], [x, y, z], mode="clip")
            + np.where(x > 0, x, z))


def sorting_and_gathers(x):
    return (np.sort(x, axis=0) * np.partition(x, 1, axis=1) + np.partition(x, 3, axis=None)[:4]
            + np.take_along_axis(x, np.argsort(x, axis=1), axis=1)
            + np.take_along_axis(x.ravel(), np.array([5, 5, 0, 1]), axis=None)
            + np.take(x, [0, 2, 2, 1], axis=1) * np.take(x, [-1, 3, 1, 1]))


def products(a, b, v):
    return (np.sum(np.dot(a, b)) + np.sum(np.matmul(a, b[0])) + np.sum(np.inner(a, v))
            + np.sum(np.outer(v, a)) + np.sum(np.tensordot(a, b, axes=([1], [1])))
            + np.sum(np.kron(v, v)) + np.sum(a.dot(v)) + np.sum(np.dot(v, b))
            + np.sum(np.cross(a[:, :3], v[:3])))


def differences(x):
    return (np.diff(x, axis=0) [:, :2].sum() + np.gradient(x, 0.5, axis=1, edge_order=2)
            + np.gradient(x, axis=0) + np.cumprod(x, axis=1) + np.cumsum(x).reshape(3, 4))


@pytest.mark.parametrize("f, shapes", [
    (diagonals_and_triangles, [(3, 4), (3,)]), (moving_axes, [(2, 3, 4)]), (padding, [(2, 4)]),
    (joining, [(3, 3), (3, 3)]), (choosing, [(2, 3), (2, 3), (2, 3)]),
    (sorting_and_gathers, [(3, 4)]), (products, [(3, 4), (2, 4, 5), (4,)]),
    (differences, [(3, 4)])])
def test_forms(f, shapes):
    check(f, *arrays(*shapes))


def dtype_keywords(x):
    return (np.sum(x, axis=0, dtype=np.float64) * np.mean(x, dtype=float)
            + np.cumsum(x, 1, np.float64) + x.sum(dtype=float) + np.var(x, dtype=np.float64, ddof=1)
            + np.sum(x, dtype=int) * x)             # an integer sum is a constant


def test_dtype_keywords():
    check(dtype_keywords, *arrays((3, 4)))


def test_every_function_of_item_1_and_of_autograd_has_a_row():
    """tools/numpy_gaps.py: no NumPy function named in issue 16 item 1 or differentiated
    by autograd's numpy_vjps.py (when autograd is installed) lacks a row, but the complex
    ones, which are refused with a clear error."""
    import importlib.util
    import pathlib
    where = pathlib.Path(__file__).resolve().parents[1] / "tools" / "numpy_gaps.py"
    loader = importlib.util.spec_from_file_location("numpy_gaps", where)
    numpy_gaps = importlib.util.module_from_spec(loader)
    loader.loader.exec_module(numpy_gaps)
    spec = importlib.util.find_spec("autograd")
    path = None if spec is None else spec.submodule_search_locations[0] + "/numpy/numpy_vjps.py"
    missing, refused = numpy_gaps.gaps(path)
    assert missing == []
    if path is not None:
        assert {"np.real", "np.imag", "np.angle"} <= set(refused)


# --- what stays out: clear errors at generation time ----------------------------------------

def complex_real(x):
    return np.sum(np.real(x) ** 2)


def complex_fft(x):
    return np.sum(np.abs(np.fft.fft(x)))


def complex_conj(x):
    return np.sum(x * np.conj(x))


def pad_mean(x):
    return np.sum(np.pad(x, 1, mode="mean"))


def gradient_without_axis(x):
    g0, g1 = np.gradient(x)
    return np.sum(g0)


@pytest.mark.parametrize("f, snippet, words", [
    (complex_real, "np.real(x)", ["numpy.real", "complex numbers are not supported"]),
    (complex_fft, "np.fft.fft(x)", ["numpy.fft.fft", "complex numbers are not supported"]),
    (complex_conj, "np.conj(x)", ["numpy.conj", "complex numbers are not supported"]),
    (pad_mean, "np.pad(x, 1, mode=\"mean\")", ["mode='mean'"]),
])
def test_left_out_functions_fail_at_generation_time(f, snippet, words):
    with pytest.raises(UnsupportedError) as info:
        grad(f)(np.ones((2, 2)))
    error = info.value
    assert error.lineno == line_of(f, snippet.split("(")[0])
    for word in words:
        assert word in str(error), str(error)


def test_np_gradient_of_a_matrix_without_an_axis_is_refused():
    with pytest.raises(S2SDiffError):
        grad(gradient_without_axis)(np.ones((3, 3)))
