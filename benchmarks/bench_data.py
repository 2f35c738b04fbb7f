"""Benchmarks for the data layer (``make bench``).

1. Time and peak memory to build the processed panel from ``data/raw`` (written to a temporary
   folder, so ``data/processed`` is untouched): Python allocations via tracemalloc, and the
   process's peak resident set size via resource.getrusage.
2. Time to read one workbook (the ONS PFA population tables) with python-calamine versus
   pandas' default engine (openpyxl), if openpyxl is installed.
3. Time and peak memory to parse the official outcomes workbooks (the reader of
   ``data/sources/homeoffice_official.py``, python-calamine rows streamed, the rape rows kept)
   on a generated full-size fixture: 12 workbooks in the documented layout, about 8.1 million
   data rows in all (as the July 2026 release: OFFICIAL-LAYOUT.md), written once into a
   temporary folder and kept there for the next run. It runs in a child process, so that its
   peak resident set size is its own; then the same frames are read back from the parquet
   cache. Target: under 3 minutes and 4 GB on two cores (printed MET or MISSED).

``--only panel|workbook|official`` runs one part.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
import tracemalloc
import zipfile
from pathlib import Path
from xml.sax.saxutils import escape

import pandas as pd
from _timing import best_of, print_rows

from rasso_research import paths
from rasso_research.data import forces, panel
from rasso_research.data.schemas import RAPE_CODES
from rasso_research.data.sources import homeoffice_official as official

WORKBOOK = "population/ons-pfa-tables-year-ending-march-2018.xlsx"

#: the official parsing targets (seconds, bytes of peak resident memory)
OFFICIAL_TARGET = (180.0, 4 * 10**9)
#: the generated fixture: 12 workbooks x 44 forces x 4 quarters x 175 offence codes (8 of
#: them rape) x 22 outcome types (0-22 but 19) = 8,131,200 data rows (the release has 8,108,584)
YEARS = range(2015, 2027)
CODES = [f"{n}{s}" for n in range(1, 100) for s in ("", "A")][:167] + list(RAPE_CODES)
TYPES = [t for t in range(23) if t != 19]
FIXTURE = Path(tempfile.gettempdir()) / "rasso-bench-official-v1"


def bench_panel(raw: Path) -> list[tuple[str, str, str]]:
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        tracemalloc.start()
        t0 = time.perf_counter()
        p = panel.build_panel(raw, Path(tmp), progress=False)
        dt = time.perf_counter() - t0
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        t1 = time.perf_counter()
        panel.build_panel(raw, Path(tmp), progress=False)
        dt_untraced = time.perf_counter() - t1
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux
    rows.append(
        (
            "build panel (traced)",
            f"{dt:.2f} s",
            f"{peak / 2**20:.0f} MiB peak (Python heap; excludes Arrow buffers)",
        )
    )
    rows.append(("build panel (untraced)", f"{dt_untraced:.2f} s", f"{rss_mb:.0f} MiB max RSS"))
    rows.append(("panel rows", f"{len(p):,}", ""))
    return rows


def bench_workbook(raw: Path) -> list[tuple[str, str, str]]:
    wb = raw / WORKBOOK
    if not wb.exists():
        return []
    rows = []
    t_cal = best_of(lambda: pd.read_excel(wb, sheet_name=None, engine="calamine"))
    rows.append((f"read {wb.name} (calamine)", f"{t_cal:.3f} s", "all sheets, best of 3"))
    try:
        import openpyxl  # noqa: F401  (imported here: only to say whether the comparison runs)

        t_def = best_of(lambda: pd.read_excel(wb, sheet_name=None, engine="openpyxl"))
        rows.append(
            (
                f"read {wb.name} (default/openpyxl)",
                f"{t_def:.3f} s",
                f"calamine {t_def / t_cal:.1f}x faster",
            )
        )
    except ImportError:
        rows.append(("default engine", "skipped", "openpyxl not installed"))
    return rows


# ---- the full-size official fixture ----------------------------------------------------------


def _column(i: int) -> str:
    s = ""
    i += 1
    while i:
        i, r = divmod(i - 1, 26)
        s = chr(65 + r) + s
    return s


def write_xlsx(path: Path, sheets: list[tuple[str, object]]) -> None:
    """A minimal .xlsx of ``(name, rows)`` sheets, streamed (openpyxl would take minutes for
    675,000 rows): strings in a shared-strings table, as Excel writes them."""
    strings: dict[str, int] = {}

    def cell(ref: str, v) -> str:
        if isinstance(v, str):
            return f'<c r="{ref}" t="s"><v>{strings.setdefault(v, len(strings))}</v></c>'
        return f'<c r="{ref}"><v>{v}</v></c>'

    ns = 'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'
    rel = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
    head = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    cols = [_column(j) for j in range(30)]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as z:
        for n, (_, rows) in enumerate(sheets, 1):
            with z.open(f"xl/worksheets/sheet{n}.xml", "w") as fh:
                fh.write(f"{head}<worksheet {ns}><sheetData>".encode())
                buf = []
                for r, row in enumerate(rows, 1):
                    cells = "".join(
                        cell(f"{cols[j]}{r}", v) for j, v in enumerate(row) if v not in (None, "")
                    )
                    buf.append(f'<row r="{r}">{cells}</row>')
                    if len(buf) == 10_000:
                        fh.write("".join(buf).encode())
                        buf = []
                fh.write(("".join(buf) + "</sheetData></worksheet>").encode())
        sst = "".join(f'<si><t xml:space="preserve">{escape(s)}</t></si>' for s in strings)
        z.writestr(
            "xl/sharedStrings.xml",
            f'{head}<sst {ns} count="{len(strings)}" uniqueCount="{len(strings)}">{sst}</sst>',
        )
        names = "".join(
            f'<sheet name="{escape(name)}" sheetId="{i}" r:id="rId{i}"/>'
            for i, (name, _) in enumerate(sheets, 1)
        )
        z.writestr(
            "xl/workbook.xml",
            f'{head}<workbook {ns} xmlns:r="{rel}"><sheets>{names}</sheets></workbook>',
        )
        links = [(f"worksheets/sheet{i}.xml", "worksheet") for i in range(1, len(sheets) + 1)]
        links.append(("sharedStrings.xml", "sharedStrings"))
        body = "".join(
            f'<Relationship Id="rId{i}" Type="{rel}/{kind}" Target="{target}"/>'
            for i, (target, kind) in enumerate(links, 1)
        )
        pkg = "http://schemas.openxmlformats.org/package/2006/relationships"
        z.writestr(
            "xl/_rels/workbook.xml.rels",
            f'{head}<Relationships xmlns="{pkg}">{body}</Relationships>',
        )
        z.writestr(
            "_rels/.rels",
            f'{head}<Relationships xmlns="{pkg}"><Relationship Id="rId1" '
            f'Type="{rel}/officeDocument" Target="xl/workbook.xml"/></Relationships>',
        )
        ct = "application/vnd.openxmlformats-officedocument.spreadsheetml"
        parts = [("/xl/workbook.xml", f"{ct}.sheet.main+xml")]
        parts += [
            (f"/xl/worksheets/sheet{i}.xml", f"{ct}.worksheet+xml")
            for i in range(1, len(sheets) + 1)
        ]
        parts.append(("/xl/sharedStrings.xml", f"{ct}.sharedStrings+xml"))
        over = "".join(f'<Override PartName="{p}" ContentType="{t}"/>' for p, t in parts)
        z.writestr(
            "[Content_Types].xml",
            f'{head}<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.'
            'relationships+xml"/><Default Extension="xml" ContentType="application/xml"/>'
            f"{over}</Types>",
        )


def _data_rows(year_end: int):
    """The data sheet of one generated workbook: a title block, the documented header (the
    long wording in even years), then every force x quarter x code x outcome type, with the
    documented quirks (expired codes, ``N/A`` for type 0's closure count, negative counts)."""
    fy = f"{year_end - 1}/{year_end % 100:02d}"
    yield [f"Police recorded crime outcomes open data, {fy}"]
    yield ["Source: Home Office"]
    yield []
    words = official.HEADER_WORDINGS
    yield [w[-1] if year_end % 2 == 0 else w[0] for w in words.values()]
    names = [f.replace("City of London", "London, City of") for f in forces.FORCES]
    names.append("British Transport Police")
    for force in names:
        for q in (1, 2, 3, 4):
            for k, code in enumerate(CODES):
                expired = "x" if k % 8 == 7 and not code.startswith("19") else None
                for t in TYPES:
                    n = (k * 7 + t * 3 + q) % 23 - (1 if t == 0 and k % 50 == 0 else 0)
                    cohort = "N/A - Offence code expired" if expired else n
                    closed = "N/A" if t == 0 else n + 1
                    yield [
                        fy,
                        q,
                        force,
                        code,
                        f"Offence {code} description",
                        "Offence group",
                        "Offence subgroup",
                        expired,
                        t,
                        f"Outcome {t}",
                        "Outcome group",
                        cohort,
                        closed,
                    ]


def official_fixture(folder: Path = FIXTURE) -> list[Path]:
    """The 12 generated workbooks (written once into ``folder``, kept for the next run)."""
    done = folder / "complete.json"
    files = [folder / f"prc-outcomes-open-data-mar{y}-tables-bench.xlsx" for y in YEARS]
    if done.exists() and all(f.exists() for f in files):
        return files
    folder.mkdir(parents=True, exist_ok=True)
    for y, f in zip(YEARS, files, strict=True):
        t0 = time.perf_counter()
        sheet = _sheet(y)
        tables = [("Cover_sheet", [["Cover"]]), ("Notes", [["Notes"]]), ("Pivot", [["Pivot"]])]
        write_xlsx(f, [*tables, (sheet, _data_rows(y))])
        print(f"[bench] generated {f.name} in {time.perf_counter() - t0:.0f} s", file=sys.stderr)
    done.write_text(json.dumps([f.name for f in files]))
    return files


def _sheet(year_end: int) -> str:
    a, b = year_end - 1, year_end % 100
    if year_end <= 2019:
        return f"Outcomes_open_data_{a}-{b:02d}"
    if year_end in (2022, 2025, 2026):
        return f"Outcomes open data {a}_{b:02d}"
    return f"Outcomes_open_data_{a}_{b:02d}"


def parse_official(files: list[Path]) -> dict:
    """Parse every workbook through the cache (a fresh cache: every file is parsed and
    cached), then read them all back from the cache; the timings, rows and peak RSS."""
    out = {"rows_read": 0, "rows_kept": 0, "parse_s": [], "cache_s": 0.0}
    with tempfile.TemporaryDirectory() as cache:
        for f in files:
            t0 = time.perf_counter()
            df, hit = official.read_official_cached(f, "0" * 64, cache)
            out["parse_s"].append(time.perf_counter() - t0)
            out["rows_read"] += df.attrs["rows"]["read"]
            out["rows_kept"] += len(df)
        t0 = time.perf_counter()
        assert all(official.read_official_cached(f, "0" * 64, cache)[1] for f in files)
        out["cache_s"] = time.perf_counter() - t0
    out["max_rss"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    return out


def bench_official() -> list[tuple[str, str, str]]:
    files = official_fixture()
    size = sum(f.stat().st_size for f in files) / 2**20
    child = subprocess.run(
        [sys.executable, __file__, "--official-child", *map(str, files)],
        capture_output=True,
        text=True,
        check=True,
    )
    r = json.loads(child.stdout.splitlines()[-1])
    total, rss = sum(r["parse_s"]), r["max_rss"]
    verdict = "MET" if total < OFFICIAL_TARGET[0] and rss < OFFICIAL_TARGET[1] else "MISSED"
    return [
        (
            f"parse {len(files)} official workbooks",
            f"{total:.1f} s",
            f"{r['rows_read']:,} rows ({size:.0f} MiB of xlsx), {r['rows_kept']:,} rape rows kept; "
            f"slowest file {max(r['parse_s']):.1f} s",
        ),
        ("  peak memory (child process)", f"{rss / 2**30:.2f} GiB", "max resident set size"),
        ("  read back from the parquet cache", f"{r['cache_s']:.2f} s", "all 12, keyed by sha256"),
        (
            "  target: < 3 min and < 4 GB",
            verdict,
            f"{total:.0f} s of 180 s, {rss / 10**9:.2f} GB of 4 GB, on this machine's cores",
        ),
    ]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--only", choices=["panel", "workbook", "official"])
    ap.add_argument("--official-child", nargs="+", help=argparse.SUPPRESS)
    a = ap.parse_args(argv)
    if a.official_child:
        print(json.dumps(parse_official([Path(f) for f in a.official_child])))
        return 0
    raw = paths.DATA_RAW
    if a.only in (None, "panel", "workbook") and not (raw / ".fetched").exists():
        print(
            "data/raw not fetched: run `python -m rasso_research.data.fetch` first", file=sys.stderr
        )
        return 1
    rows = []
    if a.only in (None, "panel"):
        rows += bench_panel(raw)
    if a.only in (None, "workbook"):
        rows += bench_workbook(raw)
    if a.only in (None, "official"):
        rows += bench_official()
    print_rows(rows)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
