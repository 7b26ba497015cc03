"""``forecast update RUN_DIR CSV``: a day in the life of a forecaster in service.

New rows arrive (the grown CSV, or only the new rows): they are checked against what the run has
seen (``forecast.data.continuation``); every logged forecast whose targets arrived is scored
against what happened, beside persistence and the linear baseline on the same origins
(``forecast.evaluation.realised``); the adaptive conformal intervals move with the realised
misses; the drift tests run on the realised errors (``forecast.evaluation.drift``); with
``--refit`` the configuration is refit on every row into a new numbered model version; and the
next horizon is forecast from the latest rows and logged. monitor.json, monitor.png and the
"since training" section of report.html describe it all.

All of it is written into a staged copy of the run directory that replaces the run directory in
one step (``forecast.runs.staged_update``): a kill at any moment leaves the run as it was before
the update started, or fully updated.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from forecast import runs
from forecast.commands import model_versions, monitoring
from forecast.commands.forecast_log import now_utc, read_log
from forecast.commands.saved_run import load_run, read_like_run
from forecast.data.continuation import Revision, continue_series, through
from forecast.errors import ForecastError
from forecast.models import saving

REFITS = ("never", "on-alert", "always")
EXIT_ALERT = 3


@dataclass
class UpdateReport:
    """What an update did, for the terminal and the API.

    Attributes:
        run_dir: the run updated.
        lines: what to print, in order.
        alerts: the alerts raised by this update (``forecast.evaluation.drift.Alert``).
        monitor: monitor.json as written.
        forecast: the forecast of the next horizon (``None`` after ``--rollback``).
    """

    run_dir: Path
    lines: list[str] = field(default_factory=list)
    alerts: list = field(default_factory=list)
    monitor: dict = field(default_factory=dict)
    forecast: pd.DataFrame | None = None


def check_refit(refit: str) -> str:
    if refit not in REFITS:
        raise ForecastError(f"--refit {refit!r} is not one of {', '.join(REFITS)}")
    return refit


def update_run(
    run_dir: Path,
    csv: Path | None,
    refit: str = "never",
    rollback: bool = False,
    log=print,
    report: bool = True,
) -> UpdateReport:
    """Update ``run_dir`` with the rows of ``csv`` (see the module docstring).

    Args:
        run_dir: a run directory from ``forecast fit``.
        csv: the run's series grown by new rows, or only the new rows (not needed with
            ``rollback``).
        refit: ``"never"``, ``"on-alert"`` (when this update raises an alert) or ``"always"``.
        rollback: make the previous model version current again, and do nothing else.
        log: where progress notes go.
        report: redraw monitor.png, future.png and report.html's "since training" section
            (a replay of many updates may skip it until the last).
    """
    run_dir = Path(run_dir)
    check_refit(refit)
    if not (run_dir / "preprocessing.json").is_file():
        raise ForecastError(f"{run_dir} has no preprocessing.json; pass a run directory from fit")
    with runs.out_lock(run_dir, "wait for it to finish"), runs.staged_update(run_dir) as stage:
        if rollback:
            return rolled_back(run_dir, stage)
        if csv is None:
            raise ForecastError("update needs the CSV of new rows: forecast update RUN_DIR CSV")
        return updated(run_dir, stage, Path(csv), refit, log, report)


def update(
    run, data=None, *, refit: str = "never", rollback: bool = False, log=None
) -> UpdateReport:
    """``forecast update`` from Python: ``run`` is a run directory (or a ``Run``), ``data`` a
    path or a DataFrame of the run's columns (the grown series, or only the new rows). Returns
    the ``UpdateReport``: ``lines``, ``alerts``, ``monitor`` (monitor.json) and ``forecast``."""
    import tempfile

    run_dir = Path(getattr(run, "path", run))
    quiet = log or (lambda *_: None)
    if not isinstance(data, pd.DataFrame):
        return update_run(run_dir, None if data is None else Path(data), refit, rollback, quiet)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "rows.csv"
        data.to_csv(path, index=False)
        return update_run(run_dir, path, refit, rollback, quiet)


def rolled_back(run_dir: Path, stage: Path) -> UpdateReport:
    was, now = model_versions.rollback(stage, now_utc(), run_dir)
    monitor = read_monitor(stage)
    monitor.setdefault("events", []).append({"at": now_utc(), "rollback": {"from": was, "to": now}})
    runs.write_text_atomic(stage / monitoring.MONITOR_FILE, runs.json_text(monitor))
    line = f"rolled back {run_dir} from model version v{was} to v{now}; predict and update use it"
    return UpdateReport(run_dir, [line], [], monitor)


def read_monitor(run_dir: Path) -> dict:
    path = Path(run_dir) / monitoring.MONITOR_FILE
    return runs.read_json(Path(run_dir), monitoring.MONITOR_FILE) if path.is_file() else {}


def seen_rows(stage: Path, csv: Path, prep, config, log, run_dir: Path) -> tuple:
    """The rows the run has seen (observed.csv, or on the first update the CSV's rows through
    the run's last one) and the CSV as read."""
    given = read_like_run(csv, prep, config)
    observed = stage / monitoring.OBSERVED_FILE
    if observed.is_file():
        seen = read_like_run(observed, prep, config)
        return seen, given, through(seen, fitted_ends(prep))
    fitted = through(given, fitted_ends(prep))
    log(
        f"note: first update of {run_dir}: the rows through its last training row are taken from "
        f"{csv} (revisions of them cannot be checked: the run kept no copy; {observed.name} keeps "
        "one from now on)"
    )
    return fitted, given, fitted


def fitted_ends(prep) -> object:
    """The last row the run was fit on: one time, or ``{series: time}``."""
    if prep.series is None:
        return monitoring.parse_time(prep.last_timestamp, prep.freq)
    lasts = prep.series["last_timestamp"]
    return {
        n: monitoring.parse_time(t, prep.freq)
        for n, t in zip(prep.series["names"], lasts, strict=True)
    }


def updated(
    run_dir: Path, stage: Path, csv: Path, refit: str, log, draw: bool = True
) -> UpdateReport:
    from forecast.commands.calibration import calibrate
    from forecast.commands.update_steps import forecast_next, refit_models, score_and_alert

    model, prep, config = load_run(stage, cached=True)
    made_at = now_utc()
    seen, given, fitted = seen_rows(stage, csv, prep, config, log, run_dir)
    grown = continue_series(seen, given, config.get("fill", "none"))
    report = UpdateReport(run_dir)
    report.lines += [f"note: {n}" for n in grown.notes]
    report.lines += revision_lines(grown.revisions)
    n_new = sum(grown.n_new.values())
    report.lines.append(
        f"{n_new} new row(s) through {monitoring.observed_through(grown.series)['None']}"
        if prep.series is None
        else f"{n_new} new row(s) over {sum(1 for v in grown.n_new.values() if v)} series"
    )
    monitor = read_monitor(stage)
    calibration = calibrate(model, prep, fitted, saving.file_identity(stage / runs.MODEL_FILE))
    names = list(calibration.ordered)
    alpha = monitoring.alpha_from_json(monitor.get("aci", {}).get("alpha"), names)
    alpha = alpha or calibration.alpha
    observed = monitoring.actuals(grown.series, prep.target)
    joined = monitoring.realised_rows(read_log(stage), observed, prep.freq)
    fresh = monitoring.newly_realised(joined, monitor.get("observed_through", {}), prep.freq)
    alpha = monitoring.moved_alpha(alpha, fresh)
    scores, alerts, new_alerts = score_and_alert(
        joined, fresh, calibration.scale, prep, str(run_dir)
    )
    report.alerts = new_alerts
    from forecast.reporting.monitor_report import realised_line

    said = realised_line(scores)
    report.lines += [said] if said else []
    report.lines += [f"ALERT {a.message}" for a in new_alerts]
    runs.write_text_atomic(
        stage / monitoring.OBSERVED_FILE, monitoring.observed_csv(grown.series, prep.time_col)
    )
    version = None
    if refit == "always" or (refit == "on-alert" and new_alerts):
        reason = (
            "--refit always"
            if refit == "always"
            else "--refit on-alert: " + "; ".join(a.kind for a in new_alerts)
        )
        version = refit_models(stage, grown.series, prep, config, made_at, reason, log)
        report.lines.append(f"refit on every row: model version v{version} ({reason})")
    widths = monitoring.widths_for(calibration.ordered, alpha)
    table = forecast_next(stage, prep, widths, log, draw)
    report.forecast = table
    monitor.update(
        {
            "updated_at": made_at,
            "n_updates": int(monitor.get("n_updates", 0)) + 1,
            "observed_through": monitoring.observed_through(grown.series),
            "rows_added": {str(k): v for k, v in grown.n_new.items()},
            "revisions": [vars(r) for r in grown.revisions],
            "model_version": model_versions.current_label(stage) or "scored",
            "realised": scores,
            "aci": monitoring.aci_record(alpha),
            "widths": {str(k): v for k, v in widths.items()},
            "alerts": monitor.get("alerts", []) + [alert_record(a, made_at) for a in new_alerts],
            "alerts_now": [alert_record(a, made_at) for a in alerts],
        }
    )
    if version is not None:
        monitor.setdefault("events", []).append({"at": made_at, "refit": version})
    runs.write_text_atomic(stage / monitoring.MONITOR_FILE, runs.json_text(monitor))
    from forecast.reporting.monitor_report import write_monitor_report

    if draw:
        write_monitor_report(stage, monitor, joined, prep)
    report.monitor = monitor
    return report


def alert_record(alert, made_at: str) -> dict:
    """An alert as monitor.json keeps it (times as text)."""
    return {"raised_at": made_at, **alert.to_dict()}


def revision_lines(revisions: list[Revision], limit: int = 10) -> list[str]:
    """Warning lines for revised past values (the first ``limit``, then a count)."""
    if not revisions:
        return []
    lines = [f"warning: revised past value kept as the run saw it: {r.line()}" for r in revisions]
    if len(lines) > limit:
        lines = lines[:limit] + [f"warning: ... and {len(revisions) - limit} more revised values"]
    return lines
