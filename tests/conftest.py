"""Shared test configuration.

Tests that need the data mirror or the processed data skip when it is absent, so the unit tests
run anywhere. CI sets ``RASSO_REQUIRE_DATA=1``: there a skip means the pipeline did not provide
the data, and it is reported as a failure instead of passing silently.
"""

from __future__ import annotations

import os

import pytest


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if report.skipped and os.environ.get("RASSO_REQUIRE_DATA") == "1":
        report.outcome = "failed"
        report.longrepr = f"skipped although RASSO_REQUIRE_DATA=1: {report.longrepr}"
