"""The design result base (rasso_research.designs.base): every ``effects()`` holds its
design's columns, and a result that does not is an error naming them."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import pytest

from rasso_research import designs as D
from rasso_research import timeline
from rasso_research.designs import national_its as N
from rasso_research.designs.base import DesignResult


@dataclass
class Toy(DesignResult):
    effect_columns = ("estimate", "ci_low", "ci_high")

    frame: pd.DataFrame

    def effects(self) -> pd.DataFrame:
        return self.frame

    def table(self) -> pd.DataFrame:
        return self.frame


def test_effects_hold_the_design_columns_in_order():
    ok = pd.DataFrame({"series": ["s"], "estimate": [1.0], "ci_low": [0.0], "ci_high": [2.0]})
    assert Toy(ok).effects() is ok
    assert Toy(pd.DataFrame()).effects().empty  # nothing fitted: no rows, no columns
    with pytest.raises(TypeError, match=r"Toy.effects\(\) has columns .* must hold"):
        Toy(ok.drop(columns="ci_low")).effects()
    with pytest.raises(TypeError, match="in that order"):
        Toy(ok[["ci_high", "estimate", "ci_low"]]).effects()


def test_the_result_base_is_abstract():
    with pytest.raises(TypeError, match="abstract"):
        DesignResult()


# ---- Covid-19 as lockdown days ------------------------------------------------------------
def lockdown_counts(per_day: float, n: int = 48, seed: int = 7):
    """Poisson counts around 400 a quarter from 2012Q1 with a 1% a quarter trend, AR(1) noise
    on the log scale (phi 0.4, sd 0.03), a log-level step of 0.2 at 2020Q3 and ``per_day`` on
    the log scale per day of national lockdown in the quarter (config/interventions.csv)."""
    days = timeline.lockdown_days()
    rng = np.random.default_rng(seed)
    q = pd.period_range("2012Q1", periods=n, freq="Q")
    per = dict(zip(days["quarter"], days["days"], strict=True))
    d = np.array([per.get(str(x), 0) for x in q], dtype=float)
    e = np.zeros(n)
    for i in range(1, n):
        e[i] = 0.4 * e[i - 1] + rng.normal(0, 0.03)
    eta = np.log(400) + 0.01 * np.arange(n) + 0.2 * (q >= pd.Period("2020Q3", "Q")) + e
    eta += per_day * d
    s = pd.DataFrame({"quarter": q, "value": rng.poisson(np.exp(eta)).astype(float)})
    return s, days, d


def test_lockdown_days_covariate_recovers_a_known_lockdown_effect():
    s, days, d = lockdown_counts(-0.004)  # -30% in a quarter of 91 lockdown days
    spec = D.at(D.QUARTERLY.replace(family="quasipoisson", disrupted=["2020Q2"]), "2020Q3")
    s2, sp = D.with_covid(s, spec, "days", days)
    assert sp.covariates == (D.base.COVID_DAYS,) and sp.disrupted is None
    assert s2[D.base.COVID_DAYS].to_numpy() == pytest.approx(d)
    assert s2[D.base.COVID_DAYS].max() == 91 and "covid_days" not in s.columns
    t = N.fit_series(s2, sp).table().set_index("term")
    b = t.loc["covid_days"]
    assert b["estimate"] == pytest.approx(-0.004, abs=0.001)
    assert b["ci_low"] < -0.004 < b["ci_high"]
    assert t.loc["level_main", "estimate"] == pytest.approx(0.2, abs=0.08)
    # applied again, or with another choice, the covariate is not doubled / is removed
    s3, sp3 = D.with_covid(s2, sp, "days", days)
    assert sp3.covariates == ("covid_days",) and list(s3.columns) == list(s2.columns)
    s4, sp4 = D.with_covid(s2, sp, "exclude", days)
    assert "covid_days" not in s4.columns and sp4.covariates == ()
    assert sp4.disrupted == D.covid_disrupted("exclude", ["2020Q2", "2020Q4", "2021Q1"])
    assert D.with_covid(s, spec, "indicator", days)[1].disrupted == {
        "covid": ["2020Q2", "2020Q4", "2021Q1"]
    }
    assert D.with_covid(s, spec, "none", days)[1].disrupted is None


def test_covid_days_is_refused_as_indicators_and_documented_per_quarter():
    with pytest.raises(ValueError, match="with_covid"):
        D.covid_disrupted("days", ["2020Q2"])
    with pytest.raises(ValueError, match="covid must be one of"):
        D.with_covid(pd.DataFrame(), D.QUARTERLY, "drop", pd.DataFrame())
    days = pd.DataFrame({"quarter": ["2020Q1", "2020Q2"], "days": [9, 91], "lockdowns": "l1"})
    t = D.covid_table(days, "days")
    assert t["disrupted"].tolist() == [False, True]
    assert t["handling"].tolist() == [
        "fitted, with the lockdown-days covariate at 9 days",
        "fitted, with the lockdown-days covariate at 91 days",
    ]


def test_quarters_that_lack_a_force_share_one_covariate():
    from rasso_research.designs.base import INCOMPLETE, QUARTERLY, with_incomplete

    s = pd.DataFrame({"quarter": pd.period_range("2019Q1", periods=6, freq="Q"), "value": 1.0})
    out, spec = with_incomplete(s, QUARTERLY, ["2019Q3", "2019Q4", "2025Q1"])
    assert out[INCOMPLETE].tolist() == [0, 0, 1, 1, 0, 0] and spec.covariates == (INCOMPLETE,)
    again, spec2 = with_incomplete(out, spec, [])
    assert INCOMPLETE not in again.columns and spec2.covariates == ()
