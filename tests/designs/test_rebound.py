"""The regression-to-the-mean placebo (rasso_research.designs.rebound) and its view, on small
panels whose answer is known: donors that always rebound after a trough, or never."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402

from rasso_research.designs import rebound as R  # noqa: E402
from rasso_research.its import Interruption, ITSSpec  # noqa: E402
from rasso_research.views import rebound as V  # noqa: E402
from rasso_research.views.style import layout_problems  # noqa: E402

#: treated unit T from 2016, so the default trough is 2015
SPEC = ITSSpec("y", "year", [Interruption("main", 2016)], group="unit", treated="T")
YEARS = range(2010, 2020)


def _panel(n_rebound=10, n_flat=5, treated=(60.0, 90.0)):
    """Every unit flat at 100 but for a trough of 50 in 2015: the rebounding donors return to
    100 in 2016, the flat ones stay at 50; the treated unit's trough and next value are
    ``treated``."""
    rows = []
    units = [(f"r{i:02d}", "rebound") for i in range(n_rebound)]
    units += [(f"f{i:02d}", "flat") for i in range(n_flat)]
    for u, kind in [*units, ("T", "treated")]:
        for y in YEARS:
            v = 100.0
            if kind == "treated" and y in (2015, 2016):
                v = treated[y - 2015]
            elif kind != "treated" and y == 2015:
                v = 50.0
            elif kind == "flat" and y > 2015:
                v = 50.0
            rows.append((u, y, v))
    return pd.DataFrame(rows, columns=["unit", "year", "y"])


def test_mixed_donors_give_the_known_rate_and_percentile():
    res = R.fit_rebound(_panel(10, 5), SPEC)
    e = res.effects().iloc[0]
    assert (e["trough"], e["next_period"]) == ("2015", "2016")
    assert e["deviation"] == pytest.approx(np.log(0.6)) and e["rebound"] == pytest.approx(
        np.log(1.5)
    )
    assert e["deviation_pct"] == pytest.approx(-40) and e["rebound_pct"] == pytest.approx(50)
    # 15 donors x 6 computed years (2013-2018: 3 years before, one after)
    assert e["n_donor_years"] == 90
    # only the donors' own troughs are as far below trend (log 0.5 < log 0.6)
    assert (e["n_qualifying"], e["n_at_least"]) == (15, 10)
    assert e["placebo_rate"] == pytest.approx(10 / 15)
    assert e["percentile"] == pytest.approx(100 * 5 / 15)
    assert e["mean_qualifying_rebound"] == pytest.approx(10 / 15 * np.log(2))
    q = res.donors().query("qualifies")
    assert set(q["period"]) == {"2015"} and len(q) == 15


@pytest.mark.parametrize("n_rebound,n_flat,rate", [(12, 0, 1.0), (0, 12, 0.0)])
def test_donors_that_always_or_never_rebound(n_rebound, n_flat, rate):
    e = R.fit_rebound(_panel(n_rebound, n_flat), SPEC).effects().iloc[0]
    assert e["n_qualifying"] == 12 and e["placebo_rate"] == rate
    assert e["percentile"] == 100 * (1 - rate)
    text = V.describe_rebound(pd.DataFrame([e]))
    k = int(12 * rate)
    assert f"{k} of 12 donor years at least as far below trend rebounded at least as much" in text
    assert ("common among the donors" in text) == (rate == 1.0)
    assert ("rare among the donors" in text) == (rate == 0.0)


def test_a_trough_followed_by_a_fall_has_no_rebound_to_explain():
    e = R.fit_rebound(_panel(10, 5, treated=(60.0, 50.0)), SPEC).effects().iloc[0]
    assert e["below_trend"] and e["rebound"] < 0
    text = V.describe_rebound(pd.DataFrame([e]))
    assert "followed by a fall, not a rebound" in text
    assert "common among the donors" not in text and "rare among the donors" not in text


def test_a_trough_shallower_than_the_donors_excludes_them_and_too_few_is_said():
    # the treated trough 40 is deeper than the donors' 50: no donor year is as far below
    res = R.fit_rebound(_panel(10, 5, treated=(40.0, 90.0)), SPEC)
    e = res.effects().iloc[0]
    assert e["n_qualifying"] == 0 and np.isnan(e["placebo_rate"]) and np.isnan(e["percentile"])
    assert not e["enough"] and "too few" in e["note"]
    text = V.describe(res)
    assert "Only 0 of 90 donor years are at least as far below their own trend" in text
    assert "placebo rate" not in text
    few = R.fit_rebound(_panel(10, 5), SPEC, min_donor_years=16).effects().iloc[0]
    assert few["n_qualifying"] == 15 and np.isnan(few["placebo_rate"])


def test_level_scale_and_an_explicit_trough():
    res = R.fit_rebound(_panel(10, 5), SPEC, scale="level")
    e = res.effects().iloc[0]
    assert (e["deviation"], e["rebound"], e["trend_value"]) == (-40.0, 30.0, 100.0)
    assert e["rebound_pct"] == pytest.approx(50)
    # the donors' trough (-50) is deeper and their rebound (+50) larger than the treated's
    assert (e["n_qualifying"], e["n_at_least"]) == (15, 10)
    # a trough year other than the default: 2014 is on trend for every unit
    e14 = R.fit_rebound(_panel(), SPEC, trough=2014).effects().iloc[0]
    assert e14["trough"] == "2014" and e14["deviation"] == pytest.approx(0)
    assert not e14["below_trend"]
    assert "not below its own trend" in V.describe(R.fit_rebound(_panel(), SPEC, trough=2014))


def test_trend_is_the_line_of_the_years_before():
    Y = np.log(np.array([[10.0, 12, 14, 16, 18, 20], [5, 6, 8, 7, 9, 30]]))
    Y[0] = np.array([1.0, 2, 3, 4, 5, 6])  # a straight line: no deviation, rebound = slope
    trend, dev, reb = R.trend_deviations(Y, 3)
    np.testing.assert_allclose(dev[0, 3:], 0, atol=1e-12)
    np.testing.assert_allclose(reb[0, :-1], 1)
    assert np.isnan(dev[:, :3]).all() and np.isnan(reb[:, -1]).all()
    x = np.arange(3)
    b = np.polyfit(x, Y[1, 2:5], 1)
    assert trend[1, 5] == pytest.approx(np.polyval(b, 3))


def test_a_donor_gap_drops_only_the_years_it_touches():
    p = _panel(10, 5)
    p = p[~((p["unit"] == "r00") & (p["year"] == 2012))]
    e = R.fit_rebound(p, SPEC).effects().iloc[0]
    # r00's 2012 is in the windows of 2013-2015 and is 2011's next year (2011 not computed)
    assert e["n_donor_years"] == 90 - 3
    assert e["n_qualifying"] == 14


@pytest.mark.parametrize(
    "kw,match",
    [
        ({"trend_years": 1}, "trend_years must be an integer >= 2"),
        ({"scale": "sqrt"}, "scale must be one of"),
        ({"min_donor_years": 0}, "min_donor_years must be an integer >= 1"),
        ({"trough": 2030}, "trough 2030 not among the periods"),
        ({"trough": 2011}, "trough 2011 needs 3 period"),
        ({"trough": 2019}, "and one after it"),
        ({"donors": ["r00", "zz"]}, r"unknown donor\(s\) \['zz'\]"),
        ({"exclude": ["r00", "r01"], "donors": ["r00", "r01"]}, "empty donor pool"),
    ],
)
def test_bad_input_is_refused_by_name(kw, match):
    with pytest.raises(R.ReboundInputError, match=match):
        R.fit_rebound(_panel(), SPEC, **kw)


def test_bad_data_is_refused_by_name():
    p = _panel()
    with pytest.raises(R.ReboundInputError, match="treated unit 'X' not in column 'unit'"):
        R.fit_rebound(p, SPEC.replace(treated="X"))
    with pytest.raises(R.ReboundInputError, match="column 'z' not in the data"):
        R.fit_rebound(p, SPEC.replace(outcome="z"))
    zero = p.assign(y=np.where((p["unit"] == "f00") & (p["year"] == 2012), 0.0, p["y"]))
    with pytest.raises(R.ReboundInputError, match="0 for f00 in 2012: no log; use scale='level'"):
        R.fit_rebound(zero, SPEC)
    assert R.fit_rebound(zero, SPEC, scale="level").effects()["n_qualifying"].iloc[0] == 15
    gap = p[~((p["unit"] == "T") & (p["year"] == 2013))]
    with pytest.raises(R.ReboundInputError, match="T: missing 'y' in 2012..2016"):
        R.fit_rebound(gap, SPEC)
    with pytest.raises(R.ReboundInputError, match="duplicated unit x year"):
        R.fit_rebound(pd.concat([p, p.iloc[:1]]), SPEC)
    with pytest.raises(R.ReboundInputError, match="give trough= or date"):
        R.fit_rebound(p, SPEC.replace(interruptions=()))


def test_tables_and_figure():
    res = R.fit_rebound(_panel(10, 5), SPEC, label="y per 100")
    t = res.tables()
    assert set(t) == {"effects", "unit_years"}
    assert len(t["unit_years"]) == 16 * 10
    assert list(res.effects().columns[:3]) == ["series", "treated", "trough"]
    text = V.describe(res)
    assert text.startswith("**y per 100: T's 2015 against its own trend.** 2015: 60 against 100")
    assert "(-40%, -0.51 log points), then 90 in 2016 (+50%, 0.41 log points)" in text
    assert "larger than 33% of theirs (their mean rebound +58.7%)" in text
    assert "Among all 90 donor years, 10 (11%) rose at least as much" in text
    for width in ("one", "two"):
        fig = V.plot(res, width=width)
        assert fig.axes[0].get_title(loc="left") == "y per 100"
        assert layout_problems(fig) == []
        matplotlib.pyplot.close(fig)
