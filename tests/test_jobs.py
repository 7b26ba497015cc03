"""``forecast.jobs.run_tasks``: results in task order, workers with their share of the cores,
errors raised in the parent, and Ctrl-C that keeps the finished results and leaves no worker
behind (also with a real SIGINT sent to a process group, as a terminal does)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from forecast.errors import ForecastError
from forecast.jobs import (
    Interrupted,
    available_cpus,
    check_jobs,
    run_tasks,
    submission_order,
    worker_env,
    worker_threads,
)
from tests.conftest import default_sigint

ROOT = Path(__file__).resolve().parents[1]
LONG = 300.0  # seconds a "slow" task would sleep: far longer than any test may take


# tasks (module level: the worker processes import them by name)
def square(x: int) -> int:
    return x * x


def sleep_then(task: tuple) -> tuple[int, int]:
    """``(value, seconds, pid_dir)``: write ``pid_dir/<value>.pid``, sleep, return
    ``(value, pid)``."""
    value, seconds, pid_dir = task
    if pid_dir is not None:
        (Path(pid_dir) / f"{value}.pid").write_text(str(os.getpid()))
    time.sleep(seconds)
    return value, os.getpid()


def worker_facts(_) -> dict:
    return {
        "pid": os.getpid(),
        "intra": os.environ.get("TF_NUM_INTRAOP_THREADS"),
        "inter": os.environ.get("TF_NUM_INTEROP_THREADS"),
        "omp": os.environ.get("OMP_NUM_THREADS"),
        "sigint_ignored": signal.getsignal(signal.SIGINT) == signal.SIG_IGN,
    }


def refuse(message: str | None):
    if message is not None:
        raise ForecastError(message)


def die(code: int | None) -> None:
    if code is not None:
        os._exit(code)  # as the kernel's OOM killer would end it: no exception, no cleanup


def interrupt_at_two(x: int) -> int:
    if x == 2:
        raise KeyboardInterrupt
    return x


# helpers
def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def wait_for(paths: list[Path], seconds: float = 60.0) -> None:
    deadline = time.monotonic() + seconds
    while not all(p.exists() for p in paths):
        assert time.monotonic() < deadline, f"tasks never started: {paths}"
        time.sleep(0.05)


def pids_in(pid_dir: Path) -> list[int]:
    return [int(p.read_text()) for p in pid_dir.glob("*.pid")]


def test_results_come_back_in_task_order_whatever_jobs():
    tasks = [(0, 0.8, None), (1, 0.0, None), (2, 0.3, None)]
    done = []
    results = run_tasks(sleep_then, tasks, jobs=3, on_done=lambda i, r: done.append((i, r[0])))
    assert [value for value, _ in results] == [0, 1, 2]
    assert sorted(done) == [(0, 0), (1, 1), (2, 2)]  # on_done saw each result once, in the parent
    assert os.getpid() not in {pid for _, pid in results}
    assert run_tasks(square, [3, 1, 2], jobs=1) == [9, 1, 4]
    assert run_tasks(square, [], jobs=4) == []


def test_workers_get_their_share_of_the_cores_and_leave_ctrl_c_to_the_parent():
    facts = run_tasks(worker_facts, [0, 1, 2, 3], jobs=2)
    intra, inter = worker_threads(2)
    assert intra == max(1, available_cpus() // 2) and inter == min(2, intra)
    for f in facts:
        assert (f["intra"], f["inter"], f["omp"]) == (str(intra), str(inter), str(intra))
        assert f["sigint_ignored"] and f["pid"] != os.getpid()
    assert len({f["pid"] for f in facts}) <= 2  # two workers, reused
    assert run_tasks(worker_facts, [0], jobs=1)[0]["pid"] == os.getpid()  # jobs 1: in-process


def test_the_costliest_tasks_start_first_and_results_keep_task_order():
    assert submission_order(4, [1.0, 5.0, 1.0, 3.0]) == [1, 3, 0, 2]  # ties: task order
    assert submission_order(3) == [0, 1, 2]
    tasks = [(0, 0.0, None), (1, 0.2, None), (2, 0.0, None)]
    results = run_tasks(sleep_then, tasks, jobs=2, costs=[0.0, 9.0, 1.0])
    assert [value for value, _ in results] == [0, 1, 2]


def test_thread_shares():
    assert worker_threads(2, cpus=8) == (4, 2)
    assert worker_threads(3, cpus=16) == (5, 2)
    assert worker_threads(4, cpus=2) == (1, 1)
    env = worker_env(2, cpus=8)
    assert env["TF_NUM_INTRAOP_THREADS"] == "4" and env["OMP_NUM_THREADS"] == "4"
    assert env["TF_NUM_INTEROP_THREADS"] == "2"


@pytest.mark.parametrize("jobs", [0, -1, 1.5, "2", True])
def test_jobs_must_be_a_positive_integer(jobs):
    with pytest.raises(ForecastError, match=r"--jobs .* must be a positive integer.*--jobs 2"):
        check_jobs(jobs)
    with pytest.raises(ForecastError, match="must be a positive integer"):
        run_tasks(square, [1, 2], jobs=jobs)


def test_an_error_in_a_worker_is_raised_in_the_parent_with_its_type_and_message():
    with pytest.raises(ForecastError, match=r"^--window 0 is too short; use --window 8$"):
        run_tasks(refuse, [None, "--window 0 is too short; use --window 8"], jobs=2)


def test_a_worker_that_dies_is_a_forecast_error_suggesting_fewer_jobs():
    with pytest.raises(ForecastError, match="ended abruptly.*try fewer --jobs than 2"):
        run_tasks(die, [None, 1, None], jobs=2)


def test_ctrl_c_in_process_keeps_the_finished_results():
    with pytest.raises(Interrupted) as caught:
        run_tasks(interrupt_at_two, [0, 1, 2, 3], jobs=1)
    assert caught.value.finished == {0: 0, 1: 1} and caught.value.total == 4
    assert isinstance(caught.value, KeyboardInterrupt)


def test_ctrl_c_stops_the_workers_and_keeps_the_finished_results(tmp_path):
    """KeyboardInterrupt in the parent (raised by on_done) while two tasks sleep for minutes."""
    tasks = [(0, 0.0, tmp_path), (1, LONG, tmp_path), (2, LONG, tmp_path)]

    def on_done(i, result):
        wait_for([tmp_path / "1.pid", tmp_path / "2.pid"])  # both slow tasks are running
        raise KeyboardInterrupt

    started = time.monotonic()
    with pytest.raises(Interrupted) as caught:
        run_tasks(sleep_then, tasks, jobs=2, on_done=on_done)
    assert time.monotonic() - started < 60  # not LONG: the sleeping workers were terminated
    assert list(caught.value.finished) == [0] and caught.value.finished[0][0] == 0
    workers = pids_in(tmp_path)
    assert len(set(workers)) == 2 and os.getpid() not in workers
    assert not any(alive(pid) for pid in workers)  # no orphans: terminated and reaped


SCRIPT = """
import json, sys
from forecast.jobs import Interrupted, run_tasks
from tests.test_jobs import LONG, sleep_then
pid_dir = sys.argv[1]
try:
    run_tasks(sleep_then, [(0, 0.0, pid_dir), (1, LONG, pid_dir), (2, LONG, pid_dir)], jobs=2)
except Interrupted as e:
    print(json.dumps({"finished": sorted(e.finished), "total": e.total}), flush=True)
    sys.exit(130)
"""


def test_a_real_sigint_to_the_process_group_stops_everything(tmp_path):
    """What a terminal's Ctrl-C does: SIGINT to the parent and its workers alike."""
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]),
    }
    proc = subprocess.Popen(
        [sys.executable, "-c", SCRIPT, str(tmp_path)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,  # its own process group, like a shell job
        preexec_fn=default_sigint,  # SIGINT reaches it even when pytest runs as a background job
    )
    try:
        wait_for([tmp_path / "1.pid", tmp_path / "2.pid"])  # task 0 done, the slow ones running
        started = time.monotonic()
        os.killpg(proc.pid, signal.SIGINT)
        stdout, stderr = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
    assert time.monotonic() - started < 60
    assert proc.returncode == 130, stderr
    assert json.loads(stdout) == {"finished": [0], "total": 3}
    assert "Traceback" not in stderr  # the workers ignored the SIGINT; the parent stopped them
    workers = pids_in(tmp_path)
    assert len(set(workers)) == 2 and not any(alive(pid) for pid in workers)
