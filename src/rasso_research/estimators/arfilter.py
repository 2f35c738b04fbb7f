"""The two AR(p) filters of the AR-errors code, as ``scipy.signal.lfilter`` computes them,
without importing scipy.signal when the package loads (half a CPU-second of every notebook's
start, make bench): the whitening filter u_t - sum_j phi_j u_{t-j} in numpy, bit for bit
lfilter's (its sums run from the longest lag in), and the AR recursion that simulates
errors, by lfilter itself, imported on first use."""

from __future__ import annotations

import numpy as np


def ar_innovations(A: np.ndarray, phi: np.ndarray) -> np.ndarray:
    """Rows p..n-1 of ``A`` (n x m) filtered by 1 - sum_j phi_j L^j:
    ``lfilter(r_[1, -phi], [1], A, axis=0)[p:]``, to the last bit."""
    n, p = len(A), len(phi)
    acc = -phi[p - 1] * A[: n - p]
    for j in range(p - 1, 0, -1):
        acc = -phi[j - 1] * A[p - j : n - j] + acc
    return A[p:] + acc


def ar_recursion(phi: np.ndarray, shocks: np.ndarray) -> np.ndarray:
    """u_t = sum_j phi_j u_{t-j} + e_t down the rows of ``shocks`` (from zero)."""
    from scipy.signal import lfilter

    return lfilter([1.0], np.r_[1.0, -phi], shocks, axis=0)
