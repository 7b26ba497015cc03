"""How the gradient-boosting baseline (``--baselines +gbm``) is fit: one model per horizon step, or
one model with the step as an input? With or without calendar phases? Measured on validation
windows (never test).

    python bench/gbm_choice.py [--data weather,hourly] [--hourly-rows 8760]

``weather``: data/weather.csv with fit's defaults (daily, window 30, horizon 7). ``hourly``: the
synthetic series of bench/synth.py (daily + weekly seasonality, trend, noise; 4 columns), window
96, horizon 24. Prints, per variant, the validation RMSE of the forecasts (original units), the
validation RMSE of persistence for scale, the trees kept per model and the seconds to fit and
predict validation. forecast/evaluation/gbm.py's ``Settings`` defaults are the variant with the
lower validation RMSE at a bounded cost. Measured on the 2 shared cores (under load):

    data        variant           val_rmse  val_pers val_skill       trees  seconds
    weather     per_step             3.343     4.145    +19.4%       30-70      2.4
    weather     one_model            3.362     4.145    +18.9%       60-60      0.7
    weather     per_step_nocal       3.409     4.145    +17.8%       30-90      2.4
    hourly8760  per_step            0.5447     3.136    +82.6%     100-190     62.1
    hourly8760  one_model           0.5242     3.136    +83.3%     300-300    167.2
    hourly8760  per_step_nocal      0.6296     3.136    +79.9%     120-300     98.2
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

from forecast.config import FitOptions
from forecast.data.prepared import load_series_for
from forecast.evaluation import metrics as ev
from forecast.evaluation.baselines import naive_baselines
from forecast.evaluation.gbm import Settings, fit_gbm, predict_gbm
from forecast.training.preparation import prepare

ROOT = Path(__file__).resolve().parents[1]


VARIANTS = {  # name: (per_step, calendar)
    "per_step": (True, True),
    "one_model": (False, True),
    "per_step_nocal": (True, False),
}


def data_sets(names: list[str], hourly_rows: int, tmp: Path):
    """``(label, csv, options)`` per data set asked for."""
    for name in names:
        if name == "weather":
            yield "weather", ROOT / "data" / "weather.csv", FitOptions()
        elif name == "hourly":
            csv = tmp / "hourly.csv"
            subprocess.run(
                [sys.executable, str(ROOT / "bench" / "synth.py"), str(hourly_rows), "4", str(csv)],
                check=True,
            )
            yield f"hourly{hourly_rows}", csv, FitOptions(window=96, horizon=24)
        else:
            raise SystemExit(f"unknown data set {name!r}: use weather,hourly")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", default="weather,hourly")
    ap.add_argument("--hourly-rows", type=int, default=8760)
    ap.add_argument("--variants", default=",".join(VARIANTS))
    args = ap.parse_args()
    print(
        f"{'data':12}{'variant':16}{'val_rmse':>10}{'val_pers':>10}{'val_skill':>10}"
        f"{'trees':>12}{'seconds':>9}"
    )
    with tempfile.TemporaryDirectory() as tmp:
        for label, csv, options in data_sets(args.data.split(","), args.hourly_rows, Path(tmp)):
            prepared = prepare(load_series_for(csv, options), options)
            actual = prepared.actual("val")
            pers = ev.rmse(actual, naive_baselines(prepared, "val")["persistence"])
            for variant in args.variants.split(","):
                per_step, use_calendar = VARIANTS[variant]
                settings = Settings(seed=options.seed, calendar=use_calendar, per_step=per_step)
                start = time.perf_counter()
                fitted = fit_gbm(prepared, settings)
                rmse = ev.rmse(actual, predict_gbm(fitted, prepared, "val"))
                seconds = time.perf_counter() - start
                trees = f"{min(fitted.trees)}-{max(fitted.trees)}"
                print(
                    f"{label:12}{variant:16}{rmse:>10.4g}{pers:>10.4g}"
                    f"{ev.skill(rmse, pers):>+10.1%}{trees:>12}{seconds:>9.1f}",
                    flush=True,
                )


if __name__ == "__main__":
    main()
