"""What a memory run reports: memory.json, the per-cell summary (solved seeds, median
steps-to-solve, median MSE), the printed table and memory.png. ``load_memory`` reads a finished
run back, e.g. into a notebook."""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path

import numpy as np

from forecast.errors import ForecastError
from forecast.experiments.adding import BASELINE_MSE
from forecast.experiments.memory import MemoryResult, MemorySettings


def memory_json(result: MemoryResult) -> dict:
    """The memory.json document: task, settings, per-cell summary and one row per cell."""
    return {
        "task": "adding problem: sum of the two marked values of a length-L sequence",
        "baseline": "predict 1.0 (no memory); expected MSE 1/6",
        "expected_baseline_mse": BASELINE_MSE,
        "solved_threshold_mse": result.settings.threshold,
        "settings": asdict(result.settings),
        "seeds": result.seeds,
        "timing": result.timing,
        "summary": summarise(result.rows),
        "rows": result.rows,
        "histories": result.histories,
    }


def summarise(rows: list[dict]) -> list[dict]:
    """Per (model, length): seeds solved, median steps-to-solve (solved seeds), median MSE."""
    cells: dict[tuple[str, int], list[dict]] = {}
    for r in rows:
        cells.setdefault((r["model"], r["length"]), []).append(r)
    summary = []
    for (name, length), rs in cells.items():
        solved = [r for r in rs if r["solved"]]
        summary.append(
            {
                "model": name,
                "length": length,
                "seeds": len(rs),
                "solved": len(solved),
                "median_steps_to_solve": float(np.median([r["steps"] for r in solved]))
                if solved
                else None,
                "median_mse": float(np.median([r["mse"] for r in rs])),
                "median_seconds": float(np.median([r["seconds"] for r in rs])),
            }
        )
    return summary


def load_memory(out: Path) -> MemoryResult:
    """A finished memory run read back from ``out`` (memory.json and gradients.json; no models).

    Raises:
        ForecastError: ``out`` holds no memory.json.
    """
    import json

    path = Path(out) / "memory.json"
    if not path.is_file():
        raise ForecastError(f"{path} not found; run `forecast compare --task memory --out {out}`")
    doc = json.loads(path.read_text())
    rows = doc["rows"]
    grads = Path(out) / "gradients.json"
    return MemoryResult(
        rows=rows,
        models=list(dict.fromkeys(r["model"] for r in rows)),
        lengths=sorted({r["length"] for r in rows}),
        seeds=doc["seeds"],
        settings=MemorySettings(**doc["settings"]),
        histories=doc["histories"],
        trained={},
        gradients=json.loads(grads.read_text()) if grads.is_file() else None,
        timing=doc.get("timing"),
    )


def memory_table(result: MemoryResult) -> str:
    """One line per model × length: solved seeds, median steps-to-solve and median test MSE."""
    lines = [f"{'model':8}{'L':>5}{'solved':>9}{'steps':>8}{'mse':>9}{'s/seed':>8}"]
    for c in summarise(result.rows):
        steps = "-" if c["median_steps_to_solve"] is None else f"{c['median_steps_to_solve']:.0f}"
        lines.append(
            f"{c['model']:8}{c['length']:>5}{c['solved']:>5}/{c['seeds']:<3}{steps:>8}"
            f"{c['median_mse']:>9.4f}{c['median_seconds']:>8.0f}"
        )
    lines.append(
        f"(test MSE, median over seeds; solved = MSE < {result.settings.threshold}; "
        f"steps = median steps-to-solve; baseline 'predict 1.0' = {BASELINE_MSE:.3f})"
    )
    return "\n".join(lines)


def plot_memory(ax, result: MemoryResult):
    """Test MSE against sequence length, one line per model (median, seeds as dots)."""
    for k, name in enumerate(result.models):
        rows = [r for r in result.rows if r["model"] == name]
        medians = [np.median([r["mse"] for r in rows if r["length"] == n]) for n in result.lengths]
        (line,) = ax.plot(result.lengths, medians, marker="o", label=name)
        jitter = 1 + 0.03 * (k - len(result.models) / 2)
        ax.scatter(
            [r["length"] * jitter for r in rows],
            [r["mse"] for r in rows],
            s=10,
            color=line.get_color(),
            alpha=0.5,
        )
    ax.axhline(BASELINE_MSE, color="grey", ls=":", label="baseline: predict 1.0 (1/6)")
    ax.axhline(
        result.settings.threshold,
        color="black",
        ls="--",
        label=f"solved: MSE < {result.settings.threshold}",
    )
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xticks(result.lengths, [str(n) for n in result.lengths])
    ax.set_xticks([], minor=True)
    ax.set_xlabel("sequence length L")
    ax.set_ylabel("test MSE")
    ax.legend(fontsize="small", loc="upper left", bbox_to_anchor=(1.01, 1))
    return ax


def save_memory_plot(path: Path, result: MemoryResult) -> None:
    from forecast.reporting.plots import plt, save

    fig, ax = plt.subplots(figsize=(8.5, 4.5), layout="constrained")
    plot_memory(ax, result).set_title("adding problem: test MSE by sequence length")
    save(fig, path)
