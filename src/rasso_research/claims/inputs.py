"""The data the claims are tested on: processed files only (``data/processed``, written by
``make data`` from checksum-verified raw files), read through the data accessor."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from rasso_research import paths
from rasso_research.data.processed import load_processed

#: attribute -> processed file
FILES = {
    "panel": "panel.parquet",
    "cps": "cps_rape_national.csv",
    "wm": "cps_rape_west_midlands.csv",
    "moj_sentenced": "moj_rape_sentenced.csv",
    "moj_timeliness": "moj_rape_timeliness.csv",
    "moj_by_offence": "moj_prosecution_times_2018_by_offence.csv",
    "force_year": "force_year.parquet",
}


@dataclass
class ClaimInputs:
    """The frames the claims are tested on (any may be ``None``: its readings are then not
    testable) and the file each came from."""

    panel: pd.DataFrame | None = None
    cps: pd.DataFrame | None = None
    wm: pd.DataFrame | None = None
    moj_sentenced: pd.DataFrame | None = None
    moj_timeliness: pd.DataFrame | None = None
    moj_by_offence: pd.DataFrame | None = None
    force_year: pd.DataFrame | None = None
    origin: dict[str, str] = field(default_factory=dict)


def load_claim_inputs(processed: Path | str | None = None) -> ClaimInputs:
    """Read every input that the panel build wrote; an absent file leaves its field ``None``
    (and ``origin`` says so), so the readings that need it are reported as not testable."""
    folder = Path(processed) if processed else paths.DATA_PROCESSED
    out = ClaimInputs()
    for name, fname in FILES.items():
        p = folder / fname
        if not p.exists():
            out.origin[name] = f"absent: {p} (run `make data`)"
            continue
        setattr(out, name, load_processed(fname, folder))
        out.origin[name] = str(p.relative_to(paths.ROOT) if p.is_relative_to(paths.ROOT) else p)
    return out
