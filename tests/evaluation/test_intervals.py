"""Split-conformal intervals: the finite-sample quantile, coverage, and their place in a run."""

import json

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from forecast.cli import cli
from forecast.evaluation import intervals as iv


def test_width_is_the_corrected_order_statistic_per_step():
    # 9 residuals per step: rank ceil(10 * 0.8) = 8 → the 8th smallest
    res = np.column_stack([np.arange(1, 10), 10 * np.arange(1, 10)]).astype(float)
    assert iv.conformal_width(res, 0.8).tolist() == [8.0, 80.0]
    # rank ceil(10 * 0.95) = 10 > 9 → clipped to the largest
    assert iv.conformal_width(res, 0.95).tolist() == [9.0, 90.0]
    # signs do not matter
    assert iv.conformal_width(-res, 0.8).tolist() == [8.0, 80.0]


def test_coverage_counts_points_inside_the_band():
    actual = np.array([[0.0, 0.0], [1.0, 3.0]])
    predicted = np.zeros((2, 2))
    assert iv.coverage(actual, predicted, [1.0, 1.0]) == 0.75
    assert iv.coverage(actual, predicted, [0.5, 5.0]) == 0.75
    assert iv.coverage(actual, predicted, [0.0, 0.0]) == 0.5


def test_calibrated_intervals_cover_new_exchangeable_data():
    rng = np.random.default_rng(0)
    scale = np.array([1.0, 2.0, 4.0])  # error grows with the horizon step
    val, test = rng.normal(size=(400, 3)) * scale, rng.normal(size=(4000, 3)) * scale
    m = iv.interval_metrics(val, np.zeros_like(val), test, np.zeros_like(test))
    assert set(m["intervals"]) == {"80", "95"}
    w80 = np.array(m["intervals"]["80"])
    assert np.all(np.diff(w80) > 0)  # per-step widths follow the per-step error
    assert w80 / scale == pytest.approx(np.full(3, 1.2816), rel=0.15)
    assert m["coverage_80"] == pytest.approx(0.80, abs=0.03)
    assert m["coverage_95"] == pytest.approx(0.95, abs=0.02)


def naive_aci(val, test, level, gamma):
    """The ACI recursion written out one origin and one step at a time (delayed feedback)."""
    n_val, h = val.shape
    out = np.zeros((len(test) + 1, h))
    for s in range(h):
        alpha = 1 - level
        for i in range(len(test) + 1):
            if 0 <= i - s - 1 < len(test):
                alpha += gamma * ((1 - level) - float(test[i - s - 1, s] > out[i - s - 1, s]))
            if alpha >= 1:
                out[i, s] = 0.0
            else:
                k = min(int(np.ceil((n_val + 1) * min(1 - alpha, 1.0))), n_val)
                out[i, s] = np.sort(val[:, s])[k - 1]
    return out


@pytest.mark.parametrize("gamma", [0.0, 0.02, 0.3])
def test_aci_widths_match_the_recursion_written_out(gamma):
    rng = np.random.default_rng(3)
    val = np.abs(rng.normal(size=(50, 3)))
    test = np.abs(rng.normal(size=(80, 3))) * np.linspace(0.5, 2.5, 80)[:, None]  # drifts
    for level in (0.8, 0.95):
        expected = naive_aci(val, test, level, gamma)
        np.testing.assert_array_equal(iv.online_widths(val, test, level, gamma=gamma,
                                                       recent=False), expected)  # fmt: skip


def test_aci_follows_a_drifting_error_level_where_split_conformal_under_covers():
    rng = np.random.default_rng(1)
    val = rng.normal(size=(300, 2))
    test = rng.normal(size=(1500, 2)) * np.linspace(1.0, 2.0, 1500)[:, None]  # errors grow
    zeros_v, zeros_t = np.zeros_like(val), np.zeros_like(test)
    split = iv.interval_metrics(val, zeros_v, test, zeros_t, method="split")
    aci = iv.interval_metrics(val, zeros_v, test, zeros_t, method="aci")
    assert split["coverage_80"] < 0.70 and split["coverage_95"] < 0.88
    assert aci["coverage_80"] == pytest.approx(0.80, abs=0.02)
    assert aci["coverage_95"] == pytest.approx(0.95, abs=0.02)
    assert aci["intervals"]["80"][0] > split["intervals"]["80"][0]  # widened with the errors
    with pytest.raises(ValueError, match="interval method 'bogus'"):
        iv.interval_metrics(val, zeros_v, test, zeros_t, method="bogus")


def test_fit_reports_intervals_coverage_and_bands(tmp_path, sine_csv):
    out = tmp_path / "run"
    args = ["fit", sine_csv, "--model", "linear", "--window", "12", "--horizon", "3"]
    args += ["--epochs", "2", "--quiet", "--out", out]
    result = CliRunner().invoke(cli, [str(a) for a in args], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert "test coverage" in result.stdout
    m = json.loads((out / "metrics.json").read_text())
    assert len(m["intervals"]["80"]) == len(m["intervals"]["95"]) == 3
    assert all(a <= b for a, b in zip(m["intervals"]["80"], m["intervals"]["95"], strict=True))
    pred = pd.read_csv(out / "predictions.csv")
    inside = (pred["actual"] >= pred["lower_95"]) & (pred["actual"] <= pred["upper_95"])
    assert m["coverage_95"] == pytest.approx(inside.mean())
    inside = (pred["actual"] >= pred["lower_80"]) & (pred["actual"] <= pred["upper_80"])
    assert m["coverage_80"] == pytest.approx(inside.mean())
    # each test origin has its own (adaptive) widths; their mean is reported
    half = pred["upper_80"] - pred["predicted"]
    assert half.mean() == pytest.approx(m["interval_mean_width"]["80"], rel=1e-3)
    assert m["interval_method"].startswith("adaptive conformal")
    future = tmp_path / "future.csv"
    result = CliRunner().invoke(cli, ["predict", str(out), str(sine_csv), "--out", str(future)])
    assert result.exit_code == 0, result.output
    table = pd.read_csv(future)
    assert list(table.columns[-4:]) == ["lower_80", "upper_80", "lower_95", "upper_95"]
    assert (table["lower_95"] <= table["lower_80"]).all()
    assert (table["upper_80"] <= table["upper_95"]).all()
