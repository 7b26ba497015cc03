"""``fit`` end to end: CSV → windows → trained model → metrics against baselines → run directory.

The CLI calls ``fit``; the notebook and tests may call the same functions. TensorFlow is imported
only inside the functions that train or predict.
"""

from __future__ import annotations

import functools
import hashlib
import platform
import sys
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import pandas as pd

from forecast import __version__, calendar, panel
from forecast import evaluate as ev
from forecast.config import FitOptions
from forecast.errors import ForecastError
from forecast.io import MAX_ABS, Series, line_of, read_series, season_for
from forecast.preprocess import (
    Preprocessing,
    Split,
    check_enough_rows,
    check_target_varies,
    fit_scaler,
    select_columns,
)
from forecast.windows import PARTS, WindowArray, make_dataset, origins, target_windows

PREDICT_BATCH = 1024


@dataclass
class Prepared:
    """A series ready for training and scoring.

    Attributes:
        series: the validated CSV.
        prep: saved preprocessing state.
        split: row boundaries.
        values: ``(n_rows, n_inputs)`` float32 scaled inputs.
        target: ``(n_rows,)`` float64 target in original units.
        starts: origins of each part (``train``, ``val``, ``test``).
    """

    series: Series
    prep: Preprocessing
    split: Split
    values: np.ndarray
    target: np.ndarray
    starts: dict[str, np.ndarray]
    layout: panel.Layout | None = (
        None  # --series: where each series lies (``split`` is then unused)
    )
    parts: list[Split] | None = None  # --series: each series' own split

    def series_ids(self, part: str) -> np.ndarray:
        """``(n_windows,)`` series number of each origin of ``part`` (all 0 for one series)."""
        if self.layout is None:
            return np.zeros(len(self.starts[part]), dtype="int64")
        return self.layout.ids(self.starts[part])

    @property
    def series_names(self) -> list[str]:
        return list(self.layout.names) if self.layout is not None else []

    def naive_scale(self, k: int | None = None) -> float:
        """MASE denominator from the training rows (of series ``k``; pooled when ``None``)."""
        if self.layout is None:
            return ev.naive_scale(self.target[: self.split.train_end])
        return panel.naive_scale(self.target, self.layout, self.parts, k)

    def test_span(self) -> tuple[str, str]:
        """First and last timestamps of the test rows (over every series)."""
        index = self.series.frame.index
        if self.layout is None:
            return str(index[self.split.val_end]), str(index[-1])
        firsts = [self.layout.bounds[k] + s.val_end for k, s in enumerate(self.parts)]
        return str(min(index[firsts])), str(max(index))

    def unscale(self, scaled: np.ndarray, part: str, origins=slice(None)) -> np.ndarray:
        """``(n_windows, horizon)`` scaled target forecasts of ``part`` (of its ``origins``: a
        slice or integer array) in original units (each series with its own scaler)."""
        if self.layout is None:
            return self.prep.unscale_target(scaled)
        mean, scale = self.prep.row_stats(self.layout)
        rows = self.starts[part][origins]
        i = self.prep.target_index
        return scaled * scale[rows, i][:, None] + mean[rows, i][:, None]

    def dataset(
        self, part: str, batch_size: int, shuffle_seed: int | None = None, with_targets: bool = True
    ):
        return make_dataset(
            self.tensor,
            self.prep.target_index,
            self.starts[part],
            self.prep.window,
            self.prep.horizon,
            batch_size,
            shuffle_seed,
            with_targets,
        )

    @functools.cached_property
    def tensor(self):
        """``values`` as one TensorFlow constant that every dataset shares (one copy, not one
        per dataset: 56 MB each at 1 M rows x 14 inputs)."""
        import tensorflow as tf

        return tf.constant(self.values, dtype=tf.float32)

    def actual(self, part: str) -> np.ndarray:
        """``(n_windows, horizon)`` true targets of ``part`` in original units."""
        return target_windows(self.target, self.starts[part], self.prep.window, self.prep.horizon)

    def lazy_actual(self, part: str) -> WindowArray:
        """``actual(part)`` as a ``WindowArray``: gathered for the origins asked for only."""
        p, starts = self.prep, self.starts[part]
        return WindowArray(
            (len(starts), p.horizon),
            lambda i: target_windows(self.target, starts[i], p.window, p.horizon),
        )


def prepare(series: Series, options: FitOptions) -> Prepared:
    """Select columns, split chronologically and fit the scaler on training rows only.

    With ``series.layout`` (``--series``): series too short for the window are dropped (noted in
    ``series.notes``), each series is split on its own and gets its own scaler."""
    columns, target = select_columns(list(series.frame.columns), options.target, options.features)
    season = options.season or season_for(series.freq)
    per_series = None
    if series.layout is not None:
        series, notes = panel.keep_long_enough(
            series, options.window, options.horizon, options.split, season
        )
        series.notes.extend(notes)
        layout = series.layout
        parts = panel.splits(layout, options.split)
        values = series.frame[columns].to_numpy(dtype="float64")
        train_rows = values[panel.train_rows(layout, parts)]
        check_target_varies(train_rows[:, -1], target)
        stats = [fit_scaler(values[layout.rows(k)][: s.train_end]) for k, s in enumerate(parts)]
        n_train = min(s.train_end for s in parts)
        per_series = {
            "column": layout.column,
            "names": list(layout.names),
            "mean": [m for m, _ in stats],
            "scale": [sc for _, sc in stats],
            "n_rows": [int(n) for n in layout.lengths()],
            "last_timestamp": [
                str(series.frame.index[layout.bounds[k + 1] - 1]) for k in range(layout.n_series)
            ],
        }
        last = str(series.frame.index.max())
    else:
        split = check_enough_rows(len(series.frame), options.window, options.horizon, options.split)
        train_rows = series.frame[columns].to_numpy(dtype="float64")[: split.train_end]
        n_train = split.train_end
        check_target_varies(train_rows[:, -1], target)
        last = str(series.frame.index[-1])
    mean, scale = fit_scaler(train_rows)
    frame = series.frame
    prep = Preprocessing(
        columns=columns,
        target=target,
        time_col=series.time_col,
        freq=series.freq,
        window=options.window,
        horizon=options.horizon,
        norm=options.norm,
        season=season,
        split=list(options.split),
        mean=mean,
        scale=scale,
        n_rows=len(frame),
        last_timestamp=last,
        calendar=calendar.choose(options.calendar, series.freq, n_train, options.window),
        series=per_series,
    )
    if prep.calendar:
        prep = replace(prep, calendar=calendar_on_validation(series, prep, options))
    return reprepare(series, prep)


CALENDAR_CHECK_WINDOWS = 20_000  # per part: bounds the check's cost on large data


def thinned(prepared: Prepared, n: int) -> Prepared:
    """``prepared`` with at most ``n`` train and ``n`` validation origins, evenly spaced over each
    part (so every season stays represented); the test origins are dropped."""

    def spaced(starts: np.ndarray) -> np.ndarray:
        if len(starts) <= n:
            return starts
        return starts[np.linspace(0, len(starts) - 1, n).round().astype("int64")]

    starts = {"train": spaced(prepared.starts["train"]), "val": spaced(prepared.starts["val"])}
    return replace(prepared, starts={**starts, "test": prepared.starts["test"][:0]})


def calendar_on_validation(series: Series, prep: Preprocessing, options: FitOptions) -> list[str]:
    """The calendar cycles of ``prep`` that earn their place: each is kept when adding it alone
    lowers the closed-form linear baseline's validation MSE (ridge solutions, so no seeds and
    seconds, not epochs; the test split is not read). Noted in ``series.notes``.

    Structure alone does not decide: the day of week is a cycle of human activity (traffic, load)
    and noise for air temperature, where it cost 5 % of validation RMSE on an hourly series
    (README "Choices and measurements")."""
    linear = options.replace(model="linear", ensemble=1, highway=False)

    def val_mse(names: list[str]) -> float:
        prepared = thinned(reprepare(series, replace(prep, calendar=names)), CALENDAR_CHECK_WINDOWS)
        _, result = train_linear(prepared, linear)
        return result.history["val_loss"][0]

    without = val_mse([])
    scores = {name: val_mse([name]) for name in prep.calendar}
    kept = [name for name in prep.calendar if scores[name] < without]
    dropped = [name for name in prep.calendar if name not in kept]
    rmse = {name: f"{np.sqrt(scores[name]) / np.sqrt(without) - 1:+.1%}" for name in scores}
    series.notes.append(
        "calendar inputs (linear baseline's validation RMSE with each): "
        + ", ".join(f"{name} {rmse[name]}" for name in prep.calendar)
        + f"; kept {', '.join(kept) or 'none'}"
        + (f", dropped {', '.join(dropped)}" if dropped else "")
    )
    return kept


def reprepare(series: Series, prep: Preprocessing) -> Prepared:
    """Apply saved preprocessing to a (possibly new) series, with the saved split fractions."""
    if prep.series is not None:
        return reprepare_panel(series, prep)
    split = check_enough_rows(len(series.frame), prep.window, prep.horizon, tuple(prep.split))
    starts = {part: origins(split, prep.window, prep.horizon, part) for part in PARTS}
    target = series.frame[prep.target].to_numpy(dtype="float64")
    values = prep.scale_values(series.frame)
    check_scaled(values, prep.columns)
    return Prepared(series, prep, split, values, target, starts)


def reprepare_panel(series: Series, prep: Preprocessing) -> Prepared:
    """``reprepare`` for a run trained with ``--series``: the series the run knows, each split on
    its own and scaled with its own saved scaler (others are dropped, noted)."""
    layout = series.layout
    if layout is None:
        raise ForecastError(
            f"the run was trained on the series of column {prep.series['column']!r}; read the "
            "CSV with that --series column"
        )
    known = [n for n in layout.names if n in prep.series["names"]]
    unknown = [n for n in layout.names if n not in prep.series["names"]]
    if not known:
        raise ForecastError(
            f"none of the series in the CSV ({panel.shown(layout.names)}) is one the run was "
            f"trained on ({panel.shown(prep.series['names'])}); a global model needs each "
            "series' scaler"
        )
    if unknown:
        series = panel.select_series(series, known)
        series.notes.append(f"skipped series the run was not trained on: {panel.shown(unknown)}")
    series, notes = panel.keep_long_enough(
        series, prep.window, prep.horizon, tuple(prep.split), prep.season
    )
    series.notes.extend(notes)
    layout = series.layout
    parts = panel.splits(layout, tuple(prep.split))
    starts = {
        part: panel.panel_origins(layout, parts, prep.window, prep.horizon, part) for part in PARTS
    }
    target = series.frame[prep.target].to_numpy(dtype="float64")
    values = prep.scale_values(series.frame, layout)
    check_scaled(values, prep.columns)
    whole = Split(len(series.frame), 0, 0)  # not used: each series has its own in ``parts``
    return Prepared(series, prep, whole, values, target, starts, layout, parts)


def check_scaled(values: np.ndarray, columns: list[str]) -> None:
    """Refuse scaled values whose square overflows float32 (an outlier far outside the training
    rows' spread), naming the column and row."""
    too_big = ~(np.abs(values) < MAX_ABS)
    if too_big.any():
        row, col = np.argwhere(too_big)[0]
        raise ForecastError(
            f"column {columns[col]!r} line {line_of(row)} lies more than {MAX_ABS:.1e} training "
            "standard deviations from the training mean; remove that outlier or rescale the column"
        )


def predict_part(model, prepared: Prepared, part: str = "test") -> np.ndarray:
    """``(n_windows, horizon)`` forecasts of ``part`` in the target's original units."""
    return np.asarray(predict_lazy(model, prepared, part))


def predict_lazy(model, prepared: Prepared, part: str = "test") -> WindowArray:
    """``predict_part`` holding only the model's float32 output (half of the float64 forecasts);
    each selection of origins is converted to float64 and unscaled when read, with the same
    values as ``predict_part``."""
    ds = prepared.dataset(part, PREDICT_BATCH, with_targets=False)
    scaled = np.asarray(model.predict(ds, verbose=0))
    return WindowArray(
        scaled.shape, lambda i: prepared.unscale(scaled[i].astype("float64"), part, i)
    )


def naive_baselines(prepared: Prepared, part: str = "test") -> dict[str, np.ndarray]:
    """Persistence and seasonal-naive forecasts of ``part``, ``(n_windows, horizon)`` each."""
    return {name: np.asarray(b) for name, b in lazy_baselines(prepared, part).items()}


def lazy_baselines(prepared: Prepared, part: str = "test") -> dict[str, WindowArray]:
    """``naive_baselines`` as ``WindowArray``s, made from the target for the origins read."""
    p = prepared.prep
    starts, target = prepared.starts[part], prepared.target
    shape = (len(starts), p.horizon)
    if len(starts):  # refuse a season longer than the history now, not when first read
        first = int(np.argmin(starts))
        ev.seasonal_naive(target, starts[first : first + 1], p.window, p.horizon, p.season)
    return {
        "persistence": WindowArray(
            shape, lambda i: ev.persistence(target, starts[i], p.window, p.horizon)
        ),
        "seasonal_naive": WindowArray(
            shape, lambda i: ev.seasonal_naive(target, starts[i], p.window, p.horizon, p.season)
        ),
    }


def score_all(prepared: Prepared, predicted: np.ndarray, baselines: dict[str, np.ndarray]) -> dict:
    """metrics.json body (without training facts): the model and every baseline on the test
    windows, and the skill against persistence."""
    actual = prepared.lazy_actual("test")
    scored = score_windows(actual, predicted, baselines, prepared.naive_scale(), prepared.prep)
    if prepared.layout is not None:
        scored["per_series"] = score_per_series(prepared, actual, predicted, baselines)
    return scored


def score_windows(actual, predicted, baselines: dict, scale: float, prep: Preprocessing) -> dict:
    """Scores of the model and every baseline on the same ``(n_windows, horizon)`` windows."""
    model_scores = ev.scores(actual, predicted, scale)
    baseline_scores = {name: ev.scores(actual, b, scale) for name, b in baselines.items()}
    baseline_scores["seasonal_naive"]["season"] = prep.season
    persistence_rmse = baseline_scores["persistence"]["rmse"]
    skill = ev.skill(model_scores["rmse"], persistence_rmse)
    return {
        **model_scores,
        "n_test_windows": int(len(actual)),
        "baselines": baseline_scores,
        "skill_vs_persistence": skill,
        "beats_persistence": bool(skill > 0),
    }


def evidence(actual, predicted, baselines: dict) -> dict:
    """metrics.json ``significance`` (Diebold–Mariano against persistence and, when present, the
    linear baseline) and ``diagnostics`` (does the forecast repeat the last value?) of a test
    forecast."""
    from forecast.diagnostics import diagnose
    from forecast.significance import versus_baselines

    return {
        "significance": versus_baselines(actual, predicted, baselines),
        "diagnostics": diagnose(actual, predicted, baselines["persistence"][:, 0]),
    }


def score_per_series(prepared: Prepared, actual, predicted, baselines: dict) -> dict:
    """metrics.json ``per_series``: ``{name: {rmse, mae, smape, mase, skill_vs_persistence,
    baselines, significance, ...}}`` on each series' own test windows, MASE against its own
    training rows; ``significance`` holds the Diebold–Mariano test against persistence."""
    from forecast.significance import versus_baselines

    ids = prepared.series_ids("test")
    out = {}
    for k, name in enumerate(prepared.series_names):
        mine = ids == k
        theirs = {n: b[mine] for n, b in baselines.items()}
        out[name] = score_windows(
            actual[mine], predicted[mine], theirs, prepared.naive_scale(k), prepared.prep
        )
        # consecutive origins of one series: the h-step overlap the DM variance allows for
        out[name]["significance"] = versus_baselines(
            actual[mine], predicted[mine], theirs, names=("persistence",)
        )
    return out


def build_for(name: str, prep: Preprocessing, options: FitOptions):
    """Registry model ``name`` shaped for ``prep`` with ``options``' architecture settings."""
    from forecast.models import build_model

    return build_model(
        name,
        prep.window,
        len(prep.columns),
        prep.horizon,
        options.units,
        prep.target_index,
        prep.norm,
        layers=options.layers,
        calendar_periods=prep.calendar_periods,
        highway=options.highway,
    )


def train_one(
    name: str,
    prepared: Prepared,
    options: FitOptions,
    verbose: int,
    checkpoint=None,
    log_dir: Path | None = None,
):
    """Build and train registry model ``name`` on ``prepared``; return ``(model, TrainResult)``.

    With ``log_dir``, TensorBoard logs go there (ensemble members: ``log_dir/member<k>``).

    With ``options.ensemble`` = K > 1, K members (seeds ``seed … seed + K - 1``) are trained and
    averaged into one model. With a ``forecast.train.Checkpoint`` (single models only), a checkpoint
    is saved after every epoch, and training continues from ``checkpoint.state`` when it is set.
    """
    if name == "linear":  # exact least squares instead of SGD under the epoch budget
        return train_linear(prepared, options)
    if options.ensemble == 1:
        return train_member(name, prepared, options, verbose, checkpoint, log_dir)
    from forecast.models import average_models
    from forecast.train import combine_results

    members, results = [], []
    for k in range(options.ensemble):
        member_log = log_dir / f"member{k}" if log_dir is not None else None
        member, result = train_member(
            name, prepared, options.replace(seed=options.seed + k), verbose, None, member_log
        )
        members.append(member)
        results.append(result)
    return average_models(members, name), combine_results(results)


def train_linear(prepared: Prepared, options: FitOptions):
    """The ``linear`` model with its head set to the ridge solution (``forecast.linear``)."""
    from forecast.linear import fit_linear
    from forecast.train import set_seed

    set_seed(options.seed)
    model = build_for("linear", prepared.prep, options)
    result = fit_linear(
        model,
        prepared.dataset("train", PREDICT_BATCH),
        prepared.dataset("val", PREDICT_BATCH),
        prepared.prep.target_index,
        prepared.prep.norm,
    )
    return model, result


def train_member(
    name: str,
    prepared: Prepared,
    options: FitOptions,
    verbose: int,
    checkpoint,
    log_dir: Path | None = None,
):
    """One recurrent model, seeded with ``options.seed``; a highway model starts from the ridge
    solution on its linear path (recurrent path weighted zero) so training starts where the
    linear baseline ends.

    With ``--distribute`` or ``--mixed-precision`` the model is built, restored and trained inside
    ``forecast.distribute.training_scope``, and a plain float32 copy is returned for scoring and
    saving."""
    from forecast.distribute import plain_copy, steps_per_execution, training_scope
    from forecast.train import load_checkpoint_model, set_seed, train

    set_seed(options.seed)
    best = None
    with training_scope(options.distribute, options.mixed_precision):
        if checkpoint is not None and checkpoint.state is not None:
            model, best = load_checkpoint_model(checkpoint)
        else:
            model = build_for(name, prepared.prep, options)
            if options.highway:
                start_highway_at_ridge(model, prepared, options)
                set_seed(options.seed)
        result = train(
            model,
            prepared.dataset("train", options.batch_size, shuffle_seed=options.seed),
            prepared.dataset("val", options.batch_size),
            n_train_windows=len(prepared.starts["train"]),
            epochs=options.epochs,
            patience=options.patience,
            learning_rate=options.learning_rate,
            steps_per_execution=steps_per_execution(
                options.steps_per_execution, options.distribute
            ),
            verbose=verbose,
            checkpoint=checkpoint,
            best_weights=best,
            batch_size=options.batch_size,
            log_dir=log_dir,
        )
    if options.distribute != "none" or options.mixed_precision:
        model = plain_copy(model, lambda: build_for(name, prepared.prep, options))
    return model, result


def start_highway_at_ridge(model, prepared: Prepared, options: FitOptions) -> None:
    """Set the highway head to the linear baseline's ridge solution, frozen, and the recurrent head
    to zero: the model starts as the linear baseline and the recurrent path learns what it misses.
    (Training the highway jointly from there was worse on validation: bench/defaults_choice.py.)"""
    linear, _ = train_linear(prepared, options)
    highway = model.get_layer("highway")
    highway.set_weights(linear.get_layer("forecast").get_weights())
    highway.trainable = False
    head = model.get_layer("forecast")
    head.set_weights([np.zeros_like(w) for w in head.get_weights()])


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def library_versions() -> dict[str, str]:
    import keras
    import matplotlib
    import sklearn
    import tensorflow as tf

    return {
        "forecast": __version__,
        "python": platform.python_version(),
        "tensorflow": tf.__version__,
        "keras": keras.__version__,
        "numpy": np.__version__,
        "pandas": pd.__version__,
        "scikit-learn": sklearn.__version__,
        "matplotlib": matplotlib.__version__,
        "platform": sys.platform,
    }


def predictions_frame(
    prepared: Prepared,
    predicted: np.ndarray,
    baselines: dict[str, np.ndarray],
    widths: dict[str, list[float]] | None = None,
    origins: slice = slice(None),
) -> pd.DataFrame:
    """predictions.csv: one row per (test origin, horizon step), original units, with the
    conformal bands ``lower_80, upper_80, lower_95, upper_95`` when ``widths`` is given.

    ``origins`` selects a slice of the test origins (``predicted`` and ``baselines`` are the
    full ``(n_windows, horizon)`` arrays), so a large file can be written chunk by chunk."""
    from forecast.intervals import interval_columns

    p = prepared.prep
    starts = prepared.starts["test"][origins]
    predicted = predicted[origins]
    # per-origin widths (n_windows, horizon) follow the slice; per-step ones (horizon,) do not
    widths = {
        k: np.asarray(w)[origins] if np.ndim(w) == 2 else w for k, w in (widths or {}).items()
    }
    index = prepared.series.frame.index
    steps = np.arange(1, p.horizon + 1)
    rows = (starts[:, None] + p.window - 1 + steps).ravel()
    names = (
        {
            prepared.layout.column: np.repeat(
                np.asarray(prepared.layout.names)[prepared.layout.ids(starts)], p.horizon
            )
        }
        if prepared.layout is not None
        else {}
    )
    return pd.DataFrame(
        {
            **names,
            "timestamp": index[rows],
            "step": np.tile(steps, len(starts)),
            "origin": index[np.repeat(starts + p.window - 1, p.horizon)],
            "actual": target_windows(prepared.target, starts, p.window, p.horizon).ravel(),
            "predicted": predicted.ravel(),
            **{k: v.ravel() for k, v in interval_columns(predicted, widths).items()},
            **{name: b[origins].ravel() for name, b in baselines.items()},
        }
    )


def load_series_for(csv: Path, options: FitOptions) -> Series:
    """The CSV as ``options`` read it: one series, or (``--series``) every series of a long
    table (``--only``: some of them)."""
    if options.series is not None:
        series = panel.read_panel(
            Path(csv),
            options.series,
            options.time_col,
            options.fill,
            options.dayfirst,
            options.only,
        )
    else:
        series = read_series(Path(csv), options.time_col, options.fill, options.dayfirst)
    release_arrow_memory()
    return series


def release_arrow_memory() -> None:
    """Hand memory that pyarrow's pool keeps after reading back to the system: 166 MB of RSS
    after reading a 1 M x 8 CSV (bench/scale.py), which would otherwise stay for the whole fit."""
    import sys

    if "pyarrow" in sys.modules:
        sys.modules["pyarrow"].default_memory_pool().release_unused()
