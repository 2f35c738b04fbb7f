"""The controlled ITS design (rasso_research.designs.controlled_its) and its view."""

from __future__ import annotations

import numpy as np

from rasso_research import designs as D
from rasso_research.constants import NATIONAL
from rasso_research.data import series as S
from rasso_research.designs import controlled_its as C
from rasso_research.views import controlled_its as V


def test_controlled_its_and_placebo(make_panel):
    p = make_panel(n=40, level=0.4, seed=5, forces=("A", "B", "C", "D", "E"))
    cp = S.control_panel(p, "rate", "A", start="2014Q1")
    assert set(cp["force"]) == {"A", "B", "C", "D", "E"} and NATIONAL not in set(cp["force"])
    res = C.fit_controlled(cp, D.at(D.QUARTERLY, "2020Q3"))
    tab = res.table().set_index("term")
    assert tab.loc["treated_level_main", "estimate"] > 0
    assert tab["n_controls"].tolist() == [4, 4]
    # minimum detectable effect: the interval's half-width plus z_0.80 standard errors
    se = res.result.params_table().set_index("term").loc[tab.index, "std_error"]
    half = tab["ci_high"] - tab["estimate"]
    np.testing.assert_allclose(tab["mde"], half + 0.841621 * se)
    assert (tab["mde"] > half).all()
    pl = res.placebo_space()
    assert len(pl.table) == 4 and 0 < pl.p_value <= 1
    assert "level change relative to the controls" in V.describe(res)
