"""Force-area mid-year population: one series per force and mid-year, built from the pieces.

Sources by priority for each year: ONS force-area figures for mid-2024; for mid-2019..2023 the
ONS mid-2023 edition (2021-Census-based) summed from local authorities with the December 2023
LAD -> force lookup; before that the older vintages: the mid-2018 CSV, table P9 of the ONS PFA
tables for mid-2002..2016, the mid-2001..2010 thousands file for 2001 and local-authority sums
for mid-2017. The series therefore changes vintage between mid-2018 and mid-2019 (the rebased
estimates are lower: E&W mid-2018 59,008,368 against 59,115,800); ``population_checks``
measures the break per force on the overlapping years 2011-2018. Any remaining gap is filled by
linear interpolation (``interpolated=True``).

Build steps: the population table (offered as ``population``), its quarterly panel rows and the
derived ``recorded_rape_per_100k`` (which needs the recorded-rape rows).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from rasso_research.data import forces, schemas
from rasso_research.data.build import NAT, Build, panel_rows, step, strict_sum
from rasso_research.data.catalog import Source
from rasso_research.data.rawfiles import RawFiles, as_files
from rasso_research.data.schemas import InputFormatError, names_file
from rasso_research.data.sources.homeoffice import PFA_2026

#: the panel's population rows (their folder: the pieces are named in :func:`build_population`)
POP = Source("pop", "ONS mid-year population (see population.csv)", ("population",))
SOURCES = (POP,)

#: local authorities missing from the CSP lookup (post-2019 unitaries, renamed districts)
LAD_FORCE_EXTRA = {
    "York": "North Yorkshire",
    "North Northamptonshire": "Northamptonshire",
    "West Northamptonshire": "Northamptonshire",
    "Broxtowe": "Nottinghamshire",
    "Gedling": "Nottinghamshire",
    "Rushcliffe": "Nottinghamshire",
    "Stratford-on-Avon": "Warwickshire",
    "Warwick": "Warwickshire",
    "Malvern Hills": "West Mercia",
    "Worcester": "West Mercia",
    "Wychavon": "West Mercia",
    "Babergh": "Suffolk",
    "East Suffolk": "Suffolk",
    "Mid Suffolk": "Suffolk",
    "West Suffolk": "Suffolk",
    "Buckinghamshire": "Thames Valley",
    "Dartford": "Kent",
    "Folkestone and Hythe": "Kent",
    "Gravesham": "Kent",
    "Bournemouth, Christchurch and Poole": "Dorset",
    "East Devon": "Devon and Cornwall",
    "Mid Devon": "Devon and Cornwall",
    "North Devon": "Devon and Cornwall",
    "South Hams": "Devon and Cornwall",
    "Teignbridge": "Devon and Cornwall",
    "Torridge": "Devon and Cornwall",
    "West Devon": "Devon and Cornwall",
    "Mendip": "Avon and Somerset",
    "Somerset West and Taunton": "Avon and Somerset",
    "South Somerset": "Avon and Somerset",
    "City of London": "City of London",
}


#: first mid-year taken from the 2021-Census-based (rebased) ONS series; earlier years keep the
#: older vintages (the series breaks here: population_checks measures it on 2011-2018)
REBASED_FROM = 2019


def _need(df: pd.DataFrame, cols: list[str], path: Path) -> None:
    missing = [c for c in cols if c not in df.columns]
    if missing:
        raise InputFormatError(f"{path}: missing column(s) {missing}")


def _codes_to_forces(codes: pd.Series) -> pd.Series:
    inv = {v: k for k, v in forces.FORCE_CODES.items()}
    return codes.map(inv)


def _read_pop_by_code(path: Path, code: str, name: str, value: str, year: int) -> pd.DataFrame:
    """A one-year CSV of force-area populations keyed by ONS force-area code (E23/W15 rows)."""
    df = pd.read_csv(path)
    _need(df, [code, name, value], path)
    df = df[df[code].astype(str).str.match(r"^(E23|W15)")]
    return pd.DataFrame(
        {
            "force": _codes_to_forces(df[code]),
            "year": year,
            "population": df[value].astype(float),
            "source": path.name,
        }
    )


@names_file
def read_pop_mid2024(path: Path) -> pd.DataFrame:
    return _read_pop_by_code(path, "PFA 2023 Code", "PFA 2023 Name", "Population", 2024)


@names_file
def read_pop_mid2018(path: Path) -> pd.DataFrame:
    return _read_pop_by_code(path, "code", "name", "MYE2018", 2018)


@names_file
def read_pop_thousands(path: Path) -> pd.DataFrame:
    df = pd.read_csv(path)
    _need(df, ["Police Force"], path)
    years = [c for c in df.columns if str(c).startswith("Mid ")]
    long = df.melt(id_vars="Police Force", value_vars=years, var_name="y", value_name="p")
    f = forces.map_forces(long["Police Force"].str.strip(), source=str(path))
    return pd.DataFrame(
        {
            "force": f,
            "year": long["y"].str[4:].astype(int),
            "population": long["p"].astype(float) * 1000,
            "source": path.name,
        }
    )


@names_file
def read_pop_ons_tables(path: Path, sheet: str = "Table P9") -> pd.DataFrame:
    """Mid-year estimates from table P9 of the ONS PFA tables workbook (header row 'Area Code')."""
    raw = pd.read_excel(path, sheet_name=sheet, header=None, engine="calamine")
    hit = raw.index[raw.iloc[:, 0].astype(str).str.strip() == "Area Code"]
    if not len(hit):
        raise InputFormatError(f"{path} [{sheet}]: missing column(s) ['Area Code']")
    i = hit[0]
    cols = ["code", "name"] + [str(int(float(c))) for c in raw.iloc[i, 2:].dropna()]
    body = raw.iloc[i + 1 :, : len(cols)]
    body.columns = cols
    body = body[body["code"].astype(str).str.match(r"^(E23|W15)")]
    long = body.melt(id_vars=["code", "name"], var_name="year", value_name="population")
    return pd.DataFrame(
        {
            "force": _codes_to_forces(long["code"]),
            "year": long["year"].astype(int),
            "population": pd.to_numeric(long["population"]).astype(float),
            "source": f"{path.name} [{sheet}]",
        }
    )


@names_file
def read_pop_lad(lad_path: Path, lookup_path: Path) -> pd.DataFrame:
    """Sum local-authority mid-year estimates to forces via the CSP-to-force lookup."""
    lad = pd.read_csv(lad_path)
    _need(lad, ["code", "name", "year", "population"], lad_path)
    lk = pd.read_csv(lookup_path)
    _need(lk, ["CSP Name", "Force Name"], lookup_path)
    m = dict(zip(lk["CSP Name"].str.strip(), lk["Force Name"].str.strip(), strict=True))
    m.update(LAD_FORCE_EXTRA)
    name = lad["name"].str.replace("\xa0", " ").str.strip()
    raw_force = name.map(m)
    london = lad["code"].str.startswith("E09") & raw_force.isna()
    raw_force = raw_force.mask(london, "Metropolitan Police")
    if raw_force.isna().any():
        raise InputFormatError(
            f"{lad_path}: local authorities with no force: "
            f"{sorted(name[raw_force.isna()].unique())[:20]}"
        )
    lad = lad.assign(force=forces.map_forces(raw_force, source=str(lookup_path)))
    out = lad.groupby(["force", "year"], as_index=False)["population"].sum()
    out["population"] = out["population"].astype(float)
    out["source"] = f"{lad_path.name} (LA sum)"
    return out


LAD_GEOGRAPHIES = (
    "Unitary Authority",
    "Non-metropolitan District",
    "Metropolitan District",
    "London Borough",
)


@names_file
def read_pop_mye_lad(mye_path: Path, lookup_path: Path, sheet: str = "MYE4") -> pd.DataFrame:
    """ONS mid-2011..mid-2023 estimates (mid-2023 edition, rebased on the 2021 Census) summed
    from local authorities to force areas with the December 2023 LAD -> PFA lookup. Every LAD
    of the workbook must map to one force, and the 43 forces must sum to the England and
    Wales row in every year (else the file is refused, naming what failed)."""
    raw = pd.read_excel(mye_path, sheet_name=sheet, header=None, engine="calamine")
    hit = raw.index[raw.iloc[:, 0].astype(str).str.strip() == "Code"]
    if not len(hit):
        raise InputFormatError(f"{mye_path} [{sheet}]: missing column(s) ['Code']")
    i = hit[0]
    body = raw.iloc[i + 1 :].copy()
    body.columns = [str(c).strip() for c in raw.iloc[i]]
    _need(body, ["Code", "Name", "Geography"], mye_path)
    years = [c for c in body.columns if str(c).startswith("Mid-")]
    if not years:
        raise InputFormatError(f"{mye_path} [{sheet}]: no 'Mid-YYYY' columns")
    lk = pd.read_csv(lookup_path, dtype=str, encoding="utf-8-sig")
    _need(lk, ["LAD23CD", "PFA23CD"], lookup_path)
    pairs = lk[["LAD23CD", "PFA23CD"]].drop_duplicates()
    if pairs["LAD23CD"].duplicated().any():
        raise InputFormatError(f"{lookup_path}: local authorities in more than one force area")
    lad = body[body["Geography"].isin(LAD_GEOGRAPHIES)]
    m = lad.merge(pairs, left_on="Code", right_on="LAD23CD", how="left", validate="one_to_one")
    if m["PFA23CD"].isna().any():
        raise InputFormatError(
            f"{lookup_path}: local authorities of {mye_path.name} with no force area: "
            f"{sorted(m.loc[m['PFA23CD'].isna(), 'Name'])[:10]}"
        )
    long = m.melt(id_vars=["PFA23CD"], value_vars=years, var_name="y", value_name="p")
    long["p"] = pd.to_numeric(long["p"], errors="raise").astype(float)
    out = long.groupby(["PFA23CD", "y"], as_index=False)["p"].sum()
    ew = body[body["Code"] == forces.NATIONAL_CODE]
    if len(ew) == 1:
        tot = out.groupby("y")["p"].sum()
        ref = pd.to_numeric(ew[years].iloc[0]).astype(float)
        bad = (tot - ref.reindex(tot.index)).abs() > 0.5
        if bad.any():
            raise InputFormatError(
                f"{mye_path}: force-area sums differ from the England and Wales row in "
                f"{sorted(tot.index[bad])}"
            )
    return pd.DataFrame(
        {
            "force": _codes_to_forces(out["PFA23CD"]),
            "year": out["y"].str[4:].astype(int),
            "population": out["p"],
            "source": f"{mye_path.name} [{sheet}] (LA sum, 2021-Census-based)",
        }
    )


def build_population(raw: RawFiles | Path | str, return_pieces: bool = False):
    """One row per force (43) and mid-year 2001..2024: population, source, interpolated flag
    (``raw``: the verified registry files, or a folder holding them).

    With ``return_pieces`` also return every piece (for :func:`population_checks`)."""
    files = as_files(raw)
    d = files.root / "population"

    def f(name: str) -> Path:
        return files.path(f"population/{name}")

    mye = read_pop_mye_lad(
        f("ons-mye-ew-mid2011-to-mid2023-lad2023.xlsx"), f("lad23-csp23-pfa23-lookup-dec2023.csv")
    )
    pieces = [  # priority order
        read_pop_mid2024(f("pfa-population-mid2024.csv")),
        mye[mye["year"] >= REBASED_FROM],
        read_pop_mid2018(f("pfa-population-mid2018.csv")),
        read_pop_ons_tables(f("ons-pfa-tables-year-ending-march-2018.xlsx")),
        read_pop_thousands(f("pfa-population-mid2001-2010-thousands.csv")),
        read_pop_lad(f("lad-population-2001-2020.csv.gz"), f("csp-to-pfa-lookup.csv")),
        mye[mye["year"] < REBASED_FROM],  # for the vintage comparison only
    ]
    allp = pd.concat([p.assign(priority=i) for i, p in enumerate(pieces)], ignore_index=True)
    if allp["force"].isna().any():
        raise InputFormatError(f"{d}: population rows with unknown force codes")
    best = allp.sort_values(["force", "year", "priority"]).drop_duplicates(["force", "year"])
    years = range(2001, 2025)
    grid = pd.MultiIndex.from_product([forces.FORCES, years], names=["force", "year"]).to_frame(
        index=False
    )
    out = grid.merge(best[["force", "year", "population", "source"]], how="left")
    out["interpolated"] = out["population"].isna()
    out["population"] = out.groupby("force")["population"].transform(
        lambda s: s.interpolate(method="linear", limit_area="inside")
    )
    out.loc[out["interpolated"], "source"] = "linear interpolation between adjacent mid-years"
    out["population"] = np.round(out["population"], 0)
    out["force_code"] = out["force"].map(forces.FORCE_CODES)
    out = out[["force", "force_code", "year", "population", "source", "interpolated"]]
    out = schemas.validate(schemas.POPULATION, out.dropna(subset=["population"]), d)
    out = out.sort_values(["force", "year"]).reset_index(drop=True)
    return (out, allp) if return_pieces else out


def population_checks(pieces: pd.DataFrame) -> pd.DataFrame:
    """Where several pieces give the same force-year, their relative differences."""
    p = pieces.pivot_table(index=["force", "year"], columns="source", values="population")
    p = p[p.notna().sum(axis=1) > 1]
    rel = p.max(axis=1) / p.min(axis=1) - 1
    return rel.rename("max_rel_diff").reset_index()


def vintage_break(pieces: pd.DataFrame, year: int = 2018) -> pd.DataFrame:
    """Per force at ``year`` (the last year of the older vintages): the estimate used in the
    series (older vintage) against the 2021-Census-based one, and the relative difference
    (rebased / older - 1): the size of the step in the series at mid-2019."""
    pieces = pieces[pieces["year"] == year]
    rebased = pieces[pieces["source"].str.contains("2021-Census-based")]
    older = pieces[~pieces["source"].str.contains("2021-Census-based")]
    older = older.sort_values("priority").drop_duplicates("force")
    m = older[["force", "population", "source"]].merge(
        rebased[["force", "population"]], on="force", suffixes=("_older", "_rebased")
    )
    m["rel_diff"] = m["population_rebased"] / m["population_older"] - 1
    return (
        m.assign(year=year)[
            ["force", "year", "population_older", "source", "population_rebased", "rel_diff"]
        ]
        .sort_values("force")
        .reset_index(drop=True)
    )


# ---- panel rows ------------------------------------------------------------------------------
@step("population", order=40)
def population_step(b: Build) -> None:
    """The population table (offered as ``population``) and ``population_vintage``; the checks
    of its pieces go to the quality log."""
    pop, pieces = build_population(b.files, return_pieces=True)
    checks = population_checks(pieces)
    b.log.add(
        "consistency",
        "population: pieces overlapping on a force-year",
        "force-years differing by more than 1% (mostly 2001-2010: the LA file carries post-2011-census back-revised estimates; the force-area tables do not; City of London is small)",
        int((checks["max_rel_diff"] > 0.01).sum()),
    )
    b.log.add(
        "coverage gaps",
        "population",
        "mid-years interpolated (force-years)",
        int(pop["interpolated"].sum()),
    )
    brk = vintage_break(pieces)
    b.log.add(
        "consistency",
        "population: vintage break at mid-2019",
        "forces whose rebased (2021-Census-based) mid-2018 estimate differs from the older "
        f"vintage by more than 1% (largest {brk['rel_diff'].abs().max():.1%}, "
        f"{brk.loc[brk['rel_diff'].abs().idxmax(), 'force']}); see population_vintage.csv",
        int((brk["rel_diff"].abs() > 0.01).sum()),
    )
    b.offer("population", pop)
    b.add_table("population", pop)
    b.add_table("population_vintage", brk)


def build_population_rows(pop: pd.DataFrame, quarters: list[str]) -> pd.DataFrame:
    """Quarterly population rows: mid-year of the fiscal year's start (mid-2018 -> 2018/19)."""
    nat = pop.groupby("year", as_index=False).agg(
        population=("population", strict_sum), interpolated=("interpolated", "any")
    )
    nat["force"], nat["source"] = NAT, "sum of forces"
    p = pd.concat([pop, nat], ignore_index=True)
    qf = pd.DataFrame({"fiscal_quarter": quarters})
    qf["year"] = qf["fiscal_quarter"].str[:4].astype(int)
    m = qf.merge(p, on="year")
    r = panel_rows(m, "population", "population", POP.label)
    r["flag"] = np.where(m["interpolated"], "interpolated", "")
    r["note"] = "mid-" + m["year"].astype(str) + ": " + m["source"].astype(str)
    return r


@step("quarterly population rows", order=60, needs=("population", "recorded"))
def population_rows_step(b: Build) -> None:
    """Population rows for every quarter of the recorded-rape rows (offered as
    ``population rows``)."""
    quarters = sorted(b.need("recorded")["fiscal_quarter"].unique())
    rows = build_population_rows(b.need("population"), quarters)
    b.add_rows(rows)
    b.offer("population rows", rows)


@step("recorded rape per 100,000", order=70, needs=("recorded", "population rows"))
def recorded_per_100k_step(b: Build) -> None:
    """``recorded_rape_per_100k``: quarterly counts per 100,000 (not annualised), where the
    quarter has a population estimate."""
    recorded, poprows = b.need("recorded"), b.need("population rows")
    quarters = sorted(recorded["fiscal_quarter"].unique())
    r = recorded[recorded["measure"] == "recorded_rape"].merge(
        poprows[["fiscal_quarter", "force", "value", "flag"]],
        on=["fiscal_quarter", "force"],
        suffixes=("", "_pop"),
    )
    r["rate"] = 1e5 * r["value"] / r["value_pop"]
    no_pop = sorted(set(quarters) - set(poprows["fiscal_quarter"]))
    if no_pop:
        b.log.add(
            "coverage gaps",
            "recorded_rape_per_100k",
            f"quarters with no population estimate ({no_pop[0]} to {no_pop[-1]}): rate not built",
            len(no_pop),
        )
    rate = panel_rows(
        r,
        "recorded_rape_per_100k",
        "rate",
        PFA_2026.label + " / " + POP.label,
        "quarterly count per 100,000 (not annualised)",
    )
    rate["flag"] = np.where(r["flag_pop"] == "interpolated", "population_interpolated", "")
    b.add_rows(rate)
