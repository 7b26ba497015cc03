"""Is one forecaster's advantage over another more than noise? The Diebold–Mariano test.

Losses are taken per test origin: the squared error averaged over the ``horizon`` steps of that
origin, so each origin contributes one number. Forecasts from consecutive origins share targets
(origin ``t`` covers rows ``t+1 … t+h``), so the loss differential is autocorrelated up to lag
``h - 1``; the long-run variance adds those autocovariances (rectangular kernel, Diebold & Mariano
1995). The statistic gets the Harvey, Leybourne & Newbold (1997) small-sample correction and is
compared with a t distribution with ``n - 1`` degrees of freedom (two-sided). Pure NumPy / SciPy.

Degenerate cases:
- identical losses at every origin: statistic 0, p-value 1;
- a long-run variance estimate that is not positive (the rectangular kernel does not guarantee
  one): the lag-0 variance alone is used instead, i.e. the overlap is ignored, which errs towards
  *smaller* p-values only when the autocovariances were negative anyway; ``variance`` says which;
- a constant non-zero differential (zero variance): the evidence is total, p-value 0 and the
  statistic is infinite (``None`` in JSON);
- fewer than ``horizon + 1`` origins: no test, statistic and p-value ``None``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from forecast.data.windows import blocks_of


@dataclass(frozen=True)
class DMResult:
    """A two-sided Diebold–Mariano test of equal accuracy.

    Attributes:
        dm_stat: HLN-corrected statistic; < 0 means the FIRST forecast has the smaller loss.
        p_value: two-sided, t distribution with ``n - 1`` degrees of freedom.
        n: number of origins.
        variance: ``"long-run"``, ``"lag-0 fallback"`` or ``"zero"``.
    """

    dm_stat: float
    p_value: float
    n: int
    variance: str

    def to_dict(self) -> dict:
        """``{"dm_stat", "p_value"}`` for metrics.json; non-finite values become ``None``."""
        finite = lambda x: float(x) if math.isfinite(x) else None  # noqa: E731
        return {"dm_stat": finite(self.dm_stat), "p_value": finite(self.p_value)}


def origin_losses(actual, predicted) -> np.ndarray:
    """Squared error averaged over the horizon steps of each origin.

    Args:
        actual, predicted: ``(n_windows, horizon)`` arrays or ``forecast.data.windows.WindowArray``s
            (taken a block of origins at a time).

    Returns:
        ``(n_windows,)`` losses.
    """
    out = np.empty(len(actual))
    for s, (a, p) in blocks_of(actual, predicted):
        err = np.asarray(a, dtype="float64") - np.asarray(p, dtype="float64")
        out[s] = np.mean(err**2, axis=1)
    return out


def autocovariances(d: np.ndarray, max_lag: int) -> np.ndarray:
    """``gamma_k = (1/n) Σ_{t>k} (d_t - d̄)(d_{t-k} - d̄)`` for ``k = 0 … max_lag``."""
    n = len(d)
    c = d - d.mean()
    return np.array([np.dot(c[k:], c[: n - k]) / n for k in range(min(max_lag, n - 1) + 1)])


def dm_test(loss_a: np.ndarray, loss_b: np.ndarray, horizon: int) -> DMResult:
    """Diebold–Mariano test of equal expected loss, HLN-corrected.

    Args:
        loss_a, loss_b: ``(n,)`` per-origin losses of forecasters A and B on the same origins, in
            time order.
        horizon: forecast horizon ``h``; autocovariances up to lag ``h - 1`` enter the variance.

    Returns:
        A ``DMResult``; ``dm_stat < 0`` when A has the smaller mean loss.
    """
    from scipy import stats

    d = np.asarray(loss_a, dtype="float64") - np.asarray(loss_b, dtype="float64")
    n, h = len(d), int(horizon)
    if h < 1:
        raise ValueError(f"horizon {horizon} must be at least 1")
    if n <= h:
        return DMResult(float("nan"), float("nan"), n, "too few origins")
    mean = float(d.mean())
    gamma = autocovariances(d, h - 1)
    variance, kind = gamma[0] + 2 * gamma[1:].sum(), "long-run"
    if not variance > 0:
        variance, kind = gamma[0], "lag-0 fallback"
    # the scale of d, for telling rounding noise from a real (constant) difference
    tiny = 1e-12 * max(float(np.abs(loss_a).mean()), float(np.abs(loss_b).mean()), 1e-300)
    if not variance > tiny**2:
        if abs(mean) <= tiny:
            return DMResult(0.0, 1.0, n, "zero")
        return DMResult(math.copysign(math.inf, mean), 0.0, n, "zero")
    dm = mean / math.sqrt(variance / n)
    hln = math.sqrt((n + 1 - 2 * h + h * (h - 1) / n) / n)
    stat = hln * dm
    p = float(2 * stats.t.sf(abs(stat), df=n - 1))
    return DMResult(float(stat), min(p, 1.0), n, kind)


def dm_forecasts(actual, predicted_a, predicted_b) -> DMResult:
    """``dm_test`` on the per-origin squared-error losses of two ``(n_windows, horizon)``
    forecasts (arrays or ``WindowArray``s) of the same ``actual``."""
    return dm_test(
        origin_losses(actual, predicted_a), origin_losses(actual, predicted_b), np.shape(actual)[1]
    )


def versus_baselines(
    actual: np.ndarray,
    predicted: np.ndarray,
    baselines: dict[str, np.ndarray],
    names: tuple[str, ...] = ("persistence", "linear", "gbm"),
) -> dict:
    """metrics.json ``significance``: ``{"vs_<name>": {"dm_stat", "p_value"}}`` of the model's
    ``(n_windows, horizon)`` forecast against each named baseline (``dm_stat < 0``: the model is
    more accurate)."""
    return {
        f"vs_{name}": dm_forecasts(actual, predicted, baselines[name]).to_dict()
        for name in names
        if name in baselines
    }
