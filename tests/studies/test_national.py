"""The national study (rasso_research.studies.national): its definitions, the CPS series'
feasibility and the typed reading of the saved results."""

from __future__ import annotations

import pandas as pd
import pytest

from rasso_research import paths, timeline
from rasso_research.data import series as S
from rasso_research.studies import national as N
from rasso_research.studies import national_results as NR
from rasso_research.studies.national import cps_feasibility


def test_cps_feasibility_counts_years_and_quarters():
    cps = pd.DataFrame(
        {
            "kind": "series",
            "measure": ["charges"] * 12 + ["charge_rate_pct"] * 3,
            "period_type": ["financial_year"] * 12 + ["quarter"] * 3,
            "period_end": [f"{y}/{(y + 1) % 100:02d} Q4" for y in range(2012, 2024)]
            + ["2021/22 Q1", "2021/22 Q2", "2021/22 Q4"],
            "value": 1.0,
        }
    )
    out = cps_feasibility(
        cps, "2020Q3", measures=("charges", "charge_rate_pct"), min_pre=8, min_post=3
    ).set_index("measure")
    assert out.loc["charges", ["n_pre", "n_post"]].tolist() == [8, 3]
    assert bool(out.loc["charges", "feasible"])
    assert not out.loc["charge_rate_pct", "regular"]


# ---- the study's definitions, on the processed panel ---------------------------------------
PANEL = paths.DATA_PROCESSED / "panel.parquet"
needs_panel = pytest.mark.skipif(not PANEL.exists(), reason="processed panel not built (make data)")


@pytest.fixture(scope="module")
def panel():
    return S.load_panel()


@pytest.mark.mirror
@needs_panel
@pytest.mark.parametrize("allan", N.ALLAN_CHOICES)
def test_the_study_reads_its_series_and_specs_from_the_parameters(panel, allan):
    study = N.NationalStudy(panel, start_recorded="2017Q2", start_charges="2014Q2", allan=allan)
    labels = [s.label for s in N.SERIES]
    assert list(study.series) == labels and list(study.specs) == labels
    rate = study.specs[study.label("charge_rate")]
    assert rate.rate_per == 100 and rate.family == "quasipoisson"
    assert study.specs[study.label("recorded_rate")].family == "ols"
    charges = study.series[study.label("charges")]
    allan_q = study.allan_q
    if allan == "segment":
        assert [b.name for b in rate.interruptions] == [N.ALLAN]
        assert str(charges["quarter"].min()) == "2014Q2"
    else:
        assert rate.interruptions == ()
    if allan == "start_after":
        assert charges["quarter"].min() == allan_q + 1
    assert list(study.marks())[0] == timeline.label(N.ALLAN)


@pytest.mark.mirror
@needs_panel
def test_the_charge_rate_label_follows_its_denominator(panel):
    study = N.NationalStudy(
        panel, start_recorded="2017Q2", start_charges="2014Q2", charge_rate_lag=2
    )
    label = study.label("charge_rate")
    assert label == "Rape charges per 100 recorded rapes (mean of the previous 2 quarters)"
    assert study.series[label].attrs["offset_lag"] == 2
    with pytest.raises(KeyError, match="no national series 'nope'.*charge_rate"):
        study.label("nope")
    with pytest.raises(ValueError, match="allan must be one of"):
        N.NationalStudy(panel, start_recorded="2017Q2", start_charges="2014Q2", allan="x")


def test_default_labels_are_those_the_saved_tables_carry():
    assert N.label_of("charge_rate") == (
        "Rape charges per 100 recorded rapes (mean of the previous 4 quarters)"
    )
    assert N.label_of("charge_rate_same_quarter") == "Rape charges per 100 recorded rapes"
    assert {s.group for s in N.SERIES} == {"reporting", "prosecution"}
    assert all(N.label_of(k) for k in N.FIGURE1)


# ---- the saved results, typed ----------------------------------------------------------------
def _write_results(folder):
    cf = pd.DataFrame(
        {
            "series": [s.label for s in N.SERIES],
            "intervention": "reforms",
            "period": "2020Q3",
            "observed": 1.0,
            "in_fit": True,
            "segment": "pre",
            "fitted": 1.0,
            "fitted_ci_low": 0.5,
            "fitted_ci_high": 1.5,
            "counterfactual": float("nan"),
            "counterfactual_ci_low": float("nan"),
            "counterfactual_ci_high": float("nan"),
            "covid": False,
            "ylabel": "units",
        }
    )
    keys = {"series": ["a"], "intervention": ["X"]}
    pct = {"effect_pct": [1.0], "ci_low_pct": [0.0], "ci_high_pct": [2.0]}
    curve = {"ok": [True], "estimate": [1.0], "ci_low": [0.0], "ci_high": [2.0]}
    tables = {
        "its_joint_counterfactual": cf,
        "its_national_effects": pd.DataFrame(
            {**keys, "horizon": [0], "quarter": ["2020Q3"], "end": [False], **pct}
        ),
        "its_national_diagnostics": pd.DataFrame({**keys, "ci_method": ["bootstrap"]}),
        "its_national_slopes": pd.DataFrame({**keys, "basis": ["rate ratio - 1"], **pct}),
        "its_joint_terms": pd.DataFrame(
            {
                **keys,
                "kind": ["level"],
                **{c: [0.1] for c in ("estimate", "estimate_pct", "mde", "mde_pct")},
                **{c: [0.0] for c in ("ci_low", "ci_high", "ci_low_pct", "ci_high_pct")},
            }
        ),
        "its_joint_effects": pd.DataFrame({**keys, "horizon": [8], "end": [False], **pct}),
        "its_national_estimands": pd.DataFrame(
            {**keys, "role": ["primary"], "kind": ["package"], "horizon": [8.0], "mde_pct": [50.0]}
        ),
        "spec_curve": pd.DataFrame({"spec_id": [1], "significant": [False], **curve}),
        "spec_curve_dates": pd.DataFrame({"shift": [0], "significant": [False], **curve}),
    }
    for name, df in tables.items():
        df.to_csv(folder / f"{name}.csv", index=False)


def test_load_results_checks_each_table(tmp_path):
    _write_results(tmp_path)
    res = NR.load_results(tmp_path)
    assert [label for label, _, _ in res.figure1()] == [N.label_of(k) for k in N.FIGURE1]
    assert res.effects_with_method()["ci_method"].tolist() == ["bootstrap"]
    slopes = pd.read_csv(tmp_path / "its_national_slopes.csv")
    slopes.drop(columns="basis").to_csv(tmp_path / "its_national_slopes.csv", index=False)
    with pytest.raises(
        ValueError, match=r"its_national_slopes.csv lacks the column\(s\) \['basis'\]"
    ):
        NR.load_results(tmp_path)
    slopes.assign(effect_pct="big").to_csv(tmp_path / "its_national_slopes.csv", index=False)
    with pytest.raises(ValueError, match="wrong type"):
        NR.load_results(tmp_path)
    slopes.to_csv(tmp_path / "its_national_slopes.csv", index=False)
    (tmp_path / "spec_curve.csv").unlink()
    with pytest.raises(FileNotFoundError, match="run notebook 04_sensitivity first"):
        NR.load_results(tmp_path)


@pytest.mark.mirror
@needs_panel
def test_the_study_models_covid_and_the_quarters_that_lack_a_force(panel):
    """Default: lockdown days as a covariate (no Covid-19 indicators) and one covariate shared
    by the quarters whose national charge total lacks Greater Manchester; the recorded-rape
    series have neither mark; the adult rate is a series of its own."""
    from rasso_research.designs.base import COVID_DAYS, INCOMPLETE

    study = N.NationalStudy(panel, start_recorded="2017Q2", start_charges="2014Q2")
    charges = study.label("charges")
    s, spec = study.series[charges], study.specs[charges]
    assert spec.disrupted is None and COVID_DAYS in spec.covariates
    assert INCOMPLETE in spec.covariates
    bad = S.incomplete_quarters(panel, "rape_charged_in_quarter", source=study.charges_source)
    assert bad == ["2019Q3", "2019Q4", "2020Q1"]
    marked = s.loc[s[INCOMPLETE] == 1, "quarter"].astype(str).tolist()
    assert marked == bad
    days = timeline.lockdown_days().set_index("quarter")["days"]
    got = s.set_index(s["quarter"].astype(str))[COVID_DAYS]
    assert got["2020Q2"] == days["2020Q2"] and got["2019Q4"] == 0
    rec = study.specs[study.label("recorded_count")]
    assert INCOMPLETE not in rec.covariates
    adult = study.series[study.label("charge_rate_adult")]
    assert adult.attrs["offset_measure"] == "recorded_rape_adult"
    excl = N.NationalStudy(
        panel, start_recorded="2017Q2", start_charges="2014Q2", covid="exclude"
    ).specs[charges]
    assert excl.disrupted == study.covid_quarters and COVID_DAYS not in excl.covariates
