"""Checkpointing (``grad(f, checkpoint=...)``): the plain tape's gradient, bounded memory.

1. checkpointed gradients equal the plain tape's (to 1e-12 relative) and central
   differences, on scalar and NumPy-state loops, for trip counts that are and are not
   multiples of the segment length;
2. ``schedules.Revolve`` simulated: every step reversed once, last to first, from the
   right state; snapshots never above the limit; untaped steps equal to the revolve bound
   (checked against a brute-force optimum) and no step run more than r times;
3. tracemalloc: a 100,000-step loop peaks far below the plain tape;
4. the emitted source of one small loop, byte for byte (tests/golden/);
5. clear errors, at generation time, for what the schedules cannot drive.
"""

import functools
import math
import os
import pathlib
import tracemalloc

import numpy as np
import pytest

import checkpoint_functions as cf
from differences import central
from s2sdiff import S2SDiffError, UnsupportedError, grad, value_and_grad, vjp
from s2sdiff.reverse.schedules import Report, Revolve, revolve_advances, sqrt_segment

GOLDEN = pathlib.Path(__file__).parent / "golden"
SCHEDULES = ["sqrt", ("binomial", 1), ("binomial", 2), ("binomial", 3), ("binomial", 5),
             ("binomial", 500), ("binomial", 2, 3), ("binomial", 3, 4)]
TRIPS = [0, 1, 2, 7, 10, 11, 100]


def close(a, b, rel=1e-12):
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    return np.allclose(a, b, rtol=rel, atol=rel * max(1.0, float(np.max(np.abs(b)))))


def assert_same(got, want, rel=1e-12):
    got = got if isinstance(got, tuple) else (got,)
    want = want if isinstance(want, tuple) else (want,)
    assert len(got) == len(want)
    for g, w in zip(got, want):
        assert close(g, w, rel), (g, w)


# 1. the plain tape's gradient ---------------------------------------------------

SCALAR_CASES = [
    (cf.logistic, (0.3, 2.5), ("x", "r")),
    (cf.euler, (0.7, 0.05), ("x", "h")),
    (cf.oscillator, (0.4, 0.2, 1.3), ("q", "p", "k")),
    (cf.skipping, (0.2, 0.3), ("x", "a")),
    (cf.before_and_after, (0.3,), ("a",)),
    (cf.two_loops, (0.5, 0.8), ("x", "y")),
    (cf.stepping, (0.4,), ("x",)),
    (cf.calls_helper, (0.3, 0.8), ("x", "a")),
]


@pytest.mark.parametrize("schedule", SCHEDULES, ids=str)
@pytest.mark.parametrize("func, args, wrt", SCALAR_CASES, ids=lambda c: getattr(c, "__name__", ""))
def test_scalar_loops_match_the_tape_and_central_differences(func, args, wrt, schedule):
    plain = grad(func, wrt=wrt)
    checked = grad(func, wrt=wrt, checkpoint=schedule)
    for n in TRIPS:
        want = plain(*args, n)
        assert_same(checked(*args, n), want)
        for k in range(len(args)):
            numeric = central(lambda *a: func(*a, n), args, k)
            assert close((want if isinstance(want, tuple) else (want,))[k], numeric, 1e-6)


@pytest.mark.parametrize("schedule", SCHEDULES, ids=str)
def test_value_and_grad_and_vjp_match_the_tape(schedule):
    for n in TRIPS:
        assert_same(value_and_grad(cf.euler, checkpoint=schedule)(0.7, 0.05, n)[1],
                    value_and_grad(cf.euler)(0.7, 0.05, n)[1])
        value, pullback = vjp(cf.logistic, 0.3, 2.5, n, checkpoint=schedule)
        assert value == cf.logistic(0.3, 2.5, n)
        assert_same(pullback(2.0), vjp(cf.logistic, 0.3, 2.5, n)[1](2.0))
        assert value_and_grad(cf.euler, checkpoint=schedule)(0.7, 0.05, n)[0] \
            == cf.euler(0.7, 0.05, n)


@pytest.mark.parametrize("schedule", SCHEDULES, ids=str)
def test_numpy_state_matches_the_tape_and_central_differences(schedule):
    rng = np.random.default_rng(0)
    x, a = rng.normal(size=5), 0.7
    W, b = 0.4 * rng.normal(size=(4, 4)), 0.1 * rng.normal(size=4)
    x4 = rng.normal(size=4)
    array_plain = grad(cf.array_state, wrt=("x", "a"))
    array_checked = grad(cf.array_state, wrt=("x", "a"), checkpoint=schedule)
    rnn_plain = grad(cf.rnn, wrt=("W", "b", "x"))
    rnn_checked = grad(cf.rnn, wrt=("W", "b", "x"), checkpoint=schedule)
    for n in TRIPS:
        want = array_plain(x, a, n)
        assert_same(array_checked(x, a, n), want)
        assert close(want[0], central(lambda x, a: cf.array_state(x, a, n), [x, a], 0), 1e-6)
        assert close(want[1], central(lambda x, a: cf.array_state(x, a, n), [x, a], 1), 1e-6)
        want = rnn_plain(W, b, x4, n)
        assert_same(rnn_checked(W, b, x4, n), want)
        for k in range(3):
            assert close(want[k], central(lambda *p: cf.rnn(*p, n), [W, b, x4], k), 1e-6)


@pytest.mark.parametrize("schedule", ["sqrt", ("binomial", 2, 2)], ids=str)
def test_options_and_argument_forms_keep_the_gradient(schedule):
    for n in (1, 5, 12):
        want = grad(cf.logistic, wrt=("x", "r"))(0.3, 2.5, n)
        assert_same(grad(cf.logistic, wrt=("x", "r"), optimize=False,
                         checkpoint=schedule)(0.3, 2.5, n), want)
        assert_same(grad(cf.logistic, wrt=("x", "r"), explain=True,
                         checkpoint=schedule)(0.3, 2.5, n), want)
        assert_same(grad(cf.last_value, checkpoint=schedule)(0.3, n), grad(cf.last_value)(0.3, n))
        tree = {"x": 0.3, "a": 0.9}
        got = grad(cf.with_tree, wrt="p", checkpoint=schedule)(tree, n)
        want = grad(cf.with_tree, wrt="p")(tree, n)
        assert got.keys() == want.keys() and all(close(got[k], want[k]) for k in got)
    x = np.array([0.3, 0.4])            # scalar code given arrays: specialised on them
    value, pullback = vjp(cf.logistic, x, 2.5, 7, checkpoint=schedule)
    assert_same(pullback(np.ones(2)), vjp(cf.logistic, x, 2.5, 7)[1](np.ones(2)))
    with pytest.raises(S2SDiffError, match="not trees"):
        vjp(cf.with_tree, {"x": 0.3, "a": 0.9}, 3, checkpoint=schedule)
    with pytest.raises(UnboundLocalError):     # y unbound, as in the user's function
        grad(cf.last_value, checkpoint=schedule)(0.3, 0)


def test_the_report_counts_snapshots_tape_and_recomputation():
    sqrt = grad(cf.logistic, checkpoint="sqrt").checkpoint_report
    assert sqrt == Report("sqrt")
    assert (sqrt.snapshots(100), sqrt.tape_steps(100), sqrt.recomputed(100)) == (10, 10, 100)
    assert (sqrt.snapshots(101), sqrt.tape_steps(101), sqrt.recomputed(101)) == (10, 11, 101)
    assert (sqrt.snapshots(0), sqrt.tape_steps(0), sqrt.recomputed(0)) == (0, 0, 0)
    binomial = grad(cf.logistic, checkpoint=("binomial", 3)).checkpoint_report
    assert (binomial.snapshots(100), binomial.tape_steps(100)) == (3, 1)
    assert Report("binomial", 3, 8).tape_steps(100) == 8
    assert binomial.recomputed(100) == revolve_advances(100, 3)
    assert "binomial" in str(binomial) and "sqrt" in str(sqrt)
    dispatcher = grad(cf.array_state, checkpoint=("binomial", 4))
    assert dispatcher.checkpoint_report == Report("binomial", 4)


def test_a_loop_that_stores_nothing_is_left_as_it_is():
    g = grad(cf.constant_loop, wrt="x", checkpoint="sqrt")
    assert g(2.0, 5) == 10.0
    assert "nothing to checkpoint" in g.source and "snapshots" not in g.source


def test_the_cache_keeps_schedules_apart():
    assert grad(cf.logistic, checkpoint="sqrt") is grad(cf.logistic, checkpoint="sqrt")
    assert grad(cf.logistic, checkpoint="sqrt") is not grad(cf.logistic)
    assert grad(cf.logistic, checkpoint=("binomial", 2)) is not \
        grad(cf.logistic, checkpoint=("binomial", 3))


# 2. the binomial schedule ------------------------------------------------------

def simulate(n, s, tape=1):
    """Run ``Revolve(n, s, tape)`` on integer states; returns (untaped runs per step, most
    snapshots held); asserts every step is reversed once, last to first, from its state,
    from a tape of at most ``tape`` steps."""
    schedule = Revolve(n, s, tape)
    stack, state, runs, reversed_steps, peak = [], 0, [0] * n, [], 0

    def apply(action, start, stop):
        nonlocal state, peak
        if action == "store":
            assert state == start
            stack.append(state)
        elif action == "advance":
            assert state == start < stop
            for k in range(start, stop):
                runs[k] += 1
            state = stop
        elif action == "restore":
            assert stack[-1] == start
            state = stack[-1]
        elif action == "drop":
            assert stack.pop() == start
        else:
            assert action == "reverse" and state == start < stop <= start + tape
            reversed_steps.extend(range(stop - 1, start - 1, -1))
            state = None
        peak = max(peak, len(stack))

    for action in schedule.forward:
        assert action[0] in ("store", "advance")
        apply(*action)
    if n:
        assert state == schedule.last and n - tape <= schedule.last < n
        reversed_steps.extend(range(n - 1, schedule.last - 1, -1))   # taped by the forward
        state = None
    for action in schedule.reverse:
        apply(*action)
    assert reversed_steps == list(range(n - 1, -1, -1))
    assert stack == []
    return runs, peak


@functools.lru_cache(maxsize=None)
def fewest(n, s):
    """The fewest untaped steps by brute force over the first snapshot's place."""
    if n <= 1:
        return 0
    if s == 1:
        return n * (n - 1) // 2
    return min(d + fewest(n - d, s - 1) + fewest(d, s) for d in range(1, n))


@pytest.mark.parametrize("s", [1, 2, 3, 4, 6])
def test_revolve_is_optimal_and_within_its_snapshots(s):
    for n in range(0, 90):
        runs, peak = simulate(n, s)
        assert peak <= s
        assert sum(runs) == revolve_advances(n, s) == fewest(n, s)
        r = 0
        while math.comb(s + r, s) < n:
            r += 1
        assert max(runs, default=0) <= r      # no step runs more often than r times


@pytest.mark.parametrize("s, tape", [(1, 3), (2, 2), (3, 5), (4, 7)])
def test_revolve_over_blocks_keeps_its_bounds(s, tape):
    for n in range(0, 120):
        runs, peak = simulate(n, s, tape)
        assert peak <= s
        assert sum(runs) == Report("binomial", s, tape).recomputed(n)
        if n % tape == 0:                 # revolve over whole blocks
            assert sum(runs) == tape * revolve_advances(n // tape, s)


def test_revolve_on_a_long_loop():
    runs, peak = simulate(100_000, 20)
    assert peak == 20
    assert sum(runs) == revolve_advances(100_000, 20) < 6 * 100_000
    runs, peak = simulate(100_000, 20, 10)
    assert peak <= 20 and sum(runs) < 4 * 100_000


def test_sqrt_segment():
    assert [sqrt_segment(n) for n in (0, 1, 2, 4, 5, 9, 10, 100, 101)] == \
        [1, 1, 2, 2, 3, 3, 4, 10, 11]


# 3. memory ---------------------------------------------------------------------

def peak_bytes(function, *args):
    function(*args)              # generated and warm
    tracemalloc.start()
    try:
        function(*args)
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_a_long_loop_peaks_far_below_the_plain_tape():
    n = 100_000
    plain = peak_bytes(grad(cf.long_loop, wrt="x"), 0.5, n)
    assert plain > 2_000_000                   # a float and a list slot per step
    for schedule in ("sqrt", ("binomial", 20)):
        checked = grad(cf.long_loop, wrt="x", checkpoint=schedule)
        assert checked(0.5, n) == pytest.approx(grad(cf.long_loop, wrt="x")(0.5, n), rel=1e-12)
        assert peak_bytes(checked, 0.5, n) < plain / 10, schedule


# 4. the emitted source ---------------------------------------------------------

def test_sqrt_source_matches_golden():
    source = grad(cf.logistic, wrt=("x", "r"), checkpoint="sqrt").source
    path = GOLDEN / "checkpoint_sqrt_logistic.py"
    if os.environ.get("S2SDIFF_UPDATE_GOLDEN"):
        path.write_text(source)
    assert source == path.read_text()


# 5. errors ---------------------------------------------------------------------

@pytest.mark.parametrize("func, args, construct, snippet", [
    (cf.while_loop, (), "checkpointed while loop", "while x < 10.0:"),
    (cf.breaking, (5,), "checkpointed loop with break", "for i in range(n):"),
    (cf.over_list, ([1.0, 2.0],), "checkpointed for loop", "for c in coefficients:"),
    (cf.in_branch, (3,), "checkpointed loop inside a branch", "for i in range(n):"),
    (cf.no_loop, (), "checkpoint= on a function without a loop", "def no_loop(x):"),
    (cf.appending, (3,), "checkpointed loop writing in place", "for i in range(n):"),
], ids=lambda c: getattr(c, "__name__", None))
def test_unsupported_loops_are_refused_at_generation(func, args, construct, snippet):
    for schedule in ("sqrt", ("binomial", 4)):
        with pytest.raises(UnsupportedError) as info:
            grad(func, wrt="x", checkpoint=schedule)
        error = info.value
        assert error.construct == construct
        assert error.filename.endswith("checkpoint_functions.py")
        assert error.source_line.strip() == snippet
        assert "checkpoint" in str(error) and error.hint
        grad(func, wrt="x")(0.5, *args)        # the plain tape is fine


def test_numpy_loops_writing_in_place_are_refused_when_specialised():
    g = grad(cf.writes_array, wrt="x", checkpoint="sqrt")
    with pytest.raises(UnsupportedError, match="in place") as info:
        g(np.ones(3), 3)
    assert info.value.source_line.strip() == "for i in range(n):"


@pytest.mark.parametrize("value, message", [
    ("binomial", "snapshot count"),
    (("binomial", 0), "at least 1"),
    (("binomial", True), "at least 1"),
    (("binomial", 2.5), "at least 1"),
    (("binomial", 2, 0), "tape length must be an int of at least 1"),
    (("binomial", 2, 3, 4), "must be None"),
    ("log", "must be None"),
    (3, "must be None"),
    (("sqrt", 3), "must be None"),
])
def test_bad_checkpoint_values_are_named(value, message):
    with pytest.raises(S2SDiffError, match=message) as info:
        grad(cf.logistic, checkpoint=value)
    assert info.value.construct == "checkpoint"


def test_other_backends_are_refused():
    with pytest.raises(S2SDiffError, match="default backend"):
        grad(cf.logistic, checkpoint="sqrt", backend="numba")
