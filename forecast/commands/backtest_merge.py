"""``forecast backtest --merge DIR…``: join backtests run as separate jobs (one per fold with
``--only-folds``, one per model, or whole ``compare --folds`` directories) into one backtest
directory, or — when the parts hold several models or seeds — into one ``compare --folds``
directory. The pooled Diebold–Mariano tests are recomputed from the parts' origins.csv, so the
result equals a run of all of it in one process.

A part is refused, with the fix, when its settings differ from the others', when a fold appears
twice, or when a (model, seed) lacks folds.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from forecast import runs
from forecast.commands.backtest import (
    BacktestReport,
    folds_table,
    pooled_losses,
    series_target,
    summarise,
    write_backtest,
)
from forecast.commands.backtest_folds import FoldScores
from forecast.commands.compare_plan import cell_name
from forecast.commands.fold_compare import FoldComparison, Part, write_fold_comparison
from forecast.config import FitOptions
from forecast.data.prepared import load_series_for
from forecast.errors import ForecastError

SAME = ("window", "horizon", "fold_size", "folds_total", "refit")  # every part must agree
PER_PART = ("model", "segment", "seed")  # options that may differ between parts


def read_part(directory: Path) -> Part:
    """One backtest directory (backtest.json + origins.csv) as a ``Part``."""
    result = runs.read_json(directory, "backtest.json")
    if "folds_total" not in result or not (directory / "origins.csv").exists():
        raise ForecastError(
            f"{directory}: a backtest without origins.csv (written by an older forecast); "
            "run it again to merge it"
        )
    origins = pd.read_csv(directory / "origins.csv")
    scores = []
    for record in result["folds"]:
        rows = origins[origins["fold"] == record["fold"]]
        losses = {c: rows[c].to_numpy("float64") for c in rows if c not in ("fold", "origin")}
        scores.append(FoldScores(record, rows["origin"].astype(str).tolist(), losses))
    name = cell_name(result["model"], int(result.get("segment", 1)))
    return Part(name, int(result["seed"]), result, scores)


def read_parts(paths: list[Path]) -> list[Part]:
    """The parts in ``paths``: backtest directories, or compare --folds directories (every
    backtest inside)."""
    out = []
    for path in map(Path, paths):
        if (path / "backtest.json").exists():
            out.append(read_part(path))
        elif (path / "comparison.json").exists() and list(path.glob("*/backtest.json")):
            out.extend(read_part(p.parent) for p in sorted(path.glob("*/backtest.json")))
        else:
            raise ForecastError(
                f"{path}: not a backtest directory (no backtest.json); give the --out "
                "directories of `forecast backtest` or `forecast compare --folds`"
            )
    return out


def check_compatible(parts: list[Part]) -> None:
    """Refuse parts run with different settings (other than model, segment and seed)."""
    first = parts[0].result
    shared = lambda r: {k: v for k, v in r["options"].items() if k not in PER_PART}  # noqa: E731
    for p in parts[1:]:
        for key in SAME:
            if p.result[key] != first[key]:
                raise ForecastError(
                    f"cannot merge: {key} is {first[key]} in one part and {p.result[key]} in "
                    "another; merge only backtests run with the same settings"
                )
        if (
            shared(p.result) != shared(first)
            or Path(p.result["csv"]).name != Path(first["csv"]).name
        ):
            diff = sorted(k for k, v in shared(p.result).items() if shared(first).get(k) != v)
            raise ForecastError(
                f"cannot merge: the parts differ in {', '.join(diff) or 'their CSV'}; merge "
                "only backtests of the same data with the same options"
            )


def joined(parts: list[Part]) -> Part:
    """The parts of one (model, seed), folds in order, checked complete and disjoint."""
    first = parts[0]
    by_fold: dict[int, FoldScores] = {}
    for p in parts:
        for s in p.scores:
            k = s.record["fold"]
            if k in by_fold:
                raise ForecastError(
                    f"cannot merge: fold {k} of {first.name} seed {first.seed} is in two parts; "
                    "give each fold once"
                )
            by_fold[k] = s
    total = first.result["folds_total"]
    missing = [k for k in range(1, total + 1) if k not in by_fold]
    if missing:
        ks = ",".join(map(str, missing))
        raise ForecastError(
            f"cannot merge: {first.name} seed {first.seed} lacks fold(s) {ks} of {total}; run "
            f"them with --only-folds {ks} and merge again"
        )
    scores = [by_fold[k] for k in sorted(by_fold)]
    records = [s.record for s in scores]
    result = dict(first.result, folds=records)
    result["summary"] = summarise(records, pooled_losses(scores), first.result["horizon"])
    return Part(first.name, first.seed, result, scores)


def merge(paths: list[Path], out: Path, overwrite: bool = False):
    """Merge the backtests in ``paths`` into ``out``: a ``BacktestReport`` for one (model, seed),
    else a ``FoldComparison``."""
    if not paths:
        raise ForecastError("--merge needs the directories to merge, e.g. --merge parts/*")
    runs.check_out_dir(out, overwrite)
    parts = read_parts(paths)
    check_compatible(parts)
    groups: dict[tuple[str, int], list[Part]] = {}
    for p in parts:
        groups.setdefault((p.name, p.seed), []).append(p)
    merged = [joined(group) for group in groups.values()]
    csv = Path(merged[0].result["csv"])
    if not csv.exists():
        raise ForecastError(
            f"{csv}: the data the parts were run on is not here; merge where that path exists"
        )
    options = FitOptions.from_dict(merged[0].result["options"])
    index, target = series_target(load_series_for(csv, options), options)
    with runs.out_lock(out):
        if len(merged) == 1:
            p = merged[0]
            write_backtest(out, p.result, p.scores, index, target)
            table = folds_table(p.result["folds"], p.result["model"])
            return BacktestReport(out, p.result, table, [])
        result = write_fold_comparison(out, merged, index, target)
    return FoldComparison(out, result["rows"], result)
