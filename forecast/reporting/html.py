"""report.html: one self-contained page per run or comparison directory, so a user opens one file.

Pure functions that build the page as a string: every text is escaped, images are embedded as
base64 PNG ``data:`` URIs, the style is inline, and nothing refers outside the file (no scripts,
fonts, style sheets or links). ``write_run_report`` / ``write_compare_report`` gather the pieces
of a directory that is being written.
"""

from __future__ import annotations

import base64
import html
import json
import math
from collections.abc import Iterable
from pathlib import Path

REPORT_FILE = "report.html"


RUN_PLOTS = ("forecast.png", "per_horizon.png", "lag.png", "loss.png")


COMPARE_PLOTS = (
    "rmse_by_model.png",
    "forecasts_overlay.png",
    "per_horizon_by_model.png",
    "loss_curves.png",
)


STYLE = """
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:24px auto;
max-width:1200px;color:#222;line-height:1.4;padding:0 16px}
h1{font-size:1.5em;margin-bottom:.2em}h2{font-size:1.15em;margin-top:1.6em;
border-bottom:1px solid #ddd;padding-bottom:.2em}
.verdict{font-size:1.1em;font-weight:600;padding:10px 14px;border-radius:6px;margin:12px 0}
.good{background:#e6f4ea;border-left:6px solid #1e8e3e}.bad{background:#fce8e6;
border-left:6px solid #d93025}.meta{color:#555}
table{border-collapse:collapse;margin:8px 0;font-size:.92em}
th,td{border:1px solid #ddd;padding:4px 10px;text-align:right}
th{background:#f5f5f5}td:first-child,th:first-child{text-align:left}
tr.model td{font-weight:600}td.best{font-weight:700;background:#e6f4ea}
td.lose{color:#d93025;background:#fce8e6}.note{color:#555;font-size:.92em;margin:4px 0}
.note.warn{color:#d93025;font-weight:600}
.plots{display:grid;grid-template-columns:1fr 1fr;gap:8px 16px}
.plots figure:first-child{grid-column:1 / -1}
figure{margin:6px 0}figure img{max-width:100%;border:1px solid #eee}
figcaption{color:#555;font-size:.9em}
.options td{text-align:left;font-family:ui-monospace,monospace;font-size:.9em}
"""


def esc(value) -> str:
    """Any value as escaped HTML text."""
    return html.escape(str(value), quote=True)


def number(value, spec: str = ".4g") -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "n/a"
    if isinstance(value, bool) or not isinstance(value, int | float):
        return str(value)
    return format(value, spec)


def table(header: list[str], rows: Iterable[list], classes: Iterable[str] | None = None) -> str:
    """An HTML table; ``classes``: one CSS class per body row (``""`` for none)."""
    classes = list(classes) if classes is not None else None
    head = "".join(f"<th>{esc(h)}</th>" for h in header)
    body = []
    for i, row in enumerate(rows):
        cls = f' class="{esc(classes[i])}"' if classes and classes[i] else ""
        body.append(f"<tr{cls}>" + "".join(f"<td>{esc(c)}</td>" for c in row) + "</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"


def image(name: str, png: bytes, caption: str = "") -> str:
    """A figure with the PNG embedded as a base64 ``data:`` URI."""
    data = base64.b64encode(png).decode("ascii")
    caption = caption or name
    return (
        f'<figure><img alt="{esc(name)}" src="data:image/png;base64,{data}">'
        f"<figcaption>{esc(caption)}</figcaption></figure>"
    )


def options_table(options: dict) -> str:
    """Every option (nested dicts such as ``data`` and ``versions`` flattened with dots)."""
    flat = {}
    for key, value in options.items():
        if isinstance(value, dict):
            flat.update({f"{key}.{k}": v for k, v in value.items()})
        else:
            flat[key] = value
    rows = [[k, json.dumps(v) if not isinstance(v, str) else v] for k, v in flat.items()]
    return table(["option", "value"], rows).replace("<table>", '<table class="options">', 1)


def page(title: str, verdict: str, good: bool, sections: list[tuple[str, str]], meta="") -> str:
    """The whole document: a title, the verdict banner, then ``(heading, html)`` sections."""
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{esc(title)}</title><style>{STYLE}</style></head><body>",
        f"<h1>{esc(title)}</h1>",
        f'<p class="meta">{esc(meta)}</p>' if meta else "",
        f'<p class="verdict {"good" if good else "bad"}">{esc(verdict)}</p>',
    ]
    for heading, body in sections:
        parts.append(f"<section><h2>{esc(heading)}</h2>{body}</section>")
    parts.append("</body></html>")
    return "\n".join(p for p in parts if p)


def metrics_rows(metrics: dict) -> tuple[list[str], list[list[str]], list[str]]:
    """Header, rows and row classes of the model-and-baselines table (skill vs persistence); a
    ``--series`` run: the mean MASE and sMAPE over the series first, then the pooled scores."""
    from forecast.reporting.terminal import forecaster_rows, scale_free, score_cells

    header = ["forecaster", "RMSE", "MAE", "sMAPE %", "MASE", "skill vs persistence"]
    if scale_free(metrics):
        header = ["forecaster", "mean MASE", "mean sMAPE %", "pooled RMSE", "pooled MAE"]
        header.append("skill vs persistence (pooled RMSE)")
    if "owa" in metrics:
        header.append("OWA (M4, vs Naive2)")
    rows = forecaster_rows(metrics)
    body = [[label, *score_cells(metrics, s, number)] for label, s, _ in rows]
    return header, body, [c for _, _, c in rows]


def series_rows(metrics: dict) -> tuple[list[str], list[list[str]]]:
    """--series: one row per series, the model against persistence and the linear baseline."""
    from forecast.reporting.terminal import series_p_cell

    header = [
        "series", "test windows", "RMSE", "persistence RMSE", "skill", "DM p vs persistence",
        "linear RMSE", "MASE",
    ]  # fmt: skip
    if "headline" in metrics:
        header[-1] = f"MASE ({metrics['headline']['scale']})"
    body = []
    for name, s in metrics.get("per_series", {}).items():
        base = s["baselines"]
        body.append(
            [
                name,
                s["n_test_windows"],
                number(s["rmse"]),
                number(base["persistence"]["rmse"]),
                number(s["skill_vs_persistence"], "+.1%"),
                series_p_cell(s),
                number(base["linear"]["rmse"]) if "linear" in base else "",
                number(s.get("mase_seasonal", s["mase"]), ".3f"),
            ]
        )
    return header, body


def run_page(
    metrics: dict, config: dict, images: dict[str, bytes], verdict: str, notes: list[str]
) -> str:
    """report.html of a fit run.

    Args:
        metrics: metrics.json.
        config: config.json (every option, the data file, library versions).
        images: file name → PNG bytes, in display order.
        verdict: the verdict sentence (``forecast.reporting.verdict_text.fit_verdict``); the
            banner is green when the decision (``forecast.evaluation.verdict.decide``) is the
            model itself, and for ``--series`` it wins on most series.
        notes: further lines under the table (significance, diagnostics, intervals).
    """
    data = config.get("data", {}) if isinstance(config.get("data"), dict) else {}
    source = Path(str(data.get("path", "data"))).name
    title = f"forecast: {metrics['model']} on {source}"
    meta = (
        f"target {metrics['target']}, window {metrics['window']}, horizon {metrics['horizon']}; "
        f"{metrics['n_test_windows']} test windows from {metrics.get('test_start', '?')} to "
        f"{metrics.get('test_end', '?')}; {metrics.get('params', '?')} parameters, "
        f"{metrics.get('epochs_run', '?')} epochs in {number(metrics.get('train_seconds'), '.1f')}s"
    )
    header, body, classes = metrics_rows(metrics)
    from forecast.reporting.terminal import headline_note, scale_free

    results = table(header, body, classes)
    results += "".join(
        f'<p class="note">{esc(n)}</p>' for n in [headline_note(metrics), *notes] if n
    )
    heading = "Test scores (original units, every test origin)"
    if scale_free(metrics):
        heading = "Test scores (mean over the series; pooled in original units)"
    sections = [(heading, results)]
    if metrics.get("per_series"):
        s_header, s_body = series_rows(metrics)
        column = metrics.get("series", {}).get("column", "series")
        sections.append((f"Per series ({column})", table(s_header, s_body)))
    figures = '<div class="plots">' + "".join(image(n, png) for n, png in images.items()) + "</div>"
    sections += [("Plots", figures), ("Options", options_table(config))]
    return page(title, verdict, is_good(metrics), sections, meta)


def is_good(metrics: dict) -> bool:
    """A fit's banner is green when the verdict chooses the model itself, and for a ``--series``
    run only when it also beats persistence on most series (a pooled win can come from one series
    with large values)."""
    from forecast.evaluation.verdict import decide

    decision = decide(metrics)
    good = decision.kind == "model"
    if decision.series is not None:
        won, _, n = decision.series
        good = good and 2 * won > n
    return good


def compare_page(
    header: list[str],
    body: list[list[str]],
    summary: dict,
    images: dict[str, bytes],
    verdict: str,
    warnings: list[str],
) -> str:
    """report.html of a comparison directory.

    Args:
        header, body: the comparison table (``forecast.reporting.tables.table_cells``).
        summary: comparison.json (its ``options`` are listed).
        images: file name → PNG bytes.
        verdict: ``forecast.reporting.verdict_text.compare_verdict`` (green when it chooses an
            architecture).
        warnings: ``forecast.reporting.terminal.compare_warnings``.
    """
    title = f"forecast compare on {Path(str(summary.get('csv', 'data'))).name}"
    meta = (
        f"target {summary.get('target')}, window {summary.get('window')}, horizon "
        f"{summary.get('horizon')}, {summary.get('n_test_windows')} test windows, seeds "
        f"{', '.join(map(str, summary.get('seeds', [])))}; runs: "
        + ", ".join(name for runs in summary.get("runs", {}).values() for name in runs)
    )
    classes = ["model" if row[0] == summary.get("best") else "" for row in body]
    results = table(header, body, classes)
    results += "".join(f'<p class="note">{esc(w)}</p>' for w in warnings)
    results += (
        '<p class="note">RMSE and MAE: mean ± sd over seeds, original units; skill = 1 - RMSE / '
        "persistence RMSE; baselines are rows of the table. Each model's run directory has "
        "its own report.html.</p>"
    )
    if (summary.get("headline") or {}).get("scale"):
        results += (
            '<p class="note">mean MASE, mean sMAPE: each series\' own score averaged over the '
            f"series (MASE: MAE over the in-sample {esc(summary['headline']['scale'])}); they "
            "decide BEST. RMSE and MAE pool every series' test windows in the target's units.</p>"
        )
    sections = [("Models and baselines on identical test windows", results)]
    if summary.get("per_series"):
        column = summary.get("series", {}).get("column", "series")
        sections.append((f"RMSE per series ({column})", series_compare_table(summary)))
    figures = '<div class="plots">' + "".join(image(n, png) for n, png in images.items()) + "</div>"
    sections += [("Plots", figures), ("Options", options_table(summary.get("options", {})))]
    return page(title, verdict, summary.get("best") == summary.get("best_model"), sections, meta)


def series_compare_table(summary: dict) -> str:
    """--series compare: RMSE of every model (mean over seeds) and baseline, one row per series,
    the lowest of each row in bold."""
    per = summary["per_series"]
    names = list(next(iter(per.values())))
    body = []
    for series, scores in per.items():
        best = min(scores, key=scores.get)
        cells = [esc(series)] + [
            f"<b>{esc(number(scores[n]))}</b>" if n == best else esc(number(scores[n]))
            for n in names
        ]
        body.append("<tr>" + "".join(f"<td>{c}</td>" for c in cells) + "</tr>")
    head = "".join(f"<th>{esc(h)}</th>" for h in ["series", *names])
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"


def read_images(directory: Path, names: Iterable[str]) -> dict[str, bytes]:
    """PNG bytes of those ``names`` that exist in ``directory``, in the given order."""
    return {n: (directory / n).read_bytes() for n in names if (directory / n).is_file()}


def write_run_report(directory: Path, metrics: dict, config: dict) -> Path:
    """Write ``directory/report.html`` for a fit run whose plots are already there."""
    from forecast.reporting.terminal import diagnostics_lines, interval_line, significance_line
    from forecast.reporting.verdict_text import fit_verdict

    notes = [significance_line(metrics), *diagnostics_lines(metrics), interval_line(metrics)]
    text = run_page(metrics, config, read_images(directory, RUN_PLOTS), fit_verdict(metrics), notes)
    path = directory / REPORT_FILE
    path.write_text(text, encoding="utf-8")
    return path


def write_compare_report(directory: Path, rows: list[dict], summary: dict) -> Path:
    """Write ``directory/report.html`` for a comparison whose plots are already there."""
    from forecast.reporting.tables import table_cells
    from forecast.reporting.terminal import compare_warnings
    from forecast.reporting.verdict_text import compare_verdict

    header, body = table_cells(rows)
    text = compare_page(
        header,
        body,
        summary,
        read_images(directory, COMPARE_PLOTS),
        compare_verdict(rows),
        compare_warnings(rows),
    )
    path = directory / REPORT_FILE
    path.write_text(text, encoding="utf-8")
    return path
