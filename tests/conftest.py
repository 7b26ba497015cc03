"""Shared fixtures: small synthetic CSVs written in the test, the shipped data, figure cleanup."""

from __future__ import annotations

import os
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
WEATHER = ROOT / "data" / "weather.csv"
STOCK = ROOT / "data" / "stock.csv"


def synthetic_frame(
    n: int = 200, freq: str = "D", seed: int = 0, period: float = 12.0
) -> pd.DataFrame:
    """A noisy sine target ``y`` with a related input ``x`` and a time column ``date``."""
    rng = np.random.default_rng(seed)
    t = np.arange(n)
    y = 10 + 3 * np.sin(2 * np.pi * t / period) + rng.normal(0, 0.1, n)
    x = np.cos(2 * np.pi * t / period) + rng.normal(0, 0.1, n)
    return pd.DataFrame({"date": pd.date_range("2020-01-01", periods=n, freq=freq), "x": x, "y": y})


@pytest.fixture
def write_csv(tmp_path):
    """``write_csv(frame_or_text, name)`` → path of a CSV in the test's temp dir."""

    def write(content, name: str = "data.csv") -> Path:
        path = tmp_path / name
        if isinstance(content, pd.DataFrame):
            content.to_csv(path, index=False)
        elif isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content)
        return path

    return write


@pytest.fixture
def sine_csv(write_csv) -> Path:
    return write_csv(synthetic_frame())


@pytest.fixture(autouse=True)
def close_figures():
    yield
    import matplotlib.pyplot as plt

    plt.close("all")


def default_sigint() -> None:
    """``preexec_fn`` for a child that must react to SIGINT as in a terminal: a shell's background
    job (``pytest ... &``, some CI runners) starts with SIGINT ignored, the child would inherit
    that, and Python installs no KeyboardInterrupt handler where SIGINT is ignored at start."""
    import signal

    signal.signal(signal.SIGINT, signal.SIG_DFL)
