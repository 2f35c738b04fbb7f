"""One reader module per publisher: ``homeoffice``, ``cps``, ``moj``, ``population``. Each
knows the raw files it reads (``FILES`` or module constants) and returns tidy frames whose
losses are noted in ``df.attrs["dropped"]``."""
