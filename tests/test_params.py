"""The notebook parameter check (rasso_research.params)."""

from __future__ import annotations

import pytest

from rasso_research.params import ParameterError, check_params


@pytest.fixture
def panel(make_panel):
    return make_panel(n=40)  # 2012Q2 .. 2022Q1, forces A, B, C


def test_valid_parameters_pass(panel):
    check_params(
        panel,
        force="A",
        series=["count"],
        interruption="2018Q4",
        interventions=["rasso2025"],
        family="quasipoisson",
        season=["fourier", 1, 4],
        covid="exclude",
    )


def test_every_problem_is_listed_with_what_is_accepted(panel):
    with pytest.raises(ParameterError) as ei:
        check_params(
            panel,
            force="AA",
            series=["cuont"],
            interventions=["rasso2052"],
            family="ols_hac",
            covid="drop",
            interruption="2019-13",
        )
    msg = str(ei.value)
    assert "force='AA' is not a force of the panel; did you mean 'A'" in msg
    assert "series 'cuont' is not in the panel; did you mean 'count'" in msg
    assert (
        "intervention 'rasso2052' is not in config/interventions.csv; did you mean 'rasso2025'"
        in msg
    )
    assert "family='ols_hac': use one of ols, ols_log" in msg and "covid='drop'" in msg
    assert "interruption='2019-13' is not a quarter" in msg


def test_interruption_outside_the_data_names_the_range(panel):
    with pytest.raises(ParameterError, match="outside the data: count for A cover 2012Q2-2022Q1"):
        check_params(panel, force="A", series=["count"], interruption="2030Q1")
    with pytest.raises(ParameterError, match="cover 2014Q1-2016Q4"):
        check_params(panel, series=["count"], interruption="2018Q1", start="2014Q1", end="2016Q4")
    with pytest.raises(ParameterError, match="not a quarter"):
        check_params(panel, start="2019")
