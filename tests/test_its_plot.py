"""The standard ITS figure."""

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from rasso_research.its import Interruption, ITSSpec, fit_its  # noqa: E402
from rasso_research.plotting import plot_its  # noqa: E402
from rasso_research.style import TWO_COLUMN, save_figure  # noqa: E402


def quarterly_panel(seed=0, n=40):
    rng = np.random.default_rng(seed)
    t = np.arange(1, n + 1)
    q = pd.period_range("2014Q1", periods=n, freq="Q").astype(str)
    frames = []
    for u, eff in [("T", -5), ("C1", 0), ("C2", 0)]:
        y = 30 + 0.3 * t + eff * (t >= 25) + rng.normal(0, 0.5, n)
        y[(q == "2020Q2")] -= 10
        frames.append(pd.DataFrame({"unit": u, "quarter": q, "y": y}))
    return pd.concat(frames, ignore_index=True)


SPEC = ITSSpec(
    "y",
    "quarter",
    [Interruption("Policy", "2020Q1", phase_in=1)],
    disrupted=["2020Q2"],
    season="quarter",
)


def test_single_series_figure(tmp_path):
    df = quarterly_panel().query("unit == 'T'")
    fig = plot_its(fit_its(df, SPEC), ylabel="Charges", title="Test", source="Source: sim")
    assert isinstance(fig, Figure)
    assert fig.get_size_inches()[0] == TWO_COLUMN
    ax = fig.axes[0]
    texts = [t.get_text() for t in ax.texts] + [t.get_text() for t in fig.texts]
    assert "Policy (2020Q1)" in texts and "Source: sim" in texts
    labels = ax.get_legend_handles_labels()[1]
    assert {"Observed", "Fitted", "Counterfactual", "Disrupted"} <= set(labels)
    assert "2020Q1" in [t.get_text() for t in ax.get_xticklabels()]
    paths = save_figure(fig, "its_test", tmp_path)
    assert all(p.stat().st_size > 0 for p in paths)
    plt.close(fig)


def test_controlled_figure_and_given_axes():
    res = fit_its(quarterly_panel(), SPEC.replace(group="unit", treated="T"))
    fig, ax = plt.subplots()
    out = plot_its(res, ax=ax)
    assert out is fig
    assert len(ax.lines) >= 2 + 2  # two control lines, fitted segments, counterfactual
    assert "Controls" in ax.get_legend_handles_labels()[1]
    plt.close(fig)


def test_underlying_lines_ignore_disruption_dummies():
    res = fit_its(quarterly_panel().query("unit == 'T'"), SPEC)
    full = res.counterfactual().set_index("label")
    under = res.counterfactual(include_disrupted=False).set_index("label")
    assert full.loc["2020Q2", "fitted"] < under.loc["2020Q2", "fitted"] - 5
    assert full.loc["2021Q2", "fitted"] == under.loc["2021Q2", "fitted"]
