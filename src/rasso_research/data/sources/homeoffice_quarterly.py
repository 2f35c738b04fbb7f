"""Outcomes for all offences together by force x financial quarter, 2014/15 Q1 to 2025/26 Q4,
on both outcome measures (the OOCD dashboard's aggregate of the Home Office outcomes open data,
July 2026 release): charges, out-of-court outcomes and all outcomes assigned. They are the
comparison series for rape: a rise in rape charges that all charging shares is not a rape
effect.

Some forces did not supply a measure in some quarters: the file has a zero (or a handful of
outcomes) where the force reported nothing. The rule (:func:`not_supplied`): a force-quarter's
measure is *not supplied* when its outcomes assigned on that measure are under
:data:`NOT_SUPPLIED_SHARE` of the force's median quarter on it. Such force-quarters are missing,
never zero and never a fall, in every series that uses them: these rows, their national and
CPS Area sums, and the annual force x offence-group table (:mod:`.homeoffice_oocd`), which
needs the list this module offers to the build (``not_supplied``; also written as
``not_supplied.csv``).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from rasso_research import periods
from rasso_research.data import forces, schemas
from rasso_research.data.build import NAT, Build, panel_rows, step
from rasso_research.data.catalog import INCOMPLETE, Coverage, Source
from rasso_research.data.schemas import InputFormatError, names_file, note, parse_counts
from rasso_research.data.sources.homeoffice import drop_rows, is_fiscal_year

#: the raw files read by this module, relative to ``data/raw`` (in ``data/raw/registry.csv``)
FILES = {
    "force": "homeoffice/oocd-dashboard-force-quarter-all-offences-2014-15-to-2025-26.csv",
    "national": "homeoffice/oocd-dashboard-national-quarter-all-offences-2014-15-to-2025-26.csv",
}
#: the two outcome measures: the file's basis -> the panel's suffix
BASES = {"recorded": "cohort", "closed": "in_quarter"}
#: the file's outcome columns (``<basis>_all_<what>``) -> the panel's measure stem
WHAT = {"t1": "all_charged", "oocd": "all_oocd", "assigned": "all_outcomes"}
COLUMNS = {
    f"{b}_all_{w}": f"{stem}_{suffix}" for b, suffix in BASES.items() for w, stem in WHAT.items()
}
#: a force-quarter's measure is not supplied when its outcomes assigned are under this share
#: of the force's median quarter on that measure (the 27 force-quarters the source's own
#: coverage notes describe fall under 0.5% of it; the next lowest is 17%)
NOT_SUPPLIED_SHARE = 0.1
NOT_SUPPLIED = "not supplied by the force (outcomes under 10% of its median quarter)"
#: the non-territorial force the file holds beside the 43 (left out of the force rows)
BTP = "British Transport Police"
#: the note of the published totals
NATIONAL_NOTE = "England and Wales as published: 44 forces, British Transport Police included"

OOCD_Q = Source(
    "oocd_q",
    "OOCD dashboard aggregate of HO outcomes open data (July 2026 release), all offences, "
    "quarterly",
    tuple(FILES.values()),
    Coverage("all_charged_in_quarter", "2014/15 Q1", "2025/26 Q4", 44),
)
SOURCES = (OOCD_Q,)


@names_file
def read_quarterly(path: Path | str) -> pd.DataFrame:
    """The force x quarter file, long: ``fiscal_quarter``, ``force`` (the 43 forces and
    :data:`BTP`), ``measure`` (:data:`COLUMNS`' values), ``value``. A duplicated force-quarter
    or a malformed year or quarter is an error naming the file."""
    path = Path(path)
    notes: list = []
    raw = pd.read_csv(path, dtype=str, encoding="utf-8-sig")
    required = ["force", "fy", "q", *COLUMNS]
    df = schemas.standardise_columns(raw, {c: c for c in required}, required, path)
    n_read = len(df)
    df = drop_rows(df, df["force"].isna() | df["fy"].isna(), path, "blank force or year", notes)
    df["fy"], df["q"] = df["fy"].str.strip(), df["q"].str.strip()
    bad = ~df["fy"].map(is_fiscal_year) | ~df["q"].isin(["1", "2", "3", "4"])
    if bad.any():
        row = df.loc[bad].iloc[0]
        raise InputFormatError(
            f"{path}: row {df.index[bad][0] + 2}: year {row['fy']!r}, quarter {row['q']!r} "
            "(expected a financial year such as 2014/15 and a quarter 1-4)"
        )
    name = df["force"].str.strip()
    df["force"] = np.where(name == BTP, BTP, forces.map_forces(name, source=str(path)))
    for other, n in name[pd.isna(df["force"])].value_counts().sort_index().items():
        note(notes, path, f"non-territorial body excluded: {other}", int(n))
    df = df[df["force"].notna()]
    df["fiscal_quarter"] = [
        periods.fiscal_quarter_label(y, q) for y, q in zip(df["fy"], df["q"], strict=True)
    ]
    dup = df.duplicated(["force", "fiscal_quarter"])
    if dup.any():
        row = df.loc[dup].iloc[0]
        raise InputFormatError(
            f"{path}: {int(dup.sum())} duplicated force-quarters (first: {row['force']}, "
            f"{row['fiscal_quarter']}); the file is corrupt (`make fetch` restores it)"
        )
    for col in COLUMNS:
        df[col] = parse_counts(df, col, path, notes)
    long = df.melt(["fiscal_quarter", "force"], list(COLUMNS), "column", "value")
    long["measure"] = long.pop("column").map(COLUMNS)
    long.attrs["dropped"] = notes
    long.attrs["rows"] = {
        "file": path.name,
        "read": n_read,
        "other_offences": 0,
        "dropped": n_read - len(df),
        "kept": len(df),
    }
    return long.reset_index(drop=True)


def not_supplied(long: pd.DataFrame, share: float = NOT_SUPPLIED_SHARE) -> pd.DataFrame:
    """Force-quarters whose measure the force did not supply: ``force``, ``fiscal_quarter``,
    ``basis`` (``cohort`` or ``in_quarter``), the outcomes assigned and the force's median
    quarter on that basis (see the module docstring)."""
    out = []
    for basis in BASES.values():
        d = long[long["measure"] == f"all_outcomes_{basis}"].copy()
        d["median"] = d.groupby("force")["value"].transform("median")
        low = d[d["value"] < share * d["median"]]
        out.append(low.assign(basis=basis)[["force", "fiscal_quarter", "basis", "value", "median"]])
    res = pd.concat(out, ignore_index=True).rename(columns={"value": "outcomes_assigned"})
    return res.sort_values(["basis", "force", "fiscal_quarter"]).reset_index(drop=True)


def mask_not_supplied(long: pd.DataFrame, ns: pd.DataFrame, basis_of) -> pd.DataFrame:
    """``long`` (``force``, ``fiscal_quarter``, ``measure``, ``value``) with the values of the
    not-supplied force-quarters ``ns`` set to missing and flagged; ``basis_of(measure)`` names
    a measure's basis (``None``: not an outcomes measure)."""
    key = set(zip(ns["force"], ns["fiscal_quarter"], ns["basis"], strict=True))
    basis = long["measure"].map(basis_of)
    hit = np.array(
        [
            (f, q, b) in key
            for f, q, b in zip(long["force"], long["fiscal_quarter"], basis, strict=True)
        ],
        dtype=bool,
    )
    out = long.copy()
    out.loc[hit, "value"] = np.nan
    out["flag"] = np.where(hit, NOT_SUPPLIED, out["flag"] if "flag" in out else "")
    return out


def basis_of(measure: str) -> str | None:
    """The outcome basis of a panel measure named ``..._cohort`` or ``..._in_quarter``."""
    for b in BASES.values():
        if measure.endswith("_" + b):
            return b
    return None


def read_national(path: Path) -> pd.DataFrame:
    """The national file long: ``fiscal_quarter``, ``measure``, ``value`` (England and Wales as
    published: the 44 forces, British Transport Police included)."""
    nat = pd.read_csv(path, dtype=str, encoding="utf-8-sig")
    nat["fiscal_quarter"] = [
        periods.fiscal_quarter_label(y.strip(), q.strip())
        for y, q in zip(nat["fy"], nat["q"], strict=True)
    ]
    nat = nat.melt(["fiscal_quarter"], list(COLUMNS), "column", "value")
    nat["measure"] = nat.pop("column").map(COLUMNS)
    nat["value"] = pd.to_numeric(nat["value"])
    return nat


def _check_national(force_long: pd.DataFrame, nat: pd.DataFrame, log) -> None:
    """The national file equals the sum of the 44 forces (BTP included) in every cell; a
    difference is counted in the quality log."""
    s = force_long.groupby(["fiscal_quarter", "measure"])["value"].sum()
    d = nat.set_index(["fiscal_quarter", "measure"])["value"] - s
    log.add(
        "consistency",
        "all-offence outcomes: national file vs the sum of its 44 forces (BTP included)",
        f"{len(d)} cells checked; cells differing",
        int((d.abs() > 0).sum()),
    )


def excludes(ns: pd.DataFrame, basis: str) -> dict[str, str]:
    """Fiscal quarter -> the flag of a national total that lacks the forces not supplied on
    ``basis`` in that quarter (:data:`INCOMPLETE` and their names)."""
    d = ns[ns["basis"] == basis]
    return {
        fq: f"{INCOMPLETE}: {', '.join(sorted(g['force']))} (not supplied)"
        for fq, g in d.groupby("fiscal_quarter")
    }


def national_rows(nat: pd.DataFrame, ns: pd.DataFrame) -> pd.DataFrame:
    """Panel rows of the published England and Wales totals, each quarter that lacks a force
    not supplied on its basis flagged (the total is kept: it is what was published, and a
    comparison with another national total of the same release lacks the same force)."""
    parts = []
    for m, g in nat.groupby("measure", sort=True):
        rows = panel_rows(g.assign(force=NAT), m, "value", OOCD_Q.label, note=NATIONAL_NOTE)
        flags = excludes(ns, basis_of(m))
        rows["flag"] = g["fiscal_quarter"].map(flags).fillna("").to_numpy()
        parts.append(rows)
    return pd.concat(parts, ignore_index=True)


@step("all-offence outcomes by force and quarter (OOCD dashboard aggregate)", order=15)
def quarterly_step(b: Build) -> None:
    """Force and national rows of every all-offence measure, the not-supplied force-quarters
    missing; ``not_supplied`` offered to later steps and written as a side table."""
    path = b.path(FILES["force"])
    long = read_quarterly(path)
    b.log.dropped(long)
    nat = read_national(b.path(FILES["national"]))
    _check_national(long, nat, b.log)
    btp = long["force"] == BTP
    note_btp = f"{int(btp.sum() / len(COLUMNS))} {BTP} force-quarters left out of the force rows"
    b.log.add("dropped or excluded rows", FILES["force"], note_btp, int(btp.sum()))
    ns = not_supplied(long)
    b.offer("not_supplied", ns)
    b.add_table("not_supplied", ns)
    long = mask_not_supplied(long[~btp], ns, basis_of)
    b.log.add(
        "values set to missing",
        FILES["force"],
        f"force-quarters not supplied ({NOT_SUPPLIED_SHARE:.0%} rule): every measure of that basis",
        int(long["value"].isna().sum()),
    )
    for m, g in long.groupby("measure", sort=True):
        rows = panel_rows(g, m, "value", OOCD_Q.label)
        rows["flag"] = g["flag"].to_numpy()
        b.add_rows(rows)
    national = national_rows(nat, ns)
    b.log.add(
        "flagged rows",
        FILES["national"],
        "England and Wales totals lacking a force not supplied (kept, flagged)",
        int((national["flag"] != "").sum()),
    )
    b.add_rows(national)
    b.offer("national_all_charged", nat[nat["measure"] == "all_charged_in_quarter"])
