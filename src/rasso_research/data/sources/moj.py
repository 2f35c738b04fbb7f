"""Ministry of Justice data: readers of offenders sentenced for rape and of prosecution times,
and the three side tables built from them (no panel rows)."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd

from rasso_research.data.build import Build, step
from rasso_research.data.rawfiles import RawFiles, as_files
from rasso_research.data.schemas import InputFormatError, names_file, to_number

SENTENCED = "moj/rape-sentenced-2009-2019.csv"
TIMES = "moj/rape-prosecution-times-2011-2018.csv"
TIMES_2018 = "moj/prosecution-times-2018-by-offence.csv"


def _need(df: pd.DataFrame, cols: list[str], path: Path) -> None:
    missing = [c for c in cols if c not in df.columns]
    if missing:
        raise InputFormatError(f"{path}: missing column(s) {missing}")


def _strip_code(s: pd.Series) -> pd.Series:
    """'01: Immediate Custody' -> 'Immediate Custody'."""
    return s.astype(str).str.replace(r"^\d+:\s*", "", regex=True).str.strip()


@names_file
def read_sentenced(path: Path | str) -> pd.DataFrame:
    """Offenders sentenced for rape by year, offence code, court and sentence outcome (summed)."""
    path = Path(path)
    df = pd.read_csv(path)
    cols = ["Year.of.Appearance", "Offence", "Courts", "Sentence.Outcome", "Count"]
    _need(df, cols, path)
    out = pd.DataFrame(
        {
            "year": df["Year.of.Appearance"].astype(int),
            "offence_code": df["Offence"].str.extract(r"^(\w+)", expand=False),
            "offence": df["Offence"].str.replace(r"^\w+\s+", "", regex=True),
            "court": df["Courts"],
            "sentence_outcome": _strip_code(df["Sentence.Outcome"]),
            "sentenced": df["Count"].astype(float),
        }
    )
    keys = ["year", "offence_code", "offence", "court", "sentence_outcome"]
    return (
        out.groupby(keys, as_index=False)["sentenced"]
        .sum()
        .sort_values(keys)
        .reset_index(drop=True)
    )


def _snake(s: str) -> str:
    s = re.sub(r"\(days\)", "days", s.lower().replace("'", ""))
    return re.sub(r"[^a-z0-9]+", "_", s).strip("_")


def read_timeliness(raw: RawFiles | Path | str) -> pd.DataFrame:
    """Rape prosecution times (days, mean/median by stage), long: year, measure, value, source."""
    raw = as_files(raw)
    p = raw.path(TIMES)
    a = pd.read_csv(p)
    _need(a, ["year", "defendants"], p)
    la = a.melt(id_vars="year", var_name="measure", value_name="value").assign(
        offence="All rape", source=p.name
    )
    p2 = raw.path(TIMES_2018)
    b = pd.read_csv(p2, dtype=str)
    _need(b, ["Row Labels", "Defendants"], p2)
    b = b[b["Row Labels"].str.contains("rape", case=False)]
    b.columns = ["offence"] + [_snake(c) for c in b.columns[1:]]
    lb = b.melt(id_vars="offence", var_name="measure", value_name="value")
    lb["offence"] = lb["offence"].str.replace("Sexual offences: ", "", regex=False).str.capitalize()
    lb = lb.assign(year=2018, value=to_number(lb["value"]), source=p2.name)
    out = pd.concat([la, lb], ignore_index=True)
    out["value"] = out["value"].astype(float).round(6)
    cols = ["year", "offence", "measure", "value", "source"]
    return out[cols].sort_values(["source", "offence", "measure", "year"]).reset_index(drop=True)


@names_file
def read_times_by_offence(path: Path | str) -> pd.DataFrame:
    """MoJ prosecution times 2018 by offence group (one row per offence, days by stage), as
    published; the first column is renamed ``offence`` and the counts parsed as numbers."""
    p = Path(path)
    df = pd.read_csv(p, dtype=str, encoding="utf-8-sig")
    _need(df, ["Row Labels", "Defendants"], p)
    df = df.rename(columns={"Row Labels": "offence"})
    for c in df.columns[1:]:
        df[c] = to_number(df[c])
    return df


@step("MoJ sentencing and prosecution-times tables", order=90, write_only=True)
def tables_step(b: Build) -> None:
    """``moj_prosecution_times_2018_by_offence``, ``moj_rape_sentenced`` and
    ``moj_rape_timeliness``; the published sentencing totals go to the quality log."""
    b.add_table("moj_prosecution_times_2018_by_offence", read_times_by_offence(b.path(TIMES_2018)))
    s = read_sentenced(b.path(SENTENCED))
    b.add_table("moj_rape_sentenced", s)
    b.add_table("moj_rape_timeliness", read_timeliness(b.files))
    for y in (2016, 2019):
        b.log.add(
            "published totals",
            f"MoJ offenders sentenced for rape {y}",
            SENTENCED,
            s.loc[s.year == y, "sentenced"].sum(),
        )
