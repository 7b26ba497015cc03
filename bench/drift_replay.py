"""Replay 2015 of data/weather.csv through ``forecast update``, one day at a time, as a station
would run it: false alerts per year on the real data, and days from a +4 °C step to its alert.

For each model (``default``: ``forecast.fit(model="gru")`` with every default, so ``--norm
window``, which re-anchors on the last row; ``global``: the same with ``norm="global"``, which
does not): fit on the rows through 2014-12-31 (target temp_max, seed 0, default epochs with
early stopping unless ``--epochs``), log its forecast from 2014-12-31 (``Run.predict``), then

- clean: for every day of 2015 write the rows through that day and run
  ``update_run(run, csv, refit="never", report=False)`` (the last day with ``report=True``, so
  monitor.png and report.html are drawn); every alert it raises is a false alert.
- shifted: for each change date, a fresh copy of the fitted run replays 2015 with ``shift`` °C
  added to temp_max from that date on, until its first alert at or after the change, or
  ``--within`` days after it, or the year's end. The delay is the number of shifted days observed
  by the update that raised the alert (1: the update that saw the first shifted day).

The drift tests run with their documented defaults (``drift.DriftOptions()``: CUSUM k 0.75,
h 5; coverage over 30 origins; DM over 60); nothing here tunes them.

Usage: python bench/drift_replay.py [--models default,global] [--epochs N] [--work DIR]
(writes bench/drift_replay.json)
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent
DATA = HERE.parent / "data" / "weather.csv"
TARGET = "temp_max"
FIT_END = "2014-12-31"
CHANGES = ("2015-02-15", "2015-04-15", "2015-06-15", "2015-08-15", "2015-10-15", "2015-12-01")
MODELS = {"default": {}, "global": {"norm": "global"}}
GOAL_FALSE, GOAL_DAYS = 1.0, 10


def quiet(_line: str) -> None:
    pass


def fit_model(root: Path, weather: pd.DataFrame, n0: int, extra: dict, epochs) -> dict:
    """Fit on the first ``n0`` rows into ``root/fitted`` and log its first forecast."""
    import forecast
    from forecast.commands.calibration import calibrate
    from forecast.commands.saved_run import load_run, read_like_run

    csv = root / "fit.csv"
    weather.iloc[:n0].to_csv(csv, index=False)
    options = dict(model="gru", target=TARGET, seed=0, **extra)
    if epochs:
        options["epochs"] = epochs
    start = time.perf_counter()
    run = forecast.fit(csv, out=root / "fitted", **options)
    seconds = time.perf_counter() - start
    run.predict(csv)  # the forecast from 2014-12-31 into the log, as `forecast predict` does
    model, prep, config = load_run(run.path)
    scale = calibrate(model, prep, read_like_run(csv, prep, config)).scale[None]
    metrics = json.loads((run.path / "metrics.json").read_text())
    return {
        "path": run.path,
        "options": options,
        "norm": config.get("norm"),
        "window": prep.window,
        "horizon": prep.horizon,
        "epochs_trained": len(pd.read_csv(run.path / "history.csv")),
        "best_epoch": metrics.get("best_epoch"),
        "fit_seconds": round(seconds, 1),
        "validation_sd_step1": float(scale[0]),
    }


def grown(weather: pd.DataFrame, n: int, shift: float, change: str | None) -> pd.DataFrame:
    """The first ``n`` rows, ``shift`` added to the target from ``change`` on."""
    part = weather.iloc[:n]
    if not shift:
        return part
    part = part.copy()
    part.loc[part["date"] >= change, TARGET] += shift
    return part


def replay(run: Path, weather, n0: int, days: int, shift=0.0, change=None, stop=None, draw=True):
    """Update ``run`` day by day for ``days`` days; ``stop(date, alerts)`` ends it early.

    Returns ``[{date, seconds, alerts: [alert dicts]}]``, one per update."""
    from forecast.commands.update import update_run

    csv = run.parent / f"{run.name}-grown.csv"
    out = []
    for i in range(1, days + 1):
        grown(weather, n0 + i, shift, change).to_csv(csv, index=False)
        date = weather["date"].iloc[n0 + i - 1]
        start = time.perf_counter()
        report = update_run(run, csv, refit="never", log=quiet, report=draw and i == days)
        seconds = time.perf_counter() - start
        alerts = [a.to_dict() for a in report.alerts]
        out.append({"date": date, "seconds": seconds, "alerts": alerts})
        if stop is not None and stop(date, alerts):
            break
    return out


def timing(days: list[dict]) -> dict:
    s = [d["seconds"] for d in days]
    rest = s[1:] or s
    return {
        "first": round(s[0], 3),
        "median": round(statistics.median(rest), 3),
        "mean": round(statistics.fmean(rest), 3),
        "p90": round(float(np.quantile(rest, 0.9)), 3),
        "max": round(max(rest), 3),
    }


def realised_rmse(run: Path) -> dict:
    monitor = json.loads((run / "monitor.json").read_text())["realised"]
    return {
        k: monitor[k]["rmse"]
        for k in ("model", "persistence", "linear")
        if isinstance(monitor.get(k), dict)
    }


def clean_replay(fitted: dict, weather, n0: int, days: int, root: Path) -> dict:
    run = root / "clean"
    shutil.copytree(fitted["path"], run)
    out = replay(run, weather, n0, days)
    alerts = [a for d in out for a in d["alerts"]]
    step1 = sum(1 for _ in out)  # one step-1 origin realised per update
    return {
        "run": str(run),
        "updates": len(out),
        "alerts": [{k: a[k] for k in ("kind", "at", "statistic")} for a in alerts],
        "false_alerts_per_year": round(len(alerts) * 365 / step1, 2),
        "seconds_per_update": timing(out),
        "realised_rmse": realised_rmse(run),
    }


def shifted_replay(fitted, weather, n0: int, days: int, change: str, shift, within, root):
    run = root / f"shift-{change}"
    shutil.copytree(fitted["path"], run)
    last = (pd.Timestamp(change) + pd.Timedelta(days=within - 1)).strftime("%Y-%m-%d")

    def stop(date, alerts):
        return date >= last or any(a["at"][:10] >= change for a in alerts)

    out = replay(run, weather, n0, days, shift, change, stop, draw=False)
    after = [a for d in out for a in d["alerts"] if a["at"][:10] >= change]
    seen = sum(1 for d in out if d["date"] >= change)
    shutil.rmtree(run)
    if not after:
        return {"change": change, "days": None, "kind": None, "watched_days": seen}
    first = after[0]
    delay = (pd.Timestamp(first["at"][:10]) - pd.Timestamp(change)).days + 1
    return {"change": change, "days": delay, "kind": first["kind"], "watched_days": seen}


def one_model(name: str, args, weather, n0: int, days: int, root: Path) -> dict:
    print(f"--- {name}: fitting ...", flush=True)
    (root / name).mkdir(parents=True, exist_ok=True)
    fitted = fit_model(root / name, weather, n0, MODELS[name], args.epochs)
    print(json.dumps({k: v for k, v in fitted.items() if k != "path"}, default=str), flush=True)
    clean = clean_replay(fitted, weather, n0, days, root / name)
    print(
        f"{name}: clean replay of {clean['updates']} days: {len(clean['alerts'])} alert(s) "
        f"= {clean['false_alerts_per_year']} false alerts a year {clean['alerts']}; "
        f"seconds per update {clean['seconds_per_update']}; realised RMSE "
        f"{clean['realised_rmse']}",
        flush=True,
    )
    shifted = []
    for change in args.changes.split(","):
        row = shifted_replay(
            fitted, weather, n0, days, change, args.shift, args.within, root / name
        )
        shifted.append(row)
        found = (
            f"{row['days']} day(s) ({row['kind']})"
            if row["days"]
            else (f"none within {row['watched_days']} days")
        )
        print(f"{name}: +{args.shift:g} °C from {change}: first alert after {found}", flush=True)
    fitted = {k: v for k, v in fitted.items() if k != "path"}
    return {"fit": fitted, "clean": clean, "shifted": shifted}


def verdict(name: str, result: dict) -> list[str]:
    rate = result["clean"]["false_alerts_per_year"]
    delays = [r["days"] for r in result["shifted"]]
    within = sum(1 for d in delays if d is not None and d <= GOAL_DAYS)
    return [
        f"{name}: false alerts per year {rate} (goal <= {GOAL_FALSE:g}): "
        + ("PASS" if rate <= GOAL_FALSE else "MISS"),
        f"{name}: +4 °C found within {GOAL_DAYS} days in {within} of {len(delays)} change dates "
        f"(days: {delays}): " + ("PASS" if within == len(delays) else "MISS"),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", default="default,global")
    parser.add_argument("--epochs", type=int, default=None, help="default: fit's (early stopping)")
    parser.add_argument("--changes", default=",".join(CHANGES))
    parser.add_argument("--shift", type=float, default=4.0)
    parser.add_argument("--within", type=int, default=30, help="days to watch after a change")
    parser.add_argument("--days", type=int, default=365, help="days of 2015 to replay")
    parser.add_argument("--work", default=None, help="keep the runs here (default: a temp dir)")
    parser.add_argument("--out", default=str(HERE / "drift_replay.json"))
    args = parser.parse_args()
    weather = pd.read_csv(DATA)
    n0 = int((weather["date"] <= FIT_END).sum())
    root = Path(args.work or tempfile.mkdtemp(prefix="drift-replay-"))
    started = time.perf_counter()
    load = os.getloadavg()[0]
    results = {
        name: one_model(name, args, weather, n0, args.days, root) for name in args.models.split(",")
    }
    lines = [line for name, r in results.items() for line in verdict(name, r)]
    print("\n".join(lines))
    record = {
        "data": "data/weather.csv",
        "target": TARGET,
        "fit_through": FIT_END,
        "replayed_days": args.days,
        "shift": args.shift,
        "within": args.within,
        "drift_options": "forecast.evaluation.drift.DriftOptions() defaults",
        "cpus": os.cpu_count(),
        "load_average": [round(load, 2), round(os.getloadavg()[0], 2)],
        "seconds": round(time.perf_counter() - started, 1),
        "models": results,
        "verdict": lines,
    }
    Path(args.out).write_text(json.dumps(record, indent=1, default=str) + "\n")
    print(f"{record['seconds']:.0f} s; wrote {args.out}; runs under {root}")


if __name__ == "__main__":
    main()
