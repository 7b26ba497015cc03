"""The run directory: built in a temporary sibling directory and renamed into place only when
complete, so an interrupted or failed run never leaves a half-written directory behind.

State is JSON plus ``model.keras``; loading uses Keras ``safe_mode`` and never unpickles or
evaluates anything from the directory.
"""

from __future__ import annotations

import atexit
import contextlib
import hashlib
import json
import math
import os
import platform
import shutil
import socket
import sys
import tempfile
from datetime import datetime
from pathlib import Path

import numpy as np
import pandas as pd

from forecast.errors import ForecastError
from forecast.version import __version__

MODEL_FILE = "model.keras"


LINEAR_FILE = "baseline_linear.keras"


# the same configuration refit on every row (forecast.training.refit): predict's default model,
# and the linear baseline refit likewise for the ``combined`` column
FINAL_FILE = "final_model.keras"


FINAL_LINEAR_FILE = "final_linear.keras"


def default_run_dir(model: str, root: Path = Path("runs")) -> Path:
    """``runs/<YYYYmmdd-HHMMSS>-<model>``, made unique with a counter if needed.

    The name is reserved by taking its lock (``lock_out``) before returning, so fits started in
    the same second by different processes get different directories; ``out_lock`` in this
    process then finds the lock already held, and it is released when this process ends.
    """
    stem = root / f"{datetime.now():%Y%m%d-%H%M%S}-{model}"
    path, k = stem, 1
    while path.exists() or checkpoint_of(path).exists() or not try_lock(path, again=False):
        k += 1
        path = stem.with_name(f"{stem.name}-{k}")
    return path


def checkpoint_of(out: Path) -> Path:
    """The resumable checkpoint beside run ``out``: ``<out>.partial``."""
    return out.with_name(f"{out.name}.partial")


def lock_of(out: Path) -> Path:
    """The lock file beside run ``out``: ``<out>.lock`` (it holds the writer's pid and host)."""
    return out.with_name(f"{out.name}.lock")


HELD: dict[Path, int] = {}  # lock file → open descriptor holding its flock, in this process


def try_lock(out: Path, again: bool = True) -> bool:
    """Take ``<out>.lock`` for this process unless another live process holds it.

    The lock is an ``flock`` on the file, so the kernel drops it when its holder dies however it
    dies: a lock left by a dead process is simply taken over. Returns ``True`` when held, also
    when this process held it already unless ``again`` is ``False``.
    """
    path = lock_of(out).resolve()
    if path in HELD:
        return again
    try:
        import fcntl
    except ImportError:  # pragma: no cover - not POSIX: no locking
        return True
    path.parent.mkdir(parents=True, exist_ok=True)
    while True:
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            os.close(fd)
            return False
        try:  # the holder before us may have removed the file between our open and flock
            same = os.stat(path).st_ino == os.fstat(fd).st_ino
        except FileNotFoundError:
            same = False
        if same:
            break
        os.close(fd)
    os.ftruncate(fd, 0)
    os.write(fd, f"{os.getpid()} {socket.gethostname()}\n".encode())
    HELD[path] = fd
    return True


def unlock(out: Path) -> None:
    """Release and remove ``<out>.lock`` if this process holds it."""
    path = lock_of(out).resolve()
    fd = HELD.pop(path, None)
    if fd is None:
        return
    with contextlib.suppress(OSError):
        path.unlink()
    os.close(fd)


def lock_holder(out: Path) -> str:
    """``"pid N on HOST"`` from ``<out>.lock``, for messages."""
    try:
        pid, host = lock_of(out).read_text().split()[:2]
    except (OSError, ValueError):
        return "another process"
    return f"pid {pid} on {host}"


@contextlib.contextmanager
def out_lock(out: Path, busy: str | None = None):
    """Hold ``<out>.lock`` while writing run ``out`` (its checkpoint included).

    Args:
        busy: the error's text when another process holds it, after ``"... process (pid N on
            HOST)"`` (default: fit's, about ``--out``).

    Raises:
        ForecastError: when another live process is writing ``out``.
    """
    if not try_lock(out):
        if busy is not None:
            raise ForecastError(
                f"{out} is being written by another forecast process ({lock_holder(out)}); {busy}"
            )
        raise ForecastError(
            f"--out {out} is being written by another forecast process ({lock_holder(out)}; "
            f"lock {lock_of(out)}); wait for it to finish or choose another --out"
        )
    try:
        yield
    finally:
        unlock(out)


@atexit.register
def release_all() -> None:
    """Remove the lock files still held at exit (names reserved by ``default_run_dir``)."""
    for path in list(HELD):
        unlock(path.with_name(path.name[: -len(".lock")]))


def check_out_dir(out: Path, overwrite: bool) -> None:
    """Refuse to replace an existing, non-empty ``out`` unless ``overwrite``."""
    if out.exists() and not out.is_dir():
        raise ForecastError(f"--out {out} is a file; choose a directory path")
    if out.is_dir() and any(out.iterdir()) and not overwrite:
        raise ForecastError(f"--out {out} already exists; pass --overwrite or choose another --out")
    parent = out.resolve().parent
    while not parent.exists() and parent != parent.parent:
        parent = parent.parent
    if not parent.is_dir() or not os.access(parent, os.W_OK | os.X_OK):
        raise ForecastError(
            f"--out {out}: cannot write in {parent} (permission denied); choose another --out"
        )


@contextlib.contextmanager
def staged_dir(out: Path):
    """Yield a temporary directory beside ``out``; on success move it to ``out`` atomically.

    On any exception (Ctrl-C included) the temporary directory is removed and ``out`` is left as
    it was.
    """
    parent = out.resolve().parent
    try:
        parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.", suffix=".tmp", dir=parent))
    except OSError as e:
        raise ForecastError(f"cannot create {out} ({e.strerror}); choose another --out") from None
    try:
        yield tmp
        replace_dir(tmp, out)
    except OSError as e:
        raise ForecastError(
            f"cannot write run directory {out} ({e.strerror}); check free space and permissions"
        ) from None
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


@contextlib.contextmanager
def scratch_dir():
    """Yield a temporary directory that is removed afterwards (what a non-chief worker of a
    multi-worker run writes into)."""
    tmp = Path(tempfile.mkdtemp(prefix="forecast-worker-"))
    try:
        yield tmp
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def replace_dir(src: Path, dst: Path) -> None:
    """Move ``src`` to ``dst``; an existing ``dst`` is swapped out and removed only afterwards."""
    if not dst.exists():
        os.replace(src, dst)
        return
    old = dst.with_name(f".{dst.name}.old")
    shutil.rmtree(old, ignore_errors=True)
    os.replace(dst, old)
    os.replace(src, dst)
    shutil.rmtree(old, ignore_errors=True)


def finite_or_null(value):
    """``value`` with every NaN or infinite float replaced by ``None`` (JSON ``null``: a score
    that is undefined, e.g. MASE on a series its seasonal naive forecasts exactly)."""
    if isinstance(value, dict):
        return {k: finite_or_null(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [finite_or_null(v) for v in value]
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def json_text(data: dict) -> str:
    """JSON as run files hold it: 2-space indent, undefined scores as ``null`` (never NaN
    literals)."""
    return json.dumps(finite_or_null(data), indent=2, allow_nan=False, default=float) + "\n"


def write_json(path: Path, data: dict) -> None:
    """Write ``json_text(data)`` to ``path``."""
    path.write_text(json_text(data))


def write_text_atomic(path: Path, text: str) -> None:
    """Write a file next to its final name, then rename it into place."""
    tmp = path.with_name(f".{path.name}.tmp")
    try:
        tmp.write_text(text)
        os.replace(tmp, path)
    except OSError as e:
        tmp.unlink(missing_ok=True)
        raise ForecastError(
            f"cannot write {path} ({e.strerror}); check space and permissions"
        ) from None


def read_json(run_dir: Path, name: str) -> dict:
    """Read ``run_dir/name`` as a JSON object, with a readable error if it is missing or broken."""
    path = run_dir / name
    try:
        data = json.loads(path.read_text())
    except FileNotFoundError:
        raise ForecastError(
            f"{run_dir} has no {name}; is it a run directory from `forecast fit`?"
        ) from None
    except (json.JSONDecodeError, UnicodeDecodeError) as e:
        raise ForecastError(f"{path} is not valid JSON ({e}); re-run `forecast fit`") from None
    if not isinstance(data, dict):
        raise ForecastError(f"{path} is not a JSON object; re-run `forecast fit`")
    return data


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def library_versions() -> dict[str, str]:
    import keras
    import matplotlib
    import sklearn
    import tensorflow as tf

    return {
        "forecast": __version__,
        "python": platform.python_version(),
        "tensorflow": tf.__version__,
        "keras": keras.__version__,
        "numpy": np.__version__,
        "pandas": pd.__version__,
        "scikit-learn": sklearn.__version__,
        "matplotlib": matplotlib.__version__,
        "platform": sys.platform,
    }


def exchange_dirs(a: Path, b: Path) -> None:
    """Swap directories ``a`` and ``b`` in one step: ``renameat2(RENAME_EXCHANGE)`` on Linux,
    so a reader or a kill sees one of them whole at each path, never a gap. Elsewhere (or on a
    file system without it) two renames, with a moment in which ``b`` is absent."""
    import ctypes

    try:
        libc = ctypes.CDLL(None, use_errno=True)
        exchange = libc.renameat2
    except (OSError, AttributeError):
        exchange = None
    if exchange is not None:
        at_fdcwd, rename_exchange = -100, 2
        if exchange(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), rename_exchange) == 0:
            return
    aside = b.with_name(f".{b.name}.swap")
    os.replace(b, aside)
    os.replace(a, b)
    os.replace(aside, a)


SHARED_SUFFIXES = (".keras",)  # never rewritten in place: a staged copy may hard-link them
SHARED_NAMES = ("predictions.csv",)


def copy_for_update(src: str, dst: str) -> None:
    """``shutil.copytree``'s copy function for a staged copy of a run directory: the immutable
    files (models, predictions.csv) are hard links, the rest real copies."""
    if src.endswith(SHARED_SUFFIXES) or os.path.basename(src) in SHARED_NAMES:
        try:
            os.link(src, dst)
            return
        except OSError:
            pass
    shutil.copy2(src, dst)


def stale_stages(run_dir: Path) -> list[Path]:
    """Staged copies left beside ``run_dir`` by an update that was killed."""
    run_dir = Path(run_dir).resolve()
    return sorted(run_dir.parent.glob(f".{run_dir.name}.update-*"))


@contextlib.contextmanager
def staged_update(run_dir: Path):
    """Yield a full copy of ``run_dir`` to change; on success it replaces ``run_dir`` in one
    step (``exchange_dirs``). On any exception, Ctrl-C or a kill, ``run_dir`` is untouched (a
    kill may leave the copy beside it, which the next update removes)."""
    run_dir = Path(run_dir).resolve()
    for old in stale_stages(run_dir):
        shutil.rmtree(old, ignore_errors=True)
    stage = Path(tempfile.mkdtemp(prefix=f".{run_dir.name}.update-", dir=run_dir.parent))
    try:
        shutil.copytree(run_dir, stage, copy_function=copy_for_update, dirs_exist_ok=True)
        yield stage
        exchange_dirs(stage, run_dir)
    except OSError as e:
        raise ForecastError(
            f"cannot update {run_dir} ({e.strerror}); check free space and permissions"
        ) from None
    finally:
        shutil.rmtree(stage, ignore_errors=True)
