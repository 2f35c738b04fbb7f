"""Operation Soteria study (studies/soteria.py): the cohorts table's checks, the parameter
errors (one line naming the parameter and the fix), the annual series' dropped values and
the quarterly path on a small synthetic panel holding the official releases' rows."""

import numpy as np
import pandas as pd
import pytest

from rasso_research import paths
from rasso_research.data import catalog
from rasso_research.data import series as S
from rasso_research.data.forces import FORCES
from rasso_research.studies import soteria as T


@pytest.fixture(scope="module")
def cohorts():
    return T.load_cohorts()


def _write(tmp_path, df):
    p = tmp_path / "soteria_cohorts.csv"
    df.to_csv(p, index=False)
    return p


def test_the_cohorts_table_is_complete_and_sourced(cohorts):
    assert sorted(cohorts["force"]) == sorted(FORCES)
    known = cohorts[cohorts["cohort"] != T.UNKNOWN]
    assert known["date"].notna().all() and (known["source_url"].str.startswith("https://")).all()
    assert set(cohorts["cohort"]) == {"soteria_pathfinders", "soteria_expansion", T.UNKNOWN}
    assert (cohorts["cohort"] == "soteria_pathfinders").sum() == 5
    tab = T.cohort_table(cohorts)
    assert tab.set_index("cohort").loc["soteria_pathfinders", "first_period"] == "2021/22"


def test_an_unknown_force_is_refused_with_did_you_mean(tmp_path):
    raw = pd.read_csv(paths.CONFIG / "soteria_cohorts.csv", dtype=str, keep_default_na=False)
    raw.loc[0, "force"] = "Avon & Somerset"
    with pytest.raises(T.CohortError, match="did you mean 'Avon and Somerset'"):
        T.load_cohorts(_write(tmp_path, raw))
    raw = pd.read_csv(paths.CONFIG / "soteria_cohorts.csv", dtype=str, keep_default_na=False)
    raw.loc[0, "cohort"] = "soteria_pathfinder"
    with pytest.raises(T.CohortError, match="did you mean 'soteria_pathfinders'"):
        T.load_cohorts(_write(tmp_path, raw))


def test_a_date_outside_the_data_is_an_error(cohorts):
    bad = cohorts.copy()
    bad.loc[0, "date"] = pd.Timestamp("2031-01-01")
    with pytest.raises(T.CohortError, match="after the last day"):
        T.check_dates(bad, pd.Timestamp("2014-04-01"), pd.Timestamp("2025-03-31"))


def test_parameter_errors_name_the_parameter(cohorts):
    fy = S.load_force_year() if (paths.DATA_PROCESSED / "force_year.parquet").exists() else None
    if fy is None:
        pytest.skip("no processed force_year table")
    kw = dict(
        series=["sexual_closed"],
        unknown="exclude",
        window=["2014/15", "2024/25"],
        exclude=[],
        cohorts=cohorts,
    )
    with pytest.raises(
        T.SoteriaParameterError, match="unknown='nom_polce'.*did you mean 'nom_police'"
    ):
        T.check_params(fy, None, **kw | {"unknown": "nom_polce"})
    with pytest.raises(
        T.SoteriaParameterError, match="exclude_forces: 'City of Londn'.*did you mean"
    ):
        T.check_params(fy, None, **kw | {"exclude": ["City of Londn"]})
    with pytest.raises(T.SoteriaParameterError, match="series 'sexual_close' .*did you mean"):
        T.check_params(fy, None, **kw | {"series": ["sexual_close"]})
    with pytest.raises(T.SoteriaParameterError, match="window last period '2030/31'"):
        T.check_params(fy, None, **kw | {"window": ["2014/15", "2030/31"]})
    with pytest.raises(T.SoteriaParameterError, match="official outcomes releases"):
        T.check_params(fy, None, **kw | {"series": ["rape_adult_charges_q"]})
    with pytest.raises(T.SoteriaParameterError, match="window=.*no cohort has a not-yet-treated"):
        T.fit_soteria(
            fy,
            None,
            series=["sexual_closed"],
            window=["2014/15", "2020/21"],
            reps=0,
            regression_reps=0,
            sensitivity_reps=0,
        )


def official_panel(quarters=("2018Q1", "2024Q4"), seed=0):
    """Every force's quarterly adult rape charges (source ho_official), population and
    all-offence charges, with a rise of 20% from each force's adoption quarter."""
    rng = np.random.default_rng(seed)
    cohorts = T.load_cohorts()
    dates, _ = T.cohort_dates(cohorts, "nom_police")
    q = pd.period_range(*quarters, freq="Q")
    off = catalog.label(T.OFFICIAL)
    rows = []
    for f in FORCES:
        first = T.first_period(dates[f], "quarterly")
        for qq in q:
            mu = 30 * (1.2 if qq >= first else 1.0) * np.exp(rng.normal(0, 0.05))
            base = {"quarter": str(qq), "force": f, "geography": "force"}
            rows += [
                {**base, "measure": "rape_charged_in_quarter_adult", "value": mu, "source": off},
                {**base, "measure": "population", "value": 1e6, "source": "pop"},
                {
                    **base,
                    "measure": "all_charged_in_quarter",
                    "value": 3000 * np.exp(rng.normal(0, 0.02)),
                    "source": "agg",
                },
            ]
    return pd.DataFrame(rows)


def test_quarterly_path_runs_on_the_official_rows_with_no_code_change():
    panel = official_panel()
    assert T.has_official(panel)
    st = T.fit_soteria(
        None,
        panel,
        series=["rape_adult_charges_q"],
        window=["2018Q1", "2024Q4"],
        unknown="nom_police",
        reps=49,
        regression_reps=0,
        sensitivity_reps=0,
    )
    eff = st.effects().iloc[0]
    assert eff["estimate"] == pytest.approx(0.6, abs=0.25)  # 20% of 3 per 100,000
    assert st.results["rape_adult_charges_q"].table()["cohort"].str.contains("Q").all()
    assert not st.negative_effects().empty
