"""``forecast compare --folds K``: every cell of the plan (architecture × segment, ``seeds`` seeds
each) backtested on the same K folds, in one table with the baselines as rows.

The directory holds one backtest directory per (cell, seed) — ``gru-seed42/backtest.json`` … — and
comparison.json / .csv / .md and folds_rmse.png: RMSE per fold, mean ± sd over folds and seeds,
wins against persistence and linear "k of K", and BEST / ≈ BEST from Diebold–Mariano tests on all
folds' origins pooled (a cell's per-origin losses averaged over its seeds). Every training is one
``FoldTask``, run one after another or in ``jobs`` worker processes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from forecast import runs
from forecast.commands.backtest import (
    backtest_result,
    check_request,
    chosen_folds,
    fold_names,
    fold_tasks,
    plan_folds,
    pooled_losses,
    run_fold_tasks,
    series_target,
    write_backtest_files,
)
from forecast.commands.compare_plan import ComparePlan, cell_name
from forecast.config import FitOptions
from forecast.data.prepared import load_series_for
from forecast.errors import ForecastError
from forecast.evaluation.comparison import ALPHA
from forecast.evaluation.fold_comparison import fold_comparison_rows
from forecast.jobs import placement
from forecast.training.selection import season_of


@dataclass
class FoldComparison:
    """What ``compare --folds`` wrote: the directory, the rows, comparison.json's content."""

    out: Path
    rows: list[dict]
    result: dict
    notes: list[str] = field(default_factory=list)
    interrupted: bool = False


@dataclass
class Part:
    """One (cell, seed) backtest: backtest.json's content and its fold scores."""

    name: str
    seed: int
    result: dict
    scores: list


def cell_options(options: FitOptions, plan: ComparePlan) -> list[tuple[str, FitOptions]]:
    """``(row name, options)`` for every cell and seed of ``plan``, in table order."""
    out = []
    for name, segment in plan.cells():
        for k in range(plan.seeds):
            seed = options.seed + k * options.ensemble  # as compare: runs never share members
            out.append(
                (cell_name(name, segment), options.replace(model=name, segment=segment, seed=seed))
            )
    return out


def compare_folds(
    csv: Path,
    options: FitOptions,
    plan: ComparePlan,
    out: Path,
    folds: int = 5,
    fold_size: int | None = None,
    refit: str = "every",
    overwrite: bool = False,
    verbose: int = 0,
    log=print,
    jobs: int = 1,
    cluster=None,
) -> FoldComparison:
    """Backtest every cell of ``plan`` on the same ``folds`` folds of ``csv``; write ``out``
    (options left to the data take their fixed defaults, ``FitOptions.plain``), ``jobs`` at a
    time or on a Dask ``cluster``."""
    options = options.plain()
    check_request(options, folds, fold_size, refit, jobs)
    if plan.seeds < 1:
        raise ForecastError(f"--seeds {plan.seeds} must be a positive integer; use e.g. --seeds 3")
    runs.check_out_dir(out, overwrite)
    with runs.out_lock(out):
        series = load_series_for(csv, options)
        plan = plan.resolved(options, season_of(series, options))
        bounds = plan_folds(len(series.frame), options, folds, fold_size)
        chosen = chosen_folds(bounds, None, refit)
        cells = cell_options(options, plan)
        tasks, owners = [], []
        for i, (_, opts) in enumerate(cells):
            for task in fold_tasks(csv, opts, chosen, refit, verbose):
                tasks.append(task)
                owners.append(i)
        log(
            f"compare over {folds} folds: {len(plan.cells())} model(s) x {plan.seeds} seed(s), "
            f"{len(tasks)} trainings {placement(jobs, len(tasks), cluster)} ..."
        )
        done, interrupted = run_fold_tasks(tasks, jobs, log, task_label, cluster)
        if not done:
            raise KeyboardInterrupt("no training had finished")
        parts = []
        for i, (name, opts) in enumerate(cells):
            scores = [s for j in sorted(done) if owners[j] == i for s in done[j].scores]
            if scores:
                result = backtest_result(csv, opts, refit, bounds, scores)
                parts.append(Part(name, opts.seed, result, scores))
        notes = list(dict.fromkeys(n for j in sorted(done) for n in done[j].notes))
        complete = [p for p in parts if len(p.scores) == len(chosen)]
        if interrupted:
            notes.append(
                f"interrupted: {len(done)} of {len(tasks)} trainings had finished; compared "
                f"{len(complete)} of {len(cells)} (model, seed) with every fold; finish the others "
                f"with `forecast backtest --only-folds` and join with `forecast backtest --merge`"
            )
        index, target = series_target(series, options)
        result = write_fold_comparison(out, parts, index, target, complete, interrupted)
    return FoldComparison(out, result.get("rows", []), result, notes, interrupted)


def task_label(task) -> str:
    """``gru-seg7 seed 42 fold 3``: what a task trains, for the progress lines."""
    name = cell_name(task.options.model, task.options.segment)
    return f"{name} seed {task.options.seed} {fold_names(task)}"


def comparison_of(parts: list[Part]) -> dict:
    """comparison.json's content from the (cell, seed) backtests."""
    grouped: dict[str, list] = {}
    for p in parts:
        grouped.setdefault(p.name, []).append((p.result["folds"], pooled_losses(p.scores)))
    first = parts[0].result
    rows = fold_comparison_rows(grouped, first["horizon"])
    best = next(r["model"] for r in rows if r["best"])
    return {
        "csv": first["csv"],
        "folds": len(first["folds"]),
        "fold_size": first["fold_size"],
        "refit": first["refit"],
        "window": first["window"],
        "horizon": first["horizon"],
        "seeds": sorted({p.seed for p in parts}),
        "best": best,
        "best_model": min((r for r in rows if r["kind"] == "model"), key=lambda r: r["rmse_mean"])[
            "model"
        ],
        "fold_blocks": [
            {k: f[k] for k in ("fold", "train_end", "test_start", "test_end", "n_windows")}
            for f in first["folds"]
        ],
        "rows": rows,
        "runs": {n: [f"{p.name}-seed{p.seed}" for p in parts if p.name == n] for n in grouped},
    }


def write_fold_comparison(
    out: Path, parts: list[Part], index, target, compared=None, interrupted: bool = False
) -> dict:
    """Every part's backtest directory, and comparison.json / .csv / .md and folds_rmse.png of
    the ``compared`` parts (default: all; none after an early Ctrl-C), into ``out``,
    atomically. Returns comparison.json's content (``{}`` when nothing was compared)."""
    from forecast.reporting.fold_tables import plot_fold_comparison

    compared = parts if compared is None else compared
    result = dict(comparison_of(compared), interrupted=interrupted) if compared else {}
    with runs.staged_dir(out) as tmp:
        for p in parts:
            directory = tmp / f"{p.name}-seed{p.seed}"
            directory.mkdir()
            write_backtest_files(directory, p.result, p.scores, index, target)
        if not compared:
            return result
        rows = result["rows"]
        runs.write_json(tmp / "comparison.json", result)
        flat = []
        for r in rows:
            row = {k: v for k, v in r.items() if k != "fold_rmse"}
            row.update({f"fold_{i}": x for i, x in enumerate(r["fold_rmse"], start=1)})
            flat.append(row)
        pd.DataFrame(flat).to_csv(tmp / "comparison.csv", index=False, float_format="%.6g")
        (tmp / "comparison.md").write_text(comparison_markdown(result) + "\n")
        plot_fold_comparison(tmp / "folds_rmse.png", index, target, result["fold_blocks"], rows)
    return result


def comparison_markdown(result: dict) -> str:
    """comparison.md: the table and how to read it."""
    from forecast.reporting.fold_tables import fold_markdown_table, fold_verdict

    return "\n".join(
        [
            f"# Backtest comparison on {Path(result['csv']).name}: {result['folds']} folds of "
            f"{result['fold_size']} rows, window {result['window']}, horizon {result['horizon']}, "
            f"refit {result['refit']}, {len(result['seeds'])} seed(s)",
            "",
            fold_markdown_table(result["rows"]),
            "",
            fold_verdict(result["rows"]),
            "",
            "Test RMSE per fold (a model's: mean over its seeds) and mean ± sd over folds and "
            "seeds. wins: folds with a lower RMSE than persistence / the linear baseline. p: "
            "Diebold–Mariano (HLN-corrected) on every fold's origins pooled. ≈ BEST: not "
            f"significantly different from the best row (p >= {ALPHA:g}).",
        ]
    )
