"""Design matrix, time axis, seasonality and clear errors."""

import numpy as np
import pandas as pd
import pytest

from rasso_research.estimators.covariance import newey_west_lags
from rasso_research.its import Interruption, ITSSpec, build_design, fit_its


def quarterly(n=32, start="2012Q1", seed=0, counts=False):
    rng = np.random.default_rng(seed)
    q = pd.period_range(start, periods=n, freq="Q")
    t = np.arange(1, n + 1)
    mu = 100 + 0.5 * t
    y = rng.poisson(mu) if counts else mu + rng.normal(0, 2, n)
    return pd.DataFrame({"quarter": q.astype(str), "y": y, "pop": 1e5 + 10 * t})


SPEC = ITSSpec("y", "quarter", [Interruption("policy", "2018Q1")], family="ols")


def test_newey_west_rule():
    assert newey_west_lags(100) == 4
    assert newey_west_lags(60) == 3
    assert newey_west_lags(32) == 3


def test_quarter_strings_and_terms():
    d = build_design(quarterly(), SPEC)
    info = d.interruptions[0]
    assert info.label == "2018Q1" and info.t0 == 24  # t is 0 at 2012Q1
    fr = d.frame
    assert fr["t"].iloc[0] == 0
    assert fr.loc[fr["t"] == 23, "level_policy"].item() == 0
    assert fr.loc[fr["t"] == 24, ["level_policy", "slope_policy"]].values.tolist() == [[1, 0]]
    assert fr.loc[fr["t"] == 26, "slope_policy"].item() == 2


@pytest.mark.parametrize(
    "at",
    ["2018Q1", pd.Period("2018Q1", "Q"), pd.Timestamp("2018-02-15"), 24, pd.Period("2018-03", "M")],
)
def test_interruption_date_forms(at):
    d = build_design(quarterly(), SPEC.replace(interruptions=[Interruption("p", at)]))
    assert d.interruptions[0].t0 == 24


def test_period_and_timestamp_time_columns():
    df = quarterly()
    df_p = df.assign(quarter=pd.PeriodIndex(df["quarter"], freq="Q"))
    df_ts = df.assign(quarter=pd.PeriodIndex(df["quarter"], freq="Q").to_timestamp())
    for frame in (df_p, df_ts):
        assert build_design(frame, SPEC).interruptions[0].t0 == 24


def test_integer_time_counts_from_zero_and_keeps_its_values():
    """An integer time column (here years) gives t = 0 at its first value; interruptions and
    labels use the column's own values, so the intercept is the level in the first year."""
    df = pd.DataFrame({"year": np.arange(1970, 2001), "y": 100.0 - np.arange(31)})
    d = build_design(df, ITSSpec("y", "year", [Interruption("p", 1989)]))
    assert d.frame["t"].iloc[0] == 0 and d.interruptions[0].t0 == 19
    assert d.interruptions[0].label == "1989" and d.axis.period(0) == 1970
    res = fit_its(df, ITSSpec("y", "year", [Interruption("p", 1989)], cov_type="HAC"))
    assert res.params_table().set_index("term").loc["Intercept", "estimate"] == pytest.approx(100)


def test_unsorted_input_is_sorted():
    df = quarterly().sample(frac=1, random_state=1)
    d = build_design(df, SPEC)
    assert (np.diff(d.frame["t"]) == 1).all()


def test_phase_in_excludes_periods_and_recentres():
    d = build_design(quarterly(), SPEC.replace(interruptions=[Interruption("p", "2018Q1", 2)]))
    fr = d.frame
    assert not fr.loc[fr["t"].isin([24, 25]), "in_fit"].any()
    assert fr.loc[fr["t"] == 26, ["level_p", "slope_p"]].values.tolist() == [[1, 0]]
    res = fit_its(quarterly(), d.spec)
    assert res.results.nobs == 30


def test_quarter_season_columns():
    d = build_design(quarterly(), SPEC.replace(season="quarter"))
    assert {"q2", "q3", "q4"} <= set(d.terms)
    fr = d.frame
    assert fr.loc[fr["label"] == "2012Q3", "q3"].item() == 1
    assert fr[["q2", "q3", "q4"]].sum(axis=1).isin([0, 1]).all()


def test_month_and_fourier_columns():
    n = 48
    df = pd.DataFrame(
        {"m": pd.period_range("2015-01", periods=n, freq="M"), "y": np.arange(n, dtype=float)}
    )
    spec = ITSSpec("y", "m", [Interruption("p", "2017-01")], season="month")
    d = build_design(df, spec)
    assert [c for c in d.terms if c.startswith("m")] == [f"m{k}" for k in range(2, 13)]
    d = build_design(df, spec.replace(season=("fourier", 3, 12)))
    assert {"sin1", "cos1", "sin2", "cos2", "sin3", "cos3"} <= set(d.terms)
    np.testing.assert_allclose(d.frame["cos1"].iloc[11], 1.0)  # December: 2*pi*12/12
    # quarterly Fourier with K = period/2: the sine vanishes and is dropped
    d = build_design(quarterly(), SPEC.replace(season=("fourier", 2, 4)))
    assert "sin2" not in d.terms and "cos2" in d.terms


def test_disrupted_periods_and_column():
    df = quarterly(n=40)
    d = build_design(df, SPEC.replace(disrupted=["2020Q2", "2020Q3"]))
    assert d.disrupted_terms == ["disrupted_2020Q2", "disrupted_2020Q3"]
    assert d.frame["disrupted_2020Q2"].sum() == 1
    df["covid"] = df["quarter"].isin(["2020Q2", "2020Q3"]).astype(int)
    d = build_design(df, SPEC.replace(disrupted="covid"))
    assert d.disrupted_terms == ["disrupted_covid"] and d.frame["disrupted_covid"].sum() == 2


def test_level_only_interruption():
    d = build_design(quarterly(), SPEC.replace(interruptions=[Interruption("p", 24, slope=False)]))
    assert "slope_p" not in d.terms and "level_p" in d.terms


# --- clear errors -----------------------------------------------------------------------
def test_error_too_few_before():
    with pytest.raises(
        ValueError, match=r"Too few points before .*2 fitted period\(s\), at least 3"
    ):
        build_design(quarterly(), SPEC.replace(interruptions=[Interruption("p", "2012Q3")]))


def test_error_too_few_after():
    with pytest.raises(
        ValueError, match=r"Too few points after .*1 fitted period\(s\).*at least 3"
    ):
        build_design(quarterly(), SPEC.replace(interruptions=[Interruption("p", "2019Q4")]))


def test_error_too_few_after_phase_in():
    with pytest.raises(ValueError, match="Too few points after"):
        build_design(quarterly(), SPEC.replace(interruptions=[Interruption("p", "2019Q2", 2)]))


def test_error_outside_series():
    with pytest.raises(ValueError, match=r"outside the series \(2012Q1 to 2019Q4\)"):
        build_design(quarterly(), SPEC.replace(interruptions=[Interruption("p", "2021Q1")]))


def test_error_gap():
    df = quarterly().drop(index=[10])
    with pytest.raises(ValueError, match="Gap in the series: nothing between 2014Q2 and 2014Q4"):
        build_design(df, SPEC)


def test_error_duplicate():
    df = quarterly()
    df = pd.concat([df, df.iloc[[5]]])
    with pytest.raises(ValueError, match=r"Duplicate periods: \['2013Q2'\]"):
        build_design(df, SPEC)


def test_error_negative_counts():
    df = quarterly(counts=True)
    df.loc[3, "y"] = -1
    with pytest.raises(ValueError, match="Negative counts in 'y' \\(1 rows\\)"):
        build_design(df, SPEC.replace(family="poisson"))


@pytest.mark.parametrize("bad", [0.0, -5.0, np.nan])
def test_error_nonpositive_offset(bad):
    df = quarterly(counts=True)
    df.loc[3, "pop"] = bad
    with pytest.raises(ValueError, match="Offset 'pop' must be positive"):
        build_design(df, SPEC.replace(family="poisson", offset="pop"))


def test_error_missing_columns():
    with pytest.raises(ValueError, match=r"Missing column\(s\) \['deaths', 'popn'\]"):
        build_design(quarterly(), SPEC.replace(outcome="deaths", offset="popn"))


def test_error_bad_family_and_season():
    with pytest.raises(ValueError, match="family must be one of"):
        build_design(quarterly(), SPEC.replace(family="logit"))
    with pytest.raises(ValueError, match="season must be"):
        build_design(quarterly(), SPEC.replace(season="week"))


def test_error_overlapping_interruptions():
    spec = SPEC.replace(interruptions=[Interruption("a", 10, 4), Interruption("b", 12)])
    with pytest.raises(ValueError, match="overlap"):
        build_design(quarterly(), spec)


def test_error_date_on_integer_axis():
    df = quarterly().assign(time=np.arange(1, 33))
    with pytest.raises(ValueError, match="integer"):
        build_design(df, SPEC.replace(time="time"))


def test_missing_unit_labels_are_refused():
    """A stacked panel with a blank unit label stops with the column and the count."""
    from rasso_research.its import Interruption, ITSSpec

    d = pd.DataFrame(
        {
            "t": np.tile(np.arange(1, 13), 2),
            "y": np.arange(24.0),
            "unit": ["A"] * 12 + ["B"] * 11 + [None],
        }
    )
    spec = ITSSpec("y", "t", [Interruption("x", 7)], group="unit", treated="A")
    with pytest.raises(ValueError, match="'unit' has 1 missing unit label"):
        build_design(d, spec)
