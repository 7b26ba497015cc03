"""The command line's plumbing: the group that turns failures into one-line errors and exit
statuses, the options ``fit``, ``compare`` and ``tune`` share, and where output goes."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from forecast.config import (
    AUTO,
    CALENDARS,
    COMBINES,
    FILLS,
    FINALS,
    LOSSES,
    NORMS,
    STRATEGIES,
    FitOptions,
)
from forecast.errors import ForecastError

DEFAULTS = FitOptions()


EXIT_BAD_INPUT = 2


EXIT_INTERRUPTED = 130


class ForecastGroup(click.Group):
    """Turns every expected failure into ``error: <one line>`` and a clean exit status."""

    def main(self, args=None, prog_name=None, **extra):
        extra.pop("standalone_mode", None)
        argv = list(sys.argv[1:] if args is None else args)
        debug = "--debug" in argv
        try:
            rv = super().main(argv, prog_name, standalone_mode=False, **extra)
        except (ForecastError, click.ClickException) as e:
            if debug:
                raise
            message = e.format_message() if isinstance(e, click.ClickException) else str(e)
            bad_input(message)
        except (KeyboardInterrupt, click.Abort) as e:
            if debug:
                raise
            cause = e.__cause__ if isinstance(e, click.Abort) else e  # click wraps Ctrl-C
            if isinstance(cause, EOFError):  # ... and an EOFError: input that ended early
                bad_input(f"unexpected end of input ({cause or 'EOFError'}); check the file")
            hint = str(cause) if isinstance(cause, KeyboardInterrupt) else ""
            click.echo(
                f"interrupted: no run directory was written{'; ' + hint if hint else ''}", err=True
            )
            sys.exit(EXIT_INTERRUPTED)
        sys.exit(rv if isinstance(rv, int) else 0)


def exit_interrupted(message: str) -> None:
    """``interrupted: <message>`` on stderr, exit status 130: Ctrl-C, and what it left was kept."""
    click.echo(f"interrupted: {message}", err=True)
    sys.exit(EXIT_INTERRUPTED)


def bad_input(message: str) -> None:
    """``error: <message on one line>`` on stderr, exit status 2."""
    click.echo(f"error: {' '.join(message.split())}", err=True)
    sys.exit(EXIT_BAD_INPUT)


class IntOrAuto(click.ParamType):
    """A positive integer, or ``auto`` (chosen on validation)."""

    name = "N|auto"

    def convert(self, value, param, ctx):
        if value == AUTO or isinstance(value, int):
            return value
        try:
            return int(value)
        except ValueError:
            self.fail(f"{value!r} is neither an integer nor 'auto'", param, ctx)


def fit_options(func):
    """The options shared by ``fit`` and ``compare``; unset ones fall back to --config, then to
    the defaults shown."""
    d = DEFAULTS
    options = [
        click.option("--target", help="Column to forecast. [default: last numeric column]"),
        click.option(
            "--time-col",
            help="Time column: dates, epoch seconds, or increasing integer steps (0, 1, 2 …; "
            "give --season); DATE+TIME joins two columns; 'none': no time column, rows are "
            "consecutive steps (give --season). [default: auto-detected]",
        ),
        click.option(
            "--dayfirst",
            is_flag=True,
            default=None,
            help="Dates like 03/04/2020 are day first. [default: detected when a day > 12 shows]",
        ),
        click.option(
            "--features", help=f"Input columns: 'target', 'all' or COL,COL. [default: {d.features}]"
        ),
        click.option(
            "--window",
            type=IntOrAuto(),
            help="Input window length in rows; 'auto': chosen on validation among multiples of "
            f"the season. [default: {d.window}]",
        ),
        click.option(
            "--horizon", type=int, help=f"Steps forecast from each origin. [default: {d.horizon}]"
        ),
        click.option(
            "--epochs",
            type=int,
            help=f"Maximum epochs (early stopping on validation). [default: {d.epochs}]",
        ),
        click.option(
            "--batch-size", type=int, help=f"Training batch size. [default: {d.batch_size}]"
        ),
        click.option("--units", type=int, help=f"Recurrent units per layer. [default: {d.units}]"),
        click.option("--seed", type=int, help=f"Random seed. [default: {d.seed}]"),
        click.option(
            "--split",
            help="Chronological train,val,test fractions; or auto,VAL,TEST row counts: the last "
            "TEST rows of each series test (0: none; fit then scores nothing), the VAL rows "
            "before them validate, the rest trains. [default: 0.7,0.15,0.15]",
        ),
        click.option(
            "--norm",
            type=click.Choice(NORMS),
            help="'window': inputs relative to the "
            "window's last row, predict the change; 'global': train-split z-score only; "
            "'level': the target in logs, relative to the window's last season (positive "
            f"series of different levels). [default: {d.norm}]",
        ),
        click.option(
            "--loss",
            type=click.Choice(LOSSES),
            help=f"Training loss: 'mse' or 'mae' (the median forecast). [default: {d.loss}]",
        ),
        click.option(
            "--season",
            type=int,
            help="Seasonal-naive period. [default: from the data's "
            "frequency: 24 hourly, 7 daily, 5 business-daily, 12 monthly]",
        ),
        click.option(
            "--fill",
            type=click.Choice(FILLS),
            help=f"Repair missing values. [default: {d.fill}: refuse them]",
        ),
        click.option(
            "--patience",
            type=int,
            help=f"Early-stopping patience in epochs. [default: {d.patience}]",
        ),
        click.option(
            "--learning-rate", type=float, help=f"Adam learning rate. [default: {d.learning_rate}]"
        ),
        click.option(
            "--steps-per-execution",
            type=int,
            help=f"Training batches per TensorFlow call. [default: {d.steps_per_execution}]",
        ),
        click.option(
            "--layers",
            type=int,
            help=f"Stacked recurrent layers (hybrid: LSTM layers before its GRU). "
            f"[default: {d.layers}]",
        ),
        click.option(
            "--segment",
            type=IntOrAuto(),
            help="Rows per recurrent step: 1 is point-wise; S > 1 runs the cell over segments "
            "of S rows (padded at the window's old end) and decodes the horizon at once "
            "(SegRNN); 'auto': 1 or the season, chosen on validation. "
            f"[default: {d.segment}]",
        ),
        click.option(
            "--combine",
            type=click.Choice(COMBINES),
            help="'linear': also report w·model + (1-w)·linear, w fit on validation, as its own "
            f"row with its own significance tests; 'none': do not. [default: {d.combine}]",
        ),
        click.option(
            "--final",
            type=click.Choice(FINALS),
            help="'all': after scoring, refit the same configuration on every row "
            "(final_model.keras, what predict uses); 'none': keep the scored model only. "
            f"[default: {d.final}]",
        ),
        click.option(
            "--calendar",
            type=click.Choice(CALENDARS),
            help="'auto': sin/cos of hour of day, day of week, day of year (the cycles longer "
            "than the window that repeat twice in the training rows) for the input rows and the "
            "forecast times; 'none': no calendar inputs. "
            f"[default: {d.calendar}]",
        ),
        click.option(
            "--ensemble",
            type=int,
            help=f"Members averaged into one model (seeds --seed, +1, …). [default: {d.ensemble}]",
        ),
        click.option(
            "--highway/--no-highway",
            default=None,
            help="Add the linear baseline (ridge solution, frozen) beside the recurrent path, "
            f"which then learns its residual. [default: {d.highway}]",
        ),
        click.option(
            "--tensorboard",
            is_flag=True,
            default=None,
            help="Write TensorBoard logs into RUN_DIR/tensorboard "
            "(view them with: tensorboard --logdir RUN_DIR/tensorboard).",
        ),
        click.option(
            "--mixed-precision/--no-mixed-precision",
            default=None,
            help="Train in mixed float16 on a GPU (float32 output and saved model); on a CPU "
            f"training stays float32 with a note. [default: {d.mixed_precision}]",
        ),
        click.option(
            "--distribute",
            type=click.Choice(STRATEGIES),
            help="'mirrored': every GPU of this machine; 'multiworker': several machines, "
            "configured by TF_CONFIG (docs/scaling.md). --batch-size is the global batch. "
            f"[default: {d.distribute}]",
        ),
        click.option(
            "--series",
            help="Column naming the series of a long table (ticker, station …): one model "
            "trained on the windows of every series, scored per series and pooled.",
        ),
        click.option("--only", help="With --series: use these series only, e.g. AAPL,MSFT."),
        click.option(
            "--baselines",
            help="'+gbm': add a gradient-boosting baseline (scikit-learn, lags and calendar of "
            "each window) to the scores; '-gbm': leave it out. [default: default: fit without "
            "it, compare with it]",
        ),
        click.option(
            "--config",
            "config_file",
            type=click.Path(exists=True, dir_okay=False, path_type=Path),
            help="TOML file of options (keys as in config.json); flags override it.",
        ),
        click.option("--quiet", is_flag=True, help="No per-epoch progress."),
    ]
    for option in reversed(options):
        func = option(func)
    return func


def echo_err(message: str) -> None:
    """Progress and notes go to stderr; results to stdout."""
    click.echo(message, err=True)


def keras_verbosity(quiet: bool) -> int:
    """A progress bar on a terminal, one line per epoch in a log, nothing with --quiet."""
    if quiet:
        return 0
    return 1 if sys.stdout.isatty() else 2


def jobs_option(what: str):
    """``--jobs N`` (default 1) for commands that run independent trainings at once."""
    return click.option(
        "--jobs",
        type=click.IntRange(min=1),
        default=1,
        show_default=True,
        help=f"{what} at once, each in a worker process with its share of the cores.",
    )


def cluster_options(func):
    """``--cluster ADDRESS`` (or ``DASK_SCHEDULER_ADDRESS``) and ``--cluster-shared-path``."""
    func = click.option(
        "--cluster-shared-path",
        is_flag=True,
        help="--cluster: the CSV is at this same path on every worker; send the path, not the "
        "file's bytes.",
    )(func)
    return click.option(
        "--cluster",
        metavar="ADDRESS",
        envvar="DASK_SCHEDULER_ADDRESS",
        show_envvar=True,
        help="Train on the workers of the Dask scheduler at ADDRESS (e.g. tcp://10.0.0.1:8786) "
        'instead of --jobs; outputs are written here. Needs pip install -e ".[cluster]"; see '
        "docs/cluster.md.",
    )(func)


def refit_option(prefix: str = ""):
    """``--refit every|once`` of a rolling-origin backtest."""
    return click.option(
        "--refit",
        type=click.Choice(["every", "once"]),
        default="every",
        show_default=True,
        help=f"{prefix}Retrain on each fold's past, or once on the first fold's and score every "
        "block.",
    )


def mlflow_option(func):
    """``--mlflow/--no-mlflow``: log the result to MLflow (docs/mlflow.md); unset, it follows
    ``MLFLOW_TRACKING_URI``."""
    return click.option(
        "--mlflow/--no-mlflow",
        default=None,
        help="Log params, metrics, files and the model (a pyfunc) to MLflow: the "
        "MLFLOW_TRACKING_URI store, or ./mlflow.db. [default: on when MLFLOW_TRACKING_URI is "
        "set]",
    )(func)


def out_options(help_text: str):
    """``--out DIR`` (with ``help_text``) and ``--overwrite``: where a command writes."""

    def decorate(func):
        func = click.option(
            "--overwrite", is_flag=True, help="Replace an existing --out directory."
        )(func)
        return click.option("--out", type=click.Path(path_type=Path), help=help_text)(func)

    return decorate
