"""report.html of ``forecast backtest``: one self-contained page beside backtest.json.

Built with the page shell of ``forecast.reporting.html`` (same style, escaping and embedded PNGs):
the verdict banner, the fold × forecaster RMSE table (best per fold marked), the wins and pooled
Diebold–Mariano tests against persistence and linear, each fold's test period, windows and 80 %
interval coverage, backtest.png and the notes.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from forecast.reporting.backtest_plots import backtest_verdict, forecasters
from forecast.reporting.html import REPORT_FILE, esc, image, number, page, read_images, table

BACKTEST_PLOTS = ("backtest.png",)

COMPARED = ("persistence", "linear")  # the summary's wins and pooled tests (commands.backtest)


def mean_sd(values: list[float]) -> tuple[float, float]:
    """Mean and sample standard deviation (0 for one value)."""
    sd = float(np.std(values, ddof=1)) if len(values) > 1 else 0.0
    return float(np.mean(values)), sd


def source(result: dict) -> str:
    """`` on weather.csv``: the data file's name, when backtest.json records it."""
    return f" on {Path(str(result['csv'])).name}" if result.get("csv") else ""


def fold_count(result: dict) -> str:
    """``5 folds``, or ``2 of 5 folds`` for a part run with ``--only-folds``."""
    k, total = len(result["folds"]), result.get("folds_total", len(result["folds"]))
    return f"{k} folds" if total == k else f"{k} of {total} folds"


def when(stamp: str) -> str:
    """A fold boundary as backtest.json writes it, without a midnight time of day
    (``2020-01-15 00:00:00`` → ``2020-01-15``)."""
    text = str(stamp)
    return text[: -len(" 00:00:00")] if text.endswith(" 00:00:00") else text


def loses_to_persistence(result: dict) -> list[bool]:
    """Per fold: does the model's RMSE reach or exceed persistence's?"""
    return [r["rmse"] >= r["baselines"]["persistence"]["rmse"] for r in result["folds"]]


def is_good(result: dict) -> bool:
    """The banner is green only when the model beats persistence on more than half the folds
    and has the lowest mean RMSE of every forecaster (the backtest's analogue of fit's "the model
    is the best forecaster here")."""
    lost = loses_to_persistence(result)
    means = {name: mean_sd(rmse)[0] for name, rmse in forecasters(result).items()}
    return 2 * lost.count(False) > len(lost) and min(means, key=means.get) == result["model"]


def rmse_table(result: dict) -> str:
    """Fold × forecaster RMSE, one column per fold and a mean ± sd column; the lowest of each
    fold is bold (class ``best``, marked ``*``), the model's folds lost to persistence are red
    (class ``lose``)."""
    series = forecasters(result)
    k = len(result["folds"])
    best = [min(series, key=lambda name, i=i: series[name][i]) for i in range(k)]
    lost = loses_to_persistence(result)
    model = result["model"]
    head = "".join(
        f"<th>{esc(h)}</th>" for h in ["forecaster", *(f"fold {i}" for i in range(1, k + 1))]
    )
    head += "<th>mean ± sd</th>"
    rows = []
    for name, rmse in series.items():
        cells = [f"<td>{esc(name)}</td>"]
        for i, value in enumerate(rmse):
            classes = ["best"] if best[i] == name else []
            if name == model and lost[i]:
                classes.append("lose")
            text = esc(number(value)) + (" *" if best[i] == name else "")
            cls = f' class="{" ".join(classes)}"' if classes else ""
            cells.append(f"<td{cls}>{text}</td>")
        mean, sd = mean_sd(rmse)
        cells.append(f"<td>{esc(number(mean))} ± {esc(number(sd, '.2g'))}</td>")
        row_class = ' class="model"' if name == model else ""
        rows.append(f"<tr{row_class}>{''.join(cells)}</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"


def folds_table(result: dict) -> str:
    """One row per fold: the test period, the last training row, the test windows, the 80 %
    interval coverage and whether the model was (re)trained for it."""
    header = ["fold", "test period", "trained up to", "test windows", "80 % interval coverage"]
    retrained = any("trained" in r for r in result["folds"])
    header += ["model trained"] if retrained else []
    rows = []
    for r in result["folds"]:
        row = [r["fold"], f"{when(r['test_start'])} – {when(r['test_end'])}"]
        row += [when(r["train_end"]), r["n_windows"], number(r["coverage_80"], ".0%")]
        rows.append(row + (["yes" if r.get("trained") else "no"] if retrained else []))
    return table(header, rows)


def significance_table(result: dict) -> str:
    """Wins ``k of K`` and the pooled Diebold–Mariano test against persistence and linear."""
    s = result["summary"]
    header = ["against", "folds won", "mean RMSE", "pooled DM stat", "pooled DM p-value"]
    rows = []
    for name in COMPARED:
        test = s["significance"].get(f"vs_{name}", {})
        rows.append(
            [
                name,
                s[f"wins_vs_{name}"],
                number(s.get("baselines_rmse_mean", {}).get(name)),
                number(test.get("dm_stat"), "+.2f"),
                number(test.get("p_value"), ".3g"),
            ]
        )
    return table(header, rows)


def explanation(result: dict) -> list[str]:
    """``(warnings, notes)`` under the RMSE table: the warning when the model loses to
    persistence on some folds, and what the numbers are."""
    model, lost = result["model"], loses_to_persistence(result)
    warnings = []
    if any(lost):
        warnings.append(
            f"WARNING: {model} does NOT beat persistence on {sum(lost)} of {len(lost)} folds "
            "(red cells)"
        )
    refit = (
        "retrained on each fold's past"
        if result["refit"] == "every"
        else "trained once on the first fold's past and scored on every block"
    )
    lines = [
        f"RMSE in original units over every test origin of each fold; * marks the lowest of a "
        f"fold. {model} is {refit}; a fold never reads a row after its test block.",
        f"Diebold–Mariano tests (HLN-corrected) pool every fold's test origins; DM < 0 favours "
        f"{model}. The 80 % intervals are calibrated on each fold's validation block.",
    ]
    return warnings, lines


def backtest_page(result: dict, images: dict[str, bytes], notes: list[str]) -> str:
    """report.html of a backtest directory.

    Args:
        result: backtest.json (``forecast.commands.backtest``).
        images: file name → PNG bytes (backtest.png).
        notes: what reading the data noted (``BacktestReport.notes``).
    """
    k, model = len(result["folds"]), result["model"]
    title = (
        f"forecast backtest: {model}{source(result)}, refit {result['refit']}, "
        f"{fold_count(result)} of {result['fold_size']} rows, window {result['window']}, "
        f"horizon {result['horizon']}"
    )
    folds = result["folds"]
    mean, sd = result["summary"]["rmse_mean"], result["summary"]["rmse_sd"]
    meta = (
        f"test blocks from {when(folds[0]['test_start'])} to {when(folds[-1]['test_end'])}, "
        f"{sum(r['n_windows'] for r in folds)} test windows in all; {model} RMSE "
        f"{number(mean)} ± {number(sd, '.2g')} over the folds"
    )
    scores = rmse_table(result)
    warnings, lines = explanation(result)
    scores += "".join(f'<p class="note warn">{esc(line)}</p>' for line in warnings)
    scores += "".join(f'<p class="note">{esc(line)}</p>' for line in lines)
    sections = [
        (f"RMSE per fold ({k} folds)", scores),
        (f"{model} against persistence and linear", significance_table(result)),
        ("Folds", folds_table(result)),
    ]
    if images:
        figures = "".join(image(n, png) for n, png in images.items())
        sections.append(("Plots", f'<div class="plots">{figures}</div>'))
    if notes:
        sections.append(("Notes", "".join(f'<p class="note">{esc(n)}</p>' for n in notes)))
    return page(title, backtest_verdict(result), is_good(result), sections, meta)


def write_backtest_report(directory: Path, result: dict, notes: list[str] = ()) -> Path:
    """Write ``directory/report.html`` for a backtest whose backtest.png is already there (call
    it inside the staged directory, so the page appears with the rest, atomically)."""
    text = backtest_page(result, read_images(directory, BACKTEST_PLOTS), list(notes))
    path = directory / REPORT_FILE
    path.write_text(text, encoding="utf-8")
    return path
