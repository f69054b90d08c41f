"""Fits the odd polynomial tanh(x) ~ x + x^3 * Q(x^2) on [0, 0.55] that tapegrad's f32 tanh
uses below 0.55 (crates/tape/src/math.rs), minimising the relative error, and prints the
maximum relative error with the coefficients rounded to f32 and evaluated in f32.

    pip install numpy && python3 tools/fit_tanh.py

Degree 5 in x^2 (13 in x) is the one used: higher degrees do not lower the f32 error floor.
"""
import numpy as np
# fit tanh(x) = x + x^3 * Q(x^2) on [0, A] minimizing relative error, Q degree d
A = 0.55
xs = np.linspace(1e-4, A, 20000)
t = np.tanh(xs)
for d in range(4, 8):
    # (tanh(x) - x)/x^3 = Q(x^2)
    y = (t - xs) / xs**3
    z = xs**2
    # weighted least squares: relative error in tanh => weight x^3/tanh
    w = xs**3 / t
    V = np.vander(z, d + 1, increasing=True)
    coef, *_ = np.linalg.lstsq(V * w[:, None], y * w, rcond=None)
    # iterate a few times of Lawson-like reweighting for minimax
    for it in range(30):
        err = (V @ coef - y) * w
        w2 = w * (np.abs(err) / np.abs(err).max() + 1e-3) ** 0.5
        coef, *_ = np.linalg.lstsq(V * w2[:, None], y * w2, rcond=None)
    c32 = coef.astype(np.float32)
    approx = xs.astype(np.float32)
    x32 = xs.astype(np.float32); z32 = x32 * x32
    q = np.float32(0)
    for c in c32[::-1]:
        q = q * z32 + c
    approx = x32 + x32 * z32 * q
    rel = np.abs(approx.astype(np.float64) - t) / t
    print(d, "max rel err (f32 eval):", rel.max(), "in ulp ~", rel.max() / 2**-24, list(map(float, c32)))
