"""The terminal text of ``forecast inspect``."""

from __future__ import annotations

from forecast.data.profile import MIN_SERIES_ROWS, OUTLIER_Z


def text_block(facts: dict, notes: list[str] | None = None) -> str:
    """The report as lines for a terminal."""
    f = facts
    missing = {c: n for c, n in f["missing"].items() if n}
    outlying = {c: o["count"] for c, o in f["outliers"].items() if o["count"]}
    s = f["strength"]
    lines = [
        f"rows        {f['rows']:,} from {f['start']} to {f['end']} ({f['span']})",
        f"frequency   {f['frequency']}; gaps {f['gaps']['count']}"
        + (f" (largest {f['gaps']['largest']})" if f["gaps"]["largest"] else ""),
        f"duplicates  {f['duplicate_timestamps']} duplicate timestamp(s)",
        "missing     " + (", ".join(f"{c} {n}" for c, n in missing.items()) or "none"),
        "constant    " + (", ".join(f["constant_columns"]) or "none"),
        f"outliers    (|robust z| > {OUTLIER_Z}) "
        + (", ".join(f"{c} {n}" for c, n in outlying.items()) or "none"),
        f"target      {f['target']}",
        f"season      {f['season']} rows ({f['season_source']}); suggested --window {f['window']}",
        f"strength    trend {s['trend']:.2f}"
        + (f", seasonal {s['seasonal']:.2f}" if s["seasonal"] is not None else "")
        + f" ({s['method']})",
    ]
    b = f["baselines"]
    if b.get("n_test_windows"):
        lines.append(
            f"baselines   horizon {f['horizon']}, {b['n_test_windows']} test windows: persistence "
            f"RMSE {b['persistence']['rmse']:.4g} MAE {b['persistence']['mae']:.4g}; seasonal "
            f"naive RMSE {b['seasonal_naive']['rmse']:.4g} MAE {b['seasonal_naive']['mae']:.4g}"
        )
    lines += [f"note        {n}" for n in (notes or []) + f["gap_notes"]]
    return "\n".join(lines)


def report(facts: dict, notes: list[str], limit: int = 10) -> str:
    """The printed report: one block, or one per series (the first ``limit``)."""
    if "per_series" not in facts:
        return text_block(facts, notes)
    names = list(facts["per_series"])
    blocks = [
        f"{facts['n_series']} series in column {facts['series_col']!r}"
        + (
            f"; skipped (under {MIN_SERIES_ROWS} rows): {', '.join(facts['skipped'])}"
            if facts["skipped"]
            else ""
        )
    ]
    for name in names[:limit]:
        blocks.append(
            f"--- {facts['series_col']} = {name}\n" + text_block(facts["per_series"][name])
        )
    if len(names) > limit:
        blocks.append(f"... and {len(names) - limit} more series in inspect.json")
    blocks += [f"note        {n}" for n in notes]
    return "\n".join(blocks)
