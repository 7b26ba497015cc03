"""``forecast update`` as an operator uses it: new rows in, realised scores, alerts with exit
status 3, numbered model versions with refit and rollback, and bad input that changes nothing."""

from __future__ import annotations

import hashlib
import json
import shutil

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

import forecast
from forecast.cli import cli
from tests.conftest import WEATHER

# norm global: a model that does not re-anchor on the last row, so a level shift shows in its
# errors (a --norm window model absorbs most of it; bench/drift_replay.py measures both)
FIT = dict(
    model="gru", epochs=1, units=4, window=14, horizon=3, seed=0, final="none", norm="global"
)
N_FIT = 400


def invoke(*args):
    return CliRunner().invoke(cli, [str(a) for a in args], catch_exceptions=False)


@pytest.fixture(scope="module")
def fitted(tmp_path_factory):
    root = tmp_path_factory.mktemp("update")
    weather = pd.read_csv(WEATHER)
    weather.iloc[:N_FIT].to_csv(root / "fit.csv", index=False)
    run = forecast.fit(root / "fit.csv", out=root / "run", **FIT)
    return run.path, weather


@pytest.fixture
def run_dir(fitted, tmp_path):
    path, _ = fitted
    copy = tmp_path / "run"
    shutil.copytree(path, copy)
    return copy


def rows(weather, n: int, path, shift: float = 0.0, after: int | None = None):
    """The first ``n`` weather rows as a CSV; ``temp_max`` + ``shift`` from row ``after`` on."""
    part = weather.iloc[:n].copy()
    if shift:
        part.loc[part.index >= after, "temp_max"] += shift
    part.to_csv(path, index=False)
    return path


def snapshot(directory) -> dict:
    return {
        str(p.relative_to(directory)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(directory.rglob("*"))
        if p.is_file()
    }


def test_update_scores_the_logged_forecast_and_logs_the_next(fitted, run_dir, tmp_path):
    _, weather = fitted
    assert invoke("predict", run_dir, rows(weather, N_FIT, tmp_path / "a.csv")).exit_code == 0
    result = invoke("update", run_dir, rows(weather, N_FIT + 4, tmp_path / "b.csv"))
    assert result.exit_code == 0, result.output
    monitor = json.loads((run_dir / "monitor.json").read_text())
    log = pd.read_csv(run_dir / "forecasts.csv")
    first = log[log["origin"] == weather["date"].iloc[N_FIT - 1]]
    actual = weather["temp_max"].iloc[N_FIT : N_FIT + 3].to_numpy()
    by_hand = np.sqrt(np.mean((actual - first["predicted"].to_numpy()) ** 2))
    pers = np.sqrt(np.mean((actual - weather["temp_max"].iloc[N_FIT - 1]) ** 2))
    assert monitor["realised"]["n"] == 3
    assert monitor["realised"]["model"]["rmse"] == pytest.approx(by_hand, rel=1e-6)
    assert monitor["realised"]["persistence"]["rmse"] == pytest.approx(pers, rel=1e-6)
    assert "linear" in monitor["realised"]
    beats = "beats persistence" if by_hand < pers else "does NOT beat persistence"
    assert "since training (1 origin(s), 3 forecasts come true): model RMSE" in result.output
    assert f"the model {beats}" in result.output
    inside = (actual >= first["lower_80"]) & (actual <= first["upper_80"])
    assert monitor["realised"]["coverage_80"] == pytest.approx(inside.mean())
    # the next horizon, from the newest row, is logged and written
    assert weather["date"].iloc[N_FIT + 3] in set(log["origin"])
    assert len(log) == 2 * FIT["horizon"]
    assert (run_dir / "observed.csv").is_file() and (run_dir / "monitor.png").is_file()
    assert "since training" in (run_dir / "report.html").read_text()
    # the interval widths moved with the outcomes (adaptive conformal, continued)
    widths = monitor["widths"]["None"]
    assert set(widths) == {"80", "95"} and len(widths["80"]) == FIT["horizon"]


def test_revised_values_are_reported_and_not_used(fitted, run_dir, tmp_path):
    _, weather = fitted
    invoke("update", run_dir, rows(weather, N_FIT + 2, tmp_path / "a.csv"))
    revised = weather.iloc[: N_FIT + 4].copy()
    revised.loc[N_FIT + 1, "temp_max"] = 99.0
    revised.to_csv(tmp_path / "b.csv", index=False)
    result = invoke("update", run_dir, tmp_path / "b.csv")
    assert result.exit_code == 0
    day = weather["date"].iloc[N_FIT + 1]
    old = weather["temp_max"].iloc[N_FIT + 1]
    assert f"revised past value kept as the run saw it: {day} temp_max: {old:g} → 99" in (
        result.output
    )
    observed = pd.read_csv(run_dir / "observed.csv")
    assert observed.loc[observed["date"] == day, "temp_max"].item() == pytest.approx(old)
    # only the new rows are accepted too
    weather.iloc[N_FIT + 4 : N_FIT + 6].to_csv(tmp_path / "c.csv", index=False)
    assert invoke("update", run_dir, tmp_path / "c.csv").exit_code == 0
    assert len(pd.read_csv(run_dir / "observed.csv")) == N_FIT + 6


def test_bad_input_changes_nothing(fitted, run_dir, tmp_path):
    _, weather = fitted
    invoke("update", run_dir, rows(weather, N_FIT + 2, tmp_path / "a.csv"))
    before = snapshot(run_dir)
    weather.iloc[N_FIT + 5 : N_FIT + 8].to_csv(tmp_path / "gap.csv", index=False)
    result = invoke("update", run_dir, tmp_path / "gap.csv")
    assert result.exit_code == 2
    assert "row(s) missing after the run's last row" in result.output
    assert "Traceback" not in result.output
    weather.iloc[: N_FIT + 3].drop(columns=["wind"]).to_csv(tmp_path / "cols.csv", index=False)
    result = invoke("update", run_dir, tmp_path / "cols.csv")
    assert result.exit_code == 2 and "lacks column(s) wind" in result.output
    assert snapshot(run_dir) == before
    assert not list(run_dir.parent.glob(".run.update-*"))


def test_refit_keeps_versions_and_rollback_returns(fitted, run_dir, tmp_path):
    _, weather = fitted
    result = invoke(
        "update", run_dir, rows(weather, N_FIT + 3, tmp_path / "a.csv"), "--refit", "always"
    )
    assert result.exit_code == 0, result.output
    versions = json.loads((run_dir / "versions.json").read_text())
    assert versions["current"] == 2 and [v["version"] for v in versions["versions"]] == [1, 2]
    assert (run_dir / "versions/v1/final_model.keras").is_file()
    assert (run_dir / "final_model.keras").read_bytes() == (
        run_dir / "versions/v2/final_model.keras"
    ).read_bytes()
    assert set(pd.read_csv(run_dir / "future.csv")["model_version"]) == {"v2"}
    result = invoke("update", run_dir, "--rollback")
    assert result.exit_code == 0 and "from model version v2 to v1" in result.output
    assert json.loads((run_dir / "versions.json").read_text())["current"] == 1
    out = tmp_path / "f.csv"
    invoke("predict", run_dir, tmp_path / "a.csv", "--out", out)
    assert set(pd.read_csv(out)["model_version"]) == {"v1"}
    result = invoke("update", run_dir, "--rollback")
    assert result.exit_code == 2 and "only version 1: nothing to roll back to" in result.output
    assert (run_dir / "versions/v2/final_model.keras").is_file()  # never deleted


def test_a_shift_raises_an_alert_with_exit_status_3(fitted, run_dir, tmp_path):
    _, weather = fitted
    codes = []
    for n in range(N_FIT + 1, N_FIT + 16):
        path = rows(weather, n, tmp_path / "d.csv", shift=30.0, after=N_FIT + 2)
        result = invoke("update", run_dir, path, "--refit", "on-alert")
        codes.append(result.exit_code)
        if result.exit_code == 3:
            break
    assert codes[-1] == 3, codes
    assert set(codes[:-1]) <= {0}
    assert "ALERT" in result.output and "--refit always" in result.output
    monitor = json.loads((run_dir / "monitor.json").read_text())
    assert monitor["alerts"] and monitor["alerts"][0]["kind"] in ("cusum", "coverage", "dm")
    assert json.loads((run_dir / "versions.json").read_text())["current"] == 2
