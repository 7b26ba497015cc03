"""``forecast score``: score a forecast file against what happened (M4's metrics)."""

from __future__ import annotations

from pathlib import Path

import click

from forecast.cli_options import echo_err

FILE = click.Path(exists=True, dir_okay=False, path_type=Path)


@click.command()
@click.argument("forecasts", type=FILE)
@click.argument("actuals", type=FILE)
@click.option("--series", help="Column naming the series, in both files. [default: one series]")
@click.option(
    "--season",
    type=click.IntRange(min=1),
    help="Seasonal period of MASE and Naive2, e.g. 24 for hourly rows. [default: from the time "
    "step; 1 for integer steps]",
)
@click.option(
    "--column",
    help="FORECASTS' value column. [default: predicted, combined, forecast, yhat …, or the only "
    "numeric one]",
)
@click.option("--target", help="ACTUALS' value column. [default: its only numeric column]")
@click.option(
    "--time-col",
    help="ACTUALS' time column (dates or integer steps), matched to FORECASTS' 'timestamp' or "
    "the column of the same name. [default: auto]",
)
@click.option(
    "--insample",
    type=FILE,
    help="The history before ACTUALS' rows, when ACTUALS holds only the forecast period.",
)
@click.option(
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Also write the scores: .json or .csv.",
)
def score(
    forecasts: Path,
    actuals: Path,
    series: str | None,
    season: int | None,
    column: str | None,
    target: str | None,
    time_col: str | None,
    insample: Path | None,
    out: Path | None,
) -> None:
    """Score FORECASTS against ACTUALS (each series' history and the forecast period): sMAPE,
    MASE (in-sample seasonal-naive scale), OWA against M4's Naive2, and RMSE, per series and
    their mean."""
    from forecast.commands.score import score as score_files

    report = score_files(
        forecasts,
        actuals,
        series=series,
        season=season,
        column=column,
        target=target,
        time_col=time_col,
        insample=insample,
        out=out,
    )
    for note in report.notes:
        echo_err(f"note: {note}")
    click.echo(report.text())
    if out is not None:
        click.echo(f"wrote {out}")
