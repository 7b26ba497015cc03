"""One ``forecast fit``: train the chosen model and the linear baseline on the same windows, score
both against the naive baselines, and write the run directory atomically."""

from __future__ import annotations

import shutil
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from forecast import runs
from forecast.commands.final_model import fit_final
from forecast.commands.fit_unscored import Unscored, unscored_metrics, write_unscored
from forecast.commands.resume import (
    Resumable,
    checked_state,
    checkpoint_dir,
    tensorboard_dir,
    train_resumable,
)
from forecast.commands.run_writer import RunOutputs, write_run
from forecast.config import FitOptions, with_gbm
from forecast.data.prepared import Prepared, load_series_for
from forecast.data.split import has_test
from forecast.errors import ForecastError
from forecast.evaluation import metrics as ev
from forecast.evaluation.baselines import lazy_baselines
from forecast.evaluation.combination import combination_section, combination_weight, combined
from forecast.evaluation.gbm import gbm_forecast
from forecast.evaluation.intervals import coverage, interval_metrics, origin_widths
from forecast.evaluation.scoring import evidence, owa, score_all, series_means
from forecast.evaluation.verdict import decide
from forecast.reporting.thin_evidence import verdict_hint
from forecast.runs import file_sha256
from forecast.training.defaults import by_the_data
from forecast.training.distribute import describe, get_strategy, is_chief
from forecast.training.fitting import train_one
from forecast.training.inference import predict_lazy
from forecast.training.preparation import prepare
from forecast.training.search import choose_on_validation
from forecast.training.selection import is_auto


@dataclass
class FitReport:
    """What ``fit`` wrote and measured: the run directory, metrics.json and the CSV's notes."""

    run_dir: Path
    metrics: dict
    notes: list[str]


def fit_run(
    csv: Path,
    options: FitOptions,
    out: Path,
    overwrite: bool = False,
    verbose: int = 2,
    log=print,
    resume: bool = False,
    bundle_data: bool = False,
) -> FitReport:
    """Train ``options.model`` on ``csv`` and write the run directory ``out`` (the caller holds
    ``<out>.lock``: ``forecast.api.fit``).

    A checkpoint ``<out>.partial`` is kept after every epoch while training; it is removed when
    the run directory is complete, and ``resume=True`` continues from it after an interruption.

    Args:
        csv: the input CSV.
        options: every fit option.
        out: run directory to create (it appears only once complete).
        overwrite: replace an existing ``out`` (and discard an old checkpoint).
        verbose: Keras verbosity.
        log: where progress messages go.
        resume: continue from ``<out>.partial`` (same options and data, or an error).
        bundle_data: keep a copy of ``csv`` in the run directory (a DataFrame given to the
            Python API has no file of its own).
    """
    chief = is_chief(options.distribute)
    runs.check_out_dir(out, overwrite)
    series = load_series_for(csv, options)
    defaults = by_the_data(series, options)
    options = defaults.options
    resumable = Resumable(out, Path(csv), file_sha256(Path(csv)), None, chief)
    resumable.state = checked_state(resumable, options, resume, overwrite)
    get_strategy(options.distribute)  # before any TensorFlow op (prepare may train a ridge model)
    selection = None
    if is_auto(options):
        selection = choose_on_validation(series, options, verbose, log)
        options, prepared = selection.options, selection.prepared
    else:
        prepared = prepare(series, options)
    log_preparation(series, prepared, options, log)
    if selection is None:
        model, result = train_resumable(options, prepared, resumable, verbose, log)
    else:
        model, result = selection.model, selection.result
    partial = checkpoint_dir(out)
    # every (n_test, horizon) forecast is a WindowArray, read a block of origins at a time
    baselines = lazy_baselines(prepared)
    if options.model == "linear":
        linear_model = linear_result = None
        baselines["linear"] = predict_lazy(model, prepared)
    else:
        log("training the linear baseline on the same windows ...")
        linear_model, linear_result = train_one(
            "linear", prepared, options.replace(model="linear"), verbose=0
        )
        penalty = linear_result.ridge_penalty
        log(f"linear baseline: ridge penalty {penalty:.3g}, chosen on validation")
        baselines["linear"] = predict_lazy(linear_model, prepared)
    if not has_test(options.split):  # --split auto,VAL,0: save the model, score nothing
        unscored = Unscored(csv, options, prepared, model, linear_model, result, bundle_data)
        metrics = {**unscored_metrics(unscored), "defaults": defaults.reasons}
        metrics["linear_penalty"] = (linear_result or result).ridge_penalty
        if selection is not None:
            metrics["selection"] = selection.record()
        metrics["notes"] = list(dict.fromkeys(series.notes))
        final = fit_final(options, prepared, result, linear_result, verbose, log)
        metrics.update({"final": final.record} if final is not None else {})
        write_unscored(unscored, metrics, out, chief, log, final)
        return FitReport(out, metrics, metrics["notes"])
    if with_gbm(options, default=False):
        log("fitting the gradient-boosting baseline on the same windows ...")
        baselines["gbm"] = gbm_forecast(prepared, options.seed, options.calendar != "none")

    predicted, metrics, widths = score_with_bands(options, prepared, model, result, baselines)
    metrics["defaults"] = defaults.reasons  # the options the data chose, and why
    metrics["linear_penalty"] = (linear_result or result).ridge_penalty  # for update's refit
    if selection is not None:
        metrics["selection"] = selection.record()
    metrics["notes"] = list(dict.fromkeys(series.notes))  # what reading the data assumed
    if options.combine == "linear" and linear_model is not None:
        linear_val = predict_lazy(linear_model, prepared, "val")
        metrics["combination"] = combination_for(prepared, model, linear_val, predicted, baselines)
        if "naive2" in metrics["baselines"]:
            naive2 = metrics["baselines"]["naive2"]
            metrics["combination"]["owa"] = owa(metrics["combination"], naive2)
    data = None if bundle_data else str(csv)  # as the user gave it; a DataFrame has no file
    metrics["verdict_hint"] = verdict_hint(metrics, data, options, len(prepared.series.frame))
    metrics["verdict"] = decide(metrics).to_dict()  # the decision the verdict line renders
    final = fit_final(options, prepared, result, linear_result, verbose, log)  # predict's model
    metrics.update({"final": final.record} if final is not None else {})
    if not chief:
        log(f"this worker is not the chief: the chief writes {out}")
        return FitReport(out, metrics, metrics["notes"])
    try:
        with runs.staged_dir(out) as tmp:
            outputs = RunOutputs(
                csv, options, prepared, model, linear_model, result, predicted, baselines, metrics
            )
            write_run(tmp, replace(outputs, widths=widths, bundle_data=bundle_data, final=final))
            board = tensorboard_dir(out, options)
            if board is not None and board.is_dir():  # the closed-form linear model writes none
                shutil.move(board, tmp / "tensorboard")
    except ForecastError as e:
        if not (partial / "state.json").is_file():
            raise
        raise ForecastError(
            f"{e}; the trained model is kept in {partial}: fix that and run "
            f"forecast fit {csv} --resume {out}"
        ) from None
    shutil.rmtree(partial, ignore_errors=True)
    return FitReport(out, metrics, metrics["notes"])


def log_preparation(series, prepared: Prepared, options: FitOptions, log) -> None:
    """The notes of reading the data, the window counts, the calendar inputs and the devices:
    printed after every check, so that bad input ends with one line only."""
    for note in dict.fromkeys(series.notes):
        log(f"note: {note}")
    counts = {part: len(s) for part, s in prepared.starts.items()}
    log(
        f"windows: {counts['train']} train, {counts['val']} val, {counts['test']} test "
        f"(window {options.window}, horizon {options.horizon}, {len(prepared.prep.columns)} "
        f"input column(s), target {prepared.prep.target!r})"
    )
    if prepared.prep.calendar:
        log(f"calendar inputs: {', '.join(prepared.prep.calendar)} (--calendar none to drop them)")
    for line in describe(options.distribute, options.mixed_precision):
        log(line)


def combination_for(prepared: Prepared, model, linear_val, predicted, baselines) -> dict:
    """metrics.json ``combination`` (``--combine linear``): ``w·model + (1 − w)·linear`` with
    ``w`` fit on the validation windows, scored on the test windows with its own tests.
    ``linear_val``: the linear baseline's validation forecasts (one prediction serves every run
    of a comparison)."""
    weight = combination_weight(
        prepared.lazy_actual("val"), predict_lazy(model, prepared, "val"), linear_val
    )
    actual = prepared.lazy_actual("test")
    section = combination_section(actual, predicted, baselines, weight, prepared.naive_scale())
    if prepared.layout is not None:  # --series: the scale-free headline scores too
        mixed = combined(np.asarray(predicted), np.asarray(baselines["linear"]), weight)
        section.update(series_means(prepared, actual, mixed))
    return section


def score_model(options: FitOptions, prepared: Prepared, model, result, baselines) -> tuple:
    """Test forecasts ``(n_windows, horizon)`` (a ``forecast.data.windows.WindowArray``) of a
    trained model and its metrics.json: scores against ``baselines``, training facts, and
    conformal intervals calibrated on the validation windows only (the test split only reports
    their coverage)."""
    predicted, metrics, _ = score_with_bands(options, prepared, model, result, baselines)
    return predicted, metrics


def score_with_bands(options: FitOptions, prepared: Prepared, model, result, baselines) -> tuple:
    """``score_model`` plus the interval half-widths of every test origin
    (``forecast.evaluation.intervals.origin_widths``), for predictions.csv and the plots."""
    predicted = predict_lazy(model, prepared)
    metrics = build_metrics(options, prepared, predicted, baselines, model, result)
    args = (prepared.lazy_actual("val"), predict_lazy(model, prepared, "val"))
    args += (prepared.lazy_actual("test"), predicted)
    if prepared.layout is not None:
        widths = series_intervals(prepared, metrics, *args)
        return predicted, metrics, widths
    widths = origin_widths(*args)
    metrics.update(interval_metrics(*args, widths=widths))
    return predicted, metrics, {k: w[:-1] for k, w in widths.items()}


def series_intervals(prepared: Prepared, metrics: dict, *args) -> dict:
    """--series: conformal intervals calibrated on each series' own validation windows (its
    units and error level); ``per_series[name]["intervals"]`` for ``predict``, pooled coverage
    at the top level. Returns the half-widths of every test origin ``{"80": (n_test, horizon)}``.
    """
    val_ids, test_ids = prepared.series_ids("val"), prepared.series_ids("test")
    rows: dict[str, list] = {}
    for k, name in enumerate(prepared.series_names):
        mine = [a[val_ids == k] if i < 2 else a[test_ids == k] for i, a in enumerate(args)]
        widths = origin_widths(*mine)
        own = interval_metrics(*mine, widths=widths)
        metrics["per_series"][name].update(own)
        for key, w in widths.items():
            rows.setdefault(key, []).append(w[:-1])
    widths = {key: np.concatenate(parts) for key, parts in rows.items()}
    actual, predicted = args[2], args[3]
    metrics["interval_method"] = own["interval_method"]
    for key, w in widths.items():
        metrics[f"coverage_{key}"] = coverage(actual, predicted, w)
    metrics["interval_mean_width"] = {k: float(w.mean()) for k, w in widths.items()}
    return widths


def build_metrics(
    options: FitOptions, prepared: Prepared, predicted, baselines, model, result
) -> dict:
    """metrics.json, keys in the contract's order, then the extensions."""
    scored = score_all(prepared, predicted, baselines)
    p = prepared.prep
    linear_rmse = scored["baselines"]["linear"]["rmse"]
    actual = prepared.lazy_actual("test")
    test_start, test_end = prepared.test_span()
    return {
        "model": options.model,
        "target": p.target,
        "window": p.window,
        "horizon": p.horizon,
        "rmse": scored["rmse"],
        "mae": scored["mae"],
        "smape": scored["smape"],
        "mase": scored["mase"],
        "per_horizon_rmse": scored["per_horizon_rmse"],
        "n_test_windows": scored["n_test_windows"],
        "params": int(model.count_params()),
        "epochs_run": result.epochs_run,
        "train_seconds": result.train_seconds,
        "train_samples_per_second": result.samples_per_second,
        "baselines": scored["baselines"],
        "skill_vs_persistence": scored["skill_vs_persistence"],
        "beats_persistence": scored["beats_persistence"],
        "skill_vs_linear": ev.skill(scored["rmse"], linear_rmse),
        "best_epoch": result.best_epoch,
        **({"member_best_epochs": list(result.member_best_epochs)} if options.ensemble > 1 else {}),
        "n_train_windows": len(prepared.starts["train"]),
        "n_val_windows": len(prepared.starts["val"]),
        "norm": p.norm,
        "loss": options.loss,
        "segment": options.segment,
        "ensemble": options.ensemble,
        "layers": options.layers,
        "calendar": p.calendar,
        "highway": options.highway,
        "test_start": test_start,
        "test_end": test_end,
        **evidence(actual, predicted, baselines),
        **series_section(prepared, scored),
        **({"owa": scored["owa"]} if "owa" in scored else {}),  # M4's, against Naive2
    }


def series_section(prepared: Prepared, scored: dict) -> dict:
    """--series: ``series`` (the column and the series scored) and ``per_series`` scores."""
    if prepared.layout is None:
        return {}
    skills = [s["skill_vs_persistence"] for s in scored["per_series"].values()]
    return {
        "series": {
            "column": prepared.layout.column,
            "names": prepared.series_names,
            # pooled RMSE weighs series by their units; these count every series alike
            "beats_persistence": int(sum(k > 0 for k in skills)),
            "median_skill_vs_persistence": float(np.median(skills)),
        },
        "per_series": scored["per_series"],
        **{k: scored[k] for k in ("mean_mase", "mean_smape", "headline")},
    }
