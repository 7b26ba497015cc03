"""``forecast evaluate``: score a saved run on a CSV's test split."""

from __future__ import annotations

from pathlib import Path

from forecast import runs
from forecast.commands.saved_run import load_run, read_like_run
from forecast.data.split import require_test
from forecast.models import saving


def evaluate_run(run_dir: Path, csv: Path, log=print, only: str | None = None) -> dict:
    """Score a saved run (and its saved linear baseline) on the test split of ``csv`` (a
    ``--series`` run: every series it knows, per series and pooled). A run fit with
    ``--baselines +gbm`` has its gradient-boosting baseline fit again on ``csv``'s training and
    validation rows."""
    from forecast.data.prepared import reprepare
    from forecast.evaluation.baselines import naive_baselines
    from forecast.evaluation.scoring import evidence, score_all
    from forecast.training.inference import predict_part

    model, prep, config = load_run(run_dir)
    require_test(tuple(prep.split), "evaluate scores a run", "fit it again with test rows, e.g.")
    prepared = reprepare(read_like_run(Path(csv), prep, config, only), prep)
    for note in prepared.series.notes if prep.series is not None else []:
        log(f"note: {note}")
    predicted = predict_part(model, prepared)
    baselines = naive_baselines(prepared)
    linear_path = run_dir / runs.LINEAR_FILE
    baselines["linear"] = (
        predict_part(saving.load_keras_model(linear_path), prepared)
        if linear_path.exists()
        else predicted
    )
    if config.get("baselines") == "+gbm":  # trees are not saved (no pickle): fit them again
        from forecast.evaluation.gbm import gbm_forecast

        log("note: the gbm baseline is fit again on this CSV's training and validation rows")
        seed = config.get("seed") if isinstance(config.get("seed"), int) else 0
        baselines["gbm"] = gbm_forecast(prepared, seed, config.get("calendar") != "none")
    metrics = score_all(prepared, predicted, baselines)
    names = {}
    if prep.series is not None:
        names = {"series": {"column": prep.series["column"], "names": prepared.series_names}}
    tested = {k: v for k, v in baselines.items() if k != "linear" or linear_path.exists()}
    return {
        "model": config.get("model", "model"),
        "target": prep.target,
        "window": prep.window,
        "horizon": prep.horizon,
        **metrics,
        **evidence(prepared.actual("test"), predicted, tested),
        **names,
    }
