"""The declared estimands (rasso_research.studies.estimands): the config is read strictly, the
primary is one test with its MDE, the secondary family is Holm-adjusted as statsmodels does."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from statsmodels.stats.multitest import multipletests

from rasso_research.designs import joint_its
from rasso_research.designs.base import QUARTERLY
from rasso_research.studies import estimands as E

DATES = {"A": "2020Q3", "B": "2021Q1", "C": "2021Q3"}


def _series(seed: int, step: float = 0.0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    q = pd.period_range("2013Q1", periods=44, freq="Q")
    t = np.arange(44)
    mu = np.exp(5 + 0.005 * t + step * (q >= pd.Period("2020Q3", "Q")))
    s = pd.DataFrame({"quarter": q, "t": t + 1, "value": rng.poisson(mu).astype(float)})
    s.attrs["measure"] = "rape_charged_in_quarter"
    return s


@pytest.fixture(scope="module")
def joint():
    series = {"one": _series(1, 0.4), "two": _series(2)}
    spec = QUARTERLY.replace(family="quasipoisson", season="quarter", boot_reps=199)
    return joint_its.fit_joint(series, spec, DATES, horizons=(0, 4, 8), leave_one_out=False)


def _csv(tmp_path, rows):
    p = tmp_path / "estimands.csv"
    pd.DataFrame(rows, columns=list(E.COLUMNS)).to_csv(p, index=False)
    return p


PRIMARY = ["p", "primary", "one", "package", "8", "2026-12-03", "the package on one"]
TERMS = ["t", "secondary", "*", "term", "", "2026-12-03", "every term"]
PACKAGE = ["k", "secondary", "*", "package", "0;4;8", "2026-12-03", "every package effect"]


def test_the_config_is_read_strictly(tmp_path):
    est = E.load_estimands(_csv(tmp_path, [PRIMARY, TERMS, PACKAGE]))
    assert E.primary(est).horizons == (8,) and E.last_horizon(est) == 8
    with pytest.raises(ValueError, match=r"row 2: role 'main'"):
        E.load_estimands(_csv(tmp_path, [[PRIMARY[0], "main", *PRIMARY[2:]]]))
    with pytest.raises(ValueError, match="exactly one primary"):
        E.load_estimands(_csv(tmp_path, [PRIMARY, PRIMARY]))
    with pytest.raises(ValueError, match="horizons '8q'"):
        E.load_estimands(_csv(tmp_path, [[*PRIMARY[:4], "8q", *PRIMARY[5:]]]))
    assert E.primary(E.load_estimands()).role == "primary"  # the project's own file


def test_the_primary_is_one_test_and_the_rest_one_holm_family(tmp_path, joint):
    est = E.load_estimands(_csv(tmp_path, [PRIMARY, TERMS, PACKAGE]))
    ev = E.evaluate(joint, est, lambda k: k)
    prim = ev[ev["role"] == "primary"]
    assert len(prim) == 1 and prim["horizon"].iloc[0] == 8
    eff = joint.effects().set_index(["series", "horizon"])
    assert prim["p_value"].iloc[0] == pytest.approx(eff.loc[("one", 8), "p_value"])
    assert prim["p_holm"].iloc[0] == prim["p_value"].iloc[0]
    assert np.isfinite(prim["mde_pct"].iloc[0]) and prim["mde_pct"].iloc[0] > 0
    sec = ev[ev["role"] == "secondary"]
    # every term of both series and every package effect but the primary's own
    assert len(sec) == len(joint.table()) + 2 * 3 - 1 == sec["family_size"].iloc[0]
    assert not ((sec["series"] == "one") & (sec["kind"] == "package") & (sec["horizon"] == 8)).any()
    expect = multipletests(sec["p_value"], method="holm")[1]
    np.testing.assert_allclose(sec["p_holm"], expect)
    assert (sec["p_holm"] >= sec["p_value"]).all()
