"""``forecast backtest``: flags in, the fold table and the verdict out (registered on the group
in ``forecast.cli``)."""

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
from forecast.models.registry import REGISTRY


def parse_folds(text: str | None) -> tuple[int, ...] | None:
    """``--only-folds 2,4`` → ``(2, 4)``."""
    if not text:
        return None
    try:
        return tuple(int(k) for k in text.split(",") if k.strip())
    except ValueError:
        raise click.BadParameter(f"{text!r}: give fold numbers like 2,4") from None


def csv_path(paths: tuple[Path, ...]) -> Path:
    """The one CSV a backtest reads (the positional argument without ``--merge``)."""
    if len(paths) != 1:
        raise click.UsageError("give one CSV (or --merge with the backtest directories to join)")
    if not paths[0].is_file():
        raise click.BadParameter(f"File {str(paths[0])!r} does not exist.", param_hint="'CSV'")
    return paths[0]


@click.command()
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path), metavar="CSV|DIR...")
@click.option(
    "--model",
    type=click.Choice(list(REGISTRY)),
    default=None,
    help=f"Architecture (see `forecast models`). [default: {DEFAULTS.model}]",
)
@click.option("--folds", type=int, default=5, show_default=True, help="Number of test blocks K.")
@click.option(
    "--fold-size",
    type=int,
    help="Rows per test (and validation) block. [default: the --split test share / K, at least "
    "horizon + 4]",
)
@refit_option()
@jobs_option("Folds trained")
@cluster_options
@click.option(
    "--only-folds",
    help="Run only these folds of the K (e.g. 2,4): one job per fold on a cluster; join the "
    "parts with --merge.",
)
@click.option(
    "--merge",
    is_flag=True,
    help="Join the backtest directories given (parts of one backtest, or several models) into "
    "--out instead of running one.",
)
@fit_options
@mlflow_option
@out_options("Output directory. [default: runs/<timestamp>-backtest-<model>]")
def backtest(
    paths: tuple[Path, ...],
    folds: int,
    fold_size: int | None,
    refit: str,
    jobs: int,
    cluster: str | None,
    cluster_shared_path: bool,
    only_folds: str | None,
    merge: bool,
    out: Path | None,
    overwrite: bool,
    quiet: bool,
    config_file: Path | None,
    **flags,
) -> None:
    """Rolling-origin backtest of one model on CSV: K expanding-window folds, each trained on its
    past only and scored with the baselines on its own test block; writes backtest.json,
    folds.csv, origins.csv and backtest.png. With --merge: join backtest directories into --out."""
    from forecast import api
    from forecast.reporting.backtest_plots import backtest_table, backtest_verdict

    if merge:
        return print_merged(paths, out, overwrite)
    result = api.backtest(
        csv_path(paths),
        folds=folds,
        fold_size=fold_size,
        refit=refit,
        jobs=jobs,
        cluster=cluster,
        cluster_shared_path=cluster_shared_path,
        only_folds=parse_folds(only_folds),
        out=out,
        overwrite=overwrite,
        config=config_file,
        verbose=keras_verbosity(quiet),
        log=echo_err,
        **flags,
    )
    for note in result.notes:
        echo_err(f"note: {note}")
    ran = len(result.result["folds"])
    of = f"{ran} of {folds}" if ran < folds else str(folds)
    click.echo(f"\nbacktest: {result.path} ({of} folds, refit {refit}; RMSE)")
    click.echo(backtest_table(result.result))
    click.echo(backtest_verdict(result.result))
    if result.interrupted:
        exit_interrupted(f"the finished folds were kept in {result.path}")


def print_merged(paths: tuple[Path, ...], out: Path | None, overwrite: bool) -> None:
    """``--merge``: join ``paths`` into ``out`` and print the table and verdict."""
    from forecast import api
    from forecast.reporting.backtest_plots import backtest_table, backtest_verdict
    from forecast.reporting.fold_tables import fold_text_table, fold_verdict

    if out is None:
        raise click.UsageError("--merge needs --out: the directory to write the merged result to")
    merged = api.merge_backtests(list(paths), out, overwrite)
    click.echo(f"\nmerged {len(paths)} part(s) into {merged.path}")
    if isinstance(merged, api.Backtest):
        click.echo(backtest_table(merged.result))
        click.echo(backtest_verdict(merged.result))
    else:
        click.echo(fold_text_table(merged.rows))
        click.echo(fold_verdict(merged.rows))
