"""Validation data: the Sicily smoking-ban series of Lopez Bernal et al. (2017)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from .. import paths


def sicily_path() -> Path:
    """data/raw/validation/sicily.csv if fetched, else the copy in the local data mirror."""
    local = paths.DATA_RAW / "validation" / "sicily.csv"
    if local.exists():
        return local
    mirror = paths.mirror_dir()
    if mirror is not None and (mirror / "validation" / "sicily.csv").exists():
        return mirror / "validation" / "sicily.csv"
    raise FileNotFoundError(
        f"sicily.csv not found at {local} nor in the data mirror; run the fetch step"
    )


def load_sicily(path=None) -> pd.DataFrame:
    """Monthly acute coronary events in Sicily 2002-2006 (smoking ban from January 2005)."""
    return pd.read_csv(path if path is not None else sicily_path())


def sicily_spec():
    """The published model: quasi-Poisson, offset log(stdpop), level change only, two
    harmonics of month with period 12 (tsModel ``harmonic(month, 2, 12)``)."""
    from .design import Interruption, ITSSpec

    return ITSSpec(
        outcome="aces",
        time="time",
        interruptions=[Interruption("smokban", 37, slope=False)],
        family="quasipoisson",
        offset="stdpop",
        season=("fourier", 2, 12),
        season_col="month",
        rate_per=100_000,
    )
