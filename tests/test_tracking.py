"""MLflow tracking (forecast.tracking): what a run directory becomes in MLflow, against a real
sqlite store in the test's temp dir; the logged pyfunc loaded in a fresh process and served by
``mlflow models serve`` forecasts what ``forecast predict`` forecasts; without the flag and the
variable, MLflow is never imported."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from forecast import tracking
from forecast.errors import ForecastError
from forecast.tracking import flatten
from tests.conftest import ROOT, WEATHER

TINY = ["--epochs", "1", "--units", "4", "--window", "7", "--horizon", "2", "--quiet"]


def env_with(**extra) -> dict:
    """This environment, the worktree's package first, this interpreter's scripts on PATH."""
    env = {k: v for k, v in os.environ.items() if k != tracking.ENV}
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])
    env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")])
    return {**env, **extra}


# ---- pure parts: no MLflow needed ----


def test_enabled_by_flag_or_variable(monkeypatch):
    monkeypatch.delenv(tracking.ENV, raising=False)
    assert not tracking.enabled(None) and tracking.enabled(True)
    monkeypatch.setenv(tracking.ENV, "  ")
    assert not tracking.enabled(None)
    monkeypatch.setenv(tracking.ENV, "sqlite:///x.db")
    assert tracking.enabled(None) and not tracking.enabled(False)


def test_flag_without_mlflow_is_bad_input(monkeypatch):
    monkeypatch.setattr(tracking, "installed", lambda: False)
    with pytest.raises(
        ForecastError, match=r'^--mlflow needs MLflow, .*pip install -e "\.\[mlflow'
    ):
        tracking.check(True)
    tracking.check(None)  # the variable alone: the command runs, and says it logged nothing
    lines = []
    monkeypatch.setenv(tracking.ENV, "sqlite:///x.db")
    assert tracking.track("fit", ROOT, {}, None, lines.append) is None
    assert lines == [
        f"warning: {tracking.ENV} is set but MLflow is not installed; nothing logged "
        f"({tracking.INSTALL})"
    ]


def test_params_flatten_and_skip_defaults():
    config = {"window": 7, "split": [0.7, 0.3], "data": {"path": "a.csv"}, "x": None, "ok": True}
    assert flatten.params(config) == {
        "window": "7",
        "split": "[0.7, 0.3]",
        "data.path": "a.csv",
        "ok": "true",
    }
    assert flatten.params({"p": "x" * 7000})["p"] == "x" * flatten.PARAM_VALUE_MAX


def test_metrics_flatten_lists_by_step_rows_by_name_folds_by_fold():
    doc = {
        "rmse": 2.0,
        "beats": True,
        "notes": ["a"],
        "baselines": {"seasonal_naive(7)": {"rmse": 3.0, "season": 7}},
        "per_horizon_rmse": [1.0, 3.0],
        "nan": float("nan"),
        "rows": [
            {"model": "gru", "kind": "model", "rmse": 1.5, "per_horizon_rmse": [1.0, 2.0]},
            {"model": "gru+linear", "kind": "combination", "rmse": 1.4},
        ],
        "folds": [{"fold": 2, "rmse": 4.0, "train_end": "2012", "lag": [1.0]}],
    }
    assert flatten.metrics(doc) == [
        ("rmse", 2.0, 0),
        ("baselines.seasonal_naive_7_.rmse", 3.0, 0),
        ("baselines.seasonal_naive_7_.season", 7.0, 0),
        ("per_horizon_rmse", 1.0, 1),
        ("per_horizon_rmse", 3.0, 2),
        ("rows.gru.rmse", 1.5, 0),
        ("rows.gru.per_horizon_rmse", 1.0, 1),
        ("rows.gru.per_horizon_rmse", 2.0, 2),
        ("rows.combination.gru_linear.rmse", 1.4, 0),
        ("folds.rmse", 4.0, 2),
    ]
    history = pd.DataFrame({"epoch": [1, 2], "loss": [0.5, np.nan], "note": ["a", "b"]})
    assert flatten.table_metrics(history, "epoch") == [("loss", 0.5, 1)]
    assert flatten.table_metrics(history, "trial") == []


def test_without_flag_or_variable_mlflow_is_never_imported(tmp_path):
    """The decorated API and the CLI module run without importing MLflow: the seam reads the
    flag and the variable only."""
    code = (
        "import sys; from pathlib import Path; from types import SimpleNamespace\n"
        "import forecast, forecast.api, forecast.cli, forecast.tracking as t\n"
        f"out = SimpleNamespace(path=Path({str(tmp_path)!r}))\n"
        "run = t.tracked('fit')(lambda data, log=None: out)\n"
        "run('x'); run('x', mlflow=False)\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] == 'mlflow' "
        "or m == 'forecast.tracking.mlflow_runs'))\n"
    )
    probe = subprocess.run(
        [sys.executable, "-c", code], env=env_with(), capture_output=True, text=True, check=True
    )
    assert probe.stdout.strip() == "[]"


def test_tracked_api_function_takes_the_keyword():
    import inspect

    import forecast

    for func in (forecast.fit, forecast.compare, forecast.backtest, forecast.tune):
        assert inspect.signature(func).parameters["mlflow"].default is None
        assert "MLFLOW_TRACKING_URI" in func.__doc__


# ---- against a real sqlite store ----

requires_mlflow = pytest.mark.skipif(
    not tracking.installed(), reason='MLflow is not installed (pip install -e ".[mlflow]")'
)


@pytest.fixture(scope="module")
def store(tmp_path_factory) -> SimpleNamespace:
    """A fit with --mlflow into a sqlite store, and the rows to forecast from: 60 rows that end
    40 rows after the training slice."""
    tmp = tmp_path_factory.mktemp("tracking")
    uri = f"sqlite:///{tmp / 'mlflow.db'}"
    weather = pd.read_csv(WEATHER)
    weather.iloc[:300].to_csv(tmp / "train.csv", index=False)
    weather.iloc[280:340].to_csv(tmp / "recent.csv", index=False)
    run_dir = tmp / "run"
    fit = subprocess.run(
        [sys.executable, "-m", "forecast", "fit", str(tmp / "train.csv"), "--model", "gru"]
        + [*TINY, "--out", str(run_dir), "--mlflow"],
        env=env_with(**{tracking.ENV: uri}),
        cwd=tmp,
        capture_output=True,
        text=True,
    )
    assert fit.returncode == 0, fit.stderr[-2000:]
    logged = [line for line in fit.stderr.splitlines() if line.startswith("mlflow: logged fit")]
    assert logged == [f"mlflow: logged fit run {logged[0].split()[4]} to {uri}"]
    return SimpleNamespace(tmp=tmp, uri=uri, run_dir=run_dir, run_id=logged[0].split()[4])


@pytest.fixture(scope="module")
def predicted(store) -> pd.DataFrame:
    """``forecast predict RUN_DIR recent.csv``'s table, from the function it calls."""
    from forecast.results import Run

    return Run(store.run_dir).predict(store.tmp / "recent.csv")


@requires_mlflow
def test_fit_logs_params_metrics_history_and_files(store):
    import mlflow

    client = mlflow.MlflowClient(tracking_uri=store.uri)
    run = client.get_run(store.run_id)
    config = json.loads((store.run_dir / "config.json").read_text())
    metrics = json.loads((store.run_dir / "metrics.json").read_text())
    history = pd.read_csv(store.run_dir / "history.csv")
    assert run.data.tags["forecast.kind"] == "fit"
    assert run.data.tags["forecast.dir"] == str(store.run_dir.resolve())
    params = run.data.params
    assert (params["window"], params["horizon"], params["units"], params["model"]) == (
        "7", "2", "4", "gru"
    )  # fmt: skip
    assert params["data.sha256"] == config["data"]["sha256"] and "target" not in params
    assert run.data.metrics["rmse"] == metrics["rmse"]
    assert (
        run.data.metrics["baselines.persistence.rmse"]
        == metrics["baselines"]["persistence"]["rmse"]
    )
    steps = client.get_metric_history(store.run_id, "per_horizon_rmse")
    assert [(m.step, m.value) for m in steps] == list(enumerate(metrics["per_horizon_rmse"], 1))
    val_loss = client.get_metric_history(store.run_id, "val_loss")
    assert [(m.step, m.value) for m in val_loss] == list(
        zip(history.epoch, history.val_loss, strict=True)
    )
    files = {a.path for a in client.list_artifacts(store.run_id)}
    assert {p.name for p in store.run_dir.iterdir()} <= files


@requires_mlflow
def test_pyfunc_in_a_fresh_process_forecasts_as_predict(store, predicted):
    code = (
        "import json, sys, mlflow, pandas as pd\n"
        f"model = mlflow.pyfunc.load_model('runs:/{store.run_id}/model')\n"
        f"table = model.predict(pd.read_csv({str(store.tmp / 'recent.csv')!r}))\n"
        "table['timestamp'] = table['timestamp'].astype(str)\n"
        "print(json.dumps(table.to_dict(orient='list')))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code],
        env=env_with(**{tracking.ENV: store.uri}),
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    table = pd.DataFrame(json.loads(done.stdout.strip().splitlines()[-1]))
    assert list(table.columns) == list(predicted.columns)
    assert_same_forecast(table, predicted)


def assert_same_forecast(table: pd.DataFrame, predicted: pd.DataFrame) -> None:
    """The same times, steps and versions, and the numbers to float64 round-off (another process
    ran the same Keras model on the same window)."""
    assert list(pd.to_datetime(table.timestamp)) == list(predicted.timestamp)
    assert list(table.model_version) == list(predicted.model_version)
    assert list(table.step) == list(predicted.step) == [1, 2]
    numbers = [c for c in predicted.columns if c not in ("timestamp", "model_version", "step")]
    assert len(numbers) >= 5  # predicted, the 80 % and 95 % bounds
    np.testing.assert_allclose(table[numbers], predicted[numbers], rtol=1e-9, atol=0)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@requires_mlflow
def test_served_model_answers_as_predict(store, predicted):
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "mlflow", "models", "serve", "-m", f"runs:/{store.run_id}/model"]
        + ["-p", str(port), "--env-manager", "local"],
        env=env_with(**{tracking.ENV: store.uri}),
        cwd=store.tmp,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        start_new_session=True,  # its workers too are stopped with the group
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while True:
            assert server.poll() is None, server.stderr.read().decode()[-2000:]
            assert time.monotonic() < deadline, "mlflow models serve did not answer /ping"
            try:
                with urllib.request.urlopen(f"{base}/ping", timeout=2) as r:
                    if r.status == 200:
                        break
            except OSError:
                time.sleep(0.5)
        rows = pd.read_csv(store.tmp / "recent.csv")
        body = json.dumps({"dataframe_split": rows.to_dict(orient="split", index=False)})
        request = urllib.request.Request(
            f"{base}/invocations", body.encode(), {"Content-Type": "application/json"}
        )
        with urllib.request.urlopen(request, timeout=60) as r:
            answer = pd.DataFrame(json.loads(r.read())["predictions"])
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()
    assert list(answer.columns) == list(predicted.columns)
    assert_same_forecast(answer, predicted)


@requires_mlflow
def test_tracking_failure_warns_and_keeps_the_run(store, monkeypatch):
    before = sorted(p.name for p in store.run_dir.iterdir())
    monkeypatch.chdir(store.tmp)  # whatever MLflow writes, it writes there
    # a store that cannot exist: its folder would be a file
    monkeypatch.setenv(tracking.ENV, f"sqlite:///{store.run_dir / 'metrics.json' / 'x.db'}")
    lines = []
    assert tracking.track("fit", store.run_dir, {}, None, lines.append) is None
    assert len(lines) == 1 and lines[0].startswith("warning: MLflow tracking failed (")
    assert lines[0].endswith(
        f"is kept; log it later with: python -m forecast.tracking fit {store.run_dir}"
    )
    assert sorted(p.name for p in store.run_dir.iterdir()) == before
    # the line's command logs it once the store is back
    import mlflow

    from forecast.tracking.__main__ import main

    monkeypatch.setenv(tracking.ENV, store.uri)
    assert main(["fit", str(store.run_dir)]) == 0
    client = mlflow.MlflowClient(tracking_uri=store.uri)
    same_dir = f"tags.`forecast.dir` = '{store.run_dir.resolve()}'"
    assert len(client.search_runs(["0"], same_dir)) == 2  # the fit's, and this one
    assert main(["fit", str(store.tmp / "nothing")]) == 2


@requires_mlflow
def test_compare_is_a_parent_run_with_a_child_per_cell(store, monkeypatch):
    import mlflow

    import forecast

    monkeypatch.setenv(tracking.ENV, store.uri)  # the variable alone turns tracking on
    monkeypatch.chdir(store.tmp)
    result = forecast.compare(
        store.tmp / "train.csv",
        ["linear"],
        seeds=2,
        out=store.tmp / "compare",
        window=7,
        horizon=2,
        epochs=1,
        baselines="-gbm",
        final="none",
    )
    client = mlflow.MlflowClient(tracking_uri=store.uri)
    parents = client.search_runs(["0"], "tags.`forecast.kind` = 'compare'")
    assert len(parents) == 1
    parent = parents[0]
    assert parent.data.tags["forecast.dir"] == str(result.path.resolve())
    children = client.search_runs(["0"], f"tags.mlflow.parentRunId = '{parent.info.run_id}'")
    assert sorted(r.info.run_name for r in children) == ["linear-seed42", "linear-seed43"]
    assert (parent.data.params["models"], parent.data.params["seeds"]) == ('["linear"]', "2")
    rows = {r["model"]: r for r in result.rows}
    assert parent.data.metrics["rows.linear.rmse"] == rows["linear"]["rmse"]
    for child in children:
        metrics = json.loads((result.path / child.info.run_name / "metrics.json").read_text())
        assert child.data.metrics["rmse"] == metrics["rmse"]
        assert child.data.params["seed"] == str(metrics["seed"])
    parent_files = {a.path for a in client.list_artifacts(parent.info.run_id)}
    assert "comparison.json" in parent_files and "linear-seed42" not in parent_files


@requires_mlflow
def test_update_logs_its_monitor_and_the_log(store, tmp_path):
    import shutil

    import mlflow

    from forecast.cli import cli

    run_dir = tmp_path / "run"
    shutil.copytree(store.run_dir, run_dir)
    weather = pd.read_csv(WEATHER)
    weather.iloc[:305].to_csv(tmp_path / "grown.csv", index=False)
    from click.testing import CliRunner

    result = CliRunner().invoke(
        cli,
        ["update", str(run_dir), str(tmp_path / "grown.csv"), "--mlflow"],
        env={tracking.ENV: store.uri},
        catch_exceptions=False,
    )
    assert result.exit_code == 0, result.output
    client = mlflow.MlflowClient(tracking_uri=store.uri)
    (run,) = client.search_runs(["0"], "tags.`forecast.kind` = 'update'")
    monitor = json.loads((run_dir / "monitor.json").read_text())
    assert run.data.metrics["monitor.n_updates"] == monitor["n_updates"] == 1
    assert run.data.params["refit"] == "never"
    files = {a.path for a in client.list_artifacts(run.info.run_id)}
    assert {"monitor.json", "forecasts.csv", "observed.csv"} <= files
