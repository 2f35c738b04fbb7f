"""Fitting ITS models and summarising them as tidy frames.

All families share one representation: a coefficient vector ``beta`` for the named design
columns and its covariance ``V``. Fitted values and counterfactuals are ``X @ beta`` on the
link scale with standard errors ``sqrt(diag(X V X'))`` (the same computation as statsmodels'
``get_prediction``; a test checks the equality), transformed to the outcome scale.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from functools import cached_property

import numpy as np
import pandas as pd
import statsmodels.api as sm
from scipy import stats
from statsmodels.regression.linear_model import OLSResults, RegressionResultsWrapper
from statsmodels.stats.stattools import durbin_watson
from statsmodels.tsa.arima_process import arma_acovf
from statsmodels.tsa.statespace.sarimax import SARIMAX
from statsmodels.tsa.stattools import acf, pacf

from .arerrors import BootstrapDraws, ar_autocov, ar_bootstrap, fit_ar_errors, whiten
from .design import (
    CI_METHODS,
    COUNT_FAMILIES,
    HAC_RULES,
    LOG_FAMILIES,
    MIN_CLUSTERS,
    MIN_DF,
    PANEL_COV_TYPES,
    SERIES_COV_TYPES,
    Design,
    ITSSpec,
    build_design,
    ewc_dof,
    ewc_long_run,
    newey_west_lags,
    resolved_cov_type,
)

INTERCEPT = "Intercept"


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


def _bartlett(Z: np.ndarray, lags: int) -> np.ndarray:
    """sum_t z_t z_t' plus Bartlett-weighted autocovariances of the rows of ``Z``."""
    S = Z.T @ Z
    for lag in range(1, lags + 1):
        G = Z[lag:].T @ Z[:-lag]
        S += (1.0 - lag / (lags + 1.0)) * (G + G.T)
    return S


def _fit_ols_ewc(design: Design, fit: pd.DataFrame):
    """OLS with the equal-weighted cosine (EWC) covariance and t(nu) inference (Lazarus,
    Lewis, Stock & Watson 2018)."""
    spec = design.spec
    ols = sm.OLS(*_endog_exog(design, fit)).fit()._results
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
        res = sm.OLS(*_endog_exog(design, fit)).fit()
    else:
        mod = sm.GLM(
            *_endog_exog(design, fit), family=sm.families.Poisson(), offset=fit["log_offset"]
        )
        res = mod.fit(scale="X2" if spec.family == "quasipoisson" else None)
    if cov == "nonrobust":
        return res, "nonrobust"
    r = res._results
    X = np.asarray(r.model.exog)
    n, k = X.shape
    if spec.family in ("ols", "ols_log"):
        w, u = np.ones(n), np.asarray(r.resid)
    else:  # Poisson scores x (y - mu); the weights of the information matrix are mu
        mu = np.asarray(r.fittedvalues)
        w, u = mu, np.asarray(r.model.endog) - mu
    bread = np.linalg.inv(X.T @ (X * w[:, None]))
    Z = X * u[:, None]
    units = fit["unit"].to_numpy()
    if cov == "itsa":  # Newey-West within each unit (rows are sorted by unit, then time)
        S = sum(_bartlett(Z[units == g], lags) for g in pd.unique(units))
        V, df, kw = bread @ S @ bread * n / (n - k), n - k, {"maxlags": lags}
        what = "the itsa estimator (n - k)"
    elif cov == "cluster":  # CR1: G/(G-1) (n-1)/(n-k)
        G = len(pd.unique(units))
        S = sum(np.outer(z, z) for z in (Z[units == g].sum(axis=0) for g in pd.unique(units)))
        V = bread @ S @ bread * G / (G - 1) * (n - 1) / (n - k)
        df, kw, what = G - 1, {"groups": G}, "cluster-robust errors (G - 1)"
    else:  # driscoll-kraay: Newey-West on the sums of scores over units at each time
        t = fit["t"].to_numpy()
        times = np.unique(t)
        H = np.stack([Z[t == x].sum(axis=0) for x in times])
        V = bread @ _bartlett(H, lags) @ bread * n / (n - k)
        df, kw = len(times) - 1, {"maxlags": lags, "periods": len(times)}
        what = "Driscoll-Kraay errors (T - 1)"
    _check_df(df, what)
    if spec.family in ("ols", "ols_log"):
        return _with_cov(r, V, cov, df, kw), cov
    # a GLM keeps its results object; the sandwich and its t reference replace the default
    r.cov_params_default = V
    r.cov_type, r.cov_kwds, r.use_t, r.df_resid_inference = cov, kw, True, df
    r.normalized_cov_params = V / r.scale
    return res, cov


def _fit_ar(design: Design, fit: pd.DataFrame):
    """Feasible GLS with AR(p) errors (its/arerrors.py) as OLS results on the whitened data,
    with the innovation variance on n - k - p df and a t(n - k - p) reference."""
    spec = design.spec
    X = design_matrix(fit, [INTERCEPT, *design.terms])
    y = fit["y"].to_numpy(dtype=float)
    ar = fit_ar_errors(X, y, order=spec.ar_order, ar_max=spec.ar_max)
    n, k = X.shape
    _check_df(n - k - ar.p, "the AR-errors fit (n - k - p)")
    names = [INTERCEPT, *design.terms]
    model = sm.OLS(
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
    REML AR-errors fit (its/arerrors.py) of the weighted working response on the weighted
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
        nb = sm.NegativeBinomial(*_endog_exog(design, fit), offset=fit["log_offset"])
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            start = nb.fit(disp=0, maxiter=500)
        alpha = float(start.params["alpha"])
        beta = np.asarray(start.params)[:-1]
    else:
        start = sm.GLM(y, X, family=sm.families.Poisson(), offset=off).fit()
        beta = np.asarray(start.params)
    eta = X @ beta + off
    mu = np.exp(eta)
    sw = np.sqrt(mu / (1.0 + alpha * mu))
    Xw, zw = X * sw[:, None], (eta - off + (y - mu) / mu) * sw
    ar = fit_ar_errors(Xw, zw, order=spec.ar_order, ar_max=spec.ar_max)
    n, k = X.shape
    _check_df(n - k - ar.p, "the AR-errors fit (n - k - p)")
    model = sm.OLS(
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


def design_matrix(frame: pd.DataFrame, names: list[str]) -> np.ndarray:
    """The columns ``names`` of a design frame as a float matrix (``Intercept`` is 1)."""
    X = np.ones((len(frame), len(names)))
    for j, nm in enumerate(names):
        if nm != INTERCEPT:
            X[:, j] = frame[nm].to_numpy(dtype=float)
    return X


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
        res = sm.OLS(*_endog_exog(design, fit)).fit(use_t=spec.small_sample, **kw)
    elif fam in ("poisson", "quasipoisson"):
        mod = sm.GLM(
            *_endog_exog(design, fit), family=sm.families.Poisson(), offset=fit["log_offset"]
        )
        scale = "X2" if fam == "quasipoisson" else None
        res = mod.fit(scale=scale, **kw)
    elif fam == "negbin":
        mod = sm.NegativeBinomial(*_endog_exog(design, fit), offset=fit["log_offset"])
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            res = mod.fit(disp=0, maxiter=500, **kw)
    else:  # arima: regression with ARMA errors, excluded (phase-in) periods as missing
        full = design.frame
        exog = full[design.terms].copy()
        exog.insert(0, INTERCEPT, 1.0)
        endog = full["y"].where(full["in_fit"])
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


def _param_names(res, spec: ITSSpec, design: Design) -> list[str]:
    names = list(res.model.exog_names)
    if spec.family == "arima":
        return [INTERCEPT, *design.terms]
    return [n for n in names if n != "alpha"]


@dataclass
class ITSResult:
    """A fitted ITS model: the statsmodels results plus the design it came from."""

    spec: ITSSpec
    design: Design
    results: object
    hac_lags: int
    cov_type: str
    bootstrap: BootstrapDraws | None = None

    @property
    def ci_method(self) -> str:
        """The interval method used: "bootstrap" (AR-errors percentile-t) or "wald"."""
        return "wald" if self.bootstrap is None else "bootstrap"

    # --- coefficients (computed once: the effects and intervals read them many times) -----
    @cached_property
    def names(self) -> list[str]:
        return _param_names(self.results, self.spec, self.design)

    @cached_property
    def _pos(self) -> list[int]:
        """Positions of ``names`` among the results' parameters (which may have more)."""
        return [self._names_all.index(nm) for nm in self.names]

    @cached_property
    def beta(self) -> np.ndarray:
        return np.asarray(self.results.params, dtype=float)[self._pos]

    def _all_names(self) -> list[str]:
        return self._names_all

    @cached_property
    def _names_all(self) -> list[str]:
        p = self.results.params
        return list(p.index) if isinstance(p, pd.Series) else list(self.results.model.param_names)

    @cached_property
    def cov(self) -> np.ndarray:
        return np.asarray(self.results.cov_params(), dtype=float)[np.ix_(self._pos, self._pos)]

    @property
    def is_log(self) -> bool:
        return self.spec.family in LOG_FAMILIES

    @property
    def dispersion(self) -> float:
        """Pearson chi-squared / residual df (counts); 1 means Poisson variance. Under AR
        errors, the estimated variance of the whitened working residuals."""
        r = self.results
        if self.cov_type == "AR" and self.spec.family in COUNT_FAMILIES:
            return float(r.scale)
        if self.spec.family in ("poisson", "quasipoisson"):
            return float(r.pearson_chi2 / r.df_resid)
        if self.spec.family == "negbin":
            mu = r.predict()
            y = r.model.endog
            a = float(r.params["alpha"])
            return float(np.sum((y - mu) ** 2 / (mu + a * mu**2)) / r.df_resid)
        return float("nan")

    @property
    def _nb_alpha(self) -> float:
        r = self.results
        return float(r.nb_alpha if self.cov_type == "AR" else r.params["alpha"])

    def _crit(self) -> float:
        a = self.spec.alpha
        if getattr(self.results, "use_t", False):
            df = getattr(self.results, "df_resid_inference", self.results.df_resid)
            return float(stats.t.ppf(1 - a / 2, df))
        return float(stats.norm.ppf(1 - a / 2))

    def _crits(self, G: np.ndarray) -> np.ndarray:
        """Critical values for the link-scale contrasts in the rows of ``G`` (coefficient
        order ``names``): bootstrap percentile-t, or the Wald value for every row."""
        G = np.atleast_2d(np.asarray(G, dtype=float))
        if self.bootstrap is None:
            return np.full(G.shape[0], self._crit())
        pos = self._pos
        full = np.zeros((G.shape[0], len(self._all_names())))
        full[:, pos] = G
        crit = self.bootstrap.critical_values(full, self.spec.alpha)
        # contrasts with (numerically) zero HAC variance, e.g. a period with its own
        # disruption dummy, have a zero-width interval whatever the critical value
        se = np.sqrt(np.clip(np.einsum("ij,jk,ik->i", G, self.cov, G), 0.0, None))
        tiny = se <= 1e-8 * np.maximum(np.abs(G @ self.beta), 1.0)
        return np.where(tiny | ~np.isfinite(crit), self._crit(), crit)

    def params_table(self) -> pd.DataFrame:
        """Tidy coefficients: term, estimate, std_error, ci_low, ci_high, p_value (and
        rate_ratio with CI for log-scale families). With bootstrap inference the CI and
        p-value are the percentile-t ones of the AR-errors bootstrap."""
        r = self.results
        names = self._all_names()
        ci = np.asarray(r.conf_int(alpha=self.spec.alpha))
        out = pd.DataFrame(
            {
                "term": names,
                "estimate": np.asarray(r.params, dtype=float),
                "std_error": np.asarray(r.bse, dtype=float),
                "ci_low": ci[:, 0],
                "ci_high": ci[:, 1],
                "p_value": np.asarray(r.pvalues, dtype=float),
            }
        )
        if self.bootstrap is not None:
            crit = self.bootstrap.critical_values(np.eye(len(names)), self.spec.alpha)
            out["ci_low"] = out["estimate"] - crit * out["std_error"]
            out["ci_high"] = out["estimate"] + crit * out["std_error"]
            out["p_value"] = self.bootstrap.p_values(out["estimate"] / out["std_error"])
        out = out[out["term"].isin(self.names)].reset_index(drop=True)
        if self.is_log:
            out["rate_ratio"] = np.exp(out["estimate"])
            out["rr_ci_low"] = np.exp(out["ci_low"])
            out["rr_ci_high"] = np.exp(out["ci_high"])
        return out

    # --- predictions --------------------------------------------------------------------
    def _X(self, frame: pd.DataFrame) -> np.ndarray:
        return design_matrix(frame, self.names)

    def _cf_frame(self, frame: pd.DataFrame, from_index: int, drop_disrupted: bool) -> pd.DataFrame:
        cf = frame.copy()
        for info in self.design.interruptions[from_index:]:
            cols = [info.effect_level, info.effect_slope]
            cf[[c for c in cols if c is not None]] = 0.0
        if drop_disrupted:
            cf[self.design.disrupted_terms] = 0.0
        return cf

    def _to_scale(self, eta):
        return (
            np.exp(eta) * (self.spec.rate_per if self.spec.offset else 1.0)
            if (self.spec.family in COUNT_FAMILIES)
            else (np.exp(eta) if self.spec.family == "ols_log" else eta)
        )

    def _resid_var(self) -> float:
        """Variance of a new observation about the mean on the linear scale (Gaussian
        families only); for ARMA errors the unconditional variance of the error process."""
        r = self.results
        if self.cov_type == "AR":  # unconditional variance of the AR error process
            return float(r.scale * ar_autocov(r.ar_fit.phi[None])[0, 0])
        if self.spec.family in ("ols", "ols_log"):
            return float(r.scale)
        if self.spec.family == "arima":
            ar = np.r_[1, -np.asarray(r.arparams)] if len(r.arparams) else np.array([1.0])
            ma = np.r_[1, np.asarray(r.maparams)] if len(r.maparams) else np.array([1.0])
            s2 = float(r.scale)  # concentrated-out innovation variance
            return float(arma_acovf(ar, ma, nobs=1, sigma2=s2)[0])
        return float("nan")

    def _predict(self, frame: pd.DataFrame, prefix: str) -> pd.DataFrame:
        X = self._X(frame)
        eta = X @ self.beta
        # clip tiny negative round-off (e.g. a period with its own disruption dummy under HAC)
        se = np.sqrt(np.clip(np.einsum("ij,jk,ik->i", X, self.cov, X), 0.0, None))
        z = self._crit()
        zc = self._crits(X)
        out = {
            prefix: self._to_scale(eta),
            f"{prefix}_ci_low": self._to_scale(eta - zc * se),
            f"{prefix}_ci_high": self._to_scale(eta + zc * se),
        }
        rv = self._resid_var()
        if np.isfinite(rv):
            sp = np.sqrt(se**2 + rv)
            out[f"{prefix}_pi_low"] = self._to_scale(eta - z * sp)
            out[f"{prefix}_pi_high"] = self._to_scale(eta + z * sp)
        elif self.spec.family in COUNT_FAMILIES:
            # normal approximation on the outcome (rate) scale: mean uncertainty (delta
            # method) plus the family variance of a count at this period's offset
            mu = out[prefix]
            c = self.spec.rate_per if self.spec.offset else 1.0
            mu_count = mu / c * np.exp(frame["log_offset"].to_numpy())
            if self.spec.family == "negbin":
                var_count = mu_count + self._nb_alpha * mu_count**2
            else:
                var_count = mu_count * (
                    self.dispersion if self.spec.family == "quasipoisson" else 1
                )
            var_rate = var_count * (c / np.exp(frame["log_offset"].to_numpy())) ** 2
            sp = np.sqrt((mu * se) ** 2 + var_rate)
            out[f"{prefix}_pi_low"] = np.clip(mu - z * sp, 0.0, None)
            out[f"{prefix}_pi_high"] = mu + z * sp
        return pd.DataFrame(out, index=frame.index)

    def counterfactual(
        self, interruption: str | None = None, include_disrupted: bool = True
    ) -> pd.DataFrame:
        """Per period: observed, fitted (with CI/PI) and the counterfactual (with CI/PI) in
        which the given interruption (default: the first, hence all) and later ones did not
        happen, i.e. the earlier-segment model projected forward. Rates if an offset is set.
        ``include_disrupted=False`` sets the disruption indicators to 0 in both (the
        underlying lines, as drawn in the standard figure)."""
        idx = self._interruption_index(interruption)
        fr = self.design.frame
        if not include_disrupted:
            fr = fr.copy()
            fr[self.design.disrupted_terms] = 0.0
        cols = ["unit", "t", "label", "segment", "in_fit", "observed"]
        out = fr[cols].copy()
        out.insert(2, "period", [self.design.axis.period(t) for t in fr["t"]])
        out = pd.concat(
            [
                out,
                self._predict(fr, "fitted"),
                self._predict(self._cf_frame(fr, idx, False), "counterfactual"),
            ],
            axis=1,
        )
        if not self.design.controlled:
            out = out.drop(columns="unit")
        return out.reset_index(drop=True)

    def _interruption_index(self, name: str | None) -> int:
        if name is None:
            return 0
        for j, info in enumerate(self.design.interruptions):
            if info.name == name:
                return j
        raise ValueError(
            f"No interruption {name!r}; have {[i.name for i in self.design.interruptions]}"
        )

    def effects(
        self,
        horizons=(0, 4, 8),
        method: str = "delta",
        n_sim: int = 5000,
        seed: int = 20240101,
    ) -> pd.DataFrame:
        """Absolute and relative differences between the fitted model and the counterfactual
        at ``horizons`` periods after each interruption's start (disruption indicators set to
        0 in both). CIs by the delta method or by simulating beta ~ N(beta_hat, V) (seeded).
        With bootstrap inference the delta-method CIs use the bootstrap percentile-t critical
        value of each (linearised) contrast instead of the normal/t one; "simulation" stays
        Wald-based."""
        if method not in ("delta", "simulation"):
            raise ValueError("method must be 'delta' or 'simulation'")
        fr = self.design.frame
        if self.design.controlled:
            fr = fr[fr["treated"] == 1.0]
        tmax = int(fr["t"].max())
        z = self._crit()
        b, V = self.beta, self.cov
        rows = []
        rng = np.random.default_rng(seed)
        draws = (
            rng.multivariate_normal(b, V, size=n_sim, method="svd")
            if method == "simulation"
            else None
        )
        # the design rows of the horizons, disruption indicators at 0 (fitted), and with the
        # effect columns of each interruption and later ones at 0 as well (counterfactual)
        names = self.names
        X = self._X(fr)
        col = {nm: j for j, nm in enumerate(names)}
        X[:, [col[c] for c in self.design.disrupted_terms if c in col]] = 0.0
        row_of = {int(t): i for i, t in enumerate(fr["t"].to_numpy())}
        infos = self.design.interruptions
        for j, info in enumerate(infos):
            later = [c for i in infos[j:] for c in (i.effect_level, i.effect_slope)]
            drop = [col[c] for c in later if c in col]
            for h in horizons:
                t = info.start + int(h)
                if t > tmax:
                    continue
                xf = X[row_of[t]]
                xc = xf.copy()
                xc[drop] = 0.0
                rows.append(self._effect_row(info, h, t, xf, xc, b, V, z, draws))
        return pd.DataFrame(rows)

    def _effect_row(self, info, h, t, xf, xc, b, V, z, draws) -> dict:
        to = self._to_scale
        ef, ec = xf @ b, xc @ b
        mf, mc = float(to(ef)), float(to(ec))
        absd, rel = mf - mc, mf / mc - 1
        if draws is not None:
            sf, sc = to(draws @ xf), to(draws @ xc)
            qa = np.quantile(sf - sc, [self.spec.alpha / 2, 1 - self.spec.alpha / 2])
            qr = np.quantile(sf / sc - 1, [self.spec.alpha / 2, 1 - self.spec.alpha / 2])
            a_lo, a_hi, r_lo, r_hi = qa[0], qa[1], qr[0], qr[1]
        elif self.is_log:
            # the model's scale is the log: the interval for log(fitted / counterfactual),
            # transformed; the absolute interval is the counterfactual times the relative one,
            # so both exclude 0 together
            d = xf - xc
            se_log = float(np.sqrt(d @ V @ d))
            zr = float(self._crits(d)[0])
            r_lo = np.exp(ef - ec - zr * se_log) - 1
            r_hi = np.exp(ef - ec + zr * se_log) - 1
            a_lo, a_hi = mc * r_lo, mc * r_hi
        else:
            # linear scale: the absolute interval by the delta method, the relative one by
            # Fieller's theorem with the same critical value (so both exclude 0 together)
            g = xf - xc
            za = float(self._crits(g)[0])
            se_abs = float(np.sqrt(g @ V @ g))
            a_lo, a_hi = absd - za * se_abs, absd + za * se_abs
            r_lo, r_hi = fieller(mf, mc, xf @ V @ xf, xf @ V @ xc, xc @ V @ xc, za)
            r_lo, r_hi = r_lo - 1, r_hi - 1
        return {
            "interruption": info.name,
            "horizon": int(h),
            "period": self.design.axis.label(t),
            "fitted": mf,
            "counterfactual": mc,
            "abs_diff": absd,
            "abs_ci_low": float(a_lo),
            "abs_ci_high": float(a_hi),
            "rel_diff": rel,
            "rel_ci_low": float(r_lo),
            "rel_ci_high": float(r_hi),
        }

    def lincom(self, expr: str) -> pd.DataFrame:
        """A linear combination of coefficients, e.g. ``"trend + slope_main"`` (the trend
        after the interruption) or ``"level_a - level_b"``: one row with estimate, standard
        error, CI and p-value, by the fit's interval method (Stata ``lincom``)."""
        from patsy import DesignInfo

        try:
            g = DesignInfo(self.names).linear_constraint(expr).coefs[0]
        except Exception as exc:  # patsy raises PatsyError with a pointer into the text
            msg = f"cannot read {expr!r} as a combination of {self.names}: {exc}"
            raise ValueError(msg) from None
        est = float(g @ self.beta)
        se = float(np.sqrt(max(g @ self.cov @ g, 0.0)))
        crit = float(self._crits(g)[0])
        tstat = est / se if se > 0 else np.nan
        if self.bootstrap is not None:
            p = float(self.bootstrap.contrast_p_values(g[None], [tstat])[0])
        elif getattr(self.results, "use_t", False):
            df = getattr(self.results, "df_resid_inference", self.results.df_resid)
            p = float(2 * stats.t.sf(abs(tstat), df))
        else:
            p = float(2 * stats.norm.sf(abs(tstat)))
        return pd.DataFrame(
            [
                {
                    "term": expr,
                    "estimate": est,
                    "std_error": se,
                    "ci_low": est - crit * se,
                    "ci_high": est + crit * se,
                    "p_value": p,
                }
            ]
        )

    def mde(self, expr: str, power: float = 0.8) -> float:
        """The minimum detectable value (link scale) of a linear combination such as
        ``"level_main"``: the smallest true value the fit's test (at ``spec.alpha``, two-sided)
        finds with probability ``power``. With the AR-errors bootstrap it is found by
        simulation from the fitted residual process (:meth:`BootstrapDraws.power_mde`);
        with Wald intervals it is ``(c + z_power) x SE``."""
        from patsy import DesignInfo

        g = DesignInfo(self.names).linear_constraint(expr).coefs[0]
        crit = float(self._crits(g)[0])
        if self.bootstrap is not None:
            pos = self._pos
            full = np.zeros(len(self._all_names()))
            full[pos] = g
            return self.bootstrap.power_mde(full, crit, power)
        se = float(np.sqrt(max(g @ self.cov @ g, 0.0)))
        return (crit + float(stats.norm.ppf(power))) * se

    def mde_post(self, expr: str, n_post: int, interruption: str | None = None, power=0.8):
        """The MDE of ``expr`` (as :meth:`mde`) had the series ended ``n_post`` periods after
        interruption ``interruption`` (default: the first): the fitted AR error process and its
        innovations kept, the design cut short, by simulation. Needs the AR-errors bootstrap.
        Columns with no information in the shorter design (indicators of later periods) are
        left out; a combination that needs one of them has no MDE (NaN)."""
        from patsy import DesignInfo

        from .arerrors import design_draws

        if self.bootstrap is None:
            raise ValueError("mde_post needs the AR-errors bootstrap (cov_type='AR')")
        names = self._all_names()
        g = np.zeros(len(names))
        g[[names.index(nm) for nm in self.names]] = (
            DesignInfo(self.names).linear_constraint(expr).coefs[0]
        )
        X, y = self.results.ar_working
        fit = self.results.ar_fit
        info = self.design.interruptions[self._interruption_index(interruption)]
        t = self.design.fit_frame()["t"].to_numpy()
        keep = t < info.start + int(n_post)
        Xm = X[keep]
        cols = np.any(Xm != 0, axis=0)
        # no MDE where the shorter design cannot estimate the combination: a column it needs
        # has no data, the design is collinear (e.g. a slope with a Covid-19 quarter's own
        # indicator), or too few degrees of freedom are left
        if (
            np.any(g[~cols] != 0)
            or np.linalg.matrix_rank(Xm[:, cols]) < cols.sum()
            or Xm.shape[0] - cols.sum() - fit.p < MIN_DF
        ):
            return float("nan")
        e = whiten((y - X @ fit.beta)[:, None], fit.phi)[:, 0]
        draws = design_draws(Xm[:, cols], fit, e, self.spec.boot_reps, self.spec.boot_seed)
        gm = g[cols]
        crit = float(draws.critical_values(gm[None], self.spec.alpha)[0])
        return draws.power_mde(gm, crit, power)

    # --- diagnostics --------------------------------------------------------------------
    def residuals(self) -> np.ndarray:
        """Residuals in time order: Pearson for counts, response/innovations otherwise."""
        r = self.results
        if self.cov_type == "AR":  # the whitened (working) residuals: the innovations
            return np.asarray(r.resid)
        if self.spec.family in ("poisson", "quasipoisson"):
            return np.asarray(r.resid_pearson)
        if self.spec.family == "negbin":
            mu = r.predict()
            y = r.model.endog
            a = float(r.params["alpha"])
            return np.asarray((y - mu) / np.sqrt(mu + a * mu**2))
        if self.spec.family == "arima":
            res = np.asarray(r.resid)[self.design.frame["in_fit"].to_numpy()]
            return res[1:] if len(res) > 1 else res  # first innovation is not informative
        return np.asarray(r.resid)

    def diagnostics(self, lags: int | None = None) -> pd.DataFrame:
        """Durbin-Watson, Ljung-Box and Breusch-Godfrey (n R^2 of residuals on the design and
        lagged residuals) at ``lags`` (default: the HAC lag, at least 1), dispersion for
        counts, AIC/BIC where a likelihood exists (not quasi-Poisson). For a controlled ITS
        the serial-correlation statistics use the treated unit's residuals and Breusch-Godfrey
        is omitted."""
        lags = max(1, lags if lags is not None else self.hac_lags)
        e = self.residuals()
        if self.design.controlled:  # serial-correlation tests on the treated unit's series
            e = e[(self.design.fit_frame()["treated"] == 1.0).to_numpy()]
        rows = [
            {
                "statistic": "durbin_watson",
                "value": float(durbin_watson(e)),
                "df": np.nan,
                "p_value": np.nan,
            }
        ]
        lb = sm.stats.acorr_ljungbox(e, lags=[lags], return_df=True)
        rows.append(
            {
                "statistic": "ljung_box",
                "value": float(lb["lb_stat"].iloc[0]),
                "df": lags,
                "p_value": float(lb["lb_pvalue"].iloc[0]),
            }
        )
        if not self.design.controlled:
            fit = self.design.fit_frame()
            X = self._X(fit)
            if self.spec.family == "arima":
                X = X[1:]
            L = np.column_stack([np.r_[np.zeros(k), e[:-k]] for k in range(1, lags + 1)])
            aux = sm.OLS(e, np.column_stack([X, L])).fit()
            lm = len(e) * aux.rsquared
            rows.append(
                {
                    "statistic": "breusch_godfrey",
                    "value": float(lm),
                    "df": lags,
                    "p_value": float(stats.chi2.sf(lm, lags)),
                }
            )
        if self.spec.family in COUNT_FAMILIES:
            rows.append(
                {
                    "statistic": "dispersion",
                    "value": self.dispersion,
                    "df": np.nan,
                    "p_value": np.nan,
                }
            )
        if self.spec.family != "quasipoisson":
            rows.append(
                {
                    "statistic": "aic",
                    "value": self.information("aic"),
                    "df": np.nan,
                    "p_value": np.nan,
                }
            )
            rows.append(
                {
                    "statistic": "bic",
                    "value": self.information("bic"),
                    "df": np.nan,
                    "p_value": np.nan,
                }
            )
        return pd.DataFrame(rows)

    def information(self, which: str = "aic") -> float:
        """AIC or BIC from the model's likelihood (for AR errors the exact Gaussian one,
        counting the AR coefficients and the innovation variance)."""
        r = self.results
        if self.cov_type == "AR" and self.spec.family in COUNT_FAMILIES:
            return float("nan")  # a quasi-likelihood: no AIC
        if self.cov_type != "AR":
            return float(getattr(r, which))
        a = r.ar_fit
        k = len(self.names) + a.p + 1
        pen = 2.0 if which == "aic" else np.log(r.nobs)
        return float(-2 * a.loglik + pen * k)

    @property
    def ar_order(self) -> int | None:
        """The AR order of the errors under ``cov_type="AR"`` (else ``None``)."""
        return self.results.ar_fit.p if self.cov_type == "AR" else None

    def effect_terms(self) -> list[str]:
        """The level and slope-change terms of interest (treated interactions if controlled)."""
        out = []
        for info in self.design.interruptions:
            out += [c for c in (info.effect_level, info.effect_slope) if c is not None]
        return out


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


def fit_its(data: pd.DataFrame, spec: ITSSpec) -> ITSResult:
    """Validate, build the design and fit the model described by ``spec``."""
    design = build_design(data, spec)
    res, lags, cov = _fit_statsmodels(design)
    boot = None
    if _ci_method(spec, cov) == "bootstrap":
        Xb, yb = res.ar_working  # the (working, for counts) regression the AR fit is of
        boot = ar_bootstrap(
            Xb,
            yb,
            res.ar_fit,
            reps=spec.boot_reps,
            seed=spec.boot_seed,
        )
    return ITSResult(spec, design, res, lags, cov, boot)


def acf_pacf_table(x, nlags: int = 12) -> pd.DataFrame:
    """ACF and PACF of residuals (an ITSResult) or of a series, with Ljung-Box p-values."""
    e = x.residuals() if isinstance(x, ITSResult) else np.asarray(x, dtype=float)
    nlags = min(nlags, len(e) // 2 - 1)
    a = acf(e, nlags=nlags, fft=False)
    p = pacf(e, nlags=nlags, method="ywm")
    lb = sm.stats.acorr_ljungbox(e, lags=list(range(1, nlags + 1)), return_df=True)
    bound = stats.norm.ppf(0.975) / np.sqrt(len(e))
    return pd.DataFrame(
        {
            "lag": np.arange(1, nlags + 1),
            "acf": a[1:],
            "pacf": p[1:],
            "bound": bound,
            "ljung_box_p": lb["lb_pvalue"].to_numpy(),
        }
    )
