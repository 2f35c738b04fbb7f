"""Interrupted time-series (ITS) models, as a statsmodels-like library: the spec
(``spec``), the time axis (``timeaxis``), the design matrix (``design``), the model and its
estimators (``fitting``: :class:`ITSModel`, :func:`fit_its`), the results (``results``:
:class:`ITSResult`), residual diagnostics (``diagnostics``) and robustness checks
(``robustness``). It knows nothing of the panel, the studies or presentation; its numerics
are in :mod:`rasso_research.estimators`.

Names are imported on first use (PEP 562): ``from rasso_research.its import FAMILIES`` loads
the spec module only, not statsmodels (a second of every command-line call and kernel).
"""

from importlib import import_module
from typing import TYPE_CHECKING

#: each exported name and the module that defines it
_WHERE = {
    "Design": "design",
    "InterruptionInfo": "design",
    "build_design": "design",
    "design_matrix": "design",
    "restrict_disrupted": "design",
    "acf_pacf_table": "diagnostics",
    "ITSModel": "fitting",
    "fit_its": "fitting",
    "ITSResult": "results",
    "its_table": "results",
    "INFERENCE_METHODS": "robustness",
    "PlaceboResult": "robustness",
    "alternative_dates": "robustness",
    "bootstrap_persistence": "robustness",
    "compare_inference": "robustness",
    "compare_specs": "robustness",
    "leave_out_disrupted": "robustness",
    "placebo_in_space": "robustness",
    "placebo_in_time": "robustness",
    "FAMILIES": "spec",
    "Interruption": "spec",
    "ITSSpec": "spec",
    "TimeAxis": "timeaxis",
}

if TYPE_CHECKING:
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


def __getattr__(name: str):
    if name not in _WHERE:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(import_module(f".{_WHERE[name]}", __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)


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
