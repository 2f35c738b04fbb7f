"""The annual force-year sentences (views.force.describe_force_year): rates apart from counts,
k of n from the rows listed above them, a changed row changes the sentence."""

from __future__ import annotations

import pandas as pd

from rasso_research.views.force import describe_force_year


def _effects() -> pd.DataFrame:
    base = dict(method="sdid", n_pre=5, n_post=2, mde=10.0, placebo_p=0.4)
    rows = [
        base | dict(series="Sex per 100,000", role="target", per_100k=True, estimate=-3.0,
                    ci_low=-10.0, ci_high=4.0),
        base | dict(series="Sex (count)", role="target", per_100k=False, estimate=-190.0,
                    ci_low=-280.0, ci_high=-100.0, mde=127.0),
        base | dict(series="Theft per 100,000", role="negative control", per_100k=True,
                    estimate=-10.0, ci_low=-20.0, ci_high=-1.0, placebo_p=0.03),
        base | dict(series="Drugs per 100,000", role="negative control", per_100k=True,
                    estimate=-5.0, ci_low=-9.0, ci_high=2.0),
    ]  # fmt: skip
    return pd.DataFrame(rows)


def test_the_headline_counts_rates_and_keeps_counts_apart():
    text = describe_force_year(_effects(), "West Midlands", "2019/20")
    assert (
        "Target series per 100,000 (primary): 0 of 1 with a 95% placebo CI excluding zero" in text
    )
    assert "smallest detectable change is 10 to 10 per 100,000" in text
    assert (
        "Target series as counts (secondary): 1 of 1 with a 95% placebo CI excluding zero" in text
    )
    assert (
        "Of the negative-control series: 1 of 2 with a 95% placebo CI excluding zero, 1 with placebo"
        in text
    )
    assert "force-wide" not in text  # the rate target did not move


def test_a_changed_row_changes_the_sentence():
    eff = _effects()
    eff.loc[0, ["ci_low", "ci_high", "placebo_p"]] = [-9.0, -1.0, 0.02]
    text = describe_force_year(eff, "West Midlands", "2019/20")
    assert (
        "(primary): 1 of 1 with a 95% placebo CI excluding zero, 1 with placebo p <= 0.05" in text
    )
    assert "Sex per 100,000, below its synthetic counterpart" in text
    assert "force-wide change" in text  # a control moved too
