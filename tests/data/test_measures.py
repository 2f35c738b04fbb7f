"""The measures table: every label has units, and an unknown measure is an error naming the table."""

import pandas as pd
import pytest

from rasso_research import paths
from rasso_research.data.measures import MEASURES, ylabel_for


def test_ylabel_for_has_units_and_refuses_unknown_series():
    assert ylabel_for("recorded_rape_per_100k").startswith("Recorded rapes per 100,000")
    assert "per quarter" in ylabel_for("rape_charged_in_quarter")
    assert ylabel_for("recorded_rape", "population", 1e5) == (
        "Recorded rapes per 100,000 population per quarter"
    )
    assert ylabel_for("rape_charged_in_quarter", "recorded_rape", 100) == (
        "Rape charges per 100 recorded rapes"
    )
    assert ylabel_for("rape_charged_in_quarter", "recorded_rape", 100, lag=4) == (
        "Rape charges per 100 recorded rapes (mean of the previous 4 quarters)"
    )
    with pytest.raises(KeyError, match="no measure 'something else' in .*measures.py"):
        ylabel_for("something else")
    with pytest.raises(KeyError, match="no measure 'something'"):
        ylabel_for("something", "population", 10)
    with pytest.raises(KeyError, match="no rate label for 'recorded_rape_per_100k'"):
        ylabel_for("recorded_rape_per_100k", "population", 10)


def test_every_measure_row_is_complete():
    for name, m in MEASURES.items():
        assert m.name == name
        assert m.label and m.unit


def test_families_and_the_all_offence_measures_have_rows():
    from rasso_research.data.measures import measure

    assert measure("recorded_rape_19C").additive and "19C" in measure("recorded_rape_19C").label
    assert measure("rape_outcomes_cohort_type_14").additive
    assert measure("all_charged_in_quarter").noun == "Charges (all offences, closed in the quarter)"
    assert not measure("rape_charge_rate_cohort").additive
    with pytest.raises(KeyError, match="MEASURES or FAMILIES"):
        measure("recorded_rape_per_head")


PANEL = paths.DATA_PROCESSED / "panel.parquet"


@pytest.mark.mirror
@pytest.mark.skipif(not PANEL.exists(), reason="processed panel not built (make data)")
def test_every_panel_measure_has_a_row():
    from rasso_research.data.measures import measure

    panel = pd.read_parquet(PANEL, columns=["measure"])
    for name in sorted(panel["measure"].unique()):
        measure(name)  # raises, naming the table, for a measure without a row
