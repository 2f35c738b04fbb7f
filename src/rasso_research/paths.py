"""Project paths, resolved from the repository root so code runs from any working directory."""

from __future__ import annotations

import os
from pathlib import Path


def project_root() -> Path:
    """The repository root: ``RASSO_PROJECT_ROOT`` if set, else the folder holding pyproject.toml."""
    env = os.environ.get("RASSO_PROJECT_ROOT")
    if env:
        return Path(env).resolve()
    here = Path(__file__).resolve()
    for parent in here.parents:
        if (parent / "pyproject.toml").exists() and (parent / "src" / "rasso_research").exists():
            return parent
    return Path.cwd().resolve()


ROOT = project_root()
DATA_RAW = ROOT / "data" / "raw"
DATA_PROCESSED = ROOT / "data" / "processed"
CONFIG = ROOT / "config"
FIGURES = ROOT / "figures"
TABLES = ROOT / "tables"
RESULTS = ROOT / "results"


def mirror_dir() -> Path | None:
    """The local data mirror: ``RASSO_DATA_MIRROR`` if set, else ``../shared/data`` if it exists."""
    env = os.environ.get("RASSO_DATA_MIRROR")
    if env:
        return Path(env).expanduser().resolve()
    default = ROOT.parent / "shared" / "data"
    return default.resolve() if default.is_dir() else None
