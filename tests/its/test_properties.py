"""Property tests (hypothesis, derandomised) of the segmented design."""

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rasso_research.its import Interruption, ITSSpec, build_design, fit_its


@st.composite
def series_and_interruption(draw):
    n = draw(st.integers(12, 60))
    phase = draw(st.integers(0, 2))
    t0 = draw(st.integers(4, n - 2 - phase))
    seed = draw(st.integers(0, 10_000))
    rng = np.random.default_rng(seed)
    y = 10 + 0.3 * np.arange(n) + rng.normal(0, 1, n)
    start = pd.Period("2000Q1", freq="Q")
    q = [str(start + i) for i in range(n)]
    return pd.DataFrame({"quarter": q, "y": y}), t0, phase


@settings(max_examples=40, deadline=None, derandomize=True)
@given(series_and_interruption())
def test_centred_level_is_jump_at_regime_start(case):
    df, t0, phase = case
    spec = ITSSpec("y", "quarter", [Interruption("x", t0, phase)], min_post=2)
    design = build_design(df, spec)
    fr = design.frame
    start = t0 + phase
    np.testing.assert_array_equal(fr["level_x"], (fr["t"] >= start).astype(float))
    np.testing.assert_array_equal(fr["slope_x"], np.where(fr["t"] >= start, fr["t"] - start, 0))
    assert (~fr["in_fit"]).sum() == phase
    res = fit_its(df, spec)
    cf = res.counterfactual().set_index("t")
    level = res.params_table().set_index("term").loc["level_x", "estimate"]
    assert level == pytest.approx(
        cf.loc[start, "fitted"] - cf.loc[start, "counterfactual"], rel=1e-8, abs=1e-10
    )
