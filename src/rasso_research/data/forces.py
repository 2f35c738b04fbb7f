"""The 43 territorial police forces of England and Wales, their ONS PFA codes, and name aliases."""

from __future__ import annotations

import re

import pandas as pd

from rasso_research.constants import NATIONAL

NATIONAL_CODE = "K04000001"

#: canonical force name -> ONS police force area code (PFA 2023)
FORCE_CODES: dict[str, str] = {
    "Metropolitan Police": "E23000001",
    "Cumbria": "E23000002",
    "Lancashire": "E23000003",
    "Merseyside": "E23000004",
    "Greater Manchester": "E23000005",
    "Cheshire": "E23000006",
    "Northumbria": "E23000007",
    "Durham": "E23000008",
    "North Yorkshire": "E23000009",
    "West Yorkshire": "E23000010",
    "South Yorkshire": "E23000011",
    "Humberside": "E23000012",
    "Cleveland": "E23000013",
    "West Midlands": "E23000014",
    "Staffordshire": "E23000015",
    "West Mercia": "E23000016",
    "Warwickshire": "E23000017",
    "Derbyshire": "E23000018",
    "Nottinghamshire": "E23000019",
    "Lincolnshire": "E23000020",
    "Leicestershire": "E23000021",
    "Northamptonshire": "E23000022",
    "Cambridgeshire": "E23000023",
    "Norfolk": "E23000024",
    "Suffolk": "E23000025",
    "Bedfordshire": "E23000026",
    "Hertfordshire": "E23000027",
    "Essex": "E23000028",
    "Thames Valley": "E23000029",
    "Hampshire": "E23000030",
    "Surrey": "E23000031",
    "Kent": "E23000032",
    "Sussex": "E23000033",
    "City of London": "E23000034",
    "Devon and Cornwall": "E23000035",
    "Avon and Somerset": "E23000036",
    "Gloucestershire": "E23000037",
    "Wiltshire": "E23000038",
    "Dorset": "E23000039",
    "North Wales": "W15000001",
    "Gwent": "W15000002",
    "South Wales": "W15000003",
    "Dyfed-Powys": "W15000004",
}
FORCES: tuple[str, ...] = tuple(sorted(FORCE_CODES))

#: normalised alias -> canonical name (normalisation: lower case, '&'->'and', no punctuation/spaces)
_ALIASES = {
    "metropolitan": "Metropolitan Police",
    "metropolitanpolice": "Metropolitan Police",
    "metropolitanpoliceservice": "Metropolitan Police",
    # CPS reports the Met and City of London together as one CPS area.
    "metropolitanandcity": "Metropolitan Police",
    "londoncityof": "City of London",
    "cityoflondonpolice": "City of London",
    "devonandcornwall": "Devon and Cornwall",
    "dyfedpowys": "Dyfed-Powys",
    "greatermanchester": "Greater Manchester",
    "avonsomerset": "Avon and Somerset",
}

#: non-territorial bodies: excluded from the panel and counted in the data-quality report
EXCLUDED = {
    "britishtransportpolice": "British Transport Police",
    "btp": "British Transport Police",
    "actionfraud": "Action Fraud",
    "cifas": "CIFAS",
    "ukfinance": "UK Finance",
    "financialfraudactionuk": "UK Finance",
}

#: names meaning the national total
_NATIONAL = {"national", "englandandwales", "englandwales", "totalenglandandwales"}


class UnknownForceError(ValueError):
    """Raised when force names cannot be mapped to a canonical force."""


def _norm(name: str) -> str:
    s = str(name).strip().lower().replace("&", "and")
    return re.sub(r"[^a-z]", "", s)


_LOOKUP = {_norm(n): n for n in FORCES} | {_norm(n) + "police": n for n in FORCES} | _ALIASES


def canonical_force(name: str) -> str | None:
    """Canonical force name, ``NATIONAL`` for national rows, ``None`` for excluded bodies.

    Raises :class:`UnknownForceError` for unrecognised names.
    """
    key = _norm(name)
    if key in _LOOKUP:
        return _LOOKUP[key]
    if key in _NATIONAL:
        return NATIONAL
    if key in EXCLUDED:
        return None
    raise UnknownForceError(f"unknown force name: {name!r}")


def map_forces(names: pd.Series, source: str = "") -> pd.Series:
    """Map a Series of raw force names to canonical names (None = excluded body).

    Raises :class:`UnknownForceError` listing every unknown name at once.
    """
    uniq = pd.Series(names.dropna().unique())
    mapping, unknown = {}, []
    for n in uniq:
        try:
            mapping[n] = canonical_force(n)
        except UnknownForceError:
            unknown.append(str(n))
    if unknown:
        where = f" in {source}" if source else ""
        raise UnknownForceError(f"unknown force name(s){where}: {sorted(unknown)}")
    return names.map(mapping)


def force_code(name: str) -> str:
    """ONS code of a canonical force (or of England and Wales)."""
    return NATIONAL_CODE if name == NATIONAL else FORCE_CODES[name]
