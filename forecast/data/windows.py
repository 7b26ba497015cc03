"""Windows by index arithmetic: an origin ``i`` means inputs ``rows[i : i + window]`` and targets
``target[i + window : i + window + horizon]``.

Only the ``(n_rows, n_features)`` array and a vector of origins are held in memory; each batch is
gathered on the fly inside ``tf.data``, so the ``(n_windows, window, n_features)`` tensor is never
materialised.
"""

from __future__ import annotations

import numpy as np

from forecast.data.split import Split

PARTS = ("train", "val", "test")


def origins(split: Split, window: int, horizon: int, part: str) -> np.ndarray:
    """Origins (stride 1) of every window whose targets all lie in ``part`` of the split.

    Inputs may reach back into the previous part (that is the past, not a leak); targets never
    cross a split boundary.

    Returns:
        ``(n_windows,)`` int64 origins, increasing.
    """
    first_target, end = {
        "train": (0, split.train_end),
        "val": (split.train_end, split.val_end),
        "test": (split.val_end, split.n_rows),
    }[part]
    start = max(first_target - window, 0)
    stop = end - window - horizon + 1
    return np.arange(start, max(stop, start), dtype="int64")


def target_windows(target: np.ndarray, starts: np.ndarray, window: int, horizon: int) -> np.ndarray:
    """``(n_windows, horizon)`` targets for the origins ``starts`` (NumPy, for metrics)."""
    return target[starts[:, None] + window + np.arange(horizon)]


def make_dataset(
    values: np.ndarray,
    target_index: int,
    starts: np.ndarray,
    window: int,
    horizon: int,
    batch_size: int,
    shuffle_seed: int | None = None,
    with_targets: bool = True,
):
    """A ``tf.data.Dataset`` of batches gathered from ``values`` by index.

    Args:
        values: ``(n_rows, n_features)`` float32 scaled series.
        target_index: column of ``values`` holding the target.
        starts: ``(n_windows,)`` origins.
        window: input length.
        horizon: forecast length.
        batch_size: windows per batch.
        shuffle_seed: shuffle origins every epoch with this seed; ``None`` keeps time order.
        with_targets: yield ``(x, y)`` when True, only ``x`` otherwise.

    Returns:
        Batches ``x: (batch, window, n_features)`` and ``y: (batch, horizon)``.
    """
    import tensorflow as tf

    # one tensor shared by every dataset when ``values`` already is one (Prepared.tensor)
    series = tf.convert_to_tensor(values, dtype=tf.float32)
    target = series[:, target_index]
    input_offsets = tf.range(window, dtype=tf.int64)
    target_offsets = tf.range(window, window + horizon, dtype=tf.int64)

    def gather(batch_starts):
        x = tf.gather(series, batch_starts[:, None] + input_offsets)
        if not with_targets:
            return x
        return x, tf.gather(target, batch_starts[:, None] + target_offsets)

    order = tf.constant(np.asarray(starts, dtype="int64"))
    if shuffle_seed is None:
        ds = tf.data.Dataset.from_tensor_slices(order).batch(batch_size)
    else:
        ds = shuffled_batches(order, batch_size, shuffle_seed)
    ds = ds.map(gather, num_parallel_calls=tf.data.AUTOTUNE, deterministic=True)
    return ds.prefetch(tf.data.AUTOTUNE)


def shuffled_batches(order, batch_size: int, seed: int):
    """Batches of ``order`` in a new random permutation every epoch (iteration), reproducible
    from ``seed``: one ``(n,)`` permutation per epoch instead of a ``tf.data`` shuffle buffer
    holding every origin as its own element (about 170 bytes each: 120 MB for 700,000 origins).
    """
    import tensorflow as tf

    def permute(key):
        return tf.random.experimental.stateless_shuffle(order, seed=tf.stack([key, key // 2]))

    n_batches = -(-int(order.shape[0]) // batch_size)
    return (
        tf.data.Dataset.random(seed=seed, rerandomize_each_iteration=True)
        .take(1)
        .map(permute)
        .flat_map(lambda perm: tf.data.Dataset.from_tensor_slices(perm).batch(batch_size))
        .apply(tf.data.experimental.assert_cardinality(n_batches))  # Keras sizes epochs by it
    )


BLOCK = 16_384  # origins per block when scoring: (16,384 x horizon) float64 temporaries


def blocks(n: int, size: int = BLOCK) -> list[slice]:
    """Consecutive slices of ``range(n)`` of at most ``size`` origins each."""
    return [slice(i, min(i + size, n)) for i in range(0, n, size)]


class WindowArray:
    """A ``(n_windows, horizon)`` array made on demand, for any selection of origins.

    Scoring 150,000 test origins at horizon 24 would otherwise hold the actuals, the model's
    forecast and every baseline as 29 MB float64 arrays at once (and their temporaries); here each
    is a recipe (``compute``), evaluated a block of origins at a time (``blocks_of``). Indexing
    with a slice, integer array or boolean mask of origins returns a NumPy array; ``np.asarray``
    gives the whole array.

    Args:
        shape: ``(n_windows, horizon)``.
        compute: maps an origin selection (a slice or an integer array) to the NumPy rows
            ``(k, horizon)`` of those origins.
    """

    ndim = 2

    def __init__(self, shape: tuple[int, int], compute):
        self.shape = (int(shape[0]), int(shape[1]))
        self.compute = compute

    def __len__(self) -> int:
        return self.shape[0]

    @property
    def size(self) -> int:
        return self.shape[0] * self.shape[1]

    def __getitem__(self, index):
        if isinstance(index, tuple):  # e.g. [:, 0]: origins first, then within those rows
            rows, rest = index[0], (slice(None), *index[1:])
            if not isinstance(rows, slice):
                return self[rows][rest]
            picked = np.arange(len(self))[rows]  # a block at a time: never the whole array
            parts = [self.compute(picked[s])[rest] for s in blocks(len(picked))]
            return np.concatenate(parts) if parts else self.compute(picked)[rest]
        if isinstance(index, int | np.integer):
            index = index if index >= 0 else len(self) + index
            return self.compute(slice(index, index + 1))[0]
        if isinstance(index, slice):
            return self.compute(slice(*index.indices(len(self))))
        index = np.asarray(index)
        return self.compute(np.flatnonzero(index) if index.dtype == bool else index)

    def __array__(self, dtype=None, copy=None):
        whole = self.compute(slice(0, len(self)))
        return whole if dtype is None else whole.astype(dtype, copy=False)


def blocks_of(*arrays, size: int = BLOCK):
    """Yield ``(slice, [block of each array])`` over the origins of equally long ``arrays``
    (NumPy arrays are sliced as views, ``WindowArray`` blocks are computed)."""
    for s in blocks(len(arrays[0]), size):
        yield s, [a[s] for a in arrays]
