"""M4 hourly end to end: the 414 series of the public M4 training file as one long table, the
last 48 hours of every series held back as our own test, ``forecast fit`` with the defaults,
``forecast predict``, and M4's metrics on the held-back hours next to seasonal naive and Naive2
computed on the same rows.

    python bench/m4_hourly.py [--train ../shared/data/m4-hourly/Hourly-train.csv]
                              [--series 414] [--out bench/m4_hourly.json] [-- FIT FLAGS ...]

Prints sMAPE / MASE / OWA of the forecast (``predicted`` and, when the run has one, the
``combined`` column), of seasonal naive and of Naive2, the wall time of fit and of predict, and
writes every number to ``--out``. The competition's own test part is not in shared/: these are
scores on the last 48 hours of the training file, which no choice of the fit saw.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from forecast.evaluation import m4  # noqa: E402

HORIZON, SEASON = 48, 24
TRAIN = ROOT.parent / "shared" / "data" / "m4-hourly" / "Hourly-train.csv"


def long_tables(train: Path, n_series: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """``(fit table, held-back table)``: columns series, step, value; the fit table holds every
    series but its last ``HORIZON`` values, the held-back table those values."""
    wide = pd.read_csv(train)
    fit_parts, test_parts = [], []
    for _, row in wide.head(n_series).iterrows():
        values = row.iloc[1:].dropna().to_numpy(dtype="float64")
        one = pd.DataFrame({"series": row.iloc[0], "step": np.arange(len(values)), "value": values})
        fit_parts.append(one.iloc[:-HORIZON])
        test_parts.append(one.iloc[-HORIZON:])
    return pd.concat(fit_parts), pd.concat(test_parts)


def scores(fit: pd.DataFrame, held: pd.DataFrame, forecasts: dict[str, pd.DataFrame]) -> dict:
    """Mean over series of sMAPE and MASE of each forecast and of seasonal naive and Naive2 on
    the held-back rows; OWA relative to Naive2 (M4's definition)."""
    rows = {name: [] for name in [*forecasts, "seasonal_naive", "naive2"]}
    for name, history in fit.groupby("series", sort=False):
        insample = history["value"].to_numpy()
        actual = held.loc[held["series"] == name, "value"].to_numpy()
        candidates = {
            "seasonal_naive": m4.seasonal_naive(insample, HORIZON, SEASON),
            "naive2": m4.naive2(insample, HORIZON, SEASON),
        }
        for label, table in forecasts.items():
            mine = table[table["series"].astype(str) == str(name)]
            candidates[label] = mine.sort_values("step").iloc[:, -1].to_numpy(dtype="float64")
        for label, forecast in candidates.items():
            rows[label].append(
                (m4.smape(actual, forecast), m4.mase(actual, forecast, insample, SEASON))
            )
    means = {k: np.nanmean(np.asarray(v), axis=0) for k, v in rows.items()}
    s2, m2 = means["naive2"]
    return {
        k: {"smape": float(s), "mase": float(m), "owa": m4.owa(s, m, s2, m2)}
        for k, (s, m) in means.items()
    }


def run(command: list[str]) -> float:
    """Run ``command`` (stdout shown); its wall time in seconds, or exit on failure."""
    start = time.perf_counter()
    done = subprocess.run(command, cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)})
    if done.returncode != 0:
        sys.exit(f"failed ({done.returncode}): {' '.join(command)}")
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--train", type=Path, default=TRAIN)
    parser.add_argument("--series", type=int, default=414, help="the first N series only")
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "m4_hourly.json")
    parser.add_argument("fit_flags", nargs="*", help="extra fit flags (after --)")
    args = parser.parse_args()
    fit, held = long_tables(args.train, args.series)
    with tempfile.TemporaryDirectory() as tmp:
        long = Path(tmp) / "m4h_long.csv"
        fit.to_csv(long, index=False)
        run_dir, future = Path(tmp) / "run", Path(tmp) / "future.csv"
        fit_command = [sys.executable, "-m", "forecast", "fit", str(long), "--series", "series",
                       "--time-col", "step", "--season", "24", "--horizon", "48",
                       "--out", str(run_dir), *args.fit_flags]  # fmt: skip
        fit_seconds = run(fit_command)
        predict_seconds = run(
            [
                sys.executable,
                "-m",
                "forecast",
                "predict",
                str(run_dir),
                str(long),
                "--out",
                str(future),
            ]  # fmt: skip
        )
        table = pd.read_csv(future)
        metrics = json.loads((run_dir / "metrics.json").read_text())
    keep = ["series", "step"]
    forecasts = {"predicted": table[[*keep, "predicted"]]}
    if "combined" in table:
        forecasts["combined"] = table[[*keep, "combined"]]
    result = {
        "series": args.series,
        "fit_command": " ".join(fit_command[2:]),
        "fit_seconds": round(fit_seconds, 1),
        "predict_seconds": round(predict_seconds, 1),
        "cpus": os.cpu_count(),
        "load_average": os.getloadavg(),
        "chosen": metrics.get("selection", {}).get("chosen"),
        "scores": scores(fit, held, forecasts),
    }
    print(f"\n{args.series} series, horizon {HORIZON}, the last {HORIZON} hours held back")
    print(f"{'':16}{'sMAPE':>9}{'MASE':>9}{'OWA':>9}")
    for name, s in result["scores"].items():
        print(f"{name:16}{s['smape']:9.3f}{s['mase']:9.3f}{s['owa']:9.3f}")
    print(f"fit {fit_seconds:.0f} s, predict {predict_seconds:.0f} s; chosen {result['chosen']}")
    args.out.write_text(json.dumps(result, indent=2) + "\n")


if __name__ == "__main__":
    main()
