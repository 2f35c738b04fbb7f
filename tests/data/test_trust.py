"""No read skips a checksum: the faults of the trust review, each a fixture that must stop
the reader with one line naming the file and the fix."""

from __future__ import annotations

import gzip
import os
import shutil

import pandas as pd
import pytest

from rasso_research.data import fetch, panel, schemas
from rasso_research.data.rawfiles import (
    RawFiles,
    TruncatedInputError,
    UnregisteredInputError,
    check_rows,
    verified_path,
)
from rasso_research.errors import one_line


def _raw(tmp_path, files: dict[str, bytes], required: str = "yes"):
    raw = tmp_path / "raw"
    rows = []
    for name, data in files.items():
        p = raw / name
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_bytes(data)
        rows.append(
            {
                "name": name,
                "sha256": fetch.sha256sum(p),
                "size": len(data),
                "url": "",
                "publisher": "",
                "licence": "",
                "description": "",
                "required": required,
            }
        )
    pd.DataFrame(rows, columns=fetch.REGISTRY_COLUMNS).to_csv(raw / "registry.csv", index=False)
    return raw


def _drop_row(raw, name):
    reg = pd.read_csv(raw / "registry.csv", dtype=str, keep_default_na=False)
    reg[reg["name"] != name].to_csv(raw / "registry.csv", index=False)


def test_a_file_whose_registry_row_is_removed_is_not_read(tmp_path):
    """The West Midlands population fault: the row removed, the file edited, still read."""
    name = "population/pfa-population-mid2024.csv"
    raw = _raw(tmp_path, {name: b"code,name,pop\nE23000014,West Midlands,2919600\n"})
    assert RawFiles.open(raw).path(name) == raw / name
    _drop_row(raw, name)
    (raw / name).write_bytes(b"code,name,pop\nE23000014,West Midlands,5839200\n")
    with pytest.raises(UnregisteredInputError) as e:
        RawFiles.open(raw)
    assert one_line(e.value).startswith(f"{raw / name}: not a file of data/raw/registry.csv")
    assert "tools/make_registry.py" in str(e.value)


def test_a_copy_under_an_official_release_name_is_hashed(tmp_path):
    """A file copied into homeoffice/official/ under a registered name is verified like any."""
    name = "homeoffice/official/prc-outcomes-open-data-mar2026-tables-230726.xlsx"
    raw = _raw(tmp_path, {name: b"the registered workbook"}, required="no")
    (raw / name).write_bytes(b"another workbook under its name")
    with pytest.raises(fetch.ChecksumError, match="mar2026-tables-230726.xlsx: sha256"):
        RawFiles.open(raw)
    (raw / name).unlink()
    (raw / "homeoffice/official/prc-outcomes-open-data-mar2027.xlsx").write_bytes(b"x")
    with pytest.raises(UnregisteredInputError, match="mar2027.xlsx: not a file of"):
        RawFiles.open(raw)


def test_a_name_outside_the_registry_cannot_be_opened(tmp_path):
    raw = _raw(tmp_path, {"a.csv": b"x\n1\n"})
    files = RawFiles.open(raw)
    with pytest.raises(UnregisteredInputError, match=r"b\.csv: not in data/raw/registry.csv"):
        files.path("b.csv")


def test_validation_data_is_hashed_when_read(tmp_path):
    """Notebook 00's fault: a byte changed with the mtime kept changed the validation figure."""
    name = "validation/sicily.csv"
    raw = _raw(tmp_path, {name: b"year,aces\n2002,728\n"})
    assert verified_path(name, raw) == raw / name
    st = (raw / name).stat()
    (raw / name).write_bytes(b"year,aces\n2002,729\n")
    os.utime(raw / name, ns=(st.st_atime_ns, st.st_mtime_ns))
    with pytest.raises(fetch.ChecksumError, match=r"sicily.csv: sha256 .* but the registry"):
        verified_path(name, raw)


@pytest.mark.parametrize(
    "text, line",
    [
        (b"a,b,c\n1,2,3\n4,5", 3),  # cut mid-row, no quotes
        (b'a,b,c\n"x, y",2,3\n"z",5', 3),  # cut mid-row, quoted fields
        (b"a;b;c\n1;2;3\n4;5\n", 3),  # ';'-separated
    ],
)
def test_a_row_cut_short_names_the_file_and_line(tmp_path, text, line):
    p = tmp_path / "edition.csv"
    p.write_bytes(text)
    with pytest.raises(TruncatedInputError, match=rf"edition.csv: line {line} has 2 fields"):
        check_rows(p)
    g = tmp_path / "edition.csv.gz"
    g.write_bytes(gzip.compress(text))
    with pytest.raises(TruncatedInputError, match=rf"line {line}"):
        check_rows(g)
    g.write_bytes(gzip.compress(text)[:-12])  # the gzip stream itself cut short
    with pytest.raises(TruncatedInputError, match="not a whole gzip file"):
        check_rows(g)


def test_a_registered_edition_cut_mid_row_stops_the_reader(tmp_path):
    """Behind the checksum: a registered (re-hashed) file cut mid-row still stops the build."""
    raw = _raw(tmp_path, {"moj/x.csv": b"year,days\n2016,100\n2017,1"})
    raw2 = _raw(tmp_path / "b", {"moj/x.csv": b"year,days\n2016,100\n2017"})
    assert RawFiles.open(raw).path("moj/x.csv")  # same field count: a value, not a row, cut
    with pytest.raises(TruncatedInputError, match="line 3 has 1 fields where the header has 2"):
        RawFiles.open(raw2).path("moj/x.csv")
    assert schemas.InputFormatError in TruncatedInputError.__mro__


def test_a_repeated_key_is_an_error_not_a_sum(tmp_path):
    df = pd.DataFrame({"q": ["2018/19 Q1", "2018/19 Q2", "2018/19 Q1"], "v": [1, 2, 1]})
    with pytest.raises(schemas.DuplicateKeyError) as e:
        schemas.refuse_duplicates(df, ["q"], tmp_path / "new-edition.csv")
    msg = one_line(e.value)
    assert "new-edition.csv: lines 2 and 4 share the key q=2018/19 Q1" in msg
    assert "`make fetch` restores the registered copy" in msg


def test_killed_builds_leave_no_folder_behind(tmp_path):
    out = tmp_path / "processed"
    out.mkdir()
    dead = out / ".building-999999999-abc"  # no such process
    dead.mkdir()
    (dead / "panel.csv").write_text("half")
    alive = out / f".building-{os.getppid()}-xyz"
    alive.mkdir()
    assert panel.sweep_building(out) == [dead]
    assert not dead.exists() and alive.exists()
    shutil.rmtree(alive)
