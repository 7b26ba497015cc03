"""Segment-wise recurrence: every recurrent architecture with ``segment > 1`` builds, trains,
forecasts, round-trips through model.keras with safe_mode, and matches its parameter formula."""

import numpy as np
import pytest

from forecast.config import FitOptions
from forecast.data.io import read_series
from forecast.errors import ForecastError
from forecast.evaluation import metrics as ev
from forecast.evaluation.baselines import naive_baselines
from forecast.models.gate_costs import total_params
from forecast.models.registry import REGISTRY, Architecture, build_model, count_params
from forecast.models.saving import load_keras_model
from forecast.training.fitting import train_one
from forecast.training.inference import predict_part
from forecast.training.preparation import prepare
from tests.conftest import synthetic_frame

RECURRENT = [name for name, spec in REGISTRY.items() if spec.recurrent]


@pytest.fixture(scope="module")
def prepared_sine(tmp_path_factory):
    path = tmp_path_factory.mktemp("sine") / "sine.csv"
    synthetic_frame(260, period=12).to_csv(path, index=False)
    options = FitOptions(
        window=12, horizon=5, units=8, epochs=10, batch_size=16, patience=10, learning_rate=0.01
    )
    return prepare(read_series(path), options), options


@pytest.mark.parametrize("segment", [4, 5])  # 12 rows: 3 segments; 5 does not divide: padded
@pytest.mark.parametrize("name", RECURRENT)
def test_segment_model_contract(name, segment, prepared_sine, tmp_path):
    prepared, options = prepared_sine
    opts = options.replace(model=name, segment=segment)
    model, result = train_one(name, prepared, opts, verbose=0)
    assert model.get_layer("segments").segment == segment
    predicted = predict_part(model, prepared)
    assert predicted.shape == (len(prepared.starts["test"]), 5)
    actual = prepared.actual("test")
    persistence = naive_baselines(prepared)["persistence"]
    assert ev.rmse(actual, predicted) / ev.rmse(actual, persistence) < 0.6
    path = tmp_path / "m.keras"
    model.save(path)
    loaded = load_keras_model(path)  # safe_mode: registered layers only
    np.testing.assert_allclose(predict_part(loaded, prepared), predicted, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("name", RECURRENT)
@pytest.mark.parametrize("window, segment, horizon", [(96, 24, 24), (30, 7, 7), (12, 12, 5)])
def test_segment_parameter_formula_matches_keras(name, window, segment, horizon):
    arch = Architecture(name, window, 3, horizon, 16, segment=segment)
    assert count_params(arch) == total_params(name, window, 3, horizon, 16, segment)


def test_segment_steps_and_padding():
    assert Architecture("gru", 96, 1, 24, segment=24).steps == 4
    assert Architecture("gru", 30, 1, 7, segment=7).steps == 5  # 30 rows padded to 35
    assert Architecture("linear", 30, 1, 7, segment=7).steps == 30  # no recurrence to segment
    model = build_model(Architecture("gru", 30, 2, 7, 4, segment=7))
    x = np.random.default_rng(0).normal(size=(3, 30, 2)).astype("float32")
    # padding repeats the oldest row: prepending copies of it does not change the forecast
    padded = np.concatenate([np.repeat(x[:, :1], 5, axis=1), x], axis=1)
    wider = build_model(Architecture("gru", 35, 2, 7, 4, segment=7))
    wider.set_weights(model.get_weights())
    np.testing.assert_allclose(model(x), wider(padded), rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize(
    "options, message",
    [
        (dict(window=10, segment=12), "--segment 12 is longer than --window 10"),
        (dict(segment=0), "--segment 0 must be a positive integer or auto"),
        (dict(segment=5, highway=True), "--highway works with point-wise models only"),
    ],
)
def test_bad_segment_options(options, message):
    with pytest.raises(ForecastError, match=message):
        FitOptions(**options)
