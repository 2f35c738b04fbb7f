"""The national study, defined once: the series, specs, dates and sensitivity fits of
notebooks 02 (the national ITS) and 04 (the specification curve), and the typed reading of
their saved tables that notebook 05 draws the paper figures from.

* :data:`SERIES`: the five national series, each with a stable ``key``, the label its tables
  carry, the paper figures' short label and title, and whether it measures reporting or
  prosecution;
* :class:`NationalStudy`: the series read from the panel and the spec of each, from the
  notebook's parameters (start quarters, the R v Allan rule, model family, seasonality, Covid-19
  handling, the charge-rate denominator), with the fits the notebook reports (each date alone,
  the joint model, the Rape Review's quarter, the start and R v Allan sensitivities, the other
  prosecution series);
* :func:`fit_sensitivity`: notebook 04's specification curve on notebook 02's default spec
  (the saved tables, typed: :mod:`.national_results`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from rasso_research import fitcache, timeline
from rasso_research.constants import MIN_POST, MIN_PRE
from rasso_research.data import catalog
from rasso_research.data import series as S
from rasso_research.designs import joint_its, national_its, spec_curve
from rasso_research.designs.base import (
    QUARTERLY,
    at,
    covid_disrupted,
    with_covid,
    with_incomplete,
)
from rasso_research.its import Interruption, ITSSpec
from rasso_research.periods import quarter


@dataclass(frozen=True)
class NationalSeries:
    """One national series: ``key`` (stable), ``label`` (as in the tables), ``short`` (figure
    2's row label), ``title`` (figure 1's panel title, empty if not in figure 1) and ``group``
    ("reporting" or "prosecution")."""

    key: str
    label: str
    short: str
    title: str
    group: str


def charge_rate_label(lag: int) -> str:
    """The label of the charge rate on the mean of the previous ``lag`` quarters' recorded
    rapes (the same-quarter rate when ``lag`` is 0)."""
    base = "Rape charges per 100 recorded rapes"
    return f"{base} (mean of the previous {lag} quarters)" if lag else base


def adult_rate_label(lag: int) -> str:
    """The label of the adult charge rate (adult rape codes 19C and 19F in numerator and
    denominator) on the mean of the previous ``lag`` quarters' adult recorded rapes."""
    base = "Adult rape charges per 100 adult recorded rapes"
    return f"{base} (mean of the previous {lag} quarters)" if lag else base


def national_series(charge_rate_lag: int = 4) -> tuple[NationalSeries, ...]:
    """The six national series, the charge rates on ``charge_rate_lag`` quarters."""
    primary = charge_rate_label(charge_rate_lag)
    return (
        NationalSeries(
            "recorded_count",
            "Recorded rape (count, population offset)",
            "Recorded rape per 100k, quasi-Poisson",
            "Police recorded rape",
            "reporting",
        ),
        NationalSeries(
            "recorded_rate",
            "Recorded rape per 100k (OLS)",
            "Recorded rape per 100k, OLS",
            "",
            "reporting",
        ),
        NationalSeries(
            "charges",
            "Rape charges (count)",
            "Police rape charges, quasi-Poisson",
            "Police rape charges",
            "prosecution",
        ),
        NationalSeries(
            "charge_rate",
            primary,
            f"Charges per 100 recorded (previous {charge_rate_lag}-quarter mean)",
            "Rape charges per 100 recorded rapes",
            "prosecution",
        ),
        NationalSeries(
            "charge_rate_adult",
            adult_rate_label(charge_rate_lag),
            f"Adult charges per 100 adult recorded (previous {charge_rate_lag}-quarter mean)",
            "",
            "prosecution",
        ),
        NationalSeries(
            "charge_rate_same_quarter",
            charge_rate_label(0),
            "Charges per 100 recorded (same quarter)",
            "",
            "prosecution",
        ),
    )


#: The series of the default study (the primary charge rate on the previous four quarters).
SERIES: tuple[NationalSeries, ...] = national_series()
#: Figure 1's panels, by key.
FIGURE1 = ("recorded_count", "charges", "charge_rate")
#: The prosecution series modelled when the panel has them (the official releases add them).
OTHER_SERIES = (
    "rape_charged_cohort",
    "rape_charge_rate_cohort",
    "rape_outcomes_cohort",
    "cps_sexual_offences_convictions",
    "cps_sexual_offences_conviction_rate",
)
#: the measures of the adult charge rate (numerator and denominator)
ADULT_MEASURES = {"rape_charged_in_quarter_adult", "recorded_rape_adult"}
ALLAN = "r_v_allan"
ALLAN_CHOICES = ("segment", "start_after", "none")


def base_spec(family: str = "quasipoisson", season="quarter", covid: str = "exclude") -> ITSSpec:
    """The national models' spec before any date (quasi-Poisson, quarter-of-year terms), with
    the Covid-19 quarters as indicators under ``covid`` (default: each its own, as notebook
    04's curve starts from; ``"days"`` and ``"none"``: no indicators, the lockdown-days
    covariate being joined to each series by :meth:`NationalStudy.prepare`)."""
    if covid in ("days", "none"):
        return QUARTERLY.replace(family=family, season=season)
    dis = covid_disrupted(covid, timeline.covid_disrupted_quarters())
    return QUARTERLY.replace(family=family, season=season, disrupted=dis)


#: sources of the national rape charges on the closure measure, the first present used: the
#: official July 2026 release (to 2025/26, when fetched), else the 2024 edition by offence code
CHARGES_SOURCES = ("ho_official", "charged_nat")


def charges_source(panel: pd.DataFrame, measure: str = "rape_charged_in_quarter") -> str:
    """The source key of the national rape charges (closure measure) the study reads."""
    rows = panel[(panel["measure"] == measure) & (panel["geography"] == "national")]
    have = set(rows["source"])
    for key in CHARGES_SOURCES:
        if catalog.label(key) in have:
            return key
    raise ValueError(f"no national {measure} from any of {CHARGES_SOURCES} in the panel")


def label_of(key: str, series: Sequence[NationalSeries] = SERIES) -> str:
    """The table label of series ``key``; an unknown key is an error listing the keys."""
    for s in series:
        if s.key == key:
            return s.label
    raise KeyError(f"no national series {key!r}; the keys are {[s.key for s in series]}")


class NationalStudy:
    """The national series and their specs from notebook 02's parameters (see the module
    docstring; the first quarters of the recorded-rape and charge series are given, as every
    quarter is, where the study is run); the fits are methods, so a notebook, a test and a
    student's script run the same study.

    Covid-19 enters every model as :meth:`prepare` joins it (``covid``: ``"days"``, the
    lockdown days of each quarter as a covariate, the default; the indicator choices of
    :data:`rasso_research.designs.base.COVID_CHOICES` as sensitivities), and a quarter whose
    national total lacks a force's figures (:func:`rasso_research.data.series.incomplete_quarters`:
    Greater Manchester's outcomes of July 2019 to March 2020) is marked by a covariate shared
    by those quarters (the missing force's share), not read as a fall."""

    def __init__(
        self,
        panel: pd.DataFrame,
        interventions: Sequence[str] = ("rasso2025", "jnap", "e2e_review"),
        *,
        start_recorded: str,
        start_charges: str,
        allan: str = "segment",
        family: str = "quasipoisson",
        season="quarter",
        covid: str = "days",
        charge_rate_lag: int = 4,
    ):
        if allan not in ALLAN_CHOICES:
            raise ValueError(f"allan must be one of {ALLAN_CHOICES}, got {allan!r}")
        self.panel = panel
        self.covid = covid
        self.lockdown_days = timeline.lockdown_days()
        self.covid_quarters = timeline.covid_disrupted_quarters()
        self.intervention_ids = tuple(interventions)
        self.interruptions = timeline.interruptions(interventions)
        self.first, self.q_first = next(iter(self.interruptions.items()))
        self.allan_q = quarter(timeline.interruption_quarter(ALLAN))
        self.allan_break = Interruption(ALLAN, str(self.allan_q))
        self.start_recorded = start_recorded
        self.start_charges = start_charges
        self.charge_rate_lag = charge_rate_lag
        self.charges_start = str(self.allan_q + 1) if allan == "start_after" else start_charges
        before = quarter(self.charges_start) < self.allan_q
        self.breaks = (self.allan_break,) if allan == "segment" and before else ()
        # the Covid-19 choice is joined to each series by prepare(), not held in the base spec
        self.base = base_spec(family, season, "none")
        have = set(panel["measure"])
        self.definitions = tuple(
            d
            for d in national_series(charge_rate_lag)
            if d.key != "charge_rate_adult" or ADULT_MEASURES <= have
        )
        self.charges_source = charges_source(panel)
        self.incomplete: dict[str, list[str]] = {}
        self.series, self.specs = {}, {}
        for label, (measure, kw) in self._reads().items():
            spec = self._spec(label)
            self.series[label], self.specs[label] = self.read(measure, spec, **kw)

    def label(self, key: str) -> str:
        """The table label of series ``key`` in this study."""
        return label_of(key, self.definitions)

    def has(self, key: str) -> bool:
        """Does this study hold series ``key`` (the adult rate needs the adult measures)?"""
        return any(d.key == key for d in self.definitions)

    def prepare(
        self,
        s: pd.DataFrame,
        spec: ITSSpec,
        incomplete: Sequence[str] = (),
        covid: str | None = None,
    ) -> tuple[pd.DataFrame, ITSSpec]:
        """The (series, spec) to fit: the Covid-19 choice (``covid``, default the study's)
        joined (:func:`rasso_research.designs.base.with_covid`) and the ``incomplete``
        quarters marked by one shared covariate (:func:`rasso_research.designs.base.with_incomplete`)."""
        s, spec = with_covid(s, spec, covid or self.covid, self.lockdown_days)
        return with_incomplete(s, spec, incomplete)

    def read(
        self, measure: str, spec: ITSSpec, covid: str | None = None, **kw
    ) -> tuple[pd.DataFrame, ITSSpec]:
        """Series ``measure`` of the panel (``kw``: :func:`rasso_research.data.series.series`'
        arguments) with ``spec``, prepared (:meth:`prepare`) with its incomplete quarters."""
        s = S.series(self.panel, measure, **kw)
        bad = S.incomplete_quarters(self.panel, measure, source=kw.get("source"))
        return self.prepare(s, spec, bad, covid)

    def _reads(self) -> dict[str, tuple[str, dict]]:
        """label -> (measure, arguments of :func:`rasso_research.data.series.series`)."""
        lag = self.charge_rate_lag
        ch = dict(source=self.charges_source, start=self.charges_start)
        rec = dict(offset="population", offset_fill="interpolate", start=self.start_recorded)
        rate = dict(offset="recorded_rape", offset_lag=lag)
        reads = {
            "recorded_count": ("recorded_rape", rec),
            "recorded_rate": ("recorded_rape_per_100k", dict(start=self.start_recorded)),
            "charges": ("rape_charged_in_quarter", ch),
            "charge_rate": ("rape_charged_in_quarter", {**ch, **rate}),
            "charge_rate_adult": (
                "rape_charged_in_quarter_adult",
                dict(
                    source=charges_source(self.panel, "rape_charged_in_quarter_adult")
                    if self.has("charge_rate_adult")
                    else None,
                    start=self.charges_start,
                    offset="recorded_rape_adult",
                    offset_lag=lag,
                ),
            ),
            "charge_rate_same_quarter": (
                "rape_charged_in_quarter",
                {**ch, "offset": "recorded_rape"},
            ),
        }
        return {self.label(d.key): reads[d.key] for d in self.definitions}

    def _spec(self, label: str) -> ITSSpec:
        base, brk = self.base, self.breaks
        key = next(d.key for d in self.definitions if d.label == label)
        if key == "recorded_count":
            return base.replace(rate_per=1e5)
        if key == "recorded_rate":
            return base.replace(family="ols")
        if key == "charges":
            return base.replace(interruptions=brk)
        return base.replace(interruptions=brk, rate_per=100)

    def marks(self) -> dict[str, str]:
        """The dates a national figure marks: R v Allan, every intervention and the national
        events modelled in a reform's quarter (:func:`rasso_research.timeline.coinciding`),
        events sharing a quarter named together (``JNAP / DG6 / AG disclosure``)."""
        near = timeline.coinciding(self.intervention_ids, window=0)
        ids = [ALLAN, *self.intervention_ids, *near["id"].unique()]
        by_q: dict[str, list[str]] = {}
        for name, q in timeline.interruptions(ids).items():
            by_q.setdefault(q, []).append(name)
        return {" / ".join(names): q for q, names in by_q.items()}

    # ---- the fits ---------------------------------------------------------------------------
    def fit_each_date(
        self, min_pre: int = MIN_PRE, min_post: int = MIN_POST, horizons=(0, 4, 8)
    ) -> national_its.NationalITS:
        """Each series at each date alone (the sensitivity analysis)."""
        return national_its.fit_national(
            self.series, self.specs, self.interruptions, min_pre, min_post, horizons
        )

    def fit_joint(
        self,
        slopes: str = "first",
        horizons=(0, 4, 8),
        leave_one_out: bool = True,
        interruptions: Mapping[str, str] | None = None,
        leads: bool = False,
    ) -> joint_its.JointITS:
        """Every series with a term for each reform (``interruptions``: other dates; ``leads``:
        and a level change one quarter before each)."""
        dates = self.interruptions if interruptions is None else interruptions
        return joint_its.fit_joint(
            self.series,
            self.specs,
            dates,
            slopes=slopes,
            horizons=horizons,
            leave_one_out=leave_one_out,
            leads=leads,
        )

    def rape_review_quarter(
        self, joint: joint_its.JointITS, alternative: str, slopes: str, horizons
    ) -> tuple[pd.DataFrame, pd.DataFrame]:
        """The Rape Review at ``alternative`` instead of its first full quarter: its level
        change in the joint model at both quarters (:func:`joint_its.compare_joint`), and
        fitted alone at both."""
        name = timeline.label("e2e_review")
        alt = {**self.interruptions, name: alternative}
        joint_alt = self.fit_joint(slopes, horizons, leave_one_out=False, interruptions=alt)
        quarters = (self.interruptions[name], alternative)
        cmp = joint_its.compare_joint(
            dict(zip(quarters, (joint, joint_alt), strict=True)), name, "rape_review"
        )
        alone = pd.concat(
            [
                national_its.compare(
                    {
                        q: national_its.fit_series(s, at(self.specs[label], q), horizons=(0,))
                        for q in quarters
                    },
                    "rape_review",
                ).assign(series=label)
                for label, s in self.series.items()
            ],
            ignore_index=True,
        )
        return cmp, alone

    def start_sensitivity(self, starts: Sequence[str]) -> pd.DataFrame:
        """The recorded-rape count model at the first date, from each start quarter."""
        spec = at(self._spec(self.label("recorded_count")), self.q_first)
        fits = {}
        for st in starts:
            s, sp = self.read(
                "recorded_rape", spec, offset="population", offset_fill="interpolate", start=st
            )
            fits[st] = national_its.fit_series(s, sp, horizons=(0, 4))
        return national_its.compare(fits, "start")

    def allan_sensitivity(self) -> pd.DataFrame:
        """The primary charge rate at the first date with R v Allan as its own segment, with
        the series starting after it, and ignored."""
        q = self.allan_q
        choices = {
            f"segment at {q}": (self.start_charges, (self.allan_break,)),
            f"start {q + 1}": (str(q + 1), ()),
            "ignored": (self.start_charges, ()),
        }
        fits = {}
        for how, (st, brk) in choices.items():
            s, spec = self.read(
                "rape_charged_in_quarter",
                at(self.base.replace(interruptions=brk, rate_per=100), self.q_first),
                source=self.charges_source,
                offset="recorded_rape",
                offset_lag=self.charge_rate_lag,
                start=st,
            )
            fits[how] = national_its.fit_series(s, spec, horizons=(0,))
        return national_its.compare(fits, "allan")

    def fit_other_series(
        self, min_pre: int = MIN_PRE, min_post: int = MIN_POST, horizons=(0, 4, 8)
    ) -> national_its.NationalITS:
        """Every other prosecution series the panel holds (:data:`OTHER_SERIES`), each at each
        date where it has enough quarters: OLS on rates, quasi-Poisson on counts."""
        present = [m for m in OTHER_SERIES if m in set(self.panel["measure"])]
        series, specs = {}, {}
        for m in present:
            fam = "ols" if "rate" in m else "quasipoisson"
            series[m], specs[m] = self.read(m, self.base.replace(family=fam))
        return national_its.fit_national(
            series,
            specs,
            self.interruptions,
            min_pre,
            min_post,
            horizons,
        )


def cps_feasibility(
    cps: pd.DataFrame,
    interruption,
    measures=("charges", "prosecutions", "convictions"),
    min_pre: int = MIN_PRE,
    min_post: int = MIN_POST,
) -> pd.DataFrame:
    """Can the CPS rape-flagged series support an ITS at ``interruption``?

    Financial-year rows count as one point per year (a year is 'post' if it ends after the
    interruption quarter); quarterly rows must form an unbroken run of quarters. One row per
    measure and period type with the counts and a plain-language verdict.
    """
    q0 = quarter(interruption)
    d = cps[(cps["kind"] == "series") & cps["measure"].isin(measures)].dropna(subset=["value"])
    rows = []
    for (m, pt), g in d.groupby(["measure", "period_type"], sort=True):
        if pt not in ("financial_year", "quarter"):
            continue
        ends = g["period_end"].map(lambda x: quarter(x)).sort_values()
        if pt == "financial_year":
            n_pre, n_post = int((ends < q0).sum()), int((ends >= q0 + 3).sum())
            regular = True
        else:
            n_pre, n_post = int((ends < q0).sum()), int((ends >= q0).sum())
            steps = np.diff([p.ordinal for p in ends])
            regular = bool(len(steps) == 0 or (steps == 1).all())
        ok = regular and n_pre >= min_pre and n_post >= min_post
        unit = "years" if pt == "financial_year" else "quarters"
        why = (
            "OK"
            if ok
            else (
                ("gaps between quarters; " if not regular else "")
                + f"{n_pre} {unit} before and {n_post} after (need {min_pre} and {min_post})"
            )
        )
        rows.append(
            {
                "measure": m,
                "period_type": pt,
                "first": str(ends.iloc[0]),
                "last": str(ends.iloc[-1]),
                "n_pre": n_pre,
                "n_post": n_post,
                "regular": regular,
                "feasible": ok,
                "verdict": why,
            }
        )
    return pd.DataFrame(rows)


@fitcache.cached
def fit_sensitivity(
    panel: pd.DataFrame,
    measure: str = "rape_charged_in_quarter",
    source: str | None = None,
    offset: str = "recorded_rape",
    rate_per: float = 100,
    offset_lags: Mapping[str, int] | None = None,
    intervention: str = "rasso2025",
    starts: Sequence[str] = (),
    breaks: Sequence[str] = (ALLAN,),
    shifts: Sequence[int] | None = spec_curve.SHIFTS,
    horizon: int = 0,
    n_jobs: int | None = None,
    default_covid: str = "days",
) -> spec_curve.SpecCurve:
    """Notebook 04's specification curve: the rate of ``measure`` per ``rate_per`` ``offset``
    (``source``: default :func:`charges_source`) on each denominator of ``offset_lags``
    (label -> quarters averaged; default the previous
    four and the same quarter), at ``intervention``, over every modelling choice from
    notebook 02's default spec (:func:`base_spec`) and each start quarter of ``starts``
    (none given: the series' first), with the documented ``breaks`` as segments and the date
    curve ``shifts`` (its Covid-19 choice ``default_covid``, notebook 02's); the quarters whose
    national total lacks a force are marked by their covariate in every specification."""
    lags = offset_lags or {"previous 4 quarters (mean)": 4, "same quarter": 0}
    source = source or charges_source(panel, measure)
    days = timeline.lockdown_days()
    bad = S.incomplete_quarters(panel, measure, source=source)
    series = {}
    for name, lag in lags.items():
        s = S.series(panel, measure, source=source, offset=offset, offset_lag=lag)
        s, _ = with_covid(s, QUARTERLY, "days", days)
        series[name], with_bad = with_incomplete(s, QUARTERLY, bad)
    q0 = timeline.interruption_quarter(intervention)
    base = at(
        base_spec().replace(family="ols", rate_per=rate_per, covariates=with_bad.covariates), q0
    )
    return spec_curve.fit_spec_curve(
        series,
        base,
        grid={"start": list(starts)} if starts else None,
        horizon=horizon,
        breaks=[Interruption(b, timeline.interruption_quarter(b)) for b in breaks],
        n_jobs=n_jobs,
        shifts=shifts,
        default_covid=default_covid,
    )
