"""``forecast backtest``: flags in, the fold table and the verdict out (registered on the group
in ``forecast.cli``)."""

from __future__ import annotations

from pathlib import Path

import click

from forecast.cli_options import DEFAULTS, echo_err, fit_options, keras_verbosity
from forecast.models.registry import REGISTRY


@click.command()
@click.argument("csv", type=click.Path(exists=True, dir_okay=False, path_type=Path))
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
@click.option(
    "--refit",
    type=click.Choice(["every", "once"]),
    default="every",
    show_default=True,
    help="Retrain on each fold's past, or train once on the first fold's and score every block.",
)
@fit_options
@click.option(
    "--out",
    type=click.Path(path_type=Path),
    help="Output directory. [default: runs/<timestamp>-backtest-<model>]",
)
@click.option("--overwrite", is_flag=True, help="Replace an existing --out directory.")
def backtest(
    csv: Path,
    folds: int,
    fold_size: int | None,
    refit: str,
    out: Path | None,
    overwrite: bool,
    quiet: bool,
    config_file: Path | None,
    **flags,
) -> None:
    """Rolling-origin backtest of one model on CSV: K expanding-window folds, each trained on its
    past only and scored with the baselines on its own test block; writes backtest.json,
    folds.csv and backtest.png."""
    from forecast import api
    from forecast.reporting.backtest_plots import backtest_table, backtest_verdict

    result = api.backtest(
        csv,
        folds=folds,
        fold_size=fold_size,
        refit=refit,
        out=out,
        overwrite=overwrite,
        config=config_file,
        verbose=keras_verbosity(quiet),
        log=echo_err,
        **flags,
    )
    for note in result.notes:
        echo_err(f"note: {note}")
    click.echo(f"\nbacktest: {result.path} ({folds} folds, refit {refit}; RMSE)")
    click.echo(backtest_table(result.result))
    click.echo(backtest_verdict(result.result))
