"""A saved run directory: its model, preprocessing and config, and the CSV read as it was."""

from __future__ import annotations

from pathlib import Path

from forecast import runs
from forecast.config import FILLS
from forecast.data.io import Series, read_series
from forecast.data.preprocess import Preprocessing
from forecast.errors import ForecastError
from forecast.models import saving

USES = ("final", "scored")  # predict --use: the model refit on every row, or the scored one


def load_run(
    run_dir: Path, name: str = runs.MODEL_FILE, cached: bool = False
) -> tuple[object, Preprocessing, dict]:
    """``(model, preprocessing, config)`` of a run directory, each checked (``name``: the model
    file, the scored model.keras by default; ``cached``: a model this process loaded from the
    same file may be reused, ``saving.load_for_prediction``)."""
    prep = Preprocessing.from_dict(runs.read_json(run_dir, "preprocessing.json"))
    config = runs.read_json(run_dir, "config.json")
    load = saving.load_for_prediction if cached else saving.load_keras_model
    model = load(run_dir / name)
    expected = (None, prep.window, prep.n_inputs)
    if tuple(model.input_shape) != expected:
        raise ForecastError(
            f"{run_dir}: {name} expects input {tuple(model.input_shape)} but "
            f"preprocessing.json says {expected}; the run directory is inconsistent, re-run fit"
        )
    return model, prep, config


def forecasting_model(run_dir: Path, use: str = "final") -> tuple[str, str, str]:
    """The model file ``predict`` uses, its version (``"final"`` or ``"scored"``) and the line
    that says so: final_model.keras (refit on every row) unless ``use="scored"`` or the run has
    none (a run from before it, or one fit with ``--final none``)."""
    if use not in USES:
        raise ForecastError(f"--use {use!r} is not one of {', '.join(USES)}")
    if use == "scored":
        return runs.MODEL_FILE, "scored", f"forecast by the scored {runs.MODEL_FILE} (--use scored)"
    from forecast.commands.model_versions import current_label

    label = current_label(run_dir)
    if label is not None and (Path(run_dir) / runs.FINAL_FILE).exists():
        return (
            runs.FINAL_FILE,
            label,
            f"forecast by model version {label} (versions.json; --use scored for model.keras)",
        )
    if not (Path(run_dir) / runs.FINAL_FILE).exists():
        return (
            runs.MODEL_FILE,
            "scored",
            f"note: {run_dir} has no {runs.FINAL_FILE} (a run from before it, or fit with --final "
            f"none); forecast by the scored {runs.MODEL_FILE}, which never trained on the "
            "validation and test rows",
        )
    return (
        runs.FINAL_FILE,
        "final",
        f"forecast by {runs.FINAL_FILE}: the scored configuration refit on every row "
        "(--use scored for model.keras)",
    )


def read_like_run(csv: Path, prep: Preprocessing, config: dict, only: str | None = None) -> Series:
    """Read ``csv`` as the run read its training CSV, and check it has the run's columns
    (``only``: with a ``--series`` run, these series only)."""
    fill = config.get("fill", "none")
    if fill not in FILLS:
        raise ForecastError(
            f"config.json has fill {fill!r:.40}, not one of {', '.join(FILLS)}; "
            "re-run `forecast fit`"
        )
    dayfirst = config.get("dayfirst") if config.get("dayfirst") in (True, False) else None
    time_col = prep.time_col if prep.time_col else None
    if prep.series is not None:  # a --series run: the same long table, every series
        from forecast.data.panel import read_panel

        series = read_panel(csv, prep.series["column"], time_col, fill, dayfirst, only)
    elif only is not None:
        raise ForecastError(
            f"--only {only} selects series, but the run was trained on one series (no --series); "
            "drop --only"
        )
    else:
        series = read_series(csv, time_col, fill, dayfirst)
    missing = [c for c in prep.columns if c not in series.frame.columns]
    if missing:
        raise ForecastError(
            f"{csv} lacks column(s) {', '.join(missing)} that the run was trained on; pass a CSV "
            f"with columns {', '.join(prep.columns)}"
        )
    return series


def run_csv(run_dir: Path, csv: Path | None, config: dict, log=print) -> Path:
    """The CSV to use: the one given, else the run's own training CSV if it still exists.

    The recorded path is data from the run directory, not trusted: it is only read as a CSV, the
    user is told which file was used, and a changed file (SHA-256) is reported.
    """
    if csv is not None:
        return Path(csv)
    data = config.get("data")
    data = data if isinstance(data, dict) else {}
    recorded = Path(str(data.get("path", "")))
    if str(data.get("path", "")) and not recorded.is_absolute():  # a copy inside the run
        recorded = Path(run_dir) / recorded
    if not str(data.get("path", "")) or not recorded.is_file():
        raise ForecastError(
            f"{run_dir} was trained on {str(recorded)!r:.200}, which is not here; pass the CSV: "
            f"forecast predict {run_dir} DATA.csv"
        )
    log(f"note: using the run's training CSV {recorded} (from config.json)")
    from forecast.runs import file_sha256

    if data.get("sha256") != file_sha256(recorded):
        log(f"note: {recorded} has changed since the run was trained (SHA-256 differs)")
    return recorded
