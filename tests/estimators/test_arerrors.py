"""REML AR errors (rasso_research.estimators.arerrors): GLS, the REML criterion and search,
the AR parametrisation and its roots."""

import numpy as np
import pytest
from scipy.signal import lfilter

from rasso_research.estimators.arerrors import gls, pacf_to_ar, reml, whiten


def test_gls_equals_ols_on_the_exactly_whitened_data():
    rng = np.random.default_rng(1)
    X = np.column_stack([np.ones(50), np.arange(50.0), rng.normal(size=50)])
    y = X @ [1.0, 0.1, 2.0] + lfilter([1.0], [1.0, -0.5, 0.2], rng.normal(size=50))
    phi = np.array([0.5, -0.2])
    fit = gls(X, y[:, None], phi[None])
    ref = np.linalg.lstsq(whiten(X, phi), whiten(y[:, None], phi)[:, 0], rcond=None)[0]
    np.testing.assert_allclose(fit.beta[:, 0], ref, rtol=1e-10)
    # the transformed errors of a stationary AR(2) have identity covariance
    from scipy.linalg import toeplitz
    from statsmodels.tsa.arima_process import arma_acovf

    S = toeplitz(arma_acovf(np.r_[1, -phi], [1.0], nobs=8))
    W = whiten(np.eye(8), phi)
    np.testing.assert_allclose(W @ S @ W.T, np.eye(8), atol=1e-10)


def test_reml_matches_a_direct_optimiser():
    """The grid-and-compass-search REML estimate equals scipy's optimum of the same criterion
    (to 0.001 for a series' own fit, 0.005 for the coarser search of bootstrap series)."""
    from scipy.optimize import minimize_scalar

    rng = np.random.default_rng(2)
    n = 40
    X = np.column_stack([np.ones(n), np.arange(n), np.arange(n) >= 25]).astype(float)
    y = X @ [5.0, 0.3, -2.0] + lfilter([1.0], [1.0, -0.7], rng.normal(size=n))
    from rasso_research.estimators.arerrors import FINE_POINTS

    phi, _ = reml(X, y[:, None], 1, points=FINE_POINTS[1])  # the data's own fit
    coarse, _ = reml(X, y[:, None], 1)  # the bootstrap series' search

    def crit(r):
        f = gls(X, y[:, None], np.array([[r]]))
        XtX = np.linalg.inv(f.cov[0]) * f.ssr[0] / (n - 3 - 1)
        return (n - 3) * np.log(f.ssr[0]) + f.logdet[0] + np.linalg.slogdet(XtX)[1]

    best = minimize_scalar(crit, bounds=(-0.95, 0.99), method="bounded", options={"xatol": 1e-8})
    assert phi[0, 0] == pytest.approx(best.x, abs=1e-3)
    assert coarse[0, 0] == pytest.approx(best.x, abs=5e-3)


def test_pacf_to_ar_is_durbin_levinson():
    np.testing.assert_allclose(pacf_to_ar(np.array([0.5])), [0.5])
    # AR(2) with phi = (0.4, 0.3): pacf r1 = 0.4 / 0.7, r2 = 0.3
    np.testing.assert_allclose(pacf_to_ar(np.array([0.4 / 0.7, 0.3])), [0.4, 0.3], atol=1e-12)


def test_reml_search_finds_the_global_optimum_of_persistent_series():
    """On persistent AR(2) series (where a coarse search used to stop in a local optimum) a
    series' own REML fit reaches the optimum of a brute-force 195 x 195 grid."""
    from rasso_research.estimators.arerrors import FINE_POINTS, R_MAX, R_MIN, _Moments

    rng = np.random.default_rng(3)
    n = 40
    t = np.arange(n)
    X = np.column_stack([np.ones(n), t, t >= 24, np.where(t >= 24, t - 24, 0)]).astype(float)
    Y = lfilter([1.0], [1.0, -0.9], rng.normal(size=(n + 100, 12)), axis=0)[100:]
    m = _Moments(X, Y, 2)
    ax = np.linspace(R_MIN, R_MAX, 195)
    grid = np.stack(np.meshgrid(ax, ax, indexing="ij"), -1).reshape(-1, 2)
    brute = np.min([m.criterion(g).min(axis=0) for g in np.array_split(grid, 10)], axis=0)
    _, found = reml(X, Y, 2, points=FINE_POINTS[2])
    assert (found <= brute + 0.07).all(), found - brute


def test_reml_criterion_paths_agree_with_the_gls_likelihood():
    """The REML criterion at candidates shared by every column (the grid) equals the one at
    per-column candidates (the augmented Cholesky factor of the searches), and both equal the
    criterion rebuilt from a direct GLS fit; a column the design fits exactly (no Cholesky
    factor of [X y]'[X y]) does not stop the others."""
    from rasso_research.estimators.arerrors import _Moments

    rng = np.random.default_rng(5)
    n, B = 30, 6
    t = np.arange(n)
    X = np.column_stack([np.ones(n), t, t >= 18, np.where(t >= 18, t - 18, 0)]).astype(float)
    Y = lfilter([1.0], [1.0, -0.6], rng.normal(size=(n, B)), axis=0)
    r = np.array([[0.2, -0.1], [0.7, 0.3], [-0.5, 0.4], [0.9, -0.6]])
    m = _Moments(X, Y, 2)
    shared = m.criterion(r)
    per = m.criterion(np.repeat(r[:, None, :], B, axis=1))
    np.testing.assert_allclose(shared, per, rtol=1e-10)
    k = X.shape[1]
    for g, rg in enumerate(r):
        f = gls(X, Y, np.repeat(pacf_to_ar(rg)[None], B, axis=0))
        XtX = np.linalg.inv(f.cov[0]) * f.ssr[0] / (n - k - 2)
        ref = (n - k) * np.log(f.ssr) + f.logdet + np.linalg.slogdet(XtX)[1]
        np.testing.assert_allclose(shared[g], ref, rtol=1e-9)
    Y2 = Y.copy()
    Y2[:, 0] = X @ [1.0, 0.5, -2.0, 0.1]  # fitted exactly
    m2 = _Moments(X, Y2, 2)
    out = m2.criterion(np.repeat(r[:, None, :], B, axis=1))
    np.testing.assert_allclose(out[:, 1:], per[:, 1:], rtol=1e-9)
    assert (out[:, 0] < per[:, 1:].min()).all()


def test_reml_grid_with_more_columns_than_a_chunk_holds():
    """More bootstrap columns than one chunk of the grid holds (16,384 criteria): every grid
    point still evaluated once, no empty chunk."""
    rng = np.random.default_rng(0)
    X = np.column_stack([np.ones(30), np.arange(30.0)])
    phi, crit = reml(X, rng.standard_normal((30, 16_400)), 1)
    assert phi.shape == (16_400, 1) and np.isfinite(crit).all()


def test_max_root_of_higher_orders_is_the_companion_eigenvalue():
    """For p >= 3 (no closed form) the largest root modulus equals numpy's polynomial roots."""
    from rasso_research.estimators.arerrors import max_root

    phi = np.random.default_rng(1).normal(scale=0.4, size=(2, 5, 3))
    ref = [np.abs(np.roots(np.r_[1.0, -f])).max() for f in phi.reshape(-1, 3)]
    np.testing.assert_allclose(max_root(phi).ravel(), ref, rtol=1e-10)


def test_bootstrap_world_has_the_fits_innovation_variance_and_the_same_t():
    """The bootstrap resamples the whitened residuals centred and rescaled to the fit's
    innovation variance (n - k - p df). Against the draws of the residuals as they are (the
    old bootstrap world: the same fit with its variance set to their centred mean square,
    a scale of exactly 1), the same seed gives the same critical values and p-values (t* is
    scale-free), while the deviations b* - b and the minimum detectable effects grow by the
    scale, about sqrt(n / (n - k - p))."""
    from dataclasses import replace

    from rasso_research.estimators.arerrors import (
        bootstrap_innovations,
        design_draws,
        fit_ar_errors,
    )

    rng = np.random.default_rng(4)
    n, t0 = 30, 18
    t = np.arange(n)
    season = (t[:, None] % 4 == np.arange(1, 4)).astype(float)
    X = np.column_stack([np.ones(n), t, season, t >= t0, np.where(t >= t0, t - t0, 0)])
    y = X @ [10, 0.1, 1, -0.5, 0.8, -2, 0.2] + lfilter([1.0], [1.0, -0.5], rng.normal(size=n))
    fit = fit_ar_errors(X, y)
    k, p = X.shape[1], fit.p
    e = whiten((y - X @ fit.beta)[:, None], fit.phi)[:, 0]
    u = bootstrap_innovations(e, fit.sigma2)
    assert u.mean() == pytest.approx(0.0, abs=1e-12)
    assert np.mean(u**2) == pytest.approx(fit.sigma2, rel=1e-12)
    ms = np.mean((e - e.mean()) ** 2)
    scale = np.sqrt(fit.sigma2 / ms)
    # the count: n residuals (the first p rows included), n - k - p df; centring costs little
    assert scale == pytest.approx(np.sqrt(n / (n - k - p)), rel=2e-3)
    new = design_draws(X, fit, e, reps=199, seed=7)
    old = design_draws(X, replace(fit, sigma2=ms), e, reps=199, seed=7)
    G = np.vstack([np.eye(k), [0, 0, 0, 0, 0, 1, 4]])  # the coefficients, an effect at h = 4
    np.testing.assert_allclose(new.critical_values(G, 0.05), old.critical_values(G, 0.05), 1e-9)
    t_obs = fit.beta / np.sqrt(np.diag(fit.cov))
    np.testing.assert_array_equal(new.p_values(t_obs), old.p_values(t_obs))
    np.testing.assert_allclose(new.delta, scale * old.delta, rtol=1e-7, atol=1e-12)
    np.testing.assert_allclose(new.roots, old.roots, rtol=1e-9)
    g = G[-1]
    crit = float(new.critical_values(g[None], 0.05)[0])
    assert new.power_mde(g, crit) == pytest.approx(scale * old.power_mde(g, crit), rel=1e-6)
    # the refits' variance estimates now centre on the data's, not (n - k - p) / n of it
    ratio = np.mean(new.covs[5, 5]) / fit.cov[5, 5]
    assert 0.85 < ratio < 1.2 and ratio > 1.15 * np.mean(old.covs[5, 5]) / fit.cov[5, 5]


@pytest.mark.parametrize("seed", range(5))
def test_whitened_rows_equal_scipy_lfilter_bit_for_bit(seed):
    """The AR(p) transform's body is computed without scipy.signal (half a second of import);
    it must equal lfilter's FIR output exactly, so no estimate moves in its last digit."""
    rng = np.random.default_rng(seed)
    for p in range(1, 6):
        A = rng.normal(size=(60, 7)) * 10.0 ** rng.integers(-3, 4)
        phi = pacf_to_ar(rng.uniform(-0.9, 0.9, size=(1, p)))[0]  # stationary
        ref = lfilter(np.r_[1.0, -phi], [1.0], A, axis=0)[p:]
        assert np.array_equal(whiten(A, phi)[p:], ref)
