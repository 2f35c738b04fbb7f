"""CPS Areas: the 43 police forces grouped into the 13 Areas of the Crown Prosecution Service
(London North and London South together as ``CPS London``: at force level they serve the same
two forces), read from ``config/cps_areas.csv`` (each row with its public source), and the
panel rows of each Area: every count measure of the forces (:attr:`Measure.additive`) summed,
missing where any member force's value is missing (an Area total without a force is not the
Area total); the same sums of the annual force-year table (:func:`area_year_rows`). The rows
have ``geography`` ``cps_area`` and the Area's name ``CPS <Area>`` in the ``force`` column;
read them with ``series(panel, measure, force="CPS West Midlands", geography="cps_area")``.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from rasso_research import paths
from rasso_research.data import forces
from rasso_research.data.build import NAT, Build, step
from rasso_research.data.measures import measure
from rasso_research.data.schemas import InputFormatError

#: the mapping's file, relative to the project (a config table, not a raw data file)
CONFIG = "config/cps_areas.csv"
COLUMNS = ["force", "cps_area", "cps_areas_2025", "source_url", "source_note"]
#: the prefix of an Area's name in the panel's ``force`` column (keeps it apart from a force's)
PREFIX = "CPS "
SOURCES = ()


def load_cps_areas(path: Path | str | None = None) -> pd.DataFrame:
    """``config/cps_areas.csv``, checked: the columns, every one of the 43 forces exactly once
    (by its canonical name), an Area and a source on every row."""
    path = Path(path) if path is not None else paths.ROOT / CONFIG
    df = pd.read_csv(path, dtype=str, keep_default_na=False)
    missing = [c for c in COLUMNS if c not in df.columns]
    if missing:
        raise InputFormatError(f"{CONFIG}: missing column(s) {missing}; it has {list(df.columns)}")
    unknown = sorted(set(df["force"]) - set(forces.FORCES))
    absent = sorted(set(forces.FORCES) - set(df["force"]))
    twice = sorted(df.loc[df["force"].duplicated(), "force"])
    if unknown or absent or twice:
        raise InputFormatError(
            f"{CONFIG}: every one of the 43 forces must be listed once by its canonical name "
            f"(data/forces.py): unknown {unknown}, absent {absent}, listed twice {twice}"
        )
    empty = df[(df["cps_area"].str.strip() == "") | (df["source_url"].str.strip() == "")]
    if len(empty):
        raise InputFormatError(
            f"{CONFIG}: row {empty.index[0] + 2} ({empty['force'].iloc[0]}) has no Area or no "
            "source_url"
        )
    return df


def area_rows(rows: pd.DataFrame, areas: pd.DataFrame) -> pd.DataFrame:
    """Panel rows of each CPS Area: the force rows of every count measure in ``rows`` summed
    per measure, source and quarter over the Area's forces; missing (and flagged) where a
    member force has no value."""
    force_rows = rows[(rows["force"] != NAT) & (rows["geography"].fillna("force") == "force")]
    count = force_rows["measure"].map(lambda m: measure(m).additive)
    d = force_rows[count.to_numpy(bool)].merge(areas[["force", "cps_area"]], on="force")
    size = areas.groupby("cps_area")["force"].size()
    keys = ["measure", "source", "fiscal_quarter", "cps_area"]
    g = d.groupby(keys, sort=True).agg(value=("value", "sum"), n=("value", "count"))
    complete = g["n"].to_numpy() == g.index.get_level_values("cps_area").map(size).to_numpy()
    g["value"] = g["value"].where(complete)
    out = g.reset_index()
    return pd.DataFrame(
        {
            "fiscal_quarter": out["fiscal_quarter"],
            "geography": "cps_area",
            "force": PREFIX + out["cps_area"],
            "measure": out["measure"],
            "value": out["value"].astype(float),
            "source": out["source"],
            "flag": ["" if ok else "a member force's value is missing" for ok in complete],
            "note": "sum of the Area's forces (config/cps_areas.csv)",
        }
    )


def area_year_rows(fy: pd.DataFrame, areas: pd.DataFrame) -> pd.DataFrame:
    """Rows of each CPS Area for the annual force x financial-year x offence-group table
    (``force_year``): every count measure (:attr:`Measure.additive`; another measure is an
    error) and the population summed over the Area's forces, the rate per 100,000 recomputed
    from the two sums. A force-year that is missing (the not-supplied rule) makes the
    Area-year missing, never a smaller sum; a member's flag is carried, named, to the Area."""
    f = fy[fy["geography"] == "force"]
    bad = sorted(m for m in f["measure"].unique() if not measure(m).additive)
    if bad:
        raise ValueError(
            f"force_year: measure(s) {bad} are not counts (additive in data/measures.py), so "
            "an Area's value is not the sum of its forces'; give them a row or leave them out"
        )
    d = f.merge(areas[["force", "cps_area"]], on="force", validate="many_to_one")
    d = d.assign(member_flag=d["force"] + ": " + d["flag"].fillna(""))
    d["member_flag"] = d["member_flag"].where(d["flag"].fillna("") != "", "")
    keys = ["fiscal_year", "offence_group", "measure", "cps_area"]
    g = d.groupby(keys, sort=True).agg(
        value=("value", "sum"),
        n=("value", "count"),
        population=("population", "sum"),
        n_pop=("population", "count"),
        flag=("member_flag", lambda s: "; ".join(x for x in s if x)),
    )
    size = g.index.get_level_values("cps_area").map(areas.groupby("cps_area")["force"].size())
    g["value"] = g["value"].where(g["n"].to_numpy() == size.to_numpy())
    g["population"] = g["population"].where(g["n_pop"].to_numpy() == size.to_numpy())
    out = g.reset_index()
    out["per_100k"] = 1e5 * out["value"] / out["population"]
    out["force"] = PREFIX + out["cps_area"]
    out["geography"], out["force_code"] = "cps_area", ""
    for c in ("frequency", "source"):
        if c in f.columns:
            out[c] = f[c].iloc[0] if len(f) else ""
    return out[[c for c in fy.columns if c in out.columns]].reset_index(drop=True)


@step("CPS Area sums of the force counts", order=75)
def cps_area_step(b: Build) -> None:
    """Rows of each CPS Area (:func:`area_rows`) from every count row the earlier steps made."""
    areas = load_cps_areas()
    out = area_rows(b.rows(), areas)
    b.add_rows(out)
    b.log.add(
        "values set to missing",
        CONFIG,
        "CPS Area totals left missing: a member force's value is missing in the quarter",
        int(out["value"].isna().sum()),
    )
