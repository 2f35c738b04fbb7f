"""The results of a fitted ITS model (:class:`ITSResult`): coefficients and their intervals,
fitted values and counterfactuals, effects at horizons, linear combinations and minimum
detectable effects.

All families share one representation: a coefficient vector ``beta`` for the named design
columns and its covariance ``V``. Fitted values and counterfactuals are ``X @ beta`` on the
link scale with standard errors ``sqrt(diag(X V X'))`` (the same computation as statsmodels'
``get_prediction``; a test checks the equality), transformed to the outcome scale.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np
import pandas as pd
from patsy import DesignInfo
from scipy import stats

from rasso_research.estimators.arerrors import BootstrapDraws, ar_autocov, design_draws, whiten
from rasso_research.estimators.covariance import fieller

from . import diagnostics
from .design import INTERCEPT, Design, InterruptionInfo, design_matrix
from .spec import COUNT_FAMILIES, LOG_FAMILIES, MIN_DF, ITSSpec


@dataclass
class ITSResult:
    """A fitted ITS model: the model (data, spec, design), the statsmodels results, the HAC
    lag and covariance type used, and the bootstrap draws where intervals are bootstrapped."""

    model: object  # the ITSModel fitted
    results: object
    hac_lags: int
    cov_type: str
    bootstrap: BootstrapDraws | None = None

    @property
    def spec(self) -> ITSSpec:
        return self.model.spec

    @property
    def design(self) -> Design:
        return self.model.design

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
        return [self.all_names.index(nm) for nm in self.names]

    @cached_property
    def beta(self) -> np.ndarray:
        return np.asarray(self.results.params, dtype=float)[self._pos]

    @cached_property
    def all_names(self) -> list[str]:
        """Every parameter of the fitted statsmodels results (``names`` and any others, such
        as the negative binomial's ``alpha``), in the results' order."""
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
        full = np.zeros((G.shape[0], len(self.all_names)))
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
        names = self.all_names
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
            from statsmodels.tsa.arima_process import arma_acovf  # lazy, as its model is

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
        idx = self.interruption_index(interruption)
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

    def interruption_index(self, name: str | None = None) -> int:
        """Position (in date order) of interruption ``name`` (default: the first)."""
        if name is None:
            return 0
        for j, info in enumerate(self.design.interruptions):
            if info.name == name:
                return j
        raise ValueError(
            f"No interruption {name!r}; have {[i.name for i in self.design.interruptions]}"
        )

    def interruption(self, name: str | None = None) -> InterruptionInfo:
        """Interruption ``name`` (default: the first in date order) as placed on the time
        axis: its period ``t0``, the start ``start`` of its regime after any phase-in, its
        label and its design terms."""
        return self.design.interruptions[self.interruption_index(name)]

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
        z = self._crit()
        b, V = self.beta, self.cov
        rows = []
        rng = np.random.default_rng(seed)
        draws = (
            rng.multivariate_normal(b, V, size=n_sim, method="svd")
            if method == "simulation"
            else None
        )
        for info, h, t, xf, xc in self._contrast_rows(horizons):
            rows.append(self._effect_row(info, h, t, xf, xc, b, V, z, draws))
        return pd.DataFrame(rows)

    def _contrast_rows(self, horizons, fr: pd.DataFrame | None = None):
        """(interruption, horizon, t, fitted row, counterfactual row) of every horizon that
        the data reach: the design rows with the disruption indicators at 0 and, for the
        counterfactual, the effect columns of the interruption and of later ones at 0."""
        if fr is None:
            fr = self.design.frame
            if self.design.controlled:
                fr = fr[fr["treated"] == 1.0]
        tmax = int(fr["t"].max())
        X = self._X(fr)
        col = {nm: j for j, nm in enumerate(self.names)}
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
                yield info, int(h), t, xf, xc

    def _p_value(self, g: np.ndarray) -> float:
        """The two-sided p-value of the link-scale contrast ``g @ beta`` = 0, by the fit's
        interval method (bootstrap percentile-t, else t or normal)."""
        est = float(g @ self.beta)
        se = float(np.sqrt(max(g @ self.cov @ g, 0.0)))
        if not se > 1e-8 * max(abs(est), 1.0):
            return np.nan
        tstat = est / se
        if self.bootstrap is not None:
            return float(self.bootstrap.contrast_p_values(g[None], [tstat])[0])
        if getattr(self.results, "use_t", False):
            df = getattr(self.results, "df_resid_inference", self.results.df_resid)
            return float(2 * stats.t.sf(abs(tstat), df))
        return float(2 * stats.norm.sf(abs(tstat)))

    def _g_mde(self, g: np.ndarray, power: float = 0.8) -> float:
        """The minimum detectable value (link scale) of the contrast ``g @ beta`` (as
        :meth:`mde`)."""
        crit = float(self._crits(g)[0])
        if self.bootstrap is not None:
            full = np.zeros(len(self.all_names))
            full[self._pos] = g
            return self.bootstrap.power_mde(full, crit, power)
        se = float(np.sqrt(max(g @ self.cov @ g, 0.0)))
        return (crit + float(stats.norm.ppf(power))) * se

    def effect_mde(self, interruption: str, horizon: int, power: float = 0.8) -> float:
        """The minimum detectable value (link scale: the log of fitted over counterfactual
        on a log-link model, else their difference) of the effect at ``horizon`` after
        ``interruption`` (as :meth:`effects` defines it); NaN where the data end before it."""
        for info, h, _, xf, xc in self._contrast_rows((horizon,)):
            if info.name == interruption and h == int(horizon):
                return self._g_mde(xf - xc, power)
        return np.nan

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
            "p_value": self._p_value(xf - xc),
        }

    def lincom(self, expr: str) -> pd.DataFrame:
        """A linear combination of coefficients, e.g. ``"trend + slope_main"`` (the trend
        after the interruption) or ``"level_a - level_b"``: one row with estimate, standard
        error, CI and p-value, by the fit's interval method (Stata ``lincom``)."""
        try:
            g = DesignInfo(self.names).linear_constraint(expr).coefs[0]
        except Exception as exc:  # patsy raises PatsyError with a pointer into the text
            msg = f"cannot read {expr!r} as a combination of {self.names}: {exc}"
            raise ValueError(msg) from None
        est = float(g @ self.beta)
        se = float(np.sqrt(max(g @ self.cov @ g, 0.0)))
        crit = float(self._crits(g)[0])
        p = self._p_value(g) if se > 0 else np.nan
        cols = ("term", "estimate", "std_error", "ci_low", "ci_high", "p_value")
        row = (expr, est, se, est - crit * se, est + crit * se, p)
        return pd.DataFrame([dict(zip(cols, row, strict=True))])

    def mde(self, expr: str, power: float = 0.8) -> float:
        """The minimum detectable value (link scale) of a linear combination such as
        ``"level_main"``: the smallest true value the fit's test (at ``spec.alpha``, two-sided)
        finds with probability ``power``. With the AR-errors bootstrap it is found by
        simulation from the fitted residual process (:meth:`BootstrapDraws.power_mde`);
        with Wald intervals it is ``(c + z_power) x SE``."""
        g = DesignInfo(self.names).linear_constraint(expr).coefs[0]
        return self._g_mde(g, power)

    def mde_post(self, expr: str, n_post: int, interruption: str | None = None, power=0.8):
        """The MDE of ``expr`` (as :meth:`mde`) had the series ended ``n_post`` periods after
        interruption ``interruption`` (default: the first): the fitted AR error process and its
        innovations kept, the design cut short, by simulation. Needs the AR-errors bootstrap.
        Columns with no information in the shorter design (indicators of later periods) are
        left out; a combination that needs one of them has no MDE (NaN)."""
        if self.bootstrap is None:
            raise ValueError("mde_post needs the AR-errors bootstrap (cov_type='AR')")
        names = self.all_names
        g = np.zeros(len(names))
        g[[names.index(nm) for nm in self.names]] = (
            DesignInfo(self.names).linear_constraint(expr).coefs[0]
        )
        X, y = self.results.ar_working
        fit = self.results.ar_fit
        info = self.interruption(interruption)
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

    # --- diagnostics (rasso_research.its.diagnostics) ---------------------------------------
    def residuals(self) -> np.ndarray:
        """Residuals in time order (:func:`~rasso_research.its.diagnostics.residuals`)."""
        return diagnostics.residuals(self)

    def diagnostics(self, lags: int | None = None) -> pd.DataFrame:
        """Residual tests, dispersion and information criteria
        (:func:`~rasso_research.its.diagnostics.diagnostics`)."""
        return diagnostics.diagnostics(self, lags)

    def information(self, which: str = "aic") -> float:
        """AIC or BIC (:func:`~rasso_research.its.diagnostics.information`)."""
        return diagnostics.information(self, which)

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


def _param_names(res, spec: ITSSpec, design: Design) -> list[str]:
    names = list(res.model.exog_names)
    if spec.family == "arima":
        return [INTERCEPT, *design.terms]
    return [n for n in names if n != "alpha"]


def its_table(result, focus: str | None = None, include_disrupted: bool = False) -> pd.DataFrame:
    """Per period of an ``ITSResult``: ``period``, ``observed``, ``in_fit``, ``segment``,
    ``fitted`` and ``counterfactual`` with 95% CIs, and ``disrupted`` (the period has a
    disruption indicator). The counterfactual removes interruption ``focus`` (default: the
    first, hence all) and is blank before it; for a controlled ITS a ``unit`` column is kept.
    ``include_disrupted=False`` gives the underlying lines (disruption indicators at 0)."""
    cf = result.counterfactual(focus, include_disrupted=include_disrupted)
    design = result.design
    info = result.interruption(focus)
    fr = design.frame.reset_index(drop=True)
    post = cf["t"].to_numpy() >= info.t0
    for c in ("counterfactual", "counterfactual_ci_low", "counterfactual_ci_high"):
        cf.loc[~post, c] = np.nan
    terms = design.disrupted_terms
    cf["disrupted"] = (fr[terms].sum(axis=1) > 0).to_numpy() if terms else False
    keep = ["unit"] if design.controlled else []
    keep += ["period", "t", "observed", "in_fit", "segment", "fitted", "fitted_ci_low"]
    keep += ["fitted_ci_high", "counterfactual", "counterfactual_ci_low"]
    keep += ["counterfactual_ci_high", "disrupted"]
    return cf[keep]
