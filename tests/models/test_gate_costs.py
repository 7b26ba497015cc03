"""The gate-cost formulas against the parameter counts Keras reports, for several sizes."""

import pytest

from forecast.models import gate_costs as gc
from forecast.models.registry import REGISTRY, Architecture, count_params

SIZES = [(1, 1), (4, 1), (8, 3), (16, 5), (33, 2)]  # (units, features)


@pytest.mark.parametrize("units,features", SIZES)
@pytest.mark.parametrize("name", sorted(REGISTRY))
def test_formula_matches_keras(name, units, features):
    window, horizon = 6, 3
    keras_count = count_params(Architecture(name, window, features, horizon, units))
    assert gc.total_params(name, window, features, horizon, units) == keras_count


@pytest.mark.parametrize("units,features", SIZES)
def test_the_textbook_formulas(units, features):
    u, f = units, features
    assert gc.recurrent_params("rnn", u, f) == u * (u + f + 1)
    assert gc.recurrent_params("gru", u, f) == 3 * u * (u + f + 2)
    assert gc.recurrent_params("lstm", u, f) == 4 * u * (u + f + 1)
    assert gc.recurrent_params("hybrid", u, f) == 4 * u * (u + f + 1) + 3 * u * (u + u + 2)


def test_weather_compare_counts():
    # README's weather comparison: units 64, 4 input columns, horizon 7
    counts = {m: gc.total_params(m, 30, 4, 7, 64) for m in ("rnn", "gru", "lstm", "hybrid")}
    assert counts == {"rnn": 4871, "gru": 13895, "lstm": 18119, "hybrid": 43079}


def test_every_registered_model_has_a_formula():
    assert set(gc.FORMULAS) == set(REGISTRY)
    with pytest.raises(KeyError, match="no parameter formula for 'tcn'"):
        gc.recurrent_params("tcn", 4, 1)
