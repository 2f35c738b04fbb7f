"""The checks of one force's annual answer (rasso_research.studies.force_checks) and their view:
the rebound placebo built from the force-year table, and the triple difference, which must
cancel a shift common to the target and control offence groups of a force."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402

from rasso_research.designs.synthetic import SyntheticInputError  # noqa: E402
from rasso_research.studies import force as F  # noqa: E402
from rasso_research.studies import force_checks as FC  # noqa: E402
from rasso_research.views import force_checks as V  # noqa: E402
from rasso_research.views import rebound as VR  # noqa: E402

GROUPS = ("Sexual offences", *FC.NEGATIVE_CONTROLS)
YEARS = [f"{y}/{(y + 1) % 100:02d}" for y in range(2014, 2025)]  # 2019/20 is the sixth


def _fy(shift=1.0, sexual=1.0, seed=0, n_forces=16, flags=(), noise=0.03):
    """A force_year-like table of four offence groups and two measures: each force's groups
    share a trend (log scale), with noise (SD ``noise`` on the log scale); from 2019/20 the force "Target" is multiplied by
    ``shift`` in every group and by ``sexual`` in sexual offences. ``flags``: (force, group,
    year) whose values the source flags as not supplied."""
    rng = np.random.default_rng(seed)
    rows = []
    for i in range(n_forces):
        f = "Target" if i == 0 else f"F{i:02d}"
        pop = 1e6 * (1 + i / 5)
        trend = rng.normal(0, 0.04)
        for g in GROUPS:
            base = rng.uniform(20, 200)
            for k, year in enumerate(YEARS):
                for m in ("charged_closed", "charged_cohort"):
                    rate = base * np.exp(trend * k + rng.normal(0, noise))
                    if f == "Target" and k >= 5:
                        rate *= shift * (sexual if g == "Sexual offences" else 1.0)
                    flag = "not supplied by the force" if (f, g, year) in flags else ""
                    rows.append(
                        {
                            "fiscal_year": year,
                            "frequency": "annual",
                            "geography": "force",
                            "force": f,
                            "offence_group": g,
                            "measure": m,
                            "value": np.nan if flag else rate * pop / 1e5,
                            "population": pop,
                            "per_100k": np.nan if flag else rate,
                            "flag": flag,
                        }
                    )
    return pd.DataFrame(rows)


# ---- the triple difference ------------------------------------------------------------------
def test_a_force_wide_shift_cancels_and_a_sexual_offence_one_does_not():
    fy, base = _fy(shift=0.6), _fy()
    # on sexual offences alone the force-wide fall is an "effect"
    alone = F.compare_force_year(fy, "Target", "2019/20", measures=["charged_closed"], rates=[True])
    a = alone.effects().query("method == 'sdid'").iloc[0]
    assert a["ci_high"] < 0
    # against the force's own control groups it cancels: the same numbers as with no shift
    td = FC.triple_difference(fy, "Target", "2019/20", measures=["charged_closed"])
    e = td.effects().set_index("method")
    assert list(e.index) == ["sdid", "sc", "did"]
    none = FC.triple_difference(base, "Target", "2019/20", measures=["charged_closed"])
    cols = ["estimate", "se", "placebo_p", "mde"]
    np.testing.assert_allclose(e[cols], none.effects().set_index("method")[cols], atol=1e-9)
    assert e["estimate"].abs().max() < 0.1  # noise only, against log 0.6 = -0.51
    # a fall in sexual offences only is found, in log points
    only = FC.triple_difference(_fy(sexual=0.6), "Target", "2019/20", measures=["charged_closed"])
    s = only.effects().set_index("method").loc["sdid"]
    assert s["estimate"] == pytest.approx(np.log(0.6), abs=0.06) and s["ci_high"] < 0
    assert list(td.effects().columns[:6]) == [
        "series",
        "measure",
        "target",
        "controls",
        "dropped_donors",
        "dropped_why",
    ]


def test_the_differenced_series_is_the_log_rate_difference_and_population_cancels():
    fy = _fy()
    w = FC.control_weights(FC.NEGATIVE_CONTROLS, fy["offence_group"].unique(), "Sexual offences")
    s, comp, miss = FC.differenced_series(fy, "charged_closed", "Sexual offences", w)
    assert miss.empty and len(s) == 16 * len(YEARS)
    r = fy[fy["measure"] == "charged_closed"].pivot_table(
        index=["force", "fiscal_year"], columns="offence_group", values="per_100k"
    )
    want = np.log(r["Sexual offences"]) - np.log(r[list(FC.NEGATIVE_CONTROLS)]).mean(axis=1)
    got = s.set_index(["force", "fiscal_year"])["value"]
    np.testing.assert_allclose(got.loc[want.index], want, rtol=1e-12)
    assert set(comp["offence_group"]) == set(GROUPS)
    # a declared basket weights the logs
    w2 = FC.control_weights({"Theft offences": 0.25, "Drug offences": 0.75}, GROUPS, "x")
    s2, _, _ = FC.differenced_series(fy, "charged_closed", "Sexual offences", w2)
    want2 = (
        np.log(r["Sexual offences"])
        - 0.25 * np.log(r["Theft offences"])
        - 0.75 * np.log(r["Drug offences"])
    )
    np.testing.assert_allclose(
        s2.set_index(["force", "fiscal_year"])["value"].loc[want2.index], want2
    )


def test_a_missing_control_year_drops_the_donor_and_is_reported():
    fy = _fy(flags=[("F03", "Drug offences", "2016/17")])
    td = FC.triple_difference(fy, "Target", "2019/20", measures=["charged_closed"], methods=["did"])
    info = td.info.iloc[0]
    assert info["dropped_donors"] == "F03"
    assert info["dropped_why"] == "F03: 2016/17: Drug offences (not supplied by the force)"
    assert td.effects()["n_donors"].iloc[0] == 14
    m = td.missing
    assert m[["force", "fiscal_year", "offence_group"]].values.tolist() == [
        ["F03", "2016/17", "Drug offences"]
    ]
    text = V.describe_triple(td)
    assert "Left out of the donors of" in text and "1 force(s): F03: 2016/17: Drug offences" in text
    # a flagged year left out as part-exposed costs nothing
    td2 = FC.triple_difference(
        fy,
        "Target",
        "2019/20",
        measures=["charged_closed"],
        methods=["did"],
        transition=["2016/17"],
    )
    assert td2.info["dropped_donors"].iloc[0] == "" and td2.missing.empty


def test_a_missing_year_of_the_treated_force_is_an_error_naming_it():
    fy = _fy(flags=[("Target", "Theft offences", "2020/21")])
    with pytest.raises(SyntheticInputError, match=r"Target: .* missing in 2020/21: Theft offences"):
        FC.triple_difference(fy, "Target", "2019/20", measures=["charged_closed"])
    # without that group it runs
    ok = FC.triple_difference(
        fy, "Target", "2019/20", controls=["Drug offences"], measures=["charged_closed"]
    )
    assert ok.effects()["controls"].iloc[0] == "the log charges of Drug offences"


@pytest.mark.parametrize(
    "controls,match",
    [
        ([], "non-empty list"),
        ("Theft offences", "non-empty list"),
        (["Burglary"], "unknown offence group 'Burglary'"),
        (["Sexual offences", "Theft offences"], "cannot be its own control"),
        ({"Theft offences": 0.5, "Drug offences": 0.4}, "the weights sum to 0.9"),
        ({"Theft offences": 1.5, "Drug offences": -0.5}, "every weight must be positive"),
    ],
)
def test_bad_controls_are_refused_by_name(controls, match):
    with pytest.raises(ValueError, match=match):
        FC.triple_difference(_fy(), "Target", "2019/20", controls=controls)


def test_bad_forces_and_years_are_refused_by_name():
    fy = _fy()
    with pytest.raises(ValueError, match="unknown force 'Targt'.*did you mean 'Target'"):
        FC.triple_difference(fy, "Targt", "2019/20")
    with pytest.raises(ValueError, match="unknown force 'F99'"):
        FC.rebound_check(fy, "Target", "2019/20", donors=["F01", "F99"])
    with pytest.raises(SyntheticInputError, match="first_year '2030/31' not in the data"):
        FC.rebound_check(fy, "Target", "2030/31")


def test_triple_tables_view_and_figure():
    td = FC.triple_difference(
        _fy(sexual=0.6), "Target", "2019/20", exclude=["F01"], transition=["2018/19"]
    )
    t = td.tables()
    assert set(t) >= {"effects", "weights", "paths", "placebo", "event_study", "components"}
    e = td.effects()
    assert len(e) == 6 and (e["n_donors"] == 14).all() and (e["n_pre"] == 4).all()
    text = V.describe_triple(td)
    assert "(triple difference)" in text and "a force-wide shift" in text
    assert "Of 6 estimates, 6 have a 95% CI excluding zero" in text
    assert "-4" in text  # the sexual-offence fall of 40%, as a % of the ratio
    label = e["series"].iloc[0]
    for method in ("sdid", "event"):
        fig = V.plot_triple(td, label, method)
        assert fig.axes
        matplotlib.pyplot.close(fig)


# ---- the rebound placebo ---------------------------------------------------------------------
def _trough_fy(noise=0.03):
    """Target dips in 2018/19 (x0.6) and recovers in 2019/20 in sexual offences."""
    fy = _fy(noise=noise)
    sel = (
        (fy["force"] == "Target")
        & (fy["offence_group"] == "Sexual offences")
        & (fy["fiscal_year"] == "2018/19")
    )
    return fy.assign(
        value=np.where(sel, 0.6 * fy["value"], fy["value"]),
        per_100k=np.where(sel, 0.6 * fy["per_100k"], fy["per_100k"]),
    )


def test_rebound_check_builds_the_series_and_uses_the_donor_pool():
    fy = _trough_fy()
    res = FC.rebound_check(fy, "Target", "2019/20", min_donor_years=1)
    e = res.effects().iloc[0]
    assert e["trough"] == "2018/19" and e["next_period"] == "2019/20"
    assert e["series"] == "Sexual offences: charges (closed in the year) per 100,000"
    assert e["deviation_pct"] < -30 and e["rebound_pct"] > 40
    # 15 donors x 7 years with three before and one after
    assert e["n_donor_years"] == 15 * 7
    # noise of 3% makes no donor year as far below trend: too few for a rate
    assert e["n_qualifying"] == 0 and not e["enough"]
    assert "too few" in VR.describe(res)
    few = FC.rebound_check(fy, "Target", "2019/20", donors=["F01", "F02"], exclude=["F02"])
    assert few.effects()["n_donor_years"].iloc[0] == 7
    assert set(few.table()["unit"]) == {"F01", "Target"}
    counts = FC.rebound_check(fy, "Target", "2019/20", rate=False, trend_years=4)
    assert counts.effects()["series"].iloc[0] == "Sexual offences: charges (closed in the year)"
    assert counts.effects()["n_donor_years"].iloc[0] == 15 * 6


def test_rebound_check_counts_donor_troughs_that_rebound():
    """Donors F01-F10 dip in 2017/18 (x0.5) deeper than the target (x0.6) and all rebound
    more: the placebo rate is 1. (Their dip is shallow enough that the line through it does not
    put 2020/21 as far below trend: two thirds of log 0.5 is above log 0.6.)"""
    fy = _trough_fy(noise=0.005)
    dip = fy["force"].isin([f"F{i:02d}" for i in range(1, 11)]) & (
        fy["offence_group"] == "Sexual offences"
    )
    sel = dip & (fy["fiscal_year"] == "2017/18")
    fy = fy.assign(
        value=np.where(sel, 0.5 * fy["value"], fy["value"]),
        per_100k=np.where(sel, 0.5 * fy["per_100k"], fy["per_100k"]),
    )
    e = FC.rebound_check(fy, "Target", "2019/20").effects().iloc[0]
    assert e["n_qualifying"] == 10 and e["n_at_least"] == 10 and e["placebo_rate"] == 1.0
    flagged = fy.assign(
        flag=np.where(
            (fy["force"] == "F01") & (fy["fiscal_year"] == "2018/19"), "not supplied", fy["flag"]
        )
    )
    e2 = FC.rebound_check(flagged, "Target", "2019/20", min_donor_years=5).effects().iloc[0]
    assert e2["n_qualifying"] == 9  # F01's 2017/18 rebound reaches a flagged year


@pytest.mark.mirror
def test_west_midlands_on_the_processed_data():
    """The referee's figures: West Midlands' sexual-offence charges (closed) per 100,000 fell to
    13.1 in 2018/19 (381 charges) and rose 35% to 2019/20 (514)."""
    from rasso_research import paths
    from rasso_research.data.series import load_force_year

    if not (paths.DATA_PROCESSED / "force_year.parquet").exists():
        pytest.skip("data/processed/force_year.parquet not built")
    fy = load_force_year()
    exclude = ["City of London", "Staffordshire", "Warwickshire", "West Mercia"]
    e = FC.rebound_check(fy, "West Midlands", "2019/20", exclude=exclude).effects().iloc[0]
    assert e["value"] == pytest.approx(13.06, abs=0.01)
    assert e["rebound_pct"] == pytest.approx(100 * (514 / 381 * 2916500 / 2921091 - 1), abs=0.1)
    assert e["enough"] and 0 <= e["placebo_rate"] <= 1
