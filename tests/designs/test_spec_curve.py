"""Tests of the specification curve on a small synthetic series."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from rasso_research import designs as D
from rasso_research.designs import spec_curve as S
from rasso_research.its import Interruption
from rasso_research.views import spec_curve as V
from rasso_research.views.spec_curve import plot_spec_curve
from rasso_research.views.style import ONE_COLUMN, TWO_COLUMN


def _series(n=36, level=-0.25, seed=2):
    rng = np.random.default_rng(seed)
    q = pd.period_range("2014Q2", periods=n, freq="Q")
    off = np.full(n, 10000.0)
    mu = off * 0.05 * np.exp(0.01 * np.arange(n) + level * (q >= pd.Period("2020Q3", "Q")))
    return pd.DataFrame(
        {
            "quarter": q,
            "t": np.arange(1, n + 1),
            "value": rng.poisson(mu).astype(float),
            "offset": off,
            "log_offset": np.log(off),
        }
    )


SMALL = {
    "model": ["quasi-Poisson, AR errors", "OLS, Newey-West"],
    "seasonality": ["none", "quarter"],
    "allan": ["segment"],
    "covid": ["indicator"],
    "phase_in": [0],
}
BASE = D.at(D.QUARTERLY.replace(disrupted=D.covid_disrupted("indicator", ["2020Q2"])), "2020Q3")


def test_spec_grid_order_and_size():
    g = S.spec_grid(SMALL)
    assert len(g) == 4 and g["spec_id"].tolist() == [1, 2, 3, 4]
    assert (
        g.iloc[0]["model"] == "quasi-Poisson, AR errors" and g.iloc[-1]["seasonality"] == "quarter"
    )
    # modelling choices only: the date is not one of them
    assert len(S.spec_grid()) == 4 * 3 * 2 * 3 * 2 and set(S.spec_grid()["shift"]) == {0}


def test_curve_deterministic_and_recovers_effect():
    s = _series()
    c1 = S.fit_spec_curve(s, BASE, grid=SMALL, n_jobs=1, shifts=(0, 1))
    c2 = S.fit_spec_curve(s, BASE, grid=SMALL, n_jobs=2, shifts=(0, 1))
    pd.testing.assert_frame_equal(c1.curve, c2.curve)
    pd.testing.assert_frame_equal(c1.dates, c2.dates)
    c = c1.curve
    assert c["ok"].all() and (c["shift"] == 0).all()
    # each row records how its interval was computed (AR errors: bootstrap)
    methods = dict(zip(c["model"], c["ci_method"], strict=False))
    assert methods["quasi-Poisson, AR errors"] == "bootstrap"
    assert methods["OLS, Newey-West"] == "wald"
    assert ((c["estimate"] > -35) & (c["estimate"] < -12)).all()  # true -22%
    summ = S.summarise_curve(c)
    assert summ.loc[0, "specs"] == 4 and summ.loc[0, "share_negative"] == 1.0
    # the date curve: the base spec's choices (no seasonal terms here: "none"), the date moved
    d = c1.dates
    assert d["shift"].tolist() == [0, 1] and (d["model"] == "quasi-Poisson, AR errors").all()
    assert (d["seasonality"] == "none").all()
    assert d.iloc[0]["estimate"] == c.iloc[0]["estimate"]
    quarterly = S.default_row(S.spec_grid(SMALL), BASE.replace(season="quarter"))
    assert quarterly.iloc[0]["seasonality"] == "quarter"
    assert "Moving the date by 0 to 1 quarters" in V.describe(c1)


def test_documented_break_and_the_allan_choice():
    allan = Interruption("allan", "2018Q1")
    row = {"model": "quasi-Poisson, AR errors", "seasonality": "none", "covid": "indicator"}
    early = S.spec_for({**row, "start": "2014Q2", "shift": 0, "phase_in": 0}, BASE, [allan])
    late = S.spec_for({**row, "start": "2018Q2", "shift": -1, "phase_in": 1}, BASE, [allan])
    ignored = S.spec_for(
        {**row, "start": "2014Q2", "allan": "none", "shift": 0, "phase_in": 0}, BASE, [allan]
    )
    assert [i.name for i in early.interruptions] == ["allan", "main"]
    assert [i.name for i in late.interruptions] == ["main"]
    assert [i.name for i in ignored.interruptions] == ["main"]
    main = late.interruptions[0]
    assert main.at == "2020Q2" and main.phase_in == 1
    ex = S.spec_for({**row, "covid": "exclude", "start": "2014Q2", "shift": 0, "phase_in": 0}, BASE)
    assert ex.disrupted == ["2020Q2"] and early.disrupted == {"covid": ["2020Q2"]}
    ols = S.spec_for(
        {**row, "model": "OLS, Newey-West", "start": "2014Q2", "shift": 0, "phase_in": 0}, BASE
    )
    assert ols.family == "ols" and ols.cov_type == "HAC"
    # a start after the break makes the Allan choice moot: only one of the two is fitted
    grid = {**SMALL, "model": SMALL["model"][:1], "seasonality": ["none"]}
    grid.update(allan=["segment", "none"], start=["2014Q2", "2018Q2"])
    c = S.fit_spec_curve(_series(), BASE, grid=grid, breaks=[allan], shifts=None).curve
    assert list(zip(c["start"], c["allan"], strict=True)) == [
        ("2014Q2", "segment"),
        ("2014Q2", "none"),
        ("2018Q2", "after the break"),
    ]
    assert c["segments"].tolist() == ["2018Q1", "none", "none"]


def test_several_series_are_a_choice():
    a, b = _series(), _series(level=0.0, seed=5)
    c = S.fit_spec_curve({"a": a, "b": b}, BASE, grid=SMALL, shifts=None).curve
    assert c["series"].tolist() == ["a"] * 4 + ["b"] * 4
    assert c.loc[c["series"] == "a", "estimate"].max() < c.loc[c["series"] == "b", "estimate"].min()
    v = S.variance_decomposition(c)
    assert v.iloc[0]["choice"] == "series" and v.iloc[0]["share_pct"] > 50


def test_variance_decomposition_finds_the_choice_that_matters():
    g = S.spec_grid({**SMALL, "phase_in": [0, 1]})
    eff = np.where(g["model"] == "OLS, Newey-West", 20.0, -10.0)
    eff = eff + np.where(g["phase_in"] == 1, 1.0, 0.0)
    curve = g.assign(ok=True, estimate=eff)
    v = S.variance_decomposition(curve).set_index("choice")
    assert v.loc["model", "share_pct"] > 95 and v.index[0] == "model"
    assert v.loc["seasonality", "share_pct"] == pytest.approx(0, abs=1e-9)
    assert v.loc["model", "range_pct"] == pytest.approx(30, abs=1.5)
    assert v.index[-1] == "interactions (residual)"
    assert v["share_pct"].sum() == pytest.approx(100, abs=1e-6)  # additive: no interactions
    # an unbalanced grid (rows removed): Shapley shares still add up to the R-squared, and
    # start and the R v Allan choice are one factor
    g2 = S.spec_grid({**SMALL, "start": ["2014Q2", "2018Q2"], "allan": ["segment", "none"]})
    g2 = g2[~((g2["start"] == "2018Q2") & (g2["allan"] == "none"))].reset_index(drop=True)
    eff2 = np.where(g2["model"] == "OLS, Newey-West", 20.0, -10.0) + np.where(
        g2["start"] == "2018Q2", 8.0, 0.0
    )
    eff2 = eff2 + np.where((g2["seasonality"] == "quarter") & (g2["allan"] == "none"), 5.0, 0.0)
    v2 = S.variance_decomposition(g2.assign(ok=True, estimate=eff2)).set_index("choice")
    assert "start / R v Allan" in v2.index and "allan" not in v2.index
    assert v2["share_pct"].sum() == pytest.approx(100, abs=1e-6)
    assert v2.loc["interactions (residual)", "share_pct"] > 0


def test_failed_specs_are_reported_not_raised():
    s = _series(n=26)  # ends 2020Q3: no post period
    base = D.at(D.QUARTERLY, "2020Q3")
    c = S.fit_spec_curve(s, base, grid=SMALL, n_jobs=1, shifts=None).curve
    assert not c["ok"].any() and c["error"].str.len().gt(0).all()


def test_plot_curve_runs():
    s = _series()
    c = S.fit_spec_curve(s, D.at(D.QUARTERLY, "2020Q3"), grid=SMALL, n_jobs=1, shifts=(0, 1))
    fig = V.plot(c, title="t")
    # a curve and choices per inference method (AR errors bootstrap, Newey-West), and dates
    assert len(fig.axes) == 5 and fig.get_size_inches()[0] == TWO_COLUMN
    assert plot_spec_curve(c.curve, width="one").get_size_inches()[0] == ONE_COLUMN
    assert len(plot_spec_curve(c.curve).axes) == 4
    assert "specifications fitted" in V.describe(c) and c.table().loc[0, "specs"] == 4


def test_a_counterfactual_at_or_below_zero_has_no_relative_change():
    """OLS on a rate that falls steeply before the date projects the trend below zero: the
    relative change is undefined, so the spec is reported as not estimated, with the reason."""
    n = 26
    q = pd.period_range("2014Q2", periods=n, freq="Q")
    rng = np.random.default_rng(1)
    rate = np.clip(np.linspace(20, 2, n) + rng.normal(0, 0.3, n), 0.5, None)
    rate[q >= pd.Period("2020Q3", "Q")] = 2.0  # flat after: the line would go below zero
    q = pd.period_range("2014Q2", periods=n + 8, freq="Q")
    rate = np.r_[rate, np.full(8, 2.0)]
    off = np.full(len(q), 1000.0)
    s = pd.DataFrame(
        {
            "quarter": q,
            "t": np.arange(1, len(q) + 1),
            "value": rate * 10,
            "offset": off,
            "log_offset": np.log(off),
        }
    )
    grid = {**SMALL, "model": ["OLS, Newey-West"], "seasonality": ["none"]}
    c = S.fit_spec_curve(
        s, D.at(D.QUARTERLY.replace(rate_per=100), "2021Q3"), grid=grid, shifts=None
    )
    bad = c.curve[~c.curve["ok"]]
    assert len(bad) and (bad["counterfactual"] <= 0).all() | (~np.isfinite(bad["ci_high"])).all()
    assert bad["error"].str.startswith("relative change undefined").all()
    assert not bad["significant"].any()  # only a fitted specification can be significant
    assert c.table().loc[0, "undefined"] == len(bad)
    assert (
        f"**{len(bad)} of {len(c.curve)} specifications are not estimable**, all of them OLS"
        in V.describe(c)
    )
    listed = c.not_estimable()
    assert listed["spec_id"].tolist() == bad["spec_id"].tolist()
    assert listed["reason"].str.startswith("relative change undefined: counterfactual").all()


def test_workers_come_from_the_argument_or_the_environment(monkeypatch):
    monkeypatch.delenv("RASSO_N_JOBS", raising=False)
    assert S.jobs() == 1 and S.jobs(3) == 3
    monkeypatch.setenv("RASSO_N_JOBS", "2")
    assert S.jobs() == 2
    monkeypatch.setenv("RASSO_N_JOBS", "two")
    with pytest.raises(ValueError, match="RASSO_N_JOBS must be a whole number"):
        S.jobs()


def test_lockdown_days_are_a_covid_choice_that_needs_its_column():
    grid = {**SMALL, "model": ["OLS, Newey-West"], "seasonality": ["none"], "covid": ["days"]}
    with pytest.raises(ValueError, match="covid='days' needs the 'covid_days' column"):
        S.fit_spec_curve(_series(), BASE, grid=grid, shifts=None, progress=False)
    days = pd.DataFrame({"quarter": ["2020Q2", "2020Q4"], "days": [91, 27]})
    s, _ = D.base.with_covid(_series(), D.QUARTERLY, "days", days)
    row = S.spec_grid(grid).iloc[0]
    spec = S.spec_for(row, BASE)
    assert spec.disrupted is None and spec.covariates == (D.base.COVID_DAYS,)
    curve = S.fit_spec_curve(s, BASE, grid=grid, shifts=None, progress=False).curve
    assert curve["ok"].all()


def _hand_made_curve() -> pd.DataFrame:
    """Ten specifications over the four models: the quasi-Poisson ones all fitted, two OLS
    ones not estimable (one counterfactual below 0, one above 0 with an unbounded interval;
    the first flagged significant, as a saved table from before the fix could say)."""
    rows = [
        # model, ok, estimate, ci_low, ci_high, counterfactual
        ("quasi-Poisson, AR errors", True, -20.0, -30.0, -10.0, 5.0),  # significant
        ("quasi-Poisson, AR errors", True, 5.0, -10.0, 20.0, 5.0),
        ("quasi-Poisson, AR errors", True, 1.0, -9.0, 12.0, 5.0),
        ("quasi-Poisson, Newey-West", True, -18.0, -25.0, -11.0, 5.0),  # significant
        ("quasi-Poisson, Newey-West", True, 6.0, 1.0, 11.0, 5.0),  # significant
        ("OLS, AR errors", True, -2.0, -20.0, 15.0, 3.0),
        ("OLS, AR errors", False, 40.0, -100.0, -150.0, -0.5),  # not estimable: below 0
        ("OLS, Newey-West", True, -30.0, -40.0, -20.0, 3.0),  # significant
        ("OLS, Newey-West", True, 4.0, -5.0, 12.0, 3.0),
        ("OLS, Newey-West", False, 9.0, -100.0, np.inf, 0.8),  # not estimable: CI reaches 0
    ]
    c = pd.DataFrame(
        rows, columns=["model", "ok", "estimate", "ci_low", "ci_high", "counterfactual"]
    )
    c.insert(0, "spec_id", range(1, len(c) + 1))
    c["seasonality"] = ["none", "quarter"] * 5
    c["significant"] = (c["ci_low"] > 0) | (c["ci_high"] < 0)
    assert c.loc[6, "significant"]  # the not-estimable row flagged, to be ignored
    c["ci_method"] = np.where(c["model"].str.contains("AR errors"), "bootstrap", "wald")
    c["error"] = ""
    c.loc[6, "error"] = f"{S.UNDEFINED}: counterfactual -0.5 not bounded away from 0"
    c.loc[9, "error"] = f"{S.UNDEFINED}: counterfactual 0.8 not bounded away from 0"
    return c


def test_by_method_counts_each_inference_method_and_family():
    m = S.by_method(_hand_made_curve()).set_index(["errors", "family"])
    ar, nw = "AR errors (bootstrap)", "Newey-West"
    assert m.index.tolist() == [
        (ar, "all"),
        (ar, "quasi-Poisson"),
        (ar, "OLS"),
        (nw, "all"),
        (nw, "quasi-Poisson"),
        (nw, "OLS"),
    ]
    assert m.loc[(ar, "all"), ["specs", "fitted", "not_estimable", "significant"]].tolist() == [
        5,
        4,
        1,
        1,  # the not-estimable OLS row flagged significant is not counted
    ]
    assert m.loc[(nw, "all"), ["specs", "fitted", "not_estimable", "significant"]].tolist() == [
        5,
        4,
        1,
        3,
    ]
    assert m.loc[(ar, "all"), "share_significant"] == pytest.approx(1 / 4)
    assert m.loc[(nw, "all"), "share_significant"] == pytest.approx(3 / 4)
    assert m.loc[(ar, "all"), "median_pct"] == pytest.approx(-0.5)  # of -20, 5, 1, -2
    assert m.loc[(nw, "OLS"), "median_pct"] == pytest.approx(-13.0)  # of -30, 4
    assert m.loc[(ar, "OLS"), ["fitted", "not_estimable"]].tolist() == [1, 1]
    assert (
        m.loc[(ar, "all"), "ci_method"] == "bootstrap" and m.loc[(nw, "all"), "ci_method"] == "wald"
    )
    assert (m.xs("quasi-Poisson", level="family")["not_estimable"] == 0).all()


def test_not_estimable_lists_each_with_its_reason():
    c = _hand_made_curve()
    bad = S.not_estimable(c)
    assert bad["spec_id"].tolist() == [7, 10]
    assert bad["family"].tolist() == ["OLS", "OLS"]
    assert bad["errors"].tolist() == ["AR errors (bootstrap)", "Newey-West"]
    assert bad["seasonality"].tolist() == ["none", "quarter"]  # the choices are listed
    assert bad["reason"].tolist() == [
        f"{S.UNDEFINED}: {S.REASONS['at_or_below_0']}",
        f"{S.UNDEFINED}: {S.REASONS['interval_reaches_0']}",
    ]
    r = S.not_estimable_reasons(c)
    assert r["specs"].sum() == 2 and set(r["model"]) == {"OLS, AR errors", "OLS, Newey-West"}
    assert r["share_of_model"].tolist() == pytest.approx([1 / 2, 1 / 3])  # of 2 OLS-AR, 3 OLS-NW
    # an error that is not an undefined relative change is its own reason
    c.loc[1, ["ok", "error"]] = [False, "singular matrix"]
    r = S.not_estimable_reasons(c).set_index("reason")
    assert r.loc["singular matrix", "family"] == "quasi-Poisson"
    with pytest.raises(ValueError, match="models not in spec_curve.MODELS"):
        S.inference(c.assign(model="probit"))


def test_the_method_tables_are_written(tmp_path):
    c = S.SpecCurve(_hand_made_curve())
    written = {p.name for p in c.write("spec_curve", tmp_path)}
    assert {"spec_curve_methods.csv", "spec_curve_not_estimable.csv"} <= written
    assert "spec_curve_not_estimable_reasons.csv" in written
    back = pd.read_csv(tmp_path / "spec_curve_methods.csv")
    assert back["significant"].tolist() == [1, 1, 0, 3, 2, 1]


def test_the_sentences_count_from_the_tables():
    c = _hand_made_curve()
    m = S.by_method(c)
    text = V.describe_methods(m)
    assert "1 of 4 fitted specifications with AR-errors bootstrap intervals exclude zero" in text
    assert "3 of 4 fitted specifications with Newey-West intervals exclude zero" in text
    assert "quasi-Poisson 1 of 3, OLS 0 of 1" in text
    assert "Under the default method" in text and "does not survive" in text
    assert f"covered the true change {V.NEWEY_WEST_COVERAGE}" in text
    why = V.describe_not_estimable(S.not_estimable_reasons(c), m)
    assert "**2 of 10 specifications are not estimable**, all of them OLS" in why
    assert "1 with AR errors and 1 with Newey-West" in why
    assert "0 of the 5 quasi-Poisson specifications and 2 of the 5 OLS" in why
    assert "1: counterfactual at or below 0" in why and "1: counterfactual's CI reaches 0" in why
    # a not-estimable quasi-Poisson specification: no longer "all of them OLS"
    c.loc[1, ["ok", "error"]] = [False, "singular matrix"]
    why = V.describe_not_estimable(S.not_estimable_reasons(c), S.by_method(c))
    assert "**3 of 10 specifications are not estimable**, 2 of them OLS" in why
    assert "not a random subset" not in why
    # the default's share decides the verdict: all significant under AR errors
    m.loc[m["errors"] == "AR errors (bootstrap)", "share_significant"] = 1.0
    assert "significance survives the analyst's choices" in V.describe_methods(m)
    summary = S.summarise_curve(_hand_made_curve())
    whole = V.describe_curve(summary, methods=m, reasons=S.not_estimable_reasons(c))
    assert "pooled" not in whole and "By inference method" in whole
    assert "pooled over the inference methods" in V.describe_curve(summary)
