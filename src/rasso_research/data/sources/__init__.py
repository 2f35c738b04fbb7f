"""One module per publisher or publication: ``homeoffice`` (recorded crime, and the file
handling the Home Office readers share), ``homeoffice_outcomes``, ``homeoffice_oocd``, ``cps``,
``moj``, ``population``. Each knows the raw files it reads (``FILES`` or module constants),
returns tidy frames whose losses are noted in ``df.attrs["dropped"]``, declares the sources of
its panel rows (``SOURCES``: :class:`rasso_research.data.catalog.Source` rows) and registers the
steps that build its rows and side tables (:func:`rasso_research.data.build.step`).

:mod:`rasso_research.data.panel` imports every module here (found with :mod:`pkgutil`), so a new
source is a new module (or a new step in one) and nothing else in the build changes. A module
here never imports :mod:`rasso_research.data.panel`."""
