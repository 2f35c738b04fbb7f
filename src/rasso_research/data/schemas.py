"""Pandera schemas for the tidy frames the readers return, and a column-check helper."""

from __future__ import annotations

import functools
import gzip
import zlib
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from rasso_research.errors import ProjectError

if TYPE_CHECKING:
    from pandera.pandas import DataFrameSchema

RAPE_CODES = ("19C", "19D", "19E", "19F", "19G", "19H", "19J", "19K")
#: rape of a female / male aged 16 and over (the Home Office code list's descriptions)
RAPE_ADULT_CODES = ("19C", "19F")
#: rape of a female / male child under 16 and under 13
RAPE_CHILD_CODES = ("19D", "19E", "19G", "19H")
# 19J/19K ("Rape of a Female/Male - Multiple Undefined Offenders", from 2019/20) name no age in
# the code list, so they count in all rape but in neither the adult nor the child codes.


class InputFormatError(ValueError):
    """A raw file does not have the expected layout (names the file and what is missing)."""


class DuplicateKeyError(ProjectError, InputFormatError):
    """Two rows of a source share the key that should identify one."""


def refuse_duplicates(df: pd.DataFrame, keys: list[str], path: Path | str) -> None:
    """Raise :class:`DuplicateKeyError` when rows of ``df`` share ``keys``: a repeated row is
    never summed. The error names the file, the first two such rows by their CSV line (the
    row index + 2, the reader's index being the file's row order) and the key."""
    dup = df.duplicated(keys, keep=False)
    if not dup.any():
        return
    first = df[dup].iloc[0]
    same = df[dup & (df[keys] == first[keys]).all(axis=1)]
    csv = ".csv" in Path(path).name.lower()
    where = [str(i + 2 if csv else i + 1) if isinstance(i, int) else str(i) for i in same.index[:2]]
    key = ", ".join(f"{k}={first[k]}" for k in keys)
    raise DuplicateKeyError(
        Path(path),
        f"{'lines' if csv else 'rows'} {' and '.join(where)} share the key {key} ({int(dup.sum())} rows share "
        "a key in all; a repeated row would be summed)",
        "a damaged file or an edition with repeated rows: `make fetch` restores the registered "
        "copy; a new edition needs one row per key before it is registered",
    )


#: errors of a file that cannot be parsed at all (truncated gzip, bad encoding, broken CSV)
_UNREADABLE = (
    EOFError,
    UnicodeDecodeError,
    zlib.error,
    gzip.BadGzipFile,
    pd.errors.ParserError,
    pd.errors.EmptyDataError,
)


def names_file(reader):
    """Decorate a reader whose first argument is a path, so that a file that cannot be parsed
    raises :class:`InputFormatError` naming the file (not a bare ``EOFError``)."""

    @functools.wraps(reader)
    def wrapped(path, *args, **kwargs):
        try:
            return reader(path, *args, **kwargs)
        except InputFormatError:
            raise
        except _UNREADABLE as exc:
            raise InputFormatError(
                f"{path}: cannot be read ({type(exc).__name__}: {exc}); the file is damaged or "
                "truncated: `make fetch` restores a verified copy"
            ) from exc
        except ValueError as exc:
            if type(exc).__module__.startswith("pyarrow"):
                raise InputFormatError(f"{path}: cannot be read ({exc})") from exc
            raise

    return wrapped


def standardise_columns(
    df: pd.DataFrame, aliases: Mapping[str, str], required: Iterable[str], path: Path | str
) -> pd.DataFrame:
    """Rename columns via ``aliases`` (case/space-insensitive) and check ``required`` exist."""
    norm = {" ".join(str(k).lower().replace("_", " ").split()): v for k, v in aliases.items()}
    rename = {}
    for c in df.columns:
        key = " ".join(str(c).lstrip("\ufeff").lower().replace("_", " ").split())
        if key in norm:
            rename[c] = norm[key]
    out = df.rename(columns=rename)
    missing = [c for c in required if c not in out.columns]
    if missing:
        raise InputFormatError(
            f"{path}: missing column(s) {missing}; found {list(map(str, df.columns))}"
        )
    return out


def to_number(s: pd.Series) -> pd.Series:
    """Parse counts written as '1,234', ' 12 ', ' -00' (zero), '..'/'N/A ...' (missing)."""
    if pd.api.types.is_numeric_dtype(s):
        return s.astype("float64")
    t = s.astype("string").str.strip().str.replace(",", "", regex=False)
    t = t.str.replace(r"^-0+$", "0", regex=True).str.rstrip("%")
    return pd.to_numeric(t, errors="coerce").astype("float64")


def note(notes: list, path: Path | str, reason: str, rows: int, kind: str = "dropped") -> None:
    """Record a loss in cleaning (nothing is lost silently): ``kind`` is ``dropped`` (rows
    removed), ``missing`` (values set to missing) or ``caveat`` (rows kept with a caveat).
    Readers return the list in ``df.attrs["dropped"]``; the panel writes it to data_quality.md."""
    if rows:
        notes.append({"file": Path(path).name, "reason": reason, "rows": int(rows), "kind": kind})


def parse_counts(df: pd.DataFrame, col: str, path: Path | str, notes: list) -> pd.Series:
    """:func:`to_number` on ``df[col]``, noting every blank or non-numeric cell set to missing."""
    text = df[col].astype("string").str.strip()
    num = to_number(df[col])
    blank = text.isna() | (text == "")
    note(notes, path, f"{col}: blank in source, kept as missing", int(blank.sum()), "missing")
    bad = num.isna() & ~blank
    if bad.any():
        eg = "; ".join(repr(v) for v in sorted(text[bad].unique())[:3])
        reason = f"{col}: non-numeric value set to missing (e.g. {eg})"
        note(notes, path, reason, int(bad.sum()), "missing")
    return num


def __getattr__(name: str):
    """The schemas, from :mod:`.frame_schemas` on first use (pandera's import: 0.3 CPU-s)."""
    if name.isupper():
        from rasso_research.data import frame_schemas

        if hasattr(frame_schemas, name):
            return getattr(frame_schemas, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def validate(schema: DataFrameSchema, df: pd.DataFrame, path: Path | str) -> pd.DataFrame:
    """Validate ``df``; re-raise pandera errors as :class:`InputFormatError` naming the file."""
    import pandera.pandas as pa

    try:
        return schema.validate(df, lazy=True)
    except (pa.errors.SchemaErrors, pa.errors.SchemaError) as exc:
        raise InputFormatError(f"{path}: failed validation:\n{exc}") from exc
