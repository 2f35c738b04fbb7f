"""The declared estimands of the national answer (``config/estimands.csv``): one primary
estimand, stated before the models it is read from were refitted, and the secondary family
whose p-values are adjusted together (Holm 1979, as statsmodels' ``multipletests``). Effects
beyond the last declared horizon are reported, never headlined.

:func:`evaluate` reads them off a fitted joint model (:class:`rasso_research.designs.joint_its.JointITS`):
the primary with its minimum detectable effect, the secondary family with raw and
Holm-adjusted p-values and the number of findings chance alone would give."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd
from statsmodels.stats.multitest import multipletests

from rasso_research.estimators.power import mde_pct
from rasso_research.paths import CONFIG

ESTIMANDS_CSV = CONFIG / "estimands.csv"
ROLES = ("primary", "secondary")
KINDS = ("package", "term")
COLUMNS = ("id", "role", "series", "estimand", "horizons", "declared", "definition")


@dataclass(frozen=True)
class Estimand:
    """One declared estimand (a row of ``config/estimands.csv``): ``series`` a national series
    key (``*``: every series), ``estimand`` ``"package"`` (the reforms together at each of
    ``horizons`` quarters from the first date) or ``"term"`` (each reform's own terms)."""

    id: str
    role: str
    series: str
    estimand: str
    horizons: tuple[int, ...]
    declared: str
    definition: str


def load_estimands(path=ESTIMANDS_CSV) -> tuple[Estimand, ...]:
    """The declared estimands; a malformed row is an error naming the file, row and column."""
    df = pd.read_csv(path, dtype=str, keep_default_na=False)
    missing = [c for c in COLUMNS if c not in df.columns]
    if missing:
        raise ValueError(f"{path}: missing column(s) {missing}; the columns are {list(COLUMNS)}")
    out = []
    for i, r in df.iterrows():
        where = f"{path}, row {i + 2}"
        if r["role"] not in ROLES:
            raise ValueError(f"{where}: role {r['role']!r}; use one of {ROLES}")
        if r["estimand"] not in KINDS:
            raise ValueError(f"{where}: estimand {r['estimand']!r}; use one of {KINDS}")
        try:
            hs = tuple(int(h) for h in r["horizons"].split(";") if h.strip())
        except ValueError:
            raise ValueError(
                f"{where}: horizons {r['horizons']!r}; write whole quarters separated by ';'"
            ) from None
        if r["estimand"] == "package" and not hs:
            raise ValueError(f"{where}: a package estimand needs its horizons")
        out.append(Estimand(*(r[c] for c in COLUMNS[:4]), hs, r["declared"], r["definition"]))
    primary = [e for e in out if e.role == "primary"]
    if len(primary) != 1 or primary[0].series == "*" or len(primary[0].horizons) != 1:
        raise ValueError(
            f"{path}: exactly one primary estimand, on one series at one horizon, is declared; "
            f"found {len(primary)}"
        )
    return tuple(out)


def primary(estimands) -> Estimand:
    """The primary estimand."""
    return next(e for e in estimands if e.role == "primary")


def last_horizon(estimands) -> int:
    """The last declared horizon: effects beyond it are described, not headlined."""
    return max(h for e in estimands for h in e.horizons)


def evaluate(joint, estimands, label: Callable[[str], str]) -> pd.DataFrame:
    """The declared estimands read off the joint model ``joint``: one row per test, ``role``,
    ``id``, ``series``, ``intervention`` (``reforms`` for a package effect), ``kind``
    (``package``, ``level``, ``slope``, ``lead``), ``horizon``, the estimate and 95% CI as %,
    the raw ``p_value``, ``p_holm`` (Holm-adjusted within the secondary family; the primary's
    is its own), ``mde_pct`` (the primary's) and ``family_size``. ``label(key)`` gives a series
    key's table label; a series the joint model did not fit is left out."""
    first = primary(estimands)
    plabel = label(first.series)
    rows = []
    eff = joint.effects()
    terms = joint.table()
    for e in estimands:
        labels = set(joint.fits) if e.series == "*" else {label(e.series)} & set(joint.fits)
        if e.estimand == "package":
            d = eff[eff["series"].isin(labels) & eff["horizon"].isin(e.horizons)]
            if "end" in d.columns:
                d = d[~d["end"] | d["horizon"].isin(e.horizons)]
            d = d.assign(intervention="reforms", kind="package")
        else:
            d = terms[terms["series"].isin(labels)].rename(columns={"estimate_pct": "effect_pct"})
            d = d.assign(horizon=np.nan)
        if e.role == "secondary":
            own = (
                (d["series"] == plabel)
                & (d["kind"] == "package")
                & d["horizon"].isin(first.horizons)
            )
            d = d[~own]
        rows.append(d.assign(role=e.role, id=e.id))
    keep = [
        "role",
        "id",
        "series",
        "intervention",
        "kind",
        "horizon",
        "effect_pct",
        "ci_low_pct",
        "ci_high_pct",
        "p_value",
    ]
    out = pd.concat([r[keep] for r in rows], ignore_index=True).drop_duplicates(
        ["series", "intervention", "kind", "horizon"]
    )
    out["p_holm"] = out["p_value"]
    sec = (out["role"] == "secondary") & out["p_value"].notna()
    if sec.any():
        out.loc[sec, "p_holm"] = multipletests(out.loc[sec, "p_value"], method="holm")[1]
    out["family_size"] = np.where(out["role"] == "secondary", int(sec.sum()), 1)
    out["mde_pct"] = np.nan
    if plabel in joint.fits:
        res = joint.fits[plabel].fit.result
        m = res.effect_mde(joint.fits[plabel].names[0], first.horizons[0])
        out.loc[out["role"] == "primary", "mde_pct"] = mde_pct(m, res.is_log)
    return out.reset_index(drop=True)
