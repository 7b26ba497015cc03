import numpy as np
import pytest

from forecast.data.split import split_rows
from forecast.data.windows import make_dataset, origins, target_windows


@pytest.mark.parametrize("n, window, horizon", [(100, 10, 3), (57, 5, 1), (400, 48, 24)])
def test_targets_lie_after_inputs_and_inside_their_part(n, window, horizon):
    split = split_rows(n, (0.7, 0.15, 0.15))
    bounds = {
        "train": (0, split.train_end),
        "val": (split.train_end, split.val_end),
        "test": (split.val_end, n),
    }
    for part, (lo, hi) in bounds.items():
        starts = origins(split, window, horizon, part)
        assert len(starts) > 0
        targets = starts[:, None] + window + np.arange(horizon)
        inputs_end = starts + window - 1
        assert (targets.min(axis=1) > inputs_end).all()  # no target inside its own input
        assert targets.min() >= lo and targets.max() < hi  # targets never cross a boundary
        assert (np.diff(starts) == 1).all()  # stride 1


def test_train_targets_never_reach_validation_rows():
    split = split_rows(200, (0.7, 0.15, 0.15))
    starts = origins(split, 12, 4, "train")
    assert starts.max() + 12 + 4 <= split.train_end


def test_dataset_batches_match_index_arithmetic():
    values = np.arange(60, dtype="float32").reshape(30, 2)
    starts = np.array([0, 3, 7, 20])
    ds = make_dataset(values, 1, starts, window=5, horizon=2, batch_size=3)
    xs, ys = zip(*[(x.numpy(), y.numpy()) for x, y in ds], strict=True)
    x, y = np.concatenate(xs), np.concatenate(ys)
    assert x.shape == (4, 5, 2) and y.shape == (4, 2)
    for k, s in enumerate(starts):
        np.testing.assert_array_equal(x[k], values[s : s + 5])
        np.testing.assert_array_equal(y[k], values[s + 5 : s + 7, 1])
    np.testing.assert_array_equal(y, target_windows(values[:, 1], starts, 5, 2))


def test_shuffled_dataset_is_reproducible_and_complete():
    values = np.random.default_rng(0).normal(size=(50, 1)).astype("float32")
    starts = np.arange(40)
    first = [
        x.numpy()[:, 0, 0] for x, _ in make_dataset(values, 0, starts, 5, 1, 8, shuffle_seed=3)
    ]
    again = [
        x.numpy()[:, 0, 0] for x, _ in make_dataset(values, 0, starts, 5, 1, 8, shuffle_seed=3)
    ]
    np.testing.assert_array_equal(np.concatenate(first), np.concatenate(again))
    assert sorted(np.concatenate(first).tolist()) == sorted(values[:40, 0].tolist())
