"""Views: text and figures from results, one module per design (``national_its``,
``joint_its``, ``controlled_its``, ``spec_curve``, ``synthetic``, ``event_study``,
``structural``) and per study
(``national``, ``force``), the data views (``data``), the one ITS drawer (``its``), shared
sentences (``text``) and the figure style (``style``: sizes, palette, deterministic PDF and
PNG). A view takes a result or a tidy frame and returns Markdown or a Figure; it never fits a
model or reads the data files. Import a view's module (``from rasso_research.views import
synthetic``); this package exports nothing itself.
"""
