"""The data layer: fetch (checksummed) -> read each source -> clean into one panel -> accessor.

``data.fetch`` places the registry's files in ``data/raw``; ``data.sources.*`` read one
publisher each; ``data.panel`` builds ``data/processed`` (logging every loss through
``data.quality``); ``data.series`` is the one way to read a series back out.
"""
