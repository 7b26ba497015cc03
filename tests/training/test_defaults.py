"""Defaults chosen by the data: which options become ``auto`` and which keep the fixed values."""

import numpy as np
import pandas as pd
import pytest

from forecast.config import FitOptions
from forecast.data.io import STEP_FREQ, Series
from forecast.data.layout import Layout
from forecast.training.defaults import by_the_data, sub_daily
from forecast.training.search import provisional


def series(freq: str, values, layout: Layout | None = None) -> Series:
    frame = pd.DataFrame({"y": np.asarray(values, dtype="float32")})
    return Series(frame, "time", freq, [], layout)


def chosen(s: Series, **given) -> tuple:
    o = by_the_data(s, FitOptions(**given)).options
    return o.window, o.segment, o.norm, o.loss


@pytest.mark.parametrize(
    "freq, expected",
    [("h", True), ("15min", True), ("D", False), ("B", False), ("MS", False), (STEP_FREQ, False)],
)
def test_sub_daily(freq, expected):
    assert sub_daily(freq) is expected


def test_hourly_rows_choose_window_and_segment_on_validation():
    assert chosen(series("h", range(1, 50))) == ("auto", "auto", "window", "mse")


def test_daily_rows_keep_the_fixed_defaults():
    assert chosen(series("D", range(1, 50))) == (30, 1, "window", "mse")


def test_steps_choose_only_with_a_season():
    assert chosen(series(STEP_FREQ, range(1, 50)), season=24)[:2] == ("auto", "auto")
    assert chosen(series(STEP_FREQ, range(1, 50)))[:2] == (30, 1)


def test_several_positive_series_choose_norm_and_loss():
    layout = Layout("s", ("a", "b"), (0, 20, 40))
    assert chosen(series("D", range(1, 41), layout)) == (30, 1, "auto", "auto")
    signed = series("D", np.arange(40) - 5.0, layout)  # no logs of a non-positive target
    assert chosen(signed) == (30, 1, "window", "auto")


def test_given_options_are_kept():
    assert chosen(series("h", range(1, 50)), window=48, norm="global") == (48, 1, "global", "mse")
    layout = Layout("s", ("a", "b"), (0, 20, 40))
    assert chosen(series("h", range(1, 41), layout), loss="mse")[3] == "mse"


def test_reasons_name_every_option_set_by_the_data():
    reasons = by_the_data(series("h", range(1, 50)), FitOptions(window=24)).reasons
    assert set(reasons) == {"segment", "norm", "loss"}


def test_norm_and_loss_are_chosen_at_the_longest_window_up_to_a_week():
    pairs = [(24, 1), (48, 1), (48, 24), (96, 24), (168, 24), (336, 24)]
    assert provisional(pairs, 24) == (168, 24)
    assert provisional([(7, 1), (14, 1), (14, 7)], 7) == (14, 7)


def test_series_choice_is_made_by_mean_validation_mase(tmp_path):
    """Norm and loss of a --series fit are chosen in turn by the mean per-series validation
    MASE: the norm among the MSE candidates, then the loss at that norm."""
    from forecast.data.prepared import load_series_for
    from forecast.training.search import choose_on_validation

    t = np.arange(120)
    rows = []
    for name, level in [("small", 3.0), ("large", 3000.0)]:
        y = level * (2 + np.sin(2 * np.pi * t / 6) + 0.1 * np.cos(t / 5.0))
        rows.append(pd.DataFrame({"s": name, "step": t, "y": y}))
    path = tmp_path / "long.csv"
    pd.concat(rows).to_csv(path, index=False)
    options = FitOptions(
        series="s", time_col="none", features="target", target="y", season=6, horizon=3,
        window=12, segment=6, norm="auto", loss="auto", epochs=2, units=4, calendar="none",
    )  # fmt: skip
    s = load_series_for(path, options)
    picked = choose_on_validation(s, options, verbose=0, log=lambda m: None)
    grid = picked.grid
    assert picked.metric == "val_mase" and len(grid) == 3
    assert {(g["norm"], g["loss"]) for g in grid} >= {("window", "mse"), ("level", "mse")}
    first_two = [g for g in grid if g["loss"] == "mse"]
    norm = min(first_two, key=lambda g: g["val_mase"])["norm"]
    assert picked.options.norm == norm
    same_norm = [g for g in grid if g["norm"] == norm]
    assert picked.options.loss == min(same_norm, key=lambda g: g["val_mase"])["loss"]
    assert picked.record()["chosen"] == {"window": 12, "segment": 6, "norm": norm,
                                         "loss": picked.options.loss}  # fmt: skip
