"""The controlled ITS design and the one-area comparison (rasso_research.designs.controlled_its)."""

from __future__ import annotations

import numpy as np
import pytest

from rasso_research import designs as D
from rasso_research.constants import NATIONAL
from rasso_research.data import series as S


def test_controlled_its_and_placebo(make_panel):
    p = make_panel(n=40, level=0.4, seed=5, forces=("A", "B", "C", "D", "E"))
    cp = S.control_panel(p, "rate", "A", start="2014Q1")
    assert set(cp["force"]) == {"A", "B", "C", "D", "E"} and NATIONAL not in set(cp["force"])
    res = D.fit_controlled(cp, D.at(D.QUARTERLY, "2020Q3"))
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
    assert "level change relative to the controls" in res.describe()


def test_compare_area_runs_every_step_and_reports_short_series(make_panel):
    p = make_panel(n=40, level=0.4, seed=5, forces=("A", "B", "C", "D", "E"))
    single = D.QUARTERLY.replace(season="quarter")
    cmp = D.compare_area(
        p,
        "A",
        ["rate", "count", "missing"],
        "2019Q3",
        single,
        D.QUARTERLY,
        start="2014Q1",
        min_pre=8,
        min_post=4,
        name="reform",
    )
    feas = cmp.feasibility_table.set_index("series")
    assert bool(feas.loc["rate", "feasible"]) and not feas.loc["missing", "feasible"]
    assert "unknown measure 'missing'" in feas.loc["missing", "note"]
    assert set(cmp.single) == {"rate", "count"}
    t = cmp.tables()
    assert set(t) == {
        "feasibility",
        "single",
        "controlled",
        "placebo_space",
        "placebo_time",
        "counterfactual",
        "controls",
    }
    assert set(t["controls"]["force"]) == {"A", "B", "C", "D", "E"}
    assert t["single"].columns[:4].tolist() == ["interruption", "family", "series", "force"]
    assert (t["counterfactual"]["force"] == "A").all()
    summ = cmp.placebo_summary().set_index("series")
    assert summ.loc["rate", "n_space"] == 4 and summ.loc["rate", "n_time"] > 0
    text = cmp.describe()
    assert "Controlled design and placebos" in text and "fewer than 20 placebos" in text
    fig = cmp.plot("rate", ylabel="Rate per 100,000")
    assert fig.axes[0].get_title(loc="left") == "(a) A against 4 other forces"
    assert "4 placebo" in fig.axes[1].get_title(loc="left")
    single = cmp.plot("rate", ylabel="Rate per 100,000", comparison=False)
    assert single.axes[0].get_title(loc="left") == "A: Rate per 100,000"
    assert "reform" in [x.get_text() for x in single.axes[0].texts]


def test_compare_area_unknown_area_is_an_error(make_panel):
    p = make_panel(n=20)
    with pytest.raises(ValueError, match="unknown area 'Atlantis'"):
        D.compare_area(p, "Atlantis", ["rate"], "2015Q1", D.QUARTERLY, D.QUARTERLY)
    with pytest.raises(ValueError, match="did you mean 'A'"):
        D.compare_area(p, "AA", ["rate"], "2015Q1", D.QUARTERLY, D.QUARTERLY)
