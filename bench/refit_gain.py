"""Is the model refit on every row (final_model.keras, predict's default) a better forecaster than
the scored one? Measured where neither has seen the rows it is scored on (issue 21).

Each fold plays one ``forecast fit`` then ``forecast predict`` at an earlier time: the rows before
the fold's block are the data, split 70/15/15 as fit splits them; the *scored* model trains on
the 70 % with the next 15 % for early stopping (the last 15 % are the fit's test rows); the
*refit* models are the same configuration (same seed) trained again on every one of those rows
with no early stopping, for

- ``epochs``: the scored fit's best epoch (each window seen as often; AutoGluon's refit_full), or
- ``steps``: that epoch count scaled by n_train / n_all windows (the same gradient steps).

Both forecast the fold's block, which neither has seen: for one series every origin whose
targets lie in the block (backtest's folds of data/weather.csv, stride 1); with ``--series`` (M4
hourly) the 48 steps after each series' last row, as M4 scores. The linear baseline (ridge,
penalty chosen on validation) is refit likewise, and the combination ``w·model + (1 − w)·linear``
keeps its weight fit on validation with the scored pair, as predict's ``combined`` column does.

    python bench/refit_gain.py weather [--epochs 50] [--seeds 1] [--folds 5]
    python bench/refit_gain.py m4 [--n-series 20] [--folds 3]   # first M4 hourly series, --series

Prints per fold and seed the RMSE of each forecaster on the block (with ``m4`` also the mean
per-series MASE), the mean, wins and a pooled Diebold–Mariano test of refit against scored;
writes bench/refit_gain-<data>.json.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

import numpy as np
import pandas as pd

from forecast.config import FitOptions
from forecast.data.prepared import Prepared, load_series_for
from forecast.data.split import Split, split_rows
from forecast.data.windows import origins
from forecast.evaluation import metrics as ev
from forecast.evaluation.combination import combination_weight, combined
from forecast.evaluation.folds import default_fold_size, fold_bounds
from forecast.evaluation.significance import dm_test, origin_losses
from forecast.training.fitting import train_one
from forecast.training.inference import predict_part
from forecast.training.preparation import prepare
from forecast.training.refit import EPOCH_RULES, on_rows_through, refit, refit_epochs

M4 = Path("/work/shared/data/m4-hourly/Hourly-train.csv")
NAMES = ("scored", *(f"refit_{rule}" for rule in EPOCH_RULES))


@dataclass
class Fold:
    """One fold: the fit's prepared rows, the windows of the refit (every row before the
    block), the block's true values and how each model forecasts them."""

    k: int
    prepared: Prepared
    everything: Prepared
    actual: np.ndarray
    forecast: Callable  # model -> (n_windows, horizon) forecasts of the block


def fold_forecasts(fold: Fold, options: FitOptions) -> tuple[dict, dict]:
    """The block's forecasts by the scored model, its refits, the linear baseline and its refit,
    and the validation-fit combination of each pair."""
    prepared, everything = fold.prepared, fold.everything
    model, result = train_one(options.model, prepared, options, verbose=0)
    linear, linear_result = train_one("linear", prepared, options.replace(model="linear"), 0)
    penalty = linear_result.ridge_penalty
    n_train, n_all = len(prepared.starts["train"]), len(everything.starts["train"])
    bests = list(result.member_best_epochs) or [result.best_epoch]
    out = {"scored": fold.forecast(model), "linear": fold.forecast(linear)}
    info = {"best_epoch": result.best_epoch, "n_train": n_train, "n_refit": n_all}
    done = {}
    for rule in EPOCH_RULES:
        epochs = [refit_epochs(b, n_train, n_all, rule) for b in bests]
        info[f"epochs_{rule}"] = epochs[0]
        if tuple(epochs) not in done:
            done[tuple(epochs)] = refit(everything, options, epochs, penalty).model
        out[f"refit_{rule}"] = fold.forecast(done[tuple(epochs)])
    linear_options = options.replace(model="linear", ensemble=1, highway=False)
    out["linear_refit"] = fold.forecast(refit(everything, linear_options, [], penalty).model)
    weight = combination_weight(
        prepared.actual("val"),
        predict_part(model, prepared, "val"),
        predict_part(linear, prepared, "val"),
    )
    out["combined_scored"] = combined(out["scored"], out["linear"], weight)
    out["combined_refit"] = combined(out["refit_epochs"], out["linear_refit"], weight)
    return out, {**info, "weight": weight}


def weather_folds(args):
    """backtest's folds of data/weather.csv (default fit options): the fit's split of the rows
    before each block; forecasts of every origin whose targets lie in the block."""
    options = FitOptions(epochs=args.epochs).plain()  # fit's fixed defaults (daily data)
    return options, weather_fold_list(args, options)


def weather_fold_list(args, options: FitOptions):
    series = load_series_for(HERE.parent / "data" / "weather.csv", options)
    n, w, h = len(series.frame), options.window, options.horizon
    size = default_fold_size(n, args.folds, options.split[2], h)
    for fold in fold_bounds(n, args.folds, size, w, h):
        seen = split_rows(fold.test_start, options.split)  # what fit would do with those rows
        past = replace(series, frame=series.frame.iloc[: fold.test_end], notes=[])
        prepared = prepare(past, options, Split(fold.test_end, seen.train_end, seen.val_end))
        block = origins(Split(fold.test_end, fold.test_start, fold.test_start), w, h, "test")
        prepared = replace(prepared, starts={**prepared.starts, "test": block})
        before = Split(fold.test_start, fold.test_start, fold.test_start)
        everything = replace(
            prepared, starts={**prepared.starts, "train": origins(before, w, h, "train")}
        )

        def forecast(model, prepared=prepared):
            return predict_part(model, prepared)

        yield Fold(fold.k + 1, prepared, everything, prepared.actual("test"), forecast)


def m4_long(n_series: int, directory: Path) -> Path:
    """The first ``n_series`` rows of M4's hourly training file as a long table
    (series, value), each series' values in time order."""
    wide = pd.read_csv(M4, nrows=n_series)
    rows = []
    for _, row in wide.iterrows():
        values = row.iloc[1:].dropna().to_numpy(dtype="float64")
        rows.append(pd.DataFrame({"series": row.iloc[0], "value": values}))
    path = directory / "m4_long.csv"
    pd.concat(rows, ignore_index=True).to_csv(path, index=False)
    return path


def m4_folds(args, directory: Path):
    """Fold ``k`` of ``K``: every series cut ``(K - k) · 48`` rows short, fit as ``forecast fit
    --series`` fits it (70/15/15 of each series, window 168, segment 24, horizon 48); the block is
    the 48 rows after each series' cut."""
    options = FitOptions(
        epochs=args.epochs,
        series="series",
        time_col="none",
        target="value",
        features="target",
        calendar="none",
        season=24,
        horizon=48,
        window=168,
        segment=24,
        batch_size=256,
    ).plain()  # norm window, loss mse
    return options, m4_fold_list(args, options, Path(directory))


def m4_fold_list(args, options: FitOptions, directory: Path):
    series = load_series_for(m4_long(args.n_series, directory), options)
    layout, target = series.layout, series.frame[options.target].to_numpy(dtype="float64")
    for k in range(args.folds):
        cut = (args.folds - k) * 48
        lengths = np.asarray(layout.lengths()) - cut
        starts = np.asarray(layout.bounds[:-1])
        rows = np.concatenate([np.arange(b, b + n) for b, n in zip(starts, lengths, strict=True)])
        bounds = tuple(int(b) for b in np.cumsum([0, *lengths]))
        past = replace(
            series, frame=series.frame.iloc[rows], layout=replace(layout, bounds=bounds), notes=[]
        )
        prepared = prepare(past, options)
        ends = starts + lengths
        actual = target[ends[:, None] + np.arange(48)]

        def forecast(model, prepared=prepared):
            return last_window_forecast(model, prepared)

        yield Fold(k + 1, prepared, on_rows_through(prepared, "test"), actual, forecast)


def last_window_forecast(model, prepared: Prepared) -> np.ndarray:
    """``(n_series, horizon)``: each series' forecast from its last ``window`` rows, in its
    units (as ``forecast predict`` makes it)."""
    p, bounds = prepared.prep, np.asarray(prepared.layout.bounds)
    ends = bounds[1:]
    rows = ends[:, None] - p.window + np.arange(p.window)
    scaled = np.asarray(model.predict(prepared.values[rows], verbose=0), dtype="float64")
    mean, scale = p.row_stats(prepared.layout)
    i = p.target_index
    return scaled * scale[ends - 1, i][:, None] + mean[ends - 1, i][:, None]


def mase_per_series(fold: Fold, predicted, season: int) -> np.ndarray:
    """``(n_series,)`` MASE: the block's MAE over the mean absolute seasonal difference of the
    series' rows before the block (M4's in-sample scale)."""
    prepared, values = fold.prepared, []
    for k in range(prepared.layout.n_series):
        history = prepared.target[prepared.layout.bounds[k] : prepared.layout.bounds[k + 1]]
        scale = np.mean(np.abs(history[season:] - history[:-season]))
        values.append(np.mean(np.abs(fold.actual[k] - predicted[k])) / scale)
    return np.asarray(values)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("data", choices=["weather", "m4"])
    parser.add_argument("--epochs", type=int, default=50)
    parser.add_argument("--seeds", type=int, default=1)
    parser.add_argument("--folds", type=int, default=None)
    parser.add_argument("--n-series", type=int, default=20)
    args = parser.parse_args()
    args.folds = args.folds or (5 if args.data == "weather" else 3)
    rows, losses, started = [], {}, time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        options, folds = weather_folds(args) if args.data == "weather" else m4_folds(args, tmp)
        for fold in folds:
            for s in range(args.seeds):
                opts = options.replace(seed=options.seed + s)
                start = time.perf_counter()
                forecasts, info = fold_forecasts(fold, opts)
                row = {"fold": fold.k, "seed": opts.seed, **info}
                for name, predicted in forecasts.items():
                    row[name] = ev.rmse(fold.actual, predicted)
                    if args.data == "m4":  # scale-free: each series' MASE is its loss
                        loss = mase_per_series(fold, predicted, options.season)
                        row[f"{name}_mase"] = float(loss.mean())
                    else:
                        loss = origin_losses(fold.actual, predicted)
                    losses.setdefault(name, []).append(loss)
                row["seconds"] = time.perf_counter() - start
                rows.append(row)
                print(json.dumps(row), flush=True)
    # one series: squared errors of origins in time order (DM with the horizon's lags); M4: the
    # MASE of each series forecast, independent (DM with horizon 1: a paired t-test)
    horizon = options.horizon if args.data == "weather" else 1
    record = summarise(pd.DataFrame(rows), losses, horizon, args.data == "m4")
    seconds = time.perf_counter() - started
    record = {"data": args.data, "args": vars(args), "rows": rows, **record, "seconds": seconds}
    (HERE / f"refit_gain-{args.data}.json").write_text(json.dumps(record, indent=1) + "\n")
    print(f"{seconds:.0f} s; wrote bench/refit_gain-{args.data}.json")


FORECASTERS = ("scored", "refit_epochs", "refit_steps", "linear", "linear_refit")
FORECASTERS += ("combined_scored", "combined_refit")
PAIRS = (
    ("refit_epochs", "scored"),
    ("refit_steps", "scored"),
    ("refit_epochs", "refit_steps"),
    ("linear_refit", "linear"),
    ("combined_refit", "combined_scored"),
)


def summarise(table: pd.DataFrame, losses: dict, horizon: int, mase: bool) -> dict:
    """Print and return the mean of each forecaster, and per pair the wins and a pooled DM test
    over every fold and seed."""
    metric = "_mase" if mase else ""
    summary = {name: {"rmse_mean": float(table[name].mean())} for name in FORECASTERS}
    for name in FORECASTERS if mase else ():
        summary[name]["mase_mean"] = float(table[f"{name}_mase"].mean())
    for a, b in PAIRS:
        # the ridge models have no seed: one row per fold, not one per fold and seed
        keep = (
            table["seed"] == table["seed"].min() if a.startswith("linear") else table["seed"] > -1
        )
        pick = np.flatnonzero(keep.to_numpy())
        dm = dm_test(*(np.concatenate([losses[n][i] for i in pick]) for n in (a, b)), horizon)
        wins = int((table[a + metric] < table[b + metric])[keep].sum())
        table_n = int(keep.sum())
        summary[f"{a}_vs_{b}"] = {"wins": wins, "of": table_n, "dm": dm.dm_stat, "p": dm.p_value}
        print(
            f"{a} vs {b}: lower {'MASE' if mase else 'RMSE'} in {wins} of {table_n}, pooled "
            f"DM ({'per-series MASE' if mase else 'squared errors'}) {dm.dm_stat:+.2f} "
            f"p={dm.p_value:.3g}"
        )
    cols = ["fold", "seed", "best_epoch", "epochs_steps", "n_train", "n_refit"]
    cols += [name + metric for name in FORECASTERS]
    print(table[cols].to_string(index=False, float_format=lambda v: f"{v:.4g}"))
    key = "mase_mean" if mase else "rmse_mean"
    print(f"mean {key}: " + ", ".join(f"{n} {summary[n][key]:.4g}" for n in FORECASTERS))
    return {"summary": summary}


if __name__ == "__main__":
    main()
