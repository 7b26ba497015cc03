"""The adding problem (Hochreiter & Schmidhuber 1997, experiment 4; Le, Jaitly & Hinton 2015;
Arjovsky, Shah & Bengio 2016): the standard test of whether a recurrent network can carry
information across ``length`` steps.

Each sequence has two channels: values drawn uniformly from [0, 1], and a marker channel that is 0
except for exactly two 1s, one at a random step of the first half and one at a random step of the
second half. The target, read after the last step, is the sum of the two marked values. A model
that remembers nothing does best by predicting the mean, 1.0, whose MSE is the variance of the sum
of two independent U(0, 1) values: 2 / 12 = 1/6 ≈ 0.167 (the *baseline*).
"""

from __future__ import annotations

import numpy as np

BASELINE_MSE = 1.0 / 6.0


"""Expected MSE of always predicting 1.0: Var(U1 + U2) = 2 × 1/12."""


def adding_batch(rng: np.random.Generator, n: int, length: int) -> tuple[np.ndarray, np.ndarray]:
    """Draw ``n`` fresh adding-problem sequences of ``length`` steps.

    Args:
        rng: the random generator that the draw advances (seeded by the caller).
        n: sequences.
        length: steps per sequence, at least 2 (one marker per half).

    Returns:
        ``x`` ``(n, length, 2)`` float32: channel 0 the values in [0, 1), channel 1 the markers;
        ``y`` ``(n, 1)`` float32: the sum of the two marked values.
    """
    if length < 2:
        raise ValueError(f"length {length} < 2: the adding problem needs one marker per half")
    values = rng.uniform(0.0, 1.0, size=(n, length)).astype("float32")
    half = length // 2
    rows = np.arange(n)
    first = rng.integers(0, half, size=n)
    second = rng.integers(half, length, size=n)
    markers = np.zeros((n, length), dtype="float32")
    markers[rows, first] = 1.0
    markers[rows, second] = 1.0
    y = values[rows, first] + values[rows, second]
    return np.stack([values, markers], axis=-1), y[:, None]


def baseline_mse(y: np.ndarray) -> float:
    """MSE of the no-memory prediction 1.0 on targets ``y`` ``(n, 1)``; ≈ 1/6 for large ``n``."""
    return float(np.mean((np.asarray(y, dtype="float64") - 1.0) ** 2))
