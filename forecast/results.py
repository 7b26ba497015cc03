"""What the Python API returns: a ``Run`` (one run directory) and a ``Comparison``.

Both read their directory lazily; everything they show is what the CLI prints or writes.
"""

from __future__ import annotations

import contextlib
import re
import tempfile
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

import pandas as pd

from forecast import runs
from forecast.data.sources import data_file
from forecast.errors import ForecastError


def _silent(message: str) -> None:
    """The default ``log``: notes are kept on the result, not printed."""


TABLE_COLUMNS = ["rmse", "mae", "smape", "mase", "skill_vs_persistence"]
HEADLINE_COLUMNS = ["mean_mase", "mean_smape"]  # --series runs


def row_name(label: str) -> str:
    """A table row's forecaster name: ``seasonal_naive(7)`` → ``seasonal_naive`` (the season is a
    column of metrics.json), as ``Run.table`` names it."""
    return re.sub(r"\(\d+\)$", "", str(label))


def predictions_path(run_dir: Path) -> Path:
    """predictions.csv, or predictions.parquet for a test period too long for a CSV."""
    for name in ("predictions.csv", "predictions.parquet"):
        if (run_dir / name).is_file():
            return run_dir / name
    raise ForecastError(f"{run_dir} has no predictions.csv or .parquet; re-run fit")


@dataclass
class Run:
    """A run directory written by ``fit``: its metrics, tables, forecasts and model.

    Attributes:
        path: the run directory.
        notes: what reading the data noted (gaps filled, columns skipped, ...).
    """

    path: Path
    notes: list[str] = field(default_factory=list)

    @cached_property
    def metrics(self) -> dict:
        """metrics.json."""
        return runs.read_json(self.path, "metrics.json")

    @cached_property
    def config(self) -> dict:
        """config.json: every option, the data file and the library versions."""
        return runs.read_json(self.path, "config.json")

    @property
    def table(self) -> pd.DataFrame:
        """The model and every baseline on the same test windows, one row each (the model first,
        index ``model``): ``rmse``, ``mae``, ``smape``, ``mase``, ``skill_vs_persistence``; a
        ``--series`` run also ``mean_mase`` and ``mean_smape`` (each series' own, averaged: the
        scores its verdict is decided on; the others are pooled over the series)."""
        m = self.check_scored("table")
        extra = HEADLINE_COLUMNS if "headline" in m else []
        rows = {m["model"]: {k: m.get(k) for k in TABLE_COLUMNS + extra}}
        persistence = m["baselines"]["persistence"]["rmse"]
        for name, b in m["baselines"].items():
            skill = 1 - b["rmse"] / persistence if persistence > 0 else float("nan")
            rows[name] = {**{k: b.get(k) for k in TABLE_COLUMNS[:4]}, TABLE_COLUMNS[4]: skill}
            rows[name].update({k: b.get(k) for k in extra})
        table = pd.DataFrame.from_dict(rows, orient="index")
        table.index.name = "model"
        return table

    @property
    def predictions(self) -> pd.DataFrame:
        """Every (test origin, horizon step): timestamp, step, origin, actual, predicted, the
        interval bounds and each baseline's forecast, in the target's units."""
        path = predictions_path(self.path)
        if path.suffix == ".parquet":
            return pd.read_parquet(path)
        return pd.read_csv(path, parse_dates=["timestamp", "origin"])

    @property
    def decision(self):
        """The verdict as data (``forecast.evaluation.verdict.Verdict``): the forecaster to use,
        the score it was judged on, the runner-up, the Diebold–Mariano evidence and the
        reasons."""
        from forecast.evaluation.verdict import decide

        return decide(self.check_scored("decision"))

    def check_scored(self, what: str) -> dict:
        """metrics.json, or a ``ForecastError`` for a run that scored nothing (``--split
        auto,VAL,0``: no test rows, so no table and no verdict)."""
        if self.metrics.get("scored") is False:
            raise ForecastError(
                f"{self.path} scored nothing (fit with no test rows, --split ...,0), so it has no "
                f"{what}; its forecasts are run.predict(), its validation scores run.metrics"
            )
        return self.metrics

    @property
    def verdict(self) -> str:
        """The one-line verdict ``forecast fit`` ends with: ``decision`` rendered."""
        from forecast.reporting.verdict_text import render_fit

        return render_fit(self.decision)

    def predict(
        self,
        data=None,
        out: str | Path | None = None,
        log=_silent,
        only: str | None = None,
        use: str = "final",
        record: bool = True,
    ) -> pd.DataFrame:
        """The next ``horizon`` steps past the last row of ``data`` (default: the run's own
        training data), as ``forecast predict`` gives them, with the interval bounds.

        Args:
            data: a CSV/parquet path or a DataFrame with the run's columns; ``None``: the file
                the run was trained on (a DataFrame fit keeps a copy in the run directory).
            out: also write the forecast there (a CSV, and a PNG beside it).
            log: where notes go (default: nowhere).
            only: a ``--series`` run: forecast these series only (``"A,B"``).
            use: ``"final"``: final_model.keras, the configuration refit on every row (the
                scored model when the run has none); ``"scored"``: model.keras, the model the
                metrics describe. The ``model_version`` column says which was used.
            record: append the forecast to the run's forecast log (forecasts.csv), which
                ``forecast update`` scores once the targets arrive.
        """
        from forecast.commands.predict import predict_future

        with contextlib.ExitStack() as stack:
            path = None if data is None else stack.enter_context(data_file(data))
            if out is None:
                out = Path(stack.enter_context(tempfile.TemporaryDirectory())) / "future.csv"
            frame, _ = predict_future(
                self.path, path, Path(out), log=log, only=only, use=use, record=record
            )
        return frame

    def evaluate(self, data, only: str | None = None, log=_silent) -> dict:
        """Score the saved model on the test split of ``data`` (same split fractions as the run)
        against the baselines, as ``forecast evaluate`` does: the metrics.json keys of the scores,
        significance and diagnostics. The scored model.keras, never final_model.keras, which has
        trained on the test rows."""
        from forecast.commands.evaluate import evaluate_run

        with data_file(data) as path:
            return evaluate_run(self.path, path, log=log, only=only)

    def plot(self):
        """forecast.png as a matplotlib ``Figure`` (the test period, example origins and the
        baselines), e.g. to show in a notebook."""
        import matplotlib.image as mpimg
        import matplotlib.pyplot as plt

        image = mpimg.imread(self.path / "forecast.png")
        height, width = image.shape[:2]
        fig = plt.figure(figsize=(width / 100, height / 100), dpi=100)
        ax = fig.add_axes((0, 0, 1, 1))
        ax.imshow(image)
        ax.set_axis_off()
        plt.close(fig)  # returned, not shown twice by pyplot
        return fig


def run_name(names_by_model: dict[str, list[str]], model: str, seed: int | None) -> str:
    """The directory of ``model``'s first seed (or of ``seed``) in a comparison's ``runs``."""
    names = names_by_model.get(model)
    if not names:
        known = ", ".join(names_by_model)
        raise ForecastError(f"{model!r} is not in this comparison; it has {known}")
    name = names[0] if seed is None else f"{model}-seed{seed}"
    if name not in names:
        raise ForecastError(f"{model} has no seed {seed} here; its directories are {names}")
    return name


@dataclass
class Comparison:
    """A comparison directory written by ``compare``.

    Attributes:
        path: the comparison directory (one run directory per model and seed inside).
        rows: one dict per architecture and baseline (comparison.json ``rows``).
        models: per architecture, every seed's metrics, histories and per-origin test losses
            (only on a comparison just run, empty after ``load``).
        notes: what reading the data noted.
        interrupted: Ctrl-C ended the comparison early; it compares the runs that had finished.
    """

    path: Path
    rows: list[dict]
    models: dict = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    interrupted: bool = False

    @cached_property
    def summary(self) -> dict:
        """comparison.json."""
        return runs.read_json(self.path, "comparison.json")

    @property
    def table(self) -> pd.DataFrame:
        """comparison.csv: per architecture and baseline the RMSE and MAE (mean and sd over
        seeds), skill, parameters, speed, interval coverage and Diebold–Mariano p-values."""
        table = pd.read_csv(self.path / "comparison.csv")
        table["model"] = table["model"].map(row_name)
        return table.set_index("model")

    @property
    def best(self) -> str:
        """The verdict's choice: the lowest-RMSE row (``--series``: the lowest mean MASE),
        architectures and baselines alike."""
        return row_name(self.summary["best"])

    @property
    def best_model(self) -> str:
        """The best architecture by the same score."""
        return self.summary["best_model"]

    @property
    def decision(self):
        """The verdict as data (``forecast.evaluation.verdict.Verdict``)."""
        from forecast.evaluation.verdict import decide_compare

        return decide_compare(self.rows)

    @property
    def verdict(self) -> str:
        """The one-line verdict ``forecast compare`` ends with: ``decision`` rendered."""
        from forecast.reporting.verdict_text import render_compare

        return render_compare(self.decision)

    def markdown(self) -> str:
        """The comparison table in markdown, with the BEST / ≈ BEST / LOSES marks."""
        from forecast.reporting.tables import markdown_table

        return markdown_table(self.rows)

    def run(self, model: str, seed: int | None = None) -> Run:
        """The run directory of ``model`` (its first seed unless ``seed`` is given)."""
        return Run(self.path / run_name(self.summary["runs"], model, seed))


@dataclass
class Backtest:
    """What ``forecast.backtest`` returns (``forecast backtest`` prints the same).

    Attributes:
        path: the directory holding backtest.json, folds.csv and backtest.png.
        summary: backtest.json ``summary`` (rmse_mean, rmse_sd, wins, pooled significance).
        folds: folds.csv: one row per fold and forecaster.
        result: the whole of backtest.json.
        notes: what reading the data noted.
        interrupted: Ctrl-C stopped it; it holds the folds that had finished (join the rest,
            run with ``only_folds``, with ``merge_backtests``).
    """

    path: Path
    summary: dict
    folds: pd.DataFrame
    result: dict = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    interrupted: bool = False


@dataclass
class BacktestComparison:
    """What ``forecast.compare(..., folds=K)`` returns (``forecast compare --folds K`` prints
    the same): every architecture backtested on the same folds.

    Attributes:
        path: the directory: comparison.json / .csv / .md, folds_rmse.png and one backtest
            directory per architecture and seed.
        rows: per architecture and baseline: RMSE per fold, mean ± sd over folds and seeds,
            wins against persistence and linear, pooled Diebold–Mariano p-values, marks.
        result: the whole of comparison.json.
        notes: what reading the data noted.
        interrupted: Ctrl-C stopped it; it compares the models whose folds had all finished
            and keeps every finished fold in the backtest directories.
    """

    path: Path
    rows: list[dict]
    result: dict = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    interrupted: bool = False

    @property
    def table(self) -> pd.DataFrame:
        """comparison.csv, indexed by model."""
        return pd.read_csv(self.path / "comparison.csv").set_index("model")

    @property
    def best(self) -> str:
        """The row with the lowest mean RMSE over the folds, architectures and baselines alike."""
        return self.result["best"]

    @property
    def verdict(self) -> str:
        """The verdict ``forecast compare --folds`` ends with."""
        from forecast.reporting.fold_tables import fold_verdict

        return fold_verdict(self.rows)

    def backtest(self, model: str, seed: int | None = None) -> Backtest:
        """The backtest of ``model`` (its first seed unless ``seed`` is given)."""
        return load_backtest(self.path / run_name(self.result["runs"], model, seed))


def load_backtest(path: Path) -> Backtest:
    """A backtest directory read back."""
    result = runs.read_json(path, "backtest.json")
    table = pd.read_csv(path / "folds.csv")
    return Backtest(path, result["summary"], table, result, [], bool(result.get("interrupted")))
