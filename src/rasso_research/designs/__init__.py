"""Study designs, one module each over a shared base (``base``); each is a function
``fit_<design>(data, spec, **options)`` returning a result of numbers
(:class:`~rasso_research.designs.base.DesignResult`), drawn and described by its view in
:mod:`rasso_research.views`:

* ``national_its``: one series against its own projected trend (national or one area), for
  several series and intervention dates (``fit_series``, ``fit_national``);
* ``joint_its``: one series with a term for each of several close interventions, with an
  identifiability check and leave-one-out refits (``fit_joint``);
* ``controlled_its``: one area against control areas, with placebos in space and time
  (``fit_controlled``);
* ``spec_curve``: one estimate per combination of modelling choices (``fit_spec_curve``);
* ``synthetic``: one treated unit against a donor pool by synthetic DiD, synthetic control and
  DiD, with placebo inference (``fit_synthetic``);
* ``event_study``: leads and lags of one treated unit with unit and period fixed effects,
  placebo-in-space inference (``fit_event_study``);
* ``structural``: persistence sensitivities, one series in first differences or as a local
  linear trend (``fit_structural``).

Import a design's module (``from rasso_research.designs import synthetic``); this package
exports only the shared base.
"""

from .base import (
    QUARTERLY,
    DesignResult,
    Feasibility,
    at,
    check_feasible,
    covid_disrupted,
    covid_table,
    with_covid,
)

__all__ = [
    "QUARTERLY",
    "DesignResult",
    "Feasibility",
    "at",
    "check_feasible",
    "covid_disrupted",
    "covid_table",
    "with_covid",
]
