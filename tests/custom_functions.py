"""User functions with custom rules (custom_vjp, custom_jvp) and stop_gradient, for
tests/test_custom.py and the golden file tests/golden/custom_vjp_softplus.py."""

import math

import s2sdiff
from s2sdiff import custom_jvp, custom_vjp, stop_gradient


# softplus(x) = log(1 + exp(x)) with a reverse-mode rule: the residual is the sigmoid.

@custom_vjp
def softplus(x):
    return math.log1p(math.exp(x))


def softplus_fwd(x):
    s = 1.0 / (1.0 + math.exp(-x))
    return math.log1p(math.exp(x)), s


def softplus_bwd(s, g):
    return (s * g,)


softplus.defvjp(softplus_fwd, softplus_bwd)


def uses_softplus(x, y):
    z = softplus(x * y) + x
    return z * y


def softplus_twice(x):
    a = softplus(x)
    b = softplus(a)
    return a * b


# a two-argument rule: scaled(x, y) = x * exp(y), cotangents (g exp(y), g x exp(y))

@custom_vjp
def scaled(x, y):
    return x * math.exp(y)


def scaled_fwd(x, y):
    e = math.exp(y)
    return x * e, (x, e)


def scaled_bwd(residuals, g):
    x, e = residuals
    return g * e, g * x * e


scaled.defvjp(scaled_fwd, scaled_bwd)


def uses_scaled(x, y):
    u = scaled(x, y)
    v = scaled(y, x)
    w = scaled(x, 2.0)
    return u + v * x + w


# a deliberately wrong bwd: check_grad must catch it

@custom_vjp
def wrong_softplus(x):
    return math.log1p(math.exp(x))


wrong_softplus.defvjp(softplus_fwd, lambda s, g: (2.0 * s * g,))


def uses_wrong_softplus(x):
    return wrong_softplus(x) * x


# log(1 + exp(x)), numerically stable, with a forward-mode rule (defjvp)

@custom_jvp
def log1pexp(x):
    return max(x, 0.0) + math.log1p(math.exp(-abs(x)))


@log1pexp.defjvp
def log1pexp_jvp(primals, tangents):
    x, = primals
    x_dot, = tangents
    out = log1pexp(x)
    return out, x_dot / (1.0 + math.exp(-x))


def uses_log1pexp(x, y):
    return log1pexp(x * y) * y


# the same function with per-argument rules (defjvps)

@custom_jvp
def log1pexp2(x):
    return max(x, 0.0) + math.log1p(math.exp(-abs(x)))


log1pexp2.defjvps(lambda g, ans, x: g / (1.0 + math.exp(-x)))


def uses_log1pexp2(x, y):
    return log1pexp2(x * y) * y


# two arguments with defjvp and defjvps: hypot-like r(x, y) = sqrt(x^2 + y^2)

@custom_jvp
def radius(x, y):
    return math.sqrt(x * x + y * y)


@radius.defjvp
def radius_jvp(primals, tangents):
    x, y = primals
    x_dot, y_dot = tangents
    r = math.sqrt(x * x + y * y)
    return r, (x * x_dot + y * y_dot) / r


def uses_radius(x, y):
    return radius(x, y) * x


@custom_jvp
def radius2(x, y):
    return math.sqrt(x * x + y * y)


radius2.defjvps(lambda g, r, x, y: g * x / r, lambda g, r, x, y: g * y / r)


def uses_radius2(x, y):
    return radius2(x, y) * x + radius2(y, 3.0)


@custom_jvp
def only_first(x, y):
    return x * 2.0 + math.floor(y)


only_first.defjvps(lambda g, ans, x, y: 2.0 * g, None)


def uses_only_first(x, y):
    return only_first(x, y) * x


# stop_gradient

def stopped(x):
    return x * stop_gradient(x)


def stopped_module(x, y):
    return s2sdiff.stop_gradient(x * y) * x + y


# missing rules

@custom_vjp
def no_vjp_rule(x, y):
    return x * y


def uses_no_vjp_rule(x, y):
    return no_vjp_rule(x, y) + x


@custom_jvp
def no_jvp_rule(x):
    return x * x


def uses_no_jvp_rule(x):
    return no_jvp_rule(x) + x


def uses_no_vjp_rule_inactively(x, c):
    return no_vjp_rule(c, 2.0) * x


@custom_jvp
def short_jvps(x, y):
    return x * y


short_jvps.defjvps(lambda g, ans, x, y: g * y)


def uses_short_jvps(x, y):
    return short_jvps(x, y)


# three arguments, one of them not differentiated: its cotangent goes to `_`

@custom_vjp
def affine(a, x, b):
    return a * x + b


affine.defvjp(lambda a, x, b: (a * x + b, (a, x)),
              lambda residuals, g: (g * residuals[1], g * residuals[0], g))


def uses_affine(a, x, b):
    return affine(a, x, b) * a
