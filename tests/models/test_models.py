"""One contract test over the whole registry (build, train, shapes, save/load, error bound)."""

import numpy as np
import pytest

from forecast.config import FitOptions
from forecast.data.io import read_series
from forecast.evaluation import metrics as ev
from forecast.evaluation.baselines import naive_baselines
from forecast.models.registry import REGISTRY, Architecture, build_model, count_params
from forecast.models.saving import load_keras_model
from forecast.training.fitting import train_one
from forecast.training.inference import predict_part
from forecast.training.preparation import prepare

# (model, max RMSE relative to persistence on the test windows of a noisy sine)
# (8 epochs reach 0.08-0.16 here; persistence is 1.0)
ERROR_BOUNDS = {"rnn": 0.5, "lstm": 0.5, "gru": 0.5, "hybrid": 0.5, "linear": 0.5}
CASES = [(name, "window") for name in sorted(REGISTRY)] + [("gru", "global"), ("linear", "global")]


def test_every_registered_model_has_a_bound():
    assert set(ERROR_BOUNDS) == set(REGISTRY)


@pytest.fixture(scope="module")
def prepared_sine(tmp_path_factory):
    from tests.conftest import synthetic_frame

    path = tmp_path_factory.mktemp("sine") / "sine.csv"
    synthetic_frame(240, period=12).to_csv(path, index=False)
    options = FitOptions(
        window=12, horizon=3, units=8, epochs=8, batch_size=16, patience=8, learning_rate=0.01
    )
    return prepare(read_series(path), options), options


@pytest.mark.parametrize("name, norm", CASES)
def test_model_contract(name, norm, prepared_sine, tmp_path):
    prepared, options = prepared_sine
    if norm == "global":
        prepared = prepare(prepared.series, options.replace(norm="global"))
    before = prepared.values.copy()
    model, result = train_one(name, prepared, options.replace(model=name, norm=norm), verbose=0)
    np.testing.assert_array_equal(prepared.values, before)  # inputs not mutated
    assert result.epochs_run >= 1 and len(result.history["val_loss"]) == result.epochs_run
    assert result.samples_per_second > 0

    predicted = predict_part(model, prepared)
    assert predicted.shape == (len(prepared.starts["test"]), 3)
    actual = prepared.actual("test")
    persistence = naive_baselines(prepared)["persistence"]
    ratio = ev.rmse(actual, predicted) / ev.rmse(actual, persistence)
    assert ratio < ERROR_BOUNDS[name], f"{name}/{norm}: RMSE {ratio:.2f} × persistence"

    path = tmp_path / "m.keras"
    model.save(path)
    loaded = load_keras_model(path)
    np.testing.assert_allclose(predict_part(loaded, prepared), predicted, rtol=1e-5, atol=1e-5)


def test_parameter_counts_follow_the_gate_equations():
    # SimpleRNN: u(u+f+1); GRU (reset_after): 3u(u+f+2); LSTM: 4u(u+f+1); head: u*h + h
    u, f, w, h = 8, 2, 10, 3
    head = u * h + h
    assert count_params(Architecture("rnn", w, f, h, u)) == u * (u + f + 1) + head
    assert count_params(Architecture("gru", w, f, h, u)) == 3 * u * (u + f + 2) + head
    assert count_params(Architecture("lstm", w, f, h, u)) == 4 * u * (u + f + 1) + head
    hybrid = 4 * u * (u + f + 1) + 3 * u * (2 * u + 2)
    assert count_params(Architecture("hybrid", w, f, h, u)) == hybrid + head
    assert count_params(Architecture("linear", w, f, h, u)) == w * f * h + h


@pytest.mark.parametrize("name", ["gru", "lstm"])
def test_recurrent_layers_keep_cudnn_eligible_settings(name, monkeypatch):
    import forecast.models.registry

    # as on a GPU machine
    monkeypatch.setattr(forecast.models.registry, "gpu_visible", lambda: True)
    model = build_model(Architecture(name, 10, 2, 3, 8))
    layer = model.get_layer(name)
    cfg = layer.get_config()
    assert cfg["activation"] == "tanh" and cfg["recurrent_activation"] == "sigmoid"
    assert cfg["recurrent_dropout"] == 0 and cfg["unroll"] is False
    if name == "gru":
        assert cfg["reset_after"] is True


@pytest.mark.parametrize("name", ["rnn", "gru", "lstm", "hybrid"])
def test_recurrent_loops_unroll_only_for_short_windows_without_a_gpu(name, monkeypatch):
    import forecast.models.registry

    def unrolled(window: int, gpu: bool) -> set[bool]:
        monkeypatch.setattr(forecast.models.registry, "gpu_visible", lambda: gpu)
        model = build_model(Architecture(name, window, 2, 3, 4))
        return {
            layer.get_config()["unroll"] for layer in model.layers if "unroll" in layer.get_config()
        }

    limit = forecast.models.registry.UNROLL_MAX_WINDOW
    short, long = limit, limit + 1
    assert unrolled(short, gpu=False) == {True}
    assert unrolled(long, gpu=False) == {False}
    assert unrolled(short, gpu=True) == {False}


@pytest.mark.parametrize(
    "name, layer_names",
    [
        ("rnn", ["simple_rnn", "simple_rnn_2"]),
        ("gru", ["gru", "gru_2"]),
        ("lstm", ["lstm", "lstm_2"]),
        ("hybrid", ["lstm", "lstm_2", "gru"]),
    ],
)
def test_layers_stack_recurrent_layers(name, layer_names):
    model = build_model(Architecture(name, 10, 2, 3, 8, layers=2))
    recurrent = [layer.name for layer in model.layers if hasattr(layer, "cell")]
    assert recurrent == layer_names
    # two GRU layers: the second sees u inputs, 3u(u+u+2)
    if name == "gru":
        assert count_params(Architecture("gru", 10, 2, 3, 8, layers=2)) == (
            3 * 8 * (8 + 2 + 2) + 3 * 8 * (8 + 8 + 2) + 8 * 3 + 3
        )


def test_ensemble_is_the_mean_of_its_members_and_round_trips(prepared_sine, tmp_path):
    prepared, options = prepared_sine
    opts = options.replace(model="gru", epochs=1, ensemble=2)
    ensemble, result = train_one("gru", prepared, opts, verbose=0)
    members = [layer for layer in ensemble.layers if layer.name.startswith("gru_member_")]
    assert len(members) == 2 and result.epochs_run == 2
    x = next(iter(prepared.dataset("test", 8, with_targets=False)))
    mean = (np.asarray(members[0](x)) + np.asarray(members[1](x))) / 2
    np.testing.assert_allclose(np.asarray(ensemble(x)), mean, rtol=1e-5, atol=1e-5)
    # members differ (seeds seed and seed + 1)
    assert not np.allclose(members[0].get_weights()[0], members[1].get_weights()[0])
    ensemble.save(tmp_path / "e.keras")
    loaded = load_keras_model(tmp_path / "e.keras")
    np.testing.assert_allclose(np.asarray(loaded(x)), np.asarray(ensemble(x)), atol=1e-5)


def test_highway_starts_at_the_ridge_solution(prepared_sine):
    from forecast.training.fitting import build_for, start_highway_at_ridge, train_linear

    prepared, options = prepared_sine
    opts = options.replace(model="gru", highway=True)
    model = build_for("gru", prepared.prep, opts)
    start_highway_at_ridge(model, prepared, opts)
    linear, _ = train_linear(prepared, opts)
    np.testing.assert_allclose(
        predict_part(model, prepared), predict_part(linear, prepared), rtol=1e-4, atol=1e-4
    )


def test_highway_stays_at_the_ridge_solution_while_the_recurrent_path_trains(
    prepared_sine, tmp_path
):
    from forecast.training.fitting import train_linear

    prepared, options = prepared_sine
    opts = options.replace(model="gru", highway=True, epochs=2)
    model, _ = train_one("gru", prepared, opts, verbose=0)
    linear, _ = train_linear(prepared, opts)
    for got, want in zip(
        model.get_layer("highway").get_weights(),
        linear.get_layer("forecast").get_weights(),
        strict=True,
    ):
        np.testing.assert_allclose(got, want, rtol=1e-6)
    assert np.abs(model.get_layer("forecast").get_weights()[0]).max() > 0  # it learned
    model.save(tmp_path / "h.keras")
    loaded = load_keras_model(tmp_path / "h.keras")
    np.testing.assert_allclose(
        predict_part(loaded, prepared), predict_part(model, prepared), atol=1e-5
    )
