"""The MLflow seam: whether a command logs to MLflow, and the one call it makes when it ends.

Nothing here imports MLflow: ``enabled`` reads the flag and ``MLFLOW_TRACKING_URI``, ``check``
asks importlib whether MLflow is installed, and only ``track`` with tracking on imports
``forecast.tracking.mlflow_runs`` (and MLflow with it). Without ``--mlflow`` and without
``MLFLOW_TRACKING_URI``, a command runs exactly as before.

A tracking failure (a bad URI, a server that is down, a full disk) never costs the run: the run
directory is complete before ``track`` is called, so the failure is one warning line and the
directory stays where it is, to be logged again with ``python -m forecast.tracking``.
"""

from __future__ import annotations

import functools
import importlib.util
import inspect
import os
import warnings
from collections.abc import Callable
from pathlib import Path

from forecast.errors import ForecastError

ENV = "MLFLOW_TRACKING_URI"

INSTALL = 'pip install -e ".[mlflow]"'

KINDS = ("fit", "compare", "backtest", "tune", "update")


def enabled(flag: bool | None = None) -> bool:
    """Whether to log to MLflow: ``flag`` when given (``--mlflow`` / ``--no-mlflow``), else
    whether ``MLFLOW_TRACKING_URI`` is set to something."""
    if flag is not None:
        return bool(flag)
    return bool(os.environ.get(ENV, "").strip())


def installed() -> bool:
    """Whether MLflow can be imported (asked of importlib; MLflow is not imported)."""
    return importlib.util.find_spec("mlflow") is not None


def check(flag: bool | None = None) -> None:
    """Before a command trains: ``--mlflow`` without MLflow installed is bad input (the run
    would be trained and then not logged).

    Raises:
        ForecastError: ``flag`` is true and MLflow is not installed.
    """
    if flag and not installed():
        raise ForecastError(f"--mlflow needs MLflow, which is not installed; run {INSTALL}")


def track(
    kind: str,
    out_dir: str | Path,
    options: dict | None = None,
    flag: bool | None = None,
    log: Callable[[str], None] | None = None,
) -> str | None:
    """Log a finished command's directory to MLflow, when tracking is on; else do nothing.

    Args:
        kind: ``fit``, ``compare``, ``backtest``, ``tune`` or ``update`` (the ``forecast.kind``
            tag; ``compare`` is a parent run with a nested run per cell directory).
        out_dir: the directory the command wrote (a run, comparison, backtest or tune
            directory); nothing is logged when it does not exist (a non-chief worker).
        options: the command's own options beyond config.json (``{"folds": 5}``, ...), logged
            as params; ``None`` values are left out.
        flag: ``--mlflow`` (True), ``--no-mlflow`` (False) or not given (None: on when
            ``MLFLOW_TRACKING_URI`` is set).
        log: where the one-line outcome goes (the run id, or the warning); ``None``: a warning
            through ``warnings.warn`` when tracking fails, nothing otherwise.

    Returns:
        The MLflow run id (the parent's for ``compare``), or ``None`` when nothing was logged.
    """
    if kind not in KINDS:
        raise ValueError(f"kind {kind!r} is not one of {', '.join(KINDS)}")
    out_dir = Path(out_dir)
    if not enabled(flag) or not out_dir.is_dir():
        return None
    if not installed():
        warn(f"{ENV} is set but MLflow is not installed; nothing logged ({INSTALL})", log)
        return None
    from forecast.tracking.mlflow_runs import log_directory

    try:
        run_id, uri = log_directory(kind, out_dir, options or {})
    except Exception as e:  # noqa: BLE001 -- any tracking failure must leave the run intact
        reason = " ".join(str(e).split())[:200] or type(e).__name__
        warn(
            f"MLflow tracking failed ({type(e).__name__}: {reason}); {out_dir} is kept; log it "
            f"later with: python -m forecast.tracking {kind} {out_dir}",
            log,
        )
        return None
    if log is not None:
        log(f"mlflow: logged {kind} run {run_id} to {uri}")
    return run_id


def warn(message: str, log: Callable[[str], None] | None) -> None:
    """``warning: <message>`` through ``log``, or ``warnings.warn`` without one."""
    if log is None:
        warnings.warn(message, RuntimeWarning, stacklevel=3)
    else:
        log(f"warning: {message}")


FLAG_DOC = """
    Tracking: ``mlflow=True`` logs the result to MLflow (params, metrics, artifacts and the
    model as a pyfunc; docs/mlflow.md), ``False`` never does, ``None`` (default) does when
    ``MLFLOW_TRACKING_URI`` is set."""


def tracked(kind: str, names: tuple[str, ...] = (), fit_options: bool = False):
    """Give an API function (``forecast.fit``, ...) the keyword ``mlflow`` (``--mlflow``):
    checked before it runs, its result's directory ``track``-ed after.

    Args:
        kind: ``track``'s kind.
        names: the function's own arguments logged as params (``folds``, ``trials``, ...).
        fit_options: also log its ``**options`` (fit's flags), for a result directory that
            keeps no config.json of them (tune's).
    """

    def decorate(func):
        spec = inspect.signature(func)

        @functools.wraps(func)
        def wrapper(*args, mlflow: bool | None = None, **kwargs):
            check(mlflow)
            result = func(*args, **kwargs)
            if getattr(result, "worker", None) is not None:  # a tune worker writes nothing
                return result
            bound = spec.bind_partial(*args, **kwargs).arguments
            options = {k: bound[k] for k in names if k in bound}
            if fit_options:
                options.update(bound.get("options", {}))
            out = getattr(result, "path", None) or getattr(result, "out", None)
            if out is not None:
                track(kind, out, options, mlflow, kwargs.get("log"))
            return result

        flag = inspect.Parameter(
            "mlflow", inspect.Parameter.KEYWORD_ONLY, default=None, annotation="bool | None"
        )
        params = list(spec.parameters.values())
        at = next((i for i, p in enumerate(params) if p.kind is p.VAR_KEYWORD), len(params))
        wrapper.__signature__ = spec.replace(parameters=params[:at] + [flag] + params[at:])
        wrapper.__doc__ = (func.__doc__ or "").rstrip() + "\n" + FLAG_DOC
        return wrapper

    return decorate
