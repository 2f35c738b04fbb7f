"""Diagnostics of a fitted ITS model (:class:`~rasso_research.its.results.ITSResult`):
residuals, serial-correlation tests, dispersion, information criteria, ACF and PACF."""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats
from statsmodels.regression.linear_model import OLS
from statsmodels.stats.stattools import durbin_watson

from .spec import COUNT_FAMILIES


# --- diagnostics --------------------------------------------------------------------
def residuals(res) -> np.ndarray:
    """Residuals in time order: Pearson for counts, response/innovations otherwise."""
    r = res.results
    if res.cov_type == "AR":  # the whitened (working) residuals: the innovations
        return np.asarray(r.resid)
    if res.spec.family in ("poisson", "quasipoisson"):
        return np.asarray(r.resid_pearson)
    if res.spec.family == "negbin":
        mu = r.predict()
        y = r.model.endog
        a = float(r.params["alpha"])
        return np.asarray((y - mu) / np.sqrt(mu + a * mu**2))
    if res.spec.family == "arima":
        res = np.asarray(r.resid)[res.design.frame["in_fit"].to_numpy()]
        return res[1:] if len(res) > 1 else res  # first innovation is not informative
    return np.asarray(r.resid)


def diagnostics(res, lags: int | None = None) -> pd.DataFrame:
    """Durbin-Watson, Ljung-Box and Breusch-Godfrey (n R^2 of residuals on the design and
    lagged residuals) at ``lags`` (default: the HAC lag, at least 1), dispersion for
    counts, AIC/BIC where a likelihood exists (not quasi-Poisson). For a controlled ITS
    the serial-correlation statistics use the treated unit's residuals and Breusch-Godfrey
    is omitted."""
    lags = max(1, lags if lags is not None else res.hac_lags)
    e = res.residuals()
    if res.design.controlled:  # serial-correlation tests on the treated unit's series
        e = e[(res.design.fit_frame()["treated"] == 1.0).to_numpy()]
    rows = [
        {
            "statistic": "durbin_watson",
            "value": float(durbin_watson(e)),
            "df": np.nan,
            "p_value": np.nan,
        }
    ]
    from statsmodels.stats.diagnostic import acorr_ljungbox  # lazy: tsa imports cost 0.2 s

    lb = acorr_ljungbox(e, lags=[lags], return_df=True)
    rows.append(
        {
            "statistic": "ljung_box",
            "value": float(lb["lb_stat"].iloc[0]),
            "df": lags,
            "p_value": float(lb["lb_pvalue"].iloc[0]),
        }
    )
    if not res.design.controlled:
        fit = res.design.fit_frame()
        X = res._X(fit)
        if res.spec.family == "arima":
            X = X[1:]
        L = np.column_stack([np.r_[np.zeros(k), e[:-k]] for k in range(1, lags + 1)])
        aux = OLS(e, np.column_stack([X, L])).fit()
        lm = len(e) * aux.rsquared
        rows.append(
            {
                "statistic": "breusch_godfrey",
                "value": float(lm),
                "df": lags,
                "p_value": float(stats.chi2.sf(lm, lags)),
            }
        )
    if res.spec.family in COUNT_FAMILIES:
        rows.append(
            {
                "statistic": "dispersion",
                "value": res.dispersion,
                "df": np.nan,
                "p_value": np.nan,
            }
        )
    if res.spec.family != "quasipoisson":
        rows.append(
            {
                "statistic": "aic",
                "value": res.information("aic"),
                "df": np.nan,
                "p_value": np.nan,
            }
        )
        rows.append(
            {
                "statistic": "bic",
                "value": res.information("bic"),
                "df": np.nan,
                "p_value": np.nan,
            }
        )
    return pd.DataFrame(rows)


def information(res, which: str = "aic") -> float:
    """AIC or BIC from the model's likelihood (for AR errors the exact Gaussian one,
    counting the AR coefficients and the innovation variance)."""
    r = res.results
    if res.cov_type == "AR" and res.spec.family in COUNT_FAMILIES:
        return float("nan")  # a quasi-likelihood: no AIC
    if res.cov_type != "AR":
        return float(getattr(r, which))
    a = r.ar_fit
    k = len(res.names) + a.p + 1
    pen = 2.0 if which == "aic" else np.log(r.nobs)
    return float(-2 * a.loglik + pen * k)


def acf_pacf_table(x, nlags: int = 12) -> pd.DataFrame:
    """ACF and PACF of residuals (an ITSResult) or of a series, with Ljung-Box p-values."""
    e = x.residuals() if hasattr(x, "residuals") else np.asarray(x, dtype=float)
    nlags = min(nlags, len(e) // 2 - 1)
    from statsmodels.stats.diagnostic import acorr_ljungbox
    from statsmodels.tsa.stattools import acf, pacf

    a = acf(e, nlags=nlags, fft=False)
    p = pacf(e, nlags=nlags, method="ywm")
    lb = acorr_ljungbox(e, lags=list(range(1, nlags + 1)), return_df=True)
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
