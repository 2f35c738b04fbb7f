"""The national study's saved tables, typed: the tables of notebooks 02 and 04 that notebook
05 draws the paper figures from, each read and checked against its schema
(:func:`load_results`)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pandera.pandas as pa

from rasso_research.studies.national import FIGURE1, SERIES, NationalSeries


def _schema(**columns: type) -> pa.DataFrameSchema:
    """A schema requiring ``columns`` with their types (missing values allowed in the numbers
    a model may not define, such as a counterfactual before the date)."""
    return pa.DataFrameSchema(
        {c: pa.Column(t, nullable=t is float, coerce=True) for c, t in columns.items()},
        strict=False,
    )


_PCT = {"effect_pct": float, "ci_low_pct": float, "ci_high_pct": float}


_KEYS = {"series": str, "intervention": str}


#: The tables notebook 05 draws from, each with the columns it reads.
RESULT_SCHEMAS = {
    "its_joint_counterfactual": _schema(
        **_KEYS,
        period=str,
        in_fit=bool,
        segment=str,
        covid=bool,
        ylabel=str,
        **dict.fromkeys(["observed", "fitted", "counterfactual"], float),
        **{
            f"{line}_ci_{end}": float
            for line in ("fitted", "counterfactual")
            for end in ("low", "high")
        },
    ),
    "its_national_effects": _schema(**_KEYS, horizon=int, quarter=str, end=bool, **_PCT),
    "its_national_diagnostics": _schema(**_KEYS, ci_method=str),
    "its_national_slopes": _schema(**_KEYS, basis=str, **_PCT),
    "its_joint_terms": _schema(
        **_KEYS,
        kind=str,
        **dict.fromkeys(
            ["estimate", "ci_low", "ci_high", "estimate_pct", "ci_low_pct", "ci_high_pct", "mde"],
            float,
        ),
        mde_pct=float,
    ),
    "its_joint_effects": _schema(**_KEYS, horizon=int, end=bool, **_PCT),
    "its_national_estimands": _schema(**_KEYS, role=str, kind=str, horizon=float, mde_pct=float),
    "spec_curve": _schema(
        spec_id=int, ok=bool, estimate=float, ci_low=float, ci_high=float, significant=bool
    ),
    "spec_curve_dates": _schema(
        shift=int, ok=bool, estimate=float, ci_low=float, ci_high=float, significant=bool
    ),
}


@dataclass
class NationalResults:
    """The saved tables of notebooks 02 and 04, each checked against its schema: the joint
    model's counterfactual (figure 1), terms, effects of the reforms together and the declared
    estimands (figure 2), the single-date effects and slopes, and the specification curve
    (figure 4)."""

    counterfactual: pd.DataFrame
    effects: pd.DataFrame
    diagnostics: pd.DataFrame
    slopes: pd.DataFrame
    joint_terms: pd.DataFrame
    joint_effects: pd.DataFrame
    estimands: pd.DataFrame
    curve: pd.DataFrame
    dates: pd.DataFrame

    def figure1(self, series: Sequence[NationalSeries] = SERIES) -> list[tuple[str, str, str]]:
        """Figure 1's panels: (label, y label with units, title) of each :data:`FIGURE1` series."""
        defs = {s.key: s for s in series}
        cf = self.counterfactual
        out = []
        for key in FIGURE1:
            d = defs[key]
            rows = cf[cf["series"] == d.label]
            if rows.empty:
                raise ValueError(f"the joint counterfactual table has no series {d.label!r}")
            out.append((d.label, rows["ylabel"].iloc[0], d.title))
        return out

    def effects_with_method(self) -> pd.DataFrame:
        """The single-date effects with each fit's interval method (figure 2)."""
        keys = ["series", "intervention"]
        return self.effects.merge(self.diagnostics[[*keys, "ci_method"]], on=keys)


def load_results(tables_dir: Path | str) -> NationalResults:
    """Read the national study's saved tables from ``tables_dir``; a table missing or lacking
    a column its figure needs is an error naming the file and the notebook that writes it."""
    frames = {}
    for name, schema in RESULT_SCHEMAS.items():
        path = Path(tables_dir) / f"{name}.csv"
        writer = "04_sensitivity" if name.startswith("spec_curve") else "02_national_its"
        if not path.exists():
            raise FileNotFoundError(f"{path} not found: run notebook {writer} first")
        df = pd.read_csv(path)
        missing = [c for c in schema.columns if c not in df.columns]
        if missing:
            raise ValueError(f"{path} lacks the column(s) {missing} (rerun notebook {writer})")
        try:
            frames[name] = schema.validate(df, lazy=True)
        except (pa.errors.SchemaErrors, pa.errors.SchemaError) as exc:
            raise ValueError(f"{path}: a column has values of the wrong type: {exc}") from None
    return NationalResults(*frames.values())
