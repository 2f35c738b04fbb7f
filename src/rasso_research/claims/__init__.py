"""Claims ledger: public claims about rape prosecutions tested against the project's data.

* ``config/claims.csv``: every reading with its published value, unit and tolerance;
* ``common``: the registry of claims (``@claim``, ``CLAIMS``), sources and bases, row helpers;
* ``readings``: one registered function per claim, computing the values, and the ledger table
  (``build_ledger``); ``west_midlands``: claim 6 (CPS West Midlands) and its readings;
* ``inputs``: the processed files they read (``load_claim_inputs``);
* ``ledger``: verdicts, the ledger rows and its text (``interpret``).
"""

from .common import CLAIMS
from .inputs import ClaimInputs, load_claim_inputs
from .ledger import (
    CLAIM_LABELS,
    CONSISTENT,
    INCONSISTENT,
    LEDGER_COLUMNS,
    NOT_COMPARABLE,
    NOT_TESTABLE,
    interpret,
    load_readings,
    verdict,
    write_ledger,
)
from .readings import build_ledger, claim7_distance

__all__ = [
    "CLAIMS",
    "CLAIM_LABELS",
    "CONSISTENT",
    "INCONSISTENT",
    "LEDGER_COLUMNS",
    "NOT_COMPARABLE",
    "NOT_TESTABLE",
    "ClaimInputs",
    "build_ledger",
    "claim7_distance",
    "interpret",
    "load_claim_inputs",
    "load_readings",
    "verdict",
    "write_ledger",
]
