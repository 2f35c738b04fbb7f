"""The multiverse engine equals the reference path (``fit_its`` per specification) to 1e-10,
specification by specification on a sample of the grid: coefficients and standard errors, the
effect, its intervals and p-value, and the curve's rows."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from rasso_research import designs as D
from rasso_research.designs import multiverse as MV
from rasso_research.designs import spec_curve as SC
from rasso_research.designs.base import COVID_DAYS, INCOMPLETE
from rasso_research.designs.national_its import fit_series
from rasso_research.its import Interruption

TOL = 1e-10
COVID = ["2020Q2", "2020Q3", "2020Q4", "2021Q1"]
BREAKS = (Interruption("r_v_allan", "2016Q3"),)


def _series(lag: int, seed: int = 3, n: int = 46) -> pd.DataFrame:
    """A synthetic national series: counts with AR(1) noise on the log scale, a denominator,
    lockdown days and one quarter lacking a force."""
    rng = np.random.default_rng(seed)
    q = pd.period_range("2014Q2", periods=n, freq="Q")
    t = np.arange(n)
    off = 9000 + 40 * t + 300 * np.sin(t + lag)
    e = np.zeros(n)
    for i in range(1, n):
        e[i] = 0.6 * e[i - 1] + rng.normal(0, 0.04)
    step = -0.2 * (q >= pd.Period("2024Q3", "Q")) - 0.1 * (q >= pd.Period("2016Q3", "Q"))
    mu = off * 0.04 * np.exp(0.012 * t + step + e + 0.03 * (q.quarter == 4))
    return pd.DataFrame(
        {
            "quarter": q,
            "value": rng.poisson(mu).astype(float),
            "offset": off,
            COVID_DAYS: [30.0 if str(x) in COVID else 0.0 for x in q],
            INCOMPLETE: (q == pd.Period("2015Q1", "Q")).astype(float),
        }
    )


SERIES = {"previous 4 quarters": _series(4), "same quarter": _series(0, seed=4)}
BASE = D.at(
    D.QUARTERLY.replace(
        family="ols", rate_per=100, disrupted=COVID, covariates=(INCOMPLETE, COVID_DAYS)
    ),
    "2024Q3",
)


def _grid() -> pd.DataFrame:
    g = SC.spec_grid({"series": list(SERIES), "start": ["2014Q2", "2018Q2"]})
    return g[~((g["start"] == "2018Q2") & (g["allan"] == "none"))].reset_index(drop=True)


def _reference(row: dict):
    """``fit_its`` (through ``fit_series``) of the row's specification, as the curve fits it."""
    spec = SC.spec_for(row, BASE, BREAKS)
    s = SERIES[row["series"]]
    d = s[s["quarter"] >= pd.Period(row["start"], "Q")].reset_index(drop=True)
    if not d[INCOMPLETE].any():
        spec = spec.replace(covariates=tuple(c for c in spec.covariates if c != INCOMPLETE))
    return fit_series(d, spec, horizons=(0,)).result


def _close(a, b) -> bool:
    a, b = np.asarray(a, float), np.asarray(b, float)
    both = np.isnan(a) & np.isnan(b)
    return bool(np.all(both | (np.abs(a - b) <= TOL * np.maximum(1.0, np.abs(b)))))


# a sample of the grid: every 7th specification covers every model, season and Covid choice
SAMPLE = list(range(0, len(_grid()), 7))


@pytest.mark.parametrize("i", SAMPLE)
def test_the_engine_equals_fit_its_specification_by_specification(i):
    row = _grid().iloc[i].to_dict()
    s = SERIES[row["series"]]
    d = s[s["quarter"] >= pd.Period(row["start"], "Q")].reset_index(drop=True)
    g = MV._Group(d, BASE, BREAKS)
    fit = MV.fit_row(g, row, SC.MODELS, SC.SEASONS, 0, pd.Period("2024Q3", "Q"))
    ref = _reference(row)
    t = ref.params_table().set_index("term")
    assert fit["names"] == ["Intercept", *ref.design.terms]
    assert _close(fit["beta"], t.loc[fit["names"], "estimate"])
    assert _close(fit["bse"], t.loc[fit["names"], "std_error"])
    e = ref.effects(horizons=(0,))
    e = e[e["interruption"] == "main"].iloc[0]
    for c in ("fitted", "counterfactual", "abs_diff", "abs_ci_low", "abs_ci_high"):
        assert _close(fit[c], e[c]), c
    for c in ("rel_diff", "rel_ci_low", "rel_ci_high", "p_value"):
        assert _close(fit[c], e[c]), c
    assert fit["ci_method"] == ref.ci_method


def test_the_curve_by_the_engine_equals_the_reference_curve():
    grid = {"series": list(SERIES), "start": ["2014Q2", "2018Q2"], "phase_in": [1]}
    run = dict(grid=grid, breaks=BREAKS, shifts=(-1, 0), progress=False)
    a = SC.fit_spec_curve(SERIES, BASE, engine="engine", **run)
    b = SC.fit_spec_curve(SERIES, BASE, engine="reference", **run)
    for x, y in ((a.curve, b.curve), (a.dates, b.dates)):
        assert list(x.columns) == list(y.columns)
        num = ["counterfactual", "estimate", "ci_low", "ci_high", "n", "n_pre", "n_post"]
        for c in num:  # the relative changes on the scale of fit_its (a ratio, not %)
            pct = 100.0 if c in ("estimate", "ci_low", "ci_high") else 1.0
            assert _close(x[c] / pct, y[c] / pct), c
        rest = [c for c in x.columns if c not in num and c != "rank"]
        pd.testing.assert_frame_equal(x[rest], y[rest])


def test_a_specification_the_engine_does_not_cover_takes_the_reference_path():
    # too few quarters after the date: the reference's error message, not the engine's
    late = D.at(BASE, "2025Q2")
    grid = {"model": ["OLS, AR errors"], "seasonality": ["none"], "covid": ["indicator"]}
    run = dict(grid=grid, shifts=None, progress=False)
    a = SC.fit_spec_curve(SERIES["same quarter"], late, engine="engine", **run).curve
    b = SC.fit_spec_curve(SERIES["same quarter"], late, engine="reference", **run).curve
    assert not a["ok"].any()
    pd.testing.assert_frame_equal(a, b)


def test_an_unknown_engine_is_refused():
    with pytest.raises(ValueError, match="engine must be one of"):
        SC.fit_spec_curve(SERIES, BASE, engine="fast", shifts=None, progress=False)
