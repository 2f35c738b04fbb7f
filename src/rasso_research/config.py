"""The config tables' schemas (pandera, as the data's): a missing column, a value of the
wrong kind or a repeated id in ``config/interventions.csv`` or ``config/claims.csv`` is an
error naming the file, the row and the column, with "did you mean" for a misspelt column.

A table that passed is remembered by a hash of its content, this module's source and
pandera's version (``results/cache/config-passed/``): later reads of the same content skip
pandera, whose import costs 0.3 CPU-s in every notebook kernel and command-line call. Any
change to the file, the schemas or pandera checks it again.
"""

from __future__ import annotations

import difflib
import functools
import hashlib
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from rasso_research import paths
from rasso_research.errors import ProjectError

if TYPE_CHECKING:
    from pandera.pandas import DataFrameSchema

QUARTER = r"^(\d{4}Q[1-4])?$"
#: where the content hashes of tables that passed are kept (one empty file each)
PASSED = paths.RESULTS / "cache" / "config-passed"
_NAMES = ("INTERVENTIONS", "CLAIMS")


@functools.cache
def _schemas() -> dict:
    import pandera.pandas as pa

    INTERVENTIONS = pa.DataFrameSchema(
        {
            "id": pa.Column(str, pa.Check.str_matches(r"^[a-z0-9_]+$"), unique=True),
            "event": pa.Column(str, pa.Check.str_length(min_value=1)),
            "date": pa.Column(str),
            "end_date": pa.Column(str),
            "precision": pa.Column(str),
            "quarter": pa.Column(str, pa.Check.str_matches(r"^\d{4}Q[1-4]$")),
            "fiscal_quarter": pa.Column(str),
            "scope": pa.Column(str, pa.Check.str_length(min_value=1)),
            "source_url": pa.Column(str),
            "verified": pa.Column(str),
            "notes": pa.Column(str),
            "short": pa.Column(str),
            # required although often blank: without the column every event would silently be
            # modelled at the quarter it falls in (the Rape Review at 2021Q2, R v Allan at 2017Q4)
            "model_quarter": pa.Column(str, pa.Check.str_matches(QUARTER)),
        },
        strict=True,
    )

    CLAIMS = pa.DataFrameSchema(
        {
            "id": pa.Column(str, pa.Check.str_matches(r"^\d+[a-z]$"), unique=True),
            "claim": pa.Column(str, pa.Check.str_length(min_value=1)),
            "who": pa.Column(str),
            "date": pa.Column(str),
            "measure": pa.Column(str),
            "periods": pa.Column(str),
            "reading": pa.Column(str, pa.Check.str_length(min_value=1)),
            "published_value": pa.Column(str, pa.Check.str_matches(r"^(-?[0-9.]+(e-?\d+)?)?$")),
            "unit": pa.Column(str, pa.Check.str_length(min_value=1)),
            "kind": pa.Column(str),
            "tolerance": pa.Column(str, pa.Check.str_matches(r"^[0-9.]+(e-?\d+)?$")),
            "tolerance_note": pa.Column(str),
            "not_comparable": pa.Column(str, required=False),
        },
        strict=True,
    )
    return {"INTERVENTIONS": INTERVENTIONS, "CLAIMS": CLAIMS}


def __getattr__(name: str):
    if name in _NAMES:
        return _schemas()[name]
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


@functools.cache
def _salt() -> bytes:
    return Path(__file__).read_bytes() + metadata.version("pandera").encode()


def _passed(df: pd.DataFrame, name: str) -> Path:
    h = hashlib.sha256(_salt() + name.encode() + df.to_csv(index=False).encode())
    return PASSED / h.hexdigest()


def check(df: pd.DataFrame, schema: str | DataFrameSchema, path: Path | str) -> pd.DataFrame:
    """``df`` (read with ``dtype=str``) checked against ``schema`` (one of this module's, by
    name or object); else a one-line :class:`ProjectError` naming ``path``, the column and the
    first failing row (CSV line). Content that passed before is not checked again."""
    path = Path(path)
    if isinstance(schema, str):
        name = schema
    else:
        name = next((k for k, v in _schemas().items() if v is schema), None)
    stamp = _passed(df, name) if name else None
    if stamp is not None and stamp.exists():
        return df
    import pandera.pandas as pa

    schema = _schemas()[name] if isinstance(schema, str) else schema
    wanted = [c for c, col in schema.columns.items() if col.required]
    missing = [c for c in wanted if c not in df.columns]
    extra = [c for c in df.columns if c not in schema.columns]
    if missing or extra:
        hints = []
        for c in missing:
            close = difflib.get_close_matches(c, extra, n=1, cutoff=0.6)
            hints.append(f"{c!r}" + (f" (did you mean {close[0]!r}?)" if close else ""))
        what = []
        if missing:
            what.append(f"missing column(s) {', '.join(hints)}")
        if extra:
            what.append(f"unknown column(s) {', '.join(map(repr, extra))}")
        raise ProjectError(path, "; ".join(what), f"the columns are: {', '.join(schema.columns)}")
    try:
        out = schema.validate(df, lazy=True)
    except pa.errors.SchemaErrors as exc:
        f = exc.failure_cases.iloc[0]
        line = f"line {int(f['index']) + 2}, " if pd.notna(f["index"]) else ""
        raise ProjectError(
            path,
            f"{line}column {f['column']!r}: {f['failure_case']!r} fails {f['check']}",
            f"{len(exc.failure_cases)} problem(s) in all; fix the row",
        ) from None
    if stamp is not None:
        try:
            stamp.parent.mkdir(parents=True, exist_ok=True)
            stamp.touch()
        except OSError:  # a read-only checkout: check every time
            pass
    return out
