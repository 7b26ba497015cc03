"""Independent trainings on a Dask ``distributed`` cluster: ``forecast.jobs.run_tasks(fn, tasks,
cluster=Cluster(address))``, the same contract with a scheduler's workers in place of local
processes (``forecast.jobs.engine`` makes the ``Cluster`` for a command).

Imported only for ``--cluster ADDRESS`` (or ``DASK_SCHEDULER_ADDRESS``); ``distributed`` itself is
imported only inside ``Cluster.__enter__`` and the functions that run on a worker, so without
``--cluster`` nothing of Dask is loaded (``pip install -e ".[cluster]"`` adds it).

What crosses the network. Each task is submitted as ``run_remote(fn, task, inputs, outputs)``:
the task's data file (its ``csv`` field) travels as its bytes inside the task (held by the
scheduler, so a task whose worker died is sent again with them), unless the user says the path is
shared (``--cluster-shared-path``: the client's absolute path is sent instead). A directory the
task reads (``shared``: the comparison's linear baseline and baseline forecasts) travels as its
files' bytes. The worker writes them under its local directory, named by their SHA-256, once, and
points the task at them. A directory the task writes (``run_dir``) is written on the worker in a
temporary directory; its files' bytes come back with the result and the client writes them where
``--jobs`` would have, renamed into place when complete. A path the task records (config.json's
data path) is the client's, so every file equals ``--jobs 1``'s byte for byte.

Workers. A worker plugin sets ``TF_NUM_INTRAOP_THREADS`` and ``OMP_NUM_THREADS`` to the worker's
own thread count (``dask worker --nthreads``; at most 2 inter-op threads) when the plugin is
registered, before the first task imports TensorFlow there. A worker that had TensorFlow loaded
already (it ran an earlier command) keeps the pools it started with: the numbers do not depend on
the thread count (``forecast.jobs``), only the speed. A worker process runs one training at a
time (a lock): ``keras.utils.set_random_seed`` is process-wide, so two trainings in threads of one
process would not be reproducible; give each worker the cores of one training with ``--nthreads``.
The running task also gets its own generator behind ``random``'s functions (``private_random``):
Keras draws unseeded initializers from it, and so do Dask and Tornado in the worker's event loop.

Failures. An exception raised by ``fn`` (a ``ForecastError`` for bad data included) is caught on
the worker and returned as a value, so Dask does not retry it: the client raises it once. A worker
process that dies mid-task is noticed by the scheduler, which runs the task again on another
worker (up to ``distributed.scheduler.allowed-failures`` times, then ``KilledWorker``: a
``ForecastError`` here). An error while placing the files on a worker (its disk) is retried
``RETRIES`` times. Ctrl-C cancels the futures not finished (a training already running on a
worker runs to its end there and is dropped); ``forecast.jobs`` raises ``Interrupted`` with the
finished results.
"""

from __future__ import annotations

import dataclasses
import hashlib
import os
import random
import shutil
import tempfile
import threading
import uuid
from pathlib import Path

from forecast.errors import ForecastError

ENV = "DASK_SCHEDULER_ADDRESS"
INSTALL = 'pip install "forecast[cluster]" (from a checkout: pip install -e ".[cluster]")'
CONNECT_SECONDS = 20.0  # how long to try to reach the scheduler
RETRIES = 2  # reruns of a task whose files could not be placed on a worker
READ = ("csv", "shared")  # task fields naming a file or directory the task reads
WRITTEN = ("run_dir",)  # task fields naming a directory the task writes
PLUGIN = "forecast-threads"
LOCK = threading.Lock()  # on a worker: one training at a time per process
RANDOM_FUNCTIONS = (
    *("seed", "getstate", "setstate", "random", "uniform", "triangular", "randint", "randrange"),
    *("choice", "choices", "sample", "shuffle", "getrandbits", "randbytes", "gauss"),
    *("normalvariate", "lognormvariate", "expovariate", "vonmisesvariate", "gammavariate"),
    *("betavariate", "paretovariate", "weibullvariate", "binomialvariate"),
)


def require_distributed():
    """The ``distributed`` module, or a one-line ``ForecastError`` saying how to install it."""
    try:
        import distributed
    except ImportError:
        raise ForecastError(f"--cluster needs Dask's distributed package: {INSTALL}") from None
    return distributed


def check_cluster(address: str, jobs: int, distribute: str = "none") -> None:
    """Refuse what does not mix with a cluster run, with the fix."""
    if not isinstance(address, str) or not address.strip():
        raise ForecastError(
            f"--cluster {address!r}: give the scheduler's address, e.g. tcp://10.0.0.1:8786"
        )
    if jobs != 1:
        raise ForecastError(
            f"--jobs {jobs} and --cluster do not mix (the cluster's workers decide how many "
            f"trainings run at once); drop --jobs, or drop --cluster (and unset {ENV})"
        )
    if distribute != "none":
        raise ForecastError(
            f"--cluster and --distribute {distribute} do not mix (each cluster task is one "
            "training on one worker); drop --distribute"
        )


@dataclasses.dataclass
class Cluster:
    """A connection to the Dask scheduler at ``address`` for one command (``with Cluster(...)``).

    Attributes:
        address: the scheduler's address (``tcp://host:8786``).
        shared_path: the data file is at the same path on every worker: send the path, not the
            bytes.
    """

    address: str
    shared_path: bool = False
    client: object = None

    def __enter__(self) -> Cluster:
        distributed = require_distributed()
        try:
            self.client = distributed.Client(
                self.address, timeout=CONNECT_SECONDS, set_as_default=False
            )
        except (OSError, TimeoutError, ValueError) as e:
            reason = " ".join(str(e).split()) or type(e).__name__
            raise ForecastError(
                f"cannot reach the Dask scheduler at {self.address} ({reason[:160]}); check the "
                f"address (--cluster or {ENV}) and that `dask scheduler` runs there with its port "
                "open"
            ) from None
        self.client.register_plugin(thread_limits(), name=PLUGIN)
        return self

    def __exit__(self, *exc) -> None:
        if self.client is not None:
            self.client.close()
            self.client = None

    def run(self, fn, tasks: list, on_done, order: list[int], finished: dict) -> list:
        """``run_tasks`` on this cluster (``forecast.jobs.run_tasks(..., cluster=self)``)."""
        return run_tasks(fn, tasks, self, on_done, order, finished)

    def describe(self) -> str:
        """``the Dask cluster at tcp://...: 2 worker(s), 2 thread(s)``."""
        workers = self.client.scheduler_info().get("workers", {}) if self.client else {}
        threads = sum(w.get("nthreads", 0) for w in workers.values())
        return f"the Dask cluster at {self.address}: {len(workers)} worker(s), {threads} thread(s)"


def thread_limits():
    """The worker plugin that gives TensorFlow and OpenMP the worker's own thread count."""
    from distributed.diagnostics.plugin import WorkerPlugin

    class ThreadLimits(WorkerPlugin):
        def setup(self, worker) -> None:
            n = max(1, int(getattr(worker.state, "nthreads", 1)))
            os.environ.update(thread_env(n))
            from forecast.quiet import quiet_tensorflow_import

            quiet_tensorflow_import()

    return ThreadLimits()


def thread_env(nthreads: int) -> dict[str, str]:
    """The environment of a worker with ``nthreads`` threads, as ``forecast.jobs.worker_env``."""
    return {
        "TF_NUM_INTRAOP_THREADS": str(nthreads),
        "TF_NUM_INTEROP_THREADS": str(min(2, nthreads)),
        "OMP_NUM_THREADS": str(nthreads),
        "TF_FORCE_GPU_ALLOW_GROWTH": "true",
    }


# --- the client side ------------------------------------------------------------------------


def pack(path: Path) -> dict[str, bytes]:
    """The bytes of a file (``{name: bytes}``) or of every file under a directory
    (``{relative path: bytes}``)."""
    path = Path(path)
    if path.is_file():
        return {path.name: path.read_bytes()}
    return {
        p.relative_to(path).as_posix(): p.read_bytes()
        for p in sorted(path.rglob("*"))
        if p.is_file()
    }


def outbound(task, shared_path: bool = False):
    """``(task as sent, {field: files})``: the paths the task reads replaced by their bytes
    (the data file by its absolute path with ``shared_path``), the path config.json records
    fixed to the client's. A task that is not a dataclass is sent as it is."""
    if not dataclasses.is_dataclass(task):
        return task, {}
    fields = {f.name for f in dataclasses.fields(task)}
    changes, inputs = {}, {}
    csv = getattr(task, "csv", None)
    if "recorded_data" in fields and csv is not None and task.recorded_data is None:
        changes["recorded_data"] = str(Path(csv).resolve())  # as run_writer.run_config would
    for name in READ:
        value = getattr(task, name, None)
        if name not in fields or value is None:
            continue
        if name == "csv" and shared_path:
            changes[name] = Path(value).resolve()
        else:
            inputs[name] = (Path(value).is_file(), pack(Path(value)))
    return dataclasses.replace(task, **changes), inputs


def write_back(task, files: dict[str, bytes]) -> None:
    """Write the files a task wrote on a worker where it would have written them here: the run
    directory under a temporary name, renamed into place when complete."""
    run_dir = Path(task.run_dir)
    staging = run_dir.with_name(f".{run_dir.name}.cluster.partial")
    for rel, data in files.items():
        top, _, rest = rel.partition("/")
        dest = staging / rest if top == run_dir.name else run_dir.parent / rel
        dest.parent.mkdir(parents=True, exist_ok=True)
        dest.write_bytes(data)
    if staging.exists():
        os.replace(staging, run_dir)


def run_tasks(fn, tasks: list, cluster: Cluster, on_done, order: list[int], finished: dict) -> list:
    """``forecast.jobs.run_tasks`` on the workers of ``cluster`` (entered), which calls it.

    Args:
        fn: a module-level function of one task, importable on the workers.
        tasks: its arguments (dataclasses; their ``csv``, ``shared`` and ``run_dir`` paths are
            shipped as described in the module docstring).
        cluster: the connected ``Cluster``.
        on_done: ``on_done(i, result)`` or ``None``, called here as task ``i`` finishes.
        order: the task indices, costliest first: the first get the highest priority.
        finished: filled with ``{task index: result}`` as they come, for the caller to keep on
            Ctrl-C.

    Returns:
        The results in task order.

    Raises:
        KeyboardInterrupt: Ctrl-C; the futures not finished were cancelled.
        ForecastError: raised by ``fn``; or a task's workers kept dying.
    """
    distributed = require_distributed()
    client, run = cluster.client, uuid.uuid4().hex[:8]
    futures = {}
    written = tuple(n for n in WRITTEN if tasks and hasattr(tasks[0], n))
    for rank, i in enumerate(order):
        sent, inputs = outbound(tasks[i], cluster.shared_path)
        future = client.submit(
            run_remote,
            fn,
            sent,
            inputs,
            written,
            key=f"forecast-{run}-{i}",
            pure=False,
            retries=RETRIES,
            priority=len(tasks) - rank,
        )
        futures[future] = i
    try:
        for future in distributed.as_completed(list(futures), loop=client.loop):
            i = futures[future]
            try:
                outcome = future.result()
            except distributed.KilledWorker as e:
                raise ForecastError(
                    f"task {i + 1} of {len(tasks)}: its worker process died each time it ran "
                    f"({e}); the workers may be running out of memory: give them more "
                    "(dask worker --memory-limit) or run fewer per machine"
                ) from None
            if outcome.error is not None:
                raise outcome.error
            if written:
                write_back(tasks[i], outcome.files)
            finished[i] = outcome.value
            if on_done is not None:
                on_done(i, finished[i])
    except KeyboardInterrupt:
        client.cancel([f for f in futures if not f.done()], force=True)
        raise
    except BaseException:
        client.cancel(list(futures), force=True)
        raise
    return [finished[i] for i in range(len(tasks))]


# --- the worker side ------------------------------------------------------------------------


@dataclasses.dataclass
class Outcome:
    """What a task sends back: ``fn``'s result, or the exception it raised; the files it wrote
    (``{path relative to the run directory's parent: bytes}``)."""

    value: object = None
    error: BaseException | None = None
    files: dict = dataclasses.field(default_factory=dict)


def local_root() -> Path:
    """The worker's own directory (removed with the worker), or the system's temp directory."""
    try:
        from distributed import get_worker

        return Path(get_worker().local_directory)
    except (ImportError, ValueError):
        return Path(tempfile.gettempdir())


def place(is_file: bool, files: dict[str, bytes], root: Path) -> Path:
    """Write ``files`` under ``root/forecast-<sha256>/`` once (later tasks find them there);
    returns the file's path (``is_file``) or the directory's."""
    digest = hashlib.sha256()
    for rel in sorted(files):
        digest.update(rel.encode() + b"\0" + hashlib.sha256(files[rel]).digest())
    directory = root / f"forecast-{digest.hexdigest()[:24]}"
    if not directory.is_dir():
        staging = Path(tempfile.mkdtemp(dir=root, prefix=".forecast-"))
        for rel, data in files.items():
            (staging / rel).parent.mkdir(parents=True, exist_ok=True)
            (staging / rel).write_bytes(data)
        try:
            os.replace(staging, directory)
        except OSError:  # another thread placed the same files first
            shutil.rmtree(staging, ignore_errors=True)
    return directory / next(iter(files)) if is_file else directory


TASK = threading.local()  # on a worker: the running task's own generator of ``random``


def private_random() -> None:
    """Point the module-level functions of ``random`` at the calling thread's task generator
    (``TASK.random``) while a task runs, at the shared one otherwise (once per process).

    Keras seeds ``random`` (``keras.utils.set_random_seed``) and draws from it for every
    initializer without a seed; Tornado and Dask draw from the same module-level generator in the
    worker's event-loop thread (callback jitter, connection back-off) at moments that depend on
    timing, which changed a fold's RMSE from one run to the next. With its own generator the
    training draws exactly the numbers it draws in a process of its own."""
    import random

    if getattr(random, "_forecast_private", False):
        return
    shared = random._inst

    def dispatch(name: str):
        def call(*args, **kwargs):
            return getattr(getattr(TASK, "random", None) or shared, name)(*args, **kwargs)

        return call

    for name in RANDOM_FUNCTIONS:
        if callable(getattr(random, name, None)) and hasattr(shared, name):
            setattr(random, name, dispatch(name))
    random._forecast_private = True


def run_remote(fn, task, inputs: dict, written: tuple[str, ...]) -> Outcome:
    """On a worker: place the task's inputs, run ``fn`` (one at a time in this process), return
    its result or exception with the files it wrote."""
    root = local_root()
    changes = {name: place(is_file, files, root) for name, (is_file, files) in inputs.items()}
    scratch = Path(tempfile.mkdtemp(dir=root, prefix=".forecast-out-"))
    for name in written:
        changes[name] = scratch / Path(getattr(task, name)).name
    task = dataclasses.replace(task, **changes) if changes else task
    private_random()
    try:
        with LOCK:
            TASK.random = random.Random()
            try:
                value = fn(task)
            except Exception as e:  # returned, not raised: Dask would retry it
                return Outcome(error=e)
            finally:
                TASK.random = None
        files = {
            p.relative_to(scratch).as_posix(): p.read_bytes()
            for p in sorted(scratch.rglob("*"))
            if p.is_file()
        }
        return Outcome(value=value, files=files)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
