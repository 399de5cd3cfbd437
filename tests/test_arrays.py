"""NumPy arrays (issue 4): every array rule against central differences on random shapes,
broadcasting both ways, the seeds' closed forms, indexing scatter, shapes and kinds of
the gradients, lean generated code, and the errors."""
import inspect

import numpy as np
import pytest

import array_functions as af
from s2sdiff import ArgumentError, S2SDiffError, check_grad, grad, jvp, value_and_grad, vjp
from s2sdiff.errors import NotScalarError, UnsupportedError


def make(spec, rng):
    out = []
    for s in spec:
        if s == ():
            out.append(float(rng.normal()))
        elif s == "i":
            out.append(np.array([0, 2, 2, 1, 3, 0]))
        elif s == "onehot":
            out.append(np.eye(3)[[0, 2, 1, 1]])
        else:
            out.append(rng.normal(size=s))
    return out


def real_positions(args):
    return tuple(i for i, a in enumerate(args)
                 if not (isinstance(a, np.ndarray) and a.dtype.kind in "biu"))


@pytest.mark.parametrize("func, spec", af.CASES,
                         ids=[f"{f.__name__}-{spec}" for f, spec in af.CASES])
@pytest.mark.parametrize("seed", [0, 1])
def test_against_central_differences(func, spec, seed):
    args = make(spec, np.random.default_rng(seed))
    check_grad(func, *args, wrt=real_positions(args))


@pytest.mark.parametrize("func, spec", af.CASES,
                         ids=[f"{f.__name__}-{spec}" for f, spec in af.CASES])
def test_every_gradient_has_its_inputs_shape_and_kind(func, spec):
    args = make(spec, np.random.default_rng(5))
    grads = grad(func, wrt=tuple(range(len(args))))(*args)
    for arg, g in zip(args, grads):
        if isinstance(arg, float):
            assert isinstance(g, float) and np.ndim(g) == 0
        else:
            assert isinstance(g, np.ndarray) and g.shape == arg.shape
            assert g.dtype.kind == "f"
            if arg.dtype.kind in "biu":                    # integer arrays are constants
                assert not g.any()


def test_random_shapes_broadcasting():
    rng = np.random.default_rng(7)
    for _ in range(6):
        n, m = rng.integers(1, 5, size=2)
        for sa, sb in [((n, 1), (m,)), ((n, m), ()), ((), (n, m)), ((1, m), (n, 1)), ((m,), (n, m))]:
            args = [float(rng.normal()) if s == () else rng.normal(size=s) for s in (sa, sb)]
            check_grad(af.arithmetic, *args)
            check_grad(af.elementwise, *args)


def test_seed004_inner_product_closed_form():
    rng = np.random.default_rng(0)
    x, w, y = rng.normal(size=6), rng.normal(size=6), 0.4
    dx, dw, dy = grad(af.inner_sq)(x, w, y)
    b = x @ w - y
    assert np.allclose(dw, 2 * b * x, rtol=1e-14) and np.allclose(dx, 2 * b * w, rtol=1e-14)
    assert dy == pytest.approx(-2 * b, rel=1e-14)


def test_seed004_least_squares_closed_form():
    rng = np.random.default_rng(1)
    X, w, y = rng.normal(size=(8, 3)), rng.normal(size=3), rng.normal(size=8)
    dw = grad(af.least_squares, wrt="w")(X, w, y)
    assert np.allclose(dw, 2 * (X @ w - y) @ X, rtol=1e-13)
    source = grad(af.least_squares, wrt="w").specialize(X, w, y).source
    assert "dw = X.T @ dr" in source and "np.sum" not in source.split("try:")[1]


def test_seed002_staged_dot():
    rng = np.random.default_rng(2)
    W, X, C = rng.normal(size=(3, 4)), rng.normal(size=(4, 5)), rng.normal(size=(3, 5))
    dW, dX, dC = grad(af.staged_dot)(W, X, C)
    assert np.allclose(dW, C @ X.T, rtol=1e-14)          # dW = dD X^T with dD = C
    assert np.allclose(dX, W.T @ C, rtol=1e-14)          # dX = W^T dD
    source = grad(af.staged_dot).specialize(W, X, C).source
    assert "dW = dD @ X.T" in source and "dX = W.T @ dD" in source


def test_mlp_against_hand_written_backprop():
    rng = np.random.default_rng(3)
    W1, b1, W2, b2 = rng.normal(size=(6, 5)), rng.normal(size=5), rng.normal(size=(5, 3)), rng.normal(size=3)
    X, Y = rng.normal(size=(4, 6)), np.eye(3)[[0, 2, 1, 1]]
    got = grad(af.mlp, wrt=(0, 1, 2, 3))(W1, b1, W2, b2, X, Y)
    h = np.tanh(X @ W1 + b1)
    logits = h @ W2 + b2
    p = np.exp(logits - logits.max(1, keepdims=True))
    p /= p.sum(1, keepdims=True)
    dlogits = (p - Y) / 4
    dz = dlogits @ W2.T * (1 - h ** 2)
    for g, e in zip(got, (X.T @ dz, dz.sum(0), h.T @ dlogits, dlogits.sum(0))):
        assert g.shape == e.shape and np.allclose(g, e, rtol=1e-12, atol=1e-15)


def test_softmax_stable_for_large_inputs():
    x, v = np.array([1000.0, 1001.0, 999.0]), np.array([1.0, 2.0, 3.0])
    dx, dv = grad(af.softmax_weighted)(x, v)
    p = np.exp(x - 1001.0) / np.exp(x - 1001.0).sum()
    assert np.all(np.isfinite(dx)) and np.allclose(dv, p) and np.allclose(dx, p * (v - p @ v))


def test_value_and_grad_and_vjp():
    rng = np.random.default_rng(4)
    X, w, y = rng.normal(size=(5, 2)), rng.normal(size=2), rng.normal(size=5)
    value, dw = value_and_grad(af.least_squares, wrt=1)(X, w, y)
    assert value == pytest.approx(np.sum((X @ w - y) ** 2)) and np.allclose(dw, 2 * (X @ w - y) @ X)

    def residual(X, w):
        return np.tanh(X @ w)

    out, pullback = vjp(residual, X, w)
    u = rng.normal(size=5)
    dX, dw = pullback(u)
    assert np.allclose(dw, X.T @ (u * (1 - out ** 2))) and np.allclose(dX, np.outer(u * (1 - out ** 2), w))


def test_indexing_accumulates_repeated_indices():
    def f(x, i):
        return np.sum(x[i] * np.arange(1.0, 5.0))

    x, i = np.zeros(3), np.array([0, 2, 0, 0])
    dx, di = grad(f)(x, i)
    assert dx.tolist() == [1.0 + 3.0 + 4.0, 0.0, 2.0] and di.tolist() == [0.0] * 4
    source = grad(f).specialize(x, i).source
    assert "np.add.at(dx, i, " in source


def test_basic_indexing_scatters_in_place():
    def f(x):
        return np.sum(x[::-1, 1:] ** 2) + x[0, 0] + np.sum(x[x > 0.5])

    x = np.array([[0.2, 0.7, -1.0], [2.0, 0.1, 0.6]])
    dx = grad(f)(x)
    expected = np.zeros_like(x)
    expected[:, 1:] = 2 * x[:, 1:]
    expected[0, 0] += 1
    expected[x > 0.5] += 1
    assert np.allclose(dx, expected, rtol=1e-15)
    source = grad(f).specialize(x).source
    assert "dx[::-1, 1:] += " in source and "add.at" not in source


def test_equal_shapes_make_the_scalar_listing():
    def f(x, y):
        return np.sum(x * y + np.sin(x))

    x, y = np.ones((2, 3)), np.ones((2, 3))
    body = grad(f).specialize(x, y).source.split("try:")[1]
    assert "np.sum(" not in body.split("# backprop")[1] and "broadcast" not in body
    assert "dx = y + np.cos(x)" in body or "dx = np.cos(x) + y" in body or "dx += " in body


def test_broadcast_reduction_only_where_shapes_differ():
    def f(a, b):
        return np.sum(a * b)

    source = grad(f).specialize(np.ones((3, 1)), np.ones(4)).source
    assert "da = np.sum(b * dtp, axis=1, keepdims=True)" in source.replace("atb", "tp") or \
        "axis=1, keepdims=True" in source
    assert "axis=0" in source


def test_inputs_are_never_modified():
    def f(x, y):
        return np.sum(x * y) + np.sum(x) + np.sum(y * y)

    x, y = np.arange(1.0, 4.0), np.arange(4.0, 7.0)
    before = (x.copy(), y.copy())
    dx, dy = grad(f)(x, y)
    assert np.array_equal(x, before[0]) and np.array_equal(y, before[1])
    assert np.allclose(dx, y + 1) and np.allclose(dy, x + 2 * y)


def test_int_and_bool_arrays_are_constants():
    def f(x, mask, k):
        return np.sum(np.where(mask, x, 0.0) * k)

    x, mask, k = np.arange(3.0), np.array([True, False, True]), np.array([1, 2, 3])
    dx, dmask = grad(f, wrt=("x", "mask"))(x, mask, k)
    assert dx.tolist() == [1.0, 0.0, 3.0]
    assert dmask.shape == (3,) and not dmask.any()
    with pytest.raises(ArgumentError, match="'k'"):   # its gradient would be a silent zero
        grad(f)(x, mask, k)


def test_specialises_per_shape_and_reuses():
    g = grad(af.least_squares, wrt="w")
    before = len(g.specializations)
    for m in (13, 15, 13):
        X, w, y = np.ones((m, 2)), np.ones(2), np.zeros(m)
        assert np.allclose(g(X, w, y), 2 * (X @ w - y) @ X)
    assert len(g.specializations) == before + 2


@pytest.mark.parametrize("value, what", [
    (np.array([1.0, "a"], dtype=object), "dtype object"),
    (np.zeros((0, 3)), "empty array"),
    ("a", "str"),
    (np.array([1j]), "complex"),
])
def test_bad_array_arguments_name_the_parameter(value, what):
    with pytest.raises(ArgumentError, match=f"argument 'w' of least_squares.*{what}"):
        grad(af.least_squares)(np.ones((2, 2)), value, np.ones(2))


def test_non_scalar_output_is_refused_with_a_hint():
    def f(x):
        return np.sin(x)

    with pytest.raises(NotScalarError, match="(?s)shape \\(3,\\).*vjp"):
        grad(f)(np.ones(3))


def test_unsupported_array_function_fails_at_generation():
    def f(x):
        return np.sum(np.nanpercentile(x, 30.0))

    with pytest.raises(UnsupportedError) as info:
        grad(f)
    assert "numpy.nanpercentile" in str(info.value) and info.value.lineno == inspect.getsourcelines(f)[1] + 1


def test_unsupported_method_and_attribute():
    def f(x):
        return np.sum(x.conj())

    def g(x):
        return np.sum(x.real)

    with pytest.raises(UnsupportedError, match="conj"):
        grad(f)
    with pytest.raises(UnsupportedError, match="x.real"):
        grad(g)


def test_hessian_of_array_code_is_twice_the_normal_matrix():
    """least squares ||Xw - y||^2 has the Hessian 2 X^T X in w, exactly."""
    from s2sdiff import hessian
    X = np.array([[1.0, 2.0], [0.5, -1.0], [3.0, 0.25]])
    H = hessian(af.least_squares, wrt="w")(X, np.array([0.3, -0.7]), np.array([1.0, 2.0, 3.0]))
    np.testing.assert_allclose(H, 2 * X.T @ X, rtol=1e-13)


def test_scalar_functions_keep_the_scalar_path():
    def f(x, y):
        return x * y + 1.0

    g = grad(f)
    assert not hasattr(g, "specialize")      # no dispatcher in the hot path of scalar code
    assert g(2.0, 3.0) == (3.0, 2.0)


@pytest.mark.parametrize("name", ["least_squares", "staged_dot", "mlp"])
def test_examples_run(name, capsys):
    import runpy
    from pathlib import Path
    path = Path(__file__).resolve().parent.parent / "examples" / f"{name}.py"
    runpy.run_path(str(path), run_name="__main__")
    assert "def grad_" in capsys.readouterr().out


def test_assignment_into_an_argument_is_undone_by_the_gradient():
    """f writes a[0]; its gradient runs that forward code, then puts the old value back
    in the reverse sweep (the steps before it read a), so the caller's array is unchanged
    and the gradient matches f's derivative: d/dy = sum(a) + 2 * 3y * 3."""
    a, y = np.array([0.1, 0.2, 0.3]), 0.7
    da, dy = grad(af.assigns_into_its_argument)(a, y)
    np.testing.assert_array_equal(a, [0.1, 0.2, 0.3])
    np.testing.assert_allclose(da, [0.7, 2 * 0.2 + 0.7, 2 * 0.3 + 0.7])
    assert dy == pytest.approx(0.6 + 18 * 0.7)
    source = grad(af.assigns_into_its_argument).specialize(a, y).source
    assert "a_saved = a[0].copy()" in source and "a[0] = a_saved" in source


def test_an_array_whose_shape_changes_in_a_loop_is_refused():
    with pytest.raises(UnsupportedError, match="first an array of shape \\(3,\\), then an array of shape \\(6,\\)"):
        grad(af.growing_array)(np.ones(3))


def test_arrays_in_a_loop_read_like_backprop_through_time():
    rng = np.random.default_rng(0)
    args = rng.normal(size=(3, 3)), rng.normal(size=(3, 2)), rng.normal(size=(4, 2)), \
        rng.normal(size=3)
    source = grad(af.rnn).specialize(*args).source
    for line in ["tape.append(h)", "h = tape.pop()", "dh3 = np.exp(-2 * np.abs(h3)) * (1 + np.abs(h_2)) ** 2 * dh_2",
                 "dU = dU + np.outer(dh3, h1)", "dxs[t] += dh1", "dh = W.T @ dh3"]:
        assert line in source, line


def test_a_gradient_is_never_the_callers_array():
    s = np.array([1.0, 2.0, 3.0])
    g = grad(af.product_with_itself)(s)
    np.testing.assert_array_equal(s, [1.0, 2.0, 3.0])
    np.testing.assert_array_equal(g, [2.0, 4.0, 6.0])
    assert g is not s
    np.testing.assert_array_equal(grad(af.product_with_itself)(s), [2.0, 4.0, 6.0])


def plain_arithmetic(x, y):                  # no NumPy call: arrays only by the arguments
    return x * y + x


def test_vjp_of_plain_code_on_arrays_sums_broadcasts_back():
    x, y = np.ones((3, 1)), np.arange(4.0)
    out, pullback = vjp(plain_arithmetic, x, y)
    dx, dy = pullback(np.ones((3, 4)))
    assert out.shape == (3, 4) and dx.shape == (3, 1) and dy.shape == (4,)
    np.testing.assert_allclose(dx, np.full((3, 1), 0 + 1 + 2 + 3 + 4.0))
    np.testing.assert_allclose(dy, np.full(4, 3.0))


@pytest.mark.parametrize("func, spec", af.CASES,
                         ids=[f"{f.__name__}-{spec}" for f, spec in af.CASES])
def test_jvp_matches_the_gradient(func, spec):
    """Forward mode over NumPy code (each row's tangent is the row applied to tangents)
    against reverse mode: <grad f, t> = jvp(f, x, t)[1], the dot-product test."""
    args = make(spec, np.random.default_rng(11))
    real = real_positions(args)
    rng = np.random.default_rng(12)
    tangents = tuple(rng.normal(size=np.shape(a)) if i in real else np.zeros(np.shape(a))
                     for i, a in enumerate(args))
    tangents = tuple(float(t) if isinstance(a, float) else t for a, t in zip(args, tangents))
    grads = grad(func, wrt=real)(*args)
    expected = sum(float(np.sum(g * tangents[i])) for g, i in zip(grads, real))
    value, tangent = jvp(func, tuple(a.copy() if isinstance(a, np.ndarray) else a for a in args),
                         tangents)
    assert value == pytest.approx(func(*[a.copy() if isinstance(a, np.ndarray) else a
                                         for a in args]))
    assert float(tangent) == pytest.approx(expected, rel=1e-8, abs=1e-10)


def test_forward_mode_by_columns_needs_scalar_directions():
    """derivative along a float parameter of NumPy code is a column; along an array it
    would be one column per entry: refused, pointing to jvp."""
    from s2sdiff import derivative
    x = np.array([0.3, -0.2, 0.5])
    assert derivative(af.running_values, wrt="w")(x, 0.7) == pytest.approx(
        grad(af.running_values, wrt="w")(x, 0.7))
    with pytest.raises(UnsupportedError, match="jvp with a tangent array"):
        derivative(af.least_squares, wrt="w")(np.ones((3, 2)), np.ones(2), np.ones(3))


def test_jvp_leaves_the_callers_arrays_alone():
    a, y = np.array([0.1, 0.2, 0.3]), 0.7
    a_dot = np.array([1.0, 0.0, 2.0])
    value, tangent = jvp(af.assigns_into_its_argument, (a, y), (a_dot, 0.5))
    np.testing.assert_array_equal(a_dot, [1.0, 0.0, 2.0])
    da, dy = grad(af.assigns_into_its_argument)(np.array([0.1, 0.2, 0.3]), y)
    assert tangent == pytest.approx(float(np.dot(da, a_dot)) + dy * 0.5)
