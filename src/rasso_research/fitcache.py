"""Fits kept as typed result files, so that a paper run whose inputs and model code have not
changed loads its fits instead of refitting them: an edit to a view or a figure then reruns
the drawing only (``make all`` reruns the notebooks importing it; their fits come from here).

:func:`cached` wraps a study function. Its key is a hash of the function's name, its
arguments (frames by content), the package's code below the views (every module except
``views/`` and the command line, notebook and parameter modules: no study imports those),
``config/`` and ``data/processed/``. A result is stored as typed files, not pickles:
``value.json`` (the structure: dataclasses by class and field, dicts, lists, tuples, numbers,
strings) beside one parquet file per frame and one ``.npy`` per array. It is read back and
compared with the result, exactly (values, dtypes, index, names), before it is kept; a result
that does not come back identical, or holds anything else (a statsmodels object), is not
cached and is computed each time.

Only paper runs use it (``RASSO_PAPER_RUN=1``, what ``make all`` sets) or a run that sets
``RASSO_FIT_CACHE=1``; nbval's reruns, the tests and every other run refit. The files live in
``results/cache/fits/`` (``make clean`` removes them).
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import importlib
import importlib.metadata
import json
import math
import os
import shutil
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd

from rasso_research import paths

STORE = paths.RESULTS / "cache" / "fits"
#: code whose edits do not change a fit: the views and the layers above the studies
NOT_FIT_CODE = ("views/", "params.py", "notebook.py", "runs.py", "cli.py", "__main__.py")
_SCALARS = (type(None), bool, int, float, str)


class Uncacheable(TypeError):
    """The value holds something this store does not type (it is computed each time)."""


def enabled() -> bool:
    return os.environ.get("RASSO_FIT_CACHE") == "1" or os.environ.get("RASSO_PAPER_RUN") == "1"


# ---- keys --------------------------------------------------------------------------------
def _files_digest(files) -> bytes:
    h = hashlib.sha256()
    for p in sorted(files):
        h.update(str(p.relative_to(paths.ROOT)).encode())
        h.update(hashlib.sha256(p.read_bytes()).digest())
    return h.digest()


def fit_code() -> list[Path]:
    """The package modules a cached fit may depend on: all but :data:`NOT_FIT_CODE`."""
    pkg = Path(__file__).resolve().parent
    return sorted(
        p for p in pkg.rglob("*.py") if not p.relative_to(pkg).as_posix().startswith(NOT_FIT_CODE)
    )


@functools.cache
def code_digest() -> bytes:
    """A digest of :func:`fit_code` and the numeric libraries' versions."""
    files = fit_code()
    versions = [f"{m.__name__} {m.__version__}" for m in (np, pd)]
    for name in ("scipy", "statsmodels", "numba"):
        try:
            versions.append(f"{name} {importlib.metadata.version(name)}")
        except importlib.metadata.PackageNotFoundError:
            pass
    return _files_digest(files) + " ".join(versions).encode()


def _inputs_digest() -> bytes:
    files = [p for d in (paths.CONFIG, paths.DATA_PROCESSED) if d.exists() for p in d.rglob("*")]
    return _files_digest([p for p in files if p.is_file()])


def _feed(h, value) -> None:
    if isinstance(value, pd.DataFrame | pd.Series):
        h.update(
            repr(
                (
                    type(value).__name__,
                    value.shape,
                    list(map(str, value.dtypes))
                    if isinstance(value, pd.DataFrame)
                    else str(value.dtype),
                )
            ).encode()
        )
        h.update(
            repr(list(value.columns) if isinstance(value, pd.DataFrame) else value.name).encode()
        )
        h.update(pd.util.hash_pandas_object(value, index=True).to_numpy().tobytes())
    elif isinstance(value, np.ndarray):
        h.update(
            repr((value.dtype.str, value.shape)).encode() + np.ascontiguousarray(value).tobytes()
        )
    elif isinstance(value, dict):
        h.update(b"{")
        for k, v in value.items():
            _feed(h, k)
            _feed(h, v)
        h.update(b"}")
    elif isinstance(value, list | tuple | set | frozenset):
        h.update(type(value).__name__.encode() + b"[")
        for v in sorted(value, key=repr) if isinstance(value, set | frozenset) else value:
            _feed(h, v)
        h.update(b"]")
    elif dataclasses.is_dataclass(value) and not isinstance(value, type):
        h.update(f"{type(value).__module__}.{type(value).__qualname__}(".encode())
        for f in dataclasses.fields(value):
            h.update(f.name.encode())
            _feed(h, getattr(value, f.name))
        h.update(b")")
    elif isinstance(value, (*_SCALARS, np.generic)):
        h.update(f"{type(value).__name__}:{value!r}".encode())
    else:
        raise Uncacheable(type(value).__name__)


def key(fn, args: tuple, kwargs: dict) -> str:
    h = hashlib.sha256(f"{fn.__module__}.{fn.__qualname__}".encode())
    h.update(code_digest() + _inputs_digest())
    _feed(h, args)
    _feed(h, sorted(kwargs.items()))
    return h.hexdigest()


# ---- typed files -------------------------------------------------------------------------
class _Writer:
    def __init__(self, folder: Path):
        self.folder, self.n = folder, 0

    def _name(self, suffix: str) -> str:
        self.n += 1
        return f"{self.n:04d}{suffix}"

    def encode(self, v, at: str = "result"):
        if isinstance(v, np.generic):  # before float: np.float64 is a float
            return {"t": "np", "dtype": v.dtype.str, "v": self.encode(v.item(), at)}
        if isinstance(v, float) and not math.isfinite(v):
            return {"t": "float", "v": repr(v)}
        if isinstance(v, _SCALARS):
            return v
        if isinstance(v, pd.DataFrame):
            name = self._name(".parquet")
            v.to_parquet(self.folder / name)
            return {"t": "df", "f": name}
        if isinstance(v, np.ndarray) and v.dtype != object:
            name = self._name(".npy")
            np.save(self.folder / name, v, allow_pickle=False)
            return {"t": "nd", "f": name}
        if isinstance(v, list | tuple):
            return {
                "t": type(v).__name__,
                "v": [self.encode(x, f"{at}[{i}]") for i, x in enumerate(v)],
            }
        if isinstance(v, dict):
            return {
                "t": "dict",
                "v": [[self.encode(k, at), self.encode(x, f"{at}[{k!r}]")] for k, x in v.items()],
            }
        if dataclasses.is_dataclass(v) and not isinstance(v, type):
            cls = type(v)
            fields = {
                f.name: self.encode(getattr(v, f.name), f"{at}.{f.name}")
                for f in dataclasses.fields(v)
            }
            return {"t": "dc", "cls": f"{cls.__module__}:{cls.__qualname__}", "v": fields}
        raise Uncacheable(f"{at} is a {type(v).__module__}.{type(v).__qualname__}")


def _decode(node, folder: Path):
    if not isinstance(node, dict):
        return node
    t = node["t"]
    if t == "float":
        return float(node["v"])
    if t == "np":
        return np.dtype(node["dtype"]).type(_decode(node["v"], folder))
    if t == "df":
        return pd.read_parquet(folder / node["f"])
    if t == "nd":
        return np.load(folder / node["f"], allow_pickle=False)
    if t in ("list", "tuple"):
        out = [_decode(x, folder) for x in node["v"]]
        return out if t == "list" else tuple(out)
    if t == "dict":
        return {_decode(k, folder): _decode(x, folder) for k, x in node["v"]}
    if t == "dc":
        module, qualname = node["cls"].split(":")
        cls = importlib.import_module(module)
        for part in qualname.split("."):
            cls = getattr(cls, part)
        obj = object.__new__(cls)
        for name, x in node["v"].items():
            object.__setattr__(obj, name, _decode(x, folder))
        return obj
    raise ValueError(f"{folder}: unknown node type {t!r}")


def same(a, b) -> bool:
    """``a`` and ``b`` are the same value: types, dtypes, indexes, names and every number."""
    if type(a) is not type(b):
        return False
    if isinstance(a, pd.DataFrame):
        try:
            pd.testing.assert_frame_equal(a, b, check_exact=True, check_freq=True, check_flags=True)
        except AssertionError:
            return False
        return True
    if isinstance(a, np.ndarray):
        return (
            a.dtype == b.dtype
            and a.shape == b.shape
            and np.array_equal(a, b, equal_nan=a.dtype.kind in "fc")
        )
    if isinstance(a, float | np.floating):
        return (math.isnan(a) and math.isnan(b)) or a == b
    if isinstance(a, list | tuple):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, dict):
        return list(a) == list(b) and all(same(a[k], b[k]) for k in a)
    if dataclasses.is_dataclass(a):
        return all(same(getattr(a, f.name), getattr(b, f.name)) for f in dataclasses.fields(a))
    return a == b


def load(folder: Path):
    return _decode(json.loads((folder / "value.json").read_text(encoding="utf-8")), folder)


def save(value, folder: Path) -> bool:
    """Store ``value`` in ``folder`` if it comes back identical; whether it was kept. Why not
    is written beside, in ``not-cached.txt``."""
    folder.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(dir=folder.parent, prefix=".part-"))
    why = ""
    try:
        w = _Writer(tmp)
        (tmp / "value.json").write_text(json.dumps(w.encode(value)), encoding="utf-8")
        if not same(value, load(tmp)):
            why = "the stored copy did not come back identical"
        else:
            try:
                tmp.rename(folder)
            except OSError:  # another process stored it first
                return folder.exists()
            return True
    except (Uncacheable, ValueError, TypeError, OSError) as exc:
        why = f"{type(exc).__name__}: {exc}"
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    try:
        (folder.parent / "not-cached.txt").write_text(f"{folder.name}: {why}\n", encoding="utf-8")
    except OSError:
        pass
    return False


def cached(fn):
    """``fn``'s results kept as typed files across paper runs (see the module docstring)."""

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        if not enabled():
            return fn(*args, **kwargs)
        try:  # the store never stops a fit: an argument it cannot hash is computed
            folder = STORE / fn.__qualname__ / key(fn, args, kwargs)
        except (Uncacheable, TypeError, ValueError):
            return fn(*args, **kwargs)
        if (folder / "value.json").exists():
            try:
                return load(folder)
            except (OSError, ValueError, KeyError, AttributeError, ImportError):
                shutil.rmtree(folder, ignore_errors=True)  # unreadable: fitted again below
        value = fn(*args, **kwargs)
        save(value, folder)
        return value

    wrapper.uncached = fn
    return wrapper
