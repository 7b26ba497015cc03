"""``--norm level``: the target in logs, each window relative to the mean of its last season."""

import numpy as np
import pandas as pd
import pytest

from forecast.data.preprocess import from_model_units, model_units
from forecast.errors import ForecastError


def test_subtract_level_and_add_it_back_by_hand():
    from forecast.models.layers import AddLastTarget, SubtractLast

    x = np.array([[[1.0, 10.0], [2.0, 20.0], [4.0, 40.0], [6.0, 60.0]]], dtype="float32")
    out = np.asarray(SubtractLast(None, rows=3)(x))
    # level of the last three rows: (2 + 4 + 6) / 3 = 4 and 40
    np.testing.assert_allclose(out[0, :, 0], [-3.0, -2.0, 0.0, 2.0])
    np.testing.assert_allclose(out[0, :, 1], [-30.0, -20.0, 0.0, 20.0])
    only_first = np.asarray(SubtractLast(1, rows=2)(x))  # the second column kept absolute
    np.testing.assert_allclose(only_first[0, :, 0], [-4.0, -3.0, -1.0, 1.0])
    np.testing.assert_allclose(only_first[0, :, 1], x[0, :, 1])
    change = np.array([[1.0, -1.0]], dtype="float32")
    added = np.asarray(AddLastTarget(1, rows=2)([change, x]))
    np.testing.assert_allclose(added, [[51.0, 49.0]])  # (40 + 60) / 2 = 50
    config = SubtractLast(None, rows=3).get_config()
    assert SubtractLast.from_config(config).rows == 3


def test_model_units_take_the_log_of_the_target_only():
    values = np.array([[-1.0, np.e], [0.0, 1.0]])
    logged = model_units(values, ["a", "y"], "y", "level")
    np.testing.assert_allclose(logged, [[-1.0, 1.0], [0.0, 0.0]])
    assert model_units(values, ["a", "y"], "y", "window") is values

    class Prep:
        norm = "level"

    np.testing.assert_allclose(from_model_units(np.array([0.0, 1.0]), Prep), [1.0, np.e])


def test_a_non_positive_target_is_refused_with_the_fix():
    values = np.array([[3.0], [0.0]])
    with pytest.raises(ForecastError, match=r"'y' is 0 at line 3.*use --norm window"):
        model_units(values, ["y"], "y", "level")


def test_level_fit_is_scale_equivariant_per_series(tmp_path):
    """A global model on series of very different levels: multiplying one series by 1000 leaves
    its forecast exactly 1000 times as large (its windows are the same in log units relative to
    their level)."""
    from forecast.config import FitOptions
    from forecast.data.prepared import load_series_for
    from forecast.training.fitting import train_one
    from forecast.training.inference import predict_part
    from forecast.training.preparation import prepare

    rng = np.random.default_rng(0)
    t = np.arange(160)

    def table(factor: float) -> pd.DataFrame:
        rows = []
        for name, base in [("a", 50.0), ("b", 5.0)]:
            y = base * (1.5 + np.sin(2 * np.pi * t / 8) * 0.3 + 0.05 * rng.standard_normal(160))
            y = y * (factor if name == "a" else 1.0)
            rows.append(pd.DataFrame({"series": name, "step": t, "value": y}))
        return pd.concat(rows)

    rng = np.random.default_rng(0)
    first = tmp_path / "one.csv"
    table(1.0).to_csv(first, index=False)
    rng = np.random.default_rng(0)
    scaled = tmp_path / "scaled.csv"
    table(1000.0).to_csv(scaled, index=False)
    options = FitOptions(
        model="gru",
        series="series",
        time_col="none",
        features="target",
        target="value",
        season=8,
        window=16,
        segment=8,
        horizon=4,
        norm="level",
        loss="mae",
        epochs=2,
        units=8,
        calendar="none",
        combine="none",
    )
    forecasts = []
    for path in (first, scaled):
        prepared = prepare(load_series_for(path, options), options)
        model, _ = train_one("gru", prepared, options, verbose=0)
        forecasts.append((predict_part(model, prepared, "test"), prepared.series_ids("test")))
    (f1, ids), (f2, _) = forecasts
    np.testing.assert_allclose(f2[ids == 0], 1000 * f1[ids == 0], rtol=1e-4)
    np.testing.assert_allclose(f2[ids == 1], f1[ids == 1], rtol=1e-4)
    assert (f1 > 0).all()
