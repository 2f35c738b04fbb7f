"""Covariance estimators for regression coefficients from scores, in plain arrays.

* Newey-West (Bartlett) long-run variance and its lag rule (Newey & West 1994);
* the equal-weighted cosine (EWC) long-run variance and its degrees of freedom (Lazarus,
  Lewis, Stock & Watson 2018);
* sandwich covariances of a stacked panel: Newey-West within each unit (Stata ``itsa``),
  cluster-robust CR1 by unit and Driscoll-Kraay;
* Fieller's interval for the ratio of two estimates.
"""

from __future__ import annotations

import numpy as np
import pandas as pd


def newey_west_lags(n: int) -> int:
    """Newey-West (1994) rule of thumb for the HAC truncation lag: floor(4 * (n/100)^(2/9))."""
    return int(np.floor(4 * (n / 100.0) ** (2.0 / 9.0)))


def ewc_dof(n: int) -> int:
    """Lazarus-Lewis-Stock-Watson (2018) rule for the number of cosines in the EWC long-run
    variance estimator (also its t degrees of freedom): floor(0.4 * n^(2/3)), at least 1."""
    return max(1, int(np.floor(0.4 * n ** (2.0 / 3.0))))


def ewc_long_run(z: np.ndarray, nu: int) -> np.ndarray:
    """EWC estimate of sum_s sum_t E[z_s z_t'] for the rows of ``z`` (time order): n times
    the mean of Lambda_j Lambda_j' over j = 1..nu, with Lambda_j = sqrt(2/n) *
    sum_t cos(pi j (t - 1/2) / n) z_t. Same scale as the Newey-West ``S`` (z'z at lag 0)."""
    z = np.asarray(z, dtype=float)
    n = z.shape[0]
    t = np.arange(1, n + 1) - 0.5
    basis = np.sqrt(2.0 / n) * np.cos(np.pi * np.outer(np.arange(1, nu + 1), t) / n)
    lam = basis @ z
    return n * (lam.T @ lam) / nu


def bartlett(Z: np.ndarray, lags: int) -> np.ndarray:
    """sum_t z_t z_t' plus Bartlett-weighted autocovariances of the rows of ``Z``."""
    S = Z.T @ Z
    for lag in range(1, lags + 1):
        G = Z[lag:].T @ Z[:-lag]
        S += (1.0 - lag / (lags + 1.0)) * (G + G.T)
    return S


def fieller(a: float, b: float, vaa: float, vab: float, vbb: float, crit: float):
    """Fieller interval for the ratio a / b of two estimates with covariance (vaa, vab, vbb):
    the ratios r with (a - r b)^2 <= crit^2 Var(a - r b). Bounded when b is significantly
    non-zero; otherwise (0, inf) for a ratio of non-negative quantities. The lower end is
    at least 0 (a ratio of two positive levels), so a relative change is never below -100%."""
    qa = b * b - crit**2 * vbb
    qb = a * b - crit**2 * vab
    qc = a * a - crit**2 * vaa
    disc = qb * qb - qa * qc
    if qa <= 0 or disc < 0:
        return 0.0, np.inf
    root = np.sqrt(disc)
    return max(0.0, (qb - root) / qa), (qb + root) / qa


def panel_sandwich(
    X: np.ndarray,
    u: np.ndarray,
    w: np.ndarray,
    units: np.ndarray,
    t: np.ndarray,
    cov: str,
    lags: int,
) -> tuple[np.ndarray, float, dict, str]:
    """The sandwich covariance ``bread S bread`` of a stacked panel fit with design ``X``,
    residuals ``u`` (scores ``X * u``) and information weights ``w`` (1 for OLS, the mean for
    Poisson), rows sorted by unit then time: ``cov`` "itsa" (Newey-West within each unit at
    ``lags``, n/(n - k), t(n - k)), "cluster" (CR1 by unit, t(G - 1)) or "driscoll-kraay"
    (Newey-West at ``lags`` on the sums of scores over units at each time, n/(n - k),
    t(T - 1)). Returns the covariance, the t reference's degrees of freedom, the keywords
    statsmodels records for it and what the degrees of freedom are (for messages)."""
    n, k = X.shape
    bread = np.linalg.inv(X.T @ (X * w[:, None]))
    Z = X * u[:, None]
    if cov == "itsa":
        S = sum(bartlett(Z[units == g], lags) for g in pd.unique(units))
        return (
            bread @ S @ bread * n / (n - k),
            n - k,
            {"maxlags": lags},
            "the itsa estimator (n - k)",
        )
    if cov == "cluster":  # CR1: G/(G-1) (n-1)/(n-k)
        G = len(pd.unique(units))
        S = sum(np.outer(z, z) for z in (Z[units == g].sum(axis=0) for g in pd.unique(units)))
        V = bread @ S @ bread * G / (G - 1) * (n - 1) / (n - k)
        return V, G - 1, {"groups": G}, "cluster-robust errors (G - 1)"
    if cov == "driscoll-kraay":
        times = np.unique(t)
        H = np.stack([Z[t == x].sum(axis=0) for x in times])
        V = bread @ bartlett(H, lags) @ bread * n / (n - k)
        kw = {"maxlags": lags, "periods": len(times)}
        return V, len(times) - 1, kw, "Driscoll-Kraay errors (T - 1)"
    raise ValueError(f"unknown panel covariance {cov!r}")
