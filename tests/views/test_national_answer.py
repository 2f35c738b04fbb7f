"""The national answer's sentences (rasso_research.views.national_answer) follow their tables:
counts are computed from the rows, the MDE is compared with the estimate, and the conclusion
carries every paragraph."""

from __future__ import annotations

import numpy as np
import pandas as pd

from rasso_research.studies.estimands import Estimand
from rasso_research.views import national_answer as VA

PRIMARY = Estimand("p", "primary", "adult", "package", (8,), "2026-12-03", "The package.")


def _ev(p_secondary, effect=20.0, mde=60.0):
    n = len(p_secondary)
    prim = {
        "role": "primary",
        "id": "p",
        "series": "Adult",
        "intervention": "reforms",
        "kind": "package",
        "horizon": 8.0,
        "effect_pct": effect,
        "ci_low_pct": -10.0,
        "ci_high_pct": 60.0,
        "p_value": 0.2,
        "p_holm": 0.2,
        "family_size": 1,
        "mde_pct": mde,
    }
    sec = pd.DataFrame(
        {
            "role": "secondary",
            "id": "t",
            "series": [f"s{i}" for i in range(n)],
            "intervention": "JNAP",
            "kind": "level",
            "horizon": np.nan,
            "effect_pct": 1.0,
            "ci_low_pct": -1.0,
            "ci_high_pct": 2.0,
            "p_value": p_secondary,
            "p_holm": np.minimum(1, np.asarray(p_secondary) * n),
            "family_size": n,
            "mde_pct": np.nan,
        }
    )
    return pd.concat([pd.DataFrame([prim]), sec], ignore_index=True)


def test_the_secondary_family_is_counted_from_its_rows():
    text = VA.describe_secondary(_ev([0.001, 0.03, 0.5, 0.9]))
    assert "4 tests" in text and "2 have p < 0.05" in text
    assert "chance alone gives about 0.2" in text and "1 remain below 0.05" in text


def test_the_primary_reads_its_mde_against_its_estimate():
    small = VA.describe_primary(_ev([0.5]), PRIMARY)
    assert "about 60% or more" in small and "too little data to tell" in small
    big = VA.describe_primary(_ev([0.5], effect=80.0), PRIMARY)
    assert "at least that large" in big


def test_the_surge_names_the_reform_whose_denominator_it_enters():
    surge = {
        "quarter": "2021Q2",
        "before": 100.0,
        "value": 117.0,
        "pct": 17.0,
        "larger_before": 0,
        "first": "2012Q2",
    }
    text = VA.describe_surge(surge, 4, {"JNAP": "2021Q1", "Review": "2021Q3"})
    assert "2021Q3 to 2022Q2" in text and "first quarter of Review" in text
    assert "JNAP" not in text and "largest quarter-on-quarter rise" in text
    assert "same-quarter denominator" in VA.describe_surge(surge, 0, {"Review": "2021Q3"})


def test_the_conclusion_has_every_paragraph():
    ev = _ev([0.5, 0.01])
    cmp = pd.DataFrame(
        {
            "series": ["Rape charges per 1,000 charges (all offences)"],
            "horizon": [8],
            "effect_pct": [5.0],
            "ci_low_pct": [-3.0],
            "ci_high_pct": [15.0],
        }
    )
    lags = pd.DataFrame(
        {
            "series": "Adult",
            "kind": "package",
            "horizon": 8,
            "lag": [0, 8],
            "effect_pct": [10.0, 30.0],
            "ci_low_pct": [-5.0, 1.0],
            "ci_high_pct": [20.0, 50.0],
        }
    )
    covid = lags.drop(columns="lag").assign(covid=["days", "exclude"])
    ident = pd.DataFrame(
        {
            "series": ["Adult", "Adult"],
            "intervention": ["A", "B"],
            "verdict": ["not separable", "separable"],
        }
    )
    text = VA.describe_conclusion(
        PRIMARY, ev, cmp, lags, covid, ident, ["2019Q3"], {"what": "back to 2016", "pct": 86.0}
    )
    for head in (
        "What was asked",
        "The answer",
        "Against all charging",
        "Sensitivities",
        "What the data cannot show",
    ):
        assert f"**{head}.**" in text
    assert "from +10% to +30% (1 of 2 exclude zero)" in text
    assert "would usually detect" in text and "not distinguishable from zero" in text
    assert "A's terms not separable in 1 of 1 series" in text and "2019Q3" in text
