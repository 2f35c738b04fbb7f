"""Event study of one treated unit (rasso_research.designs.event_study)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from rasso_research.designs import event_study as E
from rasso_research.designs.synthetic import SyntheticInputError
from rasso_research.estimators.event_study import fit_event_regression
from rasso_research.its import Interruption, ITSSpec
from rasso_research.views import event_study as V

SPEC = ITSSpec("y", "year", [Interruption("main", 2010)], group="unit", treated="T")


def _panel(effect=(0, 0, 0, 0, 0, 0), trend=0.0, seed=0, n_units=25):
    rng = np.random.default_rng(seed)
    rows = []
    for i in range(n_units):
        u = "T" if i == n_units - 1 else f"u{i:02d}"
        a = rng.normal(0, 3)
        for t in range(16):
            y = a + 0.5 * t + rng.normal(0, 0.5)
            if u == "T":
                y += trend * (t - 9) + (effect[t - 10] if t >= 10 else 0.0)
            rows.append((u, 2000 + t, y))
    return pd.DataFrame(rows, columns=["unit", "year", "y"])


def test_closed_form_is_the_fixed_effects_regression():
    es = E.fit_event_study(_panel(effect=(3, 3, 3, 3, 3, 3)), SPEC, label="y")
    p = es.panel
    res, terms = fit_event_regression(p.Y, p.units, p.times, p.T0)
    eff = es.effects().set_index("k")
    ks = [int(t[4:]) * (-1 if t.startswith("ev_m") else 1) for t in terms]
    np.testing.assert_allclose(res.params[terms].to_numpy(), eff.loc[ks, "estimate"], atol=1e-8)
    assert eff.loc[-1, "estimate"] == 0 and eff.loc[-1, "reference"]


def test_effects_outside_the_placebo_band_and_a_clean_pretrend():
    es = E.fit_event_study(_panel(effect=(4, 4, 4, 4, 4, 4)), SPEC, label="y")
    post = es.effects().query("k >= 0")
    assert (post["estimate"] > post["placebo_high"]).all()
    np.testing.assert_allclose(post["placebo_p"], 1 / 25)
    assert "6 of 6 post-period coefficients lie outside" in V.describe(es)


def test_pretrend_test_has_its_size():
    """Parallel trends hold: the joint pre-trend test rejects at 5% about 5% of the time."""
    p = [E.fit_event_study(_panel(seed=s), SPEC).pretrend()["placebo_p"].iloc[0] for s in range(40)]
    assert np.mean(np.array(p) <= 0.05) <= 0.125  # 5 of 40 at most (binomial 99th percentile)
    assert 0.3 < np.mean(p) < 0.7


def test_a_diverging_pretrend_is_flagged():
    es = E.fit_event_study(_panel(trend=1.0), SPEC, label="y")
    pre = es.pretrend().iloc[0]
    assert pre["n_leads"] == 9 and pre["placebo_p"] == pytest.approx(1 / 25)
    assert "evidence of diverging pre-trends" in V.describe(es)


def test_too_few_periods_before_the_date():
    spec = SPEC.replace(interruptions=(Interruption("main", 2001),))
    with pytest.raises(SyntheticInputError, match="needs at least 2"):
        E.fit_event_study(_panel(), spec)


def test_summary_mean_post_effect_and_mde():
    es = E.fit_event_study(_panel(effect=(4, 4, 4, 4, 4, 4)), SPEC, label="y")
    m = es.summary().iloc[0]
    assert m["mean_post"] == pytest.approx(4.0, abs=0.5) and m["placebo_p"] == pytest.approx(1 / 25)
    assert m["mde"] == pytest.approx(2.801585 * m["placebo_sd"]) and m["n_post"] == 6
    assert "minimum detectable" in V.describe(es)
