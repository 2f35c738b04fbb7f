"""Shared test configuration.

Tests that need the data mirror or the processed data skip when it is absent, so the unit tests
run anywhere. CI sets ``RASSO_REQUIRE_DATA=1``: there a skip means the pipeline did not provide
the data, and it is reported as a failure instead of passing silently - except a skip by
:func:`_skip_unless_optional`, whose file the registry marks optional (``required=no``) and the
mirror does not hold.
"""

from __future__ import annotations

import os

import pytest

OPTIONAL_ABSENT = "optional registry row absent"


def _skip_unless_optional(name: str) -> None:
    """Skip when ``data/raw/<name>`` is absent, which is allowed even under
    ``RASSO_REQUIRE_DATA=1`` only because the registry marks ``name`` optional (asserted)."""
    from rasso_research import paths
    from rasso_research.data.fetch import read_registry

    if (paths.DATA_RAW / name).exists():
        return
    reg = read_registry().set_index("name")
    assert name in reg.index, f"{name} is not a registry row"
    assert not reg.loc[name, "required"], f"{name} is a required registry row"
    pytest.skip(f"{name}: {OPTIONAL_ABSENT} (add it to the data mirror, then make fetch)")


def pytest_configure(config):
    """Every notebook that nbval runs in this session writes into one run folder,
    ``results/runs/nbval/`` (never the paper's ``tables/`` and ``figures/``); the kernels
    inherit the variable. Notebook 05 reads the paper's tables (``make test`` runs the paper
    first)."""
    from rasso_research import runs

    os.environ.pop(runs.PAPER_ENV, None)
    os.environ.setdefault(runs.RUN_ENV, str(runs.RUNS / "nbval"))


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if (
        report.skipped
        and os.environ.get("RASSO_REQUIRE_DATA") == "1"
        and OPTIONAL_ABSENT not in str(report.longrepr)
    ):
        report.outcome = "failed"
        report.longrepr = f"skipped although RASSO_REQUIRE_DATA=1: {report.longrepr}"


def synthetic_panel(n=40, start="2012Q2", level=0.3, at="2020Q3", forces=("A", "B", "C"), seed=1):
    """Synthetic long panel: Poisson counts with a known log-level change at ``at`` for force A,
    a growing population and the rate per 100,000; national rows sum nothing (own draws)."""
    import numpy as np
    import pandas as pd

    from rasso_research.constants import NATIONAL

    rng = np.random.default_rng(seed)
    q = pd.period_range(start, periods=n, freq="Q")
    rows = []
    for f in (*forces, NATIONAL):
        pop = 1e6 * (1 + 0.005 * np.arange(n))
        step = (level if f == "A" else 0.0) * (q >= pd.Period(at, "Q"))
        mu = pop * 1e-3 * np.exp(0.01 * np.arange(n) + step)
        y = rng.poisson(mu)
        for qq, yy, pp in zip(q, y, pop, strict=True):
            base = {"quarter": str(qq), "force": f}
            rows += [
                {**base, "measure": "count", "value": float(yy), "source": "s1"},
                {**base, "measure": "population", "value": pp, "source": "p"},
                {**base, "measure": "rate", "value": 1e5 * yy / pp, "source": "s1"},
            ]
    return pd.DataFrame(rows)


@pytest.fixture
def skip_unless_optional():
    """:func:`_skip_unless_optional`: skip a test whose optional registry file is absent."""
    return _skip_unless_optional


@pytest.fixture
def make_panel():
    """The :func:`synthetic_panel` builder."""
    return synthetic_panel
