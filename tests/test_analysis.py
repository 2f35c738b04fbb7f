"""Tests of rasso_research.analysis on small synthetic panels."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from rasso_research import analysis as A
from rasso_research import paths


def _panel(n=40, start="2012Q2", level=0.3, at="2020Q3", forces=("A", "B", "C"), seed=1):
    """Synthetic long panel: counts with a known log-level change at ``at`` for force A."""
    rng = np.random.default_rng(seed)
    q = pd.period_range(start, periods=n, freq="Q")
    rows = []
    for f in (*forces, A.NATIONAL):
        pop = 1e6 * (1 + 0.005 * np.arange(n))
        mu = (
            pop
            * 1e-3
            * np.exp(0.01 * np.arange(n) + (level if f == "A" else 0.0) * (q >= pd.Period(at, "Q")))
        )
        y = rng.poisson(mu)
        for qq, yy, pp in zip(q, y, pop, strict=True):
            rows += [
                {
                    "quarter": str(qq),
                    "force": f,
                    "measure": "count",
                    "value": float(yy),
                    "source": "s1",
                },
                {
                    "quarter": str(qq),
                    "force": f,
                    "measure": "population",
                    "value": pp,
                    "source": "p",
                },
                {
                    "quarter": str(qq),
                    "force": f,
                    "measure": "rate",
                    "value": 1e5 * yy / pp,
                    "source": "s1",
                },
            ]
    return pd.DataFrame(rows)


def test_series_basic_and_offset():
    p = _panel()
    s = A.series(p, "count", force="A", start="2014Q1", end="2020Q4", offset="population")
    assert list(s.columns[:3]) == ["quarter", "t", "value"]
    assert s["quarter"].iloc[0] == pd.Period("2014Q1", "Q") and s["t"].iloc[0] == 1
    assert s["quarter"].iloc[-1] == pd.Period("2020Q4", "Q")
    assert np.allclose(np.exp(s["log_offset"]), s["offset"])
    assert s.attrs["offset_measure"] == "population"


def test_series_accepts_fiscal_labels_and_errors():
    p = _panel()
    s = A.series(p, "count", force="A", start="2018/19 Q3")
    assert s["quarter"].iloc[0] == pd.Period("2018Q4", "Q")
    with pytest.raises(ValueError, match="no data"):
        A.series(p, "count", force="Nowhere")


def test_overlapping_sources_pick_longest_with_warning():
    p = _panel(n=12)
    extra = (
        p[(p["measure"] == "count") & (p["force"] == "A")].head(3).assign(source="s2", value=0.0)
    )
    p2 = pd.concat([p, extra])
    with pytest.warns(UserWarning, match="several sources"):
        s = A.series(p2, "count", force="A")
    assert (s["value"] > 0).all()
    s2 = A.series(p2, "count", force="A", source="s2")
    assert len(s2) == 3


def test_non_overlapping_sources_are_joined():
    p = _panel(n=12)
    m = (p["measure"] == "count") & (p["force"] == "A")
    p.loc[m & (p["quarter"] >= "2014Q1"), "source"] = "later"
    s = A.series(p, "count", force="A")
    assert len(s) == 12


def test_offset_interpolation():
    p = _panel(n=12)
    keep = ~((p["measure"] == "population") & p["quarter"].isin(["2013Q1", "2013Q2"]))
    s = A.series(p[keep], "count", force="A", offset="population", offset_fill="interpolate")
    assert len(s) == 12 and s.attrs["offset_filled"] == 2
    s2 = A.series(p[keep], "count", force="A", offset="population")
    assert len(s2) == 10 and s2.attrs["offset_dropped"] == 2


def test_coverage_and_feasibility():
    p = _panel(n=40)  # 2012Q2 .. 2022Q1
    s = A.series(p, "count", force="A")
    assert A.coverage_around(s, "2020Q3") == (33, 7)
    assert A.coverage_around(s, "2020Q3", exclude=["2020Q2", "2020Q4"]) == (32, 6)
    f = A.check_its_feasible(s, "2020Q3", min_pre=8, min_post=8)
    assert not f and "7 quarters from it (need 8)" in f.message
    assert A.check_its_feasible(s, "2018Q1")
    cov = A.coverage(p)
    assert set(cov["measure"]) == {"count", "population", "rate"}
    assert (cov["quarters"] == 40).all() and (cov["forces"] == 3).all()


@pytest.mark.parametrize("family", ["quasipoisson", "ols_hac", "arma"])
def test_fit_segmented_recovers_level_change(family):
    p = _panel(n=40, level=0.3, seed=3)
    s = A.series(p, "count", force="A", offset="population")
    spec = A.ModelSpec("2020Q3", family=family, seasonality="none", covid="none", rate_scale=1e5)
    fit = A.fit_segmented(s, spec)
    e0 = fit.effects.set_index("horizon").loc[0]
    assert 20 < e0["effect_pct"] < 50  # true +35%
    assert e0["ci_low_pct"] < e0["effect_pct"] < e0["ci_high_pct"]
    assert fit.diagnostics["n_pre"] == 33 and fit.diagnostics["n_post"] == 7


def test_spec_translation_covid_and_segments():
    p = _panel(n=40)
    s = A.series(p, "count", force="A", offset="population")
    spec = A.ModelSpec(
        "2020Q3",
        covid="indicator",
        covid_quarters=("2020Q2", "2020Q4", "2030Q1"),
        segments=("2018Q1",),
    )
    its = A.to_its_spec(A.its_data(s, spec), spec)
    assert its.disrupted == "covid" and its.offset == "offset"
    assert [i.name for i in its.interruptions] == ["segment_2018Q1", A.MAIN]
    ex = A.to_its_spec(
        s, A.ModelSpec("2020Q3", covid="exclude", covid_quarters=("2020Q2", "2030Q1"))
    )
    assert ex.disrupted == ["2020Q2"]
    fit = A.fit_segmented(s, spec)
    assert "level_segment_2018Q1" in set(fit.params["term"])
    assert fit.diagnostics["n_pre"] == 10  # from the 2018Q1 segment to 2020Q2


def test_controlled_its_and_placebo():
    p = _panel(n=40, level=0.4, seed=5, forces=("A", "B", "C", "D", "E"))
    cf = A.controls_frame(p, "rate", "A", start="2014Q1")
    assert set(cf["force"]) == {"A", "B", "C", "D", "E"} and A.NATIONAL not in set(cf["force"])
    res = A.fit_controlled(cf, "2020Q3")
    est = res.params_table().set_index("term").loc["treated_level_main", "estimate"]
    assert est > 0
    pl = A.placebo_space(cf, "2020Q3")
    assert len(pl.table) == 4 and 0 < pl.p_value <= 1


def test_controls_frame_balanced_drops_incomplete():
    p = _panel(n=12)
    p = p[~((p["force"] == "C") & (p["quarter"] == "2013Q1"))]
    cf = A.controls_frame(p, "rate", "A")
    assert cf.attrs["dropped_controls"] == ["C"]
    with pytest.raises(ValueError, match="without data"):
        A.controls_frame(p, "rate", "A", controls=["Z"])


def test_round_sig():
    assert A.round_sig(0.0123456) == 0.0123
    assert A.round_sig(-1234.5) == -1230.0
    assert np.isnan(A.round_sig(float("nan")))
    df = A.rounded(pd.DataFrame({"x": [1.23456, 2.0], "s": ["a", "b"]}))
    assert df["x"].tolist() == [1.23, 2.0]


_PANEL = paths.DATA_PROCESSED / "panel.parquet"


@pytest.mark.mirror
@pytest.mark.skipif(not _PANEL.exists(), reason="processed panel not built (make data)")
def test_real_panel_coverage_around_interruptions():
    p = A.load_panel()
    with pytest.warns(UserWarning, match="several sources"):
        charges = A.series(p, "rape_charged_in_quarter")
    assert "2024 edition" in charges.attrs["source"]
    assert A.coverage_around(charges, "2020Q3") == (25, 16)
    wm = A.series(p, "recorded_rape_per_100k", force="West Midlands", start="2014Q2", end="2020Q4")
    assert A.coverage_around(wm, "2018Q4") == (18, 9)
    cohort = A.series(p, "rape_charge_rate_cohort", force="West Midlands")
    assert not A.check_its_feasible(cohort, "2018Q4", min_pre=8, min_post=4)
