"""Figures: the shared style (``style``), the one ITS drawer (``its``) and the paper figures
(``figures``). Every function returns a Figure; ``style.save_figure`` writes PDF and PNG."""

from .figures import (
    SOURCE_CPS,
    SOURCE_HO,
    SOURCE_HO_CPS,
    SOURCE_HO_OUTCOMES,
    plot_area_comparison,
    plot_distance_to_2016,
    plot_effects,
    plot_event_study,
    plot_force_grid,
    plot_funnel,
    plot_revision,
    plot_series_panels,
    plot_spec_curve,
    plot_synthetic,
    ylabel_for,
)
from .its import (
    its_table,
    mark_interruption,
    mark_periods,
    plot_its,
    plot_its_panels,
    plot_its_table,
)
from .style import ONE_COLUMN, TWO_COLUMN, figsize, new_figure, save_figure, source_note

__all__ = [
    "ONE_COLUMN",
    "SOURCE_CPS",
    "SOURCE_HO",
    "SOURCE_HO_CPS",
    "SOURCE_HO_OUTCOMES",
    "TWO_COLUMN",
    "figsize",
    "its_table",
    "mark_interruption",
    "mark_periods",
    "new_figure",
    "plot_effects",
    "plot_event_study",
    "plot_synthetic",
    "plot_force_grid",
    "plot_funnel",
    "plot_its",
    "plot_its_panels",
    "plot_its_table",
    "plot_area_comparison",
    "plot_distance_to_2016",
    "plot_revision",
    "plot_series_panels",
    "plot_spec_curve",
    "save_figure",
    "source_note",
    "ylabel_for",
]
