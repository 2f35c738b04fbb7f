"""The standard ITS figure."""

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from rasso_research.data.measures import ylabel_for  # noqa: E402
from rasso_research.its import Interruption, ITSSpec, fit_its  # noqa: E402
from rasso_research.views import data as VD  # noqa: E402
from rasso_research.views import its as VI  # noqa: E402
from rasso_research.views.its import plot_its
from rasso_research.views.style import TWO_COLUMN, save_figure  # noqa: E402


def quarterly_panel(seed=0, n=40):
    rng = np.random.default_rng(seed)
    t = np.arange(1, n + 1)
    q = pd.period_range("2014Q1", periods=n, freq="Q").astype(str)
    frames = []
    for u, eff in [("T", -5), ("C1", 0), ("C2", 0)]:
        y = 30 + 0.3 * t + eff * (t >= 25) + rng.normal(0, 0.5, n)
        y[(q == "2020Q2")] -= 10
        frames.append(pd.DataFrame({"unit": u, "quarter": q, "y": y}))
    return pd.concat(frames, ignore_index=True)


SPEC = ITSSpec(
    "y",
    "quarter",
    [Interruption("Policy", "2020Q1", phase_in=1)],
    disrupted=["2020Q2"],
    season="quarter",
)


def test_single_series_figure(tmp_path):
    df = quarterly_panel().query("unit == 'T'")
    fig = plot_its(fit_its(df, SPEC), ylabel="Charges", title="Test", source="Source: sim")
    assert isinstance(fig, Figure)
    assert fig.get_size_inches()[0] == TWO_COLUMN
    ax = fig.axes[0]
    texts = [t.get_text() for t in ax.texts] + [t.get_text() for t in fig.texts]
    assert "Policy (2020Q1)" in texts and "Source: sim" in texts
    labels = ax.get_legend_handles_labels()[1]
    assert {"Observed", "Fitted", "Counterfactual (95% CI)", "Disrupted"} <= set(labels)
    assert ax.get_xlabel() == "Quarter (calendar)"
    paths = save_figure(fig, "its_test", tmp_path)
    assert all(p.stat().st_size > 0 for p in paths)
    plt.close(fig)


def test_controlled_figure_and_given_axes():
    res = fit_its(quarterly_panel(), SPEC.replace(group="unit", treated="T"))
    fig, ax = plt.subplots()
    out = plot_its(res, ax=ax)
    assert out is fig
    assert len(ax.lines) >= 2 + 2  # two control lines, fitted segments, counterfactual
    assert "Controls" in ax.get_legend_handles_labels()[1]
    plt.close(fig)


def test_underlying_lines_ignore_disruption_dummies():
    res = fit_its(quarterly_panel().query("unit == 'T'"), SPEC)
    full = res.counterfactual().set_index("label")
    under = res.counterfactual(include_disrupted=False).set_index("label")
    assert full.loc["2020Q2", "fitted"] < under.loc["2020Q2", "fitted"] - 5
    assert full.loc["2021Q2", "fitted"] == under.loc["2021Q2", "fitted"]


def _cf_table(series="Rape charges (count)", n=20):
    q = pd.period_range("2018Q1", periods=n, freq="Q").astype(str)
    post = np.arange(n) >= 10
    fitted = 100 + np.arange(n) + 5 * post
    cf = np.where(post, 100 + np.arange(n), np.nan)
    return pd.DataFrame(
        {
            "series": series,
            "intervention": "X",
            "period": q,
            "observed": fitted + 1,
            "in_fit": True,
            "segment": np.where(post, "post", "pre"),
            "fitted": fitted,
            "counterfactual": cf,
            "counterfactual_ci_low": cf - 3,
            "counterfactual_ci_high": cf + 3,
            "covid": False,
        }
    )


def test_figure_from_a_fit_equals_figure_from_its_saved_table():
    """One drawer: the table a design saves draws the same lines as the fit itself."""
    from rasso_research.its import its_table
    from rasso_research.views.its import plot_its_table

    res = fit_its(quarterly_panel().query("unit == 'T'"), SPEC)
    a = plot_its(res)
    tab = its_table(res).assign(period=lambda d: d["period"].astype(str))
    b = plot_its_table(tab, "y", interruptions={"Policy (2020Q1)": "2020Q1"}, width="two")
    for la, lb in zip(a.axes[0].lines, b.axes[0].lines, strict=True):
        assert np.allclose(
            np.asarray(la.get_ydata(), float), np.asarray(lb.get_ydata(), float), equal_nan=True
        )
    plt.close("all")


def test_integer_time_axis():
    from rasso_research.validation import load_sicily, sicily_spec

    try:
        data = load_sicily()
    except FileNotFoundError:
        import pytest

        pytest.skip("sicily.csv not fetched")
    fig = plot_its(fit_its(data, sicily_spec()), ylabel="ACEs per 100,000")
    ax = fig.axes[0]
    assert ax.get_xlabel() == "Period (integer time)"
    assert "smokban (37)" in [t.get_text() for t in ax.texts]
    plt.close(fig)


def test_its_panels_share_one_legend_below_the_data():

    labels = ["Rape charges (count)", "Rape charges per 100 recorded rapes"]
    ylabels = [ylabel_for("rape_charged_in_quarter"), "Rape charges per 100 recorded rapes"]
    cf = pd.concat([_cf_table(s) for s in labels])
    fig = VI.plot_its_panels(cf, list(zip(labels, ylabels, strict=True)), {"X": "2020Q3"})
    assert [ax.get_legend() for ax in fig.axes] == [None, None]  # no legend inside any panel
    assert len(fig.legends) == 1
    fig.canvas.draw()
    leg = fig.legends[0].get_window_extent()
    assert all(leg.y1 <= ax.get_window_extent().y0 for ax in fig.axes)  # below every panel
    assert [ax.get_ylabel().replace("\n", " ") for ax in fig.axes] == ylabels
    assert "Rate" not in [ax.get_ylabel() for ax in fig.axes]
    plt.close(fig)


def test_band_horizon_limits_the_counterfactual_band():
    """With ``band_horizon=h`` the CI band covers the interruption period and h more, and the
    legend says so; the counterfactual line itself runs to the end."""
    import matplotlib.dates as mdates
    import pytest

    from rasso_research.views.its import plot_its_table, to_x

    cf = _cf_table(n=20)  # post-period: periods 10..19
    fig = plot_its_table(cf, "y", interruptions={"X": "2020Q3"}, band_horizon=4)
    ax = fig.axes[0]
    band = ax.collections[-1].get_paths()[0].vertices[:, 0]
    x = mdates.date2num(to_x(cf["period"]))
    assert band.min() == pytest.approx(x[10]) and band.max() == pytest.approx(x[14])
    labels = ax.get_legend_handles_labels()[1]
    assert "Counterfactual (95% CI to +4 q)" in labels
    line = next(ln for ln in ax.lines if ln.get_label().startswith("Counterfactual"))
    assert mdates.date2num(np.max(line.get_xdata())) == pytest.approx(x[19])
    plt.close(fig)
    # panels: one counterfactual legend entry, saying "cut" when any panel's band is cut
    wide = _cf_table("B").assign(counterfactual_ci_high=lambda d: d["counterfactual"] + 500)
    fig = VI.plot_its_panels(
        pd.concat([cf, wide]),
        [("Rape charges (count)", "y"), ("B", "y")],
        {"X": "2020Q3"},
        band_horizon=4,
    )
    entries = [t.get_text() for t in fig.legends[0].get_texts()]
    assert [e for e in entries if e.startswith("Counterfactual")] == [
        "Counterfactual (95% CI to +4 q, cut at the axis)"
    ]
    plt.close(fig)


def test_interruption_marker_is_shared():
    from rasso_research.views.its import mark_interruption

    fig, ax = plt.subplots()
    VI.mark_periods(ax, {"Policy": "2020Q3"})
    mark_interruption(ax, 3.0, None)
    assert [t.get_text() for t in ax.texts] == ["Policy"]
    assert len(ax.lines) == 2
    plt.close(fig)


def test_distance_to_2016_breaks_at_gaps_and_keeps_the_legend_off_the_data():

    dist = pd.DataFrame(
        {
            "series": ["CPS a"] * 4 + ["MoJ b"] * 3,
            "year": ["2007/08", "2009/10", "2016/17", "2017/18", "2015", "2016", "2017"],
            "pct_of_2016": [60.0, 90.0, 100.0, 80.0, 95.0, 100.0, 85.0],
        }
    )
    fig = VD.plot_distance_to_2016(dist)
    ax = fig.axes[0]
    cps = ax.lines[0]
    assert np.isnan(np.asarray(cps.get_ydata(), float)[1])  # 2008 missing: the line breaks
    assert ax.lines[1].get_linestyle() == "--"  # calendar-year series dashed
    fig.canvas.draw()
    leg = fig.legends[0].get_window_extent()
    assert leg.y1 <= ax.get_window_extent().y0  # below the axes, over no data
    assert any("MoJ" in t.get_text() for t in fig.texts)  # the source line names it
    plt.close(fig)


def test_a_band_quarter_between_two_gaps_is_drawn_as_a_bar():
    """A counterfactual quarter between two disrupted quarters has no band width: its interval
    is drawn as a bar at that quarter."""
    import matplotlib.dates as mdates
    import pytest
    from matplotlib.collections import LineCollection

    from rasso_research.views.its import plot_its_table, to_x

    cf = _cf_table(n=20)  # post-period: periods 10..19
    cf["covid"] = False
    cf.loc[[9, 11], "covid"] = True  # period 10 sits between two disrupted quarters
    fig = plot_its_table(cf, "y", interruptions={"X": "2020Q3"})
    bars = [c for c in fig.axes[0].collections if isinstance(c, LineCollection)]
    assert len(bars) == 1
    seg = bars[0].get_segments()[0]
    x = mdates.date2num(to_x(cf["period"]))
    assert seg[0, 0] == pytest.approx(x[10])
    assert (seg[0, 1], seg[1, 1]) == pytest.approx(
        (cf.loc[10, "counterfactual_ci_low"], cf.loc[10, "counterfactual_ci_high"])
    )
    plt.close(fig)
