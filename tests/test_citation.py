"""CITATION.cff: valid Citation File Format 1.2.0 (its required keys, known keys only), a version
and release date that agree with CHANGELOG.md and pyproject.toml, and a reference for every data
publisher of data/raw/registry.csv and every method paper the package reproduces."""

from __future__ import annotations

import csv
import re
import tomllib
from pathlib import Path

import yaml

import rasso_research

ROOT = Path(__file__).resolve().parents[1]

#: Keys of CFF 1.2.0 (schema.json of citation-file-format 1.2.0): the file and a reference.
TOP_KEYS = {
    "abstract", "authors", "cff-version", "commit", "contact", "date-released", "doi",
    "identifiers", "keywords", "license", "license-url", "message", "preferred-citation",
    "references", "repository", "repository-artifact", "repository-code", "title", "type",
    "url", "version",
}  # fmt: skip
REF_KEYS = {
    "abbreviation", "abstract", "authors", "collection-doi", "collection-title",
    "collection-type", "commit", "conference", "contact", "copyright", "data-type",
    "database", "database-provider", "date-accessed", "date-downloaded", "date-published",
    "date-released", "department", "doi", "edition", "editors", "editors-series", "end",
    "entry", "filename", "format", "identifiers", "institution", "isbn", "issn", "issue",
    "issue-date", "issue-title", "journal", "keywords", "languages", "license", "license-url",
    "loc-end", "loc-start", "location", "medium", "month", "nihmsid", "notes", "number",
    "number-volumes", "pages", "patent-states", "pmcid", "publisher", "recipients",
    "repository", "repository-artifact", "repository-code", "scope", "section", "senders",
    "start", "status", "term", "thesis-type", "title", "translators", "type", "url", "version",
    "volume", "volume-title", "year", "year-original",
}  # fmt: skip

#: Method papers the package reproduces or implements (config/validation.csv adds its own).
METHOD_AUTHORS = {"Linden", "Lopez Bernal", "Abadie", "Arkhangelsky", "Callaway", "Sun"}


def cff() -> dict:
    return yaml.safe_load((ROOT / "CITATION.cff").read_text(encoding="utf-8"))


def changelog_release() -> tuple[str, str]:
    """The version and date (or 'Unreleased') of CHANGELOG.md's latest release heading."""
    text = (ROOT / "CHANGELOG.md").read_text(encoding="utf-8")
    m = re.search(r"^## \[(\d+\.\d+\.\d+)\] - (\S+)", text, re.M)
    assert m, "CHANGELOG.md has no '## [x.y.z] - date' heading"
    return m.group(1), m.group(2)


def first_authors(refs: list[dict]) -> set[str]:
    out = set()
    for r in refs:
        a = r["authors"][0]
        out.add(a.get("family-names") or a.get("name"))
    return out


def test_the_file_is_valid_cff_1_2_0():
    c = cff()
    assert c["cff-version"] == "1.2.0"
    assert {"cff-version", "message", "title", "authors"} <= set(c)
    assert set(c) <= TOP_KEYS, set(c) - TOP_KEYS
    assert all(a.get("name") or a.get("family-names") for a in c["authors"])
    for r in c["references"]:
        assert {"type", "title", "authors"} <= set(r), r.get("title")
        assert set(r) <= REF_KEYS, (r["title"], set(r) - REF_KEYS)
        assert all(a.get("name") or a.get("family-names") for a in r["authors"])
        if r["type"] == "article":
            assert {"journal", "year", "doi"} <= set(r), r["title"]
            assert re.fullmatch(r"10\.\d{4,}/\S+", r["doi"]), r["doi"]


def test_version_and_date_agree_with_the_changelog():
    c = cff()
    version, date = changelog_release()
    assert str(c["version"]) == version == rasso_research.__version__
    meta = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert meta["version"] == version
    if date == "Unreleased":
        assert "date-released" not in c, "CHANGELOG says Unreleased: no date-released"
    else:
        assert str(c.get("date-released")) == date


def test_every_data_publisher_is_referenced():
    with (ROOT / "data" / "raw" / "registry.csv").open(encoding="utf-8") as fh:
        publishers = {row["publisher"] for row in csv.DictReader(fh)}
    data = [r for r in cff()["references"] if r["type"] == "data"]
    names = {a["name"] for r in data for a in r["authors"]}
    for pub in publishers:
        if pub == "project" or re.search(r"\(\d{4}\)", pub):  # the project's own; a paper's data
            continue
        base = pub.split(" (")[0]  # "Home Office (aggregated by ...)" is the Home Office's
        assert base in names, f"no reference for the data publisher {pub!r}"


def test_every_method_paper_is_referenced():
    arts = first_authors([r for r in cff()["references"] if r["type"] == "article"])
    with (ROOT / "config" / "validation.csv").open(encoding="utf-8") as fh:
        validated = {row["reference"] for row in csv.DictReader(fh)}
    with (ROOT / "data" / "raw" / "registry.csv").open(encoding="utf-8") as fh:
        # a paper's own data: "Abadie, Diamond & Hainmueller (2010) via synthdid"
        validated |= {
            r["publisher"] for r in csv.DictReader(fh) if re.search(r"\(\d{4}\)", r["publisher"])
        }
    for ref in validated:
        assert any(ref.startswith(a) for a in arts), f"no reference for {ref!r}"
    assert METHOD_AUTHORS <= arts, METHOD_AUTHORS - arts
