"""Command line: a click group of thin commands that parse flags, call the Python API
(``forecast.api``) and print.

TensorFlow is imported only inside commands that train or load models, so ``forecast --help`` stays
fast. Bad input ends with one line on stderr and exit status 2; ``--debug`` shows the traceback.
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

from forecast.cli_backtest import backtest
from forecast.cli_compare import compare
from forecast.cli_options import (
    DEFAULTS,
    ForecastGroup,
    echo_err,
    fit_options,
    keras_verbosity,
    mlflow_option,
    out_options,
)
from forecast.cli_score import score
from forecast.cli_tune import tune
from forecast.errors import ForecastError
from forecast.models.registry import REGISTRY
from forecast.quiet import quiet_tensorflow_import


@click.group(cls=ForecastGroup)
@click.option("--debug", is_flag=True, help="Show full tracebacks instead of one-line errors.")
@click.version_option(package_name="forecast")
def cli(debug: bool) -> None:
    """Train recurrent forecasters (RNN, LSTM, GRU, LSTM→GRU) on a CSV time series and check
    them honestly against persistence, seasonal-naive and linear baselines."""
    quiet_tensorflow_import()  # no TensorFlow start-up chatter; TensorFlow is not imported here


@cli.command()
@click.argument("csv", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--model",
    type=click.Choice(list(REGISTRY)),
    default=None,
    help=f"Architecture (see `forecast models`). [default: {DEFAULTS.model}]",
)
@fit_options
@mlflow_option
@out_options("Run directory. [default: runs/<timestamp>-<model>]")
@click.option(
    "--resume",
    type=click.Path(file_okay=False, path_type=Path),
    help="Continue the interrupted fit of this run directory from its checkpoint "
    "RUN_DIR.partial (same CSV and options).",
)
def fit(
    csv: Path,
    out: Path | None,
    overwrite: bool,
    resume: Path | None,
    quiet: bool,
    config_file: Path | None,
    **flags,
) -> None:
    """Train one model on CSV, score it against baselines on the test split, save the run."""
    from forecast import api
    from forecast.reporting.terminal import fit_report

    if resume is not None and out is not None and out != resume:
        raise ForecastError(f"--resume {resume} and --out {out} differ; give only --resume")
    run = api.fit(
        csv,
        out=resume or out,
        overwrite=overwrite,
        resume=resume is not None,
        config=config_file,
        verbose=keras_verbosity(quiet),
        log=echo_err,
        **flags,
    )
    click.echo(f"\nrun: {run.path}")
    if run.metrics.get("scored") is False:  # --split auto,VAL,0: no test rows
        from forecast.reporting.unscored_text import unscored_report

        click.echo(unscored_report(run.metrics).replace("RUN_DIR", str(run.path)))
        return
    click.echo(fit_report(run.metrics))


@cli.command()
@click.argument("run_dir", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.argument("csv", required=False, type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Forecast CSV (a PNG is written beside it). [default: RUN_DIR/future.csv]",
)
@click.option("--only", help="A --series run: forecast these series only, e.g. AAPL,MSFT.")
@click.option(
    "--use",
    type=click.Choice(["final", "scored"]),
    default="final",
    show_default=True,
    help="'final': final_model.keras, refit on every row (model.keras when the run has none); "
    "'scored': model.keras, the model metrics.json describes.",
)
def predict(run_dir: Path, csv: Path | None, out: Path | None, only: str | None, use: str) -> None:
    """Forecast the next `horizon` steps past the last row of CSV (default: the run's CSV); a
    run trained with --series forecasts every series (first column: the series)."""
    from forecast.results import Run

    out = out or run_dir / "future.csv"
    frame = Run(run_dir).predict(csv, out=out, log=echo_err, only=only, use=use)
    click.echo(frame.to_string(index=False))
    click.echo(f"wrote {out} and {out.with_suffix('.png')}")


@cli.command()
@click.argument("run_dir", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.argument("csv", required=False, type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--refit",
    type=click.Choice(["never", "on-alert", "always"]),
    default="never",
    show_default=True,
    help="Refit on every row into a new model version: never, when this update raises an "
    "alert, or every time (the previous version is kept in RUN_DIR/versions).",
)
@click.option("--rollback", is_flag=True, help="Make the previous model version current again.")
@mlflow_option
def update(
    run_dir: Path, csv: Path | None, refit: str, rollback: bool, mlflow: bool | None
) -> None:
    """Take new rows (CSV: the run's series grown by new rows, or only the new rows): score the
    logged forecasts that came true against persistence and the linear baseline, move the
    adaptive intervals, test for drift, optionally refit, and forecast and log the next horizon.
    Exit status 3 when an alert is raised (docs/operate.md)."""
    from forecast import tracking
    from forecast.commands.update import EXIT_ALERT, update_run

    tracking.check(mlflow)
    report = update_run(run_dir, csv, refit=refit, rollback=rollback, log=echo_err)
    tracking.track("update", run_dir, {"refit": refit, "rollback": rollback}, mlflow, echo_err)
    for line in report.lines:
        (echo_err if line.startswith(("note", "warning", "ALERT")) else click.echo)(line)
    if report.forecast is not None:
        click.echo(report.forecast.to_string(index=False))
        click.echo(f"wrote {run_dir / 'future.csv'}, monitor.json and report.html")
    if report.alerts:
        sys.exit(EXIT_ALERT)


@cli.command()
@click.argument("run_dir", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.argument("csv", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--only", help="A --series run: evaluate these series only, e.g. AAPL,MSFT.")
def evaluate(run_dir: Path, csv: Path, only: str | None) -> None:
    """Backtest a saved run's scored model.keras on the test split of CSV (same split fractions
    as the run; final_model.keras has trained on those rows); a run trained with --series is
    scored per series and pooled."""
    from forecast.reporting.terminal import evaluate_report
    from forecast.results import Run

    metrics = Run(run_dir).evaluate(csv, only=only, log=echo_err)
    click.echo(f"{metrics['n_test_windows']} test windows of {csv}")
    click.echo(evaluate_report(metrics))


@cli.command()
@click.argument("csv", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--target", help="Column to study. [default: last numeric column]")
@click.option(
    "--time-col", help="Time column; DATE+TIME joins two; 'none': rows are steps. [default: auto]"
)
@click.option("--dayfirst", is_flag=True, default=None, help="Dates like 03/04/2020 are day first.")
@click.option("--season", type=int, help="Known seasonal period. [default: from autocorrelation]")
@click.option(
    "--horizon",
    type=int,
    default=DEFAULTS.horizon,
    show_default=True,
    help="Steps for the baseline errors.",
)
@out_options("Where inspect.json and inspect.png go. [default: runs/<timestamp>-inspect]")
@click.option("--series", help="Column naming the series of a long table: inspect each one.")
def inspect(
    csv: Path,
    target: str | None,
    time_col: str | None,
    dayfirst: bool | None,
    season: int | None,
    horizon: int,
    out: Path | None,
    overwrite: bool,
    series: str | None,
) -> None:
    """Look at CSV before fitting: span, frequency, gaps, duplicates, missing values, outliers,
    autocorrelation with a suggested season and window, trend and seasonal strength, and the
    baselines' errors. Writes inspect.json and inspect.png (no TensorFlow needed)."""
    from forecast import api
    from forecast.reporting.inspect_text import report
    from forecast.runs import default_run_dir

    out = out or default_run_dir("inspect")
    facts = api.inspect(
        csv,
        target=target,
        time_col=time_col,
        dayfirst=dayfirst,
        season=season,
        horizon=horizon,
        series=series,
        out=out,
        overwrite=overwrite,
    )
    click.echo(report(facts, facts.pop("notes")))
    click.echo(f"wrote {out / 'inspect.json'} and {out / 'inspect.png'}")


@cli.command()
@click.option("--window", type=int, default=DEFAULTS.window, show_default=True)
@click.option("--horizon", type=int, default=DEFAULTS.horizon, show_default=True)
@click.option("--units", type=int, default=DEFAULTS.units, show_default=True)
@click.option(
    "--features",
    "n_features",
    type=int,
    default=1,
    show_default=True,
    help="Number of input columns.",
)
@click.option(
    "--segment",
    type=int,
    default=1,
    show_default=True,
    help="Rows per recurrent step (segment-wise models when > 1).",
)
def models(window: int, horizon: int, units: int, n_features: int, segment: int) -> None:
    """List the architectures with their parameter counts for these shapes."""
    from forecast import api
    from forecast.models.gate_costs import SEGMENT_EXTRA

    table = api.architectures(window, horizon, units, n_features, segment)
    shapes = f"window {window}, horizon h={horizon}, units u={units}, f={n_features} feature(s)"
    if segment > 1:
        shapes += f", segment S={segment}; {SEGMENT_EXTRA}"
    click.echo(f"{'model':8}{'params':>10}  {'formula':32}description   ({shapes})")
    for name, row in table.iterrows():
        click.echo(f"{name:8}{row.keras_params:>10,}  {row.formula:32}{row.description}")


cli.add_command(compare)
cli.add_command(backtest)
cli.add_command(tune)
cli.add_command(score)


def main() -> None:
    cli()
