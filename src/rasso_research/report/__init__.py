"""Reporting: the one number formatter (``format``), table files (``tables``) and generated
result text (``text``)."""

from .format import fmt_num, fmt_pct, format_number, round_sig, rounded, slugify
from .tables import to_latex, write_table, write_tables

__all__ = [
    "fmt_num",
    "fmt_pct",
    "format_number",
    "round_sig",
    "rounded",
    "slugify",
    "to_latex",
    "write_table",
    "write_tables",
]
