"""Run options: one frozen dataclass that round-trips through a dict (and so JSON and TOML)."""

from __future__ import annotations

import dataclasses
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from forecast.errors import ForecastError


def toml_value(value) -> str:
    """One TOML value for a ``FitOptions.to_dict()`` entry (str, bool, int, float or a list)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, str):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if isinstance(value, list | tuple):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    raise ForecastError(f"cannot write {value!r} to TOML; report this as a bug")


def toml_text(options: FitOptions, header: str) -> str:
    """``options`` as a ``forecast fit --config`` file, one ``key = value`` per option. TOML has no
    null: an option that is ``None`` (detected from the data) is a comment, and leaving it out of
    the file means the same."""
    lines = [f"# {line}" for line in header.splitlines()]
    for key, value in options.to_dict().items():
        if value is None:
            lines.append(f"# {key}: not set (detected from the data)")
        else:
            lines.append(f"{key} = {toml_value(value)}")
    return "\n".join(lines) + "\n"


if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on Python 3.10 only
    import tomli as tomllib


NORMS = ("window", "global", "level")


LOSSES = ("mse", "mae")


CALENDARS = ("auto", "none")


FILLS = ("none", "ffill", "interpolate")


COMBINES = ("linear", "none")


# what window, segment, norm and loss are where they are not chosen by the data
# (forecast.training.defaults: fit chooses them on validation for hourly data and for --series)
FIXED_DEFAULTS = {"window": 30, "segment": 1, "norm": "window", "loss": "mse"}


# --final: refit the scored configuration on every row for predict (forecast.training.refit)
FINALS = ("all", "none")


AUTO = "auto"  # --window auto / --segment auto: chosen on validation (forecast.training.selection)


# forecast tune: the searched options and the default budget (measured in docs/choices.md)
TUNED = ("window", "units", "layers", "learning_rate", "batch_size", "norm", "calendar")


TUNE_TRIALS = 15


TUNE_BUDGET_MINUTES = 7.0


@dataclass(frozen=True)
class FitOptions:
    """Every option that shapes a fit; ``config.json`` of a run is ``to_dict()`` of this.

    Attributes:
        model: architecture name from the registry (``forecast models``).
        target: column to forecast; ``None`` means the last numeric column.
        time_col: time column; ``None`` means auto-detect; ``"DATE+TIME"`` joins a date and a
            time-of-day column; ``"none"``: no time column, rows are consecutive steps.
        dayfirst: read ``03/04/2020`` as 3 April; ``None`` detects it where a day above 12 shows.
        features: ``"target"``, ``"all"`` or a comma-separated list of input columns.
        window: input length in rows, or ``"auto"``: chosen on validation among multiples of
            the season (``forecast.training.selection``); ``None``: by the data
            (``forecast.training.defaults``: ``auto`` for sub-daily rows and step-indexed rows
            with a ``--season``, else 30).
        horizon: number of future rows forecast from each origin.
        epochs: maximum training epochs (early stopping may end sooner).
        batch_size: training batch size.
        units: recurrent units per layer.
        seed: random seed for weights and shuffling.
        split: train / validation / test fractions, chronological; or row counts
            ``("auto", VAL, TEST)``: each series' last TEST rows test (0: none, nothing is
            scored), the VAL before them validate, the rest trains.
        norm: ``"window"`` (relative to the last observed row), ``"global"`` (train z-score) or
            ``"level"`` (the target in logs, every window relative to its level: the mean of its
            last season of rows; for positive series of different levels, ``--series``).
        loss: training loss, ``"mse"`` or ``"mae"`` (the median forecast: suits MAE, MASE and
            sMAPE; with ``--norm level`` a relative error). ``norm`` and ``loss`` may be
            ``"auto"`` (chosen on validation); ``None``: by the data (``auto`` with ``--series``,
            else ``window`` / ``mse``).
        season: seasonal period for the seasonal-naive baseline; ``None`` infers it.
        fill: how to repair missing values: ``"none"`` (refuse), ``"ffill"``, ``"interpolate"``.
        patience: early-stopping patience in epochs, on validation loss.
        learning_rate: Adam learning rate.
        steps_per_execution: training batches per call into TensorFlow (small recurrent steps on
            CPU are dominated by per-call overhead; see bench/README.md).
        layers: stacked recurrent layers (the hybrid: LSTM layers before its GRU layer).
        calendar: ``"auto"`` adds sin/cos of the hour of day, day of week and day of year that the
            frequency resolves and ``forecast.data.calendar.useful`` keeps (longer than the window,
            twice in the training rows), for the input rows and the forecast times; ``"none"``
            adds none.
        ensemble: members trained with seeds ``seed … seed + ensemble - 1`` and averaged.
        tensorboard: write TensorBoard logs (loss and val_loss per epoch, the graph) into
            ``RUN_DIR/tensorboard``.
        highway: a linear head on the window beside the recurrent one, set to the ridge solution
            and frozen, so the recurrent path learns the linear model's residual.
        mixed_precision: train in ``mixed_float16`` on a GPU (float32 output and saved model);
            on a CPU a note is printed and training stays float32
            (``forecast.training.distribute``).
        distribute: ``"none"``, ``"mirrored"`` (every GPU of this machine) or ``"multiworker"``
            (several machines, configured by ``TF_CONFIG``); ``batch_size`` is the global batch.
        series: column naming the series of a long table: one model trained on every series
            (``forecast.data.panel``); ``None``: the file is one series.
        only: ``"A,B"``: with ``series``, use these series only.
        segment: rows per recurrent step: 1 is point-wise; ``S > 1`` cuts the window into
            segments of ``S`` rows (padded at its old end when ``S`` does not divide it), so the
            cell takes ``ceil(window / S)`` steps and the horizon is decoded at once (SegRNN);
            ``"auto"``: chosen on validation (1 or the season); ``None``: ``auto`` where the
            window is, else 1.
        combine: ``"linear"`` also reports ``w·model + (1 − w)·linear`` with ``w`` fit on the
            validation windows (``forecast.evaluation.combination``); ``"none"`` does not.
        baselines: ``"default"`` (the command's own set), ``"+gbm"`` (add the gradient-boosting
            baseline, ``forecast.evaluation.gbm``) or ``"-gbm"`` (leave it out).
        final: ``"all"``: after scoring, refit the same configuration on every row
            (final_model.keras, then ``predict``'s default); ``"none"`` (the default: the refit
            was not better on backtests, docs/commands.md): keep the scored model only.
    """

    model: str = "gru"
    target: str | None = None
    time_col: str | None = None
    dayfirst: bool | None = None
    features: str = "all"
    window: int | str | None = None
    horizon: int = 7
    epochs: int = 50
    batch_size: int = 64
    units: int = 64
    seed: int = 42
    split: tuple = field(default=(0.7, 0.15, 0.15))
    norm: str | None = None
    loss: str | None = None
    season: int | None = None
    fill: str = "none"
    patience: int = 5
    learning_rate: float = 1e-3
    steps_per_execution: int = 16
    layers: int = 1
    calendar: str = "auto"
    ensemble: int = 1
    highway: bool = False
    tensorboard: bool = False
    mixed_precision: bool = False
    distribute: str = "none"
    series: str | None = None
    only: str | None = None
    segment: int | str | None = None
    combine: str = "linear"
    baselines: str = "default"
    final: str = "none"

    def __post_init__(self) -> None:
        object.__setattr__(self, "split", parse_split(self.split))
        validate(self)

    def to_dict(self) -> dict[str, Any]:
        """Plain, JSON-ready dict of every option."""
        d = dataclasses.asdict(self)
        d["split"] = list(self.split)
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> FitOptions:
        """Inverse of ``to_dict``; unknown keys are an error naming them."""
        names = {f.name for f in dataclasses.fields(cls)}
        clean = {k.replace("-", "_"): v for k, v in d.items()}
        unknown = sorted(set(clean) - names)
        if unknown:
            raise ForecastError(
                f"unknown option(s) {', '.join(unknown)}; known options: {', '.join(sorted(names))}"
            )
        return cls(**clean)

    def plain(self) -> FitOptions:
        """The options with those left to the data (``None``) set to ``FIXED_DEFAULTS``: for the
        commands that do not choose them on validation (backtest, tune, compare's runs)."""
        return dataclasses.replace(
            self, **{k: v for k, v in FIXED_DEFAULTS.items() if getattr(self, k) is None}
        )

    def replace(self, **changes: Any) -> FitOptions:
        """A copy with ``changes`` applied (``None`` values are ignored)."""
        return dataclasses.replace(self, **{k: v for k, v in changes.items() if v is not None})


def parse_split(value: str | tuple | list) -> tuple:
    """Parse ``"0.7,0.15,0.15"`` (or a sequence) into three fractions that sum to 1, or
    ``"auto,48,24"`` into row counts ``("auto", 48, 24)``: each series' last 24 rows test, the
    48 before them validate, the rest trains (``forecast.data.split``; a test count of 0 holds
    no test rows, and ``fit`` scores nothing)."""
    parts = value.split(",") if isinstance(value, str) else list(value)
    if len(parts) == 3 and str(parts[0]).strip().lower() == AUTO:
        return (AUTO, *split_counts(value, parts[1:]))
    try:
        fractions = tuple(float(p) for p in parts)
    except (TypeError, ValueError):
        raise ForecastError(
            f"--split {value!r} is not three numbers; use e.g. --split 0.7,0.15,0.15 (fractions) "
            "or --split auto,48,48 (row counts)"
        ) from None
    if len(fractions) != 3 or any(f <= 0 for f in fractions) or abs(sum(fractions) - 1) > 1e-6:
        raise ForecastError(
            f"--split {value!r} must be three positive fractions summing to 1 "
            "(train,val,test), or auto,VAL,TEST row counts; use e.g. --split 0.7,0.15,0.15 or "
            "--split auto,48,48"
        )
    return fractions  # type: ignore[return-value]


def split_counts(value, parts: list) -> tuple[int, int]:
    """The validation and test row counts of ``--split auto,VAL,TEST`` (VAL ≥ 1, TEST ≥ 0)."""
    counts = []
    for part in parts:
        text = str(part).strip()
        whole = (isinstance(part, int) and not isinstance(part, bool)) or text.isdigit()
        counts.append(int(text) if whole else -1)
    if counts[0] < 1 or counts[1] < 0:
        raise ForecastError(
            f"--split {value!r}: after 'auto' give whole row counts, validation at least 1 and "
            "test at least 0; use e.g. --split auto,48,48 (auto,48,0: no test rows)"
        )
    return counts[0], counts[1]


def validate(options: FitOptions) -> None:
    """Check option values that need no data; raise ``ForecastError`` naming the fix."""
    for name in (
        *(n for n in ("window", "segment") if getattr(options, n) not in (AUTO, None)),
        "horizon",
        "epochs",
        "batch_size",
        "units",
        "patience",
        "steps_per_execution",
        "layers",
        "ensemble",
    ):
        value = getattr(options, name)
        if not isinstance(value, int) or isinstance(value, bool) or value < 1:
            flag = "--" + name.replace("_", "-")
            kind = "a positive integer" + (" or auto" if name in ("window", "segment") else "")
            raise ForecastError(f"{flag} {value!r} must be {kind}; use e.g. {flag} 8")
    window, segment = options.window, options.segment
    if AUTO not in (window, segment) and None not in (window, segment) and segment > window:
        raise ForecastError(
            f"--segment {options.segment} is longer than --window {options.window}; use a segment "
            f"that divides the window, e.g. --segment {largest_divisor(options.window)}"
        )
    if options.segment not in (1, None) and options.highway:
        raise ForecastError("--highway works with point-wise models only; drop it or --segment")
    if options.season is not None and (not isinstance(options.season, int) or options.season < 1):
        raise ForecastError(f"--season {options.season!r} must be a positive integer, e.g. 7")
    if options.norm not in (*NORMS, AUTO, None):
        raise ForecastError(f"--norm {options.norm!r} is not one of {', '.join(NORMS)}")
    if options.loss not in (*LOSSES, AUTO, None):
        raise ForecastError(f"--loss {options.loss!r} is not one of {', '.join(LOSSES)}")
    if options.calendar not in CALENDARS:
        raise ForecastError(f"--calendar {options.calendar!r} is not one of {', '.join(CALENDARS)}")
    if not isinstance(options.tensorboard, bool):
        raise ForecastError(f"tensorboard {options.tensorboard!r} must be true or false")
    if not isinstance(options.highway, bool):
        raise ForecastError(f"highway {options.highway!r} must be true or false")
    if not isinstance(options.mixed_precision, bool):
        raise ForecastError(f"mixed_precision {options.mixed_precision!r} must be true or false")
    if options.distribute not in STRATEGIES:
        raise ForecastError(
            f"--distribute {options.distribute!r} is not one of {', '.join(STRATEGIES)}"
        )
    for name in ("series", "only"):
        value = getattr(options, name)
        if value is not None and (not isinstance(value, str) or not value.strip()):
            raise ForecastError(f"--{name} {value!r} must be a column name / comma list of names")
    if options.only is not None and options.series is None:
        raise ForecastError("--only selects series of a long table; give --series COL with it")
    if options.dayfirst not in (None, True, False):
        raise ForecastError(f"dayfirst {options.dayfirst!r} must be true or false")
    if options.combine not in COMBINES:
        raise ForecastError(f"--combine {options.combine!r} is not one of {', '.join(COMBINES)}")
    if options.final not in FINALS:
        raise ForecastError(f"--final {options.final!r} is not one of {', '.join(FINALS)}")
    if options.fill not in FILLS:
        raise ForecastError(f"--fill {options.fill!r} is not one of {', '.join(FILLS)}")
    if options.baselines not in BASELINE_SETS:
        raise ForecastError(
            f"--baselines {options.baselines!r} is not one of {', '.join(BASELINE_SETS)}; use "
            "e.g. --baselines +gbm"
        )
    if not options.learning_rate > 0:
        raise ForecastError(f"--learning-rate {options.learning_rate!r} must be > 0, e.g. 0.001")


def largest_divisor(n: int) -> int:
    """The largest divisor of ``n`` below it (1 for a prime), for a --segment suggestion."""
    return next((d for d in range(n // 2, 1, -1) if n % d == 0), 1)


def load_toml(path: Path) -> dict[str, Any]:
    """Read option overrides from a TOML file (keys as in ``config.json``)."""
    try:
        with open(path, "rb") as f:
            return tomllib.load(f)
    except tomllib.TOMLDecodeError as e:
        raise ForecastError(f"--config {path}: not valid TOML ({e}); fix the file") from None
    except OSError as e:
        raise ForecastError(f"--config {path}: cannot read it ({e.strerror})") from None


STRATEGIES = ("none", "mirrored", "multiworker")


# --baselines: "default" is each command's own set (fit: without the gradient-boosting baseline,
# compare: with it); "+gbm" / "-gbm" add / drop it (forecast.evaluation.gbm)
BASELINE_SETS = ("default", "+gbm", "-gbm")


def with_gbm(options: FitOptions, default: bool) -> bool:
    """Whether ``options.baselines`` asks for the gradient-boosting baseline, ``default`` being
    the command's own choice."""
    return {"+gbm": True, "-gbm": False}.get(options.baselines, default)
