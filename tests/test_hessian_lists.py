"""Hessians and Hessian-vector products of scalar functions of lists (``def f(xs)`` with
``xs[i]``, ``for v in xs``, ``len(xs)``): forward mode takes a list parameter only as a
tangent list, so ``hessian`` runs one hvp (reverse mode over the generated jvp) per entry,
and ``hvp`` seeds zero and unit tangents shaped like the list.  Checked against closed
forms and against central differences of the generated gradient."""

import math

import numpy as np
import pytest

from s2sdiff import grad, hessian, hvp, jacfwd
from s2sdiff.errors import UnsupportedError


def rosenbrock(x):
    total = 0.0
    for i in range(len(x) - 1):
        total = total + 100.0 * (x[i + 1] - x[i] ** 2) ** 2 + (1 - x[i]) ** 2
    return total


def rosenbrock_hessian(x):
    n = len(x)
    H = np.zeros((n, n))
    for i in range(n - 1):
        H[i, i] += 1200.0 * x[i] ** 2 - 400.0 * x[i + 1] + 2.0
        H[i + 1, i + 1] += 200.0
        H[i, i + 1] += -400.0 * x[i]
        H[i + 1, i] += -400.0 * x[i]
    return H


def weighted(xs, a):
    return a * sum(math.sin(v) * v for v in xs) + a ** 3 * xs[0]


def gradient_columns(f, args, position, h=1e-6):
    """Central differences of the generated gradient along each entry of args[position]."""
    gradient = grad(f)
    columns = []
    for i in range(len(args[position])):
        up, down = [list(a) if isinstance(a, list) else a for a in args], \
            [list(a) if isinstance(a, list) else a for a in args]
        up[position][i] += h
        down[position][i] -= h
        columns.append([(np.asarray(u, dtype=float) - np.asarray(d, dtype=float)) / (2 * h)
                        for u, d in zip(gradient(*up), gradient(*down))])
    return columns


@pytest.mark.parametrize("point", [[1.0, 1.0, 1.0], [-1.2, 1.0, 0.3, 2.0], [0.5, -0.5]])
def test_hessian_of_a_loop_over_a_list_is_the_closed_form(point):
    H = hessian(rosenbrock)(point)
    assert H.shape == (len(point), len(point))
    assert np.allclose(H, rosenbrock_hessian(point), rtol=1e-12, atol=1e-12)


def test_a_tuple_argument_and_the_numpy_spelling_agree():
    point = [0.3, -0.7, 1.1]
    H = hessian(rosenbrock)(point)
    assert np.allclose(hessian(rosenbrock)(tuple(point)), H, rtol=1e-12)
    assert np.allclose(hessian(rosenbrock)(np.array(point)), H, rtol=1e-12)


def test_mixed_list_and_number_blocks_match_differences_of_the_gradient():
    xs, a = [0.4, -1.3, 2.0], 0.7
    (Hxx, Hxa), (Hax, Haa) = hessian(weighted)(xs, a)
    assert np.shape(Hxx) == (3, 3) and np.shape(Hxa) == (3,) and np.shape(Hax) == (3,)
    columns = gradient_columns(weighted, [xs, a], 0)
    for j, (dgx, dga) in enumerate(columns):       # d(grad)/d xs[j]
        assert np.allclose(Hxx[:, j], dgx, rtol=1e-6, atol=1e-7)
        assert Hax[j] == pytest.approx(float(dga), rel=1e-6, abs=1e-7)
    assert np.allclose(Hxx, np.diag([2 * a * math.cos(v) - a * v * math.sin(v) for v in xs]),
                       rtol=1e-12, atol=1e-14)
    expected_xa = [math.sin(v) + v * math.cos(v) for v in xs]
    expected_xa[0] += 3 * a ** 2
    assert np.allclose(Hxa, expected_xa, rtol=1e-12) and np.allclose(Hax, expected_xa, rtol=1e-12)
    assert float(Haa) == pytest.approx(6 * a * xs[0], rel=1e-12)


def test_hvp_of_a_list_parameter_is_the_hessian_times_the_vector():
    point, v = [-1.2, 1.0, 0.3, 2.0], [0.5, -1.0, 2.0, 0.25]
    product = hvp(rosenbrock, (point,), (v,))
    assert np.allclose(product, rosenbrock_hessian(point) @ np.array(v), rtol=1e-12)
    px, pa = hvp(weighted, ([0.4, -1.3, 2.0], 0.7), ([1.0, 0.0, 0.0], 0.0))
    (Hxx, _), (Hax, _) = hessian(weighted)([0.4, -1.3, 2.0], 0.7)
    assert np.allclose(px, Hxx[:, 0], rtol=1e-12) and float(pa) == pytest.approx(Hax[0], rel=1e-12)


def test_the_argument_list_is_not_changed():
    point = [0.3, -0.7, 1.1]
    hessian(rosenbrock)(point)
    hvp(rosenbrock, (point,), ([1.0, 0.0, 0.0],))
    assert point == [0.3, -0.7, 1.1]


def test_forward_mode_by_columns_over_a_list_stays_refused():
    with pytest.raises(UnsupportedError, match="one derivative per element"):
        jacfwd(rosenbrock)([1.0, 2.0])


def product_of_entries(x):
    return x[0] ** 2 * x[1]


def test_scalar_code_given_an_array_indexes_it_as_a_sequence():
    """x[0] ** 2 * x[1] calls no NumPy function: scalar code, its jvp too; given an array
    the Hessian runs reverse mode over that jvp with the array as a sequence."""
    H = hessian(product_of_entries)(np.array([1.5, 2.0]))
    assert np.allclose(H, [[2 * 2.0, 2 * 1.5], [2 * 1.5, 0.0]], rtol=1e-14)
    assert np.allclose(hessian(product_of_entries)([1.5, 2.0]), H, rtol=1e-14)


def pair_of(u):
    return u * u, u + 1.0


def uses_a_pair(x):
    a, b = pair_of(x)
    return a * b                      # (x^2)(x + 1): second derivative 6x + 2


def test_hvp_through_a_helper_returning_a_tuple():
    """Reverse mode over the jvp of a tuple-valued helper: the adjoint of its nested
    (values, tangents) pair adds entry by entry (an internal TypeError before)."""
    assert hvp(uses_a_pair, (1.5,), (1.0,)) == pytest.approx(6 * 1.5 + 2)
    assert hvp(uses_a_pair, (1.5,), (2.0,)) == pytest.approx(2 * (6 * 1.5 + 2))
    assert hessian(uses_a_pair)(1.5) == pytest.approx(6 * 1.5 + 2)
