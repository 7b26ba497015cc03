"""Leakage guards, property-tested: targets lie strictly after their inputs and inside their own
split, the scaler sees training rows only, and nothing in the test split is read before
evaluation."""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from forecast.config import FitOptions
from forecast.data.io import Series
from forecast.data.split import split_rows, window_counts
from forecast.data.windows import PARTS, origins
from forecast.errors import ForecastError
from forecast.training.preparation import prepare

fractions = st.tuples(st.floats(0.3, 0.85), st.floats(0.05, 0.4), st.floats(0.05, 0.4)).map(
    lambda f: tuple(x / sum(f) for x in f)
)


@settings(max_examples=300, deadline=None)
@given(
    n=st.integers(2, 500),
    window=st.integers(1, 60),
    horizon=st.integers(1, 30),
    split=fractions,
)
def test_targets_lie_after_their_inputs_and_inside_their_part(n, window, horizon, split):
    s = split_rows(n, split)
    bounds = {"train": (0, s.train_end), "val": (s.train_end, s.val_end), "test": (s.val_end, n)}
    for part, count in zip(PARTS, window_counts(s, window, horizon), strict=True):
        starts = origins(s, window, horizon, part)
        assert len(starts) == count
        if not len(starts):
            continue
        last_input = starts + window - 1
        targets = starts[:, None] + window + np.arange(horizon)
        assert starts.min() >= 0
        assert (targets > last_input[:, None]).all()
        lo, hi = bounds[part]
        assert targets.min() >= lo and targets.max() < hi
        if part == "train":
            assert targets.max() < s.train_end
        assert (np.diff(starts) == 1).all()  # stride 1: every origin, none skipped


def series_of(n: int, seed: int) -> Series:
    rng = np.random.default_rng(seed)
    index = pd.DatetimeIndex(pd.date_range("2020-01-01", periods=n, freq="D"), name="date")
    frame = pd.DataFrame(
        {"x": rng.normal(size=n), "y": np.sin(np.arange(n) / 3) + rng.normal(0, 0.1, n)},
        index=index,
    ).astype("float32")
    return Series(frame, "date", "D")


def prepared_or_none(series: Series, options: FitOptions):
    try:
        return prepare(series, options)
    except ForecastError:  # too few rows for this window / horizon / split
        return None


@settings(max_examples=40, deadline=None)
@given(
    n=st.integers(20, 300),
    window=st.integers(1, 20),
    horizon=st.integers(1, 10),
    split=fractions,
    seed=st.integers(0, 2**16),
    norm=st.sampled_from(["window", "global"]),
)
def test_scaler_sees_only_training_rows(n, window, horizon, split, seed, norm):
    options = FitOptions(window=window, horizon=horizon, split=split, norm=norm)
    series = series_of(n, seed)
    first = prepared_or_none(series, options)
    assume(first is not None)
    end = first.split.train_end
    changed = series.frame.astype("float64")
    rng = np.random.default_rng(seed + 1)
    changed.iloc[end:] = rng.uniform(-1e6, 1e6, size=changed.iloc[end:].shape)
    second = prepare(Series(changed.astype("float32"), "date", "D"), options)
    assert second.prep.mean == first.prep.mean
    assert second.prep.scale == first.prep.scale
    k = len(first.prep.columns)  # the data columns (calendar inputs are chosen on validation)
    assert np.array_equal(second.values[:end, :k], first.values[:end, :k])


@settings(max_examples=15, deadline=None)
@given(
    n=st.integers(40, 300),
    window=st.integers(1, 5),
    horizon=st.integers(1, 4),
    seed=st.integers(0, 2**16),
)
def test_the_calendar_choice_never_reads_the_test_split(n, window, horizon, seed):
    """``--calendar auto`` keeps a cycle on the linear baseline's validation error: rewriting every
    test row must not change what it keeps (daily rows, window < 7: the week is a candidate)."""
    options = FitOptions(window=window, horizon=horizon)
    series = series_of(n, seed)
    first = prepared_or_none(series, options)
    assume(first is not None)
    changed = series.frame.astype("float64")
    rng = np.random.default_rng(seed + 1)
    tail = changed.iloc[first.split.val_end :]
    changed.iloc[first.split.val_end :] = rng.uniform(-1e6, 1e6, size=tail.shape)
    second = prepare(Series(changed.astype("float32"), "date", "D"), options)
    assert second.prep.calendar == first.prep.calendar
    assert np.array_equal(second.values[: first.split.val_end], first.values[: first.split.val_end])


@settings(max_examples=15, deadline=None)
@given(
    n=st.integers(20, 200),
    window=st.integers(1, 12),
    horizon=st.integers(1, 6),
    split=fractions,
    seed=st.integers(0, 2**16),
)
def test_training_and_validation_never_read_the_test_split(n, window, horizon, split, seed):
    prepared = prepared_or_none(series_of(n, seed), FitOptions(window=window, horizon=horizon))
    assume(prepared is not None)
    val_end = prepared.split.val_end
    prepared.values[val_end:] = np.nan  # poison every test row
    for part in ("train", "val"):
        seen = 0
        for x, y in prepared.dataset(part, batch_size=16, shuffle_seed=seed):
            assert np.isfinite(x.numpy()).all() and np.isfinite(y.numpy()).all()
            seen += len(x)
        assert seen == len(prepared.starts[part])
    # the test windows do read the poisoned rows: the check above is not vacuous
    x, _ = next(iter(prepared.dataset("test", batch_size=len(prepared.starts["test"]))))
    assert not np.isfinite(x.numpy()).all() or window + horizon > n - val_end
