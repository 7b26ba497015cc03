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


def table_cells(rows: list[dict]) -> tuple[list[str], list[list[str]]]:
    header = ["model", *(h for h, _, _ in TABLE), "note"]
    body = [[r["model"], *(cell(r, k, s) for _, k, s in TABLE), marks(r)] for r in rows]
    return header, body


def text_table(rows: list[dict]) -> str:
    """The comparison for the terminal, fixed width."""
    header, body = table_cells(rows)
    widths = [max(len(x[i]) for x in [header, *body]) for i in range(len(header))]
    fmt_row = lambda cells: "  ".join(  # noqa: E731
        c.ljust(w) if i in (0, len(cells) - 1) else c.rjust(w)
        for i, (c, w) in enumerate(zip(cells, widths, strict=True))
    ).rstrip()
    return "\n".join([fmt_row(header), *(fmt_row(b) for b in body)])


def markdown_table(rows: list[dict]) -> str:
    header, body = table_cells(rows)
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(c if c else " " for c in b) + " |" for b in body]
    return "\n".join(lines)
