"""Obtain the raw inputs listed in ``data/raw/registry.csv``, checksum-verified.

For each file: keep it if already present with the right SHA-256; else copy it from the local
mirror (``RASSO_DATA_MIRROR`` or ``../shared/data``); else download it with pooch. Files are
written to a temporary file in the target folder and renamed into place only once verified,
so a failed fetch never leaves a partial or corrupt file behind.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import shutil
import sys
import tempfile
from pathlib import Path

import pandas as pd

from rasso_research import errors, paths

REGISTRY_COLUMNS = [
    "name",
    "sha256",
    "size",
    "url",
    "publisher",
    "licence",
    "description",
    "required",
]
STAMP = ".fetched"


class ChecksumError(RuntimeError):
    """A file's SHA-256 does not match the registry."""


class MissingInputError(RuntimeError):
    """A required input could not be found locally, in the mirror, or downloaded."""


def verify(raw_dir: Path | str | None = None, registry: Path | str | None = None) -> pd.DataFrame:
    """Check every registry file in ``raw_dir`` against its SHA-256 before anything reads it.

    A required file that is missing, or any present file whose hash differs, raises (the
    message names the file, both hashes and the fix); absent optional files are allowed.
    Returns the registry rows of the files present."""
    raw_dir = Path(raw_dir) if raw_dir else paths.DATA_RAW
    reg = read_registry(Path(registry) if registry else raw_dir / "registry.csv")
    present = []
    for _, row in reg.iterrows():
        dest = raw_dir / row["name"]
        if not dest.is_file():
            if row["required"]:
                raise MissingInputError(
                    f"{_rel(dest)}: required input missing (`make fetch` restores a verified "
                    "copy from the mirror or its URL)"
                )
            continue
        actual = sha256sum(dest)
        if actual != row["sha256"]:
            raise ChecksumError(
                f"{_rel(dest)}: sha256 {actual} but the registry says {row['sha256']} (the file "
                "was changed or damaged; `make fetch` replaces it with a verified copy)"
            )
        present.append(row)
    return pd.DataFrame(present, columns=reg.columns)


def _rel(p: Path) -> str:
    p = Path(p)
    return str(p.relative_to(paths.ROOT)) if p.is_relative_to(paths.ROOT) else str(p)


def sha256sum(path: Path, chunk: int = 1 << 20) -> str:
    """Hex SHA-256 of a file."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        while block := fh.read(chunk):
            h.update(block)
    return h.hexdigest()


def read_registry(path: Path | None = None) -> pd.DataFrame:
    """The registry as a DataFrame (validated columns, ``required`` as bool)."""
    path = Path(path) if path else paths.DATA_RAW / "registry.csv"
    reg = pd.read_csv(path, dtype=str, keep_default_na=False)
    missing = [c for c in REGISTRY_COLUMNS if c not in reg.columns]
    if missing:
        raise ValueError(f"{path}: missing column(s) {missing}")
    bad = reg[~reg["sha256"].str.fullmatch(r"[0-9a-f]{64}")]
    if len(bad):
        raise ValueError(f"{path}: invalid sha256 for {bad['name'].tolist()}")
    reg["required"] = reg["required"].str.lower().isin(["yes", "true", "1"])
    reg["size"] = pd.to_numeric(reg["size"], errors="coerce")
    return reg


def _install(src: Path, dest: Path, expected: str) -> None:
    """Copy ``src`` to ``dest`` atomically, verifying the checksum first."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{dest.name}.", suffix=".part", dir=dest.parent)
    os.close(fd)
    tmp = Path(tmp)
    try:
        shutil.copyfile(src, tmp)
        actual = sha256sum(tmp)
        if actual != expected:
            raise ChecksumError(
                f"checksum mismatch for {dest.name} (copied from {src}): "
                f"expected sha256 {expected}, got {actual}"
            )
        os.replace(tmp, dest)
    finally:
        tmp.unlink(missing_ok=True)


def _download(url: str, dest: Path, expected: str, progress: bool) -> None:
    """Download with pooch into a temporary folder beside ``dest``, then rename into place."""
    # imported here, not at the top: only a download needs pooch (and the HTTP stack it
    # imports, ~0.2 s), and a build from the mirror or from data/raw never downloads
    import pooch

    dest.parent.mkdir(parents=True, exist_ok=True)
    tmpdir = Path(tempfile.mkdtemp(prefix=".dl-", dir=dest.parent))
    try:
        try:
            got = pooch.retrieve(
                url,
                known_hash=f"sha256:{expected}",
                path=tmpdir,
                fname=dest.name,
                progressbar=progress,
            )
        except ValueError as exc:  # pooch reports hash mismatches as ValueError
            raise ChecksumError(
                f"checksum mismatch for {dest.name} downloaded from {url}: expected sha256 "
                f"{expected} ({exc})"
            ) from exc
        except OSError as exc:  # requests' connection errors are OSErrors
            raise MissingInputError(
                f"{_rel(dest)}: download from {url} failed, the network looks unreachable "
                f"({type(exc).__name__}); point RASSO_DATA_MIRROR at a local copy of the data "
                "mirror, or fetch on a machine with internet access"
            ) from exc
        os.replace(got, dest)
    finally:
        shutil.rmtree(tmpdir, ignore_errors=True)


def fetch_one(row, raw_dir: Path, mirror: Path | None, allow_download: bool, progress: bool) -> str:
    """Fetch one registry row; return the action taken (``present``/``copied``/``downloaded``/``absent``)."""
    dest = raw_dir / row["name"]
    expected = row["sha256"]
    bad = None
    if dest.exists():
        actual = sha256sum(dest)
        if actual == expected:
            return "present"
        bad = actual  # a stale or corrupt copy: replace it below, never trust it
    src = mirror / row["name"] if mirror else None
    if src is not None and src.is_file():
        _install(src, dest, expected)
        if bad:
            print(
                f"[fetch] replaced {_rel(dest)}: its sha256 was {bad}, expected {expected}; "
                "copied a verified copy from the mirror",
                file=sys.stderr,
            )
            return "replaced"
        return "copied"
    if dest.exists():
        raise ChecksumError(
            f"{dest}: sha256 {sha256sum(dest)} but the registry says {expected} (delete it and "
            "fetch again, or point RASSO_DATA_MIRROR at a mirror holding the registered copy)"
        )
    if allow_download and row["url"]:
        _download(row["url"], dest, expected, progress)
        return "downloaded"
    if row["required"]:
        hint = f"download it from {row['url']}" if row["url"] else "no public byte-identical URL"
        raise MissingInputError(
            f"{dest}: required input not found (looked in "
            f"{mirror or 'no mirror: ../shared/data absent'}; expected sha256 {expected}) "
            f"({hint}, or point RASSO_DATA_MIRROR at a local mirror holding it)"
        )
    return "absent"


def fetch_all(
    required_only: bool = False,
    mirror: Path | str | None = None,
    progress: bool = True,
    *,
    optional: bool | None = None,
    raw_dir: Path | str | None = None,
    registry: Path | str | None = None,
    download: bool = True,
) -> pd.DataFrame:
    """Fetch every registry file; return a report (name, required, action, path).

    Optional files are fetched from the mirror when present, but only downloaded when
    ``optional=True`` or env ``RASSO_FETCH_OPTIONAL=1``. ``required_only`` skips them entirely.
    Writes ``data/raw/.fetched`` (listing name and hash of every file in place) on success.
    """
    raw_dir = Path(raw_dir) if raw_dir else paths.DATA_RAW
    env = os.environ.get("RASSO_DATA_MIRROR")
    mirror = Path(mirror) if mirror else paths.mirror_dir()
    if env and mirror == Path(env).expanduser().resolve() and not mirror.is_dir():
        raise MissingInputError(
            f"RASSO_DATA_MIRROR={mirror}: no such folder (point it at a copy of the data "
            "mirror, or unset it: then ../shared/data if present, else the registry's URLs)"
        )
    if optional is None:
        optional = os.environ.get("RASSO_FETCH_OPTIONAL", "") not in ("", "0")
    reg = read_registry(Path(registry) if registry else raw_dir / "registry.csv")
    sweep_partial(raw_dir)
    rows = []
    for _, row in reg.iterrows():
        if required_only and not row["required"]:
            continue
        allow = download and (row["required"] or optional)
        action = fetch_one(row, raw_dir, mirror, allow, progress)
        rows.append(
            {
                "name": row["name"],
                "required": row["required"],
                "action": action,
                "path": str(raw_dir / row["name"]),
            }
        )
        if progress:
            print(f"[fetch] {action:10s} {row['name']}", file=sys.stderr)
    report = pd.DataFrame(rows, columns=["name", "required", "action", "path"])
    _write_stamp(raw_dir, reg, report)
    return report


def sweep_partial(raw_dir: Path) -> list[Path]:
    """Remove what a killed fetch left: ``.<name>.*.part`` files and ``.dl-*`` folders."""
    gone = []
    if Path(raw_dir).is_dir():
        for p in sorted(Path(raw_dir).rglob(".*")):
            if p.is_file() and p.name.endswith(".part"):
                p.unlink(missing_ok=True)
                gone.append(p)
            elif p.is_dir() and p.name.startswith(".dl-"):
                shutil.rmtree(p, ignore_errors=True)
                gone.append(p)
    return gone


def _write_stamp(raw_dir: Path, reg: pd.DataFrame, report: pd.DataFrame) -> None:
    """Write the stamp only when its contents change, so make does no extra work on reruns."""
    have = set(report.loc[report["action"] != "absent", "name"])
    lines = [f"{h}  {n}" for n, h in zip(reg["name"], reg["sha256"], strict=True) if n in have]
    text = "\n".join(lines) + "\n"
    stamp = raw_dir / STAMP
    if not stamp.exists() or stamp.read_text() != text:
        stamp.write_text(text)
    else:
        # unchanged: only bump the time if make would otherwise consider it out of date
        # (its prerequisites in the Makefile: the registry, this module, the environment stamp)
        prereqs = [raw_dir / "registry.csv", Path(__file__)] + [
            paths.ROOT / p for p in (".venv/.stamp", ".make/conda.stamp")
        ]
        newest = max(p.stat().st_mtime for p in prereqs if p.exists())
        if stamp.stat().st_mtime < newest:
            os.utime(stamp)


def fail(exc: BaseException) -> int:
    """One line on stderr (``error: <file>: <what> (<fix>)``) and exit status 2; the traceback
    too when ``RASSO_DEBUG=1`` (:func:`rasso_research.errors.fail`)."""
    return errors.fail(exc)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--required-only", action="store_true", help="skip optional files")
    ap.add_argument(
        "--optional", action="store_true", help="also download optional official releases"
    )
    ap.add_argument(
        "--mirror",
        default=None,
        help="local mirror folder (default RASSO_DATA_MIRROR or ../shared/data)",
    )
    ap.add_argument("--no-download", action="store_true", help="never use the network")
    args = ap.parse_args(argv)
    try:
        report = fetch_all(
            required_only=args.required_only,
            mirror=args.mirror,
            progress=False,
            optional=args.optional or None,
            download=not args.no_download,
        )
    except Exception as exc:
        return fail(exc)
    for r in report.itertuples():
        print(f"{r.action:10s} {'required' if r.required else 'optional'} {r.name}")
    counts = report["action"].value_counts().to_dict()
    print("[fetch] " + ", ".join(f"{k}: {v}" for k, v in sorted(counts.items())))
    return 0


def official_releases(raw_dir: Path | str | None = None) -> tuple[int, int]:
    """How many of the registry's optional official Home Office releases are in ``raw_dir``
    (default ``data/raw``), and how many there are."""
    raw = Path(raw_dir) if raw_dir is not None else paths.DATA_RAW
    reg = read_registry(raw / "registry.csv")
    official = reg[reg["name"].str.startswith("homeoffice/official/") & ~reg["required"]]
    return sum((raw / n).is_file() for n in official["name"]), len(official)


if __name__ == "__main__":
    raise SystemExit(main())
