"""Every kind of saved run reloads in a fresh process (issue 21, item 1).

The runs are trained here, in the test process; every load happens in a subprocess that never
trained anything, so a layer registered only as a side effect of training (the SegRNN layers
were) cannot hide a broken loader. One subprocess loads every kind of run: the loader registers
every layer module before it deserialises anything (``saving.LAYER_MODULES``), so the first load
leaves nothing for the next one that a process of its own would not have.
"""

from __future__ import annotations

import ast
import json
import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

import forecast
from forecast.models import saving

ROOT = Path(__file__).resolve().parents[1]
WEATHER = ROOT / "data" / "weather.csv"
STOCKS_LONG = ROOT / "data" / "stocks_long.csv"
TINY = {"epochs": 1, "units": 4, "window": 7, "horizon": 3, "norm": "window", "loss": "mse"}
WIDE = {**TINY, "window": 14}  # two segments of 7


def fresh(*args: str) -> subprocess.CompletedProcess:
    """``python ARGS`` in a new process that imports this checkout's ``forecast``."""
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]),
    }
    env["TF_CPP_MIN_LOG_LEVEL"] = "3"
    done = subprocess.run([sys.executable, *args], capture_output=True, text=True, env=env)
    assert done.returncode == 0, done.stderr[-2000:]
    return done


def registering_modules() -> set[str]:
    """Modules of the package whose source calls ``register_keras_serializable``."""
    found = set()
    for path in (ROOT / "forecast").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Attribute) and node.attr == "register_keras_serializable":
                parts = path.relative_to(ROOT).with_suffix("").parts
                found.add(".".join(parts))
    return found


def test_the_loader_imports_every_module_that_registers_layers():
    assert registering_modules() == set(saving.LAYER_MODULES)
    assert "forecast.models.segment" in saving.LAYER_MODULES


@pytest.fixture(scope="module")
def small_csv(tmp_path_factory) -> Path:
    """The first 400 days of data/weather.csv."""
    path = tmp_path_factory.mktemp("data") / "weather400.csv"
    pd.read_csv(WEATHER).head(400).to_csv(path, index=False)
    return path


@pytest.fixture(scope="module")
def saved(tmp_path_factory, small_csv) -> dict[str, tuple[Path, Path]]:
    """Every kind of saved run, trained in this process: name → (directory, its CSV)."""
    root = tmp_path_factory.mktemp("runs")
    csv = small_csv
    tuned = forecast.tune(csv, model="gru", trials=1, out=root / "tune", **TINY)
    best = root / "tune" / "best.toml"
    assert tuned.out == root / "tune" and best.is_file()
    forecast.fit(csv, config=best, out=root / "tuned")
    forecast.fit(csv, segment=7, out=root / "segment", **WIDE)
    forecast.fit(STOCKS_LONG, series="symbol", out=root / "series", **TINY)
    forecast.fit(csv, ensemble=2, highway=True, out=root / "ensemble_highway", **TINY)
    forecast.compare(
        csv, models="gru", seeds=1, segments="7", baselines="-gbm", out=root / "compare", **WIDE
    )
    forecast.backtest(csv, model="linear", folds=2, out=root / "backtest", **TINY)
    return {
        "tuned": (root / "tuned", csv),
        "segment": (root / "segment", csv),
        "series": (root / "series", STOCKS_LONG),
        "ensemble_highway": (root / "ensemble_highway", csv),
        "compare": (root / "compare", csv),
        "backtest": (root / "backtest", csv),
    }


def test_cli_predict_of_a_segment_run_in_a_new_process(saved):
    run, _ = saved["segment"]
    out = run.parent / "segment_future.csv"
    done = fresh("-m", "forecast", "predict", str(run), "--out", str(out))
    assert f"wrote {out}" in done.stdout
    future = pd.read_csv(out)
    assert len(future) == TINY["horizon"]
    # the same numbers as the process that trained it gets from the same file
    here = forecast.load(run).predict()
    assert future["predicted"].to_numpy() == pytest.approx(here["predicted"].to_numpy(), rel=1e-5)


LOAD_ALL = """
import contextlib, io, json, sys
import pandas as pd
import forecast
from forecast.cli import cli

def command(*args):
    text = io.StringIO()
    with contextlib.redirect_stdout(text):
        try:
            cli.main([str(a) for a in args], prog_name="forecast")
        except SystemExit as e:  # the command line always exits; 0 is success
            assert e.code == 0, (args, e.code)
    return text.getvalue()

out = {}
for name, (path, csv) in json.loads(sys.argv[1]).items():
    loaded = forecast.load(path)
    if name == "backtest":
        out[name] = {"type": type(loaded).__name__, "folds": sorted(set(loaded.folds["fold"]))}
        continue
    run = loaded.run(loaded.best_model) if name == "compare" else loaded
    future = run.predict()
    command("predict", run.path, "--out", run.path / "cli_future.csv")
    cli_future = pd.read_csv(run.path / "cli_future.csv")
    table = command("evaluate", run.path, csv)
    model_row = next(line.split() for line in table.splitlines() if line.startswith("gru"))
    out[name] = {
        "type": type(loaded).__name__,
        "rows": len(future),
        "finite": bool(future["predicted"].notna().all()),
        "cli_same": bool(((cli_future["predicted"] / future["predicted"]) - 1).abs().max() < 1e-5),
        "cli_row": model_row,
        "saved_rmse": run.metrics["rmse"],
    }
print(json.dumps(out))
"""


def test_every_kind_of_run_predicts_and_evaluates_in_a_new_process(saved):
    """``forecast.load(...).predict()`` and the ``predict`` and ``evaluate`` commands on every
    kind of run, in one process that trained nothing."""
    paths = {name: [str(path), str(csv)] for name, (path, csv) in saved.items()}
    done = fresh("-c", LOAD_ALL, json.dumps(paths))
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result.pop("backtest") == {"type": "Backtest", "folds": [1, 2]}
    assert set(result) == {"tuned", "segment", "series", "ensemble_highway", "compare"}
    symbols = pd.read_csv(STOCKS_LONG)["symbol"].nunique()
    for name, got in result.items():
        assert got["type"] == ("Comparison" if name == "compare" else "Run"), name
        rows = TINY["horizon"] * (symbols if name == "series" else 1)
        assert got["rows"] == rows and got["finite"] and got["cli_same"], name
        # the reloaded model is the scored one: evaluate on the same CSV gives fit's test RMSE
        assert f"{got['saved_rmse']:.4g}" in got["cli_row"], name  # the table's 4 digits
