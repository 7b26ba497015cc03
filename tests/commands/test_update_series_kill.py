"""``forecast update`` on a ``--series`` run (per-series scores, widths and alerts), and killed
at any moment (SIGKILL): the run directory and its forecast log are as before, or fully updated."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import time

import pandas as pd
import pytest

import forecast
from forecast.commands.update import update_run
from tests.conftest import ROOT

STOCKS = ROOT / "data" / "stocks_long.csv"
FIT = dict(model="gru", epochs=1, units=4, window=12, horizon=3, seed=0, final="none")
FIT |= dict(series="symbol", norm="window", loss="mse")


@pytest.fixture(scope="module")
def fitted(tmp_path_factory):
    root = tmp_path_factory.mktemp("series-update")
    data = pd.read_csv(STOCKS)
    for name, end in (("fit", "2009-01-01"), ("up1", "2009-04-01"), ("up2", "2009-07-01")):
        data[data["date"] < end].to_csv(root / f"{name}.csv", index=False)
    run = forecast.fit(root / "fit.csv", out=root / "run", **FIT)
    return root, run.path


@pytest.fixture
def run_dir(fitted, tmp_path):
    copy = tmp_path / "run"
    shutil.copytree(fitted[1], copy)
    return copy


def quiet(*_):
    pass


def test_series_update_scores_and_forecasts_every_series(fitted, run_dir):
    root, _ = fitted
    forecast.load(run_dir).predict(root / "fit.csv")
    first = update_run(run_dir, root / "up1.csv", log=quiet)
    assert "15 new row(s) over 5 series" in first.lines
    report = update_run(run_dir, root / "up2.csv", log=quiet)
    monitor = report.monitor
    names = {"AAPL", "AMZN", "GOOG", "IBM", "MSFT"}
    assert set(monitor["realised"]["per_series"]) == names
    assert set(monitor["widths"]) == names
    assert monitor["realised"]["n"] == 2 * 5 * 3  # two origins per series came true
    log = pd.read_csv(run_dir / "forecasts.csv")
    assert set(log["series"]) == names and not log.duplicated(["origin", "series", "step"]).any()
    # each series' own realised RMSE, from the log and the data by hand
    data = pd.read_csv(root / "up2.csv")
    ibm = log[log["series"] == "IBM"].merge(
        data[data["symbol"] == "IBM"], left_on="timestamp", right_on="date"
    )
    by_hand = ((ibm["price"] - ibm["predicted"]) ** 2).mean() ** 0.5
    got = monitor["realised"]["per_series"]["IBM"]["model"]["rmse"]
    assert got == pytest.approx(by_hand, rel=1e-6)
    future = report.forecast
    assert set(future["symbol"]) == names and len(future) == 5 * 3


def test_series_alerts_name_their_series(fitted, run_dir, tmp_path):
    root, _ = fitted
    data = pd.read_csv(STOCKS)
    update_run(run_dir, root / "up1.csv", log=quiet)
    alerts = []
    for end in pd.date_range("2009-05-01", "2010-03-01", freq="MS"):
        part = data[data["date"] < str(end.date())].copy()
        late = (part["symbol"] == "IBM") & (part["date"] >= "2009-04-01")
        part.loc[late, "price"] *= 3  # IBM trebles; the others go on as they were
        part.to_csv(tmp_path / "grown.csv", index=False)
        alerts += update_run(run_dir, tmp_path / "grown.csv", log=quiet).alerts
        if any(a.series == "IBM" for a in alerts):
            break
    assert "IBM" in {a.series for a in alerts}
    for alert in alerts:  # (real series may drift too: GOOG's 2009 did for this tiny model)
        assert alert.series in alert.message


def snapshot(directory) -> dict:
    return {
        str(p.relative_to(directory)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(directory.rglob("*"))
        if p.is_file()
    }


def cli_update(run, csv) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    cmd = [sys.executable, "-m", "forecast", "update", str(run), str(csv)]
    return subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def wait_for_stage(run, proc, timeout: float = 120.0) -> bool:
    """Wait until the update has started writing (its staged copy exists) or has ended."""
    end = time.monotonic() + timeout
    while time.monotonic() < end and proc.poll() is None:
        if list(run.parent.glob(f".{run.name}.update-*")):
            return True
        time.sleep(0.005)
    return False


def test_sigkill_at_any_moment_leaves_the_run_before_or_after(fitted, run_dir):
    root, _ = fitted
    update_run(run_dir, root / "up1.csv", log=quiet)  # the state before: one update done
    before = snapshot(run_dir)
    log_before = (run_dir / "forecasts.csv").read_text()
    outcomes = []
    for delay in (0.0, 0.5, 1.0, 2.0):
        proc = cli_update(run_dir, root / "up2.csv")
        started = wait_for_stage(run_dir, proc)
        time.sleep(delay)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        now = snapshot(run_dir)
        if now == before:
            outcomes.append("before")
            continue
        # fully updated: the second update's monitor, log and observed rows, all of them
        monitor = json.loads((run_dir / "monitor.json").read_text())
        assert monitor["n_updates"] == 2, (delay, started)
        log = (run_dir / "forecasts.csv").read_text()
        assert log.startswith(log_before) and len(log) > len(log_before)
        assert len(pd.read_csv(run_dir / "observed.csv")) == len(pd.read_csv(root / "up2.csv"))
        outcomes.append("after")
        break
    assert "before" in outcomes, outcomes  # at least one kill landed mid-update
    # whatever the kills left, the next update completes and the log has no duplicates
    final = subprocess.run(
        [sys.executable, "-m", "forecast", "update", str(run_dir), str(root / "up2.csv")],
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
    )
    assert final.returncode == 0, final.stderr
    log = pd.read_csv(run_dir / "forecasts.csv")
    assert not log.duplicated(["origin", "series", "step"]).any()
    assert not list(run_dir.parent.glob(f".{run_dir.name}.update-*"))
