"""The description of an ITS model: its interruptions and every modelling choice
(:class:`ITSSpec`), with the choices each field accepts. Term definitions are in
:mod:`rasso_research.its.design`."""

from __future__ import annotations

from dataclasses import dataclass, replace

#: model families (:class:`ITSSpec`.family), the count families and those on a log scale
FAMILIES = ("ols", "ols_log", "poisson", "quasipoisson", "negbin", "arima")
COUNT_FAMILIES = ("poisson", "quasipoisson", "negbin")
LOG_FAMILIES = ("ols_log", "poisson", "quasipoisson", "negbin")


@dataclass(frozen=True)
class Interruption:
    """An interruption: a name, a date (Period string, Timestamp/date, Period or integer
    time) and an optional phase-in (number of periods after it excluded from the fit)."""

    name: str
    at: object
    phase_in: int = 0
    slope: bool = True  # False: level change only (as in Lopez Bernal et al. 2017)


@dataclass(frozen=True)
class ITSSpec:
    """Full description of an ITS model (the terms are defined in :mod:`rasso_research.its.design`).

    family: "ols" (outcome, or outcome/offset*rate_per as a rate), "ols_log" (log of that;
        fitted values are exp of the log-scale mean, i.e. geometric means), "poisson",
        "quasipoisson" (Pearson chi2 scale), "negbin" (NB2, alpha estimated) with log(offset)
        as an offset, or "arima" (regression with ARMA(arma_order) errors; sigma2 profiled).
    HAC errors treat the fitted rows as consecutive, so excluded phase-in periods are
    skipped over; season terms in a controlled ITS are common to all units.

    season: None, "quarter", "month" or ("fourier", K, period).
    disrupted: a mapping ``{name: periods}`` (one shared indicator ``disrupted_<name>`` per
        name, e.g. ``{"covid": ["2020Q2", "2020Q4", "2021Q1"]}``; periods outside the series
        are ignored and an indicator with no period inside is left out), a column name (or
        list of names) of indicators already in the data, or a
        list of periods (each gets its own indicator, i.e. is effectively excluded; the
        robust standard errors of such one-period dummies are not meaningful, as their
        residuals are zero, but the other coefficients are as if the periods were dropped).
    hac_lags: Newey-West lag; None uses floor(4 * (n/100) ** (2/9)) (Newey & West 1994).
    ar_order, ar_max: the AR order of the errors under ``cov_type="AR"`` (default 2, which
        nests AR(1) and covered best in the coverage study), or ``None`` for the REML-BIC
        choice among 1..ar_max (estimators/arerrors.py).
    hac_rule: long-run variance estimator behind the "HAC" errors of the OLS families.
        "nw1994" (default): Newey-West (Bartlett) with the lag above, t(n - k) reference
        when ``small_sample``. "ewc": the equal-weighted cosine estimator recommended for
        single restrictions by Lazarus, Lewis, Stock & Watson (2018, JBES), with
        nu = floor(0.4 * n ** (2/3)) Type-II cosines and t(nu) critical values and p-values
        (``small_sample`` adds the n/(n-k) factor). With Wald intervals neither reaches 95%
        coverage of level and slope changes in short series (docs/METHODS.md).
    ci_method: how intervals and p-values are computed. "wald": estimate +- critical value
        x standard error (t or normal). "bootstrap": the parametric percentile-t bootstrap of
        the AR(p)-errors fit (estimators/arerrors.py; for counts, of its final working regression),
        for ``cov_type="AR"`` only. "auto" (default) is "bootstrap" where it applies and "wald"
        otherwise. Prediction intervals (``*_pi_*``) stay Wald-type in every case.
    boot_reps, boot_seed: bootstrap replications (at least 99) and the seed (results are
        reproducible for a given seed).
    cov_type: the estimator of the coefficient covariance, with its reference distribution.
        Single series: "AR" (the default): GLS with REML AR(p) errors, t(n - k - p), for the
        OLS families; for the count families the same errors on the linear-predictor scale
        (iteratively reweighted, dispersion estimated; Zeger 1988). "HAC": Newey-West, t(n - k)
        for OLS when ``small_sample``, normal for counts (Stata ``newey``). "nonrobust":
        model-based (Pearson-scaled for quasi-Poisson: the published Sicily errors; the
        default for "arima", which models its errors itself).
        Controlled (stacked panel): "itsa" (the default for the OLS families, "nonrobust" for
        counts; Stata ``itsa``/Linden 2015: pooled
        OLS without unit effects, Newey-West within each unit at ``hac_lags`` (default 1),
        n/(n - k), t(n - k)); "cluster" (unit effects, cluster-robust CR1 by unit,
        t(G - 1), at least ``MIN_CLUSTERS`` units); "driscoll-kraay" (unit effects,
        Newey-West on the cross-unit sums of scores, n/(n - k), t(T - 1)); "nonrobust"
        (unit effects). Unit effects are coded as deviations from the controls' mean, so the
        intercept is the controls' mean level at the first period. A t reference with fewer
        than ``MIN_DF`` degrees of freedom is an error.
    group/treated: controlled ITS; ``group`` names the unit column and ``treated`` the
        treated unit; all other units in the data are controls.
    rate_per: when an offset is given, outcomes are reported as rates per ``rate_per``.
    season_col: column holding the position within the seasonal cycle (e.g. "month") for an
        integer time axis; by default derived from the Period axis or from ``t``.
    """

    outcome: str
    time: str = "time"
    interruptions: tuple[Interruption, ...] | list[Interruption] = ()
    family: str = "ols"
    offset: str | None = None
    season: object = None
    disrupted: object = None
    hac_lags: int | None = None
    hac_rule: str = "nw1994"
    small_sample: bool = True
    ci_method: str = "auto"
    boot_reps: int = 499
    boot_seed: int = 20240101
    ar_order: int | None = 2
    ar_max: int = 2
    arma_order: tuple[int, int, int] = (1, 0, 0)
    covariates: tuple[str, ...] | list[str] = ()
    cov_type: str | None = None
    group: str | None = None
    treated: object = None
    freq: str | None = None
    season_col: str | None = None
    rate_per: float = 1.0
    min_pre: int = 3
    min_post: int = 3
    alpha: float = 0.05

    def replace(self, **changes) -> ITSSpec:
        """A copy with some fields changed."""
        return replace(self, **changes)


HAC_RULES = ("nw1994", "ewc")
CI_METHODS = ("auto", "wald", "bootstrap")
SERIES_COV_TYPES = ("AR", "HAC", "nonrobust")
PANEL_COV_TYPES = ("itsa", "cluster", "driscoll-kraay", "nonrobust")


#: fewest units for cluster-robust errors, and fewest degrees of freedom of a t reference
MIN_CLUSTERS = 10
MIN_DF = 5


def resolved_cov_type(spec: ITSSpec, controlled: bool) -> str:
    """``spec.cov_type`` or its default (see :class:`ITSSpec`)."""
    if spec.cov_type is not None:
        return spec.cov_type
    if controlled:
        return "itsa" if spec.family in ("ols", "ols_log") else "nonrobust"
    return "nonrobust" if spec.family == "arima" else "AR"


def uses_unit_effects(spec: ITSSpec) -> bool:
    """Does a controlled ITS under this spec carry control-unit effects? (All but "itsa".)"""
    return resolved_cov_type(spec, True) != "itsa"
