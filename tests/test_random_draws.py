"""Random draws in differentiated code (s2sdiff/purity.py): a draw evaluated once, outside
loops, is the gradient for that draw (value_and_grad agrees with itself); a draw the
reverse sweep of a loop, or checkpoint=, would evaluate again is refused at generation,
at its line.  Before, the loop's reverse drew again and the gradient belonged to other
numbers than the value (value_and_grad of s * (0.9 + 0.1 e) returned value != gradient)."""

import random

import numpy as np
import pytest

from s2sdiff import grad, value_and_grad
from s2sdiff.errors import UnsupportedError

RNG = np.random.default_rng(5)


def loop_with_gauss(x, n):
    s = x
    for i in range(n):
        s = s * 0.9 + random.gauss(0.0, 1.0) * s * 0.1
    return s


def loop_with_numpy_draw(x, n):
    s = x
    for i in range(n):
        s = s * (0.9 + 0.1 * np.random.normal())
    return s


def loop_with_generator(w, n):
    total = 0.0
    for i in range(n):
        total = total + np.sum(w * RNG.normal(size=3)) ** 2
    return total


def jitter():
    return 1.0 + 0.01 * random.random()


def loop_calling_a_helper_that_draws(x, n):
    s = x
    for i in range(n):
        s = s * jitter() * x
    return s


def noise_drawn_before_the_loop(x, n):
    noise = RNG.normal(size=n)
    s = x
    for i in range(n):
        s = s * (0.9 + 0.1 * noise[i])
    return s


def draw_outside_loops(w):
    eps = RNG.normal(size=3)
    return np.sum(w * eps) ** 2 + np.sum(eps)


@pytest.mark.parametrize("f, point", [(loop_with_gauss, (1.0, 5)),
                                      (loop_with_numpy_draw, (1.0, 5)),
                                      (loop_with_generator, (np.ones(3), 4)),
                                      (loop_calling_a_helper_that_draws, (1.5, 3))])
def test_a_draw_the_loops_reverse_would_redraw_is_refused(f, point):
    with pytest.raises(UnsupportedError, match="gives a new value at each call") as raised:
        grad(f, wrt=0)(*point)
    assert "line" in str(raised.value) and "Draw the numbers before the loop" in str(raised.value)


def test_checkpoint_refuses_a_draw_in_the_loop_even_when_not_recomputed():
    def accumulate(x, n):
        s = x
        for i in range(n):
            s = s + x * 0.5 + random.random() * 0.0
        return s
    with pytest.raises(UnsupportedError, match="checkpoint= runs the loop's steps again"):
        grad(accumulate, wrt="x", checkpoint="sqrt")(1.0, 10)


def test_noise_drawn_before_the_loop_gives_the_gradient_of_that_draw():
    value, gradient = value_and_grad(noise_drawn_before_the_loop, wrt="x")(2.0, 20)
    assert gradient == pytest.approx(value / 2.0, rel=1e-12)      # s_n is linear in x


def test_a_draw_outside_loops_is_evaluated_once():
    w = np.array([0.5, -1.0, 2.0])
    for _ in range(3):
        value, gradient = value_and_grad(draw_outside_loops)(w)
        # value = (w . eps)^2 + sum(eps) and gradient = 2 (w . eps) eps: eps up to its sign
        # from the gradient; the value must be that of the same draw
        square = np.dot(w, gradient) / 2.0                        # (w . eps)^2
        eps = gradient / 2.0 / np.sqrt(square)                    # +-eps
        assert min(abs(value - (square + np.sum(eps))),
                   abs(value - (square - np.sum(eps)))) < 1e-9 * max(1.0, abs(value))
