"""The ridge baseline gives the same numbers on one BLAS thread as on every core: a `--jobs`
worker (OMP_NUM_THREADS=1) and the main process must agree. Fold 3 of data/weather.csv's default
backtest is where OpenBLAS's 1- and 2-thread sums once differed (by 1e-5 in the losses)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pandas as pd

import forecast

ROOT = Path(__file__).resolve().parents[2]
ARGS = {"folds": 5, "only_folds": [3], "calendar": "auto"}


def test_one_blas_thread_gives_the_numbers_of_every_core(tmp_path):
    here = forecast.backtest(ROOT / "data" / "weather.csv", "linear", out=tmp_path / "a", **ARGS)
    env = {**os.environ, "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1"}
    command = [sys.executable, "-m", "forecast", "backtest", str(ROOT / "data" / "weather.csv")]
    command += ["--model", "linear", "--folds", "5", "--only-folds", "3", "--quiet"]
    command += ["--out", str(tmp_path / "b")]
    subprocess.run(command, env=env, check=True, capture_output=True, cwd=tmp_path)
    one = pd.read_csv(tmp_path / "b" / "origins.csv")
    every = pd.read_csv(here.path / "origins.csv")
    pd.testing.assert_frame_equal(one, every, check_exact=True)
