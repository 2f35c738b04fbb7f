"""Interrupted time-series (ITS) models, as a statsmodels-like library: the spec
(``spec``), the time axis (``timeaxis``), the design matrix (``design``), the model and its
estimators (``fitting``: :class:`ITSModel`, :func:`fit_its`), the results (``results``:
:class:`ITSResult`), residual diagnostics (``diagnostics``) and robustness checks
(``robustness``). It knows nothing of the panel, the studies or presentation; its numerics
are in :mod:`rasso_research.estimators`.
"""

from .design import Design, InterruptionInfo, build_design, design_matrix, restrict_disrupted
from .diagnostics import acf_pacf_table
from .fitting import ITSModel, fit_its
from .results import ITSResult, its_table
from .robustness import (
    INFERENCE_METHODS,
    PlaceboResult,
    alternative_dates,
    bootstrap_persistence,
    compare_inference,
    compare_specs,
    leave_out_disrupted,
    placebo_in_space,
    placebo_in_time,
)
from .spec import FAMILIES, Interruption, ITSSpec
from .timeaxis import TimeAxis

__all__ = [
    "FAMILIES",
    "INFERENCE_METHODS",
    "Design",
    "ITSModel",
    "ITSResult",
    "ITSSpec",
    "Interruption",
    "InterruptionInfo",
    "PlaceboResult",
    "TimeAxis",
    "acf_pacf_table",
    "alternative_dates",
    "bootstrap_persistence",
    "build_design",
    "compare_inference",
    "compare_specs",
    "design_matrix",
    "fit_its",
    "its_table",
    "leave_out_disrupted",
    "placebo_in_space",
    "placebo_in_time",
    "restrict_disrupted",
]
