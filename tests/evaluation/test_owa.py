"""M4's OWA in metrics.json, recomputed from the run's own predictions.csv and the CSV."""

import json

import numpy as np
import pandas as pd
from click.testing import CliRunner

from forecast.cli import cli


def test_owa_recomputed_from_predictions(tmp_path):
    t = np.arange(150)
    rng = np.random.default_rng(1)
    frames = []
    for name, level in [("a", 10.0), ("b", 800.0), ("c", 40.0)]:
        y = level * (3 + np.sin(2 * np.pi * t / 6) + 0.2 * rng.standard_normal(150))
        frames.append(pd.DataFrame({"id": name, "step": t, "y": y}))
    csv = tmp_path / "long.csv"
    pd.concat(frames).to_csv(csv, index=False)
    out = tmp_path / "run"
    args = ["fit", str(csv), "--series", "id", "--time-col", "step", "--season", "6"]
    args += ["--horizon", "3", "--window", "12", "--segment", "6", "--epochs", "1", "--units", "4"]
    args += ["--norm", "window", "--loss", "mse"]  # not chosen on validation: one training
    args += ["--quiet", "--out", str(out)]
    done = CliRunner().invoke(cli, args)
    assert done.exit_code == 0, done.output
    metrics = json.loads((out / "metrics.json").read_text())
    table = pd.read_csv(out / "predictions.csv")
    frame = pd.read_csv(csv)
    scores = {"predicted": [], "naive2": []}
    for name, rows in table.groupby("id"):
        history = frame.loc[frame["id"] == name, "y"].to_numpy()
        train = history[: int(round(len(history) * 0.7))]
        scale = np.mean(np.abs(train[6:] - train[:-6]))
        a = rows["actual"].to_numpy()
        for column in scores:
            f = rows[column].to_numpy()
            smape = np.mean(200 * np.abs(a - f) / (np.abs(a) + np.abs(f)))
            scores[column].append((smape, np.mean(np.abs(a - f)) / scale))
    (s, m), (s2, m2) = (np.mean(scores[c], axis=0) for c in ("predicted", "naive2"))
    np.testing.assert_allclose(metrics["owa"], 0.5 * (s / s2 + m / m2), rtol=1e-4)
    assert metrics["baselines"]["naive2"]["owa"] == 1.0
    np.testing.assert_allclose(metrics["mean_mase"], m, rtol=1e-4)


def test_undefined_mase_is_null_and_the_choice_falls_back_to_rmse(tmp_path):
    """Series that repeat exactly every season: the in-sample seasonal-naive error is 0, MASE and
    OWA are undefined (null in metrics.json), and the search decides by validation RMSE."""
    t = np.arange(300)
    frames = [
        pd.DataFrame({"s": name, "step": t, "y": level * (3 + np.sin(2 * np.pi * t / 6))})
        for name, level in [("a", 1.0), ("b", 10.0)]
    ]
    csv = tmp_path / "periodic.csv"
    pd.concat(frames).to_csv(csv, index=False)
    out = tmp_path / "run"
    args = ["fit", str(csv), "--series", "s", "--time-col", "step", "--season", "6"]
    args += ["--horizon", "3", "--window", "12", "--segment", "6", "--epochs", "1", "--units", "4"]
    args += ["--loss", "mse", "--quiet", "--out", str(out)]
    done = CliRunner().invoke(cli, args)
    assert done.exit_code == 0, done.output
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["mean_mase"] is None and metrics["owa"] is None
    grid = metrics["selection"]["grid"]
    assert all(g["val_mase"] is None for g in grid)
    best = min(grid, key=lambda g: g["val_rmse"])
    assert metrics["selection"]["chosen"]["norm"] == best["norm"]
