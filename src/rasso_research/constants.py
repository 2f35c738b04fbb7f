"""Project-wide constants, in one place. Dates live in ``config/interventions.csv``, not here."""

from __future__ import annotations

#: Name of the national total in the panel's ``force`` column.
NATIONAL = "England and Wales"

#: Geographies of the panel's ``geography`` column: the national total, a police force area,
#: and a CPS Area (14 Areas, some spanning several forces).
GEOGRAPHIES = ("national", "force", "cps_area")

#: Name of the interruption whose effects a design reports (its terms are ``level_main``,
#: ``slope_main``, and ``treated_level_main``/``treated_slope_main`` in a controlled ITS).
FOCUS = "main"

#: Default minimum quarters before and from an interruption for a series to be modelled
#: (the feasibility check). The ITS library's own floor (``ITSSpec.min_pre/min_post``, 3) only
#: guarantees that the terms are identified.
MIN_PRE = 8
MIN_POST = 8

#: Effect horizons reported by default (quarters after the interruption).
HORIZONS = (0, 4, 8)

#: Normal quantiles of a two-sided 5% test and of 80% power: a minimum detectable effect is
#: ``(Z_975 + Z_80) x SE`` (the interval's own critical value in place of ``Z_975`` where
#: the design has one).
Z_975 = 1.959964
Z_80 = 0.841621

#: Display names of the synthetic designs' methods (tables, text, figures).
SYNTHETIC_METHODS = {"sdid": "synthetic DiD", "sc": "synthetic control", "did": "DiD"}
