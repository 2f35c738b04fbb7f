"""The force comparison study (rasso_research.studies.force) and its view: one area against
the others on quarterly series, and one force against the others on annual offence groups."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from rasso_research import designs as D
from rasso_research.designs.synthetic import SyntheticInputError
from rasso_research.studies import force as F
from rasso_research.views import force as V


def test_compare_area_runs_every_step_and_reports_short_series(make_panel):
    p = make_panel(n=40, level=0.4, seed=5, forces=("A", "B", "C", "D", "E"))
    single = D.QUARTERLY.replace(season="quarter")
    cmp = F.compare_area(
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
        "control_pools",
    }
    assert set(t["controls"]["force"]) == {"A", "B", "C", "D", "E"}
    assert t["single"].columns[:4].tolist() == ["interruption", "family", "series", "force"]
    assert (t["counterfactual"]["force"] == "A").all()
    summ = cmp.placebo_summary().set_index("series")
    assert summ.loc["rate", "n_space"] == 4 and summ.loc["rate", "n_time"] > 0
    text = V.describe_area(cmp)
    assert "Controlled design and placebos" in text and "fewer than 20 placebos" in text
    fig = V.plot_area(cmp, "rate", ylabel="Rate per 100,000")
    assert fig.axes[0].get_title(loc="left").replace("\n", " ") == "(a) A against 4 other forces"
    assert "4 placebo" in fig.axes[1].get_title(loc="left").replace("\n", " ")
    single = V.plot_area(cmp, "rate", ylabel="Rate per 100,000", comparison=False)
    assert single.axes[0].get_title(loc="left") == "A: Rate per 100,000"
    assert "reform" in [x.get_text() for x in single.axes[0].texts]


def test_compare_area_unknown_area_is_an_error(make_panel):
    p = make_panel(n=20)
    with pytest.raises(ValueError, match="unknown area 'Atlantis'"):
        F.compare_area(p, "Atlantis", ["rate"], "2015Q1", D.QUARTERLY, D.QUARTERLY)
    with pytest.raises(ValueError, match="did you mean 'A'"):
        F.compare_area(p, "AA", ["rate"], "2015Q1", D.QUARTERLY, D.QUARTERLY)


def _force_year(effect=0.0, seed=0, n_forces=12):
    """A force_year-like table: two groups, two measures, counts and rates, one flagged value."""
    rng = np.random.default_rng(seed)
    years = [f"{y}/{(y + 1) % 100:02d}" for y in range(2014, 2024)]
    rows = []
    for i in range(n_forces):
        f = "Target" if i == 0 else f"F{i:02d}"
        pop = 1e6 * (1 + i / 4)
        base = rng.normal(50, 5)
        for k, fy in enumerate(years):
            for g in ("Sexual offences", "Theft offences"):
                for m in ("charged_closed", "charged_cohort"):
                    rate = base + 0.5 * k + rng.normal(0, 0.5)
                    if f == "Target" and g == "Sexual offences" and k >= 5:
                        rate += effect
                    flag = (
                        "cohort not fully supplied"
                        if (f == "F03" and k == 0 and m == "charged_cohort")
                        else ""
                    )
                    rows.append(
                        {
                            "fiscal_year": fy,
                            "frequency": "annual",
                            "geography": "force",
                            "force": f,
                            "offence_group": g,
                            "measure": m,
                            "value": rate * pop / 1e5,
                            "population": pop,
                            "per_100k": rate,
                            "flag": flag,
                        }
                    )
    return pd.DataFrame(rows)


def test_force_year_comparison_finds_the_target_group_only():
    fy = _force_year(effect=10.0)
    res = F.compare_force_year(
        fy, "Target", "2019/20", negative_controls=["Theft offences"], rates=[True]
    )
    e = res.effects().query("method == 'sdid'").set_index("series")
    tgt = e.loc["Sexual offences: charges (closed in the year) per 100,000"]
    neg = e.loc["Theft offences: charges (closed in the year) per 100,000"]
    assert tgt["estimate"] == pytest.approx(10.0, abs=1.5) and tgt["ci_low"] > 0
    assert neg["role"] == "negative control" and neg["ci_low"] < 0 < neg["ci_high"]
    cohort = e.loc["Sexual offences: charges (offences recorded in the year) per 100,000"]
    assert cohort["dropped_donors"] == "F03" and cohort["n_donors"] == 10  # flagged year
    assert "negative-control" in V.describe_annual(res)
    assert set(res.tables()) >= {"effects", "weights", "paths", "placebo", "event_study"}
    ev = res.event_effects().query(
        "series == 'Sexual offences: charges (closed in the year) per 100,000'"
    )
    assert ev.loc[ev["k"] >= 0, "estimate"].mean() == pytest.approx(10.0, abs=1.5)
    assert (ev.loc[ev["k"] >= 0, "estimate"] > ev.loc[ev["k"] >= 0, "placebo_high"]).all()
    assert "event study" in V.describe_annual(res)


def test_force_year_comparison_inputs():
    fy = _force_year()
    with pytest.raises(ValueError, match="unknown force 'Targt'.*did you mean 'Target'"):
        F.compare_force_year(fy, "Targt", "2019/20")
    with pytest.raises(ValueError, match="unknown force 'F99'"):
        F.compare_force_year(fy, "Target", "2019/20", exclude=["F99"])
    with pytest.raises(SyntheticInputError, match="2030/31.*not in the data"):
        F.compare_force_year(fy, "Target", "2030/31")
    res = F.compare_force_year(
        fy,
        "Target",
        "2019/20",
        measures=["charged_closed"],
        rates=[True],
        transition=["2018/19"],
        exclude=["F01", "F02"],
        methods=["did"],
    )
    e = res.effects().iloc[0]
    assert (e["n_pre"], e["n_post"], e["n_donors"]) == (4, 5, 9)
