"""Distributed ``forecast tune``: keras-tuner's chief and workers as real local processes on
loopback ports, and ``--jobs N``, which starts them itself.

Each process is a real ``forecast tune`` (TensorFlow, tiny GRUs: 1 epoch, 4 units, a 200-row
sine); the pure helpers of ``tune_cluster`` are tested without any process.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

from forecast.commands import tune_cluster as cluster
from forecast.commands import tune_jobs
from forecast.config import FitOptions, load_toml
from forecast.errors import ForecastError
from tests.conftest import default_sigint, synthetic_frame

TINY = ["--model", "gru", "--epochs", "1", "--units", "4", "--window", "14", "--horizon", "3"]
OUTPUTS = {"trials.csv", "best.toml", "tuning.png"}
ROOT = Path(__file__).resolve().parents[2]
KT_VARS = (cluster.TUNER_ID, cluster.ORACLE_IP, cluster.ORACLE_PORT, cluster.PARENT)


def free_port() -> int:
    """A loopback port nobody listens on (the OS picks it)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def listening(port: int) -> bool:
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) == 0


def base_env(threads: str = "1") -> dict:
    """This environment without keras-tuner's variables, this checkout first on the path."""
    env = {k: v for k, v in os.environ.items() if k not in KT_VARS}
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT), env.get("PYTHONPATH")) if p)
    env.update(dict.fromkeys(tune_jobs.THREAD_VARS, threads))
    return env


def forecast_tune(args, env, cwd) -> subprocess.Popen:
    command = [sys.executable, "-m", "forecast", "tune", *map(str, args)]
    return subprocess.Popen(
        command,
        env=env,
        cwd=cwd,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        preexec_fn=default_sigint,  # SIGINT reaches it even when pytest runs as a background job
    )


def finish(proc: subprocess.Popen, timeout: float) -> str:
    """Wait for ``proc``; kill it (and fail) if it outlives ``timeout``."""
    try:
        out, _ = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        out, _ = proc.communicate()
        pytest.fail(f"process still running after {timeout}s:\n{out}")
    return out


@pytest.fixture(scope="module")
def sine(tmp_path_factory) -> Path:
    csv = tmp_path_factory.mktemp("data") / "sine.csv"
    synthetic_frame().to_csv(csv, index=False)
    return csv


def check_outputs(out: Path, trials: int) -> pd.DataFrame:
    """Every trial exactly once in trials.csv, trial 1 the given options, best.toml written."""
    assert {p.name for p in out.iterdir()} == OUTPUTS
    frame = pd.read_csv(out / "trials.csv")
    assert sorted(frame["trial"]) == list(range(1, trials + 1))  # unique, none lost
    first = frame.set_index("trial").loc[1]
    assert (first["window"], first["units"], first["layers"], first["batch_size"]) == (14, 4, 1, 64)
    assert (first["learning_rate"], first["norm"]) == (1e-3, "window")
    assert (frame["val_rmse"] > 0).all() and (frame["epochs"] == 1).all()
    assert (frame["seconds"] > 0).all()
    options = FitOptions.from_dict(load_toml(out / "best.toml"))
    best = frame.loc[frame["val_rmse"].idxmin()]
    assert (options.window, options.units, options.norm) == (
        best["window"],
        best["units"],
        best["norm"],
    )
    return frame


def test_chief_and_two_workers_on_loopback(sine, tmp_path):
    """Three processes started with the same command line, told apart by keras-tuner's
    variables: the chief writes every trial once, the workers ran them and wrote nothing."""
    port, out, trials = free_port(), tmp_path / "tuned", 4
    args = [sine, *TINY, "--trials", trials, "--out", out]
    addr = {cluster.ORACLE_IP: "127.0.0.1", cluster.ORACLE_PORT: str(port)}
    chief = forecast_tune(args, {**base_env(), **addr, cluster.TUNER_ID: "chief"}, tmp_path)
    deadline = time.monotonic() + 60
    while not listening(port) and chief.poll() is None and time.monotonic() < deadline:
        time.sleep(0.2)
    assert listening(port), finish(chief, 5)
    workers = [
        forecast_tune(args, {**base_env(), **addr, cluster.TUNER_ID: f"tuner{i}"}, tmp_path)
        for i in range(2)
    ]
    said = [finish(p, 120) for p in workers]
    chief_said = finish(chief, 60)
    assert [p.returncode for p in (chief, *workers)] == [0, 0, 0], (chief_said, *said)

    ran = []
    for i, text in enumerate(said):
        ran += [
            int(line.split()[2])
            for line in text.splitlines()
            if line.startswith(f"tuner{i}: trial ")
        ]
        assert f"tuner{i}: ran " in text and "the chief writes trials.csv" in text
    assert sorted(ran) == list(range(1, trials + 1))  # every trial ran on a worker, once
    frame = check_outputs(out, trials)
    assert f"best of {trials} trial(s)" in (out / "best.toml").read_text()
    assert "[tuner0]" in chief_said or "[tuner1]" in chief_said
    assert len(frame) == trials
    assert {p.name for p in tmp_path.iterdir()} == {"tuned"}  # the workers wrote nothing


def test_jobs_two_end_to_end(sine, tmp_path):
    """``forecast tune --jobs 2``: one command, a chief in it and two worker processes."""
    out, trials = tmp_path / "tuned", 4
    proc = forecast_tune([sine, *TINY, "--trials", trials, "--jobs", 2, "--out", out],
                         base_env("2"), tmp_path)  # fmt: skip
    text = finish(proc, 150)
    assert proc.returncode == 0, text
    assert "2 worker process(es) started" in text
    check_outputs(out, trials)
    assert f"tuning: {out} ({trials} trial(s)" in text
    assert {p.name for p in tmp_path.iterdir()} == {"tuned"}


def test_jobs_ctrl_c_stops_workers_and_keeps_finished_trials(sine, tmp_path):
    """SIGINT to the chief of ``--jobs 2`` after the first finished trial: the workers are
    stopped (no process left with the chief as parent) and the finished trials are written."""
    out = tmp_path / "tuned"
    args = [sine, *TINY, "--epochs", "3", "--trials", 30, "--jobs", 2, "--out", out]
    proc = forecast_tune(args, base_env("2"), tmp_path)
    lines = []
    for line in proc.stdout:  # progress lines come from the chief as trials end
        lines.append(line)
        if line.startswith("trial 1/30"):
            break
    assert any(line.startswith("trial 1/30") for line in lines), "".join(lines)
    children = child_pids(proc.pid)
    assert len(children) == 2, children
    proc.send_signal(signal.SIGINT)
    text = "".join(lines) + finish(proc, 60)
    assert proc.returncode == 130, text
    assert "interrupted: kept the" in text
    frame = pd.read_csv(out / "trials.csv")
    assert len(frame) >= 1 and frame["trial"].is_unique
    assert {p.name for p in out.iterdir()} == OUTPUTS
    assert not [pid for pid in children if alive(pid)]


def child_pids(pid: int) -> list[int]:
    """Processes whose parent is ``pid`` (Linux /proc)."""
    kids = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            kids.append(int(stat.parent.name))
    return kids


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def test_role_reads_keras_tuner_variables():
    assert cluster.role({}) == "local"
    addr = {cluster.ORACLE_IP: "10.0.0.1", cluster.ORACLE_PORT: "8000"}
    assert cluster.role({**addr, cluster.TUNER_ID: "chief"}) == "chief"
    assert cluster.role({**addr, cluster.TUNER_ID: "tuner3"}) == "tuner3"
    with pytest.raises(ForecastError, match="KERASTUNER_ORACLE_IP, KERASTUNER_ORACLE_PORT not"):
        cluster.role({cluster.TUNER_ID: "chief"})
    with pytest.raises(ForecastError, match="is not a port"):
        cluster.role({**addr, cluster.ORACLE_PORT: "http", cluster.TUNER_ID: "chief"})
    assert cluster.address(addr) == "10.0.0.1:8000"
    assert cluster.address({**addr, cluster.ORACLE_IP: "::1"}) == "[::1]:8000"


def test_thread_env_shares_the_cores():
    assert tune_jobs.thread_env(16, 4) == dict.fromkeys(tune_jobs.THREAD_VARS, "4")
    assert tune_jobs.thread_env(2, 3) == dict.fromkeys(tune_jobs.THREAD_VARS, "1")  # at least one
    env = tune_jobs.worker_env({"PATH": "/bin"}, 1, 5555, {"OMP_NUM_THREADS": "2"})
    assert env[cluster.TUNER_ID] == "tuner1" and env[cluster.ORACLE_PORT] == "5555"
    assert env[cluster.ORACLE_IP] == "127.0.0.1" and env["OMP_NUM_THREADS"] == "2"
    assert env[cluster.PARENT] == str(os.getpid()) and env["PYTHONPATH"] == str(ROOT)


def test_jobs_refuses_a_chief_environment(sine, tmp_path, monkeypatch):
    from forecast.commands.tune import tune

    monkeypatch.setenv(cluster.TUNER_ID, "chief")
    monkeypatch.setenv(cluster.ORACLE_IP, "127.0.0.1")
    monkeypatch.setenv(cluster.ORACLE_PORT, "1")
    with pytest.raises(ForecastError, match="--jobs 2 starts its own chief"):
        tune(sine, FitOptions(window=14, horizon=3), tmp_path / "t", trials=2, jobs=2)
    with pytest.raises(ForecastError, match="--jobs 0 must be at least 1"):
        tune(sine, FitOptions(window=14, horizon=3), tmp_path / "t", trials=2, jobs=0)
    assert not (tmp_path / "t").exists()


def test_workers_report_the_first_failure(tmp_path):
    """A ``--jobs`` worker that exits with an error is reported by its ``error:`` line."""
    script = "import sys, time; print('note'); print('error: --window 9 is bad'); sys.exit(2)"
    workers = tune_jobs.Workers(2, 1, [sys.executable, "-c", script], tmp_path)
    deadline = time.monotonic() + 30
    while not workers.exited() and time.monotonic() < deadline:
        time.sleep(0.1)
    assert workers.failure() == "worker tuner0 exited with status 2: error: --window 9 is bad"
    workers.stop()
    sleeper = tune_jobs.Workers(
        1, 1, [sys.executable, "-c", "import time; time.sleep(60)"], tmp_path
    )
    assert sleeper.failure() is None and not sleeper.exited()
    sleeper.stop(timeout=5)
    assert sleeper.exited()


def test_an_interrupted_trial_goes_to_the_next_worker_and_is_counted_once(tmp_path):
    """The chief's oracle: a trial a worker ended ``INVALID`` (Ctrl-C, SIGTERM) is handed to the
    next worker under the same id; trial 1 stays the starting options; rows are unique."""
    from forecast.commands.tune_oracle import make_oracle

    start = FitOptions(window=14, horizon=3, units=4)
    choices = {"window": [7, 14], "units": [4, 16], "norm": ["window", "global"]}
    ended = []
    oracle = make_oracle(start, choices, 3, lambda: True, lambda t, who: ended.append(who))
    oracle._set_project_dir(str(tmp_path), "kt")  # as chief_search does
    first = oracle.create_trial("tuner0")
    assert first.hyperparameters.values == {"window": 14, "units": 4, "norm": "window"}
    first.status = "INVALID"
    oracle.end_trial(first)
    again = oracle.create_trial("tuner1")
    assert again.trial_id == first.trial_id and again.hyperparameters.values == {
        "window": 14,
        "units": 4,
        "norm": "window",
    }
    for trial in (again, oracle.create_trial("tuner0")):
        oracle.update_trial(trial.trial_id, {"val_rmse": 1.5, "epochs": 2.0, "seconds": 0.5})
        trial.status = "COMPLETED"
        oracle.end_trial(trial)
    assert ended == ["tuner0", "tuner1", "tuner0"]
    rows = cluster.oracle_rows(oracle, start)
    assert [r["trial"] for r in rows] == [1, 2]
    assert rows[0]["window"] == 14 and rows[0]["val_rmse"] == 1.5 and rows[0]["epochs"] == 2
