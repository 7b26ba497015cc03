"""The numbers a fit writes, recomputed from the run's own files and the CSV (issue 22): MASE from
the training rows, single series and per series; the Diebold–Mariano p-values, the interval
coverage, the diagnostics and the combination with the linear baseline from predictions.csv.

Each test failed when the behaviour it names was broken by hand (issue 22's closing note)."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from forecast.cli import cli
from tests.conftest import ROOT, WEATHER
from tests.dm_reference import dm_reference, origin_losses_of

STOCKS = ROOT / "data" / "stocks_long.csv"


def invoke(*args):
    result = CliRunner().invoke(cli, [str(a) for a in args], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result


def training_scale(values: np.ndarray, train_share: float) -> float:
    """Mean |Δy| over the first round(n · train_share) rows: MASE's denominator by hand (the
    values as the reader holds them, float32)."""
    train = values[: int(round(len(values) * train_share))].astype("float32").astype("float64")
    return float(np.mean(np.abs(np.diff(train))))


@pytest.fixture(scope="module")
def weather_run(tmp_path_factory):
    """A tiny RNN on data/weather.csv (1 epoch, 4 units, window 14): ``(dir, metrics, rows)``."""
    out = tmp_path_factory.mktemp("fitmath") / "rnn"
    invoke(
        "fit", WEATHER, "--model", "rnn", "--epochs", "1", "--units", "4", "--window", "14",
        "--calendar", "none", "--quiet", "--out", out,
    )  # fmt: skip
    metrics = json.loads((out / "metrics.json").read_text())
    return out, metrics, pd.read_csv(out / "predictions.csv")


def test_mase_divides_by_the_training_rows_mean_one_step_change(weather_run):
    out, m, rows = weather_run
    prep = json.loads((out / "preprocessing.json").read_text())
    y = pd.read_csv(WEATHER)[m["target"]].to_numpy(dtype="float64")
    assert prep["n_rows"] == len(y)
    scale = training_scale(y, prep["split"][0])  # rows 0 … 1022 of 1461
    for name, scores in [("predicted", m), *m["baselines"].items()]:
        mae = float(np.mean(np.abs(rows["actual"] - rows[name])))
        assert scores["mae"] == pytest.approx(mae, rel=1e-4), name
        assert scores["mase"] == pytest.approx(scores["mae"] / scale, rel=1e-9), name


@pytest.fixture(scope="module")
def stocks_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("fitmath") / "stocks"
    invoke(
        "fit", STOCKS, "--series", "symbol", "--model", "linear", "--window", "12",
        "--horizon", "3", "--quiet", "--out", out,
    )  # fmt: skip
    return out, json.loads((out / "metrics.json").read_text())


def test_mase_per_series_and_pooled_use_each_series_training_rows(stocks_run):
    """Per series: MAE over that series' test windows / mean |Δy| over its own first 70 % of
    rows; pooled: MAE over every window / mean |Δy| over every series' training rows (never a
    change across two series)."""
    out, m = stocks_run
    table = pd.read_csv(STOCKS, parse_dates=["date"]).sort_values(["symbol", "date"])
    rows = pd.read_csv(out / "predictions.csv")
    share = json.loads((out / "preprocessing.json").read_text())["split"][0]
    diffs = []
    for name, s in m["per_series"].items():
        y = table.loc[table["symbol"] == name, "price"].to_numpy(dtype="float64")
        scale = training_scale(y, share)
        train = y[: int(round(len(y) * share))].astype("float32").astype("float64")
        diffs.append(np.abs(np.diff(train)))
        mine = rows[rows["symbol"] == name]
        assert s["mae"] == pytest.approx(np.mean(np.abs(mine["actual"] - mine["predicted"])), 1e-4)
        assert s["mase"] == pytest.approx(s["mae"] / scale, rel=1e-9), name
    assert len(diffs) == 5
    pooled = float(np.mean(np.concatenate(diffs)))
    assert m["mase"] == pytest.approx(m["mae"] / pooled, rel=1e-9)


def test_significance_is_the_dm_test_at_the_run_horizon_on_predictions_csv(weather_run):
    """metrics.json ``significance``: the model's per-origin losses against persistence's and
    the linear baseline's, the overlap of ``horizon`` steps in the variance."""
    _, m, rows = weather_run
    model = origin_losses_of(rows, "predicted")
    assert len(model) == m["n_test_windows"]
    for name in ("persistence", "linear"):
        stat, p = dm_reference(model, origin_losses_of(rows, name), m["horizon"])
        saved = m["significance"][f"vs_{name}"]
        assert saved["dm_stat"] == pytest.approx(stat, rel=1e-3), name
        assert saved["p_value"] == pytest.approx(p, rel=1e-2, abs=1e-6), name


def test_combination_scores_and_tests_from_predictions_csv(weather_run):
    """metrics.json ``combination``: ``w·predicted + (1 − w)·linear`` scored on the test rows,
    and its DM tests against persistence, linear and the model alone."""
    _, m, rows = weather_run
    c = m["combination"]
    w = c["weight"]
    assert 0 <= w <= 1
    rows = rows.assign(combined=w * rows["predicted"] + (1 - w) * rows["linear"])
    err = rows["actual"] - rows["combined"]
    assert c["rmse"] == pytest.approx(float(np.sqrt(np.mean(err**2))), rel=1e-4)
    assert c["mae"] == pytest.approx(float(np.mean(np.abs(err))), rel=1e-4)
    mixed = origin_losses_of(rows, "combined")
    for key, column in [("vs_persistence", "persistence"), ("vs_linear", "linear"),
                        ("vs_model", "predicted")]:  # fmt: skip
        stat, p = dm_reference(mixed, origin_losses_of(rows, column), m["horizon"])
        assert c["significance"][key]["dm_stat"] == pytest.approx(stat, rel=1e-3, abs=1e-6), key
        assert c["significance"][key]["p_value"] == pytest.approx(p, rel=1e-2, abs=1e-6), key


def test_coverage_and_diagnostics_from_predictions_csv(weather_run):
    """``coverage_80/95``: the share of test rows inside their written band; ``diagnostics``:
    the direction of change from the last value (the persistence column) per step, the error
    correlation with persistence and the best lag of the one-step forecast."""
    _, m, rows = weather_run
    n = len(rows)
    for level in ("80", "95"):
        inside = (rows[f"lower_{level}"] <= rows["actual"]) & (
            rows["actual"] <= rows[f"upper_{level}"]
        )
        assert m[f"coverage_{level}"] == pytest.approx(inside.mean(), abs=2.5 / n), level
    d = m["diagnostics"]
    true = np.sign(rows["actual"] - rows["persistence"])
    pred = np.sign(rows["predicted"] - rows["persistence"])
    moved = true != 0
    per_step = ((true == pred) & moved).groupby(rows["step"]).sum() / moved.groupby(
        rows["step"]
    ).sum()
    assert d["directional_accuracy"] == pytest.approx(per_step.mean(), abs=1e-3)
    corr = np.corrcoef(rows["actual"] - rows["predicted"], rows["actual"] - rows["persistence"])
    assert d["corr_with_persistence"] == pytest.approx(corr[0, 1], abs=1e-4)
    first = rows[rows["step"] == 1]
    a, p, h = first["actual"].to_numpy(), first["predicted"].to_numpy(), m["horizon"]
    # the one-step forecast of origins h … n-1 against the actual k steps earlier, k = 0 … h
    lag_mse = [np.mean((p[h:] - a[h - k : len(a) - k]) ** 2) for k in range(h + 1)]
    assert d["lag_rmse"] == pytest.approx(np.sqrt(lag_mse).tolist(), rel=1e-4)
    assert d["best_lag"] == int(np.argmin(lag_mse))
