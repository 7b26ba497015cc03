"""``forecast tune --jobs N``: N worker processes on this machine for a chief in this process.

Each worker is ``python -m forecast tune`` with the chief's options (every fit option, through
``--config``), keras-tuner's variables pointing at the chief on a loopback port, and its share
of the cores: ``TF_NUM_INTRAOP_THREADS``, ``TF_NUM_INTEROP_THREADS`` and ``OMP_NUM_THREADS``
are set before TensorFlow starts in it. Each runs in its own session, so a Ctrl-C on the
terminal reaches only the chief, which stops them; each also ends itself once the chief is
gone (``tune_cluster.watch_parent``), so none outlives a chief that was killed.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Mapping
from pathlib import Path

from forecast.commands.tune_cluster import ORACLE_IP, ORACLE_PORT, PARENT, TUNER_ID

THREAD_VARS = ("TF_NUM_INTRAOP_THREADS", "TF_NUM_INTEROP_THREADS", "OMP_NUM_THREADS")


def core_count() -> int:
    """CPU cores this process may use."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover (macOS, Windows)
        return os.cpu_count() or 1


def thread_env(cores: int, jobs: int) -> dict[str, str]:
    """Thread limits for one of ``jobs`` workers sharing ``cores``: at least one thread each."""
    share = str(max(1, cores // jobs))
    return dict.fromkeys(THREAD_VARS, share)


def worker_env(base: Mapping[str, str], index: int, port: int, threads: dict) -> dict:
    """The environment of worker ``index``: keras-tuner's variables pointing at the chief on
    loopback ``port``, its thread limits, this process as its parent, and this copy of
    ``forecast`` first on the path."""
    root = str(Path(__file__).resolve().parents[2])
    path = os.pathsep.join(p for p in (root, base.get("PYTHONPATH", "")) if p)
    return {
        **base,
        **threads,
        TUNER_ID: f"tuner{index}",
        ORACLE_IP: "127.0.0.1",
        ORACLE_PORT: str(port),
        PARENT: str(os.getpid()),
        "PYTHONPATH": path,
    }


def worker_command(csv: Path, config: Path, trials: int, budget_minutes: float, out: Path):
    """The ``forecast tune`` command line of a worker: the chief's own options, given through
    ``--config`` (every fit option, resolved), and the same trials, budget and out."""
    return [
        sys.executable, "-m", "forecast", "tune", str(csv), "--config", str(config),
        "--trials", str(trials), "--budget-minutes", repr(float(budget_minutes)),
        "--out", str(out),
    ]  # fmt: skip


class Workers:
    """The worker processes of ``--jobs``, their output in ``logs/tunerN.log``.

    Args:
        jobs: how many.
        port: the chief's loopback port.
        command: the worker command line (``worker_command``).
        logs: a directory for their output (removed by the caller).
    """

    def __init__(self, jobs: int, port: int, command: list[str], logs: Path):
        threads = thread_env(core_count(), jobs)
        self.logs = [logs / f"tuner{i}.log" for i in range(jobs)]
        self.procs = []
        for i, log in enumerate(self.logs):
            with open(log, "wb") as f:  # the child keeps its own copy of the descriptor
                self.procs.append(
                    subprocess.Popen(
                        command,
                        env=worker_env(os.environ, i, port, threads),
                        stdout=f,
                        stderr=subprocess.STDOUT,
                        start_new_session=True,
                    )
                )

    def exited(self) -> bool:
        """Every worker has ended."""
        return all(p.poll() is not None for p in self.procs)

    def failure(self) -> str | None:
        """A one-line account of the first worker that exited with an error, or ``None``."""
        for i, p in enumerate(self.procs):
            if p.poll() not in (None, 0):
                lines = self.logs[i].read_text(errors="replace").strip().splitlines()
                said = [ln for ln in lines if ln.startswith("error:")] or lines[-1:] or [""]
                return f"worker tuner{i} exited with status {p.returncode}: {said[-1]}"
        return None

    def stop(self, timeout: float = 10.0) -> None:
        """Terminate the workers still running; kill those still there after ``timeout``."""
        deadline = time.monotonic() + timeout
        for p in self.procs:
            if p.poll() is None:
                p.terminate()
        for p in self.procs:
            try:
                p.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()
