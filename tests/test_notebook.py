"""The walkthrough notebook runs top to bottom (1 epoch, 1 seed, 2 models) and matches its
generator script."""

import os
from pathlib import Path

import nbclient
import nbformat

NB_DIR = Path(__file__).resolve().parents[1] / "notebooks"


def test_notebook_is_generated_and_committed_without_outputs():
    import importlib.util

    spec = importlib.util.spec_from_file_location("make_notebook", NB_DIR / "make_notebook.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    committed = nbformat.read(NB_DIR / "walkthrough.ipynb", as_version=4)
    assert [c.source for c in committed.cells] == [c.source for c in module.build().cells]
    assert all(not c.get("outputs") for c in committed.cells if c.cell_type == "code")


def test_notebook_executes(monkeypatch):
    env = {"FORECAST_NB_EPOCHS": "1", "FORECAST_NB_SEEDS": "1", "FORECAST_NB_UNITS": "4",
           "FORECAST_NB_MODELS": "rnn,gru", "TF_CPP_MIN_LOG_LEVEL": "3"}  # fmt: skip
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    # the kernel must import this checkout of the package
    root = str(NB_DIR.parent)
    monkeypatch.setenv(
        "PYTHONPATH", os.pathsep.join(filter(None, [root, os.environ.get("PYTHONPATH")]))
    )
    nb = nbformat.read(NB_DIR / "walkthrough.ipynb", as_version=4)
    client = nbclient.NotebookClient(
        nb, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(NB_DIR)}}
    )
    client.execute()
    text = "".join(
        o.get("text", "") + str(o.get("data", {}).get("text/markdown", ""))
        for c in nb.cells
        for o in c.get("outputs", [])
    )
    assert "persistence" in text and "test coverage: 80%" in text
    images = sum("image/png" in o.get("data", {}) for c in nb.cells for o in c.get("outputs", []))
    assert images >= 6
