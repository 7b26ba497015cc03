"""Command line: a click group with thin commands that delegate to the pipeline.

TensorFlow is imported only inside commands that train or load models, so ``forecast --help`` stays
fast. Bad input ends with one line on stderr and exit status 2; ``--debug`` shows the traceback.
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

from forecast.config import (
    CALENDARS,
    FILLS,
    NORMS,
    STRATEGIES,
    TUNE_BUDGET_MINUTES,
    TUNE_TRIALS,
    FitOptions,
    load_toml,
)
from forecast.errors import ForecastError
from forecast.models.registry import REGISTRY
from forecast.quiet import quiet_tensorflow_import

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


def bad_input(message: str) -> None:
    """``error: <message on one line>`` on stderr, exit status 2."""
    click.echo(f"error: {' '.join(message.split())}", err=True)
    sys.exit(EXIT_BAD_INPUT)


@click.group(cls=ForecastGroup)
@click.option("--debug", is_flag=True, help="Show full tracebacks instead of one-line errors.")
@click.version_option(package_name="forecast")
def cli(debug: bool) -> None:
    """Train recurrent forecasters (RNN, LSTM, GRU, LSTM→GRU) on a CSV time series and check
    them honestly against persistence, seasonal-naive and linear baselines."""
    quiet_tensorflow_import()  # no TensorFlow start-up chatter; TensorFlow is not imported here


def fit_options(func):
    """The options shared by ``fit`` and ``compare``; unset ones fall back to --config, then to
    the defaults shown."""
    d = DEFAULTS
    options = [
        click.option("--target", help="Column to forecast. [default: last numeric column]"),
        click.option(
            "--time-col",
            help="Time column; DATE+TIME joins two columns; 'none': no time column, rows are "
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
            "--window", type=int, help=f"Input window length in rows. [default: {d.window}]"
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
            "--split", help="Chronological train,val,test fractions. [default: 0.7,0.15,0.15]"
        ),
        click.option(
            "--norm",
            type=click.Choice(NORMS),
            help="'window': inputs relative to the "
            "window's last row, predict the change; 'global': train-split z-score only. "
            f"[default: {d.norm}]",
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
            "configured by TF_CONFIG (README). --batch-size is the global batch. "
            f"[default: {d.distribute}]",
        ),
        click.option(
            "--series",
            help="Column naming the series of a long table (ticker, station …): one model "
            "trained on the windows of every series, scored per series and pooled.",
        ),
        click.option("--only", help="With --series: use these series only, e.g. AAPL,MSFT."),
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


def resolve_options(config_file: Path | None, **flags) -> FitOptions:
    """Defaults, overridden by the TOML file, overridden by flags given on the command line."""
    base = FitOptions.from_dict(load_toml(config_file)) if config_file else FitOptions()
    return base.replace(**flags)


def echo_err(message: str) -> None:
    """Progress and notes go to stderr; results to stdout."""
    click.echo(message, err=True)


def keras_verbosity(quiet: bool) -> int:
    """A progress bar on a terminal, one line per epoch in a log, nothing with --quiet."""
    if quiet:
        return 0
    return 1 if sys.stdout.isatty() else 2


@cli.command()
@click.argument("csv", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--model",
    type=click.Choice(list(REGISTRY)),
    default=None,
    help=f"Architecture (see `forecast models`). [default: {DEFAULTS.model}]",
)
@fit_options
@click.option(
    "--out",
    type=click.Path(path_type=Path),
    help="Run directory. [default: runs/<timestamp>-<model>]",
)
@click.option("--overwrite", is_flag=True, help="Replace an existing --out directory.")
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
    click.echo(fit_report(run.metrics))


@cli.command()
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
@fit_options
@click.option(
    "--out",
    type=click.Path(path_type=Path),
    help="Output directory. [default: runs/<timestamp>-compare or -memory]",
)
@click.option("--overwrite", is_flag=True, help="Replace an existing --out directory.")
def compare(
    csv: Path | None,
    model_list: str,
    seeds: int,
    task: str,
    lengths: str | None,
    max_steps: int | None,
    quick: bool,
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
    from forecast.reporting.terminal import compare_verdict, compare_warnings

    if task == "memory":
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
        out=out,
        overwrite=overwrite,
        config=config_file,
        verbose=keras_verbosity(quiet),
        log=echo_err,
        **flags,
    )
    click.echo(f"\ncomparison: {result.path} ({seeds} seed(s) per model; mean ± sd)")
    click.echo(text_table(result.rows))
    for line in compare_warnings(result.rows):
        click.echo(line)
    click.echo(compare_verdict(result.rows))  # last: the true winner, models and baselines


@cli.command()
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
@fit_options
@click.option(
    "--out",
    type=click.Path(path_type=Path),
    help="Output directory. [default: runs/<timestamp>-tune-<model>]",
)
@click.option("--overwrite", is_flag=True, help="Replace an existing --out directory.")
@click.pass_context
def tune(
    ctx: click.Context,
    csv: Path,
    trials: int,
    budget_minutes: float,
    out: Path | None,
    overwrite: bool,
    quiet: bool,
    config_file: Path | None,
    **flags,
) -> None:
    """Search window, units, layers, learning rate, batch size, norm and calendar for one model
    on the validation split of CSV (Bayesian optimisation; the test split is never read). Writes
    trials.csv, best.toml (for `fit --config`) and tuning.png."""
    from forecast import api
    from forecast.reporting.terminal import tune_evidence

    report = api.tune(
        csv,
        trials=trials,
        budget_minutes=budget_minutes,
        out=out,
        overwrite=overwrite,
        config=config_file,
        log=(lambda m: None) if quiet else echo_err,
        **flags,
    )
    options = api.options_from(config_file, **flags)
    best = report.best
    changed = [k for k in report.searched if getattr(best, k) != getattr(options, k)]
    click.echo(f"\ntuning: {report.out} ({len(report.rows)} trial(s) in {report.seconds:.0f}s)")
    click.echo(
        "best: "
        + ", ".join(f"{k}={getattr(best, k)}" for k in report.searched)
        + (f"  (changed: {', '.join(changed)})" if changed else "  (the starting options)")
    )
    click.echo(
        f"val RMSE: best {report.best_rmse:.4g}, given options (trial 1) "
        f"{report.start_rmse:.4g}, linear baseline {report.linear_rmse:.4g}"
    )
    if report.dm_p_vs_start is not None:
        click.echo(tune_evidence(report.dm_p_vs_start, len(report.rows)))
    click.echo(f"reproduce: forecast fit {csv} --config {report.out / 'best.toml'}")
    if report.interrupted:
        click.echo(
            f"interrupted: kept the {len(report.rows)} finished trial(s) in {report.out}", err=True
        )
        ctx.exit(EXIT_INTERRUPTED)


@cli.command()
@click.argument("run_dir", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.argument("csv", required=False, type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Forecast CSV (a PNG is written beside it). [default: RUN_DIR/future.csv]",
)
@click.option("--only", help="A --series run: forecast these series only, e.g. AAPL,MSFT.")
def predict(run_dir: Path, csv: Path | None, out: Path | None, only: str | None) -> None:
    """Forecast the next `horizon` steps past the last row of CSV (default: the run's CSV); a
    run trained with --series forecasts every series (first column: the series)."""
    from forecast.results import Run

    out = out or run_dir / "future.csv"
    frame = Run(run_dir).predict(csv, out=out, log=echo_err, only=only)
    click.echo(frame.to_string(index=False))
    click.echo(f"wrote {out} and {out.with_suffix('.png')}")


@cli.command()
@click.argument("run_dir", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.argument("csv", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--only", help="A --series run: evaluate these series only, e.g. AAPL,MSFT.")
def evaluate(run_dir: Path, csv: Path, only: str | None) -> None:
    """Backtest a saved run on the test split of CSV (same split fractions as the run); a run
    trained with --series is scored per series and pooled."""
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
@click.option(
    "--out",
    type=click.Path(path_type=Path),
    help="Where inspect.json and inspect.png go. [default: runs/<timestamp>-inspect]",
)
@click.option("--overwrite", is_flag=True, help="Replace an existing --out directory.")
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
def models(window: int, horizon: int, units: int, n_features: int) -> None:
    """List the architectures with their parameter counts for these shapes."""
    from forecast import api

    table = api.architectures(window, horizon, units, n_features)
    click.echo(
        f"{'model':8}{'params':>10}  {'formula':32}description   (window {window}, horizon "
        f"h={horizon}, units u={units}, f={n_features} feature(s))"
    )
    for name, row in table.iterrows():
        click.echo(f"{name:8}{row.keras_params:>10,}  {row.formula:32}{row.description}")


def main() -> None:
    cli()
