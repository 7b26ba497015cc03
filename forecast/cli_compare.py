"""``forecast compare``: flags in, the comparison table and the verdict out (registered on the
group in ``forecast.cli``); with ``--folds K`` every model is backtested on the same folds."""

from __future__ import annotations

from pathlib import Path

import click

from forecast.cli_options import (
    DEFAULTS,
    cluster_options,
    echo_err,
    exit_interrupted,
    fit_options,
    jobs_option,
    keras_verbosity,
    mlflow_option,
    out_options,
    refit_option,
)
from forecast.errors import ForecastError


@click.command()
@click.argument("csv", required=False, type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--models",
    "model_list",
    default="rnn,lstm,gru,hybrid",
    show_default=True,
    help="Comma-separated architectures (see `forecast models`).",
)
@click.option(
    "--seeds",
    type=int,
    default=3,
    show_default=True,
    help="Seeds per architecture (--seed, +1, …).",
)
@click.option(
    "--segments",
    default="auto",
    show_default=True,
    help="Segment lengths every recurrent model is trained with, e.g. 1,7 (1: point-wise); "
    "'auto': 1 and the season once the window spans two seasons.",
)
@click.option(
    "--task",
    type=click.Choice(["forecast", "memory"]),
    default="forecast",
    show_default=True,
    help="'forecast': compare on CSV; 'memory': the adding problem (no CSV): can each model "
    "sum two marked values L steps apart, for growing L; plus gradient norms per input step.",
)
@click.option(
    "--lengths",
    help="--task memory: sequence lengths L. [default: 10,50,100,200; 5,10 with --quick]",
)
@click.option(
    "--max-steps", type=int, help="--task memory: training-step budget per cell. [default: 4000]"
)
@click.option("--quick", is_flag=True, help="--task memory: tiny CI budget (well under 2 min).")
@click.option(
    "--folds",
    type=click.IntRange(min=1),
    help="Backtest every model on K rolling-origin folds (as `forecast backtest`) instead of "
    'one test period: RMSE per fold, wins "k of K", pooled DM tests.',
)
@click.option("--fold-size", type=int, help="--folds: rows per test block. [default: as backtest]")
@refit_option("--folds: ")
@jobs_option("Runs (with --folds: folds) trained")
@cluster_options
@fit_options
@mlflow_option
@out_options("Output directory. [default: runs/<timestamp>-compare or -memory]")
def compare(
    csv: Path | None,
    model_list: str,
    seeds: int,
    segments: str,
    task: str,
    lengths: str | None,
    max_steps: int | None,
    quick: bool,
    folds: int | None,
    fold_size: int | None,
    refit: str,
    jobs: int,
    cluster: str | None,
    cluster_shared_path: bool,
    out: Path | None,
    overwrite: bool,
    quiet: bool,
    config_file: Path | None,
    **flags,
) -> None:
    """Train several architectures (several seeds each) on identical windows of CSV and compare
    them with the baselines in one table, plus plots; or run the long-memory test."""
    from forecast import api
    from forecast.reporting.tables import text_table
    from forecast.reporting.terminal import compare_warnings
    from forecast.reporting.verdict_text import compare_verdict

    if task == "memory":
        if jobs != 1:  # the memory task's cells are small and run one after the other
            raise ForecastError(f"--jobs {jobs} applies to --task forecast; drop it for memory")
        if cluster and from_command_line("cluster"):  # DASK_SCHEDULER_ADDRESS: ignored here
            raise ForecastError("--cluster applies to --task forecast; drop it for memory")
        from forecast.experiments.memory import parse_lengths
        from forecast.experiments.memory_report import memory_table
        from forecast.runs import default_run_dir

        out = out or default_run_dir("memory")
        result = api.memory_test(
            model_list,
            parse_lengths(lengths) if lengths else None,
            seeds=seeds,
            seed=flags["seed"] if flags["seed"] is not None else DEFAULTS.seed,
            units=flags["units"],
            batch_size=flags["batch_size"],
            max_steps=max_steps,
            quick=quick,
            out=out,
            overwrite=overwrite,
            log=echo_err,
        )
        click.echo(f"\nmemory test: {out} ({seeds} seed(s) per cell; gradients.json, .png)")
        click.echo(memory_table(result))
        return
    if csv is None:
        raise ForecastError(
            "compare needs a CSV (or --task memory); e.g. forecast compare data.csv"
        )
    result = api.compare(
        csv,
        model_list,
        seeds,
        segments=segments,
        folds=folds,
        fold_size=fold_size,
        refit=refit,
        jobs=jobs,
        cluster=cluster,
        cluster_shared_path=cluster_shared_path,
        out=out,
        overwrite=overwrite,
        config=config_file,
        verbose=keras_verbosity(quiet),
        log=echo_err,
        **flags,
    )
    if folds is not None:
        from forecast.reporting.fold_tables import fold_text_table, fold_verdict

        for note in result.notes:
            echo_err(f"note: {note}")
        if result.rows:
            click.echo(f"\ncomparison: {result.path} ({folds} folds x {seeds} seed(s); test RMSE)")
            click.echo(fold_text_table(result.rows))
            click.echo(fold_verdict(result.rows))
        if result.interrupted:
            exit_interrupted(f"the finished folds were kept in {result.path}")
        return
    click.echo(f"\ncomparison: {result.path} ({seeds} seed(s) per model; mean ± sd)")
    click.echo(text_table(result.rows))
    for line in compare_warnings(result.rows):
        click.echo(line)
    click.echo(compare_verdict(result.rows))  # last: the true winner, models and baselines
    if result.interrupted:  # Ctrl-C: the runs that had finished were kept and compared
        exit_interrupted(f"the finished runs were kept and compared in {result.path}")


def from_command_line(name: str) -> bool:
    """Whether the option ``name`` was given on the command line (not from the environment)."""
    source = click.get_current_context().get_parameter_source(name)
    return source == click.core.ParameterSource.COMMANDLINE
