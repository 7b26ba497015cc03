"""Independent trainings side by side on one machine: ``run_tasks(fn, tasks, jobs)``.

``jobs == 1`` calls ``fn`` on each task in this process, one after the other. ``jobs > 1`` runs
them in a pool of ``jobs`` worker processes started with ``spawn`` (TensorFlow is not fork-safe).
Each worker gets its share of the CPU cores before TensorFlow starts in it:
``max(1, cpus // jobs)`` intra-op threads and at most 2 inter-op threads
(``TF_NUM_INTRAOP_THREADS``, ``TF_NUM_INTEROP_THREADS``, ``OMP_NUM_THREADS``), GPU memory grown on
demand rather than claimed whole by the first worker, and TensorFlow's start-up chatter filtered
(``forecast.quiet``) as in the CLI. ``fn`` must be a module-level function and the tasks and
results picklable (they cross process boundaries; nothing is saved with pickle). With
``cluster`` (``--cluster ADDRESS``) the same tasks go to the workers of a Dask scheduler instead
(``forecast.cluster``, imported only then), under the same contract.

Ctrl-C (``KeyboardInterrupt`` in the parent) cancels the tasks not started, terminates the workers
and raises ``Interrupted``, which carries the results that did finish, so the caller can keep them.
An exception raised by ``fn`` in a worker is raised in the parent (a ``ForecastError`` keeps its
type and message); a worker that dies (killed for memory) is a ``ForecastError`` suggesting fewer
jobs.

Determinism: the same task gives the same numbers whatever ``jobs`` is. Every training seeds
itself (``forecast.training.train.set_seed``: ``keras.utils.set_random_seed`` and, on CPU,
``tf.config.experimental.enable_op_determinism``), so it does not depend on what the process
trained before. The thread count was measured not to matter: GRU, LSTM, SimpleRNN and the hybrid
(64 units, window 30, data/weather.csv, 3 epochs) gave bit-identical test forecasts with 1, 2 and 8
intra-op threads, with op determinism on and also with it off (TensorFlow 2.21, Keras 3.15, CPU).
BLAS is another matter: OpenBLAS's sums differ between 1 and 2 threads, which moved a ridge
baseline by 1e-5 on one weather backtest fold, so the ridge solve runs on one BLAS thread in every
process (``forecast.training.linear``; ``tests/training/test_linear_threads.py`` guards it).
So ``jobs == 1`` keeps TensorFlow's default thread pools (all cores for one training) rather than
limiting itself to a worker's share, and the workers only divide the cores.
``tests/commands/test_compare.py`` checks on every machine the suite runs on that
``compare --jobs 2`` (one thread per worker on 2 cores) reproduces ``--jobs 1`` exactly; if a
CPU's kernels ever made the thread count matter, that test fails, and the fix would be to give
the ``jobs == 1`` path the workers' thread settings.
"""

from __future__ import annotations

import concurrent.futures as cf
import contextlib
import multiprocessing
import os
import signal

from forecast.errors import ForecastError

TERMINATE_SECONDS = 5.0  # how long a terminated worker may take before it is killed


class Interrupted(KeyboardInterrupt):
    """Ctrl-C stopped ``run_tasks``.

    Attributes:
        finished: ``{task index: result}`` of the tasks that had finished.
        total: the number of tasks asked for.
    """

    def __init__(self, finished: dict, total: int):
        super().__init__(f"{len(finished)} of {total} task(s) had finished")
        self.finished = finished
        self.total = total


def check_jobs(jobs) -> int:
    """``jobs`` as a positive integer, or a ``ForecastError`` naming the fix."""
    if isinstance(jobs, bool) or not isinstance(jobs, int) or jobs < 1:
        raise ForecastError(
            f"--jobs {jobs} must be a positive integer (trainings run at once); use e.g. --jobs 2"
        )
    return jobs


def available_cpus() -> int:
    """CPU cores this process may run on (its affinity where the OS tells it)."""
    try:
        return len(os.sched_getaffinity(0)) or 1
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def worker_threads(jobs: int, cpus: int | None = None) -> tuple[int, int]:
    """``(intra-op, inter-op)`` threads of each of ``jobs`` workers sharing ``cpus`` cores."""
    intra = max(1, (cpus or available_cpus()) // jobs)
    return intra, min(2, intra)


def worker_env(jobs: int, cpus: int | None = None) -> dict[str, str]:
    """The environment variables that give each of ``jobs`` workers its share of the cores."""
    intra, inter = worker_threads(jobs, cpus)
    return {
        "TF_NUM_INTRAOP_THREADS": str(intra),
        "TF_NUM_INTEROP_THREADS": str(inter),
        "OMP_NUM_THREADS": str(intra),
        "TF_FORCE_GPU_ALLOW_GROWTH": "true",  # workers share a GPU instead of the first taking it
    }


def init_worker(env: dict[str, str]) -> None:
    """Runs first in every worker, before TensorFlow is imported there: the thread settings,
    TensorFlow's start-up chatter filtered, and Ctrl-C left to the parent (the terminal sends it
    to every process of the group; the parent stops the workers itself)."""
    os.environ.update(env)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    from forecast.quiet import quiet_tensorflow_import

    quiet_tensorflow_import()


def run_tasks(
    fn, tasks: list, jobs: int = 1, on_done=None, costs: list | None = None, cluster=None
) -> list:
    """``[fn(task) for task in tasks]``, up to ``jobs`` of them at once in worker processes, or
    on the workers of a Dask ``cluster`` (``forecast.cluster``, imported only then).

    Args:
        fn: a module-level function of one task (picklable when ``jobs > 1``).
        tasks: its arguments, picklable when ``jobs > 1``.
        jobs: tasks run at once; 1 runs them here, in order; more than ``len(tasks)`` starts
            ``len(tasks)`` workers.
        on_done: ``on_done(i, result)``, called here as task ``i`` finishes.
        costs: each task's expected relative cost; with ``jobs > 1`` the costliest start first
            (longest first: no worker is left with a long task while the others idle at the end).
        cluster: a connected ``forecast.cluster.Cluster`` (``None``: this machine).

    Returns:
        The results in task order.

    Raises:
        Interrupted: on Ctrl-C, with the results that had finished.
        ForecastError: ``jobs`` is not a positive integer; a worker died; or raised by ``fn``.
    """
    check_jobs(jobs)
    if cluster is not None:
        finished: dict = {}
        try:
            return cluster.run(fn, tasks, on_done, submission_order(len(tasks), costs), finished)
        except KeyboardInterrupt:
            raise Interrupted(finished, len(tasks)) from None
    if jobs == 1 or len(tasks) <= 1:
        return run_here(fn, tasks, on_done)
    return run_in_pool(fn, tasks, min(jobs, len(tasks)), on_done, costs)


def placement(jobs: int, n: int, cluster=None) -> str:
    """Where ``n`` tasks run, for a progress line: ``on 2 process(es)`` or ``on the Dask cluster
    at ADDRESS``."""
    if cluster is not None:
        return f"on the Dask cluster at {cluster.address}"
    return f"on {min(jobs, n)} process(es)"


def run_here(fn, tasks: list, on_done=None) -> list:
    """``run_tasks`` in this process, one task after the other."""
    finished: dict = {}
    try:
        for i, task in enumerate(tasks):
            finished[i] = fn(task)
            if on_done is not None:
                on_done(i, finished[i])
    except Interrupted:
        raise
    except KeyboardInterrupt:
        raise Interrupted(finished, len(tasks)) from None
    return [finished[i] for i in range(len(tasks))]


def submission_order(n: int, costs: list | None = None) -> list[int]:
    """Task indices, costliest first (ties and ``costs=None``: in task order)."""
    return sorted(range(n), key=lambda i: -costs[i]) if costs is not None else list(range(n))


def run_in_pool(fn, tasks: list, workers: int, on_done=None, costs=None) -> list:
    """``run_tasks`` in ``workers`` spawned worker processes."""
    pool = cf.ProcessPoolExecutor(
        max_workers=workers,
        mp_context=multiprocessing.get_context("spawn"),
        initializer=init_worker,
        initargs=(worker_env(workers),),
    )
    finished: dict = {}
    try:
        order = submission_order(len(tasks), costs)
        pending = {pool.submit(fn, tasks[i]): i for i in order}
        for future in cf.as_completed(pending):
            i = pending[future]
            finished[i] = future.result()  # a worker's exception is raised here
            if on_done is not None:
                on_done(i, finished[i])
    except KeyboardInterrupt:
        stop_pool(pool)
        raise Interrupted(finished, len(tasks)) from None
    except cf.process.BrokenProcessPool as e:  # a worker was killed: out of memory, most often
        stop_pool(pool)
        raise ForecastError(
            f"a worker process ended abruptly ({e}); it may have run out of memory: "
            f"try fewer --jobs than {workers}"
        ) from e
    except BaseException:
        stop_pool(pool)
        raise
    pool.shutdown(wait=True)
    return [finished[i] for i in range(len(tasks))]


def stop_pool(pool: cf.ProcessPoolExecutor) -> None:
    """Cancel the tasks not started and end every worker now (terminate, then kill the ones
    still alive after ``TERMINATE_SECONDS``); returns once they are gone."""
    processes = list((getattr(pool, "_processes", None) or {}).values())
    for p in processes:
        if p.is_alive():
            p.terminate()
    for p in processes:
        p.join(TERMINATE_SECONDS)
        if p.is_alive():
            p.kill()
            p.join()
    pool.shutdown(wait=True, cancel_futures=True)


def engine(cluster: str | None, shared_path: bool, jobs: int, distribute: str = "none"):
    """What runs the tasks of a command, as a context manager: ``None`` (this machine, ``jobs``
    processes), or with a scheduler's address a connected ``forecast.cluster.Cluster``."""
    if cluster is None:
        return contextlib.nullcontext()
    from forecast.cluster import Cluster, check_cluster

    check_cluster(cluster, jobs, distribute)
    return Cluster(cluster, shared_path)
