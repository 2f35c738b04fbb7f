"""The national answer's checks (rasso_research.studies.national_checks) on the processed
panel: the comparison series are what they say, the controlled frame gives each unit its own
covariates, the surge and the Review's ambition are computed from the panel."""

from __future__ import annotations

import numpy as np
import pytest

from rasso_research import paths
from rasso_research.data import series as S
from rasso_research.designs.base import COVID_DAYS, INCOMPLETE
from rasso_research.studies import national_checks as C
from rasso_research.studies.national import NationalStudy

PANEL = paths.DATA_PROCESSED / "panel.parquet"
pytestmark = [
    pytest.mark.mirror,
    pytest.mark.skipif(not PANEL.exists(), reason="processed panel not built (make data)"),
]


@pytest.fixture(scope="module")
def study():
    return NationalStudy(S.load_panel(), start_recorded="2017Q2", start_charges="2014Q2")


def test_the_share_is_rape_charges_per_1000_charges(study):
    series, specs = C.comparison_series(study)
    share = series[C.SHARE].set_index("quarter")
    rape = S.series(study.panel, "rape_charged_in_quarter", source=study.charges_source)
    every = S.series(study.panel, "all_charged_in_quarter")
    q = share.index[10]
    r = rape.set_index("quarter").loc[q, "value"]
    a = every.set_index("quarter").loc[q, "value"]
    assert share.loc[q, "value"] == r and share.loc[q, "offset"] == a
    assert specs[C.SHARE].rate_per == 1000
    # both totals lack Greater Manchester in the same quarters: both carry the mark
    assert INCOMPLETE in specs[C.SHARE].covariates and INCOMPLETE in specs[C.ALL_CHARGES].covariates


def test_the_controlled_frame_gives_each_unit_its_own_covariates(study):
    cp = C.controlled_frame(study)
    assert set(cp["force"]) == {C.RAPE, C.ALL} and cp.attrs["force"] == C.RAPE
    assert cp.groupby("force")["quarter"].apply(list).pipe(lambda g: g.iloc[0] == g.iloc[1])
    for col in cp.attrs["covariates"]:
        k = int(col.rsplit("_", 1)[1])
        other = cp["force"] != (C.RAPE, C.ALL)[k]
        assert (cp.loc[other, col] == 0).all() and cp[col].any()
    assert {f"{COVID_DAYS}_0", f"{COVID_DAYS}_1"} <= set(cp.attrs["covariates"])


def test_the_surge_and_the_ambition_come_from_the_panel(study):
    s = S.series(study.panel, "recorded_rape").set_index("quarter")["value"]
    surge = C.recorded_surge(study.panel, "2021Q2")
    q = s.index[s.index.astype(str) == "2021Q2"][0]
    assert surge["pct"] == pytest.approx(100 * (s[q] / s[q - 1] - 1))
    changes = s.pct_change()[s.index < q]
    assert surge["larger_before"] == int((changes > s[q] / s[q - 1] - 1).sum())
    amb = C.review_ambition(study.panel, source=study.charges_source)
    a = S.series(study.panel, "rape_charged_in_quarter_adult", source=study.charges_source)
    a = a.set_index(a["quarter"].astype(str))["value"]
    fy = lambda y: a[[f"{y}Q2", f"{y}Q3", f"{y}Q4", f"{y + 1}Q1"]].sum()  # noqa: E731
    assert amb["pct"] == pytest.approx(100 * (fy(2016) / fy(2018) - 1))
    assert C.review_ambition(study.panel, target="2009/10") is None


def test_the_lag_table_holds_every_lag_and_kind(study):
    lags = C.fit_denominator_lags(study, lags=(0, 8), keys=("charge_rate",), horizons=(0, 8))
    assert set(lags["lag"]) == {0, 8} and set(lags["kind"]) >= {"level", "slope", "package"}
    pk = lags[lags["kind"] == "package"]
    assert set(pk["horizon"]) == {0, 8} and np.isfinite(pk["p_value"]).all()
