"""Build the processed quarterly panel and side tables from ``data/raw``.

Outputs (``data/processed``): ``panel.parquet``/``panel.csv`` (long: fiscal_quarter, quarter,
geography, force, force_code, measure, value, source, flag, note; ``geography`` is ``national``,
``force`` or ``cps_area`` and ``force`` holds the area's name), the side tables the steps make
(``cps_rape_national.parquet``/``.csv``, ``moj_rape_sentenced.csv``, ``moj_rape_timeliness.csv``,
``moj_prosecution_times_2018_by_offence.csv``, ``cps_rape_west_midlands.csv``,
``population.csv``, ``population_vintage.csv``, ``force_year.parquet``/``.csv``,
``btp_share.csv``, ``recorded_rape_revision.csv``, ``outcomes_revision.csv``) and
``data_quality.md``/``.csv``. Run ``python -m rasso_research.data.panel``.

The build, in order:

1. every registry file is checked against its checksum (:func:`rasso_research.data.fetch.verify`);
2. the steps registered by the modules of :mod:`rasso_research.data.sources` (each module is
   imported, found with :mod:`pkgutil`) run by increasing ``order`` number, each adding panel
   rows, side tables and frames later steps declare they need (:mod:`rasso_research.data.build`).
   ``python -m rasso_research.data.panel --steps`` lists them. The numbers: 10-30 the quarterly
   police and CPS rows, 40-50 population and the annual tables that use it, 60-70 rows derived
   from earlier rows (population by quarter, rates per 100,000), 80-100 side tables only;
3. the rows are finalised (quarter, geography, force code, schema) and every source's
   :class:`~rasso_research.data.catalog.Coverage` is checked (:func:`check_coverage`);
4. the outputs are written to a temporary folder and moved into place, ``panel.parquet`` last.

A new source is a module of :mod:`rasso_research.data.sources` declaring its ``SOURCES`` and
registering its step(s): nothing here changes.
"""

from __future__ import annotations

import argparse
import os
import shutil
import tempfile
from collections.abc import Iterable
from pathlib import Path

import numpy as np
import pandas as pd

from rasso_research import paths, periods
from rasso_research.data import build, catalog, fetch, forces, schemas
from rasso_research.data.build import NAT, Build, Step, Table
from rasso_research.data.catalog import Source
from rasso_research.data.quality import QualityLog, write_quality
from rasso_research.data.rawfiles import RawFiles

PANEL_COLUMNS = [
    "fiscal_quarter",
    "quarter",
    "geography",
    "force",
    "force_code",
    "measure",
    "value",
    "source",
    "flag",
    "note",
]


def steps() -> list[Step]:
    """The build steps of every source module, in the order they run (by ``order``)."""
    modules = {m.__name__ for m in catalog.source_modules()}  # importing registers the steps
    out = sorted(
        (s for s in build.STEPS.values() if s.run.__module__ in modules), key=lambda s: s.order
    )
    for a, b in zip(out, out[1:], strict=False):
        if a.order == b.order:
            raise ValueError(f"build steps {a.name!r} and {b.name!r} share the order {a.order}")
    return out


def check_coverage(panel: pd.DataFrame, sources: Iterable[Source] | None = None) -> None:
    """Every source with a :class:`~rasso_research.data.catalog.Coverage` (default: every
    source of the catalog) has its main measure for the expected number of areas, each with
    every quarter from the first to the last; else an ``InputFormatError`` names the file and
    what is missing."""
    sources = catalog.sources().values() if sources is None else sources
    for s in sources:
        c = s.coverage
        if c is None:
            continue
        d = panel[(panel["source"] == s.label) & (panel["measure"] == c.measure)]
        # the file's areas (not the CPS Area sums made from them); a value set to missing by
        # a documented rule (flagged) is a row the file has
        geo = d["geography"] if "geography" in d else pd.Series("force", index=d.index)
        flagged = (d["flag"] != "") if "flag" in d else pd.Series(False, index=d.index)
        d = d[(geo != "cps_area") & (d["value"].notna() | flagged)]
        want = set(range(periods.fiscal_index(c.first), periods.fiscal_index(c.last) + 1))
        where = f"{s.where}: {c.measure}"
        if d["force"].nunique() != c.n_areas:
            raise schemas.InputFormatError(
                f"{where} has {d['force'].nunique()} areas, expected {c.n_areas} (incomplete or "
                "wrong file; `make fetch` restores the registered one)"
            )
        for area, g in d.groupby("force"):
            have = {periods.fiscal_index(q) for q in g["fiscal_quarter"]}
            gap = sorted(want - have)
            if gap:
                raise schemas.InputFormatError(
                    f"{where} for {area} lacks {len(gap)} of the {len(want)} quarters "
                    f"{c.first}-{c.last} (first missing: {periods.fiscal_label(gap[0])}); the "
                    "file is incomplete (`make fetch` restores the registered one)"
                )


def _finalise(panel: pd.DataFrame) -> pd.DataFrame:
    panel = panel.copy()
    panel["quarter"] = panel["fiscal_quarter"].map(
        {q: periods.fiscal_to_calendar(q) for q in panel["fiscal_quarter"].unique()}
    )
    derived = pd.Series(np.where(panel["force"] == NAT, "national", "force"), index=panel.index)
    given = panel["geography"] if "geography" in panel else pd.Series(None, index=panel.index)
    panel["geography"] = given.fillna(derived)
    is_area = panel["geography"] == "cps_area"  # CPS Areas have no police force area code
    panel["force_code"] = ""
    panel.loc[~is_area, "force_code"] = panel.loc[~is_area, "force"].map(forces.force_code)
    panel["value"] = panel["value"].astype(float).round(6)
    for c in ("flag", "note", "source"):
        panel[c] = panel[c].fillna("").astype(str)
    panel = panel[PANEL_COLUMNS]
    dup = panel.duplicated(["fiscal_quarter", "geography", "force", "measure", "source"])
    if dup.any():
        raise AssertionError(f"duplicate panel keys: {panel[dup].head()}")
    panel = panel.sort_values(["measure", "force", "fiscal_quarter", "source"]).reset_index(
        drop=True
    )
    return schemas.validate(schemas.PANEL, panel, "panel")


def coverage(panel: pd.DataFrame) -> pd.DataFrame:
    """Coverage per measure and source: forces, national total, CPS Areas, first/last quarter,
    rows, missing values."""
    g = panel.assign(
        area=panel["force"].where(panel["geography"] == "force"),
        cps_area=panel["force"].where(panel["geography"] == "cps_area"),
    ).groupby(["measure", "source"])
    cov = g.agg(
        forces=("area", "nunique"),
        national=("force", lambda s: bool((s == NAT).any())),
        cps_areas=("cps_area", "nunique"),
        first_quarter=("fiscal_quarter", "min"),
        last_quarter=("fiscal_quarter", "max"),
        n=("value", "size"),
        n_missing=("value", lambda v: int(v.isna().sum())),
    )
    return cov.reset_index()


#: the prefix of a build's temporary output folder (``.building-<pid>-<random>``)
BUILDING = ".building-"


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def sweep_building(out: Path) -> list[Path]:
    """Remove the temporary folders left in ``out`` by builds that were killed (their process
    is gone, or the folder names none); return them."""
    gone = []
    for p in sorted(Path(out).glob(f"{BUILDING}*")) if Path(out).is_dir() else []:
        pid = p.name[len(BUILDING) :].split("-")[0]
        if not (pid.isdigit() and _alive(int(pid)) and int(pid) != os.getpid()):
            shutil.rmtree(p, ignore_errors=True)
            gone.append(p)
    return gone


def build_panel(
    raw_dir: Path | str | None = None,
    out_dir: Path | str | None = None,
    progress: bool = True,
    write: bool = True,
    registry: Path | str | None = None,
) -> pd.DataFrame:
    """Build the panel (and side tables when ``write``); return the panel DataFrame.

    Every registry file is checked against its checksum first (a missing or changed file stops
    the build naming it). The steps of :func:`steps` run in order (those that only make side
    tables are skipped when not ``write``); the rows are finalised and checked against every
    source's coverage. The outputs are written to a temporary folder and moved into
    ``out_dir`` only when all are written, ``panel.parquet`` last, so a failed build never
    leaves a partial set that looks complete. A step may cache parsed inputs in
    ``out_dir/cache`` (the official outcomes workbooks, keyed by their sha256)."""
    out = Path(out_dir) if out_dir else paths.DATA_PROCESSED
    sweep_building(out)
    files = RawFiles.open(raw_dir, registry)
    b = Build(files, QualityLog(progress), out / "cache")
    for s in steps():
        if write or not s.write_only:
            b.run(s)
    panel = _finalise(pd.concat(b.parts, ignore_index=True))
    check_coverage(panel)
    cov = coverage(panel)
    if write:
        out.mkdir(parents=True, exist_ok=True)
        b.log.say(f"writing {out}")
        final, out = out, Path(tempfile.mkdtemp(prefix=f"{BUILDING}{os.getpid()}-", dir=out))
        try:
            _write_outputs(out, b.log, panel, b.tables, cov)
        except BaseException:
            shutil.rmtree(out, ignore_errors=True)
            raise
        _move_into_place(out, final)
    b.log.say(f"done: {len(panel):,} panel rows")
    return panel


def _write_outputs(
    out: Path, log: QualityLog, panel: pd.DataFrame, tables: dict[str, Table], cov: pd.DataFrame
) -> None:
    """Write the panel, every side table and the quality report into folder ``out``."""
    _write_csv_parquet(panel, out, "panel")
    for name, t in tables.items():
        if t.parquet:
            _write_csv_parquet(t.frame, out, name)
        else:
            _write_csv(t.frame, out, name)
    write_quality(log, cov, out)


def _write_csv(df: pd.DataFrame, out: Path, name: str) -> None:
    df.to_csv(out / f"{name}.csv", index=False, float_format="%.10g", lineterminator="\n")


def _write_csv_parquet(df: pd.DataFrame, out: Path, name: str) -> None:
    df.to_parquet(out / f"{name}.parquet", index=False)
    _write_csv(df, out, name)


def _move_into_place(tmp: Path, out: Path) -> None:
    """Move every file written to ``tmp`` into ``out``, ``panel.parquet`` (the make target)
    last, then remove ``tmp``."""
    names = sorted(p.name for p in tmp.iterdir())
    for name in sorted(names, key=lambda n: n == "panel.parquet"):
        os.replace(tmp / name, out / name)
    tmp.rmdir()


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description="Build data/processed from data/raw")
    ap.add_argument("--raw", default=None)
    ap.add_argument("--out", default=None)
    ap.add_argument("--quiet", action="store_true")
    ap.add_argument("--steps", action="store_true", help="list the build steps in order and exit")
    a = ap.parse_args(argv)
    if a.steps:
        for s in steps():
            needs = f" (needs {', '.join(s.needs)})" if s.needs else ""
            print(f"{s.order:>4}  {s.name}  [{s.run.__module__}]{needs}")
        return 0
    try:
        build_panel(a.raw, a.out, progress=not a.quiet)
    except Exception as exc:
        return fetch.fail(exc)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
