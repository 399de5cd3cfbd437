"""``x.all()`` and ``x.any()`` (and ``np.all``, ``np.any``) are boolean reductions:
constants for differentiation, so a branch on one differentiates the branch taken; an
array method without a row on an array parameter (``x.tolist()``) is refused with a
message about arrays."""

import numpy as np
import pytest

from s2sdiff import grad, hessian, jacfwd, jacrev
from s2sdiff.errors import UnsupportedError

from differences import central


def positive_part(x):
    if (x > 0).all():
        return np.sum(x ** 2)
    return np.sum(np.sin(x))


def any_large(x):
    if (x > 1).any():
        return np.sum(x ** 3)
    return np.sum(x)


def checked(x):
    if not np.isfinite(x).all():
        raise ValueError("non-finite input")
    return np.sum(x ** 2)


def by_column(x):
    keep = (x > 0).all(axis=0)
    return np.sum(np.where(keep, x ** 2, 3.0 * x))


def function_form(x):
    if np.all(x > 0) and not np.any(x > 5):
        return np.sum(np.log(x))
    return np.sum(x)


POINTS = [np.array([0.5, 2.0]), np.array([-1.0, 0.5]), np.array([0.25, 0.75])]


@pytest.mark.parametrize("f", [positive_part, any_large, checked, function_form])
@pytest.mark.parametrize("x", POINTS, ids=["positive", "mixed", "small"])
def test_gradient_is_the_branch_taken(f, x):
    np.testing.assert_allclose(grad(f)(x), central(f, [x], 0), rtol=1e-6, atol=1e-9)


def test_reduction_along_an_axis_is_a_constant_mask():
    x = np.array([[1.0, -2.0, 0.5], [3.0, 1.0, 2.0]])
    expected = np.where((x > 0).all(axis=0), 2 * x, 3.0)
    np.testing.assert_allclose(grad(by_column)(x), expected)
    np.testing.assert_allclose(grad(by_column)(x), central(by_column, [x], 0), rtol=1e-6)


def test_the_users_error_still_raises():
    with pytest.raises(ValueError, match="non-finite input"):
        grad(checked)(np.array([1.0, np.nan]))


def test_forward_mode_and_second_order():
    def f(x):
        if (x > 0).all():
            return np.sin(x) * 2.0
        return x

    x = np.array([0.5, 1.0])
    np.testing.assert_allclose(jacfwd(f)(x), np.diag(2.0 * np.cos(x)))
    np.testing.assert_allclose(jacrev(f)(x), np.diag(2.0 * np.cos(x)))
    np.testing.assert_allclose(hessian(positive_part)(x), 2.0 * np.eye(2))
    y = np.array([-0.5, 1.0])
    np.testing.assert_allclose(hessian(positive_part)(y), np.diag(-np.sin(y)))


def test_tolist_of_an_array_parameter_is_refused_about_arrays():
    def f(x):
        vals = x.tolist()
        return sum(v ** 2 for v in vals)

    with pytest.raises(UnsupportedError) as info:
        grad(f)(np.array([1.0, 2.0]))
    message = str(info.value)
    assert "`x.tolist(...)`" in message and "NumPy array" in message
    assert "`x[i]`" in message and "for v in x" in message
    assert "dataclass" not in message and "class defined in your files" not in message
    assert info.value.source_line.strip() == "vals = x.tolist()"


def test_other_array_method_without_a_row_names_the_numpy_function():
    """(x.argmax() has a row now, hunt 5: x.argpartition is an array method without one.)"""
    def f(x):
        return np.sum(x * x.argpartition(1))

    with pytest.raises(UnsupportedError, match=r"np\.argpartition\(x, \.\.\.\)") as info:
        grad(f)(np.array([1.0, 2.0]))
    assert "array methods s2sdiff knows are all, any, " in str(info.value)
