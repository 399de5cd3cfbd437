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
