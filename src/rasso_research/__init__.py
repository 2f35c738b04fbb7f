"""rasso_research: interrupted time-series research on rape and serious sexual offences
(RASSO) in the criminal justice system of England and Wales."""

__version__ = "0.1.0"
