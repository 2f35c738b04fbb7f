"""Fits kept as typed result files (rasso_research.fitcache): off unless a paper run asks; a
result comes back identical or is not kept; any change to an argument, the fit code or the
inputs is a new key; the views are not part of the key."""

from __future__ import annotations

import json
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import pytest

from rasso_research import fitcache as FC


@dataclass(frozen=True)
class _Inner:
    arr: np.ndarray
    scale: np.float64
    label: str = "x"


@dataclass
class _Result:
    frame: pd.DataFrame
    parts: dict
    inner: _Inner
    notes: list = field(default_factory=list)


def _frame(v: float = 1.5) -> pd.DataFrame:
    q = pd.period_range("2019Q1", periods=4, freq="Q")
    return pd.DataFrame(
        {
            "quarter": q,
            "estimate": [v, np.nan, -np.inf, 2.0],
            "n": pd.array([1, None, 3, 4], dtype="Int64"),
            "ok": [True, False, True, True],
            "error": [None, "too few points", None, ""],
        }
    ).set_index(pd.Index(["a", "b", "c", "d"], name="spec"))


def _result(v: float = 1.5) -> _Result:
    return _Result(
        _frame(v),
        {("West Midlands", "2018Q4"): _frame(v).reset_index(), "n": 3, "none": None},
        _Inner(np.arange(6.0).reshape(2, 3), np.float64(np.nan)),
        [1, 2.5, float("inf"), ("a", 1)],
    )


@pytest.fixture
def store(tmp_path, monkeypatch):
    monkeypatch.setattr(FC, "STORE", tmp_path / "fits")
    monkeypatch.setenv("RASSO_FIT_CACHE", "1")
    monkeypatch.delenv("RASSO_PAPER_RUN", raising=False)
    return tmp_path / "fits"


def test_a_nested_result_comes_back_identical_from_typed_files(tmp_path):
    r = _result()
    assert FC.save(r, tmp_path / "entry")
    back = FC.load(tmp_path / "entry")
    assert FC.same(r, back) and type(back.inner.scale) is np.float64
    files = sorted(p.suffix for p in (tmp_path / "entry").iterdir())
    assert files == [".json", ".npy", ".parquet", ".parquet"]  # typed files, no pickle
    assert json.loads((tmp_path / "entry" / "value.json").read_text())["t"] == "dc"
    assert not FC.same(r, _result(1.6))


def test_a_value_the_store_does_not_type_is_not_kept(tmp_path):
    assert not FC.save({"model": object()}, tmp_path / "entry")
    assert not (tmp_path / "entry").exists()
    why = (tmp_path / "not-cached.txt").read_text()
    assert why == "entry: Uncacheable: result['model'] is a builtins.object\n"


def test_cached_calls_once_per_key_and_only_when_asked(store, monkeypatch):
    calls = []

    @FC.cached
    def fit(df, k=1):
        calls.append(k)
        return _Result(df * k, {}, _Inner(np.ones(2), np.float64(k)))

    df = pd.DataFrame({"y": [1.0, 2.0, 3.0]})
    first = fit(df, k=2)
    again = fit(df, k=2)
    assert calls == [2] and FC.same(first, again)
    changed = df.copy()
    changed.loc[1, "y"] = 2.000001
    fit(changed, k=2)
    fit(df, k=3)
    assert calls == [2, 2, 3]
    monkeypatch.setenv("RASSO_FIT_CACHE", "0")
    fit(df, k=2)
    assert calls == [2, 2, 3, 2]  # off: computed


def test_an_uncacheable_result_is_computed_every_time(store):
    calls = []

    @FC.cached
    def fit():
        calls.append(1)
        return {"results": object()}

    fit(), fit()
    assert len(calls) == 2 and not any(store.rglob("value.json"))


def test_the_key_follows_the_fit_code_and_the_inputs_not_the_views(monkeypatch):
    pkg = {p.as_posix().split("rasso_research/", 1)[1] for p in FC.fit_code()}
    assert {"studies/national.py", "designs/multiverse.py", "estimators/arerrors.py"} <= pkg
    assert not any(n.startswith("views/") for n in pkg) and "params.py" not in pkg
    k0 = FC.key(_frame, (1.5,), {})
    monkeypatch.setattr(FC, "code_digest", lambda: b"edited")
    k1 = FC.key(_frame, (1.5,), {})
    monkeypatch.setattr(FC, "_inputs_digest", lambda: b"new data")
    assert len({k0, k1, FC.key(_frame, (1.5,), {})}) == 3


def test_the_store_never_stops_a_fit(store):
    """An argument it cannot hash (a list in a cell) is computed; an unreadable entry is
    removed and fitted again."""
    calls = []

    @FC.cached
    def fit(df):
        calls.append(1)
        return pd.DataFrame({"n": [len(df)]})

    odd = pd.DataFrame({"cells": [[1, 2], [3]]})
    fit(odd), fit(odd)
    assert len(calls) == 2
    df = pd.DataFrame({"y": [1.0]})
    fit(df)
    (entry,) = store.rglob("value.json")
    entry.write_text("{not json")
    assert FC.same(fit(df), pd.DataFrame({"n": [1]})) and len(calls) == 4
    assert fit(df) is not None and len(calls) == 4  # stored again, loaded
