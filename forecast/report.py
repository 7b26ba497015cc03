"""Plain-text tables for the terminal: the model and its baselines side by side."""

from __future__ import annotations

import math

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


def verdict_line(metrics: dict) -> str:
    """One sentence: does the model beat persistence, and the linear baseline?"""
    model, skill = metrics["model"], metrics["skill_vs_persistence"]
    linear = metrics["baselines"]["linear"]["rmse"]
    if skill > 0:
        head = f"{model} beats persistence by {skill:.1%} in RMSE"
    else:
        head = (
            f"WARNING: {model} does NOT beat persistence (RMSE {metrics['rmse']:.4g} vs "
            f"{metrics['baselines']['persistence']['rmse']:.4g}); use the naive forecast"
        )
    if metrics["model"] != "linear" and metrics["rmse"] >= linear:
        head += f"; it does not beat the linear baseline either (RMSE {linear:.4g})"
    return head


def interval_line(metrics: dict) -> str:
    """Conformal interval widths (step 1 … last step) and their empirical test coverage."""
    parts = []
    for key, widths in metrics.get("intervals", {}).items():
        cov = metrics.get(f"coverage_{key}", float("nan"))
        parts.append(
            f"{key}%: ±{fmt(widths[0], '.3g')}…±{fmt(widths[-1], '.3g')}, "
            f"test coverage {fmt(cov, '.1%')}"
        )
    return "intervals (split conformal on validation) " + "; ".join(parts) if parts else ""
