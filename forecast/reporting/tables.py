"""The comparison table: BEST / ≈ BEST / LOSES TO PERSISTENCE marks, text and markdown."""

from __future__ import annotations

BEST = "BEST"


NEAR_BEST = "≈ BEST"


LOSES = "LOSES TO PERSISTENCE"


def marks(row: dict) -> str:
    flags = (
        (BEST, row["best"]),
        (NEAR_BEST, row.get("near_best", False)),
        (LOSES, row["loses_to_persistence"]),
    )
    return " ".join(m for m, on in flags if on)


TABLE = [  # header, key, format; the sd (if any) is shown as "± sd"
    ("RMSE", "rmse", ".4g"),
    ("MAE", "mae", ".4g"),
    ("skill", "skill_vs_persistence", "+.1%"),
    ("params", "params", ",d"),
    ("s/epoch", "seconds_per_epoch", ".2f"),
    ("samples/s", "train_samples_per_second", ",.0f"),
    ("ms/window", "latency_ms_per_window", ".3f"),
    ("epochs", "epochs_to_converge", ".1f"),
    ("cov80", "coverage_80", ".1%"),
    ("cov95", "coverage_95", ".1%"),
]


def cell(row: dict, key: str, spec: str) -> str:
    value = row.get(key)
    if value is None or (key == "params" and row["kind"] == "baseline" and not value):
        return "-"
    text = format(value, spec)
    sd = row.get(f"{key}_sd")
    return f"{text} ± {sd:.2g}" if sd and row["kind"] == "model" else text


SERIES_TABLE = [  # --series: the scale-free means first (they decide BEST), then pooled scores
    ("mean MASE", "mean_mase", ".3f"),
    ("mean sMAPE%", "mean_smape", ".2f"),
    ("pooled RMSE", "rmse", ".4g"),
    ("pooled MAE", "mae", ".4g"),
    *TABLE[2:],
]


def columns(rows: list[dict]) -> list[tuple[str, str, str]]:
    """``SERIES_TABLE`` when every row has a mean MASE (a ``--series`` comparison), else
    ``TABLE``."""
    return SERIES_TABLE if rows and all("mean_mase" in r for r in rows) else TABLE


def table_cells(rows: list[dict]) -> tuple[list[str], list[list[str]]]:
    table = columns(rows)
    header = ["model", *(h for h, _, _ in table), "note"]
    body = [[r["model"], *(cell(r, k, s) for _, k, s in table), marks(r)] for r in rows]
    return header, body


def fixed_width(rows: list[list[str]], left: set[int]) -> str:
    """``rows`` (the header first) as fixed-width text: the columns in ``left`` left-justified,
    the others right-justified, two spaces apart."""
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    return "\n".join(
        "  ".join(
            c.ljust(w) if i in left else c.rjust(w)
            for i, (c, w) in enumerate(zip(cells, widths, strict=True))
        ).rstrip()
        for cells in rows
    )


def markdown(header: list[str], body: list[list[str]]) -> str:
    """A markdown table (empty cells kept as a space)."""
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(c if c else " " for c in b) + " |" for b in body]
    return "\n".join(lines)


def text_table(rows: list[dict]) -> str:
    """The comparison for the terminal, fixed width."""
    header, body = table_cells(rows)
    return fixed_width([header, *body], {0, len(header) - 1})


def markdown_table(rows: list[dict]) -> str:
    return markdown(*table_cells(rows))
