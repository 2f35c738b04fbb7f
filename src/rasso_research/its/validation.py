"""Validation data: the Sicily smoking-ban series of Lopez Bernal et al. (2017)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from .. import paths


def sicily_path() -> Path:
    """``data/raw/validation/sicily.csv``, placed and checksum-verified by ``make data``."""
    local = paths.DATA_RAW / "validation" / "sicily.csv"
    if local.exists():
        return local
    raise FileNotFoundError(f"{local} not found: run `make data` (it fetches and verifies it)")


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
