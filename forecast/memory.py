"""Long-memory check: can each architecture recall a value it saw ``L`` steps ago?

Each sequence has ``L`` steps and two channels: a value channel (uniform noise in [-1, 1]) and a
marker channel that is 1 only at the first step. The target is the value at the marked first step,
to be output after the last step. A model that remembers nothing can only predict the mean, so the
error is reported as normalised MSE (MSE / variance of the targets): 0 is perfect recall, 1 is no
memory at all. SimpleRNN is expected to fail first as ``L`` grows; LSTM and GRU later.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from forecast import runs
from forecast.errors import ForecastError

DEFAULT_LENGTHS = (5, 10, 20, 40, 80)
EPOCHS = 15
UNITS = 32
N_TRAIN = 768
N_TEST = 256
BATCH = 32
LEARNING_RATE = 3e-3


def parse_lengths(text: str) -> list[int]:
    """``"5,10,20"`` → ``[5, 10, 20]``; each length must be an integer >= 2."""
    try:
        lengths = [int(x) for x in text.split(",") if x.strip()]
    except ValueError:
        lengths = []
    if not lengths or min(lengths) < 2:
        raise ForecastError(
            f"--lengths {text!r} must be integers >= 2 separated by commas; e.g. --lengths 5,10,20"
        )
    return sorted(set(lengths))


def make_task(n: int, length: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """``x`` ``(n, length, 2)`` float32 (value, marker) and ``y`` ``(n, 1)``: the first value."""
    rng = np.random.default_rng(seed)
    x = np.zeros((n, length, 2), dtype="float32")
    x[:, :, 0] = rng.uniform(-1, 1, size=(n, length))
    x[:, 0, 1] = 1.0
    return x, x[:, :1, 0].copy()


def normalised_mse(y: np.ndarray, predicted: np.ndarray) -> float:
    """MSE divided by the variance of ``y``: 1.0 is what predicting the mean achieves."""
    var = float(np.var(y))
    return float(np.mean((np.asarray(y) - np.asarray(predicted)) ** 2) / var) if var > 0 else 0.0


@dataclass
class MemoryResult:
    rows: list[dict]  # model, length, mse, nmse, params, seconds
    models: list[str]
    lengths: list[int]


def train_and_score(name, length, epochs, units, seed, n_train, n_test) -> dict:
    """One (model, L) cell: train on fresh sequences, score on held-out ones."""
    import keras

    from forecast.models import build_model
    from forecast.train import set_seed

    set_seed(seed)
    x, y = make_task(n_train, length, seed)
    x_test, y_test = make_task(n_test, length, seed + 1)
    model = build_model(name, length, 2, 1, units, norm="global")
    model.compile(optimizer=keras.optimizers.Adam(LEARNING_RATE), loss="mse")
    start = time.perf_counter()
    model.fit(x, y, batch_size=BATCH, epochs=epochs, verbose=0, shuffle=True)
    seconds = time.perf_counter() - start
    predicted = model.predict(x_test, batch_size=256, verbose=0)
    return {
        "model": name,
        "length": length,
        "mse": float(np.mean((y_test - predicted) ** 2)),
        "nmse": normalised_mse(y_test, predicted),
        "params": int(model.count_params()),
        "train_seconds": seconds,
    }


def run_memory(
    models: list[str],
    lengths: list[int],
    out: Path,
    epochs: int | None = None,
    units: int | None = None,
    seed: int = 42,
    overwrite: bool = False,
    log=print,
    n_train: int = N_TRAIN,
    n_test: int = N_TEST,
) -> MemoryResult:
    """Every model at every length; writes memory.csv, memory.json and memory.png into ``out``."""
    runs.check_out_dir(out, overwrite)
    epochs, units = epochs or EPOCHS, units or UNITS
    rows = []
    with runs.staged_dir(out) as tmp:
        for name in models:
            for length in lengths:
                log(f"memory task: {name}, L={length} ...")
                rows.append(train_and_score(name, length, epochs, units, seed, n_train, n_test))
        result = MemoryResult(rows, list(models), list(lengths))
        pd.DataFrame(rows).to_csv(tmp / "memory.csv", index=False, float_format="%.6g")
        runs.write_json(
            tmp / "memory.json",
            {
                "task": "recall the first value after L steps of uniform noise",
                "metric": "nmse = MSE / Var(target); 1.0 = no memory",
                "epochs": epochs,
                "units": units,
                "n_train": n_train,
                "n_test": n_test,
                "seed": seed,
                "rows": rows,
            },
        )
        save_memory_plot(tmp / "memory.png", result)
    return result


def memory_table(result: MemoryResult) -> str:
    """Normalised MSE, one row per model, one column per length."""
    cells = {(r["model"], r["length"]): r["nmse"] for r in result.rows}
    head = f"{'nmse':10}" + "".join(f"{'L=' + str(n):>9}" for n in result.lengths)
    lines = [head]
    for m in result.models:
        lines.append(f"{m:10}" + "".join(f"{cells[m, n]:>9.3f}" for n in result.lengths))
    lines.append("(normalised MSE on held-out sequences: 0 = perfect recall, 1 = no memory)")
    return "\n".join(lines)


def plot_memory(ax, result: MemoryResult):
    """Normalised MSE against L for each model."""
    for m in result.models:
        rows = [r for r in result.rows if r["model"] == m]
        ax.plot([r["length"] for r in rows], [r["nmse"] for r in rows], marker="o", label=m)
    ax.axhline(1.0, color="grey", ls=":", label="no memory (predict the mean)")
    ax.set_xscale("log")
    ax.set_xticks(result.lengths, [str(n) for n in result.lengths])
    ax.set_xlabel("steps to remember L")
    ax.set_ylabel("normalised MSE")
    ax.legend()
    return ax


def save_memory_plot(path: Path, result: MemoryResult) -> None:
    from forecast.plots import plt, save

    fig, ax = plt.subplots(figsize=(7, 4.5), layout="constrained")
    plot_memory(ax, result).set_title("long-memory task: recall the first value after L steps")
    save(fig, path)
