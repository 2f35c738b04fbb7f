"""The measures of the panel: one row each with its axis label (with units), its unit, the
counted thing (for rate labels) and how it is named as a denominator.

Every figure and generated sentence names a measure through this table, so a new measure is
labelled where it is defined (with its data source), never in a plotting module; a measure
without a row has no label, and asking for one is an error naming the table.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Measure:
    """One measure: ``label`` for an axis (with units), ``unit`` in words, ``noun`` (the
    counted thing, for ``<noun> per <n> <denominator>``) and ``denominator`` (how a rate
    per this measure names it); the last two are ``None`` where the measure is not used so."""

    name: str
    label: str
    unit: str
    noun: str | None = None
    denominator: str | None = None


MEASURES: dict[str, Measure] = {
    m.name: m
    for m in (
        Measure(
            "recorded_rape",
            "Recorded rapes per quarter",
            "offences per quarter",
            noun="Recorded rapes",
            denominator="recorded rapes",
        ),
        Measure(
            "recorded_rape_per_100k",
            "Recorded rapes per 100,000 population per quarter",
            "offences per 100,000 population per quarter",
        ),
        Measure(
            "rape_charged_in_quarter",
            "Rape charges per quarter",
            "charges per quarter",
            noun="Rape charges",
        ),
        Measure(
            "rape_charged_cohort",
            "Rape charges (cohort) per quarter",
            "charges per quarter",
            noun="Rape charges (cohort)",
        ),
        # adult (19C, 19F: aged 16 and over) and child (19D, 19E, 19G, 19H) rape codes apart;
        # 19J/19K (multiple undefined offenders, no age) count only in all rape
        Measure(
            "rape_charged_in_quarter_adult",
            "Adult rape charges per quarter",
            "charges per quarter",
            noun="Adult rape charges",
        ),
        Measure(
            "rape_charged_in_quarter_child",
            "Child rape charges per quarter",
            "charges per quarter",
            noun="Child rape charges",
        ),
        Measure(
            "rape_charged_cohort_adult",
            "Adult rape charges (cohort) per quarter",
            "charges per quarter",
            noun="Adult rape charges (cohort)",
        ),
        Measure(
            "rape_charged_cohort_child",
            "Child rape charges (cohort) per quarter",
            "charges per quarter",
            noun="Child rape charges (cohort)",
        ),
        Measure(
            "rape_outcomes_cohort",
            "Rape outcomes assigned (cohort) per quarter",
            "outcomes per quarter",
        ),
        Measure(
            "rape_charge_rate_cohort",
            "Charged / outcomes assigned (cohort, %)",
            "percent",
        ),
        Measure(
            "cps_sexual_offences_conviction_rate",
            "CPS sexual-offence conviction rate (%)",
            "percent",
        ),
        Measure(
            "cps_sexual_offences_convictions",
            "CPS sexual-offence convictions per quarter",
            "convictions per quarter",
            noun="CPS sexual-offence convictions",
        ),
        Measure(
            "population",
            "Population (mid-year estimate)",
            "people",
            denominator="population per quarter",
        ),
    )
}


def measure(name: str) -> Measure:
    """The row of ``name``; an unknown measure is an error naming the table to add it to."""
    try:
        return MEASURES[name]
    except KeyError:
        raise KeyError(
            f"no measure {name!r} in rasso_research/data/measures.py (MEASURES): add its row "
            "(label with units, unit, noun, denominator)"
        ) from None


def ylabel_for(
    measure_name: str, offset: str | None = None, per: float | None = None, lag: int = 0
) -> str:
    """Axis label with units for a panel measure, or for a rate of it per ``per`` ``offset``
    (``lag``: the denominator is the mean of that many previous quarters); raises if the
    table has no such label, so a figure never falls back to a generic label silently."""
    if offset is None:
        return measure(measure_name).label
    num, den = measure(measure_name).noun, measure(offset).denominator
    if num is None or den is None:
        raise KeyError(
            f"no rate label for {measure_name!r} per {offset!r}: give {measure_name!r} a noun "
            f"and {offset!r} a denominator in rasso_research/data/measures.py (MEASURES)"
        )
    if lag:
        den += f" (mean of the previous {lag} quarters)"
    return f"{num} per {float(per or 1):,.0f} {den}"
