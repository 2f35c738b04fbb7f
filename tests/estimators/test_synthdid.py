"""synthdid's solver and placebo rules (rasso_research.estimators.synthdid)."""

import numpy as np
import pandas as pd
import pytest
from scipy.optimize import minimize

from rasso_research.estimators import synthdid as S


def test_frank_wolfe_reaches_the_simplex_optimum():
    """The batched Frank-Wolfe weights attain the penalised least-squares optimum over the
    simplex that an exact solver finds (objective within 1e-3 relative: Frank-Wolfe converges slowly near the end)."""
    rng = np.random.default_rng(3)
    Y = rng.normal(size=(3, 12, 9))
    zeta = np.array([0.5, 0.1, 1.0])
    x = S._fw_batch(Y, zeta, True, None, np.full(3, 1e-7), 10_000)
    for b in range(3):
        A = Y[b] - Y[b].mean(axis=0)
        f = lambda w, A=A, z=zeta[b]: z**2 * w @ w + np.sum((A[:, :-1] @ w - A[:, -1]) ** 2) / 12  # noqa: E731
        best = minimize(
            f,
            np.full(8, 1 / 8),
            method="SLSQP",
            bounds=[(0, 1)] * 8,
            constraints={"type": "eq", "fun": lambda w: w.sum() - 1},
            options={"ftol": 1e-14, "maxiter": 1000},
        )
        assert x[b].min() >= 0 and x[b].sum() == pytest.approx(1.0)
        assert f(x[b]) <= best.fun * (1 + 1e-3) + 1e-12


def test_a_batch_gives_each_problem_its_own_answer():
    rng = np.random.default_rng(4)
    Y = rng.normal(size=(4, 10, 6, 8)).reshape(4, 10, 48)[:, :, :8]
    taus, _ = S.estimate_batch(Y, 9, 5, "sdid")
    for b in range(4):
        assert taus[b] == pytest.approx(S.estimate(Y[b], 9, 5, "sdid")[0], abs=1e-10)


def test_placebo_p_rules():
    """ADH's exclusion is on the MSPE scale; an undefined ratio gives no p-value; a placebo
    with an undefined ratio is not counted."""
    ps = pd.DataFrame(
        {
            "effect": [1.0, 2.0, 3.0, 5.0],
            "pre_rmspe": [1.0, 2.5, np.nan, 1.0],
            "post_rmspe": [1.0, 2.5, 1.0, 4.0],
        }
    )
    ps["ratio"] = ps["post_rmspe"] / ps["pre_rmspe"]
    assert S.placebo_p(ps) == (pytest.approx(1 / 3), 2)  # the NaN placebo left out
    # pre-MSPE 6.25 is more than 5 times the treated 1.0, but the RMSPE 2.5 is not
    assert S.placebo_p(ps, max_pre_rmspe_ratio=5) == (pytest.approx(1 / 2), 1)
    ps.loc[3, "ratio"] = np.nan
    p, n = S.placebo_p(ps)
    assert np.isnan(p) and n == 2
