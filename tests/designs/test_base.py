"""The design result base (rasso_research.designs.base): every ``effects()`` holds its
design's columns, and a result that does not is an error naming them."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd
import pytest

from rasso_research.designs.base import DesignResult


@dataclass
class Toy(DesignResult):
    effect_columns = ("estimate", "ci_low", "ci_high")

    frame: pd.DataFrame

    def effects(self) -> pd.DataFrame:
        return self.frame

    def table(self) -> pd.DataFrame:
        return self.frame


def test_effects_hold_the_design_columns_in_order():
    ok = pd.DataFrame({"series": ["s"], "estimate": [1.0], "ci_low": [0.0], "ci_high": [2.0]})
    assert Toy(ok).effects() is ok
    assert Toy(pd.DataFrame()).effects().empty  # nothing fitted: no rows, no columns
    with pytest.raises(TypeError, match=r"Toy.effects\(\) has columns .* must hold"):
        Toy(ok.drop(columns="ci_low")).effects()
    with pytest.raises(TypeError, match="in that order"):
        Toy(ok[["ci_high", "estimate", "ci_low"]]).effects()


def test_the_result_base_is_abstract():
    with pytest.raises(TypeError, match="abstract"):
        DesignResult()
