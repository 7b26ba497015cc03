"""docs/api.md: every ```python block marked ``<!-- tested -->`` runs as written, in a temporary
directory holding data/weather.csv, so a broken example or a changed API fails here."""

from __future__ import annotations

import re
import shutil

import matplotlib.figure
import pandas as pd

import forecast
from tests.conftest import ROOT, WEATHER

DOC = ROOT / "docs" / "api.md"
# the marker, then (blank lines allowed) a fenced python block
TESTED = re.compile(r"<!-- tested -->\s*\n```python\n(.*?)\n```", re.DOTALL)


def marked_blocks() -> list[str]:
    return TESTED.findall(DOC.read_text(encoding="utf-8"))


def test_doc_marks_its_examples():
    blocks = marked_blocks()
    assert len(blocks) >= 2
    assert "forecast.fit(" in blocks[0] and "forecast.compare(" in blocks[0]
    # every python block is either tested or deliberately not: no block silently skipped
    assert len(re.findall(r"^```python$", DOC.read_text(encoding="utf-8"), re.M)) == len(blocks)


def test_doc_lists_every_public_name():
    text = DOC.read_text(encoding="utf-8")
    missing = [name for name in forecast.__all__ if f"`{name}" not in text]
    assert not missing, f"docs/api.md does not mention {missing}"


def test_doc_examples_run(tmp_path, monkeypatch, capsys):
    (tmp_path / "data").mkdir()
    shutil.copy(WEATHER, tmp_path / "data" / "weather.csv")
    monkeypatch.chdir(tmp_path)
    namespaces = []
    for i, code in enumerate(marked_blocks()):
        namespace: dict = {"__name__": f"docs_api_block_{i}"}
        exec(compile(code, f"{DOC}:tested block {i + 1}", "exec"), namespace)
        namespaces.append(namespace)
    quick = namespaces[0]
    printed = capsys.readouterr().out

    run = quick["run"]
    assert isinstance(run, forecast.Run)
    assert run.path.resolve() == (tmp_path / "runs" / "api-example-fit").resolve()
    assert list(run.table.index) == ["gru", "persistence", "seasonal_naive", "linear"]
    assert list(run.table.columns) == ["rmse", "mae", "smape", "mase", "skill_vs_persistence"]
    assert run.config["epochs"] == 3 and run.config["units"] == 16
    assert run.verdict.startswith("verdict: ") and run.verdict in printed
    future = quick["future"]
    assert len(future) == run.metrics["horizon"] == 7
    assert pd.Timestamp(future["timestamp"].iloc[0]) == pd.Timestamp("2016-01-01")
    assert isinstance(quick["fig"], matplotlib.figure.Figure)
    assert quick["again"].metrics == run.metrics

    cmp = quick["cmp"]
    assert isinstance(cmp, forecast.Comparison)
    assert {"rnn", "gru", "persistence", "linear"} <= set(cmp.table.index)
    assert cmp.best in cmp.table.index
    assert cmp.table.loc[cmp.best, "rmse"] == cmp.table["rmse"].min()
    assert cmp.best_model in ("rnn", "gru")
    assert quick["gru"].path.name == "gru-seed42" and quick["gru"].metrics["model"] == "gru"

    lin = quick["lin"]
    assert (lin.path / "data.parquet").is_file()
    assert lin.metrics["target"] == "temp_max"
    assert list(lin.table.index) == ["linear", "persistence", "seasonal_naive"]

    assert "--window 5000" in printed and "the CSV has 1461" in printed
    assert sorted(p.name for p in (tmp_path / "runs").iterdir()) == [
        "api-example-compare",
        "api-example-fit",
        "api-example-frame",
    ]  # the failed fit wrote nothing
