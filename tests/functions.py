"""A corpus of straight-line scalar functions shared by the tests (like Tangent's
tests/functions.py).

Every function is plain Python over 1-4 float parameters and stays inside the current
scope of s2sdiff: arithmetic, reassignment, augmented assignment, tuple unpacking, the
math functions and builtins of the rule table, constants read from modules, module
globals and closures, and piecewise-constant calls (floor, round).

``CASES`` is the table the tests read: one ``Case`` per function with a point where the
function is smooth and well inside its domain (no ties for max/min, no zero for abs, no
integer boundary for floor/round/%), and for some of them a hand-worked closed form of
the gradient (always a tuple in parameter order).
"""

import math
from dataclasses import dataclass

SCALE = 2.5                 # a module-level constant read by module_constant
OFFSET = -0.75


# --- operators ------------------------------------------------------------------------

def add_sub_mul(x, y):
    return x + y - 3.0 * x * y


def division(x, y):
    return x / y


def power_constant(x):
    return x ** 3


def power_negative_and_fractional(x):
    return x ** -2 + x ** 0.5 + 2.0 ** x


def power_both_active(x):
    return x ** x


def power_two_params(x, y):
    return x ** y


def modulo(x, y):
    return x % y + (x * y) % 1.5


def modulo_plain(x, y):
    return x % y


def unary_minus(x, y):
    return -x * y + -(x - y)


def unary_plus(x):
    return +x * 2.0 + +(x * x)


def x_times_x(x):
    return x * x


def integer_literals(x):
    return 2 * x + 1


def self_cancelling(x, y):
    return x - x + y / y + x * y


# --- math and builtins ----------------------------------------------------------------

def sigmoid(x):
    return 1 / (1 + math.exp(-x))


def exp_and_log(x):
    return math.exp(x) + math.log(x)


def expm1_log1p(x):
    return math.expm1(x) * math.log1p(x)


def log_base_two(x):
    return math.log(x, 2)


def log_active_base(x, b):
    return math.log(x, b)


def log2_log10(x):
    return math.log2(x) + 3.0 * math.log10(x)


def sqrt_norm(x, y):
    return math.sqrt(x * x + y * y)


def trig(x):
    return math.sin(x) * math.cos(x) + math.tan(x)


def inverse_trig(x):
    return math.asin(x) + x * math.acos(x) + math.atan(x)


def atan2_angle(y, x):
    return math.atan2(y, x)


def hyperbolic(x):
    return math.sinh(x) + math.cosh(x) * math.tanh(x)


def inverse_hyperbolic(x):
    return math.asinh(x) + math.acosh(1 + x * x) + math.atanh(x / 2)


def error_functions(x):
    return math.erf(x) * math.erfc(x)


def gamma_functions(x):
    return math.gamma(x) * math.lgamma(x + 1.0)


def float_remainder(x, y):
    return math.fmod(x, y) * x


def angle_units_and_sign(x, y):
    return math.degrees(x) * math.radians(y) + math.copysign(x, y)


def powers_as_calls(x, y):
    return math.pow(x, y) + pow(y, 2.0)


def hypot_two(x, y):
    return math.hypot(x, y)


def hypot_three(x, y, z):
    return math.hypot(x, y, z)


def absolute_values(x, y):
    return math.fabs(x) * abs(y) + abs(x - y)


def float_call(x):
    return float(x) * 2.0


def max_of_three(x, y, z):
    return max(x, y, z)


def min_of_two(x, y):
    return min(x, y) * x


def minus_min(x, y):
    return x - min(x, y)


def negated_abs(x):
    return -abs(x)


def max_min_mixed(x, y, z):
    return max(x * y, z) - min(x, y, z) + max(x, 0.0)


# --- assignment -----------------------------------------------------------------------

def reassign_params(x, y):
    x = x * y
    x = math.sin(x)
    y = x + y
    return x * y


def augmented_assignments(x, y):
    z = x
    z += y
    z -= 2.0 * x
    z *= y
    z /= x
    z **= 2
    return z


def augmented_params(x, y):
    x += 1.0
    x *= x
    y -= x
    y /= 3.0
    y **= 3
    return x + y


def swap(a, b):
    a, b = b, a
    return a * b ** 2


def swap_twice(a, b, c):
    a, b = b, a
    b, c = c, b
    return a + 2 * b + 3 * c * a


def tuple_unpacking(x, y):
    u, v = x + y, x * y
    u, v = v, u - v
    return u / v


def chained_assignment(x):
    a = b = x * 2.0
    return a * b + a


def annotated_assignment(x: float, y: float) -> float:
    """A docstring, annotations and a string statement are not computation."""
    z: float = x * y
    "a bare string in the body"
    return z + x


# --- structure of the expression graph ------------------------------------------------

def accumulation(x):
    t = x * x + x + 3.0 * x - x / 2.0
    u = math.sin(x) * x + t * x
    return u + x * t - x


def deep_nesting(x, y):
    return math.exp(math.sin(math.log(1 + x * (y - math.cos(x / (1 + y ** 2))))))


def repeated_subexpression(x, y):
    return (x * y + 1) * math.sin(x * y + 1) + (x * y + 1) ** 2 + math.sin(x * y + 1)


def seed_staged(x, y):
    sigy = 1.0 / (1 + math.exp(-y))
    num = x + sigy
    sigx = 1.0 / (1 + math.exp(-x))
    xpy = x + y
    xpysqr = xpy**2
    den = sigx + xpysqr
    invden = 1.0 / den
    f = num * invden
    return f


def four_params(a, b, c, d):
    return a * b - c / d + d * math.exp(a - c)


def rational(x, y):
    return (x ** 2 - y) / (1 + x ** 2 + y ** 2)


def logsumexp(x, y):
    m = max(x, y)
    return m + math.log(math.exp(x - m) + math.exp(y - m))


def softplus(x):
    return math.log1p(math.exp(x))


def gaussian(x, mu, sigma):
    return math.exp(-0.5 * ((x - mu) / sigma) ** 2) / (sigma * math.sqrt(2 * math.pi))


def temp_name_collisions(x, y):
    xty = 0.5
    sinx = x + 1.0
    return x * y + xty * math.sin(x) + sinx


# --- constants ------------------------------------------------------------------------

def module_constant(x):
    return SCALE * x + math.pi * x ** 2 + math.e + OFFSET


def make_scaled(factor):
    def scaled(x, y):
        return factor * x * y + factor
    return scaled


closure_constant = make_scaled(3.0)


# --- names ----------------------------------------------------------------------------

def d_prefixed_names(dx, x):
    den = dx * x + 1.0
    dden = den * den
    return dden + dx ** 2 / den


def adjoint_lookalike(en, x):
    den = en * 2.0 + x
    dx = den * x
    return den * en + dx


def param_named_d(d, dd):
    return d * dd + d ** 2


# --- degenerate -----------------------------------------------------------------------

def unused_param(x, y):
    return x ** 2


def return_param(x):
    return x


def return_second_param(x, y):
    return y


def return_constant(x):
    return 2.5


def param_with_default(x, y=2.0):
    return x * y


# --- piecewise constant ---------------------------------------------------------------

def floor_times(x, y):
    return math.floor(x) * y


def round_and_floor(x, y):
    return round(x) * y + math.floor(y * 2.0) * x + x * y


# --- the table ------------------------------------------------------------------------

@dataclass
class Case:
    func: object
    point: tuple
    gradient: object = None     # closed form: point -> tuple in parameter order
    wrt: object = None          # None: every parameter; else a tuple of parameter names

    @property
    def name(self):
        return self.func.__name__


def _sig(u):
    return 1 / (1 + math.exp(-u))


CASES = [
    Case(add_sub_mul, (0.7, -1.3), lambda x, y: (1 - 3.0 * y, 1 - 3.0 * x)),
    Case(division, (1.7, -0.6), lambda x, y: (1 / y, -x / y ** 2)),
    Case(power_constant, (1.3,), lambda x: (3 * x ** 2,)),
    Case(power_negative_and_fractional, (1.4,),
         lambda x: (-2 * x ** -3 + 0.5 * x ** -0.5 + 2.0 ** x * math.log(2.0),)),
    Case(power_both_active, (1.6,), lambda x: (x ** x * (math.log(x) + 1),)),
    Case(power_two_params, (1.8, 0.7), lambda x, y: (y * x ** (y - 1), x ** y * math.log(x))),
    Case(modulo, (2.3, 0.9), lambda x, y: (1.0 + y, -math.floor(x / y) + x)),
    Case(modulo_plain, (2.3, 0.9), lambda x, y: (1.0, -2.0)),
    Case(unary_minus, (0.8, 1.9), lambda x, y: (-y - 1, -x + 1)),
    Case(unary_plus, (0.4,)),
    Case(x_times_x, (-1.7,), lambda x: (2 * x,)),
    Case(integer_literals, (0.3,), lambda x: (2.0,)),
    Case(self_cancelling, (1.2, 0.8), lambda x, y: (y, x)),
    Case(sigmoid, (0.6,), lambda x: (_sig(x) * (1 - _sig(x)),)),
    Case(exp_and_log, (1.3,), lambda x: (math.exp(x) + 1 / x,)),
    Case(expm1_log1p, (0.8,)),
    Case(log_base_two, (2.7,), lambda x: (1 / (x * math.log(2)),)),
    Case(log_active_base, (2.7, 1.9)),
    Case(log2_log10, (1.7,)),
    Case(sqrt_norm, (0.6, -1.1), lambda x, y: (x / math.hypot(x, y), y / math.hypot(x, y))),
    Case(trig, (0.5,)),
    Case(inverse_trig, (0.35,)),
    Case(atan2_angle, (0.7, -1.2), lambda y, x: (x / (x * x + y * y), -y / (x * x + y * y))),
    Case(hyperbolic, (0.45,)),
    Case(inverse_hyperbolic, (0.6,)),
    Case(error_functions, (0.3,)),
    Case(gamma_functions, (1.7,)),
    Case(float_remainder, (2.3, 0.9), lambda x, y: (math.fmod(x, y) + x, -2.0 * x)),
    Case(angle_units_and_sign, (0.7, -1.3),
         lambda x, y: (math.degrees(1.0) * math.radians(y) - 1.0, math.degrees(x) * math.pi / 180)),
    Case(powers_as_calls, (1.5, 0.8)),
    Case(hypot_two, (0.6, -1.1), lambda x, y: (x / math.hypot(x, y), y / math.hypot(x, y))),
    Case(hypot_three, (0.6, -1.1, 2.3),
         lambda x, y, z: tuple(v / math.sqrt(x * x + y * y + z * z) for v in (x, y, z))),
    Case(absolute_values, (-0.7, 1.4)),
    Case(float_call, (1.1,), lambda x: (2.0,)),
    Case(max_of_three, (0.2, 1.7, -0.4), lambda x, y, z: (0.0, 1.0, 0.0)),
    Case(min_of_two, (0.9, 1.6), lambda x, y: (2 * x, 0.0)),
    Case(minus_min, (1.9, 0.6), lambda x, y: (1.0, -1.0)),
    Case(negated_abs, (0.5,), lambda x: (-1.0,)),
    Case(max_min_mixed, (0.8, 1.3, 0.5)),
    Case(reassign_params, (0.7, 1.2)),
    Case(augmented_assignments, (1.3, 0.6)),
    Case(augmented_params, (0.4, 1.9)),
    Case(swap, (1.3, -0.8), lambda a, b: (2 * a * b, a ** 2)),
    Case(swap_twice, (0.5, 1.5, -2.0)),
    Case(tuple_unpacking, (1.1, 0.7)),
    Case(chained_assignment, (0.9,), lambda x: (8 * x + 2.0,)),
    Case(annotated_assignment, (0.4, 2.2), lambda x, y: (y + 1, x)),
    Case(accumulation, (0.8,)),
    Case(deep_nesting, (0.7, 0.4)),
    Case(repeated_subexpression, (0.6, 0.9)),
    Case(seed_staged, (3.0, -4.0)),
    Case(four_params, (0.3, -1.2, 0.8, 1.7)),
    Case(rational, (0.7, -0.4)),
    Case(logsumexp, (0.3, 1.1),
         lambda x, y: (math.exp(x) / (math.exp(x) + math.exp(y)),
                       math.exp(y) / (math.exp(x) + math.exp(y)))),
    Case(softplus, (-0.4,), lambda x: (_sig(x),)),
    Case(gaussian, (0.4, -0.3, 1.3)),
    Case(temp_name_collisions, (0.9, 1.4), lambda x, y: (y + 0.5 * math.cos(x) + 1.0, x)),
    Case(module_constant, (0.6,), lambda x: (SCALE + 2 * math.pi * x,)),
    Case(closure_constant, (0.6, -1.4), lambda x, y: (3.0 * y, 3.0 * x)),
    Case(d_prefixed_names, (0.7, 1.3)),
    Case(adjoint_lookalike, (0.8, 1.5), lambda en, x: (4 * en + 3 * x, 3 * en + 2 * x)),
    Case(param_named_d, (1.2, -0.5), lambda d, dd: (dd + 2 * d, d)),
    Case(unused_param, (1.3, 0.4), lambda x, y: (2 * x, 0.0)),
    Case(return_param, (0.9,), lambda x: (1.0,)),
    Case(return_second_param, (0.9, -0.2), lambda x, y: (0.0, 1.0)),
    Case(return_constant, (0.9,), lambda x: (0.0,)),
    Case(param_with_default, (0.9, 1.7), lambda x, y: (y, x)),
    Case(floor_times, (2.5, 1.3), lambda x, y: (0.0, 2.0)),
    Case(round_and_floor, (2.3, 0.8), lambda x, y: (1.0 + y, 2.0 + x)),
]

FUNCTIONS = [case.func for case in CASES]


# ======================================================================================
# --- control flow ---------------------------------------------------------------------
# ======================================================================================
#
# Functions with branches, conditional expressions, and/or/not, several returns, loops
# (for over range/lists/tuples/enumerate/zip, while, break, continue, nesting), calls to
# the user's own functions (keyword arguments, defaults, a helper calling a helper,
# recursion) and lists (reading xs[i], v[i] = ..., v.append).  They are NOT in CASES,
# whose functions stay straight-line: their table is CONTROL_CASES below, read by
# tests/test_control.py.
#
# Parameters are floats except where a comment says "list" (a list of floats) or "int"
# (a trip count or a recursion depth, never differentiated).  A Case whose function takes
# an int names the differentiated parameters in ``wrt``: a tuple of names in parameter
# order.  A closed form returns the gradient with respect to ``wrt`` (every parameter when
# ``wrt`` is None), in parameter order; the gradient of a list parameter is a list of the
# same length (the tests accept any sequence).  Every point is away from branch switches
# and trip-count changes, and every closed form matches central differences of the
# function itself: tests/test_control.py checks both without s2sdiff.


# --- if / elif / else -----------------------------------------------------------------

def if_on_param(x, y):
    if x > 0:
        z = x * y
    else:
        z = x - y
    return z * z


def if_else_returns(x, y):
    if x > y:
        return x * y
    else:
        return x + y * y


def if_on_active_value(x):
    t = math.sin(x)
    if t > 0.5:
        r = t * t
    else:
        r = 2.0 * t
    return r + x


def if_on_active_value_else(x):
    t = math.cos(x) * x
    if t > 1.0:
        r = math.exp(t)
    else:
        r = t ** 3
    return r - x


def elif_chain(x):
    if x < -1.0:
        y = -x
    elif x < 1.0:
        y = x * x * x
    elif x < 2.0:
        y = math.exp(x)
    else:
        y = 3.0 * x
    return y * x


def elif_on_active_sum(x, y):
    s = x + y
    if s < 0.0:
        r = -s
    elif s < 1.0:
        r = s * s
    else:
        r = math.log(s) * x
    return r


def assigned_on_one_side(x, y):
    z = 2.0 * x
    if x > y:
        w = x * y                   # w exists only when x > y ...
    if x > y:
        z = z + w * w               # ... and is read only then
    return z


def assigned_on_one_side_not_taken(x, y):
    z = x * y
    if y > 2.0:
        extra = math.exp(y)
        z = z + extra * x
    return z


def nested_if(x, y):
    if x > 0:
        if y > 0:
            r = x * y
        else:
            r = x - y
    else:
        r = y * y
    return r * x


def branch_on_int(x, n):            # n: int
    if n % 2 == 0:
        return x * x
    return x * x * x


def chained_comparison(x, y):
    if 0.0 < x < y:
        return x * y + y
    return x - y


def branch_reassigns_param(x, y):
    if y > x:
        x = x * y
        y = math.sin(x)
    else:
        y = y * 2.0
    return x + y


# --- conditional expressions ----------------------------------------------------------

def conditional_expression(x, y):
    return x * x if x > y else y * y * y


def conditional_expression_active(x):
    t = math.cos(x)
    u = t if t > 0 else -t
    return u * x


def conditional_expression_nested(x, y):
    return (x if x > 0 else -x) * (y * y if y > 1 else y)


def conditional_expression_chain(x):
    return x * x if x < 0 else (math.sin(x) if x < 1 else math.log(x))


# --- and / or / not -------------------------------------------------------------------

def and_condition(x, y):
    if x > 0 and y > 0:
        return x * y * y
    return x + y


def or_condition(x, y):
    if x > 1 or y > 1:
        r = math.exp(x) * y
    else:
        r = x * y
    return r


def not_condition(x):
    if not x > 1:
        return x ** 3
    return 2.0 * x


def mixed_boolean(x, y, z):
    if (x > 0 and not y > 0) or z > 5:
        s = x * z - y
    else:
        s = x + y + z
    return s * s


def boolean_on_active(x, y):
    a = math.sin(x)
    b = math.cos(y)
    if a > 0.5 and b > 0.5 or a < -0.9:
        return a * b
    return a + b


# --- several returns ------------------------------------------------------------------

def early_return(x):
    if x > 1.0:
        return math.log(x)
    y = x * x
    return y + 1.0


def early_return_taken(x):
    if x > 1.0:
        return math.log(x) * x
    y = x * x
    return y + 1.0


def returns_in_nested_branches(x, y):
    if x > 0:
        if y > x:
            return y - x
        return x * y
    elif y > 0:
        return y
    return x


def return_in_loop(x):
    for i in range(10):
        x = x * 1.1 + 0.1
        if x > 2.0:
            return x * x
    return -x


def return_in_while(x):
    while True:
        x = x * x
        if x > 10.0:
            return x


def return_in_loop_not_reached(x):
    for i in range(3):
        if x > 100.0:
            return 0.0
        x = x * 2.0
    return x


def return_in_nested_loop(x):
    s = 0.0
    for i in range(5):
        for j in range(5):
            s = s + x
            if s > 3.0:
                return s * s
    return s


# --- for over range -------------------------------------------------------------------

def range_one_arg(x):
    s = 0.0
    for i in range(5):
        s += x ** i
    return s


def range_two_args(x):
    p = 1.0
    for k in range(2, 6):
        p = p * (x + k)
    return p


def range_three_args(x):
    s = 0.0
    for k in range(1, 10, 3):
        s = s + math.sin(k * x)
    return s


def range_negative_step(x):
    s = x
    for k in range(5, 0, -2):
        s = s * x + k
    return s


def range_zero_trips(x):
    s = x * x
    for i in range(0):
        s = s + 100.0 * x
    for i in range(5, 2):
        s = s * x
    return s


def range_trip_count_param(x, n):   # n: int
    for i in range(n):
        x = math.sin(x)
    return x


def range_param_zero_trips(x, n):   # n: int, 0 at the point
    s = x
    for i in range(n):
        s = s * s
    return s * 3.0


def loop_variable_arithmetic(x):
    s = 0.0
    for i in range(1, 5):
        s = s + i * x * x + x / i
    return s


def param_reassigned_in_loop(x, y):
    for i in range(3):
        x = x * y + 1.0
    return x


def accumulator(x, y):
    s = 0.0
    for i in range(4):
        s += x * y - 0.5 * i
    s -= y
    return s * x


def accumulator_product(x):
    p = 1.0
    for i in range(1, 4):
        p *= x + i / 2.0
    return p


def recurrence(s, y):
    for i in range(100):
        s = s * 0.99 + math.sin(s) * y
    return s


def swap_in_loop(x, y):
    for i in range(3):
        x, y = y, x * y
    return y


def loop_with_branch_on_index(x):
    s = 0.0
    for i in range(6):
        if i % 2 == 0:
            s = s + x * i
        else:
            s = s * x
    return s


def loop_with_active_branch(x):
    s = x
    for i in range(5):
        if s > 1.0:
            s = s * 0.5
        else:
            s = s * s + 1.0
    return s


# --- for over lists, tuples, enumerate, zip -------------------------------------------

def for_over_list(xs):              # xs: list
    s = 0.0
    for x in xs:
        s = s + x * x
    return s


def for_over_list_with_param(xs, w):    # xs: list
    s = 0.0
    for x in xs:
        s = s + math.tanh(w * x)
    return s


def for_over_tuple(x, y):
    s = 0.0
    for v in (x, y, x * y):
        s = s + v * v
    return s


def for_over_list_literal(x, y):
    s = 1.0
    for v in [x, 2.0, y]:
        s = s * v + 1.0
    return s


def for_enumerate(x, y):
    s = 0.0
    for i, v in enumerate([x, y, x + y]):
        s = s + (i + 1) * v * v
    return s


def enumerate_list_param(xs):       # xs: list
    s = 0.0
    for i, v in enumerate(xs):
        s = s + (i + 1) * v * v
    return s


def for_zip(x, y):
    s = 0.0
    for a, b in zip([x, y, 1.0], [y, 2.0, x]):
        s = s + a * b
    return s


def zip_list_params(xs, ws):        # xs, ws: lists
    s = 0.0
    for x, w in zip(xs, ws):
        s = s + w * x
    return s


def loop_over_empty_list(x):
    s = x * 3.0
    for v in []:
        s = s + v * x
    return s


def loop_over_empty_list_param(xs, y):  # xs: list, empty at the point
    s = y * y
    for x in xs:
        s = s + x * y
    return s


# --- while ----------------------------------------------------------------------------

def while_data_dependent(x):
    while x < 10.0:
        x = x * 1.5
    return x


def while_counter(x):
    i = 0
    s = x
    while i < 3:
        s = s * s * 0.5 + x
        i += 1
    return s


def while_exits_at_once(x):
    while x > 5.0:
        x = x * 0.5
    return x * x


def while_true_break(x):
    while True:
        x = x * 1.2
        if x > 3.5:
            break
    return x * x


def newton_sqrt(a):
    r = a
    while abs(r * r - a) > 1e-12 * a:
        r = 0.5 * (r + a / r)
    return r


# --- break and continue ---------------------------------------------------------------

def for_break(x):
    s = 0.0
    for i in range(10):
        if i >= 4:
            break
        s = s + x ** i
    return s


def break_on_active(x):
    s = 0.0
    for i in range(10):
        s = s * x + 1.0
        if s > 5.0:
            break
    return s


def for_continue(x):
    s = 0.0
    for i in range(6):
        if i % 2 == 1:
            continue
        s = s + x ** i
    return s


def continue_on_active(xs):         # xs: list
    s = 0.0
    for v in xs:
        if v < 0.0:
            continue
        s = s + v * v
    return s


def break_and_continue(x):
    s = 0.0
    for i in range(10):
        if i == 1:
            continue
        if s > 4.0:
            break
        s = s + x * i
    return s


# --- nested loops ---------------------------------------------------------------------

def nested_loops(x):
    s = 0.0
    for i in range(3):
        for j in range(i + 1):
            s = s + (i + 1) * x ** j
    return s


def nested_loop_break(x):
    s = 0.0
    for i in range(4):
        for j in range(4):
            if j > i:
                break
            s = s + x ** j
    return s


def nested_loop_break_active(x, y):
    s = 0.0
    for i in range(3):
        t = y
        for j in range(10):
            t = t * x
            if t > 2.0:
                break
        s = s + t
    return s


def nested_loops_over_lists(xs, ys):    # xs, ys: lists
    s = 0.0
    for x in xs:
        for y in ys:
            s = s + x * y * y
    return s


def nested_loops_reassign(x, y):
    for i in range(3):
        t = x
        for j in range(2):
            t = t * y + 1.0
        x = t * 0.5
    return x


# --- calls to the user's own functions ------------------------------------------------

def _square(u):
    return u * u


def _affine(u, a=2.0, b=1.0):
    return a * u + b


def _square_plus_affine(u, v):      # a helper calling helpers
    return _square(u) + _affine(v, b=0.5)


def _relu(u):
    return u if u > 0.0 else 0.0


def _poly(u, n):                    # n: int; u**(n-1) + ... + u + 1
    s = 0.0
    for k in range(n):
        s = s * u + 1.0
    return s


def call_helper(x, y):
    return _square(x * y) + x


def call_keyword_args(x, y):
    return _affine(x, b=y) * _affine(y, a=x)


def call_keywords_out_of_order(x, y):
    return _affine(b=x, a=y, u=x * y)


def call_defaults(x):
    return _affine(x) + _affine(x, 3.0)


def call_helper_calling_helper(x, y):
    return _square_plus_affine(x, y) * y


def call_helper_with_branch(x, y):
    return _relu(x - y) + _relu(y - 2.0 * x) * x


def call_helper_with_loop(x):
    return _poly(x, 4) * x


def call_in_loop(x):
    s = 0.0
    for i in range(3):
        s = s + _square(x + i)
    return s


def power_rec(x, n):                # n: int
    return 1.0 if n == 0 else x * power_rec(x, n - 1)


def horner_rec(x, n):               # n: int; x**n + ... + x + 1
    if n == 0:
        return 1.0
    return horner_rec(x, n - 1) * x + 1.0


def call_recursive_helper(x, y):
    return power_rec(x * y, 3) + y


# --- lists ----------------------------------------------------------------------------

def list_element_assignment(x, y):
    v = [x, y, 0.0]
    v[2] = v[0] * v[1]
    v[0] = math.sin(v[2])
    return v[0] + v[1] * v[2]


def list_append(x):
    v = []
    for i in range(4):
        v.append(x ** i)
    return v[1] * v[3] + v[2]


def list_append_then_loop(x, y):
    ys = []
    for i in range(3):
        ys.append(x * i + y)
    s = 0.0
    for v in ys:
        s = s + v * v
    return s


def read_list_elements(xs):         # xs: list of 3
    return xs[0] * xs[1] + xs[-1] ** 2


def list_index_in_loop(xs):         # xs: list
    s = 0.0
    for i in range(1, len(xs)):
        s = s + xs[i] * xs[i - 1]
    return s


def list_overwrite_in_loop(x):
    v = [x, x, x]
    for i in range(3):
        v[i] = v[i] * (i + 1.0) + v[i - 1]
    return v[0] * v[1] * v[2]


def list_element_updated_repeatedly(x):
    v = [1.0]
    for i in range(5):
        v[0] = v[0] * x + 1.0
    return v[0]


def running_max(xs):                # xs: list
    m = xs[0]
    for v in xs:
        m = v if v > m else m
    return m * m


def list_logsumexp(xs):             # xs: list
    m = xs[0]
    for v in xs:
        if v > m:
            m = v
    s = 0.0
    for v in xs:
        s = s + math.exp(v - m)
    return m + math.log(s)


def polynomial_horner(x, coeffs):   # coeffs: list
    s = 0.0
    for c in coeffs:
        s = s * x + c
    return s


def relu_layer(xs, w, b):           # xs: list
    s = 0.0
    for x in xs:
        z = w * x + b
        if z > 0.0:
            s = s + z
    return s


def squared_error_loop(ws, xs, y):  # ws, xs: lists; (<x, w> - y)**2 of seed 004
    p = 0.0
    for w, x in zip(ws, xs):
        p = p + w * x
    return (p - y) ** 2


# --- what the tape must (not) store ---------------------------------------------------

def straight_line(x, y):            # no control flow: no tape
    z = x * y
    z = math.sin(z) + x
    return z * z


def loop_sum_no_tape(xs):           # xs: list; iterations need nothing stored
    s = 0.0
    for x in xs:
        s = s + x
    return s


def loop_scaled_sum_no_tape(xs):    # xs: list; iterations need nothing stored
    s = 0.0
    for x in xs:
        s += 2.0 * x
    return s


# --- closed forms that need a few lines -----------------------------------------------

def _return_in_loop_grad(x):
    k = 1.1 ** 5                    # returns in the fifth iteration: x5 = k (x + 1) - 1
    return (2 * (k * (x + 1) - 1) * k,)


def _loop_with_active_branch_grad(x):
    # branches at x = 0.8: else, if, else, if, else
    s1 = x * x + 1.0
    s2 = 0.5 * s1
    s3 = s2 * s2 + 1.0
    s4 = 0.5 * s3
    return (2 * s4 * 0.5 * 2 * s2 * 0.5 * 2 * x,)


def _while_counter_grad(x):
    s1 = 0.5 * x * x + x
    s2 = 0.5 * s1 * s1 + x
    d1 = x + 1.0
    d2 = s1 * d1 + 1.0
    return (s2 * d2 + 1.0,)


def _range_trip_count_param_grad(x, n):
    d = 1.0
    for _ in range(n):
        d *= math.cos(x)
        x = math.sin(x)
    return (d,)


def _polynomial_horner_grad(x, coeffs):
    n = len(coeffs)
    dx = sum(c * (n - 1 - k) * x ** (n - 2 - k) for k, c in enumerate(coeffs) if k < n - 1)
    return (dx, [x ** (n - 1 - k) for k in range(n)])


def _list_index_in_loop_grad(xs):
    n = len(xs)
    return ([(xs[k - 1] if k >= 1 else 0.0) + (xs[k + 1] if k + 1 < n else 0.0)
             for k in range(n)],)


def _list_logsumexp_grad(xs):
    total = sum(math.exp(v) for v in xs)
    return ([math.exp(v) / total for v in xs],)


def _squared_error_loop_grad(ws, xs, y):
    r = 2 * (sum(w * x for w, x in zip(ws, xs)) - y)
    return ([r * x for x in xs], [r * w for w in ws], -r)


def _tanh_sech2(u):
    return 1 - math.tanh(u) ** 2


LIST3 = [0.5, -1.2, 2.0]            # shared by several list cases; never modified

CONTROL_CASES = [
    # if / elif / else
    Case(if_on_param, (0.7, 1.3), lambda x, y: (2 * x * y * y, 2 * x * x * y)),
    Case(if_else_returns, (0.3, 1.1), lambda x, y: (1.0, 2 * y)),
    Case(if_on_active_value, (1.2,), lambda x: (2 * math.sin(x) * math.cos(x) + 1,)),
    Case(if_on_active_value_else, (0.6,),
         lambda x: (3 * (x * math.cos(x)) ** 2 * (math.cos(x) - x * math.sin(x)) - 1,)),
    Case(elif_chain, (0.6,), lambda x: (4 * x ** 3,)),
    Case(elif_on_active_sum, (1.5, 0.8),
         lambda x, y: (math.log(x + y) + x / (x + y), x / (x + y))),
    Case(assigned_on_one_side, (1.5, 0.4), lambda x, y: (2 + 2 * x * y * y, 2 * x * x * y)),
    Case(assigned_on_one_side_not_taken, (0.5, 1.0), lambda x, y: (y, x)),
    Case(nested_if, (0.8, -0.5), lambda x, y: (2 * x - y, -x)),
    Case(branch_on_int, (1.3, 3), lambda x, n: (3 * x * x,), wrt=("x",)),
    Case(chained_comparison, (0.3, 0.9), lambda x, y: (y, x + 1)),
    Case(branch_reassigns_param, (0.6, 1.4),
         lambda x, y: (y + y * math.cos(x * y), x + x * math.cos(x * y))),
    # conditional expressions
    Case(conditional_expression, (1.2, 0.4), lambda x, y: (2 * x, 0.0)),
    Case(conditional_expression_active, (2.0,), lambda x: (-math.cos(x) + x * math.sin(x),)),
    Case(conditional_expression_nested, (-0.7, 0.5), lambda x, y: (-y, -x)),
    Case(conditional_expression_chain, (1.5,), lambda x: (1 / x,)),
    # and / or / not
    Case(and_condition, (0.5, 1.5), lambda x, y: (y * y, 2 * x * y)),
    Case(or_condition, (0.5, 0.3), lambda x, y: (y, x)),
    Case(not_condition, (0.5,), lambda x: (3 * x * x,)),
    Case(mixed_boolean, (0.4, -0.3, 1.1),
         lambda x, y, z: tuple(2 * (x * z - y) * d for d in (z, -1.0, x))),
    Case(boolean_on_active, (1.0, 0.5),
         lambda x, y: (math.cos(x) * math.cos(y), -math.sin(x) * math.sin(y))),
    # several returns
    Case(early_return, (0.5,), lambda x: (2 * x,)),
    Case(early_return_taken, (2.5,), lambda x: (math.log(x) + 1,)),
    Case(returns_in_nested_branches, (0.9, 0.4), lambda x, y: (y, x)),
    Case(return_in_loop, (1.0,), _return_in_loop_grad),
    Case(return_in_while, (1.3,), lambda x: (16 * x ** 15,)),
    Case(return_in_loop_not_reached, (0.5,), lambda x: (8.0,)),
    Case(return_in_nested_loop, (0.7,), lambda x: (50 * x,)),
    # for over range
    Case(range_one_arg, (0.7,), lambda x: (1 + 2 * x + 3 * x ** 2 + 4 * x ** 3,)),
    Case(range_two_args, (0.4,),
         lambda x: (math.prod(x + k for k in range(2, 6)) * sum(1 / (x + k) for k in range(2, 6)),)),
    Case(range_three_args, (0.3,), lambda x: (sum(k * math.cos(k * x) for k in (1, 4, 7)),)),
    Case(range_negative_step, (0.6,), lambda x: (4 * x ** 3 + 10 * x + 3,)),
    Case(range_zero_trips, (1.7,), lambda x: (2 * x,)),
    Case(range_trip_count_param, (1.1, 4), _range_trip_count_param_grad, wrt=("x",)),
    Case(range_param_zero_trips, (0.8, 0), lambda x, n: (3.0,), wrt=("x",)),
    Case(loop_variable_arithmetic, (0.9,), lambda x: (20 * x + 25 / 12,)),
    Case(param_reassigned_in_loop, (0.5, 1.3),
         lambda x, y: (y ** 3, 3 * x * y * y + 2 * y + 1)),
    Case(accumulator, (0.8, 1.2), lambda x, y: (8 * x * y - 3 - y, 4 * x * x - x)),
    Case(accumulator_product, (0.4,),
         lambda x: (math.prod(x + i / 2 for i in (1, 2, 3)) * sum(1 / (x + i / 2) for i in (1, 2, 3)),)),
    Case(recurrence, (0.5, 0.3)),
    Case(swap_in_loop, (0.9, 1.1), lambda x, y: (2 * x * y ** 3, 3 * x * x * y * y)),
    Case(loop_with_branch_on_index, (0.7,), lambda x: (6 * x * x + 8 * x,)),
    Case(loop_with_active_branch, (0.8,), _loop_with_active_branch_grad),
    # for over lists, tuples, enumerate, zip
    Case(for_over_list, (LIST3,), lambda xs: ([2 * x for x in xs],)),
    Case(for_over_list_with_param, (LIST3, 0.7),
         lambda xs, w: ([w * _tanh_sech2(w * x) for x in xs],
                        sum(x * _tanh_sech2(w * x) for x in xs))),
    Case(for_over_tuple, (0.6, 1.4), lambda x, y: (2 * x + 2 * x * y * y, 2 * y + 2 * x * x * y)),
    Case(for_over_list_literal, (0.6, 1.4), lambda x, y: (2 * y, 2 * x + 3)),
    Case(for_enumerate, (0.6, -1.4), lambda x, y: (2 * x + 6 * (x + y), 4 * y + 6 * (x + y))),
    Case(enumerate_list_param, (LIST3,), lambda xs: ([2 * (i + 1) * x for i, x in enumerate(xs)],)),
    Case(for_zip, (0.6, 1.4), lambda x, y: (y + 1, x + 2)),
    Case(zip_list_params, (LIST3, [1.5, 0.25, -0.75]), lambda xs, ws: (list(ws), list(xs))),
    Case(loop_over_empty_list, (0.9,), lambda x: (3.0,)),
    Case(loop_over_empty_list_param, ([], 1.3), lambda xs, y: ([], 2 * y)),
    # while
    Case(while_data_dependent, (1.3,), lambda x: (1.5 ** 6,)),
    Case(while_counter, (0.7,), _while_counter_grad),
    Case(while_exits_at_once, (0.7,), lambda x: (2 * x,)),
    Case(while_true_break, (1.0,), lambda x: (2 * 1.2 ** 14 * x,)),
    Case(newton_sqrt, (2.0,)),
    # break and continue
    Case(for_break, (0.7,), lambda x: (1 + 2 * x + 3 * x * x,)),
    Case(break_on_active, (1.5,), lambda x: (3 * x * x + 2 * x + 1,)),
    Case(for_continue, (0.7,), lambda x: (2 * x + 4 * x ** 3,)),
    Case(continue_on_active, (LIST3,), lambda xs: ([2 * x if x >= 0 else 0.0 for x in xs],)),
    Case(break_and_continue, (0.9,), lambda x: (5.0,)),
    # nested loops
    Case(nested_loops, (0.7,), lambda x: (5 + 6 * x,)),
    Case(nested_loop_break, (0.7,), lambda x: (3 + 4 * x + 3 * x * x,)),
    Case(nested_loop_break_active, (1.5, 0.5), lambda x, y: (12 * y * x ** 3, 3 * x ** 4)),
    Case(nested_loops_over_lists, (LIST3, [0.3, -0.8]),
         lambda xs, ys: ([sum(y * y for y in ys)] * len(xs), [2 * y * sum(xs) for y in ys])),
    Case(nested_loops_reassign, (0.6, 0.9)),
    # calls to the user's own functions
    Case(call_helper, (0.6, 1.4), lambda x, y: (2 * x * y * y + 1, 2 * x * x * y)),
    Case(call_keyword_args, (0.6, 1.4),
         lambda x, y: (2 * (x * y + 1) + (2 * x + y) * y, (x * y + 1) + (2 * x + y) * x)),
    Case(call_keywords_out_of_order, (0.6, 1.4), lambda x, y: (y * y + 1, 2 * x * y)),
    Case(call_defaults, (0.6,), lambda x: (5.0,)),
    Case(call_helper_calling_helper, (0.6, 1.4), lambda x, y: (2 * x * y, x * x + 4 * y + 0.5)),
    Case(call_helper_with_branch, (1.0, 0.2), lambda x, y: (1.0, -1.0)),
    Case(call_helper_with_loop, (0.7,), lambda x: (4 * x ** 3 + 3 * x * x + 2 * x + 1,)),
    Case(call_in_loop, (0.7,), lambda x: (6 * x + 6,)),
    Case(power_rec, (1.05, 20), lambda x, n: (n * x ** (n - 1),), wrt=("x",)),
    Case(horner_rec, (0.9, 20), lambda x, n: (sum(k * x ** (k - 1) for k in range(1, n + 1)),),
         wrt=("x",)),
    Case(call_recursive_helper, (0.6, 1.4),
         lambda x, y: (3 * x * x * y ** 3, 3 * x ** 3 * y * y + 1)),
    # lists
    Case(list_element_assignment, (0.6, 1.4),
         lambda x, y: (y * math.cos(x * y) + y * y, x * math.cos(x * y) + 2 * x * y)),
    Case(list_append, (0.7,), lambda x: (4 * x ** 3 + 2 * x,)),
    Case(list_append_then_loop, (0.6, 1.4), lambda x, y: (10 * x + 6 * y, 6 * x + 6 * y)),
    Case(read_list_elements, (LIST3,), lambda xs: ([xs[1], xs[0], 2 * xs[2]],)),
    Case(list_index_in_loop, ([0.5, -1.2, 2.0, 0.3],), _list_index_in_loop_grad),
    Case(list_overwrite_in_loop, (0.7,), lambda x: (168 * x * x,)),
    Case(list_element_updated_repeatedly, (0.7,),
         lambda x: (5 * x ** 4 + 4 * x ** 3 + 3 * x * x + 2 * x + 1,)),
    Case(running_max, ([0.5, 2.0, -1.2, 1.5],), lambda xs: ([0.0, 4.0, 0.0, 0.0],)),
    Case(list_logsumexp, ([0.5, 2.0, -1.2, 1.5],), _list_logsumexp_grad),
    Case(polynomial_horner, (0.7, [1.0, -2.0, 0.5, 3.0]), _polynomial_horner_grad),
    Case(relu_layer, (LIST3, 0.8, 0.1),
         lambda xs, w, b: ([w, 0.0, w], xs[0] + xs[2], 2.0)),
    Case(squared_error_loop, ([0.4, -0.7, 1.1], LIST3, 0.3), _squared_error_loop_grad),
    # the tape
    Case(straight_line, (0.6, 1.4),
         lambda x, y: (2 * (math.sin(x * y) + x) * (y * math.cos(x * y) + 1),
                       2 * (math.sin(x * y) + x) * x * math.cos(x * y))),
    Case(loop_sum_no_tape, (LIST3,), lambda xs: ([1.0] * len(xs),)),
    Case(loop_scaled_sum_no_tape, (LIST3,), lambda xs: ([2.0] * len(xs),)),
]
