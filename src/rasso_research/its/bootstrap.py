"""Sieve-bootstrap percentile-t intervals for OLS segmented regression with HAC errors.

Why: Newey-West (HAC) Wald intervals for level and slope changes under-cover badly in the
short, autocorrelated series typical of ITS (about 0.57-0.88 for nominal 0.95 at 40-120
periods; see tests/its/test_coverage.py). The t statistic studentized by the HAC standard
error is far from t(n - k) there, so its distribution is estimated instead:

1. fit OLS, keep the residuals u (fitted rows in time order, as the HAC estimator does);
2. fit an AR(p) to u by Yule-Walker and remove its small-sample bias with a first bootstrap
   (Kilian 1998): simulate AR(p) errors from the fitted model, project them off the design
   as OLS does, re-estimate, subtract the mean bias (shrunk if the result is not stationary);
3. build ``reps`` bootstrap series y* = X b + u*, with u* the bias-corrected AR(p) driven by
   resampled centred AR residuals, and refit OLS + HAC (same lag, same small-sample factor);
4. for any contrast g'b the critical value is the (1 - alpha) quantile of the symmetric
   statistic |g'(b* - b)| / se*(g'b*); the interval is g'b +- that value times the HAC SE.

Everything is seeded, so reruns give identical intervals. In seeded simulations (AR(1),
AR(2), MA(1) errors, 40-120 periods) these intervals cover level and slope changes 0.88-0.95
of the time, against 0.57-0.88 for the Wald intervals.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.signal import lfilter

BIAS_REPS = 200
BURN_IN = 100


def hac_covariances(
    X: np.ndarray, U: np.ndarray, bread: np.ndarray, lags: int, small_sample: bool
) -> np.ndarray:
    """Newey-West (Bartlett) HAC covariances of OLS coefficients, one per column of the
    residual matrix ``U`` (n x B): array k x k x B. Same formula as statsmodels' "HAC"
    (``use_correction`` multiplies by n / (n - k))."""
    n, k = X.shape
    S = X[:, :, None] * U[:, None, :]
    omega = np.einsum("tib,tjb->ijb", S, S)
    for lag in range(1, lags + 1):
        g = np.einsum("tib,tjb->ijb", S[lag:], S[:-lag])
        omega += (1.0 - lag / (lags + 1.0)) * (g + g.transpose(1, 0, 2))
    V = np.einsum("ij,jkb,kl->ilb", bread, omega, bread)
    return V * (n / (n - k)) if small_sample else V


def yule_walker(U: np.ndarray, order: int) -> np.ndarray:
    """Yule-Walker AR(order) coefficients for each column of ``U`` (biased autocovariances,
    so every fit is stationary): array B x order."""
    n = U.shape[0]
    Uc = U - U.mean(axis=0)
    acov = np.stack([(Uc[lag:] * Uc[: n - lag]).sum(axis=0) / n for lag in range(order + 1)])
    idx = np.abs(np.subtract.outer(np.arange(order), np.arange(order)))
    R = np.moveaxis(acov[idx], -1, 0)  # B x order x order Toeplitz
    r = acov[1:].T[:, :, None]
    return np.linalg.solve(R, r)[:, :, 0]


def _ar_residuals(u: np.ndarray, phi: np.ndarray) -> np.ndarray:
    p = len(phi)
    e = u[p:] - sum(phi[j] * u[p - 1 - j : len(u) - 1 - j] for j in range(p))
    return e - e.mean()


def _simulate_ar(phi: np.ndarray, e: np.ndarray, n: int, reps: int, rng) -> np.ndarray:
    shocks = rng.choice(e, size=(n + BURN_IN, reps), replace=True)
    return lfilter([1.0], np.r_[1.0, -phi], shocks, axis=0)[BURN_IN:]


def _stationary(phi: np.ndarray) -> bool:
    return bool(np.all(np.abs(np.roots(np.r_[1.0, -phi])) < 1.0))


def _bias_corrected_ar(X, bread, u, order, rng) -> np.ndarray:
    phi = yule_walker(u[:, None], order)[0]  # stationary: biased autocovariances
    U = _simulate_ar(phi, _ar_residuals(u, phi), len(u), BIAS_REPS, rng)
    R = U - X @ (bread @ (X.T @ U))
    bias = yule_walker(R, order).mean(axis=0) - phi
    for shrink in np.linspace(1.0, 0.01, 100):
        out = phi - shrink * bias
        if _stationary(out):
            return out
    return phi


@dataclass
class SieveBootstrap:
    """Bootstrap draws for an OLS fit: coefficient deviations ``delta`` (k x B, b* - b),
    their HAC covariances ``covs`` (k x k x B), the bias-corrected AR coefficients used and
    the settings."""

    delta: np.ndarray
    covs: np.ndarray
    ar: np.ndarray
    reps: int
    seed: int

    def critical_values(self, G: np.ndarray, alpha: float) -> np.ndarray:
        """Symmetric percentile-t critical values for the contrasts in the rows of ``G``."""
        G = np.atleast_2d(np.asarray(G, dtype=float))
        num = G @ self.delta
        var = np.einsum("mi,ijb,mj->mb", G, self.covs, G)
        with np.errstate(divide="ignore", invalid="ignore"):
            t = np.abs(num) / np.sqrt(np.clip(var, 0.0, None))
        t = np.where(np.isfinite(t), t, np.inf)  # a degenerate contrast gets no interval
        crit = np.quantile(t, 1.0 - alpha, axis=1, method="higher")
        # contrasts with no variation at all (e.g. zero rows) keep a zero-width interval
        return np.where(np.all(num == 0.0, axis=1), 0.0, crit)

    def p_values(self, t_obs: np.ndarray) -> np.ndarray:
        """Two-sided bootstrap p-values for the coefficient t statistics ``t_obs``."""
        se = np.sqrt(np.clip(np.einsum("iib->ib", self.covs), 0.0, None))
        with np.errstate(divide="ignore", invalid="ignore"):
            t = np.abs(self.delta) / se
        t = np.where(np.isfinite(t), t, np.inf)
        exceed = (t >= np.abs(np.asarray(t_obs))[:, None]).sum(axis=1)
        return (1.0 + exceed) / (self.reps + 1.0)


def sieve_bootstrap(
    X: np.ndarray,
    y: np.ndarray,
    *,
    lags: int,
    small_sample: bool,
    ar_order: int = 2,
    reps: int = 999,
    seed: int = 20240101,
) -> SieveBootstrap:
    """Draw the sieve bootstrap described in the module docstring for OLS of y on X. The AR
    order is capped at (n - k) // 4 for short series; ``result.ar`` holds the coefficients
    used."""
    X = np.asarray(X, dtype=float)
    y = np.asarray(y, dtype=float)
    n, k = X.shape
    if ar_order < 0:
        raise ValueError(f"boot_ar_order must be 0 or more; got {ar_order}")
    # a short series cannot support a long autoregression: cap at (n - k) // 4 (recorded in
    # the result's ``ar``)
    ar_order = min(int(ar_order), max(0, (n - k) // 4))
    if reps < 99:
        raise ValueError(f"boot_reps must be at least 99; got {reps}")
    rng = np.random.default_rng(seed)
    bread = np.linalg.pinv(X.T @ X)
    beta = bread @ (X.T @ y)
    u = y - X @ beta
    if ar_order:
        phi = _bias_corrected_ar(X, bread, u, ar_order, rng)
        e = _ar_residuals(u, phi)
    else:
        phi = np.zeros(0)
        e = u - u.mean()
    U = _simulate_ar(phi, e, n, reps, rng)
    B = bread @ (X.T @ U)  # OLS of y* on X, minus beta (y* - X beta = U)
    R = U - X @ B
    covs = hac_covariances(X, R, bread, lags, small_sample)
    return SieveBootstrap(delta=B, covs=covs, ar=phi, reps=reps, seed=seed)
