"""Tests of the specification curve on a small synthetic series."""

from __future__ import annotations

import numpy as np
import pandas as pd

from rasso_research import designs as D
from rasso_research.designs import spec_curve as S
from rasso_research.its import Interruption
from rasso_research.plots import ONE_COLUMN, TWO_COLUMN, plot_spec_curve


def _series(n=36, level=-0.25, seed=2):
    rng = np.random.default_rng(seed)
    q = pd.period_range("2014Q2", periods=n, freq="Q")
    off = np.full(n, 10000.0)
    mu = off * 0.05 * np.exp(0.01 * np.arange(n) + level * (q >= pd.Period("2020Q3", "Q")))
    return pd.DataFrame(
        {
            "quarter": q,
            "t": np.arange(1, n + 1),
            "value": rng.poisson(mu).astype(float),
            "offset": off,
            "log_offset": np.log(off),
        }
    )


SMALL = {
    "model": ["quasi-Poisson, AR errors", "OLS, Newey-West"],
    "seasonality": ["none", "quarter"],
    "covid": ["indicator"],
    "shift": [0, 1],
    "phase_in": [0],
}


def test_spec_grid_order_and_size():
    g = S.spec_grid(SMALL)
    assert len(g) == 8 and g["spec_id"].tolist() == list(range(1, 9))
    assert g.iloc[0]["model"] == "quasi-Poisson, AR errors" and g.iloc[-1]["shift"] == 1
    assert len(S.spec_grid()) == 4 * 3 * 1 * 2 * 3 * 2


def test_curve_deterministic_and_recovers_effect():
    s = _series()
    base = D.at(D.QUARTERLY.replace(disrupted=D.covid_disrupted("indicator", ["2020Q2"])), "2020Q3")
    c1 = S.specification_curve(s, base, grid=SMALL, n_jobs=1).curve
    c2 = S.specification_curve(s, base, grid=SMALL, n_jobs=2).curve
    pd.testing.assert_frame_equal(c1, c2)
    assert c1["ok"].all()
    # each row records how its interval was computed (AR errors: bootstrap)
    methods = dict(zip(c1["model"], c1["ci_method"], strict=False))
    assert methods["quasi-Poisson, AR errors"] == "bootstrap"
    assert methods["OLS, Newey-West"] == "wald"
    main = c1[(c1["shift"] == 0)]
    assert ((main["estimate"] > -35) & (main["estimate"] < -12)).all()  # true -22%
    summ = S.summarise_curve(c1)
    assert summ.loc[0, "specs"] == 8 and summ.loc[0, "share_negative"] == 1.0


def test_documented_break_only_before_start():
    base = D.at(D.QUARTERLY.replace(disrupted=D.covid_disrupted("indicator", ["2020Q2"])), "2020Q3")
    allan = Interruption("allan", "2018Q1")
    row = {"model": "quasi-Poisson, AR errors", "seasonality": "none", "covid": "indicator"}
    early = S.spec_for({**row, "start": "2014Q2", "shift": 0, "phase_in": 0}, base, [allan])
    late = S.spec_for({**row, "start": "2018Q2", "shift": -1, "phase_in": 1}, base, [allan])
    assert [i.name for i in early.interruptions] == ["allan", "main"]
    assert [i.name for i in late.interruptions] == ["main"]
    main = late.interruptions[0]
    assert main.at == "2020Q2" and main.phase_in == 1
    ex = S.spec_for({**row, "covid": "exclude", "start": "2014Q2", "shift": 0, "phase_in": 0}, base)
    assert ex.disrupted == ["2020Q2"] and early.disrupted == {"covid": ["2020Q2"]}
    ols = S.spec_for(
        {**row, "model": "OLS, Newey-West", "start": "2014Q2", "shift": 0, "phase_in": 0}, base
    )
    assert ols.family == "ols" and ols.cov_type == "HAC"


def test_failed_specs_are_reported_not_raised():
    s = _series(n=26)  # ends 2020Q3: no post period
    base = D.at(D.QUARTERLY, "2020Q3")
    c = S.specification_curve(s, base, grid={**SMALL, "shift": [0]}, n_jobs=1).curve
    assert not c["ok"].any() and c["error"].str.len().gt(0).all()


def test_plot_curve_runs():
    s = _series()
    c = S.specification_curve(s, D.at(D.QUARTERLY, "2020Q3"), grid=SMALL, n_jobs=1)
    fig = c.plot(title="t")
    assert len(fig.axes) == 2 and fig.get_size_inches()[0] == TWO_COLUMN
    assert plot_spec_curve(c.curve, width="one").get_size_inches()[0] == ONE_COLUMN
    assert "specifications fitted" in c.describe() and c.table().loc[0, "specs"] == 8
