"""Plain-text tables for the terminal: the model and its baselines side by side."""

from __future__ import annotations

import math

import numpy as np

COLUMNS = ("RMSE", "MAE", "sMAPE%", "MASE", "skill")


def fmt(value: float, spec: str = ".4g") -> str:
    return (
        "nan"
        if value is None or (isinstance(value, float) and math.isnan(value))
        else format(value, spec)
    )


def metrics_table(metrics: dict) -> str:
    """The model's row, then one row per baseline; skill is against persistence."""
    persistence = metrics["baselines"]["persistence"]["rmse"]
    rows = [(metrics["model"], metrics)]
    if "combination" in metrics:
        rows.append((combination_label(metrics), metrics["combination"]))
    for name, scores in metrics["baselines"].items():
        if name == metrics["model"]:
            continue  # --model linear: the linear baseline is the model itself
        label = f"{name}({scores['season']})" if "season" in scores else name
        rows.append((label, scores))
    width = max(len(label) for label, _ in rows) + 2
    lines = [" " * width + "".join(f"{c:>10}" for c in COLUMNS)]
    for label, s in rows:
        skill = 1 - s["rmse"] / persistence if persistence > 0 else float("nan")
        cells = [
            fmt(s["rmse"]),
            fmt(s["mae"]),
            fmt(s["smape"], ".2f"),
            fmt(s["mase"], ".3f"),
            fmt(skill, "+.1%"),
        ]
        lines.append(f"{label:<{width}}" + "".join(f"{c:>10}" for c in cells))
    return "\n".join(lines)


def p_text(p: float | None) -> str:
    """``p=0.012`` / ``p<0.001`` / ``p=n/a``."""
    if p is None or (isinstance(p, float) and math.isnan(p)):
        return "p=n/a"
    return "p<0.001" if p < 0.001 else f"p={p:.3g}"


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


def combination_label(metrics: dict) -> str:
    """``gru+linear(w=0.62)``: the combination's row name."""
    return f"{metrics['model']}+linear(w={metrics['combination']['weight']:.2f})"


def candidates(metrics: dict) -> dict[str, float]:
    """RMSE of the model, its combination with the linear baseline and every baseline of a fit,
    by display name."""
    out = {metrics["model"]: metrics["rmse"]}
    if "combination" in metrics and 0 < metrics["combination"]["weight"] < 1:
        # (a weight of 0 or 1 is the linear baseline or the model itself, not a forecaster)
        out[combination_label(metrics)] = metrics["combination"]["rmse"]
    for name, scores in metrics["baselines"].items():
        if name != metrics["model"]:
            out[f"{name}({scores['season']})" if "season" in scores else name] = scores["rmse"]
    return out


def fit_verdict(metrics: dict) -> str:
    """The last line of ``fit``: the true winner among the model and its baselines; for a
    ``--series`` run, also on how many series the model beats persistence (a pooled win can
    come from one series with large values); ``verdict_hint`` appended when one test period is
    thin evidence (``forecast.reporting.thin_evidence``)."""
    text = pooled_verdict(metrics)
    wins = series_wins(metrics)
    if wins is not None:
        won, significant, n = wins
        text += (
            f"; pooled over {n} series: per series {metrics['model']} beats persistence on "
            f"{won} of {n} ({significant} significantly), see the per-series table"
        )
    hint = metrics.get("verdict_hint")
    return f"{text}; {hint}" if hint else text


def series_wins(metrics: dict) -> tuple[int, int, int] | None:
    """``(series where the model beats persistence, of those significantly at 5 %, series)``
    of a ``--series`` run; ``None`` for a single series."""
    per = metrics.get("per_series")
    if not per:
        return None
    won = [s for s in per.values() if s["skill_vs_persistence"] > 0]
    significant = sum(_significant({"p_value": series_p(s)}) for s in won)
    return len(won), significant, len(per)


def pooled_verdict(metrics: dict) -> str:
    """``fit_verdict`` on the pooled scores."""
    model, rmse = metrics["model"], metrics["rmse"]
    scores = candidates(metrics)
    winner = min(scores, key=scores.get)
    sig = metrics.get("significance", {})
    p_lin = p_text(sig.get("vs_linear", {}).get("p_value"))
    p_per = p_text(sig.get("vs_persistence", {}).get("p_value"))
    if winner == model:
        others = sorted((n for n in scores if n != model), key=scores.get)
        runner = others[0]
        text = (
            f"verdict: {model} is the best forecaster here (RMSE {rmse:.4g}, skill "
            f"{metrics['skill_vs_persistence']:+.1%} vs persistence; next best {runner} "
            f"{scores[runner]:.4g})"
        )
        if model != "linear":
            text += f"; vs linear DM {p_lin}, vs persistence DM {p_per}"
            if "vs_gbm" in sig:
                text += f", vs gbm DM {p_text(sig['vs_gbm'].get('p_value'))}"
            if not _significant(sig.get("vs_linear")):
                text += ": not significantly better than the linear baseline"
        return text
    if "combination" in metrics and winner == combination_label(metrics):
        return combination_verdict(metrics, scores)
    if winner in ("linear", "gbm"):  # the trained baselines: linear, gradient boosting
        test = sig.get(f"vs_{winner}")
        return (
            f"verdict: the {winner} baseline beats {model} (RMSE {scores[winner]:.4g} vs "
            f"{rmse:.4g}, DM {p_text((test or {}).get('p_value'))}{_tie(test)}); use it"
        )
    p = f", DM {p_per}{_tie(sig.get('vs_persistence'))}" if winner == "persistence" else ""
    return (
        f"verdict: {winner} beats {model} and every other forecaster (RMSE {scores[winner]:.4g} "
        f"vs {rmse:.4g}{p}); use the naive forecast"
    )


def combination_verdict(metrics: dict, scores: dict[str, float]) -> str:
    """The verdict when ``w·model + (1 − w)·linear`` has the lowest RMSE."""
    c, model = metrics["combination"], metrics["model"]
    w, sig = c["weight"], c["significance"]
    runner = sorted((n for n in scores if n != combination_label(metrics)), key=scores.get)[0]
    text = (
        f"verdict: the combination {w:.2f}·{model} + {1 - w:.2f}·linear (weight fit on "
        f"validation) is the best forecaster here (RMSE {c['rmse']:.4g}, skill "
        f"{c['skill_vs_persistence']:+.1%} vs persistence; next best {runner} "
        f"{scores[runner]:.4g}); vs linear DM {p_text(sig.get('vs_linear', {}).get('p_value'))}, "
        f"vs {model} DM {p_text(sig.get('vs_model', {}).get('p_value'))}"
    )
    if not _significant(sig.get("vs_linear")):
        text += ": not significantly better than the linear baseline"
    return text + "; `forecast predict` writes it as the `combined` column"


def _tie(test: dict | None) -> str:
    """``", not significant"`` when a DM test exists and does not reject at 5 %."""
    return ", not significant" if test and not _significant(test) else ""


def _significant(test: dict | None, alpha: float = 0.05) -> bool:
    p = (test or {}).get("p_value")
    return p is not None and p < alpha


def compare_warnings(rows: list[dict]) -> list[str]:
    """Warnings about MODELS that do not beat persistence (baselines are reference points, not
    candidates to warn about)."""
    losers = [r["model"] for r in rows if r["kind"] == "model" and r["loses_to_persistence"]]
    if not losers:
        return []
    verb = "does" if len(losers) == 1 else "do"
    return [f"WARNING: {', '.join(losers)} {verb} NOT beat persistence"]


def compare_verdict(rows: list[dict], alpha: float = 0.05) -> str:
    """The last line of ``compare``: the true winner among the models AND the baselines.

    Args:
        rows: comparison rows (``model``, ``kind`` "model" or "baseline", ``rmse``, and optionally
            ``dm_p_vs_best``).
        alpha: significance level for "not significantly different".
    """
    winner = min(rows, key=lambda r: r["rmse"])
    models = sorted((r for r in rows if r["kind"] == "model"), key=lambda r: r["rmse"])
    near = [
        r["model"]
        for r in rows
        if r is not winner and r.get("dm_p_vs_best") is not None and r["dm_p_vs_best"] >= alpha
    ]
    tie = f"; not significantly better than {', '.join(near)} (DM p >= {alpha:g})" if near else ""
    if winner["kind"] == "model":
        return f"verdict: {winner['model']} is the best forecaster (RMSE {winner['rmse']:.4g}){tie}"
    if winner["kind"] == "combination":
        return (
            f"verdict: {winner['model']} (the model averaged with the linear baseline, weight "
            f"{winner['weight']:.2f} fit on validation) is the best forecaster (RMSE "
            f"{winner['rmse']:.4g}){tie}"
        )
    best_model = models[0]
    p_value = best_model.get("dm_p_vs_best")
    p = p_text(p_value) + (", not significant" if p_value is not None and p_value >= alpha else "")
    if winner["model"] in ("linear", "gbm"):
        return (
            f"verdict: the {winner['model']} baseline beats every recurrent model (RMSE "
            f"{winner['rmse']:.4g} vs {best_model['model']} {best_model['rmse']:.4g}, DM {p}); "
            "use it"
        )
    return (
        f"verdict: {winner['model']} beats every model (RMSE {winner['rmse']:.4g} vs "
        f"{best_model['model']} {best_model['rmse']:.4g}, DM {p}); use the naive forecast"
    )


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


def series_p(scores: dict) -> float | None:
    """The DM p-value of one ``per_series`` entry against persistence (``None`` for runs saved
    before it was recorded)."""
    return scores.get("significance", {}).get("vs_persistence", {}).get("p_value")


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
    lines = [
        f"per series ({metrics['series']['column'] if 'series' in metrics else 'series'}; "
        "test windows of each; skill vs persistence):",
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
            fmt(s["mase"], ".3f"),
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
    if not _significant({"p_value": p}):
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
