"""The event-study regression of one treated unit against donors: unit and period fixed
effects with a coefficient for each period relative to the treated unit's date, the period
``ref`` before it the reference.

On a balanced panel its OLS coefficients have a closed form (:func:`event_coefficients`),
used for the estimate and every placebo (:func:`placebo_coefficients`); the statsmodels
formula fit (:func:`fit_event_regression`) is the check of it in the tests.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import statsmodels.formula.api as smf


def event_coefficients(Y: np.ndarray, T0: int, ref: int = -1) -> np.ndarray:
    """The two-way fixed-effects event coefficients of the last row of the balanced matrix
    ``Y`` (units x periods) against the other rows, in closed form: its change from the
    reference period minus the others' mean change (what the regression gives when every
    period but the reference has its own treated dummy)."""
    r = T0 + ref
    d = Y - Y[:, [r]]
    return d[-1] - d[:-1].mean(axis=0)


def placebo_coefficients(Y: np.ndarray, N0: int, T0: int, ref: int = -1) -> np.ndarray:
    """Each donor (row ``j < N0``) in turn as the treated unit against the other donors (the
    real treated rows left out): its event coefficients, one row per donor."""
    donors = Y[:N0]
    return np.array(
        [
            event_coefficients(np.vstack([np.delete(donors, j, 0), donors[j]]), T0, ref)
            for j in range(N0)
        ]
    )


def fit_event_regression(Y: np.ndarray, units, times, T0: int, ref: int = -1):
    """The statsmodels OLS fit (formula API) of the event-study regression of the last row of
    ``Y`` (units x periods; row and column names ``units`` and ``times``, the first treated
    period at column ``T0``) and its event terms."""
    long = pd.DataFrame(
        [(u, str(t), Y[i, j], j - T0) for i, u in enumerate(units) for j, t in enumerate(times)],
        columns=["unit", "period", "y", "k"],
    )
    treated = long["unit"] == units[-1]
    terms = []
    for k in sorted(long["k"].unique()):
        if k == ref:
            continue
        name = f"ev_m{-k}" if k < 0 else f"ev_p{k}"
        long[name] = (treated & (long["k"] == k)).astype(float)
        terms.append(name)
    formula = "y ~ C(unit) + C(period) + " + " + ".join(terms)
    return smf.ols(formula, data=long).fit(), terms
