"""Study designs, one module each, over a shared base (``base``):

* ``national_its``: one series against its own projected trend (national or one area), for
  several series and intervention dates (``fit_series``, ``fit_national``);
* ``joint_its``: one series with a term for each of several close interventions, with an
  identifiability check and leave-one-out refits (``fit_joint``);
* ``controlled_its``: one area against control areas, with placebos in space and time
  (``fit_controlled``, ``compare_area``);
* ``spec_curve``: one estimate per combination of modelling choices (``specification_curve``);
* ``synthetic``: one treated unit against a donor pool by synthetic DiD, synthetic control and
  DiD, with placebo inference (``fit_synthetic``, ``compare_force_year``);
* ``event_study``: leads and lags of one treated unit with unit and period fixed effects,
  placebo-in-space inference (``fit_event_study``).

Each takes tidy frames from :mod:`rasso_research.data.series` and an
:class:`~rasso_research.its.ITSSpec`, and returns a result with ``effects()``, ``table()``,
``describe()``, ``plot()`` and ``tables()``/``write()``.
"""

from .base import (
    QUARTERLY,
    DesignResult,
    Feasibility,
    at,
    check_feasible,
    covid_disrupted,
    covid_table,
)
from .controlled_its import AreaComparison, ControlledITS, compare_area, fit_controlled
from .event_study import EventStudy, fit_event_study
from .joint_its import JointITS, fit_joint
from .national_its import (
    NationalITS,
    SeriesITS,
    compare,
    fit_national,
    fit_series,
    slope_effects,
)
from .spec_curve import SpecCurve, specification_curve
from .synthetic import ForceYearComparison, SyntheticComparison, compare_force_year, fit_synthetic

__all__ = [
    "ForceYearComparison",
    "compare_force_year",
    "EventStudy",
    "fit_event_study",
    "SyntheticComparison",
    "fit_synthetic",
    "slope_effects",
    "QUARTERLY",
    "AreaComparison",
    "ControlledITS",
    "DesignResult",
    "Feasibility",
    "NationalITS",
    "SeriesITS",
    "SpecCurve",
    "at",
    "check_feasible",
    "compare",
    "compare_area",
    "covid_disrupted",
    "covid_table",
    "JointITS",
    "fit_joint",
    "fit_controlled",
    "fit_national",
    "fit_series",
    "specification_curve",
]
