"""Distributed ``forecast tune``: keras-tuner's chief/worker mode, across machines or on one.

keras-tuner reads three environment variables. ``KERASTUNER_TUNER_ID`` names the process:
``chief`` serves the oracle over gRPC, ``tuner0``, ``tuner1``, ... run trials.
``KERASTUNER_ORACLE_IP`` and ``KERASTUNER_ORACLE_PORT`` give the chief's address: it listens
there, the workers connect there. Every process is started with the same command line.

The chief hands out trials (the Bayesian oracle runs in its gRPC threads, so the starting
options go out exactly once and ``--trials`` and ``--budget-minutes`` hold for all workers
together), receives each trial's metrics (``tune_oracle.METRICS``) and, being the only process
that knows every result, writes the output directory from its oracle's finished trials. A
worker trains, reports, and writes nothing.

keras-tuner's own chief loop (``oracle_chief.start_server``) is not used: it checks every 20 s
whether the workers are done and waits forever for a worker that died. Ours polls, ends the
search once no trial can start and none is running, and gives the workers a few seconds to
collect their stop signal. ``forecast tune --jobs N`` runs the chief in its own process on a
free loopback port and starts N workers as subprocesses (``forecast.commands.tune_jobs``).
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Mapping
from pathlib import Path

from forecast.commands.tune_oracle import METRICS
from forecast.commands.tune_space import options_for
from forecast.config import FitOptions
from forecast.errors import ForecastError

TUNER_ID, ORACLE_IP, ORACLE_PORT = (
    "KERASTUNER_TUNER_ID",
    "KERASTUNER_ORACLE_IP",
    "KERASTUNER_ORACLE_PORT",
)
PARENT = "FORECAST_TUNE_PARENT"  # set on the workers of ``--jobs``: they end with their parent
STOP_GRACE = 5.0  # seconds the chief waits for idle workers to collect their stop signal
CHIEF_WAIT = 120.0  # seconds past the budget a worker waits for an unreachable chief


def role(environ: Mapping[str, str]) -> str:
    """``"local"`` (no chief), ``"chief"``, or the worker's tuner id, from keras-tuner's
    environment variables; a partial set is an error that names the missing ones."""
    names = (TUNER_ID, ORACLE_IP, ORACLE_PORT)
    given = [n for n in names if environ.get(n)]
    if not given:
        return "local"
    missing = [n for n in names if n not in given]
    if missing:
        raise ForecastError(
            f"{', '.join(given)} set but {', '.join(missing)} not; distributed tune needs all "
            f"three (e.g. {TUNER_ID}=chief {ORACLE_IP}=10.0.0.1 {ORACLE_PORT}=8000), or none"
        )
    port = environ[ORACLE_PORT]
    if not port.isdigit() or not 0 < int(port) < 65536:
        raise ForecastError(f"{ORACLE_PORT}={port} is not a port; use e.g. {ORACLE_PORT}=8000")
    tuner_id = environ[TUNER_ID]
    return "chief" if "chief" in tuner_id else tuner_id  # keras-tuner's own test


def address(environ: Mapping[str, str]) -> str:
    """``ip:port`` of the chief (IPv6 addresses in brackets, as gRPC wants them)."""
    ip = environ[ORACLE_IP]
    if ":" in ip and not ip.startswith("["):
        ip = f"[{ip}]"
    return f"{ip}:{environ[ORACLE_PORT]}"


def watch_parent(environ: Mapping[str, str]) -> None:
    """On a ``--jobs`` worker, end this process as soon as the chief that started it is gone
    (killed without a chance to stop its workers), instead of waiting for it."""
    parent = environ.get(PARENT)
    if not parent:
        return

    def watch():
        while os.getppid() == int(parent):
            time.sleep(0.5)
        os._exit(1)

    threading.Thread(target=watch, daemon=True, name="forecast-parent-watch").start()


def stop_on_sigterm(environ: Mapping[str, str]) -> None:
    """On a worker started by hand or by a scheduler (not by ``--jobs``), SIGTERM (preemption,
    ``kill``) acts as Ctrl-C: the running trial goes back to the chief for another worker."""
    import signal

    if environ.get(PARENT) or threading.current_thread() is not threading.main_thread():
        return

    def interrupt(signum, frame):
        raise KeyboardInterrupt(f"signal {signum}")

    signal.signal(signal.SIGTERM, interrupt)


def limit_chief_wait(seconds: float) -> None:
    """How long a worker's gRPC call waits for the chief (keras-tuner's default: one hour)."""
    from keras_tuner.src.distribute import oracle_client

    oracle_client.TIMEOUT = seconds


def serve(oracle, where: str):
    """Serve ``oracle`` to the workers at ``where`` (``ip:port``; port 0 picks a free one).

    Returns:
        ``(server, servicer, port)``: ``servicer.stop_triggered`` turns true once a worker was
        told to stop.
    """
    from concurrent import futures

    import grpc
    from keras_tuner.src import protos
    from keras_tuner.src.distribute.oracle_chief import OracleServicer

    server = grpc.server(futures.ThreadPoolExecutor(max_workers=2))
    servicer = OracleServicer(oracle)
    protos.get_service_grpc().add_OracleServicer_to_server(servicer, server)
    try:
        port = server.add_insecure_port(where)
    except RuntimeError:
        port = 0
    if not port:
        raise ForecastError(
            f"the chief cannot listen on {where}; give {ORACLE_IP} an address of this machine "
            f"(or 0.0.0.0) and a free {ORACLE_PORT}"
        )
    server.start()
    return server, servicer, port


def search_over(oracle, servicer, keep_going: Callable[[], bool]) -> bool:
    """No trial can start any more (a worker was told to stop, ``--trials`` were handed out or
    the budget is spent) and none is running."""
    from keras_tuner import synchronized

    @synchronized
    def over(oracle):
        no_more = servicer.stop_triggered or len(oracle.trials) >= oracle.max_trials
        return not oracle.ongoing_trials and (no_more or not keep_going())

    return over(oracle)


def wait_for_search(oracle, servicer, keep_going, workers=None, poll=0.2) -> None:
    """Block until the search is over, then give idle workers ``STOP_GRACE`` seconds to hear it
    (the ``--jobs`` ``workers``: until they exited). A ``--jobs`` worker that fails ends the
    search with its error."""
    while not search_over(oracle, servicer, keep_going):
        failure = workers.failure() if workers is not None else None
        if failure:
            raise ForecastError(failure)
        time.sleep(poll)
    grace = time.monotonic() + STOP_GRACE
    while time.monotonic() < grace:
        if workers.exited() if workers is not None else not oracle.tuner_ids:
            return
        time.sleep(poll)


def finished(trial) -> bool:
    """The trial ended on its worker, completed or failed; running trials and interrupted ones
    waiting for another worker have no result."""
    return trial.status in ("COMPLETED", "FAILED")


def metric(trial, name: str) -> float:
    """The last value a worker reported for ``name``, ``nan`` when it reported none."""
    if trial.metrics.exists(name):
        return float(trial.metrics.get_last_value(name))
    return float("nan")


def trial_row(trial, start: FitOptions) -> dict:
    """The ``trials.csv`` row of one of the oracle's trials: its number (keras-tuner's id + 1,
    in the order the trials were handed out, so trial 1 is the starting options), the options
    its hyper-parameters set, and the metrics its worker reported."""
    from forecast.commands.tune_oracle import make_row

    values = {k: metric(trial, k) for k in METRICS}
    epochs = values["epochs"]
    return make_row(
        int(trial.trial_id) + 1,
        options_for(start, trial.hyperparameters.values),
        values["val_rmse"],
        int(epochs) if epochs == epochs else epochs,
        values["seconds"],
    )


def oracle_rows(oracle, start: FitOptions) -> list[dict]:
    """One row per finished trial of the chief's oracle, in trial order."""
    ended = [t for t in oracle.trials.values() if finished(t)]
    return [trial_row(t, start) for t in sorted(ended, key=lambda t: int(t.trial_id))]


def chief_search(start, choices, trials, budget, report, linear, log, where, spawn=None) -> None:
    """Serve the search at ``where`` until it is over, then fill ``report.rows`` from the
    oracle's finished trials (and ``report.interrupted`` after a Ctrl-C).

    Args:
        start, choices, trials: the starting options, the search space and ``--trials``.
        budget: seconds; no trial starts that would likely end after it.
        report: the ``TuneReport`` to fill (``linear_rmse`` too).
        linear: computes the linear baseline (while the workers start).
        log: where progress lines go, one per finished trial, with the tuner that ran it.
        where: ``ip:port`` to listen on (port 0: a free one).
        spawn: ``spawn(port)`` starts the ``--jobs`` workers (``tune_jobs.Workers``).
    """
    import shutil
    import tempfile

    from forecast.commands.tune_oracle import make_oracle, progress_line

    clock = time.perf_counter()
    done: list[dict] = []

    def mean_trial() -> float:
        return sum(r["seconds"] for r in done) / len(done) if done else 0.0

    def keep_going() -> bool:
        return time.perf_counter() - clock + mean_trial() <= budget

    def on_end(trial, tuner_id) -> None:
        if not finished(trial):
            log(f"trial {int(trial.trial_id) + 1} was interrupted on {tuner_id}; it goes to the "
                "next worker that asks")  # fmt: skip
            return
        row = trial_row(trial, start)
        done.append(row)
        if trial.status != "COMPLETED" and trial.message:
            log(f"trial {row['trial']} failed on {tuner_id}: {trial.message.strip()[-300:]}")
        finite = [r["val_rmse"] for r in done if r["val_rmse"] == r["val_rmse"]]
        left = min(budget - (time.perf_counter() - clock), mean_trial() * (trials - len(done)))
        best = min(finite, default=float("nan"))
        log(f"{progress_line(len(done), trials, row['val_rmse'], best, left)}  [{tuner_id}]")

    oracle = make_oracle(start, choices, trials, keep_going, on_end)
    project = tempfile.mkdtemp(prefix="forecast-tune-chief-")
    oracle._set_project_dir(project, "keras_tuner")  # the oracle saves its trials there
    workers = server = None
    try:
        server, servicer, port = serve(oracle, where)
        if spawn is not None:
            workers = spawn(port)
            log(f"chief on 127.0.0.1:{port}; {len(workers.procs)} worker process(es) started")
        else:
            log(f"chief serving trials on {where}; start the workers with the same command")
        report.linear_rmse = linear()
        wait_for_search(oracle, servicer, keep_going, workers)
    except KeyboardInterrupt:
        report.interrupted = True
    finally:
        if workers is not None:
            workers.stop()
        if server is not None:
            server.stop(grace=1).wait()
        shutil.rmtree(project, ignore_errors=True)
    report.rows = oracle_rows(oracle, start)


def worker_search(runner, start, choices, trials, budget, tuner_id, log) -> list[dict]:
    """Run the chief's trials until it says stop; returns the rows of the trials run here.

    Args:
        runner: the ``TrialRunner`` (prepares, trains and scores one set of options).
        start, choices, trials: as on the chief (the chief's oracle decides; this copy only
            gives keras-tuner the objective).
        budget: seconds; with ``CHIEF_WAIT`` more, how long a call waits for the chief.
        tuner_id: this worker's ``KERASTUNER_TUNER_ID``.
        log: where this worker's lines go.
    """
    import shutil
    import tempfile

    import grpc

    from forecast.commands.tune_oracle import make_oracle, make_row, make_tuner

    watch_parent(os.environ)
    stop_on_sigterm(os.environ)
    limit_chief_wait(budget + CHIEF_WAIT)
    rows: list[dict] = []

    def on_trial(options: FitOptions, trial_id: str) -> dict:
        began = time.perf_counter()
        rmse, epochs = runner.val_rmse(options.model, options)
        row = make_row(int(trial_id) + 1, options, rmse, epochs, time.perf_counter() - began)
        rows.append(row)
        log(f"{tuner_id}: trial {row['trial']}  val RMSE {rmse:.4g}  ({row['seconds']:.1f}s)")
        return row

    project = Path(tempfile.mkdtemp(prefix="forecast-tune-worker-"))
    where = address(os.environ)
    log(f"{tuner_id}: running trials for the chief at {where}")
    try:
        tuner = make_tuner(make_oracle(start, choices, trials, lambda: True), start, on_trial,
                           project, worker=True)  # fmt: skip
        try:
            tuner.search()
        except grpc.RpcError as e:
            raise ForecastError(
                f"{tuner_id}: the chief at {where} did not answer ({e.code().name}); start it "
                f"with {TUNER_ID}=chief and the same {ORACLE_IP} and {ORACLE_PORT}"
            ) from None
        except Exception:
            if tuner.error is not None:
                raise tuner.error from None
            raise
    finally:
        shutil.rmtree(project, ignore_errors=True)
    return rows
