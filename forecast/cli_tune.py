"""``forecast tune``: flags in, the best options and the evidence out (registered on the group
in ``forecast.cli``). With keras-tuner's ``KERASTUNER_*`` variables set, the same command line
is the chief or a worker of a distributed search (docs/cluster.md)."""

from __future__ import annotations

from pathlib import Path

import click

from forecast.cli_options import (
    DEFAULTS,
    EXIT_INTERRUPTED,
    echo_err,
    fit_options,
    mlflow_option,
    out_options,
)
from forecast.config import TUNE_BUDGET_MINUTES, TUNE_TRIALS
from forecast.models.registry import REGISTRY


@click.command()
@click.argument("csv", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--model",
    type=click.Choice(list(REGISTRY)),
    default=None,
    help=f"Architecture to tune (see `forecast models`). [default: {DEFAULTS.model}]",
)
@click.option(
    "--trials",
    type=int,
    default=TUNE_TRIALS,
    show_default=True,
    help="Maximum trials; trial 1 runs the given options unchanged.",
)
@click.option(
    "--budget-minutes",
    type=float,
    default=TUNE_BUDGET_MINUTES,
    show_default=True,
    help="Wall-clock budget: no trial starts that would likely end after it.",
)
@click.option(
    "--jobs",
    type=int,
    default=1,
    show_default=True,
    help="Trials run at once, each in a worker process with its share of the cores (a "
    "keras-tuner chief here and N workers on loopback); across machines see docs/cluster.md.",
)
@fit_options
@mlflow_option
@out_options("Output directory. [default: runs/<timestamp>-tune-<model>]")
@click.pass_context
def tune(
    ctx: click.Context,
    csv: Path,
    trials: int,
    budget_minutes: float,
    jobs: int,
    out: Path | None,
    overwrite: bool,
    quiet: bool,
    config_file: Path | None,
    mlflow: bool | None,
    **flags,
) -> None:
    """Search window, units, layers, learning rate, batch size, norm and calendar for one model
    on the validation split of CSV (Bayesian optimisation; the test split is never read). Writes
    trials.csv, best.toml (for `fit --config`) and tuning.png."""
    from forecast import api
    from forecast.reporting.terminal import tune_report

    report = api.tune(
        csv,
        trials=trials,
        budget_minutes=budget_minutes,
        jobs=jobs,
        out=out,
        overwrite=overwrite,
        config=config_file,
        log=(lambda m: None) if quiet else echo_err,
        mlflow=mlflow,
        **flags,
    )
    if report.worker is not None:
        click.echo(
            f"{report.worker}: ran {len(report.rows)} trial(s) in {report.seconds:.0f}s; "
            "the chief writes trials.csv, best.toml and tuning.png"
        )
        return
    click.echo(tune_report(report, api.options_from(config_file, **flags), csv))
    if report.interrupted:
        click.echo(
            f"interrupted: kept the {len(report.rows)} finished trial(s) in {report.out}", err=True
        )
        ctx.exit(EXIT_INTERRUPTED)
