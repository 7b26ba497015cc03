"""An independent Diebold–Mariano test for recomputing the p-values a run wrote (issue 22):
written from the formula, not from ``forecast.evaluation.significance``.

``d_t = loss_a_t - loss_b_t``; long-run variance ``γ₀ + 2 Σ_{k=1}^{h-1} γ_k`` with
``γ_k = (1/n) Σ_{t>k} (d_t - d̄)(d_{t-k} - d̄)`` (the lag-0 variance alone when that sum is not
positive); statistic ``d̄ / sqrt(var / n)`` times the HLN factor
``sqrt((n + 1 - 2h + h(h-1)/n) / n)``; two-sided p from a t distribution with ``n - 1``
degrees of freedom; identical losses give (0, 1).
"""

from __future__ import annotations

import math

import numpy as np


def dm_reference(loss_a, loss_b, h: int) -> tuple[float, float]:
    """``(statistic, p-value)`` of forecaster A against B at horizon ``h``."""
    from scipy import stats

    d = np.asarray(loss_a, dtype="float64") - np.asarray(loss_b, dtype="float64")
    n = len(d)
    c = d - d.mean()
    gamma = [sum(c[t] * c[t - k] for t in range(k, n)) / n for k in range(h)]
    if not np.any(d):
        return 0.0, 1.0  # the same losses: no difference at all
    variance = gamma[0] + 2 * sum(gamma[1:])
    if variance <= 0:
        variance = gamma[0]
    stat = d.mean() / math.sqrt(variance / n) * math.sqrt((n + 1 - 2 * h + h * (h - 1) / n) / n)
    return stat, float(2 * stats.t.sf(abs(stat), n - 1))


def origin_losses_of(frame, column: str, by: str = "origin") -> np.ndarray:
    """Per-origin losses from a predictions.csv frame: the squared error of ``column`` against
    ``actual`` averaged over the steps of each origin, origins in file order."""
    err = (frame["actual"] - frame[column]) ** 2
    return err.groupby(frame[by], sort=False).mean().to_numpy()
