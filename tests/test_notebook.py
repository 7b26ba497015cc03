"""The walkthrough notebook: committed executed (with outputs, so it reads on a code host), its
sources equal to its generator's, and still running top to bottom at the CI settings (1 epoch,
1 seed, 2 models, a 20-step adding problem)."""

import importlib.util
from pathlib import Path

import nbformat
import pytest

NB_DIR = Path(__file__).resolve().parents[1] / "notebooks"
MIN_IMAGES = 6


def generator():
    spec = importlib.util.spec_from_file_location("make_notebook", NB_DIR / "make_notebook.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def outputs(nb) -> list[dict]:
    return [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])]


def output_text(nb) -> str:
    return "".join(
        o.get("text", "")
        + str(o.get("data", {}).get("text/markdown", ""))
        + str(o.get("data", {}).get("text/plain", ""))
        for o in outputs(nb)
    )


def image_count(nb) -> int:
    return sum("image/png" in o.get("data", {}) for o in outputs(nb))


def check_story(nb) -> None:
    """What every execution must show, whatever its settings."""
    assert not [o for o in outputs(nb) if o.get("output_type") == "error"]
    assert not [o for o in outputs(nb) if o.get("name") == "stderr"], "stderr in the outputs"
    text = output_text(nb)
    for expected in (
        "persistence",  # the baselines are rows of both comparison tables
        "seasonal_naive",
        "linear",
        "BEST",
        "DM p vs best",
        "verdict:",
        "nominal 80 % →",  # the coverage line
        "formula count",
        "solved",
        "gradient ratio first/last step",
        "within noise of it:",  # section 8: the advice, built from the numbers
    ):
        assert expected in text, expected
    assert image_count(nb) >= MIN_IMAGES


@pytest.fixture(scope="module")
def committed():
    return nbformat.read(NB_DIR / "walkthrough.ipynb", as_version=4)


def test_committed_notebook_matches_its_generator(committed):
    built = generator().build()
    assert [(c.cell_type, c.source) for c in committed.cells] == [
        (c.cell_type, c.source) for c in built.cells
    ]


def test_committed_notebook_is_executed_with_the_realistic_settings(committed):
    code_cells = [c for c in committed.cells if c.cell_type == "code"]
    assert [c.execution_count for c in code_cells] == list(range(1, len(code_cells) + 1))
    check_story(committed)
    text = output_text(committed)
    # the defaults of the settings cell, not the CI ones
    assert "epochs <= 30, 2 seed(s), 32 units, models ['rnn', 'lstm', 'gru', 'hybrid']" in text
    prose = "".join(c.source for c in committed.cells if c.cell_type == "markdown")
    assert "Diebold" in prose and "adaptive conformal" in prose
    # volatile metadata stays out, so re-executing gives small diffs
    assert all("execution" not in c.metadata for c in committed.cells)
    assert committed.metadata.get("language_info") == {"name": "python"}
    assert "forecast-nb-" not in text, "temporary paths leak into the outputs"
    assert (NB_DIR / "walkthrough.ipynb").stat().st_size < 3_000_000


def test_notebook_executes_at_the_ci_settings():
    module = generator()
    nb = module.execute(module.build(), module.FAST_ENV, timeout=600)
    check_story(nb)
    assert "epochs <= 1, 1 seed(s), 4 units, models ['rnn', 'gru']" in output_text(nb)
