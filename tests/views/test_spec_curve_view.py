"""The specification-curve figure: a facet per inference method, the not-estimable
specifications as crosses with their reason in the legend, and the Newey-West coverage the
text quotes from docs/METHODS.md."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402

from rasso_research import paths  # noqa: E402
from rasso_research.designs import spec_curve as S  # noqa: E402
from rasso_research.views import spec_curve as V  # noqa: E402
from rasso_research.views.style import (  # noqa: E402
    MIN_FONT_PT,
    ONE_COLUMN,
    TWO_COLUMN,
    drawn_texts,
    layout_problems,
)

AR, NW = "AR errors (bootstrap)", "Newey-West"


def _curve(seed: int = 0) -> pd.DataFrame:
    """The full grid of models x seasonality x Covid-19 handling, with made-up estimates:
    Newey-West intervals narrower than the AR ones, and some OLS specifications not estimable
    (counterfactual at or below 0, or above 0 with an unbounded interval)."""
    g = S.spec_grid({"allan": ["segment"], "phase_in": [0]})
    rng = np.random.default_rng(seed)
    est = rng.normal(-5, 15, len(g))
    nw = g["model"].str.contains("Newey-West").to_numpy()
    half = np.where(nw, 8.0, 30.0)
    c = g.assign(
        estimate=est,
        ci_low=est - half,
        ci_high=est + half,
        counterfactual=rng.uniform(1, 5, len(g)),
    )
    c["ok"] = True
    ols = np.flatnonzero(g["model"].str.startswith("OLS").to_numpy())
    below, unbounded = ols[:3], ols[3:8]
    c.loc[below, "counterfactual"] = -0.4
    c.loc[below.tolist() + unbounded.tolist(), "ok"] = False
    c["error"] = np.where(c["ok"], "", f"{S.UNDEFINED}: counterfactual not bounded away from 0")
    c["ci_method"] = np.where(nw, "wald", "bootstrap")
    c["significant"] = c["ok"] & ((c["ci_low"] > 0) | (c["ci_high"] < 0))
    return c


def _markers(ax) -> int:
    """How many not-estimable crosses ``ax`` draws."""
    return sum(
        c.get_offsets().shape[0] for c in ax.collections if c.get_gid() == V.NOT_ESTIMABLE_GID
    )


def test_a_facet_per_inference_method_with_its_count():
    c = _curve()
    fig = V.plot_spec_curve(c, width="two", dates=None)
    assert fig.get_size_inches()[0] == TWO_COLUMN
    assert len(fig.axes) == 4  # estimates and choices, per method
    titles = [ax.get_title(loc="left").replace("\n", " ") for ax in fig.axes[::2]]
    m = S.by_method(c).query("family == 'all'").set_index("errors")
    for title, errors, letter in zip(titles, (AR, NW), "ab", strict=True):
        k, n = int(m.loc[errors, "significant"]), int(m.loc[errors, "fitted"])
        bad = int(m.loc[errors, "specs"]) - n
        tail = f"; {bad} not estimable (x, +)" if bad else ""
        assert title == f"({letter}) {errors}: {k} of {n} fitted CIs exclude 0{tail}"
    # side by side, one y scale
    ar, nw = fig.axes[0], fig.axes[2]
    assert ar.get_position().x1 < nw.get_position().x0
    assert ar.get_ylim() == nw.get_ylim()
    # the choices below name the family, the facet the errors
    labels = [t.get_text() for t in fig.axes[1].get_yticklabels()]
    assert "family: OLS" in labels and not any(x.startswith("model:") for x in labels)
    plt.close(fig)


def test_not_estimable_specifications_are_crosses_with_their_reason():
    c = _curve()
    fig = V.plot_spec_curve(c, width="two")
    legend = [t.get_text() for t in fig.legends[0].get_texts()]
    assert "not estimable: counterfactual at or below 0" in legend
    assert "not estimable: counterfactual's CI reaches 0" in legend
    bad = S.inference(c[~c["ok"]])
    for ax, errors in zip(fig.axes[0::2], (AR, NW), strict=True):
        assert _markers(ax) == int((bad["errors"] == errors).sum())
    plt.close(fig)
    # no not-estimable specification: no cross and no legend entry for one
    fig = V.plot_spec_curve(c[c["ok"]], width="two")
    legend = [t.get_text() for t in fig.legends[0].get_texts()]
    assert not any(x.startswith("not estimable") for x in legend)
    assert sum(_markers(ax) for ax in fig.axes) == 0
    plt.close(fig)


@pytest.mark.parametrize("width", ["one", "two"])
def test_the_figure_is_legible_at_both_widths(width):
    dates = pd.DataFrame(
        {
            "shift": [-2, -1, 0, 1, 2],
            "ok": True,
            "estimate": [3.0, -5.0, -8.0, 10.0, 2.0],
            "ci_low": [-20.0, -30.0, -35.0, -5.0, -20.0],
            "ci_high": [30.0, 25.0, 20.0, 30.0, 25.0],
            "significant": False,
        }
    )
    fig = V.plot_spec_curve(_curve(), title="Charges per 100 rapes", width=width, dates=dates)
    assert fig.get_size_inches()[0] == (ONE_COLUMN if width == "one" else TWO_COLUMN)
    assert len(fig.axes) == 5
    assert layout_problems(fig) == []
    assert min(t.get_fontsize() for t in drawn_texts(fig)) >= max(MIN_FONT_PT, 7)
    if width == "one":  # one above the other
        ar, nw = fig.axes[0], fig.axes[2]
        assert ar.get_position().y0 > nw.get_position().y1
    plt.close(fig)


def test_a_curve_without_known_models_is_one_facet():
    c = _curve().drop(columns="model")
    fig = V.plot_spec_curve(c, width="two")
    assert len(fig.axes) == 2  # one panel: no letter, the count of not-estimable ones
    assert fig.axes[0].get_title(loc="left") == f"{int((~c['ok']).sum())} not estimable (x, +)"
    plt.close(fig)


def test_the_default_specification_is_ringed_and_zero_lies_beneath_the_median():
    c = _curve()
    c["spec_id"] = np.arange(1, len(c) + 1)
    ok = c[c["ok"]]
    d0 = ok[ok["model"] == "quasi-Poisson, AR errors"].iloc[[3]]
    dates = pd.concat([d0.assign(shift=0), d0.assign(shift=1, estimate=5.0)])
    assert V.default_spec(c, dates) == int(d0["spec_id"].iloc[0])
    fig = V.plot_spec_curve(c, width="two", dates=dates)
    rings = [ln for ax in fig.axes for ln in ax.lines if ln.get_gid() == V.DEFAULT_GID]
    assert len(rings) == 1 and rings[0].axes is fig.axes[0]  # in the AR-errors facet
    assert np.isclose(rings[0].get_ydata()[0], 1 + d0["estimate"].iloc[0] / 100)
    ax = fig.axes[0]
    zero = next(ln for ln in ax.lines if ln.get_ydata()[0] == 1 and ln.get_color() == "black")
    median = next(ln for ln in ax.lines if ln.get_color() == V.MEDIAN_STYLE["color"])
    assert zero.get_zorder() < median.get_zorder() and median.get_linestyle() != "-"
    legend = [t.get_text() for t in fig.legends[0].get_texts()]
    assert "default specification" in legend and "zero (no change)" in legend
    plt.close(fig)


def test_the_quoted_newey_west_coverage_is_what_methods_says():
    methods = (paths.ROOT / "docs" / "METHODS.md").read_text()
    assert f"Newey-West covers {V.NEWEY_WEST_COVERAGE}" in methods
