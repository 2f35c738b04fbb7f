"""One force's reform on annual charges, asked of the right unit and the right years: the
study behind the West Midlands answer of notebook 03.

* **Two treated units, both reported** (:func:`treated_units`): the CPS Area that serves the
  force (its forces summed, :func:`rasso_research.data.series.with_cps_areas`) against the
  other Areas, and the force itself against the forces outside its Area. Donor exclusions are
  rules with reasons: the Area-mates (for the force), the City of London, optionally the other
  Operation Soteria pathfinders.
* **The part-exposed year faced** (:data:`TIMINGS`, :func:`annual_timing`): the year that holds
  the reform's date in the pre-period, left out, or the first treated year.
* **Two windows** (:func:`primary_end`): the primary post-period stops before the force's next
  dated event (for West Midlands, Operation Soteria); the longer one runs to the last year.
* **Donor hygiene** (:func:`donor_hygiene`): a donor with a year-on-year |log change| above a
  threshold, or a year the data's not-supplied rule or the source flags, is listed and by
  default dropped.
* **The claim in the outcome's units** (:func:`claim_in_units`): a claimed % change as a
  change per 100,000 from the unit's own level, beside every MDE.

:func:`compare_units` runs the synthetic designs of :mod:`.force` for every unit x timing x
window; :class:`UnitsComparison` holds the fits and writes the tables.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from rasso_research import fitcache, periods, timeline
from rasso_research.claims.ledger import load_readings
from rasso_research.data.series import force_year_series
from rasso_research.data.sources.cps_areas import PREFIX
from rasso_research.designs.base import DesignResult
from rasso_research.designs.synthetic import METHODS, SyntheticComparison

from .force import ANNUAL_MEASURES, ForceYearComparison, compare_force_year

#: the treatments of the financial year that holds the reform's date
TIMINGS = ("pre", "dropped", "treated")
#: the post-period windows: before the force's next dated event, and to the last year
WINDOWS = ("primary", "long")
#: the default hygiene threshold: a donor's rate halving or doubling in one year
LOG2 = math.log(2)
#: why a force is left out of a donor pool when named (others: "named in the exclusions")
EXCLUSION_REASONS = {
    "City of London": "about 10,000 residents: its rates per 100,000 are not comparable",
}


def timing_label(timing: str, year: str) -> str:
    """Words for a timing of the part-exposed ``year``."""
    return {
        "pre": f"{year} in the pre-period",
        "dropped": f"{year} left out",
        "treated": f"{year} the first treated year",
    }[timing]


def annual_timing(interruption, timing: str) -> tuple[str, tuple[str, ...], str]:
    """(first treated year, years left out, the part-exposed year) of an interruption quarter
    under ``timing``: ``"pre"`` (the year holding the date in the pre-period), ``"dropped"``
    (left out) or ``"treated"`` (the first treated year). A date in a year's first quarter has
    no part-exposed year: all three are then the same design."""
    if timing not in TIMINGS:
        raise ValueError(f"timing must be one of {TIMINGS} (the part-exposed year's treatment)")
    first, part = periods.annual_dates(interruption)
    if not part:
        return first, (), ""
    if timing == "treated":
        return part[0], (), part[0]
    return first, (tuple(part) if timing == "dropped" else ()), part[0]


def months_before(intervention: str, table=None) -> tuple[str, int]:
    """The financial year that holds an intervention's date and how many of its 12 months
    come before the date (``config/interventions.csv``), e.g. ``("2018/19", 8)`` for
    1 December 2018."""
    df = timeline.load_interventions() if table is None else table
    row = df.loc[df["id"] == intervention]
    if row.empty:
        raise ValueError(f"unknown intervention {intervention!r} (config/interventions.csv)")
    date = pd.Timestamp(row["date"].iloc[0])
    year = periods.fiscal_year_of(periods.fiscal_quarter_of(date))
    start = pd.Timestamp(periods.fiscal_year_start(year), 4, 1)
    return year, (date.year - start.year) * 12 + date.month - start.month


def part_exposure(intervention: str, interruption, table=None) -> tuple[str, int]:
    """The part-exposed year of ``interruption`` (:func:`annual_timing`; ``""`` if none) and
    how many of its months precede the reform: from the intervention's date when the date
    lies in that year (:func:`months_before`), else from the interruption quarter's start."""
    year = annual_timing(interruption, "pre")[2]
    if not year:
        return "", 0
    y, m = months_before(intervention, table)
    if y == year:
        return year, m
    return year, 3 * (int(periods.calendar_to_fiscal(str(periods.quarter(interruption)))[-1]) - 1)


def primary_end(force: str, interruption, last_year: str, table=None) -> tuple[str, str]:
    """The last financial year of the primary post-period and the event it stops before (its
    short name and fiscal quarter): the year before the force's next dated event after
    ``interruption`` (``config/interventions.csv``); a year of which only the last quarter
    follows the event still counts as before it. No later event: ``last_year`` and ``""``."""
    ev = timeline.events_for(force, table)
    later = ev[ev["quarter"].map(periods.quarter) > periods.quarter(interruption)]
    if later.empty:
        return last_year, ""
    e = later.iloc[0]
    fy, q = periods.fiscal_year_of(e["fiscal_quarter"]), int(e["fiscal_quarter"][-1])
    end = fy if q == 4 else periods.fiscal_year_label(periods.fiscal_year_start(fy) - 1)
    end = min(end, last_year)
    return end, f"{e['short'] or e['event']} from {e['fiscal_quarter']}"


# ---- the units --------------------------------------------------------------------------------
@dataclass
class Unit:
    """A treated unit: its ``name`` in the annual table, ``geography`` (``force`` or
    ``cps_area``), its member forces and the donors excluded by rule (donor -> reason)."""

    name: str
    geography: str
    members: tuple[str, ...]
    excluded: dict = field(default_factory=dict)

    @property
    def label(self) -> str:
        if self.geography == "cps_area":
            return f"the {self.name} Area ({', '.join(self.members)})"
        return f"the {self.name} force"


def treated_units(
    force: str,
    areas: pd.DataFrame,
    exclude_area_mates: bool = True,
    exclude: Sequence[str] = ("City of London",),
    soteria: Sequence[str] = (),
) -> list[Unit]:
    """The CPS Area of ``force`` against the other Areas, and ``force`` against the other
    forces less ``exclude`` (reasons: :data:`EXCLUSION_REASONS`), its Area-mates (default) and
    the ``soteria`` pathfinders (for the Area: the Areas that hold one)."""
    known = set(areas["force"])
    for f in [force, *exclude, *soteria]:
        if f not in known:
            raise ValueError(f"unknown force {f!r}: use a name of config/cps_areas.csv")
    area_of = areas.set_index("force")["cps_area"]
    area = area_of[force]
    mates = tuple(sorted(areas.loc[areas["cps_area"] == area, "force"]))
    others = [f for f in soteria if f != force]
    a_excl = {
        PREFIX + area_of[f]: f"holds {f}, an Operation Soteria year-1 pathfinder"
        for f in others
        if area_of[f] != area
    }
    f_excl = {f: EXCLUSION_REASONS.get(f, "named in the exclusions") for f in exclude}
    if exclude_area_mates:
        f_excl.update({m: f"in the {PREFIX}{area} Area with {force}" for m in mates if m != force})
    f_excl.update({f: "an Operation Soteria year-1 pathfinder" for f in others})
    f_excl.pop(force, None)
    return [
        Unit(PREFIX + area, "cps_area", mates, a_excl),
        Unit(force, "force", (force,), f_excl),
    ]


# ---- donor hygiene ----------------------------------------------------------------------------
def donor_hygiene(s: pd.DataFrame, treated: str, threshold: float = LOG2) -> pd.DataFrame:
    """The unit-years of the annual series ``s`` (:func:`force_year_series`) that a donor pool
    should not trust: a year the source flags or the not-supplied rule leaves missing
    (``s.attrs["dropped"]``), and a year-on-year |log change| above ``threshold`` (a zero after
    a positive value counts). One row each; ``treated`` marks the treated unit's own."""
    if not threshold > 0:
        raise ValueError(f"threshold must be a positive |log change|, got {threshold!r}")
    rows = [
        {
            "unit": d["force"],
            "fiscal_year": d["fiscal_year"],
            "value": np.nan,
            "previous": np.nan,
            "log_change": np.nan,
            "rule": "not supplied" if "not supplied" in d["flag"] else "flagged",
            "detail": d["flag"],
        }
        for d in s.attrs.get("dropped", [])
    ]
    d = s.sort_values(["force", "year"])
    prev = d.groupby("force")["value"].shift(1)
    gap = d.groupby("force")["year"].diff() == 1
    with np.errstate(divide="ignore", invalid="ignore"):
        lc = np.log(d["value"] / prev)
    jump = gap & prev.notna() & d["value"].notna() & (lc.abs() > threshold)
    for i in d.index[jump]:
        rows.append(
            {
                "unit": d.at[i, "force"],
                "fiscal_year": d.at[i, "fiscal_year"],
                "value": d.at[i, "value"],
                "previous": prev[i],
                "log_change": lc[i],
                "rule": "jump",
                "detail": f"|log change| {abs(lc[i]):.2f} > {threshold:.2f}",
            }
        )
    cols = ["unit", "fiscal_year", "value", "previous", "log_change", "rule", "detail"]
    out = pd.DataFrame(rows, columns=cols)
    out.insert(1, "treated", out["unit"] == treated)
    return out.sort_values(["unit", "fiscal_year"]).reset_index(drop=True)


# ---- the claim in the outcome's units --------------------------------------------------------
def claim_percent(reading: str, readings: pd.DataFrame | None = None) -> float:
    """The published % change of a reading of ``config/claims.csv`` (e.g. ``"6d"``)."""
    r = load_readings() if readings is None else readings
    if reading not in r.index:
        raise ValueError(f"claim reading {reading!r} not in config/claims.csv ({sorted(r.index)})")
    if r.loc[reading, "unit"] != "percent change":
        raise ValueError(f"claim reading {reading!r} is not a % change ({r.loc[reading, 'unit']})")
    return float(r.loc[reading, "published_value"])


def claim_in_units(pct: float, base_level: float, pre_mean: float) -> dict:
    """A claimed ``pct`` % change as a change in the outcome's units: from the unit's level in
    the claim's base year, and from its pre-period mean."""
    return {
        "claim_pct": pct,
        "base_level": base_level,
        "claim_per_100k": pct / 100 * base_level,
        "pre_mean": pre_mean,
        "claim_per_100k_pre_mean": pct / 100 * pre_mean,
    }


# ---- the comparisons --------------------------------------------------------------------------
def _merge(parts: list[ForceYearComparison]) -> ForceYearComparison:
    """One comparison of several (one per measure, each with its own donor pool)."""
    a = parts[0]
    fits = {k: v for p in parts for k, v in p.fits.items()}
    events = {k: v for p in parts for k, v in p.events.items()}
    info = pd.concat([p.info for p in parts], ignore_index=True)
    return ForceYearComparison(a.force, a.first_year, fits, info, events, a.transition, a.geography)


def fit_unit(
    fy: pd.DataFrame,
    unit: Unit,
    interruption,
    timing: str,
    end: str,
    drop: dict,
    group: str = "Sexual offences",
    measures: Sequence[str] = tuple(ANNUAL_MEASURES),
    **kw,
) -> ForceYearComparison:
    """The synthetic designs of ``unit`` under ``timing`` to ``end``, one measure at a time:
    its donors less the unit's exclusions and ``drop[measure]`` (hygiene); ``kw`` as
    :func:`rasso_research.studies.force.compare_force_year` (negative controls, rates...)."""
    first, left_out, _ = annual_timing(interruption, timing)
    parts = [
        compare_force_year(
            fy,
            unit.name,
            first,
            groups=[group],
            measures=[m],
            transition=left_out,
            end=end,
            exclude=sorted(set(unit.excluded) | set(drop.get(m, ()))),
            geography=unit.geography,
            **kw,
        )
        for m in measures
    ]
    return _merge(parts)


def unit_hygiene(
    fy: pd.DataFrame,
    unit: Unit,
    end: str,
    group: str = "Sexual offences",
    measures: Sequence[str] = tuple(ANNUAL_MEASURES),
    threshold: float = LOG2,
) -> pd.DataFrame:
    """:func:`donor_hygiene` of the unit and its candidate donors (the excluded left aside)
    on each measure's target series per 100,000 to ``end``."""
    parts = []
    for m in measures:
        s = force_year_series(fy, m, group, rate=True, end=end, geography=unit.geography)
        s = s[~s["force"].isin(unit.excluded)]
        s.attrs["dropped"] = [d for d in s.attrs["dropped"] if d["force"] not in unit.excluded]
        h = donor_hygiene(s, unit.name, threshold)
        parts.append(h.assign(series=_label(group, m), measure=m))
    out = pd.concat(parts, ignore_index=True)
    out.insert(0, "treated_unit", unit.name)
    return out


def _label(group: str, m: str) -> str:
    return f"{group}: {ANNUAL_MEASURES.get(m, m)} per 100,000"


@dataclass
class UnitsComparison(DesignResult):
    """Every unit x timing x window of the annual comparison (:func:`compare_units`); the
    primary timing's primary-window fits hold the negative controls, counts and event studies."""

    effect_columns = (
        "unit",
        "timing",
        "window",
        "series",
        "method",
        "estimate",
        "ci_low",
        "ci_high",
        "placebo_p",
        "mde",
    )

    units: list
    timing: str
    part_year: str
    windows: dict  # window -> its last year
    fits: dict  # (unit name, timing, window) -> ForceYearComparison
    hygiene_table: pd.DataFrame
    claim: dict  # reading, pct, base_year
    levels: pd.DataFrame  # unit, measure, fiscal_year, value (per 100,000)

    def fit(self, unit: str, timing: str | None = None, window: str = "primary"):
        """The comparison of ``unit`` (its name) under ``timing`` (default: the primary)."""
        return self.fits[(unit, timing or self.timing, window)]

    def _claim_columns(self, unit: str, measure: str, fit: SyntheticComparison) -> dict:
        lv = self.levels[(self.levels["unit"] == unit) & (self.levels["measure"] == measure)]
        base = lv.loc[lv["fiscal_year"] == self.claim["base_year"], "value"]
        p = fit.panel
        out = claim_in_units(
            self.claim["pct"], float(base.iloc[0]) if len(base) else np.nan, p.Y[-1, : p.T0].mean()
        )
        return {"base_year": self.claim["base_year"], **out}

    def effects(self) -> pd.DataFrame:
        """The timing x window table: every method's estimate of each unit's target series per
        100,000, with its CI, placebo p, MDE and the claim in the same units."""
        rows = []
        for (unit, timing, window), c in self.fits.items():
            e = c.effects()
            e = e[(e["role"] == "target") & e["per_100k"]]
            for r in e.to_dict("records"):
                fit = c.fits[r["series"]]
                cl = self._claim_columns(unit, r["measure"], fit)
                rows.append(
                    {
                        "unit": unit,
                        "geography": r.get("geography", ""),
                        "timing": timing,
                        "part_year": self.part_year,
                        "timing_label": timing_label(timing, self.part_year)
                        if self.part_year
                        else "no part-exposed year",
                        "window": window,
                        "first_year": c.first_year,
                        "last_year": str(fit.panel.times[-1]),
                        "left_out": ", ".join(c.transition),
                        **{k: r[k] for k in ("series", "measure", "method", "estimate", "se")},
                        **{k: r[k] for k in ("ci_low", "ci_high", "placebo_p", "n_placebos")},
                        **{k: r[k] for k in ("min_p", "mde", "n_donors", "n_pre", "n_post")},
                        **cl,
                        "mde_over_claim": r["mde"] / cl["claim_per_100k"],
                    }
                )
        out = pd.DataFrame(rows)
        geo = {u.name: u.geography for u in self.units}
        out["geography"] = out["unit"].map(geo)
        return out

    def table(self) -> pd.DataFrame:
        return self.effects()

    def donors(self) -> pd.DataFrame:
        """Each unit's donor pool on each target series of the primary fit: every candidate
        with its status (donor with its SDID weight, excluded by rule, dropped by hygiene or
        for a missing year) and the reason."""
        rows = []
        for u in self.units:
            c = self.fit(u.name)
            hyg = self.hygiene_table[
                (self.hygiene_table["treated_unit"] == u.name)
                & (self.hygiene_table["window"] == "primary")
                & ~self.hygiene_table["treated"]
            ]
            for _, r in c.info[(c.info["role"] == "target") & c.info["per_100k"]].iterrows():
                rows += _pool_rows(u, r, c.fits[r["series"]], hyg[hyg["measure"] == r["measure"]])
        return pd.DataFrame(rows)

    def tables(self) -> dict[str, pd.DataFrame]:
        return {
            "timing": self.effects(),
            "donors": self.donors(),
            "hygiene": self.hygiene_table,
        }


def _pool_rows(u: Unit, info: pd.Series, fit: SyntheticComparison, hyg: pd.DataFrame) -> list:
    """The rows of :meth:`UnitsComparison.donors` for one unit and series."""
    w = fit.weights()
    w = w[w["method"] == "sdid"].set_index("donor")["weight"]
    base = {"unit": u.name, "series": info["series"], "measure": info["measure"]}
    kept = hyg[~hyg["dropped"]].groupby("unit")["detail"].agg("; ".join)
    rows = [
        {
            **base,
            "donor": d,
            "status": "donor",
            "weight": float(w.get(d, np.nan)),
            "reason": f"flagged, kept: {kept[d]}" if d in kept.index else "",
        }
        for d in fit.panel.units[:-1]
    ]
    hyg = hyg[hyg["dropped"]]
    rows += [
        {**base, "donor": d, "status": "excluded", "weight": np.nan, "reason": why}
        for d, why in sorted(u.excluded.items())
    ]
    for d, g in hyg.groupby("unit", sort=True):
        why = "; ".join(f"{y}: {x}" for y, x in zip(g["fiscal_year"], g["detail"], strict=True))
        rows.append({**base, "donor": d, "status": "dropped", "weight": np.nan, "reason": why})
    gaps = [d for d in str(info["dropped_donors"]).split("; ") if d and d not in set(hyg["unit"])]
    rows += [
        {**base, "donor": d, "status": "dropped", "weight": np.nan, "reason": "a missing year"}
        for d in gaps
    ]
    return rows


@fitcache.cached
def compare_units(
    fy: pd.DataFrame,
    units: Sequence[Unit],
    interruption,
    primary_end_year: str,
    last_year: str,
    primary_timing: str = "pre",
    claim: str = "6d",
    threshold: float = LOG2,
    drop_flagged: bool = True,
    negative_controls: Sequence[str] = (),
    group: str = "Sexual offences",
    measures: Sequence[str] = tuple(ANNUAL_MEASURES),
    methods: Sequence[str] = METHODS,
    max_pre_rmspe_ratio: float | None = None,
) -> UnitsComparison:
    """Every unit under every timing (:data:`TIMINGS`) to ``primary_end_year`` and to
    ``last_year``, target series per 100,000; the primary timing's primary window also with
    counts, ``negative_controls`` and event studies. ``fy`` must hold the Areas' rows
    (:func:`rasso_research.data.series.with_cps_areas`). Donors that :func:`donor_hygiene`
    lists (``threshold``) are dropped when ``drop_flagged`` (a missing or flagged year always
    is); the claim ``claim`` (a reading of ``config/claims.csv``) is put in per-100,000 units."""
    if primary_timing not in TIMINGS:
        raise ValueError(f"primary_timing must be one of {TIMINGS}, got {primary_timing!r}")
    if not primary_end_year <= last_year:
        raise ValueError(f"primary_end_year {primary_end_year} is after last_year {last_year}")
    first, part = periods.annual_dates(interruption)
    base_year = part[0] if part else periods.fiscal_year_label(periods.fiscal_year_start(first) - 1)
    windows = {"primary": primary_end_year, "long": last_year}
    fits, hyg, levels = {}, [], []
    common = {"methods": methods, "max_pre_rmspe_ratio": max_pre_rmspe_ratio}
    for u in units:
        for m in measures:
            s = force_year_series(fy, m, group, rate=True, geography=u.geography)
            lv = s[s["force"] == u.name][["fiscal_year", "value"]]
            levels.append(lv.assign(unit=u.name, measure=m))
        for window, end in windows.items():
            h = unit_hygiene(fy, u, end, group, measures, threshold).assign(window=window)
            h["dropped"] = ~h["treated"] & (drop_flagged | h["rule"].ne("jump"))
            hyg.append(h)
            drop = h[h["dropped"]].groupby("measure")["unit"].agg(lambda x: sorted(set(x)))
            for timing in TIMINGS:
                main = timing == primary_timing and window == "primary"
                extra = (
                    {"negative_controls": negative_controls, "rates": [True, False]}
                    if main
                    else {"rates": [True], "events": timing == primary_timing}
                )
                fits[(u.name, timing, window)] = fit_unit(
                    fy,
                    u,
                    interruption,
                    timing,
                    end,
                    drop.to_dict(),
                    group,
                    measures,
                    **common,
                    negative_rates=[True],
                    **extra,
                )
    return UnitsComparison(
        list(units),
        primary_timing,
        part[0] if part else "",
        windows,
        fits,
        pd.concat(hyg, ignore_index=True),
        {"reading": claim, "pct": claim_percent(claim), "base_year": base_year},
        pd.concat(levels, ignore_index=True),
    )
