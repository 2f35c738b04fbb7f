"""The notebook parameter checks.

:func:`check_params` is called right after a notebook's ``parameters`` cell, so a misspelt
force, a malformed or out-of-range date, an unknown series or model family stops the run at
once with one message that lists every problem and what is accepted.

:func:`check` does it before any kernel starts (``python -m rasso_research run``): a
notebook's parameters are the names its ``parameters`` cell assigns (:func:`defaults`); each
has a rule in :func:`rules` (types, ranges, choices with "did you mean", ids, forces, quarters)
and the data's coverage is checked by :func:`check_params`. The values come back canonical (a
force's own name, a calendar quarter), so :func:`slug` names one run whatever the spelling."""

from __future__ import annotations

import ast
import difflib
import hashlib
import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from rasso_research import paths, periods, timeline
from rasso_research.constants import SYNTHETIC_METHODS
from rasso_research.data.series import geography_of
from rasso_research.designs.base import COVID_CHOICES, coverage_around
from rasso_research.errors import ProjectError
from rasso_research.its import FAMILIES
from rasso_research.periods import quarter
from rasso_research.report.format import slugify


class ParameterError(ValueError):
    """One or more notebook parameters are invalid (the message lists each)."""


class RunParameterError(ProjectError, ParameterError):
    """Parameters of a run that are invalid, found before any kernel starts (the message
    names the notebook and lists each problem)."""


#: the parameters a run sets itself (its output folders): never given on the command line
OUTPUT_PARAMS = ("tables_dir", "figures_dir", "outdir")
#: a run's slug longer than this is cut and given a hash of the parameters
MAX_SLUG = 80


def close(value, known: Iterable[str]) -> str:
    """``; did you mean 'x'?`` for the closest of ``known`` to ``value`` (else empty)."""
    return _close(value, known)


def _close(value, known: Iterable[str]) -> str:
    close = difflib.get_close_matches(str(value), sorted(set(map(str, known))), n=3, cutoff=0.6)
    return f"; did you mean {' or '.join(repr(c) for c in close)}?" if close else ""


def _quarter(name: str, value, problems: list[str]):
    try:
        return periods.quarter(value)
    except (ValueError, TypeError):
        problems.append(
            f"{name}={value!r} is not a quarter: write a calendar quarter such as '2018Q4' or a "
            "fiscal quarter such as '2018/19 Q3'"
        )
        return None


def check_params(
    panel: pd.DataFrame | None = None,
    *,
    force: str | None = None,
    series: Iterable[str] = (),
    interruption=None,
    interventions: Iterable[str] = (),
    start=None,
    end=None,
    family: str | None = None,
    season=None,
    covid: str | None = None,
) -> None:
    """Raise :class:`ParameterError` listing every invalid parameter; return quietly if all
    are valid. ``interruption`` must fall inside the quarters that the ``series`` of ``force``
    cover (``start``-``end`` when given)."""
    problems: list[str] = []
    if panel is not None and force is not None and force not in set(panel["force"].unique()):
        forces = sorted(panel.loc[geography_of(panel) == "force", "force"].unique())
        problems.append(
            f"force={force!r} is not a force of the panel{_close(force, forces)} "
            f"(the {len(forces)} forces: {', '.join(forces)})"
        )
    measures = set(panel["measure"].unique()) if panel is not None else set()
    for m in series:
        if panel is not None and m not in measures:
            problems.append(
                f"series {m!r} is not in the panel{_close(m, measures)} "
                f"({len(measures)} measures; data/processed/data_quality.md lists them)"
            )
    ids = set(timeline.load_interventions()["id"])
    for i in interventions:
        if i not in ids:
            problems.append(
                f"intervention {i!r} is not in config/interventions.csv{_close(i, ids)}"
            )
    lo = _quarter("start", start, problems) if start is not None else None
    hi = _quarter("end", end, problems) if end is not None else None
    q = _quarter("interruption", interruption, problems) if interruption else None
    if q is not None and panel is not None:
        rows = panel[panel["measure"].isin(list(series) or measures)]
        if force is not None:
            rows = rows[rows["force"] == force]
        have = rows.dropna(subset=["value"]).assign(quarter=lambda d: d["quarter"].map(quarter))
        n_pre = n_post = 1
        if len(have):
            first = max(have["quarter"].min(), lo or have["quarter"].min())
            last = min(have["quarter"].max(), hi or have["quarter"].max())
            # the designs' own rule (designs.base.coverage_around), at its weakest: at least
            # one quarter with data before the interruption and one from it, in the window
            n_pre, n_post = coverage_around(have[have["quarter"].between(first, last)], q)
        if not (n_pre and n_post):
            what = f"{', '.join(series) or 'the panel'}" + (f" for {force}" if force else "")
            problems.append(
                f"interruption={str(interruption)!r} is outside the data: {what} cover "
                f"{first}-{last} (the interruption needs quarters before it)"
            )
    if family is not None and family not in FAMILIES:
        problems.append(
            f"family={family!r}: use one of {', '.join(FAMILIES)}{_close(family, FAMILIES)}"
        )
    if season is not None and not (
        season in ("quarter", "month")
        or (isinstance(season, list | tuple) and len(season) == 3 and season[0] == "fourier")
    ):
        problems.append(f"season={season!r}: use None, 'quarter' or ['fourier', K, 4]")
    if covid is not None and covid not in COVID_CHOICES:
        problems.append(f"covid={covid!r}: use one of {', '.join(COVID_CHOICES)}")
    if problems:
        raise ParameterError("invalid parameters: " + "; ".join(problems))


# ---- the notebooks and their parameters ------------------------------------------------------


def notebooks() -> dict[str, Path]:
    """``{"03": notebooks/03_force_comparison.ipynb, ...}``."""
    found = sorted((paths.ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
    return {p.name[:2]: p for p in found}


def notebook(name: str) -> Path:
    """A notebook by number (``03``), stem (``03_force_comparison``) or path."""
    nbs = notebooks()
    key = Path(str(name)).name.removesuffix(".ipynb")
    if key in nbs:
        return nbs[key]
    for p in nbs.values():
        if p.stem == key:
            return p
    stems = [p.stem for p in nbs.values()]
    raise RunParameterError(
        Path("notebooks"),
        f"no notebook {str(name)!r}{close(name, [*nbs, *stems])}",
        f"one of {', '.join(nbs)}",
    )


def defaults(path: Path) -> dict:
    """The names and values the notebook's ``parameters`` cell assigns."""
    # plain JSON, not nbformat: its schema validation imports jsonschema's format checkers
    # (a Lark grammar built at import, over a CPU-second), and every kernel calls this
    nb = json.loads(Path(path).read_text(encoding="utf-8"))
    cell = next(c for c in nb["cells"] if "parameters" in c.get("metadata", {}).get("tags", []))
    source = cell["source"] if isinstance(cell["source"], str) else "".join(cell["source"])
    out = {}
    for node in ast.parse(source).body:
        if isinstance(node, ast.Assign) and isinstance(node.targets[0], ast.Name):
            out[node.targets[0].id] = ast.literal_eval(node.value)
    return out


def parse_value(text: str):
    """A command-line value: a Python literal (number, list, None, True) or else the text."""
    try:
        return ast.literal_eval(text)
    except (ValueError, SyntaxError):
        return text


# ---- the rules -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Context:
    """What the rules check against: the panel's forces and measures, the interventions."""

    forces: tuple[str, ...]
    measures: tuple[str, ...]
    interventions: tuple[str, ...]


def _is_int(v) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def _int(lo: int, hi: int | None = None, none: bool = False) -> Callable:
    def rule(name, v, ctx):
        if v is None and none:
            return v, None
        if not _is_int(v) or v < lo or (hi is not None and v > hi):
            rng = f"{lo} or more" if hi is None else f"{lo} to {hi}"
            return v, f"{name}={v!r}: use a whole number, {rng}" + (" (or None)" if none else "")
        return v, None

    return rule


def _number(lo: float, none: bool = False) -> Callable:
    def rule(name, v, ctx):
        if v is None and none:
            return v, None
        if isinstance(v, bool) or not isinstance(v, int | float) or not v > lo:
            return v, f"{name}={v!r}: use a number above {lo}" + (" (or None)" if none else "")
        return v, None

    return rule


def _choice(choices, none: bool = False) -> Callable:
    def rule(name, v, ctx):
        if (v is None and none) or v in choices:
            return v, None
        return v, f"{name}={v!r}: use one of {', '.join(map(str, choices))}{close(v, choices)}"

    return rule


def _each(rule: Callable, none: bool = False, empty: bool = True) -> Callable:
    def each(name, v, ctx):
        if v is None and none:
            return v, None
        if not isinstance(v, list | tuple) or (not v and not empty):
            return v, f"{name}={v!r}: use a list" + ("" if empty else " of at least one value")
        out, bad = [], []
        for x in v:
            y, problem = rule(name, x, ctx)
            out.append(y)
            if problem:
                bad.append(problem)
        return out, "; ".join(bad) or None

    return each


def _q(name, v, ctx):
    try:
        return str(periods.quarter(v)), None
    except (ValueError, TypeError):
        return v, (
            f"{name}={v!r} is not a quarter: write a calendar quarter such as '2018Q4' or a "
            "fiscal quarter such as '2018/19 Q3'"
        )


def _quarter_or_none(name, v, ctx):
    return (None, None) if v in (None, "") else _q(name, v, ctx)


def _fiscal_year(name, v, ctx):
    try:
        ok = isinstance(v, str) and periods.fiscal_year_start(v) is not None
    except ValueError:
        ok = False
    return v, None if ok else f"{name}={v!r}: write a financial year such as '2024/25'"


def _lookup(kind: str, attr: str) -> Callable:
    def rule(name, v, ctx):
        known = getattr(ctx, attr)
        if v in known:
            return v, None
        by_lower = {k.lower(): k for k in known}
        if isinstance(v, str) and v.strip().lower() in by_lower:
            return by_lower[v.strip().lower()], None
        hint = close(v, known) or f" (one of: {', '.join(known)})"
        return v, f"{name}={v!r} is not {kind}{hint}"

    return rule


_force = _lookup("a force of the panel", "forces")
_measure = _lookup("a measure of the panel", "measures")
_intervention = _lookup("an id of config/interventions.csv", "interventions")


def _string(name, v, ctx):
    return v, None if isinstance(v, str) and v else f"{name}={v!r}: use a non-empty text"


def _bool(name, v, ctx):
    return v, None if isinstance(v, bool) else f"{name}={v!r}: use True or False"


def _season(name, v, ctx):
    ok = v is None or v in ("quarter", "month")
    ok = ok or (isinstance(v, list | tuple) and len(v) == 3 and v[0] == "fourier")
    ok = ok and (not isinstance(v, list | tuple) or (_is_int(v[1]) and v[1] >= 1 and _is_int(v[2])))
    return v, None if ok else f"{name}={v!r}: use None, 'quarter' or ['fourier', K, 4]"


def _lags(name, v, ctx):
    ok = (
        isinstance(v, dict)
        and v
        and all(isinstance(k, str) and _is_int(x) and x >= 0 for k, x in v.items())
    )
    return v, None if ok else f"{name}={v!r}: use a dict of label -> lag (whole number, 0 or more)"


def _path_or_none(name, v, ctx):
    return v, None if v is None or (
        isinstance(v, str) and v
    ) else f"{name}={v!r}: use a path or None"


def _source(name, v, ctx):
    from rasso_research.data import catalog

    keys = sorted(catalog.sources())
    return (
        v,
        None
        if v is None or v in keys
        else f"{name}={v!r}: use None or one of {', '.join(keys)}{close(v, keys)}",
    )


def _period(name, v, ctx):
    """A financial year ('2014/15') or a quarter."""
    if isinstance(v, str) and "/" in v and "Q" not in v.upper():
        return _fiscal_year(name, v, ctx)
    return _q(name, v, ctx)


def _window(name, v, ctx):
    if not isinstance(v, list | tuple) or len(v) != 2:
        return v, f"{name}={v!r}: use [first, last], each a financial year ('2014/15') or a quarter"
    out, problem = _each(_period)(name, v, ctx)
    return out, problem


def _fiscal_year_or_none(name, v, ctx):
    return (None, None) if v is None else _fiscal_year(name, v, ctx)


def _unknown(name, v, ctx):
    from rasso_research.studies.soteria_cohorts import UNKNOWN_EXCLUDE

    if v == UNKNOWN_EXCLUDE:
        return v, None
    v, problem = _intervention(name, v, ctx)
    return v, problem and f"{problem} (or {UNKNOWN_EXCLUDE!r})"


def _notebook_rules() -> dict[str, dict[str, Callable]]:
    """Rules of a name that means something else in one notebook (by its number)."""
    from rasso_research.studies.soteria import SERIES

    return {"07": {"series": _each(_choice(tuple(SERIES)), empty=False)}}


def _rules() -> dict[str, Callable]:
    from rasso_research.designs.base import COVID_CHOICES
    from rasso_research.designs.joint_its import SLOPE_CHOICES
    from rasso_research.designs.staggered import CONTROLS, ESTIMATORS
    from rasso_research.its import FAMILIES
    from rasso_research.studies.force_units import TIMINGS
    from rasso_research.studies.national import ALLAN_CHOICES

    quarters = _each(_q, empty=False)
    return {
        "force": _force,
        "controls": _each(_force, none=True, empty=False),
        "exclude_donors": _each(_force),
        "exclude_forces": _each(_force),
        "series": _each(_measure, empty=False),
        "measure": _measure,
        "offset": _measure,
        "intervention": _intervention,
        "force_intervention": _intervention,
        "interventions": _each(_intervention, empty=False),
        "other_interventions": _each(_intervention),
        "breaks": _each(_intervention),
        "interruption": _quarter_or_none,
        "start": _q,
        "window_end": _q,
        "start_recorded": _q,
        "start_charges": _q,
        "rape_review_alternative": _q,
        "surge_quarter": _q,
        "window": _window,
        "start_sensitivity": quarters,
        "starts": quarters,
        "annual_end": _fiscal_year,
        "primary_end": _fiscal_year_or_none,
        "annual_timing": _choice(TIMINGS),
        "force_unit": _choice(("force", "area")),
        "annual_group": _string,
        "claim_reading": _string,
        "hygiene_threshold": _number(0),
        "exclude_area_mates": _bool,
        "drop_flagged_donors": _bool,
        "min_pre": _int(1, 200),
        "min_post": _int(1, 200),
        "horizon": _int(0, 40),
        "horizons": _each(_int(0, 40), empty=False),
        "power_lengths": _each(_int(1, 80), empty=False),
        "charge_rate_lag": _int(0, 12),
        "denominator_lags": _each(_int(0, 12), empty=False),
        "offset_lags": _lags,
        "shifts": _each(_int(-12, 12), empty=False),
        "n_jobs": _int(1, 64, none=True),
        "reps": _int(1, 100_000),
        "regression_reps": _int(1, 100_000),
        "sensitivity_reps": _int(1, 100_000),
        "seed": _int(0),
        "rate_per": _number(0),
        "max_pre_rmspe_ratio": _number(0, none=True),
        "allan": _choice(ALLAN_CHOICES),
        "family": _choice(FAMILIES),
        "estimator": _choice(ESTIMATORS),
        "control": _choice(CONTROLS),
        "unknown": _unknown,
        "season": _season,
        "covid": _choice(COVID_CHOICES),
        "covid_sensitivity": _each(_choice(COVID_CHOICES), empty=False),
        "joint_slopes": _choice(SLOPE_CHOICES),
        "negative_controls": _each(_string),
        "force_series": _string,  # notebook 05: a series of notebook 03's annual tables
        "force_method": _choice(tuple(SYNTHETIC_METHODS)),
        "drop_soteria_pathfinders": _bool,
        "source": _source,
        "panel_path": _path_or_none,
        "data_path": _path_or_none,
        "results_dir": _path_or_none,
    }


#: the notebook parameters with a rule (every parameter of every notebook has one; a test
#: checks it): filled on first use
RULES: dict[str, Callable] = {}


def rules(path: Path | None = None) -> dict[str, Callable]:
    """Every parameter's rule (:data:`RULES`), with notebook ``path``'s own where a name
    means something else there."""
    if not RULES:
        RULES.update(_rules())
    if path is None:
        return RULES
    return {**RULES, **_notebook_rules().get(Path(path).name[:2], {})}


def context(panel=None) -> Context:
    """The forces and measures of ``panel`` (default the processed panel) and the ids of
    ``config/interventions.csv``."""
    from rasso_research.data import series as S

    panel = S.load_panel() if panel is None else panel
    forces = sorted(panel.loc[S.geography_of(panel) == "force", "force"].unique())
    ids = tuple(timeline.load_interventions()["id"])
    return Context(tuple(forces), tuple(sorted(panel["measure"].unique())), ids)


# ---- the check -------------------------------------------------------------------------------


def check(path: Path, given: Mapping, panel=None, ctx: Context | None = None) -> dict:
    """The notebook's parameters: its defaults updated with ``given``, each checked and made
    canonical; raise :class:`ParameterError` listing every problem (unknown names with "did
    you mean", types, ranges, choices, ids, quarters, the data's coverage)."""
    base = defaults(path)
    problems = []
    for k in given:
        if k in OUTPUT_PARAMS:
            problems.append(f"{k}: set by the run itself (results/runs/<slug>/), not a parameter")
        elif k not in base:
            problems.append(f"{k!r} is not a parameter of {path.name}{close(k, base)}")
    ctx = ctx or context(panel)
    values = {**base, **{k: v for k, v in given.items() if k in base}}
    out = {}
    rule = rules(path)
    for k, v in values.items():
        if k in OUTPUT_PARAMS:
            out[k] = v
            continue
        out[k], problem = rule[k](k, v, ctx)
        if problem:
            problems.append(problem)
    if not problems:
        problems = _coverage(out, panel)
    if problems:
        raise RunParameterError(
            path,
            "; ".join(problems),
            "`python -m rasso_research params "
            f"{path.name[:2]}` lists the parameters and their defaults",
        )
    return out


def _coverage(p: Mapping, panel) -> list[str]:
    """The data's coverage of the run's force, series and interruption (notebook 03's)."""
    from rasso_research.params import check_params

    if "force" not in p or "series" not in p or panel is None:
        return []
    q = p.get("interruption") or timeline.interruption_quarter(p["intervention"])
    try:
        check_params(
            panel,
            force=p["force"],
            series=p["series"],
            interruption=q,
            start=p.get("start"),
            end=p.get("window_end"),
        )
    except ParameterError as exc:
        return [str(exc).removeprefix("invalid parameters: ")]
    return []


def changed(path: Path, params: Mapping) -> dict:
    """The parameters whose canonical value differs from the notebook's default."""
    base = defaults(path)
    return {k: v for k, v in params.items() if k not in OUTPUT_PARAMS and v != base.get(k)}


def slug(path: Path, params: Mapping) -> str:
    """The run's folder name: the notebook's number and its changed parameters, canonical
    and slugified (``03-force-greater-manchester-interruption-2019q2``); cut at
    :data:`MAX_SLUG` characters with a hash of the parameters when longer. Only ``[a-z0-9-]``."""
    diff = changed(path, params)
    parts = [path.name[:2]] + [
        f"{slugify(k)}-{slugify(json.dumps(v) if not isinstance(v, str) else v)}"
        for k, v in sorted(diff.items())
    ]
    text = "-".join(p for p in parts if p) if diff else f"{path.name[:2]}-defaults"
    if len(text) > MAX_SLUG:
        digest = hashlib.sha256(json.dumps(diff, sort_keys=True).encode()).hexdigest()[:10]
        text = f"{text[: MAX_SLUG - 11].rstrip('-')}-{digest}"
    return text


# ---- feasibility (notebook 03) ---------------------------------------------------------------


def feasibility(params: Mapping, panel):
    """Notebook 03's feasibility table (series, n_pre, n_post, feasible, why) for a run's
    force, series and window, by the designs' own rule; ``None`` for other notebooks."""
    import pandas as pd

    from rasso_research.data.series import series as get_series
    from rasso_research.designs.base import check_feasible

    if not {"force", "series", "min_pre", "min_post", "window_end"} <= set(params):
        return None
    q = params.get("interruption") or timeline.interruption_quarter(params["intervention"])
    rows = []
    for m in params["series"]:
        s = get_series(
            panel, m, force=params["force"], start=params["start"], end=params["window_end"]
        )
        f = check_feasible(s, q, params["min_pre"], params["min_post"], label=m)
        rows.append(
            {"series": m, "n_pre": f.n_pre, "n_post": f.n_post, "feasible": f.ok, "why": f.message}
        )
    return pd.DataFrame(rows)
