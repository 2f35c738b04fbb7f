"""Claims ledger: public claims about rape prosecutions tested against the project's data.

* ``config/claims.csv``: every reading with its published value, unit and tolerance;
* ``common``: the registry of claims (``@claim``, ``CLAIMS``), sources and bases, row helpers;
* ``readings``: one registered function per claim, computing the values, and the ledger table
  (``build_ledger``); ``west_midlands``: claim 6 (CPS West Midlands) and its readings;
* ``inputs``: the processed files they read (``load_claim_inputs``);
* ``ledger``: verdicts (``circular`` when a figure is checked against a lower-tier
  transcription of the release the claim quotes), the ledger rows and its text (``interpret``).
"""

from .common import CLAIMS
from .inputs import ClaimInputs, load_claim_inputs
from .ledger import (
    CIRCULAR,
    CLAIM_LABELS,
    CONSISTENT,
    INCONSISTENT,
    LEDGER_COLUMNS,
    NOT_COMPARABLE,
    NOT_TESTABLE,
    interpret,
    is_circular,
    load_readings,
    verdict,
    write_ledger,
)
from .readings import build_ledger, claim7_distance

__all__ = [
    "CIRCULAR",
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
    "is_circular",
    "load_claim_inputs",
    "load_readings",
    "verdict",
    "write_ledger",
]
