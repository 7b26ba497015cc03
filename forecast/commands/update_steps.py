"""The heavier steps of ``forecast update``: scoring and drift tests on the realised forecasts,
the refit into a new model version, and the next forecast."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from forecast import runs
from forecast.commands import model_versions, monitoring
from forecast.config import FitOptions
from forecast.data.io import Series


def score_and_alert(
    joined: pd.DataFrame, fresh: pd.DataFrame, scale: dict, prep, run: str
) -> tuple:
    """``(scores, alerts on the whole history, alerts raised by the newly realised rows)``.

    An alert is new when the origin it was raised at has an outcome that arrived in this update
    (the drift tests are recomputed on the whole realised history each time, so an alert raised
    before is not raised again)."""
    from forecast.evaluation import drift, realised

    if joined.empty:
        return {"n_origins": 0}, [], []
    series_col = "series" if prep.series is not None else None
    rows = joined if series_col else joined.drop(columns=["series"])
    scores = realised.score_realised(rows, prep.horizon, series_col)
    scale = {str(k): v for k, v in scale.items()} if series_col else scale[None]
    alerts = drift.detect(rows, scale, series_col=series_col, run=run)
    arrived = set(fresh["timestamp"]) if not fresh.empty else set()
    new = [a for a in alerts if a.at in arrived]
    return scores, alerts, new


def refit_models(
    stage: Path, grown: Series, prep, config: dict, made_at: str, reason: str, log
) -> int:
    """Refit the run's configuration on every row seen, for the scored fit's epochs, into a new
    model version of ``stage``; returns its number."""
    from forecast.commands.final_model import NOT_OPTIONS
    from forecast.data.prepared import reprepare
    from forecast.training.refit import on_rows_through, refit

    metrics = runs.read_json(stage, "metrics.json")
    options = FitOptions.from_dict({k: v for k, v in config.items() if k not in NOT_OPTIONS})
    options = options.replace(window=prep.window, segment=config.get("segment") or 1)
    everything = on_rows_through(reprepare(grown, prep), "test")
    bests = list(metrics.get("member_best_epochs") or [metrics.get("best_epoch") or 1])
    penalty = metrics.get("linear_penalty")
    n = len(everything.starts["train"])
    log(f"refitting {options.model} on every row: {n} windows, {bests[0]} epoch(s) ...")
    models = {runs.FINAL_FILE: refit(everything, options, bests, penalty).model}
    has_linear = (stage / runs.LINEAR_FILE).is_file() and options.model != "linear"
    if has_linear and penalty is not None:
        linear_options = options.replace(model="linear", ensemble=1, highway=False)
        models[runs.FINAL_LINEAR_FILE] = refit(everything, linear_options, [], penalty).model
    elif has_linear:
        log(
            "note: the run records no ridge penalty (fit before update existed); the linear "
            "baseline keeps its previous version"
        )
    return model_versions.add_version(
        stage, models, made_at, reason, rows=int(len(grown.frame)), windows=n, epochs=bests
    )


def forecast_next(stage: Path, prep, widths: dict, log, plot: bool = True) -> pd.DataFrame:
    """The next horizon from the latest rows (observed.csv), with the adaptive widths, into
    ``stage``'s future.csv and forecast log."""
    from forecast.commands.predict import predict_future

    per = widths[None] if prep.series is None else widths
    table, _ = predict_future(
        stage,
        stage / monitoring.OBSERVED_FILE,
        stage / "future.csv",
        log=lambda _: None,
        use="final",
        widths=per,
        log_dir=stage,
        plot=plot,
    )
    return table
