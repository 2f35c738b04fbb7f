"""Fetching raw inputs: registry, mirror copy, checksum errors, missing files, stamp."""

from __future__ import annotations

import csv
import hashlib
import re
from pathlib import Path

import pytest

from rasso_research import paths
from rasso_research.data import fetch

ROOT = Path(__file__).resolve().parents[2]


def _sha(b: bytes) -> str:
    return hashlib.sha256(b).hexdigest()


@pytest.fixture
def setup(tmp_path):
    """A raw dir with a two-file registry (one required, one optional) and a mirror."""
    mirror, raw = tmp_path / "mirror", tmp_path / "raw"
    (mirror / "sub").mkdir(parents=True)
    raw.mkdir()
    files = {"sub/a.csv": b"x,y\n1,2\n", "opt.bin": b"optional"}
    for n, b in files.items():
        (mirror / n).write_bytes(b)
    with open(raw / "registry.csv", "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(fetch.REGISTRY_COLUMNS)
        w.writerow(
            [
                "sub/a.csv",
                _sha(files["sub/a.csv"]),
                8,
                "https://example.org/a.csv",
                "P",
                "OGL",
                "a",
                "yes",
            ]
        )
        w.writerow(
            [
                "opt.bin",
                _sha(files["opt.bin"]),
                8,
                "https://example.org/opt.bin",
                "P",
                "OGL",
                "o",
                "no",
            ]
        )
    return raw, mirror, files


def _no_partials(folder: Path):
    left = [p for p in folder.rglob("*") if p.name.startswith(".") and p.name != ".fetched"]
    assert not left, f"partial files left: {left}"


def test_copy_from_mirror_then_noop(setup):
    raw, mirror, files = setup
    rep = fetch.fetch_all(mirror=mirror, raw_dir=raw, progress=False, download=False)
    assert dict(zip(rep.name, rep.action, strict=True)) == {
        "sub/a.csv": "copied",
        "opt.bin": "copied",
    }
    assert (raw / "sub/a.csv").read_bytes() == files["sub/a.csv"]
    stamp = (raw / ".fetched").read_text()
    assert "sub/a.csv" in stamp
    mtime = (raw / ".fetched").stat().st_mtime_ns
    rep2 = fetch.fetch_all(mirror=mirror, raw_dir=raw, progress=False, download=False)
    assert set(rep2.action) == {"present"}
    assert (raw / ".fetched").stat().st_mtime_ns == mtime  # unchanged: no work for make


def test_corrupt_mirror_file_raises_and_leaves_nothing(setup):
    raw, mirror, files = setup
    (mirror / "sub/a.csv").write_bytes(b"corrupted")
    with pytest.raises(fetch.ChecksumError) as ei:
        fetch.fetch_all(mirror=mirror, raw_dir=raw, progress=False, download=False)
    msg = str(ei.value)
    assert "a.csv" in msg and _sha(files["sub/a.csv"]) in msg and _sha(b"corrupted") in msg
    assert not (raw / "sub/a.csv").exists()
    assert not (raw / ".fetched").exists()
    _no_partials(raw)


def test_corrupt_local_file_is_replaced_from_mirror(setup):
    raw, mirror, files = setup
    (raw / "sub").mkdir()
    (raw / "sub/a.csv").write_bytes(b"stale")
    rep = fetch.fetch_all(mirror=mirror, raw_dir=raw, progress=False, download=False)
    assert rep.set_index("name").loc["sub/a.csv", "action"] == "replaced"
    assert (raw / "sub/a.csv").read_bytes() == files["sub/a.csv"]


def test_corrupt_local_file_without_mirror_raises(setup, tmp_path):
    raw, _, _ = setup
    (raw / "sub").mkdir()
    (raw / "sub/a.csv").write_bytes(b"stale")
    with pytest.raises(fetch.ChecksumError, match="a.csv"):
        fetch.fetch_all(mirror=tmp_path / "none", raw_dir=raw, progress=False, download=False)


def test_missing_required_says_where(setup, tmp_path):
    raw, _, _ = setup
    with pytest.raises(fetch.MissingInputError) as ei:
        fetch.fetch_all(mirror=tmp_path / "none", raw_dir=raw, progress=False, download=False)
    assert "https://example.org/a.csv" in str(ei.value) and "RASSO_DATA_MIRROR" in str(ei.value)


def test_optional_absent_is_reported_not_fatal(setup):
    raw, mirror, _ = setup
    (mirror / "opt.bin").unlink()
    rep = fetch.fetch_all(mirror=mirror, raw_dir=raw, progress=False, download=False)
    assert rep.set_index("name").loc["opt.bin", "action"] == "absent"
    assert "opt.bin" not in (raw / ".fetched").read_text()


def test_optional_not_downloaded_by_default(setup, tmp_path, monkeypatch):
    raw, mirror, files = setup
    (mirror / "opt.bin").unlink()
    calls = []
    monkeypatch.setattr("pooch.retrieve", lambda url, **kw: calls.append(url))
    monkeypatch.delenv("RASSO_FETCH_OPTIONAL", raising=False)
    fetch.fetch_all(mirror=mirror, raw_dir=raw, progress=False)
    assert calls == []


def _fake_retrieve(content: bytes):
    def retrieve(url, known_hash, path, fname, progressbar=False):
        p = Path(path) / fname
        p.write_bytes(content)
        if known_hash != f"sha256:{_sha(content)}":
            p.unlink()
            raise ValueError(f"SHA256 hash of downloaded file ({_sha(content)}) does not match")
        return str(p)

    return retrieve


def test_download_with_pooch(setup, tmp_path, monkeypatch):
    raw, _, files = setup
    monkeypatch.setattr("pooch.retrieve", _fake_retrieve(files["sub/a.csv"]))
    rep = fetch.fetch_all(mirror=tmp_path / "none", raw_dir=raw, progress=False, required_only=True)
    assert rep.set_index("name").loc["sub/a.csv", "action"] == "downloaded"
    assert (raw / "sub/a.csv").read_bytes() == files["sub/a.csv"]
    _no_partials(raw)


def test_download_checksum_mismatch(setup, tmp_path, monkeypatch):
    raw, _, _ = setup
    monkeypatch.setattr("pooch.retrieve", _fake_retrieve(b"tampered"))
    with pytest.raises(fetch.ChecksumError, match="a.csv"):
        fetch.fetch_all(mirror=tmp_path / "none", raw_dir=raw, progress=False, required_only=True)
    assert not (raw / "sub/a.csv").exists()
    _no_partials(raw)


def test_cli(setup, monkeypatch, capsys):
    raw, mirror, _ = setup
    monkeypatch.setattr(paths, "DATA_RAW", raw)
    assert fetch.main(["--mirror", str(mirror), "--no-download"]) == 0
    out = capsys.readouterr().out
    assert "copied" in out and "sub/a.csv" in out


def test_project_registry_is_well_formed():
    reg = fetch.read_registry(ROOT / "data" / "raw" / "registry.csv")
    assert reg["name"].is_unique
    assert reg["sha256"].str.fullmatch(r"[0-9a-f]{64}").all()
    assert reg["url"].map(lambda u: u == "" or u.startswith("https://")).all()
    assert not reg["url"].str.contains(" ").any()
    assert reg["required"].sum() >= 70 and (~reg["required"]).sum() >= 10
    assert not reg["name"].map(lambda n: n.startswith("/") or ".." in n).any()


@pytest.mark.mirror
def test_registry_matches_mirror_checksums():
    mirror = paths.mirror_dir()
    if mirror is None or not (mirror / "SHA256SUMS").exists():
        pytest.skip("no data mirror")
    sums = dict(
        reversed(re.split(r"\s+", line.strip(), maxsplit=1))
        for line in (mirror / "SHA256SUMS").read_text().splitlines()
        if line.strip()
    )
    reg = fetch.read_registry(ROOT / "data" / "raw" / "registry.csv").set_index("name")
    unregistered = sorted(set(sums) - set(reg.index))
    assert not unregistered, (
        f"the mirror holds files the registry lacks: {unregistered}; add their origin to "
        "tools/make_registry.py (FILES) and run `python tools/make_registry.py` to register them"
    )
    for name, h in sums.items():
        assert reg.loc[name, "sha256"] == h, f"{name}: registry sha256 differs from the mirror's"
        assert reg.loc[name, "required"]


def test_verify_names_the_damaged_or_missing_file(setup):
    raw, mirror, files = setup
    fetch.fetch_all(mirror=mirror, raw_dir=raw, progress=False, download=False)
    assert fetch.verify(raw)["name"].tolist() == ["sub/a.csv", "opt.bin"]
    (raw / "opt.bin").unlink()  # optional: allowed to be absent
    assert fetch.verify(raw)["name"].tolist() == ["sub/a.csv"]
    (raw / "sub/a.csv").write_bytes(b"x,y\n1,3\n")  # one byte changed
    with pytest.raises(
        fetch.ChecksumError, match=r"sub/a.csv: sha256 [0-9a-f]{64} but the registry"
    ):
        fetch.verify(raw)
    (raw / "sub/a.csv").unlink()
    with pytest.raises(fetch.MissingInputError, match="sub/a.csv: required input missing"):
        fetch.verify(raw)


def test_cli_errors_are_one_line(setup, monkeypatch, capsys):
    raw, _, _ = setup
    monkeypatch.setattr(paths, "DATA_RAW", raw)
    monkeypatch.delenv("RASSO_DEBUG", raising=False)
    assert fetch.main(["--mirror", str(raw / "nowhere"), "--no-download"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("error: ")
    assert "sub/a.csv: required input not found" in err[0]


def test_offline_download_names_the_file_and_the_mirror(setup, tmp_path, monkeypatch):
    import pooch

    raw, _, _ = setup

    def offline(*a, **k):
        raise ConnectionError("Failed to resolve 'example.org'")

    monkeypatch.setattr(pooch, "retrieve", offline)
    with pytest.raises(fetch.MissingInputError) as ei:
        fetch.fetch_all(mirror=tmp_path / "none", raw_dir=raw, progress=False, required_only=True)
    msg = str(ei.value)
    assert "sub/a.csv" in msg and "network looks unreachable" in msg and "RASSO_DATA_MIRROR" in msg


def test_a_mirror_that_does_not_exist_says_so(setup, monkeypatch, capsys):
    """RASSO_DATA_MIRROR naming no folder is its own error, not advice to set it."""
    raw, _, _ = setup
    monkeypatch.setattr(paths, "DATA_RAW", raw)
    monkeypatch.setenv("RASSO_DATA_MIRROR", str(raw / "no-such-mirror"))
    assert fetch.main(["--no-download"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "no-such-mirror: no such folder" in err[0]
    assert "unset it" in err[0]


def test_a_killed_fetch_leaves_nothing_behind(setup):
    raw, mirror, _ = setup
    (raw / "sub").mkdir(parents=True, exist_ok=True)
    (raw / "sub/.a.csv.x1y2.part").write_bytes(b"half")
    (raw / "sub/.dl-abc").mkdir()
    fetch.fetch_all(mirror=mirror, raw_dir=raw, progress=False, download=False)
    assert not list(raw.rglob("*.part")) and not list(raw.rglob(".dl-*"))
