"""The national study (rasso_research.studies.national): its definitions, the CPS series'
feasibility and the typed reading of the saved results."""

from __future__ import annotations

import pandas as pd

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
