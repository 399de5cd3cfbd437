"""Hand-written forward-mode code for bench_forward.py, next to the functions it differentiates."""

import math

import numpy as np

from s2sdiff.demo import f as seed002  # noqa: F401  (the staged function of seed 002)


def seed002_tangents_by_hand(x, y):
    """Both columns of seed 002's f by forward accumulation, as a person would write it."""
    sigy = 1.0 / (1 + math.exp(-y))
    dsigy_dy = (1 - sigy) * sigy
    num = x + sigy
    sigx = 1.0 / (1 + math.exp(-x))
    dsigx_dx = (1 - sigx) * sigx
    xpy = x + y
    xpysqr = xpy ** 2
    dxpysqr = 2 * xpy
    den = sigx + xpysqr
    invden = 1.0 / den
    dinvden = -1.0 / den ** 2
    df_dx = invden + num * dinvden * (dsigx_dx + dxpysqr)
    df_dy = invden * dsigy_dy + num * dinvden * dxpysqr
    return df_dx, df_dy


def seed002_jvp_by_hand(x, y, x_dot, y_dot):
    sigy = 1.0 / (1 + math.exp(-y))
    sigy_dot = (1 - sigy) * sigy * y_dot
    num = x + sigy
    num_dot = x_dot + sigy_dot
    sigx = 1.0 / (1 + math.exp(-x))
    sigx_dot = (1 - sigx) * sigx * x_dot
    xpy = x + y
    xpy_dot = x_dot + y_dot
    xpysqr = xpy ** 2
    xpysqr_dot = 2 * xpy * xpy_dot
    den = sigx + xpysqr
    den_dot = sigx_dot + xpysqr_dot
    invden = 1.0 / den
    invden_dot = -1.0 / den ** 2 * den_dot
    f = num * invden
    return f, invden * num_dot + num * invden_dot


def spherical(r, theta, phi):
    """Three outputs of three inputs: the Jacobian either way."""
    st = math.sin(theta)
    return r * st * math.cos(phi), r * st * math.sin(phi), r * math.cos(theta)


def spherical_jacobian_by_hand(r, theta, phi):
    st, ct = math.sin(theta), math.cos(theta)
    sp, cp = math.sin(phi), math.cos(phi)
    return np.array([[st * cp, r * ct * cp, -r * st * sp],
                     [st * sp, r * ct * sp, r * st * cp],
                     [ct, -r * st, 0.0]])
