"""The measures of the panel: one row each with its axis label (with units), its unit, the
counted thing (for rate labels), how it is named as a denominator, and whether it is a count
that adds up over areas (so a CPS Area's value is the sum of its forces').

Every figure and generated sentence names a measure through this table, so a new measure is
labelled where it is defined (with its data source), never in a plotting module; a measure
without a row has no label, and asking for one is an error naming the table. Families of
measures that differ only by a code (recorded rape by offence code, outcomes by outcome type)
are rows of :data:`FAMILIES`, one pattern each.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace


@dataclass(frozen=True)
class Measure:
    """One measure: ``label`` for an axis (with units), ``unit`` in words, ``noun`` (the
    counted thing, for ``<noun> per <n> <denominator>``), ``denominator`` (how a rate per this
    measure names it; the last two ``None`` where the measure is not used so) and
    ``additive`` (a count: the value of a group of areas is the sum of theirs)."""

    name: str
    label: str
    unit: str
    noun: str | None = None
    denominator: str | None = None
    additive: bool = False


def _count(name: str, label: str, unit: str, noun: str | None = None, **kw) -> Measure:
    return Measure(name, label, unit, noun, additive=True, **kw)


#: All offences together (police outcomes open data, via the OOCD dashboard aggregate), on the
#: two outcome measures: ``cohort`` (outcomes of offences recorded in the quarter) and
#: ``in_quarter`` (outcomes assigned in the quarter, whenever the offence was recorded).
_ALL_OFFENCES = tuple(
    _count(
        f"all_{what}_{basis}",
        f"{noun} (all offences, {words}) per quarter",
        f"{unit} per quarter",
        f"{noun} (all offences, {words})",
        denominator=f"{unit} (all offences, {words})",
    )
    for what, noun, unit in (
        ("charged", "Charges", "charges"),
        ("oocd", "Out-of-court outcomes", "outcomes"),
        ("outcomes", "Outcomes assigned", "outcomes"),
    )
    for basis, words in (("cohort", "cohort"), ("in_quarter", "closed in the quarter"))
)

#: The annual force x financial-year x offence-group outcomes (``force_year``): counts of one
#: offence group in a financial year, on the two outcome measures (a CPS Area's value is the sum
#: of its forces', :func:`rasso_research.data.sources.cps_areas.area_year_rows`).
_ANNUAL = tuple(
    _count(
        f"{what}_{basis}",
        f"{noun} ({words}) per financial year",
        f"{unit} per financial year",
        f"{noun} ({words})",
    )
    for what, noun, unit in (
        ("charged", "Charges", "charges"),
        ("oocd", "Out-of-court outcomes", "outcomes"),
    )
    for basis, words in (
        ("closed", "closed in the year"),
        ("cohort", "offences recorded in the year"),
    )
)

MEASURES: dict[str, Measure] = {
    m.name: m
    for m in (
        _count(
            "recorded_rape",
            "Recorded rapes per quarter",
            "offences per quarter",
            noun="Recorded rapes",
            denominator="recorded rapes",
        ),
        _count(
            "recorded_rape_adult",
            "Recorded adult rapes (aged 16 and over) per quarter",
            "offences per quarter",
            noun="Recorded adult rapes",
            denominator="recorded adult rapes",
        ),
        _count(
            "recorded_rape_child",
            "Recorded child rapes (under 16) per quarter",
            "offences per quarter",
            noun="Recorded child rapes",
            denominator="recorded child rapes",
        ),
        Measure(
            "recorded_rape_per_100k",
            "Recorded rapes per 100,000 population per quarter",
            "offences per 100,000 population per quarter",
        ),
        _count(
            "rape_charged_in_quarter",
            "Rape charges per quarter",
            "charges per quarter",
            noun="Rape charges",
        ),
        _count(
            "rape_charged_cohort",
            "Rape charges (cohort) per quarter",
            "charges per quarter",
            noun="Rape charges (cohort)",
        ),
        # adult (19C, 19F: aged 16 and over) and child (19D, 19E, 19G, 19H) rape codes apart;
        # 19J/19K (multiple undefined offenders, no age) count only in all rape
        _count(
            "rape_charged_in_quarter_adult",
            "Adult rape charges per quarter",
            "charges per quarter",
            noun="Adult rape charges",
        ),
        _count(
            "rape_charged_in_quarter_child",
            "Child rape charges per quarter",
            "charges per quarter",
            noun="Child rape charges",
        ),
        _count(
            "rape_charged_cohort_adult",
            "Adult rape charges (cohort) per quarter",
            "charges per quarter",
            noun="Adult rape charges (cohort)",
        ),
        _count(
            "rape_charged_cohort_child",
            "Child rape charges (cohort) per quarter",
            "charges per quarter",
            noun="Child rape charges (cohort)",
        ),
        _count(
            "rape_outcomes_cohort",
            "Rape outcomes assigned (cohort) per quarter",
            "outcomes per quarter",
            noun="Rape outcomes assigned (cohort)",
            denominator="rape outcomes assigned (cohort)",
        ),
        _count(
            "rape_outcomes_in_quarter",
            "Rape outcomes assigned in the quarter",
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
        _count(
            "cps_sexual_offences_convictions",
            "CPS sexual-offence convictions per quarter",
            "convictions per quarter",
            noun="CPS sexual-offence convictions",
        ),
        _count(
            "cps_sexual_offences_unsuccessful",
            "CPS sexual-offence unsuccessful outcomes per quarter",
            "unsuccessful outcomes per quarter",
        ),
        _count(
            "population",
            "Population (mid-year estimate)",
            "people",
            denominator="population per quarter",
        ),
        *_ALL_OFFENCES,
        *_ANNUAL,
    )
}

#: Families of measures by pattern: the regular expression (one group: the code) and how its
#: row is made from a member's name and code.
FAMILIES: tuple[tuple[str, object], ...] = (
    (
        r"recorded_rape_(19[A-Z])",
        lambda name, code: _count(
            name, f"Recorded rapes, offence code {code}, per quarter", "offences per quarter"
        ),
    ),
    (
        r"rape_outcomes_cohort_type_(\d+)",
        lambda name, code: _count(
            name,
            f"Rape outcomes of type {code} (cohort) per quarter",
            "outcomes per quarter",
        ),
    ),
)


#: A rate derived from two counts of an area (:func:`rate_name`): numerator, then ``__per_``,
#: the multiplier, the denominator and, for a lagged denominator, ``_lag`` and the quarters.
RATE = re.compile(r"(?P<num>\w+?)__per_(?P<per>\d+)_(?P<den>[a-z_]+?)(?:_lag(?P<lag>\d+))?")


def rate_name(numerator: str, denominator: str, per: int, lag: int = 0) -> str:
    """The measure name of ``per`` x ``numerator`` / ``denominator`` (``lag``: the mean of the
    denominator's previous quarters), e.g. ``all_charged_in_quarter__per_100000_population``;
    both counts must have rows here, so the rate has a label."""
    for m in (numerator, denominator):
        if not measure(m).additive:
            raise ValueError(f"a rate is of two counts: {m!r} is not additive (measures.py)")
    return f"{numerator}__per_{int(per)}_{denominator}" + (f"_lag{int(lag)}" if lag else "")


def _rate_row(name: str, m: re.Match) -> Measure:
    per, lag = int(m["per"]), int(m["lag"] or 0)
    label = ylabel_for(m["num"], m["den"], per, lag)
    return Measure(name, label, label.removeprefix(measure(m["num"]).noun or "").strip())


def measure(name: str) -> Measure:
    """The row of ``name`` (or of its family, or of a rate of two rows, :func:`rate_name`); an
    unknown measure is an error naming the table to add it to."""
    if name in MEASURES:
        return MEASURES[name]
    rate = RATE.fullmatch(name)
    if rate:
        return _rate_row(name, rate)
    for pattern, make in FAMILIES:
        m = re.fullmatch(pattern, name)
        if m:
            return replace(make(name, m.group(1)), name=name)
    raise KeyError(
        f"no measure {name!r} in rasso_research/data/measures.py (MEASURES or FAMILIES): add "
        "its row (label with units, unit, noun, denominator, additive)"
    )


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
