"""``--cluster``: compare and backtest on a real Dask cluster of processes (a ``LocalCluster`` of 2
worker processes over TCP on loopback, started once for this module): the files equal ``--jobs
1``'s, a killed worker's task is run again with the same result, a task's own error is raised
once, Ctrl-C keeps what finished, and the errors a user can meet are one line."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from forecast.cli import cli
from forecast.errors import ForecastError
from tests.conftest import ROOT, synthetic_frame

distributed = pytest.importorskip("distributed")

import forecast  # noqa: E402
import forecast.cluster  # noqa: E402
from forecast.cluster import Cluster  # noqa: E402
from forecast.jobs import Interrupted, run_tasks  # noqa: E402

TINY = ["--epochs", "1", "--window", "8", "--horizon", "2", "--units", "4", "--quiet"]
TIMING = {"train_seconds", "train_samples_per_second", "seconds_per_epoch"}
TIMING |= {"latency_seconds_per_window", "latency_ms_per_window"}


@pytest.fixture(scope="module")
def cluster():
    """Two worker processes (one thread each) and a scheduler, over TCP on 127.0.0.1."""
    local = distributed.LocalCluster(
        n_workers=2,
        threads_per_worker=1,
        processes=True,
        protocol="tcp",
        host="127.0.0.1",
        dashboard_address=":0",  # any free port: never a clash with a running cluster
    )
    yield local
    local.close()


@pytest.fixture(scope="module")
def observer(cluster):
    """A second client of the same scheduler, for the tests to look at the workers."""
    with distributed.Client(cluster.scheduler_address, set_as_default=False) as client:
        yield client


@pytest.fixture(scope="module")
def data(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("cluster") / "sine.csv"
    synthetic_frame(160).to_csv(path, index=False)
    return path


def invoke(*args, env=None):
    return CliRunner().invoke(cli, [str(a) for a in args], catch_exceptions=False, env=env)


def test_compare_folds_on_the_cluster_writes_the_files_of_jobs_1(cluster, observer, data):
    """Every file of ``compare --folds`` is byte for byte the one ``--jobs 1`` writes (the data
    crossed the network as bytes: the workers read their own copy)."""
    args = ["compare", data, "--models", "rnn", "--seeds", "1", "--folds", "2", *TINY]
    one, two = data.parent / "folds-jobs1", data.parent / "folds-cluster"
    assert invoke(*args, "--out", one).exit_code == 0
    result = invoke(*args, "--out", two, "--cluster", cluster.scheduler_address)
    assert result.exit_code == 0, result.output
    assert f"2 trainings on the Dask cluster at {cluster.scheduler_address}" in result.stderr
    files = sorted(p.relative_to(one) for p in one.rglob("*") if p.is_file())
    assert files == sorted(p.relative_to(two) for p in two.rglob("*") if p.is_file())
    for name in ("comparison.csv", "comparison.json", "rnn-seed42/backtest.json"):
        assert (one / name).read_bytes() == (two / name).read_bytes(), name
    for name in ("rnn-seed42/folds.csv", "rnn-seed42/origins.csv"):
        assert (one / name).read_bytes() == (two / name).read_bytes(), name
    # the workers read their own copy of the bytes, in their local directories
    copies = observer.run(lambda dask_worker: _copies(dask_worker.local_directory))
    assert [data.read_bytes()] == list({c for cs in copies.values() for c in cs})
    # the plugin gave each worker its own thread (threads_per_worker=1) before TensorFlow
    threads = observer.run(lambda: os.environ.get("TF_NUM_INTRAOP_THREADS"))
    assert set(threads.values()) == {"1"}


def _copies(directory: str) -> list[bytes]:
    return [p.read_bytes() for p in Path(directory).glob("forecast-*/sine.csv")]


def test_compare_on_the_cluster_equals_jobs_1(cluster, data):
    """Run directories written back by the client: predictions.csv and config.json (the data
    path recorded is the client's) byte-equal, metrics equal but for the timings. The address
    comes from DASK_SCHEDULER_ADDRESS."""
    args = ["compare", data, "--models", "rnn", "--seeds", "1", "--baselines", "-gbm", *TINY]
    one, two = data.parent / "cmp-jobs1", data.parent / "cmp-cluster"
    assert invoke(*args, "--out", one).exit_code == 0
    result = invoke(*args, "--out", two, env={"DASK_SCHEDULER_ADDRESS": cluster.scheduler_address})
    assert result.exit_code == 0, result.output
    assert f"training 1 runs on the Dask cluster at {cluster.scheduler_address}: 2 worker(s)" in (
        result.stderr
    )
    run = "rnn-seed42"
    for name in ("predictions.csv", "config.json", "preprocessing.json"):
        assert (one / run / name).read_bytes() == (two / run / name).read_bytes(), name
    metrics = [json.loads((out / run / "metrics.json").read_text()) for out in (one, two)]
    for m in metrics:
        for key in TIMING:
            m.pop(key, None)
        m.get("final", {}).pop("seconds", None)
    assert metrics[0] == metrics[1]
    rows = [json.loads((out / "comparison.json").read_text())["rows"] for out in (one, two)]
    strip = [[{k: v for k, v in r.items() if k not in TIMING} for r in rs] for rs in rows]
    assert strip[0] == strip[1]
    assert not [p.name for p in two.iterdir() if p.name.startswith(".")]


# --- the engine: module-level functions the workers import -----------------------------------


def slow_fold(task):
    """``run_fold_task`` after a pause long enough to kill the worker running it; each attempt
    leaves its process id in ``pids.txt`` beside the data."""
    from forecast.commands.backtest_folds import run_fold_task

    with open(Path(task.csv).parent / "pids.txt", "a") as f:  # the client's path: shared here
        f.write(f"{os.getpid()}\n")
    time.sleep(4)
    return run_fold_task(task)


def bad_data(path: Path):
    with open(path, "a") as f:
        f.write("ran\n")
    raise ForecastError("column 'y' has text in row 7; fix the CSV")


def nap(seconds: float) -> float:
    time.sleep(seconds)
    return seconds


def test_a_killed_worker_s_task_runs_again_with_the_same_result(cluster, observer, data):
    from forecast.commands.backtest import fold_tasks, plan_folds
    from forecast.commands.backtest_folds import run_fold_task
    from forecast.config import FitOptions

    options = FitOptions(model="rnn", epochs=1, window=8, horizon=2, units=4).plain()
    task = fold_tasks(data, options, plan_folds(160, options, 2, None), "every")[1]
    killed = []

    def kill_its_worker() -> None:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not killed:
            for worker, keys in observer.processing().items():
                if keys and (data.parent / "pids.txt").exists():
                    pid = observer.run(os.getpid, workers=[worker])[worker]
                    os.kill(pid, signal.SIGKILL)
                    killed.append(pid)
                    return
            time.sleep(0.2)

    (data.parent / "pids.txt").unlink(missing_ok=True)
    killer = threading.Thread(target=kill_its_worker)
    killer.start()
    with Cluster(cluster.scheduler_address, shared_path=True) as on:
        [outcome] = run_tasks(slow_fold, [task], cluster=on)
    killer.join()
    pids = [int(p) for p in (data.parent / "pids.txt").read_text().split()]
    assert len(killed) == 1 and len(pids) == 2 and pids[0] == killed[0] != pids[1]
    expected = run_fold_task(task)  # undisturbed, in this process
    assert outcome.scores[0].record == expected.scores[0].record
    for name, losses in expected.scores[0].losses.items():
        assert outcome.scores[0].losses[name].tobytes() == losses.tobytes(), name


def test_a_task_s_own_error_is_raised_once_not_retried(cluster, tmp_path):
    attempts = tmp_path / "attempts.txt"
    with Cluster(cluster.scheduler_address) as on:
        with pytest.raises(ForecastError) as error:
            run_tasks(bad_data, [attempts], cluster=on)
    assert str(error.value) == "column 'y' has text in row 7; fix the CSV"
    assert attempts.read_text() == "ran\n"


def test_ctrl_c_cancels_the_rest_and_keeps_what_finished(cluster):
    def ctrl_c(i, result):
        raise KeyboardInterrupt

    with Cluster(cluster.scheduler_address) as on:
        with pytest.raises(Interrupted) as stop:
            run_tasks(nap, [0.1, 1.5, 1.5], on_done=ctrl_c, costs=[1, 0, 0], cluster=on)
    assert stop.value.finished == {0: 0.1} and stop.value.total == 3
    deadline = time.monotonic() + 10
    while cluster.scheduler.tasks and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not cluster.scheduler.tasks  # cancelled and forgotten, none left queued


# --- the errors a user meets --------------------------------------------------------------


def test_an_unreachable_scheduler_is_one_line_naming_it(tmp_path, data, monkeypatch):
    monkeypatch.setattr(forecast.cluster, "CONNECT_SECONDS", 1.0)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        address = f"tcp://127.0.0.1:{s.getsockname()[1]}"  # nothing listens there
    out = tmp_path / "bt"
    result = invoke("backtest", data, "--model", "rnn", *TINY, "--cluster", address, "--out", out)
    assert result.exit_code == 2
    assert result.stderr.startswith(f"error: cannot reach the Dask scheduler at {address} (")
    assert result.stderr.endswith(
        "); check the address (--cluster or DASK_SCHEDULER_ADDRESS) and that `dask scheduler` "
        "runs there with its port open\n"
    )
    assert result.stderr.count("\n") == 1 and not out.exists()


def test_without_distributed_cluster_says_how_to_install(tmp_path, data, monkeypatch):
    monkeypatch.setitem(sys.modules, "distributed", None)  # import distributed fails
    result = invoke("compare", data, "--cluster", "tcp://10.0.0.1:8786", "--out", tmp_path / "c")
    assert result.exit_code == 2
    assert result.stderr == (
        'error: --cluster needs Dask\'s distributed package: pip install "forecast[cluster]" '
        '(from a checkout: pip install -e ".[cluster]")\n'
    )


def test_jobs_and_cluster_do_not_mix(tmp_path, data):
    with pytest.raises(ForecastError, match=r"--jobs 2 and --cluster do not mix"):
        forecast.backtest(data, "rnn", jobs=2, cluster="tcp://127.0.0.1:1", out=tmp_path / "b")


def test_without_cluster_nothing_of_dask_is_imported(tmp_path, data):
    """A whole compare run (the linear model only: quick) in a fresh process."""
    code = (
        "import sys; from forecast.cli import main\n"
        "try:\n    main()\nexcept SystemExit as e:\n    assert not e.code, e.code\n"
        "loaded = sorted(m for m in sys.modules if m.split('.')[0] in ('dask', 'distributed'))\n"
        "print('loaded:', loaded)\n"
    )
    args = ["compare", data, "--models", "linear", "--seeds", "1", "--baselines", "-gbm", *TINY]
    env = {k: v for k, v in os.environ.items() if k != "DASK_SCHEDULER_ADDRESS"}
    env["PYTHONPATH"] = str(ROOT)
    done = subprocess.run(
        [sys.executable, "-c", code, *map(str, args), "--out", str(tmp_path / "c")],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert "loaded: []" in done.stdout
    assert (tmp_path / "c" / "comparison.csv").is_file()
