"""Minimum detectable effects (MDE): the smallest true effect a 5% two-sided test finds with
80% power, from a standard error (the simulation under AR errors is
:meth:`rasso_research.estimators.arerrors.BootstrapDraws.power_mde`)."""

from __future__ import annotations

import numpy as np

from rasso_research.constants import Z_80, Z_975

#: z_{0.975} + z_{0.80}: a true effect this many placebo SEs away is found 80% of the time
MDE_FACTOR = Z_975 + Z_80


def mde_pct(m: float, log: bool) -> float:
    """A link-scale MDE ``m`` as % on a log-link model (the larger of a rise, ``exp(m) - 1``,
    and a fall, ``1 - exp(-m)``); NaN on a linear model."""
    return 100 * max(np.expm1(m), -np.expm1(-m)) if log else np.nan
