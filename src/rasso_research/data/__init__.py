"""The data layer: fetch (checksummed) -> read each source -> clean into one panel -> accessor.

``data.fetch`` places the registry's files in ``data/raw``; ``data.sources.*`` read one
publisher each, declare their sources (``data.catalog.Source``) and register the steps that
build their panel rows and side tables (``data.build``); ``data.panel`` finds those modules,
runs the steps in order and writes ``data/processed`` (logging every loss through
``data.quality``); ``data.series`` is the one way to read a series back out (with
``data.processed`` and ``data.side_tables``); ``data.measures`` labels every measure.
"""
