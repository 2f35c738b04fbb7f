"""Interrupted time-series (ITS) models: design, fitting, effects, diagnostics, robustness.

Public API::

    ITSSpec, Interruption, fit_its, ITSResult, build_design, newey_west_lags,
    compare_specs, compare_inference, acf_pacf_table, placebo_in_time, placebo_in_space,
    PlaceboResult, leave_out_disrupted, alternative_dates, load_sicily, sicily_spec,
    load_prop99, linden_spec, validation_table
"""

from .design import (
    FAMILIES,
    Design,
    Interruption,
    ITSSpec,
    TimeAxis,
    build_design,
    newey_west_lags,
    restrict_disrupted,
)
from .models import ITSResult, acf_pacf_table, fit_its
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
from .validation import (
    linden_spec,
    load_prop99,
    load_sicily,
    sicily_path,
    sicily_spec,
    validation_table,
)

__all__ = [
    "FAMILIES",
    "INFERENCE_METHODS",
    "Design",
    "ITSResult",
    "ITSSpec",
    "Interruption",
    "PlaceboResult",
    "TimeAxis",
    "acf_pacf_table",
    "alternative_dates",
    "bootstrap_persistence",
    "build_design",
    "compare_inference",
    "compare_specs",
    "fit_its",
    "leave_out_disrupted",
    "linden_spec",
    "load_prop99",
    "load_sicily",
    "newey_west_lags",
    "placebo_in_space",
    "placebo_in_time",
    "restrict_disrupted",
    "sicily_path",
    "sicily_spec",
    "validation_table",
]
