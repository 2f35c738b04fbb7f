"""The pandera schemas of the tidy frames the readers return, imported by
:mod:`rasso_research.data.schemas` on first use: importing pandera costs 0.3 CPU-s, which
every notebook kernel would pay for nothing (they read the processed panel, not raw files)."""

from __future__ import annotations

import pandera.pandas as pa

from rasso_research.constants import GEOGRAPHIES

FY_REGEX = r"^\d{4}/\d{2}$"
_fy = pa.Column(str, pa.Check.str_matches(FY_REGEX))
_q = pa.Column(int, pa.Check.isin([1, 2, 3, 4]))

#: columns shared by the Home Office recorded-crime and outcomes frames
_HO_KEYS = {
    "fiscal_year": _fy,
    "fiscal_q": _q,
    "force_name": pa.Column(str),
    "offence_code": pa.Column(str),
}

RECORDED_CRIME = pa.DataFrameSchema(
    {
        **_HO_KEYS,
        "offence_description": pa.Column(str, nullable=True),
        # quarterly counts can be negative (crimes cancelled after the quarter was published)
        "offences": pa.Column(float, nullable=True),
    },
    strict=False,
    coerce=True,
)

OUTCOMES = pa.DataFrameSchema(
    {
        **_HO_KEYS,
        "outcome_type": pa.Column(int, pa.Check.in_range(0, 30)),
        "outcomes_cohort": pa.Column(float, nullable=True),
        "outcomes_in_quarter": pa.Column(float, nullable=True),  # adjustments can be negative,
    },
    strict=False,
    coerce=True,
)

CHARGED_NATIONAL = pa.DataFrameSchema(
    {
        "fiscal_year": _fy,
        "fiscal_q": _q,
        "offence_code": pa.Column(str),
        "charged": pa.Column(float, pa.Check.ge(0)),
    },
    strict=False,
    coerce=True,
)

CPS_POC = pa.DataFrameSchema(
    {
        "period": pa.Column(str),
        "period_type": pa.Column(str, pa.Check.isin(["quarter", "month"])),
        "area": pa.Column(str),
        "category": pa.Column(str),
        "convictions": pa.Column(float, pa.Check.ge(0), nullable=True),
        "unsuccessful": pa.Column(float, pa.Check.ge(0), nullable=True),
    },
    strict=False,
    coerce=True,
)

CPS_TRANSCRIBED = pa.DataFrameSchema(
    {
        "period_type": pa.Column(str, pa.Check.isin(["financial_year", "rolling_year", "quarter"])),
        "period": pa.Column(str),
        "measure": pa.Column(str),
        "value": pa.Column(float),
        "unit": pa.Column(str, pa.Check.isin(["count", "percent"])),
        "source_url": pa.Column(str),
    },
    strict=False,
    coerce=True,
)

POPULATION = pa.DataFrameSchema(
    {
        "force": pa.Column(str),
        "year": pa.Column(int, pa.Check.in_range(1990, 2100)),
        "population": pa.Column(float, pa.Check.gt(0)),
        "source": pa.Column(str),
        "interpolated": pa.Column(bool),
    },
    strict=False,
    coerce=True,
)

FORCE_YEAR = pa.DataFrameSchema(
    {
        "fiscal_year": _fy,
        "force": pa.Column(str),
        "force_code": pa.Column(str),
        "offence_group": pa.Column(str),
        "measure": pa.Column(str),
        "value": pa.Column(float, pa.Check.ge(0), nullable=True),
        "flag": pa.Column(str),
    },
    strict=False,
    coerce=True,
)

PANEL = pa.DataFrameSchema(
    {
        "fiscal_quarter": pa.Column(str, pa.Check.str_matches(r"^\d{4}/\d{2} Q[1-4]$")),
        "quarter": pa.Column(str, pa.Check.str_matches(r"^\d{4}Q[1-4]$")),
        "geography": pa.Column(str, pa.Check.isin(list(GEOGRAPHIES))),
        "force": pa.Column(str),
        "force_code": pa.Column(str),
        "measure": pa.Column(str),
        "value": pa.Column(float, nullable=True),
        "source": pa.Column(str),
    },
    strict=False,
    coerce=True,
)
