"""``forecast compare``'s Diebold–Mariano p-values recomputed from each run's predictions.csv and
combination weight (issue 22): every row, the ``+linear`` combinations included, against the best
row and against persistence, at the comparison's horizon.

The test failed when the combination rows were scored with the model and the linear baseline
swapped (issue 22's closing note)."""

from __future__ import annotations

import json

import pandas as pd
import pytest
from click.testing import CliRunner

from forecast.cli import cli
from tests.conftest import synthetic_frame
from tests.dm_reference import dm_reference, origin_losses_of

TINY = ["--epochs", "1", "--window", "8", "--horizon", "2", "--units", "4", "--quiet"]


@pytest.fixture(scope="module")
def compared(tmp_path_factory):
    root = tmp_path_factory.mktemp("cmpmath")
    csv = root / "sine.csv"
    synthetic_frame(160).to_csv(csv, index=False)
    out = root / "out"
    args = ["compare", csv, "--models", "rnn", "--seeds", "1", "--baselines", "-gbm", *TINY]
    result = CliRunner().invoke(cli, [str(a) for a in [*args, "--out", out]])
    assert result.exit_code == 0, result.output
    return out


def test_every_row_p_value_recomputed_from_the_runs_predictions(compared):
    data = json.loads((compared / "comparison.json").read_text())
    run = compared / "rnn-seed42"
    rows = pd.read_csv(run / "predictions.csv")
    weight = json.loads((run / "metrics.json").read_text())["combination"]["weight"]
    assert 0.05 < abs(weight - 0.5)  # the combination tells model from linear
    rows["combined"] = weight * rows["predicted"] + (1 - weight) * rows["linear"]
    columns = {"rnn": "predicted", "rnn+linear": "combined"}
    losses = {
        r["model"]: origin_losses_of(rows, columns.get(r["model"], r["model"].split("(")[0]))
        for r in data["rows"]
    }
    assert set(losses) == {"rnn", "rnn+linear", "persistence", "seasonal_naive(7)", "linear"}
    best = next(r["model"] for r in data["rows"] if r["best"])
    for r in data["rows"]:
        for key, other in [("dm_p_vs_best", best), ("dm_p_vs_persistence", "persistence")]:
            _, p = dm_reference(losses[r["model"]], losses[other], 2)
            assert r[key] == pytest.approx(p, rel=1e-2, abs=1e-4), (r["model"], key)
