"""report.html: one self-contained page per run and comparison directory.

The structure of every page is always checked (parsed with ``html.parser``: title, table rows,
embedded images, no external reference, escaping); where Chromium is installed, the page is
also rendered headless to a screenshot and the pixels are checked."""

import base64
import io
import json
import shutil
import subprocess
from html.parser import HTMLParser

import numpy as np
import pytest
from click.testing import CliRunner

from forecast.cli import cli
from forecast.reporting import html

TINY = ["--epochs", "1", "--window", "10", "--horizon", "3", "--units", "4", "--quiet"]
VERDICT_RED = (0xFC, 0xE8, 0xE6)
VERDICT_GREEN = (0xE6, 0xF4, 0xEA)


class Page(HTMLParser):
    """What a page holds: title, tables (rows of cell texts), images, every reference."""

    def __init__(self, text: str):
        super().__init__()
        self.title, self.tables, self.images, self.refs, self.tags = "", [], [], [], set()
        self.verdict = ""
        self._in, self._cell, self._row = [], None, None
        self.feed(text)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        self.tags.add(tag)
        self._in.append((tag, attrs.get("class", "")))
        self.refs += [v for k, v in attrs.items() if k in ("src", "href", "action") and v]
        if tag == "img":
            self.images.append(attrs)
        elif tag == "table":
            self.tables.append([])
        elif tag == "tr":
            self._row = []
        elif tag in ("td", "th"):
            self._cell = ""

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self._cell is not None:
            self._row.append(self._cell)
            self._cell = None
        elif tag == "tr" and self._row is not None:
            self.tables[-1].append(self._row)
            self._row = None
        if self._in:
            self._in.pop()

    def handle_data(self, data):
        if self._cell is not None:
            self._cell += data
        if self._in and self._in[-1][0] == "title":
            self.title += data
        if self._in and "verdict" in self._in[-1][1]:
            self.verdict += data


def check_self_contained(page: Page) -> None:
    """No scripts, style sheets, frames or fonts from elsewhere; every image is an embedded PNG
    that decodes."""
    assert not page.tags & {"script", "link", "iframe", "object", "embed"}
    assert all(ref.startswith("data:image/png;base64,") for ref in page.refs), page.refs
    for img in page.images:
        png = base64.b64decode(img["src"].split(",", 1)[1], validate=True)
        assert png.startswith(b"\x89PNG\r\n\x1a\n")


def metrics_example(model: str = "gru") -> dict:
    scores = {"rmse": 2.0, "mae": 1.5, "smape": 10.0, "mase": 0.9}
    return {
        "model": model,
        "target": "y",
        "window": 10,
        "horizon": 3,
        "n_test_windows": 40,
        **scores,
        "baselines": {
            "persistence": {**scores, "rmse": 2.5},
            "seasonal_naive": {**scores, "rmse": 3.0, "season": 7},
            "linear": {**scores, "rmse": 2.2},
        },
        "skill_vs_persistence": 0.2,
    }


def with_series(metrics: dict, skills: list[float], p_values: list[float]) -> dict:
    """``metrics`` of a --series run whose series have these skills and DM p-values."""
    per = {}
    for k, (skill, p) in enumerate(zip(skills, p_values, strict=True)):
        per[f"s{k}"] = {
            **{key: metrics[key] for key in ("rmse", "mae", "smape", "mase", "baselines")},
            "n_test_windows": 8,
            "skill_vs_persistence": skill,
            "significance": {"vs_persistence": {"dm_stat": -skill, "p_value": p}},
        }
    return {**metrics, "per_series": per, "series": {"column": "site", "names": list(per)}}


@pytest.mark.parametrize(
    ("skills", "p_values", "won", "green"),
    [
        ([0.3, -0.1, -0.2], [0.01, 0.4, 0.3], "1 of 3 (1 significantly)", False),
        ([0.3, 0.1, -0.2], [0.01, 0.4, 0.3], "2 of 3 (1 significantly)", True),
    ],
)
def test_a_pooled_win_names_the_series_won_and_is_green_only_on_most(skills, p_values, won, green):
    from forecast.reporting.terminal import fit_verdict

    metrics = with_series(metrics_example(), skills, p_values)
    verdict = fit_verdict(metrics)
    assert verdict.startswith("verdict: gru is the best forecaster here")
    assert verdict.endswith(f"per series gru beats persistence on {won}, see the per-series table")
    text = html.run_page(metrics, {}, {}, verdict, [])
    assert ('class="verdict good"' in text) == green and ('class="verdict bad"' in text) != green


def tiny_png() -> bytes:
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(1, 1))
    ax.plot([0, 1], [0, 1])
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png")
    plt.close(fig)
    return buffer.getvalue()


def test_run_page_escapes_text_and_embeds_images():
    config = {"model": "gru", "data": {"path": "/x/<i>evil&.csv"}, "note": "a&b"}
    text = html.run_page(
        metrics_example(), config, {"forecast.png": tiny_png()}, "verdict: <script>", ["n<1"]
    )
    page = Page(text)
    assert page.title == "forecast: gru on <i>evil&.csv"  # shown as text, not markup
    assert "<i>evil" not in text and "<script>" not in text and "&lt;script&gt;" in text
    assert page.verdict == "verdict: <script>"
    scores, options = page.tables
    assert [row[0] for row in scores] == [
        "forecaster",
        "gru",
        "persistence",
        "seasonal_naive(7)",
        "linear",
    ]
    assert scores[1][-1] == "+20.0%" and scores[2][-1] == "+0.0%"
    assert ["note", "a&b"] in options and ["data.path", "/x/<i>evil&.csv"] in options
    assert len(page.images) == 1
    check_self_contained(page)


def test_page_without_images_or_series_has_no_extra_sections():
    page = Page(html.run_page(metrics_example("linear"), {}, {}, "verdict: linear", []))
    assert len(page.tables) == 2 and page.images == []
    assert [r[0] for r in page.tables[0]][1:] == ["linear", "persistence", "seasonal_naive(7)"]


def invoke(*args):
    return CliRunner().invoke(cli, [str(a) for a in args], catch_exceptions=False)


def render(path, tmp_path) -> np.ndarray:
    """Headless Chromium screenshot of ``path`` as an ``(height, width, 3)`` uint8 array."""
    import matplotlib.image

    shot = tmp_path / f"{path.parent.name}.png"
    subprocess.run(
        [
            shutil.which("chromium"),
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--hide-scrollbars",
            f"--screenshot={shot}",
            "--window-size=1200,1600",
            path.resolve().as_uri(),
        ],
        capture_output=True,
        timeout=120,
        check=True,
    )
    return (matplotlib.image.imread(shot)[..., :3] * 255).round().astype("uint8")


def has_colour(pixels: np.ndarray, rgb, tolerance: int = 6) -> float:
    """Fraction of pixels within ``tolerance`` of ``rgb``."""
    return float((np.abs(pixels.astype(int) - rgb).max(axis=-1) <= tolerance).mean())


def check_rendered(path, tmp_path) -> None:
    """When Chromium is here: the page renders with its verdict banner and the embedded plots
    (saturated pixels appear only if the base64 PNGs decoded)."""
    if shutil.which("chromium") is None:
        return
    pixels = render(path, tmp_path)
    assert pixels.shape[1] == 1200
    assert max(has_colour(pixels, VERDICT_RED), has_colour(pixels, VERDICT_GREEN)) > 0.002
    # text, tables and the banner are grey or pale; only the embedded plots are saturated
    spread = pixels.max(axis=-1).astype(int) - pixels.min(axis=-1)
    assert (spread > 60).mean() > 0.005
    assert has_colour(pixels, (255, 255, 255)) < 0.97  # not a blank page


@pytest.fixture(scope="module")
def sine_long_csv(tmp_path_factory):
    from tests.conftest import synthetic_frame

    path = tmp_path_factory.mktemp("data") / "sine.csv"
    synthetic_frame(160).to_csv(path, index=False)
    return path


def test_fit_writes_report_html(tmp_path, sine_long_csv):
    out = tmp_path / "run"
    result = invoke("fit", sine_long_csv, "--model", "gru", *TINY, "--out", out)
    assert result.exit_code == 0, result.output
    page = Page((out / "report.html").read_text(encoding="utf-8"))
    assert page.title == "forecast: gru on sine.csv"
    verdict = result.stdout.strip().splitlines()[-1]
    assert page.verdict == verdict
    scores = page.tables[0]
    weight = json.loads((out / "metrics.json").read_text())["combination"]["weight"]
    assert [r[0] for r in scores] == [
        "forecaster",
        "gru",
        f"gru+linear(w={weight:.2f})",  # --combine linear, the default
        "persistence",
        "seasonal_naive(7)",
        "linear",
    ]

    metrics = json.loads((out / "metrics.json").read_text())
    assert scores[1][1] == format(metrics["rmse"], ".4g")
    assert {i["alt"] for i in page.images} == {
        "forecast.png",
        "per_horizon.png",
        "lag.png",
        "loss.png",
    }
    assert ["window", "10"] in page.tables[-1] and ["seed", "42"] in page.tables[-1]
    check_self_contained(page)
    check_rendered(out / "report.html", tmp_path)


def test_compare_writes_report_html(tmp_path, sine_long_csv):
    out = tmp_path / "cmp"
    args = ["compare", sine_long_csv, "--models", "rnn,gru", "--seeds", "1", *TINY]
    result = invoke(*args, "--out", out)
    assert result.exit_code == 0, result.output
    page = Page((out / "report.html").read_text(encoding="utf-8"))
    assert page.title == "forecast compare on sine.csv"
    assert page.verdict == result.stdout.strip().splitlines()[-1]
    models = [r[0] for r in page.tables[0]][1:]
    assert models[:2] == ["rnn", "gru"] and "persistence" in models and "linear" in models
    assert {i["alt"] for i in page.images} >= {"rmse_by_model.png", "forecasts_overlay.png"}
    check_self_contained(page)
    for run in ("rnn-seed42", "gru-seed42"):  # each run directory has its own page
        check_self_contained(Page((out / run / "report.html").read_text(encoding="utf-8")))
    check_rendered(out / "report.html", tmp_path)
