"""Minimum detectable effects (ITSResult.mde): found by simulation from the fitted residual
process, they are the effects the default test then finds about 80% of the time."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy.signal import lfilter

from rasso_research.its import Interruption, ITSSpec, fit_its

SPEC = ITSSpec("value", "quarter", [Interruption("main", "2019Q1")], freq="Q")
N = 48


def _series(rng, level=0.0):
    q = pd.period_range("2012Q1", periods=N, freq="Q")
    e = lfilter([1.0], [1.0, -0.5], rng.normal(size=N + 100))[100:]
    post = q >= pd.Period("2019Q1", "Q")
    return pd.DataFrame({"quarter": q, "value": 10 + 0.1 * np.arange(N) + level * post + e})


def test_wald_mde_is_the_textbook_formula():
    r = fit_its(_series(np.random.default_rng(1)), SPEC.replace(ci_method="wald"))
    row = r.params_table().set_index("term").loc["level_main"]
    crit = (row["ci_high"] - row["estimate"]) / row["std_error"]
    assert r.mde("level_main") == pytest.approx((crit + 0.841621) * row["std_error"], rel=1e-4)


def test_bootstrap_mde_exceeds_the_interval_half_width():
    r = fit_its(_series(np.random.default_rng(2)), SPEC)
    row = r.params_table().set_index("term").loc["level_main"]
    half = row["ci_high"] - row["estimate"]
    assert half < r.mde("level_main") < half + 2.5 * row["std_error"]
    assert r.mde("level_main", power=0.5) < r.mde("level_main", power=0.9)


@pytest.mark.slow
def test_an_effect_the_size_of_the_mde_is_found_about_80_percent_of_the_time():
    rng = np.random.default_rng(3)
    mde = np.median([fit_its(_series(rng), SPEC).mde("level_main") for _ in range(15)])
    hits = []
    for _ in range(150):
        r = fit_its(_series(rng, level=mde), SPEC)
        row = r.params_table().set_index("term").loc["level_main"]
        hits.append(row["ci_low"] > 0)
    assert 0.68 <= np.mean(hits) <= 0.92  # 0.8 +- 3.5 Monte Carlo SEs


def test_mde_for_a_shorter_post_period_keeps_the_error_model():
    """Cut short after the date, the design carries less information about the slope change,
    so its MDE grows; at the full length it is the data's own MDE (same draws)."""
    r = fit_its(_series(np.random.default_rng(3)), SPEC)
    n_post = N - 28  # 2019Q1 .. 2023Q4
    assert r.mde_post("level_main", n_post) == pytest.approx(r.mde("level_main"))
    slopes = [r.mde_post("slope_main", n) for n in (4, 8, 20)]
    assert slopes[0] > slopes[1] > slopes[2]
    assert np.isnan(r.mde_post("slope_main", 1))  # too short to estimate anything
    with pytest.raises(ValueError, match="needs the AR-errors bootstrap"):
        fit_its(_series(np.random.default_rng(3)), SPEC.replace(ci_method="wald")).mde_post(
            "level_main", 8
        )
