"""Every paper figure, rendered at both widths and checked with matplotlib's renderer: no text
overprints another and every line with data is drawn where it has data."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402

from rasso_research import paths, timeline  # noqa: E402
from rasso_research.data import series as S  # noqa: E402
from rasso_research.data.measures import ylabel_for  # noqa: E402
from rasso_research.views import controlled_its as VCI  # noqa: E402
from rasso_research.views import data as VD  # noqa: E402
from rasso_research.views import force as VF  # noqa: E402
from rasso_research.views import its as VI  # noqa: E402
from rasso_research.views import joint_its as VJ  # noqa: E402
from rasso_research.views import national_its as VN  # noqa: E402
from rasso_research.views import spec_curve as VSC  # noqa: E402
from rasso_research.views import style as VS  # noqa: E402
from rasso_research.views.style import layout_problems  # noqa: E402

MARKS = {"R v Allan": "2018Q1", "RASSO 2025": "2020Q3", "JNAP": "2021Q1", "E2E Review": "2021Q2"}


def _cf(series, n=40, start="2014Q2"):
    q = pd.period_range(start, periods=n, freq="Q").astype(str)
    post = np.arange(n) >= 25
    fitted = 1000 - 5 * np.arange(n) + 150 * post
    cf = np.where(post, 1000 - 5 * np.arange(n), np.nan)
    return pd.DataFrame(
        {
            "series": series,
            "intervention": "RASSO 2025",
            "period": q,
            "observed": fitted + np.sin(np.arange(n)) * 30,
            "in_fit": True,
            "segment": np.where(post, "main", "pre"),
            "fitted": fitted,
            "counterfactual": cf,
            "counterfactual_ci_low": cf - 100,
            "counterfactual_ci_high": cf + 100,
            "covid": np.isin(q, ["2020Q2", "2020Q4", "2021Q1"]),
        }
    )


def _figures():
    labels = ["Recorded rape (count, population offset)", "Rape charges (count)", "Charges per 100"]
    cf = pd.concat([_cf(s) for s in labels])
    panels = [(s, "Recorded rapes per 100,000 population per quarter") for s in labels]
    eff = pd.DataFrame(
        [
            {
                "series": s,
                "intervention": i,
                "horizon": h,
                "effect_pct": e,
                "ci_low_pct": e - 20,
                "ci_high_pct": e + 25,
                "ci_method": "bootstrap" if "OLS" in s else "wald",
            }
            for s in ("Recorded rape (OLS)", "Rape charges (count)")
            for i in ("RASSO 2025", "JNAP", "E2E Review")
            for h, e in ((0, 5.0), (4, 12.0), (8, 20.0))
        ]
    )
    slopes = (
        eff[eff["horizon"] == 0]
        .drop(columns=["horizon", "ci_method"])
        .assign(effect_pct=1.5, ci_low_pct=-2.0, ci_high_pct=6.0)
    )
    rng = np.random.default_rng(0)
    est = np.sort(rng.normal(-15, 10, 48))
    curve = pd.DataFrame(
        {
            "model": np.tile(
                [
                    "quasi-Poisson, AR errors",
                    "quasi-Poisson, Newey-West",
                    "OLS, AR errors",
                    "OLS, Newey-West",
                ],
                12,
            ),
            "seasonality": np.repeat(["none", "quarter", "fourier"], 16),
            "covid": np.tile(["indicator", "exclude"], 24),
            "shift": np.tile([-1, 0, 1, 0], 12),
            "ok": True,
            "estimate": est,
            "ci_low": est - rng.uniform(5, 150, 48),
            "ci_high": est + rng.uniform(5, 150, 48),
        }
    )
    curve["significant"] = (curve["ci_low"] > 0) | (curve["ci_high"] < 0)
    dist = pd.DataFrame(
        {
            "series": ["CPS rape-flagged charges (suspects)"] * 5 + ["MoJ offenders sentenced"] * 4,
            "year": [
                "2007/08",
                "2009/10",
                "2016/17",
                "2019/20",
                "2021/22",
                "2009",
                "2016",
                "2018",
                "2019",
            ],
            "pct_of_2016": [60.0, 90.0, 100.0, 50.0, 60.0, 75.0, 100.0, 68.0, 52.0],
        }
    )
    for width in ("one", "two"):
        yield (
            f"fig1 {width}",
            VI.plot_its_panels(
                cf, panels, MARKS, intervention="RASSO 2025", width=width, source=VS.SOURCE_HO
            ),
        )
        terms, effects, estimands, short = _joint()
        yield (
            f"fig2 {width}",
            VJ.plot_joint_estimates(terms, effects, estimands, width=width, labels=short),
        )
        yield (
            f"single-date effects {width}",
            VN.plot_effects(
                eff,
                horizons=(0, 8) if width == "one" else (0, 4, 8),
                width=width,
                labels={"Recorded rape (OLS)": "Recorded rape per 100k, quasi-Poisson"},
                groups={"Recorded rape (OLS)": "reporting", "Rape charges (count)": "charges"},
                slopes=slopes,
            ),
        )
        yield (
            f"ITS panel {width}",
            VI.plot_its_table(
                _cf("x").assign(covid=False),
                "Recorded rapes per 100,000 population per quarter",
                title="West Midlands: recorded rapes",
                interruptions={"joint working": "2018Q4"},
                width=width,
                source=VS.SOURCE_HO,
            ),
        )
        dates = pd.DataFrame(
            {
                "shift": [-2, -1, 0, 1, 2],
                "estimate": [5.0, -10.0, -15.0, 20.0, 1.0],
                "ci_low": [-20.0, -40.0, -35.0, -5.0, -30.0],
                "ci_high": [40.0, 30.0, 8.0, 60.0, 45.0],
                "ok": True,
                "significant": False,
            }
        )
        yield (
            f"fig4 {width}",
            VSC.plot_spec_curve(
                curve,
                width=width,
                ylabel="Level change at RASSO 2025 in charges per 100 recorded rapes (%)",
                dates=dates,
            ),
        )
        funnel = pd.DataFrame(
            [
                {
                    "fiscal_year": f"{y}/{(y + 1) % 100:02d}",
                    "step": k + 1,
                    "stage": stage,
                    "unit": unit,
                    "value": v * (1 + 0.05 * (y - 2014)),
                    "period_basis": "calendar year" if k == 5 else "financial year",
                }
                for y in range(2014, 2022)
                for k, ((stage, unit, _src), v) in enumerate(
                    zip(S.FUNNEL_STAGES, [50000, 4000, 2500, 3000, 2000, 900], strict=True)
                )
            ]
        )
        yield f"funnel {width}", VD.plot_funnel(funnel, width=width)
        yield f"claim7 {width}", VD.plot_distance_to_2016(dist, width=width)
        one = _cf("x").assign(covid=False)
        ctrl = pd.concat(
            [
                one.assign(force=f, quarter=one["period"], value=one["observed"] * k)
                for f, k in (("B", 0.8), ("C", 1.2), ("D", 5.0))
            ]
        )[["force", "quarter", "value"]]
        placebo = pd.DataFrame({"estimate": [-3.0, 1.0, 2.0], "observed": 0.5, "p_perm": 0.75})
        yield (
            f"area comparison {width}",
            VCI.plot_area_comparison(
                one,
                ctrl,
                placebo,
                "Recorded rapes per 100,000 population per quarter",
                "A",
                {"joint working": "2018Q4"},
                width=width,
            ),
        )
        annual = _annual_comparison()
        label = next(iter(annual.fits))
        yield f"fig3 {width}", VF.plot_annual(annual, label, "sdid", width=width)
        yield f"event study {width}", VF.plot_annual(annual, label, "event", width=width)


def _joint():
    """Small tables of the joint model: terms (levels at three dates and a slope, one series
    with no % estimates, as the OLS rate), the reforms together at 0/4/8 quarters, and the
    declared primary estimand with its MDE."""
    rows = []
    for s, pct in (("Recorded rape (count)", True), ("Rape charges (count)", True), ("OLS", False)):
        for i, (iv, kind) in enumerate(
            (
                ("RASSO 2025", "level"),
                ("JNAP", "level"),
                ("E2E Review", "level"),
                ("RASSO 2025", "slope"),
            )
        ):
            e = 0.05 * (i - 1)
            rows.append(
                {
                    "series": s,
                    "intervention": iv,
                    "kind": kind,
                    "estimate": e,
                    "ci_low": e - 0.3,
                    "ci_high": e + 0.3,
                    "mde": 0.4,
                    "estimate_pct": 100 * np.expm1(e) if pct else np.nan,
                    "ci_low_pct": 100 * np.expm1(e - 0.3) if pct else np.nan,
                    "ci_high_pct": 100 * np.expm1(e + 0.3) if pct else np.nan,
                    "mde_pct": 100 * np.expm1(0.4) if pct else np.nan,
                }
            )
    terms = pd.DataFrame(rows)
    effects = pd.DataFrame(
        [
            {
                "series": s,
                "intervention": "reforms",
                "horizon": h,
                "end": False,
                "effect_pct": 10.0 * h,
                "ci_low_pct": -30.0 - 5 * h,
                "ci_high_pct": 50.0 + 40 * h,
            }
            for s in ("Recorded rape (count)", "Rape charges (count)", "OLS")
            for h in (0, 4, 8)
        ]
    )
    estimands = pd.DataFrame(
        {
            "series": ["Rape charges (count)"],
            "intervention": ["reforms"],
            "role": ["primary"],
            "kind": ["package"],
            "horizon": [8.0],
            "mde_pct": [250.0],
        }
    )
    labels = {"Recorded rape (count)": "Recorded rape per 100k, quasi-Poisson"}
    return terms, effects, estimands, labels


def _annual_comparison():
    """A small force x financial-year table run through the annual synthetic designs."""
    from rasso_research.studies.force import compare_force_year

    rng = np.random.default_rng(2)
    years = [f"{y}/{(y + 1) % 100:02d}" for y in range(2014, 2025)]
    rows = [
        {
            "fiscal_year": fy,
            "geography": "force",
            "force": "West Midlands" if i == 0 else f"Force {i:02d}",
            "offence_group": "Sexual offences",
            "measure": "charged_closed",
            "value": 100.0,
            "per_100k": 20 + 0.5 * k + rng.normal(0, 1),
            "flag": "",
        }
        for i in range(15)
        for k, fy in enumerate(years)
    ]
    return compare_force_year(
        pd.DataFrame(rows),
        "West Midlands",
        "2019/20",
        measures=["charged_closed"],
        rates=[True],
        transition=["2018/19"],
    )


def test_paper_figure_layout():
    """Built here, not at collection, so no other test's ``plt.close("all")`` touches them."""
    problems = {}
    for name, fig in _figures():
        found = layout_problems(fig)
        if found:
            problems[name] = found
        plt.close(fig)
    assert problems == {}


_PANEL = paths.DATA_PROCESSED / "panel.parquet"


@pytest.mark.mirror
@pytest.mark.skipif(not _PANEL.exists(), reason="processed panel not built (make data)")
def test_overview_figures_layout():
    from rasso_research.data import series as S

    panel = S.load_panel()
    marks = timeline.interruptions(
        ["hmic_crime_recording", "r_v_allan", "wm_joint_working", "rasso2025", "jnap", "e2e_review"]
    )
    nat = [
        (
            "Police recorded rape",
            S.series(panel, "recorded_rape"),
            ylabel_for("recorded_rape"),
        ),
        (
            "CPS conviction rate",
            S.series(panel, "cps_sexual_offences_conviction_rate"),
            ylabel_for("cps_sexual_offences_conviction_rate"),
        ),
    ]
    figs = [
        VD.plot_series_panels(nat, interruptions=marks, covid=timeline.covid_disrupted_quarters())
    ]
    for m in (
        "recorded_rape_per_100k",
        "rape_charge_rate_cohort",
        "cps_sexual_offences_conviction_rate",
    ):
        figs.append(
            VD.plot_force_grid(
                S.area_panel(panel, m),
                ylabel_for(m),
                highlight=["West Midlands"],
                interruptions=timeline.interruptions(["wm_joint_working"]),
            )
        )
    for fig in figs:
        assert layout_problems(fig) == []
        plt.close(fig)


def test_layout_check_catches_overprinted_text_and_lost_lines():
    fig, ax = plt.subplots()
    ax.text(0.5, 0.5, "first label", transform=ax.transAxes)
    ax.text(0.5, 0.5, "second label", transform=ax.transAxes)
    ax.plot([1, 2], [1, 2], label="kept")
    ax.plot([10, 11], [10, 11], label="lost")
    ax.set_xlim(0, 3)
    ax.set_ylim(0, 3)
    problems = layout_problems(fig)
    assert any("'first label' overlaps 'second label'" in p for p in problems)
    assert any("line 'lost'" in p for p in problems) and not any("'kept'" in p for p in problems)
    plt.close(fig)


def test_layout_check_catches_text_under_seven_points_and_beyond_the_width():
    fig, ax = plt.subplots(figsize=(3.4, 2))
    ax.set_title("tiny title", fontsize=6)
    ax.set_xlabel("fine label", fontsize=7)
    ax.annotate("far out", xy=(1.2, 0.5), xycoords="axes fraction", annotation_clip=False)
    problems = layout_problems(fig)
    assert any("'tiny title' is 6 pt" in p for p in problems)
    assert not any("fine label" in p for p in problems)
    assert any("'far out' reaches beyond the figure's width" in p for p in problems)
    plt.close(fig)
