"""Many runs at once: a live writer's lock refuses a second fit or --resume of the same --out, a
dead writer's lock is taken over, default run directories never collide; and the progress lines
a log gets inside a long epoch."""

from __future__ import annotations

import os
import subprocess
import sys
import time

import pytest
from click.testing import CliRunner

from forecast import runs
from forecast.cli import cli
from forecast.commands.compare import time_left
from forecast.config import FitOptions
from forecast.errors import ForecastError
from forecast.training.train import duration, progress_log
from tests.conftest import ROOT, synthetic_frame

HOLD = "import sys, time; from pathlib import Path; from forecast import runs; "


def holder(out, seconds=60):
    """A process holding ``out``'s lock; it prints ``held`` once it has it."""
    code = HOLD + f"assert runs.try_lock(Path({str(out)!r})); print('held', flush=True); "
    code += f"time.sleep({seconds})"
    p = subprocess.Popen(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        stdout=subprocess.PIPE,
        text=True,
    )
    assert p.stdout.readline().strip() == "held"
    return p


def test_a_live_writer_refuses_a_second_fit_and_resume(tmp_path):
    csv = tmp_path / "data.csv"
    synthetic_frame(80).to_csv(csv, index=False)
    out = tmp_path / "run"
    p = holder(out)
    state = {"options": FitOptions().to_dict(), "sha256": "0", "epoch": 1, "history": {}}
    runs.checkpoint_of(out).mkdir()
    runs.write_json(runs.checkpoint_of(out) / "state.json", {**state, "best": 1.0})
    try:
        for args in (["--out", out, "--overwrite"], ["--resume", out]):
            result = CliRunner().invoke(cli, ["fit", str(csv), *map(str, args)])
            assert result.exit_code == 2
            assert result.stderr == (
                f"error: --out {out} is being written by another forecast process (pid {p.pid} "
                f"on {os.uname().nodename}; lock {out.with_name('run.lock')}); wait for it to "
                "finish or choose another --out\n"
            )
        assert not out.exists()
    finally:
        p.kill()
        p.wait()


def test_a_dead_writers_lock_is_taken_over(tmp_path):
    out = tmp_path / "run"
    p = holder(out)
    with pytest.raises(ForecastError, match="being written by another forecast process"):
        with runs.out_lock(out):
            pass
    p.kill()
    p.wait()
    assert runs.lock_of(out).exists()  # left behind by the killed process
    with runs.out_lock(out):
        assert runs.lock_of(out).read_text().split()[0] == str(os.getpid())
    assert not runs.lock_of(out).exists()


def test_default_run_dirs_in_the_same_second_differ(tmp_path):
    """Three processes name a run at the start of the same second: each is told the moment once
    it has imported (an import can take seconds on a loaded machine)."""
    code = (
        "import sys, time; from pathlib import Path; from forecast import runs; "
        "print('ready', flush=True); start = float(sys.stdin.readline()); "
        "time.sleep(max(0, start - time.time())); "
        f"print(runs.default_run_dir('gru', Path({str(tmp_path)!r})), flush=True); "
        "time.sleep(1)"
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    processes = [
        subprocess.Popen(
            [sys.executable, "-c", code],
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        for _ in range(3)
    ]
    assert [p.stdout.readline().strip() for p in processes] == ["ready"] * 3
    start = int(time.time()) + 1.05  # just after the next whole second begins
    for p in processes:
        p.stdin.write(f"{start}\n")
        p.stdin.flush()
    paths = [p.communicate(timeout=60)[0].strip() for p in processes]
    assert len(set(paths)) == 3, paths
    assert sorted(p.rsplit("-gru", 1)[1] for p in paths) == ["", "-2", "-3"]
    assert not list(tmp_path.glob("*.lock"))  # reservations are released at exit

    a, b = runs.default_run_dir("gru", tmp_path), runs.default_run_dir("gru", tmp_path)
    assert a != b
    runs.unlock(a)
    runs.unlock(b)


class FakeClock:
    def __init__(self):
        self.now = 0.0

    def __call__(self):
        return self.now


def test_progress_lines_come_every_30_seconds_inside_an_epoch():
    clock, lines = FakeClock(), []
    callback = progress_log(10_000, 100, every=30, log=lines.append, clock=clock)
    callback.params = {"epochs": 3}
    callback.on_epoch_begin(0)
    for batch in range(100):
        clock.now += 1.0  # one batch of 100 windows per second
        callback.on_train_batch_end(batch)
    assert lines == [
        "epoch 1/3: 3,000/10,000 windows (30%), 100 windows/s, 1m10s left in this epoch",
        "epoch 1/3: 6,000/10,000 windows (60%), 100 windows/s, 40s left in this epoch",
        "epoch 1/3: 9,000/10,000 windows (90%), 100 windows/s, 10s left in this epoch",
    ]


def test_durations_and_compare_time_left():
    assert [duration(s) for s in (5, 75, 4000, float("inf"))] == ["5s", "1m15s", "1h06m", "?"]
    assert time_left(time.monotonic(), 0, 4) == ""
    assert time_left(time.monotonic() - 60, 2, 4) == ", about 1m00s left"
