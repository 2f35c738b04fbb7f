"""The raw files a build may open: the registry's, each verified in the same build.

:meth:`RawFiles.open` reads ``data/raw/registry.csv``, hashes every registered file present
(:func:`rasso_research.data.fetch.verify`: a changed file or a missing required one stops it)
and refuses any file under ``data/raw`` that the registry does not list, naming it and the
fix. Readers then get their paths only from :meth:`RawFiles.path` (a registered, verified
file; a CSV's rows are also checked for a row cut short on first use) or list a folder's
registered files with :meth:`RawFiles.names`: no reader globs a folder or builds a path to
``data/raw`` itself, so no read skips a checksum.
"""

from __future__ import annotations

import csv
import gzip
import io
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from rasso_research import paths
from rasso_research.data import fetch
from rasso_research.data.schemas import InputFormatError
from rasso_research.errors import ProjectError

#: files of ``data/raw`` that are not inputs (the registry itself, its README, the fetch stamp)
NOT_INPUTS = {"registry.csv", "README.md", fetch.STAMP}


class UnregisteredInputError(ProjectError, InputFormatError):
    """A file under ``data/raw`` (or a name asked for) that the registry does not list."""


class TruncatedInputError(ProjectError, InputFormatError):
    """A CSV row with fewer or more fields than its header (a file cut short or damaged)."""


@dataclass
class RawFiles:
    """The registry's files in ``root``: ``expected`` (name -> sha256 of every registry row)
    and ``verified`` (name -> sha256 of the files present, hashed by :meth:`open`)."""

    root: Path
    expected: Mapping[str, str]
    verified: Mapping[str, str]
    _checked: set[str] = field(default_factory=set, repr=False)

    @classmethod
    def open(
        cls, raw_dir: Path | str | None = None, registry: Path | str | None = None
    ) -> RawFiles:
        """Verify every registered file of ``raw_dir`` (default ``data/raw``) against
        ``registry`` (default its ``registry.csv``, else the project's) and refuse strays."""
        raw = Path(raw_dir) if raw_dir is not None else paths.DATA_RAW
        if registry is None:
            own = raw / "registry.csv"
            registry = own if own.exists() else paths.DATA_RAW / "registry.csv"
        reg = fetch.read_registry(Path(registry))
        present = fetch.verify(raw, registry)
        files = cls(
            raw,
            dict(zip(reg["name"], reg["sha256"], strict=True)),
            dict(zip(present["name"], present["sha256"], strict=True)),
        )
        files.refuse_strays()
        return files

    def refuse_strays(self) -> None:
        """Raise :class:`UnregisteredInputError` for the first file under the root that is
        not a registry file (hidden files, such as a fetch's temporary ``.part``, excepted)."""
        if not self.root.is_dir():
            return
        for p in sorted(self.root.rglob("*")):
            name = p.relative_to(self.root).as_posix()
            if not p.is_file() or name in NOT_INPUTS or name in self.expected:
                continue
            if any(part.startswith(".") for part in p.relative_to(self.root).parts):
                continue
            raise UnregisteredInputError(
                p,
                "not a file of data/raw/registry.csv, so no reader may open it",
                "remove it, or register it (name, sha256, URL) with tools/make_registry.py",
            )

    def path(self, name: str) -> Path:
        """The path of registry file ``name``, present and verified in this build (its rows
        checked too when it is a CSV); else an error naming it and the fix."""
        p = self.root / name
        if name not in self.expected:
            raise UnregisteredInputError(
                p,
                "not in data/raw/registry.csv, so it is not read",
                "register it with tools/make_registry.py",
            )
        if name not in self.verified:
            raise fetch.MissingInputError(
                f"{p}: registered but not in data/raw (`make fetch` places a verified copy)"
            )
        if name not in self._checked:
            check_rows(p)
            self._checked.add(name)
        return p

    def present(self, name: str) -> bool:
        """Whether registry file ``name`` is present (and so verified)."""
        return name in self.verified

    def names(self, prefix: str) -> list[str]:
        """The registry files present whose names start with ``prefix``, sorted."""
        return sorted(n for n in self.verified if n.startswith(prefix))

    def sha256(self, name: str) -> str:
        """The verified sha256 of registry file ``name``."""
        self.path(name)
        return self.verified[name]


def as_files(raw: RawFiles | Path | str | None) -> RawFiles:
    """``raw`` itself, or the verified registry files of folder ``raw`` (for callers that pass
    a folder, such as the tests)."""
    return raw if isinstance(raw, RawFiles) else RawFiles.open(raw)


def check_rows(path: Path) -> None:
    """A CSV (``.csv`` or ``.csv.gz``) whose every non-blank row has as many fields as its
    header; else :class:`TruncatedInputError` naming the file and the line. Other formats
    are left to their readers (a workbook or parquet cut short does not open)."""
    name = path.name.lower()
    if not (name.endswith(".csv") or name.endswith(".csv.gz")):
        return
    data = path.read_bytes()
    if name.endswith(".gz"):
        try:
            data = gzip.decompress(data)
        except (OSError, EOFError) as exc:
            raise TruncatedInputError(
                path, f"not a whole gzip file ({exc})", "`make fetch` restores the registered copy"
            ) from exc
    data = data.removeprefix(b"\xef\xbb\xbf")
    header = data.split(b"\n", 1)[0]
    sep = ";" if header.count(b";") > header.count(b",") else ","
    k = _fields(header, sep)
    if k is None:  # a quoted newline in the header: parse the whole file
        return _check_parsed(path, data, sep)
    bsep = sep.encode()
    for i, ln in enumerate(data.split(b"\n"), start=1):
        if not ln.strip():
            continue
        n = ln.count(bsep) + 1 if b'"' not in ln else _fields(ln, sep)
        if n is None:  # a quoted field spans lines: parse the whole file
            return _check_parsed(path, data, sep)
        if n != k:
            _short(path, i, n, k)


def _fields(line: bytes, sep: str) -> int | None:
    """The number of fields of one CSV line (``None`` when a quote is left open)."""
    if line.count(b'"') % 2:
        return None
    return len(next(csv.reader([line.decode("utf-8", errors="replace")], delimiter=sep)))


def _check_parsed(path: Path, data: bytes, sep: str) -> None:
    reader = csv.reader(io.StringIO(data.decode("utf-8-sig", errors="replace")), delimiter=sep)
    k = None
    for row in reader:
        if not row:
            continue
        if k is None:
            k = len(row)
        elif len(row) != k:
            _short(path, reader.line_num, len(row), k)


def _short(path: Path, line: int, got: int, want: int) -> None:
    raise TruncatedInputError(
        path,
        f"line {line} has {got} fields where the header has {want} (a row cut short or "
        "split: the file is truncated or damaged)",
        "`make fetch` restores the registered copy; register a new edition only once complete",
    )


def verified_path(name: str, raw_dir: Path | str | None = None) -> Path:
    """The path of registry file ``name`` in ``raw_dir`` (default ``data/raw``), hashed now
    against the registry (and its rows checked when a CSV): for a reader outside the panel
    build, such as notebook 00's validation data. Raises naming the file and the fix."""
    raw = Path(raw_dir) if raw_dir is not None else paths.DATA_RAW
    own = raw / "registry.csv"
    reg = fetch.read_registry(own if own.exists() else paths.DATA_RAW / "registry.csv")
    sums = dict(zip(reg["name"], reg["sha256"], strict=True))
    p = raw / name
    if name not in sums:
        raise UnregisteredInputError(
            p,
            "not in data/raw/registry.csv, so it is not read",
            "register it with tools/make_registry.py",
        )
    if not p.is_file():
        raise fetch.MissingInputError(f"{p}: not in data/raw (`make data` places a verified copy)")
    actual = fetch.sha256sum(p)
    if actual != sums[name]:
        raise fetch.ChecksumError(
            f"{p}: sha256 {actual} but the registry says {sums[name]} (the file was changed or "
            "damaged; `make fetch` replaces it with a verified copy)"
        )
    check_rows(p)
    return p
