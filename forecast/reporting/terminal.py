"""Plain-text tables for the terminal: the model and its baselines side by side."""

from __future__ import annotations

import math

import numpy as np

from forecast.evaluation.verdict import (
    baseline_name,
    combination_label,
    headline_metric,
    series_p,
    series_wins,
    significant,
)
from forecast.reporting.verdict_text import (  # noqa: F401  (compare_verdict: re-exported)
    compare_verdict,
    fit_verdict,
    p_text,
)

COLUMNS = ("RMSE", "MAE", "sMAPE%", "MASE", "skill")


def fmt(value: float, spec: str = ".4g") -> str:
    return (
        "nan"
        if value is None or (isinstance(value, float) and math.isnan(value))
        else format(value, spec)
    )


SERIES_COLUMNS = ("mean MASE", "mean sMAPE%", "pooled RMSE", "pooled MAE", "skill")


def scale_free(metrics: dict) -> bool:
    """Does the mean MASE over the series head this run's table and decide its verdict?"""
    return headline_metric(metrics) != "rmse"


def forecaster_rows(metrics: dict) -> list[tuple[str, dict, str]]:
    """``(row name, scores, kind)`` of the model, its combination and every baseline."""
    rows = [(metrics["model"], metrics, "model")]
    if "combination" in metrics:  # the model averaged with the linear baseline
        rows.append((combination_label(metrics), metrics["combination"], "model"))
    for name, scores in metrics["baselines"].items():
        if name != metrics["model"]:  # --model linear: the linear baseline is the model itself
            rows.append((baseline_name(name, scores), scores, ""))
    return rows


def score_cells(metrics: dict, scores: dict, form=None) -> list[str]:
    """One row's cells: RMSE, MAE, sMAPE, MASE and skill vs persistence; for a ``--series`` run
    the mean MASE and mean sMAPE over the series first, then the pooled RMSE, MAE and skill
    (``SERIES_COLUMNS``). ``form(value, spec)`` formats a number (default ``fmt``)."""
    form = form or fmt
    persistence = metrics["baselines"]["persistence"]["rmse"]
    skill = 1 - scores["rmse"] / persistence if persistence > 0 else float("nan")
    pooled = [form(scores["rmse"], ".4g"), form(scores["mae"], ".4g")]
    owa = [form(scores.get("owa"), ".3f")] if "owa" in metrics else []  # M4's, vs Naive2
    if scale_free(metrics):
        heads = [form(scores.get("mean_mase"), ".3f"), form(scores.get("mean_smape"), ".2f")]
        return heads + pooled + [form(skill, "+.1%")] + owa
    pooled += [form(scores["smape"], ".2f"), form(scores["mase"], ".3f"), form(skill, "+.1%")]
    return pooled + owa


def headline_note(metrics: dict) -> str:
    """What the ``--series`` columns are (``""`` for one series)."""
    if not scale_free(metrics):
        return ""
    h = metrics["headline"]
    return (
        f"mean MASE, mean sMAPE: each series' own score averaged over the {h['n_series']} series "
        f"(MASE: MAE over the in-sample {h['scale']}); they decide the verdict.\npooled RMSE, "
        f"MAE: every series' test windows together in {metrics.get('target', 'target')} units "
        "(series with large values weigh most); skill: pooled RMSE vs persistence's"
    )


def metrics_table(metrics: dict) -> str:
    """The model's row, then one row per baseline; skill is against persistence. A ``--series``
    run: the scale-free columns first, then the pooled ones, and a line saying which is which."""
    rows = forecaster_rows(metrics)
    columns, cell = (SERIES_COLUMNS, 13) if scale_free(metrics) else (COLUMNS, 10)
    columns = (*columns, "OWA") if "owa" in metrics else columns
    width = max(len(label) for label, _, _ in rows) + 2
    lines = [" " * width + "".join(f"{c:>{cell}}" for c in columns)]
    for label, s, _ in rows:
        cells = score_cells(metrics, s)
        lines.append(f"{label:<{width}}" + "".join(f"{c:>{cell}}" for c in cells))
    note = headline_note(metrics)
    return "\n".join([*lines, note] if note else lines)


def significance_line(metrics: dict) -> str:
    """The Diebold–Mariano tests of metrics.json ``significance`` on one line ('' when absent)."""
    sig = metrics.get("significance")
    if not sig:
        return ""
    parts = []
    for key, test in sig.items():
        stat = test.get("dm_stat")
        stat_text = "n/a" if stat is None else f"{stat:+.2f}"
        parts.append(f"{key.replace('_', ' ')}: DM {stat_text}, {p_text(test.get('p_value'))}")
    return (
        f"significance of {metrics['model']}'s RMSE difference (Diebold-Mariano, HLN-corrected; "
        f"DM < 0 favours {metrics['model']}): " + "; ".join(parts)
    )


def diagnostics_lines(metrics: dict) -> list[str]:
    """The persistence diagnostics, and the warning when the forecast mostly repeats the last
    value (``forecast.evaluation.diagnostics.repeats_last_value``)."""
    from forecast.evaluation.diagnostics import repeats_last_value

    diag = metrics.get("diagnostics")
    if not diag:
        return []
    lines = [
        f"diagnostics: best lag {diag['best_lag']} (0 = tracks the present, 1 = a delayed copy), "
        f"direction right {fmt(diag['directional_accuracy'], '.1%')}, error correlation with "
        f"persistence {fmt(diag['corr_with_persistence'], '.3f')}"
    ]
    if repeats_last_value(diag):
        lines.append(
            f"WARNING: the forecast mostly repeats the last value: {metrics['model']}'s errors are "
            "those of persistence (see lag.png)"
        )
    return lines


def compare_warnings(rows: list[dict]) -> list[str]:
    """Warnings about MODELS that do not beat persistence (baselines are reference points, not
    candidates to warn about)."""
    losers = [r["model"] for r in rows if r["kind"] == "model" and r["loses_to_persistence"]]
    if not losers:
        return []
    verb = "does" if len(losers) == 1 else "do"
    return [f"WARNING: {', '.join(losers)} {verb} NOT beat persistence"]


def interval_line(metrics: dict) -> str:
    """Conformal interval widths (step 1 … last step) for the next forecast past the data, and
    their empirical test coverage."""
    parts = []
    mean_width = metrics.get("interval_mean_width", {})
    for key, widths in metrics.get("intervals", {}).items():
        cov = metrics.get(f"coverage_{key}", float("nan"))
        mean = f" (mean ±{fmt(mean_width[key], '.3g')})" if key in mean_width else ""
        parts.append(
            f"{key}%: ±{fmt(widths[0], '.3g')}…±{fmt(widths[-1], '.3g')}, "
            f"test coverage {fmt(cov, '.1%')}{mean}"
        )
    method = metrics.get("interval_method", "split conformal").split(" (")[0]
    if not parts and "coverage_80" in metrics:  # --series: each series' widths in per_series
        covered = ", ".join(
            f"{k}% {fmt(metrics[f'coverage_{k}'], '.1%')}"
            for k in ("80", "95")
            if f"coverage_{k}" in metrics
        )
        return f"intervals ({method}, calibrated per series): test coverage {covered}"
    return (
        f"intervals ({method}; widths for the next forecast) " + "; ".join(parts) if parts else ""
    )


SERIES_SHOWN = 20  # rows of the per-series table printed; metrics.json has them all


def series_p_cell(scores: dict) -> str:
    """``series_p`` as a table cell: ``0.0123``, ``<0.001`` or ``n/a``."""
    return p_text(series_p(scores)).removeprefix("p=").removeprefix("p")


def series_table(metrics: dict, limit: int = SERIES_SHOWN) -> str:
    """--series: one row per series, the model's RMSE against persistence (and the linear
    baseline) on that series' own test windows; ``""`` for a single series."""
    per = metrics.get("per_series")
    if not per:
        return ""
    names = list(per)
    width = max(8, *(len(n) for n in names[:limit])) + 2
    head = ["windows", "RMSE", "persist.", "skill", "DM p", "linear", "MASE"]
    scale = f"; MASE: {metrics['headline']['scale']}" if "headline" in metrics else ""
    lines = [
        f"per series ({metrics['series']['column'] if 'series' in metrics else 'series'}; "
        f"test windows of each; skill vs persistence{scale}):",
        f"{'':<{width}}" + "".join(f"{c:>10}" for c in head),
    ]
    for name in names[:limit]:
        s = per[name]
        base = s["baselines"]
        cells = [
            str(s["n_test_windows"]),
            fmt(s["rmse"]),
            fmt(base["persistence"]["rmse"]),
            fmt(s["skill_vs_persistence"], "+.1%"),
            series_p_cell(s),
            fmt(base["linear"]["rmse"]) if "linear" in base else "",
            fmt(s.get("mase_seasonal", s["mase"]), ".3f"),  # runs before the headline: one-step
        ]
        lines.append(f"{name:<{width}}" + "".join(f"{c:>10}" for c in cells))
    skills = [per[n]["skill_vs_persistence"] for n in names]
    wins, significant, _ = series_wins(metrics)
    lines.append(
        f"{metrics['model']} beats persistence on {wins} of {len(names)} series, {significant} "
        f"significantly (DM p < 0.05; median skill {fmt(float(np.median(skills)), '+.1%')}; the "
        "pooled RMSE weighs series by their units)"
    )
    if len(names) > limit:
        lines.append(f"... and {len(names) - limit} more series in metrics.json (per_series)")
    return "\n".join(lines)


def tune_evidence(p: float, n_trials: int) -> str:
    """What ``forecast tune``'s Diebold–Mariano test of the best trial against trial 1 (the given
    options), on the validation windows, says."""
    if not significant(p):
        return (
            f"the best trial is not significantly better than the given options on validation "
            f"(DM {p_text(p)}, before allowing for picking the best of {n_trials} trials): its "
            "edge may be noise"
        )
    return (
        f"the best trial beats the given options on validation (DM {p_text(p)}); picking the best "
        f"of {n_trials} trials makes that optimistic, so judge it by fit's test split"
    )


def fit_report(metrics: dict) -> str:
    """What ``forecast fit`` prints after training: the test span, the table of the model and its
    baselines (and per series), significance, diagnostics, intervals, and last the verdict."""
    m = metrics
    lines = [
        f"test: {m['n_test_windows']} windows from {m['test_start']} to {m['test_end']}, "
        f"target {m['target']}, horizon {m['horizon']}, {m['params']} parameters, "
        f"{m['epochs_run']} epochs in {m['train_seconds']:.1f}s",
        metrics_table(m),
        *([series_table(m)] if "per_series" in m else []),
        significance_line(m),
        *diagnostics_lines(m),
        interval_line(m),
        fit_verdict(m),  # last: the true winner among the model and the baselines
    ]
    return "\n".join(lines)


def evaluate_report(metrics: dict) -> str:
    """What ``forecast evaluate`` prints: the table, significance, diagnostics and the verdict."""
    m = metrics
    lines = [
        metrics_table(m),
        *([series_table(m)] if "per_series" in m else []),
        significance_line(m),
        *diagnostics_lines(m),
        fit_verdict(m),
    ]
    return "\n".join(lines)


def tune_report(report, start, csv) -> str:
    """What ``forecast tune`` prints: the best options (and which changed from ``start``), the
    validation RMSE of the best trial, the given options and the linear baseline, the evidence
    that the best trial is better, and the command that reproduces it."""
    best = report.best
    changed = [k for k in report.searched if getattr(best, k) != getattr(start, k)]
    lines = [
        f"\ntuning: {report.out} ({len(report.rows)} trial(s) in {report.seconds:.0f}s)",
        "best: "
        + ", ".join(f"{k}={getattr(best, k)}" for k in report.searched)
        + (f"  (changed: {', '.join(changed)})" if changed else "  (the starting options)"),
        f"val RMSE: best {report.best_rmse:.4g}, given options (trial 1) "
        f"{report.start_rmse:.4g}, linear baseline {report.linear_rmse:.4g}",
    ]
    if report.dm_p_vs_start is not None:
        lines.append(tune_evidence(report.dm_p_vs_start, len(report.rows)))
    lines.append(f"reproduce: forecast fit {csv} --config {report.out / 'best.toml'}")
    return "\n".join(lines)
