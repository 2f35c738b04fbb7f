"""Rates of two counts for every area of a geography, as panel rows: the CPS Areas have only
counts in the panel (rates are not summed), so an Area's rate per 100,000 or charge rate is
made here from its summed numerator and denominator, the same way as a force's.

The rows have the panel's columns and the measure name of
:func:`rasso_research.data.measures.rate_name` (which gives them a label), so the series
accessor, the controlled designs and the views read them like any other measure.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from rasso_research.data.measures import rate_name
from rasso_research.data.series import area_panel, geography_of

#: the ``source`` of a derived row
DERIVED = "derived: rate of two panel counts of the same area"


def _lagged(den: pd.DataFrame, lag: int) -> pd.DataFrame:
    """Each area's denominator as the mean of its ``lag`` previous quarters (all present)."""
    if not lag:
        return den
    parts = []
    for area, d in den.groupby("force", sort=True):
        q = pd.period_range(d["quarter"].min(), d["quarter"].max(), freq="Q")
        full = d.set_index("quarter")["value"].reindex(q).astype(float)
        prev = full.shift(1).rolling(lag, min_periods=lag).mean()
        parts.append(pd.DataFrame({"force": area, "quarter": q, "value": prev.to_numpy()}))
    return pd.concat(parts, ignore_index=True)


def rate_rows(
    panel: pd.DataFrame,
    numerator: str,
    denominator: str,
    per: int,
    lag: int = 0,
    geography: str = "force",
) -> pd.DataFrame:
    """Panel rows of ``per`` x ``numerator`` / ``denominator`` for every area of ``geography``
    that has both (``lag``: the denominator is the mean of that many previous quarters, e.g.
    charges per 100 rapes recorded in the previous year). A quarter without either count, or
    with a denominator of zero, has no row: a rate is never made from a part."""
    if lag < 0:
        raise ValueError(f"lag must be >= 0 quarters, got {lag}")
    name = rate_name(numerator, denominator, per, lag)
    geo = geography_of(panel)
    have = [
        set(panel.loc[(panel["measure"] == m) & (geo == geography), "force"])
        for m in (numerator, denominator)
    ]
    areas = sorted(have[0] & have[1])
    if not areas:
        raise ValueError(
            f"no {geography} area has both {numerator!r} and {denominator!r} in the panel"
        )
    num = area_panel(panel, numerator, areas).dropna(subset=["value"])
    den = _lagged(area_panel(panel, denominator, areas).dropna(subset=["value"]), lag)
    d = num.merge(den, on=["force", "quarter"], suffixes=("", "_den"))
    d = d[np.isfinite(d["value_den"]) & (d["value_den"] > 0)]
    return pd.DataFrame(
        {
            "quarter": d["quarter"].astype(str).to_numpy(),
            "geography": geography,
            "force": d["force"].to_numpy(),
            "measure": name,
            "value": (per * d["value"] / d["value_den"]).to_numpy(float),
            "source": DERIVED,
            "flag": "",
            "note": f"{per} x {numerator} / {denominator}"
            + (f" (mean of the previous {lag} quarters)" if lag else ""),
        }
    ).reset_index(drop=True)
