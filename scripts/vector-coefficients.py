#!/usr/bin/env python3
"""The polynomial coefficients of Sources/CVectorKernels/vector_kernels.c.

Chebyshev fits (near-minimax) at 60 digits with mpmath, printed in ascending
order, each with the fit's largest absolute error on its interval:
  exp_core    q(r) = (e^r - 1 - r)/r^2,          |r| <= ln 2 / 2
  tanh4       q(z) = (tanh(a)/a - 1)/z, z = a^2,  a <= 0.625
  log1p_unit  q(w) = (atanh(s)/s - 1)/w, w = s^2, s <= 1/3
Run: python3 scripts/vector-coefficients.py (needs mpmath).
"""
import mpmath as mp

mp.mp.dps = 60


def exp_q(r):
    return mp.mpf(1) / 2 if r == 0 else (mp.expm1(r) - r) / r**2


def tanh_q(z):
    if z == 0:
        return -mp.mpf(1) / 3
    a = mp.sqrt(z)
    return (mp.tanh(a) / a - 1) / z


def atanh_q(w):
    if w == 0:
        return mp.mpf(1) / 3
    s = mp.sqrt(w)
    return (mp.atanh(s) / s - 1) / w


half_ln2 = mp.log(2) / 2 + mp.mpf("1e-6")
for name, f, interval, n in [
    ("exp_core", exp_q, [-half_ln2, half_ln2], 11),
    ("tanh4", tanh_q, [0, mp.mpf("0.625") ** 2], 12),
    ("log1p_unit", atanh_q, [0, mp.mpf(1) / 9], 11),
]:
    coefficients, error = mp.chebyfit(f, interval, n, error=True)
    print(f"{name}: {n} coefficients, largest error {mp.nstr(error, 3)}")
    print("    " + ", ".join(mp.nstr(c, 22) for c in reversed(coefficients)))
