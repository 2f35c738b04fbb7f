"""Fitting an ITS model: :class:`ITSModel` (the data and spec, with the design built from
them) and its ``fit()``, which chooses the estimator the spec describes (OLS, GLM, negative
binomial, ARIMA errors, GLS with REML AR errors, panel sandwiches) and returns an
:class:`~rasso_research.its.results.ITSResult`, as statsmodels' models return results.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
from statsmodels.discrete.discrete_model import NegativeBinomial
from statsmodels.genmod import families
from statsmodels.genmod.generalized_linear_model import GLM
from statsmodels.regression.linear_model import OLS, OLSResults, RegressionResultsWrapper

from rasso_research.estimators.arerrors import ar_bootstrap, fit_ar_errors, whiten
from rasso_research.estimators.covariance import (
    ewc_dof,
    ewc_long_run,
    newey_west_lags,
    panel_sandwich,
)

from .design import INTERCEPT, Design, build_design, design_matrix
from .results import ITSResult
from .spec import (
    CI_METHODS,
    COUNT_FAMILIES,
    HAC_RULES,
    MIN_CLUSTERS,
    MIN_DF,
    PANEL_COV_TYPES,
    SERIES_COV_TYPES,
    ITSSpec,
    resolved_cov_type,
)


def _check_cov(spec: ITSSpec, design: Design, cov: str) -> None:
    """Refuse the combinations that would silently give wrong inference."""
    fam = spec.family
    if design.controlled:
        if cov == "HAC":
            raise ValueError(
                "cov_type='HAC' on a stacked panel would let the Newey-West lags run across "
                "unit boundaries; use 'itsa' (Newey-West within each unit, as Stata itsa) or "
                "'driscoll-kraay'"
            )
        if cov not in PANEL_COV_TYPES:
            raise ValueError(
                f"cov_type for a controlled ITS must be one of {PANEL_COV_TYPES}; got {cov!r}"
            )
        if cov != "nonrobust" and fam not in ("ols", "ols_log", "poisson", "quasipoisson"):
            raise ValueError(
                f"cov_type={cov!r} is implemented for OLS, OLS-log, Poisson and quasi-Poisson "
                f"controlled ITS (family {fam!r}); use cov_type='nonrobust'"
            )
        n_units = int(design.frame["unit"].nunique())
        if cov == "cluster" and n_units < MIN_CLUSTERS:
            raise ValueError(
                f"cluster-robust errors need at least {MIN_CLUSTERS} clusters; the panel has "
                f"{n_units} units. Use cov_type='itsa' or 'driscoll-kraay'"
            )
        return
    if cov not in SERIES_COV_TYPES:
        raise ValueError(
            f"cov_type for a single-series ITS must be one of {SERIES_COV_TYPES}; got {cov!r}"
        )
    if cov == "AR" and fam == "arima":
        raise ValueError("family='arima' models ARMA errors by ML: use cov_type='nonrobust'")
    if fam == "arima" and cov != "nonrobust":
        raise ValueError("family='arima' models the errors itself: use cov_type='nonrobust'")


def _check_hac_rule(spec: ITSSpec, cov: str) -> None:
    if spec.hac_rule not in HAC_RULES:
        raise ValueError(f"hac_rule must be one of {HAC_RULES}; got {spec.hac_rule!r}")
    if spec.hac_rule == "nw1994":
        return
    if cov != "HAC" or spec.family not in ("ols", "ols_log"):
        raise ValueError(
            f"hac_rule={spec.hac_rule!r} is available for an uncontrolled OLS/OLS-log ITS with "
            f"HAC errors only (family {spec.family!r}, cov_type {cov!r})"
        )
    if spec.hac_lags is not None:
        raise ValueError("hac_lags applies to hac_rule='nw1994' only")


def _check_df(df: float, what: str) -> None:
    if df < MIN_DF:
        raise ValueError(
            f"the t reference of {what} would have {df:g} degrees of freedom, fewer than "
            f"{MIN_DF}: too few periods or units for this estimator"
        )


def _with_cov(ols, V: np.ndarray, cov_type: str, df: float, kwds: dict):
    """A fresh OLS results instance whose default covariance is ``V`` with a t(df)
    reference, so bse, conf_int, pvalues and t_test all use them."""
    res = OLSResults(ols.model, ols.params, ols.normalized_cov_params, ols.scale, use_t=True)
    res.cov_params_default = V
    res.cov_type = cov_type
    res.cov_kwds = kwds
    res.df_resid_inference = df
    return RegressionResultsWrapper(res)


def _fit_ols_ewc(design: Design, fit: pd.DataFrame):
    """OLS with the equal-weighted cosine (EWC) covariance and t(nu) inference (Lazarus,
    Lewis, Stock & Watson 2018)."""
    spec = design.spec
    ols = OLS(*_endog_exog(design, fit)).fit()._results
    X = np.asarray(ols.model.exog)
    n, k = X.shape
    nu = ewc_dof(n)
    _check_df(nu, "the EWC estimator")
    bread = np.linalg.inv(X.T @ X)
    omega = ewc_long_run(X * np.asarray(ols.resid)[:, None], nu)
    V = bread @ omega @ bread
    if spec.small_sample:
        V = V * n / (n - k)
    return _with_cov(ols, V, "EWC", nu, {"nu": nu, "use_correction": spec.small_sample})


def _fit_panel(design: Design, fit: pd.DataFrame, cov: str, lags: int):
    """Stacked fit of a controlled ITS (OLS, or a Poisson-family GLM with offset) with the
    panel covariance ``cov`` (ITSSpec): a sandwich bread S bread built from the scores."""
    spec = design.spec
    if spec.family in ("ols", "ols_log"):
        res = OLS(*_endog_exog(design, fit)).fit()
    else:
        mod = GLM(*_endog_exog(design, fit), family=families.Poisson(), offset=fit["log_offset"])
        res = mod.fit(scale="X2" if spec.family == "quasipoisson" else None)
    if cov == "nonrobust":
        return res, "nonrobust"
    r = res._results
    X = np.asarray(r.model.exog)
    if spec.family in ("ols", "ols_log"):
        w, u = np.ones(len(X)), np.asarray(r.resid)
    else:  # Poisson scores x (y - mu); the weights of the information matrix are mu
        mu = np.asarray(r.fittedvalues)
        w, u = mu, np.asarray(r.model.endog) - mu
    units, t = fit["unit"].to_numpy(), fit["t"].to_numpy()
    V, df, kw, what = panel_sandwich(X, u, w, units, t, cov, lags)
    _check_df(df, what)
    if spec.family in ("ols", "ols_log"):
        return _with_cov(r, V, cov, df, kw), cov
    # a GLM keeps its results object; the sandwich and its t reference replace the default
    r.cov_params_default = V
    r.cov_type, r.cov_kwds, r.use_t, r.df_resid_inference = cov, kw, True, df
    r.normalized_cov_params = V / r.scale
    return res, cov


def _fit_ar(design: Design, fit: pd.DataFrame):
    """Feasible GLS with AR(p) errors (estimators/arerrors.py) as OLS results on the whitened data,
    with the innovation variance on n - k - p df and a t(n - k - p) reference."""
    spec = design.spec
    X = design_matrix(fit, [INTERCEPT, *design.terms])
    y = fit["y"].to_numpy(dtype=float)
    ar = fit_ar_errors(X, y, order=spec.ar_order, ar_max=spec.ar_max)
    n, k = X.shape
    _check_df(n - k - ar.p, "the AR-errors fit (n - k - p)")
    names = [INTERCEPT, *design.terms]
    model = OLS(
        pd.Series(whiten(y[:, None], ar.phi)[:, 0], name="y"),
        pd.DataFrame(whiten(X, ar.phi), columns=names),
    )
    model.df_resid = n - k - ar.p
    res = model.fit(use_t=True)
    res.ar_fit, res.ar_working = ar, (X, y)
    return res


def _fit_count_ar(design: Design, fit: pd.DataFrame):
    """A Poisson-family log-linear model with AR(p) errors on the linear-predictor scale
    (Zeger 1988's parameter-driven model, by quasi-likelihood), as a one-step estimator: the
    GLM (Poisson, or negative binomial) gives the weights and the working response, and the
    REML AR-errors fit (estimators/arerrors.py) of the weighted working response on the weighted
    design gives the estimates. One step from the GLM is first-order equivalent to
    iterating, and stays stable where iterating drifts: when the errors are near a unit root
    the level is weakly identified and the reweighting chases it. The dispersion is
    estimated (n - k - p df), so "poisson" and "quasipoisson" give the same fit. Returned
    as OLS results on the whitened working regression, which the bootstrap resamples."""
    spec = design.spec
    names = [INTERCEPT, *design.terms]
    X = design_matrix(fit, names)
    y = fit["y"].to_numpy(dtype=float)
    off = fit["log_offset"].to_numpy(dtype=float)
    alpha = 0.0
    if spec.family == "negbin":
        nb = NegativeBinomial(*_endog_exog(design, fit), offset=fit["log_offset"])
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            start = nb.fit(disp=0, maxiter=500)
        alpha = float(start.params["alpha"])
        beta = np.asarray(start.params)[:-1]
    else:
        start = GLM(y, X, family=families.Poisson(), offset=off).fit()
        beta = np.asarray(start.params)
    eta = X @ beta + off
    mu = np.exp(eta)
    sw = np.sqrt(mu / (1.0 + alpha * mu))
    Xw, zw = X * sw[:, None], (eta - off + (y - mu) / mu) * sw
    ar = fit_ar_errors(Xw, zw, order=spec.ar_order, ar_max=spec.ar_max)
    n, k = X.shape
    _check_df(n - k - ar.p, "the AR-errors fit (n - k - p)")
    model = OLS(
        pd.Series(whiten(zw[:, None], ar.phi)[:, 0], name="y"),
        pd.DataFrame(whiten(Xw, ar.phi), columns=names),
    )
    model.df_resid = n - k - ar.p
    res = model.fit(use_t=True)
    res.ar_fit, res.ar_working, res.nb_alpha = ar, (Xw, zw), alpha
    return res


def _endog_exog(design: Design, fit: pd.DataFrame) -> tuple[pd.Series, pd.DataFrame]:
    """The fitted rows' outcome and named design (``Intercept`` first) for statsmodels'
    model classes: build_design has made the columns, so a formula would only rebuild the
    same matrix (and drop rows with missing values, which here is an error instead)."""
    names = [INTERCEPT, *design.terms]
    X = pd.DataFrame(design_matrix(fit, names), columns=names, index=fit.index)
    bad = ~np.isfinite(X.to_numpy()).all(axis=0)
    if bad.any():
        raise ValueError(f"design column(s) {list(X.columns[bad])} have missing values")
    return fit["y"], X


def _ci_method(spec: ITSSpec, cov: str) -> str:
    """Resolve ``spec.ci_method`` ("auto" -> "bootstrap" under AR errors, else "wald")."""
    if spec.ci_method not in CI_METHODS:
        raise ValueError(f"ci_method must be one of {CI_METHODS}; got {spec.ci_method!r}")
    if spec.ci_method == "auto":
        return "bootstrap" if cov == "AR" else "wald"
    if spec.ci_method == "bootstrap" and cov != "AR":
        raise ValueError(
            "ci_method='bootstrap' is the parametric bootstrap of the AR-errors fit, so it "
            f"needs cov_type='AR' (an uncontrolled ITS); got cov_type {cov!r}"
        )
    return spec.ci_method


def _fit_statsmodels(design: Design):
    spec = design.spec
    fit = design.fit_frame()
    n_time = int(fit["t"].nunique())
    cov = resolved_cov_type(spec, design.controlled)
    default_lags = 1 if cov == "itsa" else newey_west_lags(n_time)
    lags = spec.hac_lags if spec.hac_lags is not None else default_lags
    _check_cov(spec, design, cov)
    _check_hac_rule(spec, cov)
    fam = spec.family
    if design.controlled:
        res, cov = _fit_panel(design, fit, cov, lags)
        return res, lags, cov
    if cov == "AR":
        if fam in COUNT_FAMILIES:
            return _fit_count_ar(design, fit), lags, cov
        return _fit_ar(design, fit), lags, cov
    if spec.hac_rule == "ewc":
        return _fit_ols_ewc(design, fit), lags, "EWC"
    kw = {}
    if cov == "HAC":
        kw = {"cov_type": "HAC", "cov_kwds": {"maxlags": lags, "use_correction": spec.small_sample}}
    if fam in ("ols", "ols_log"):
        if cov == "HAC" and spec.small_sample:
            _check_df(len(fit) - len(design.terms) - 1, "OLS with HAC errors (n - k)")
        res = OLS(*_endog_exog(design, fit)).fit(use_t=spec.small_sample, **kw)
    elif fam in ("poisson", "quasipoisson"):
        mod = GLM(*_endog_exog(design, fit), family=families.Poisson(), offset=fit["log_offset"])
        scale = "X2" if fam == "quasipoisson" else None
        res = mod.fit(scale=scale, **kw)
    elif fam == "negbin":
        mod = NegativeBinomial(*_endog_exog(design, fit), offset=fit["log_offset"])
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            res = mod.fit(disp=0, maxiter=500, **kw)
    else:  # arima: regression with ARMA errors, excluded (phase-in) periods as missing
        full = design.frame
        exog = full[design.terms].copy()
        exog.insert(0, INTERCEPT, 1.0)
        endog = full["y"].where(full["in_fit"])
        from statsmodels.tsa.statespace.sarimax import SARIMAX  # lazy: 0.2 s to import

        # sigma2 concentrated out of the likelihood: same estimates, faster and more stable
        mod = SARIMAX(
            endog.to_numpy(),
            exog=exog,
            order=tuple(spec.arma_order),
            trend="n",
            concentrate_scale=True,
        )
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            res = mod.fit(disp=False, maxiter=500)
    return res, lags, cov


class ITSModel:
    """An ITS model: the data, the spec and the design built from them (statsmodels'
    model). ``fit()`` estimates it and returns an :class:`ITSResult`."""

    def __init__(self, data: pd.DataFrame, spec: ITSSpec):
        self.data = data
        self.spec = spec
        self.design = build_design(data, spec)

    def fit(self) -> ITSResult:
        """Fit by the estimator the spec describes; with AR errors and bootstrap intervals,
        run the seeded parametric bootstrap of that fit too."""
        spec = self.spec
        res, lags, cov = _fit_statsmodels(self.design)
        boot = None
        if _ci_method(spec, cov) == "bootstrap":
            Xb, yb = res.ar_working  # the (working, for counts) regression the AR fit is of
            boot = ar_bootstrap(Xb, yb, res.ar_fit, reps=spec.boot_reps, seed=spec.boot_seed)
        return ITSResult(self, res, lags, cov, boot)


def fit_its(data: pd.DataFrame, spec: ITSSpec) -> ITSResult:
    """Validate, build the design and fit the model described by ``spec``
    (``ITSModel(data, spec).fit()``)."""
    return ITSModel(data, spec).fit()
