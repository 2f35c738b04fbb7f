"""Fixtures shared by the data-layer tests."""

from __future__ import annotations

import shutil

import pytest

from rasso_research import paths
from rasso_research.data import fetch


@pytest.fixture(scope="session")
def fetched_raw(tmp_path_factory):
    """The registry's required files fetched from the data mirror into a temporary ``raw``
    folder (with a copy of the registry); skipped when there is no mirror."""
    mirror = paths.mirror_dir()
    if mirror is None or not (mirror / "SHA256SUMS").exists():
        pytest.skip("no data mirror (set RASSO_DATA_MIRROR)")
    raw = tmp_path_factory.mktemp("data") / "raw"
    raw.mkdir()
    shutil.copy(paths.DATA_RAW / "registry.csv", raw / "registry.csv")
    fetch.fetch_all(required_only=True, mirror=mirror, raw_dir=raw, progress=False, download=False)
    return raw
