"""Which default normalisation and feature set? Measured on validation windows (never test).

    python bench/norm_choice.py [--models gru,lstm] [--epochs 50]

Trains each model with ``--norm window|global`` × ``--features target|all`` on data/weather.csv and
data/stock.csv and prints validation RMSE next to validation persistence, plus the test RMSE for
information only. The default in forecast/config.py is the combination with the best validation
skill over both data sets.
"""

from __future__ import annotations

import argparse
import itertools
import os
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

from forecast.config import FitOptions
from forecast.data.prepared import load_series_for
from forecast.evaluation import metrics as ev
from forecast.evaluation.baselines import naive_baselines
from forecast.training.fitting import train_one
from forecast.training.inference import predict_part
from forecast.training.preparation import prepare

ROOT = Path(__file__).resolve().parents[1]


def skill_on(prepared, model, part: str) -> tuple[float, float, float]:
    """(model RMSE, persistence RMSE, skill) on ``part`` in original units."""
    actual = prepared.actual(part)
    model_rmse = ev.rmse(actual, predict_part(model, prepared, part))
    pers = ev.rmse(actual, naive_baselines(prepared, part)["persistence"])
    return model_rmse, pers, ev.skill(model_rmse, pers)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--models", default="gru,linear")
    ap.add_argument("--epochs", type=int, default=50)
    ap.add_argument("--data", default="weather,stock")
    args = ap.parse_args()
    print(
        f"{'data':8}{'model':8}{'norm':8}{'features':9}{'val_rmse':>10}{'val_pers':>10}"
        f"{'val_skill':>10}{'test_skill':>11}"
    )
    for data, name, norm, features in itertools.product(
        args.data.split(","), args.models.split(","), ("window", "global"), ("target", "all")
    ):
        options = FitOptions(model=name, norm=norm, features=features, epochs=args.epochs)
        prepared = prepare(load_series_for(ROOT / "data" / f"{data}.csv", options), options)
        model, _ = train_one(name, prepared, options, verbose=0)
        v_rmse, v_pers, v_skill = skill_on(prepared, model, "val")
        _, _, t_skill = skill_on(prepared, model, "test")
        print(
            f"{data:8}{name:8}{norm:8}{features:9}{v_rmse:>10.4g}{v_pers:>10.4g}"
            f"{v_skill:>+10.1%}{t_skill:>+11.1%}",
            flush=True,
        )


if __name__ == "__main__":
    main()
