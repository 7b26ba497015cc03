"""The measurement behind the defaults of --calendar, --ensemble and --highway (issue 9).

Every configuration is scored on the VALIDATION windows only (the test split is never read here):
RMSE of the model, of the linear baseline fit in closed form on the same inputs, and of persistence.

    python bench/defaults_choice.py weather           # data/weather.csv, default window/horizon
    python bench/defaults_choice.py stock
    python bench/defaults_choice.py greensboro_hourly # pvlib's TMY3 file, 96 in / 24 out
    python bench/defaults_choice.py seattle_hourly    # vega_datasets seattle-temps, 96 in / 24 out
    python bench/defaults_choice.py weather "plain (calendar none)" calendar   # some configs only

greensboro_hourly needs pvlib (``pip install -e ".[data]"``): the typical-meteorological-year
file of Greensboro, NC (723170TYA.CSV, NREL, public domain) shipped inside the pvlib package,
8,760 hourly rows of air temperature (the target), dew point, humidity, pressure, wind speed and
global irradiance. Its months come from different years, so each month boundary is a small seam.
seattle-temps are smoothed climate normals (the linear baseline is near-perfect on them), so they
do not test much.

Prints one row per (configuration, seed) and a summary per configuration; writes
bench/defaults_choice-<data>.json.
"""

from __future__ import annotations

import contextlib
import json
import os
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))

from forecast.config import FitOptions
from forecast.data import calendar as cal
from forecast.data.io import read_series
from forecast.evaluation import metrics as ev
from forecast.evaluation.baselines import naive_baselines
from forecast.training import preparation
from forecast.training.fitting import train_one
from forecast.training.inference import predict_part
from forecast.training.preparation import prepare

CONFIGS = {
    "plain (calendar none)": dict(calendar="none"),
    "calendar": dict(calendar="auto"),
    "calendar, every resolvable cycle": dict(calendar="all"),
    "calendar + highway": dict(calendar="auto", highway=True),
    "calendar, ensemble 3": dict(calendar="auto", ensemble=3),
    "calendar + highway, ensemble 3": dict(calendar="auto", highway=True, ensemble=3),
    "calendar, ensemble 5": dict(calendar="auto", ensemble=5),
}


def dataset(name: str) -> tuple[Path, dict]:
    """CSV path and the base options for one data set."""
    if name in ("weather", "stock"):
        return ROOT / "data" / f"{name}.csv", {}
    if name == "greensboro_hourly":
        return greensboro_csv(), {"window": 96, "horizon": 24, "batch_size": 256,
                                  "target": "temp_air"}  # fmt: skip
    if name == "seattle_hourly":
        from vega_datasets import local_data

        frame = local_data.seattle_temps()
        path = Path(tempfile.mkdtemp()) / "seattle_hourly.csv"
        frame.to_csv(path, index=False)
        return path, {"window": 96, "horizon": 24, "batch_size": 256}
    raise SystemExit(
        f"unknown data set {name!r}: weather, stock, greensboro_hourly or seattle_hourly"
    )


def greensboro_csv() -> Path:
    """pvlib's Greensboro TMY3 file as a CSV of one regular hourly year (1990)."""
    import pvlib
    from pvlib.iotools import read_tmy3

    source = Path(pvlib.__file__).parent / "data" / "723170TYA.CSV"
    frame, _ = read_tmy3(source, map_variables=True)
    columns = ["ghi", "wind_speed", "pressure", "relative_humidity", "temp_dew", "temp_air"]
    out = frame[columns].reset_index(drop=True)
    out.insert(0, "time", pd.date_range("1990-01-01 01:00", periods=len(out), freq="h"))
    path = Path(tempfile.mkdtemp()) / "greensboro_hourly.csv"
    out.to_csv(path, index=False)
    return path


@contextlib.contextmanager
def calendar_rule(calendar: str):
    """``calendar="all"``: every resolvable cycle, with the ``auto`` rule and its validation check
    switched off (the measurement behind them)."""
    if calendar != "all":
        yield calendar
        return
    saved = cal.useful, preparation.calendar_on_validation
    cal.useful = lambda *args: True
    preparation.calendar_on_validation = lambda series, prep, options, split=None: prep.calendar
    try:
        yield "auto"
    finally:
        cal.useful, preparation.calendar_on_validation = saved


def val_rmse(prepared, model) -> float:
    return ev.rmse(prepared.actual("val"), predict_part(model, prepared, "val"))


def main(name: str, seeds: int = 2, only: list[str] | None = None) -> None:
    csv, base = dataset(name)
    series = read_series(csv)
    rows = []
    for label, changes in CONFIGS.items():
        if only and label not in only:
            continue
        with calendar_rule(changes.get("calendar", "auto")) as calendar:
            options = FitOptions(**{**base, **changes, "calendar": calendar})
            prepared = prepare(series, options)
        linear, _ = train_one("linear", prepared, options.replace(model="linear"), verbose=0)
        lin = val_rmse(prepared, linear)
        persistence = ev.rmse(
            prepared.actual("val"), naive_baselines(prepared, "val")["persistence"]
        )
        for k in range(seeds):
            opts = options.replace(seed=options.seed + 10 * k)
            start = time.perf_counter()
            model, result = train_one("gru", prepared, opts, verbose=0)
            rmse = val_rmse(prepared, model)
            row = {
                "data": name,
                "config": label,
                "calendar_features": list(prepared.prep.calendar),
                "seed": opts.seed,
                "val_rmse": rmse,
                "linear_val_rmse": lin,
                "persistence_val_rmse": persistence,
                "skill_vs_linear": ev.skill(rmse, lin),
                "epochs": result.epochs_run,
                "seconds": time.perf_counter() - start,
            }
            rows.append(row)
            print(
                f"{label:34} seed {opts.seed:3}  val RMSE {rmse:.4f}  linear {lin:.4f}  "
                f"persistence {persistence:.4f}  vs linear {row['skill_vs_linear']:+.1%}  "
                f"{row['seconds']:.0f}s",
                flush=True,
            )
    print("\nsummary (mean over seeds, validation):")
    for label in dict.fromkeys(r["config"] for r in rows):
        rs = [r for r in rows if r["config"] == label]
        mean = float(np.mean([r["val_rmse"] for r in rs]))
        print(
            f"  {label:34} val RMSE {mean:.4f}  linear {rs[0]['linear_val_rmse']:.4f}  "
            f"vs linear {ev.skill(mean, rs[0]['linear_val_rmse']):+.1%}"
        )
    out = HERE / f"defaults_choice-{name}.json"
    measured = {(r["config"], r["seed"]) for r in rows}
    earlier = json.loads(out.read_text()) if out.exists() else []
    kept = [r for r in earlier if (r["config"], r["seed"]) not in measured]
    out.write_text(json.dumps(kept + rows, indent=1))  # rows of configs not rerun are kept
    print(f"wrote {out}")


if __name__ == "__main__":
    args = sys.argv[1:]
    main(args[0] if args else "weather", only=args[1:] or None)
