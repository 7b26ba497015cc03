"""Calibrate forecast.evaluation.drift's defaults on synthetic errors (no real data, no tuning on
test data): false alarms per year of daily origins, and origins from a shift to its alarm.

Error sequences (standardised by the "validation" sd, so sd 1 when the scale is right):
gauss (iid N(0,1)), t4 (t with 4 df / sqrt 2), ar.15 and ar.3 (Gaussian AR(1), phi 0.15 / 0.3),
gauss*1.15 (the validation sd 15 % too small). The CUSUM is run vectorised over paths with the
recursion of ``drift.cusum_path`` (checked equal on one path); the windowed tests use the module's
own p-value functions. Delays: 100 in-control origins, then a shift of ``delta`` sd from origin 1;
the delay is the number of shifted origins seen when the first alarm in the shift's direction
fires (an alarm on the first shifted error is delay 1).

Usage: python bench/drift_calibration.py [--paths 2000] [--years 10]
"""

from __future__ import annotations

import argparse
import json
import math

import numpy as np

from forecast.evaluation import drift
from forecast.evaluation.significance import origin_losses

YEAR = 365
WARM = 100


def ar1(phi: float, shape, rng, innovations=None) -> np.ndarray:
    """AR(1) paths with unit marginal variance, ``(paths, n)``."""
    e = rng.standard_normal(shape) if innovations is None else innovations
    z = np.empty(shape)
    z[:, 0] = e[:, 0]
    for t in range(1, shape[1]):
        z[:, t] = phi * z[:, t - 1] + math.sqrt(1 - phi**2) * e[:, t]
    return z


def errors(kind: str, shape, rng) -> np.ndarray:
    """``(paths, n)`` standardised errors of one kind."""
    if kind == "gauss":
        return rng.standard_normal(shape)
    if kind == "t4":
        return rng.standard_t(4, shape) / math.sqrt(2)
    if kind == "gauss*1.15":
        return 1.15 * rng.standard_normal(shape)
    return ar1(float(kind[2:]), shape, rng)


KINDS = ("gauss", "t4", "ar.15", "ar.3", "gauss*1.15")


def cusum_runs(z: np.ndarray, o: drift.DriftOptions, start: int = 0):
    """Vectorised ``drift.cusum_path`` over rows: alarm counts per path, and per path the first
    index >= ``start`` where the UPPER CUSUM alarms (inf if none)."""
    z = np.clip(z, -o.clip, o.clip)
    up, down = np.zeros(len(z)), np.zeros(len(z))
    count, first_up = np.zeros(len(z)), np.full(len(z), np.inf)
    for t in range(z.shape[1]):
        up, down = np.maximum(0, up + z[:, t] - o.k), np.maximum(0, down - z[:, t] - o.k)
        alarm = (up > o.h) | (down > o.h)
        count += alarm
        if t >= start:
            hit = (up > o.h) & np.isinf(first_up)
            first_up[hit] = t
        up[alarm], down[alarm] = 0, 0
    return count, first_up


def check_same_as_module(o: drift.DriftOptions, rng) -> None:
    z = 1.3 * rng.standard_normal((1, 3000))
    count, _ = cusum_runs(z, o)
    _, _, alarms = drift.cusum_path(np.clip(z[0], -o.clip, o.clip), o.k, o.h)
    assert count[0] == len(alarms), (count, alarms)


def delays(first: np.ndarray) -> dict:
    d = first - WARM + 1
    return {
        "median": float(np.median(d)),
        "p90": float(np.percentile(d, 90)),
        "within_10": float(np.mean(d <= 10)),
    }


def cusum_table(o, paths, years, rng) -> dict:
    out = {}
    for kind in KINDS:
        z = errors(kind, (paths, years * YEAR), rng)
        count, _ = cusum_runs(z, o)
        row = {"false_per_year": float(count.sum() / (paths * years))}
        for delta in (4 / 3.5, 4 / 3, 4 / 2.5):
            shifted = z[:, : WARM + 60].copy()
            shifted[:, WARM:] += delta
            row[f"delay_{delta:.2f}sd"] = delays(cusum_runs(shifted, o, start=WARM)[1])
        out[kind] = row
    return out


def windowed_rate(p_of_path, paths: int, years: int, window: int, alpha: float) -> float:
    alarms = sum(len(drift.windowed_alarms(p_of_path(i), window, alpha)) for i in range(paths))
    return alarms / (paths * years)


def coverage_table(o, paths, years, rng) -> dict:
    """The band is the 80 % quantile of |z| for the kind (what a calibrated conformal band is),
    except gauss*1.15, whose band keeps the N(0,1) quantile (coverage 73.5 %)."""
    nominal = int(o.coverage_level) / 100
    out = {}
    for kind in KINDS:
        z = errors(kind, (paths, years * YEAR), rng)
        q = 1.2815515655446004 if kind == "gauss*1.15" else np.quantile(np.abs(z), nominal)

        def p_of(i, z=z, q=q):
            return drift.coverage_pvalues(np.abs(z[i]) <= q, o.coverage_n, nominal)

        row = {"false_per_year": windowed_rate(p_of, paths, years, o.coverage_n, o.coverage_p)}
        shifted = errors(kind, (paths, WARM + 90), rng)
        shifted[:, WARM:] += 4 / 3
        first = []
        for i in range(paths):
            p = p_of(0, shifted[i : i + 1])
            hits = [t for t in drift.windowed_alarms(p, o.coverage_n, o.coverage_p) if t >= WARM]
            first.append(hits[0] if hits else np.inf)
        row["delay_1.33sd"] = delays(np.array(first, dtype="float64"))
        out[kind] = row
    return out


def temperatures(n: int, rng, phi: float = 0.7) -> np.ndarray:
    """A daily anomaly: AR(1), lag-1 autocorrelation 0.7 (daily maximum temperatures' order)."""
    return ar1(phi, (1, n), rng)[0]


def dm_forecasts(x: np.ndarray, horizon: int, noise: float, rng, phi: float = 0.7):
    """Per-origin actuals, a model (the AR forecast plus noise) and persistence, ``(n, h)``."""
    n = len(x) - horizon
    idx = np.arange(n)[:, None] + np.arange(1, horizon + 1)
    actual = x[idx]
    steps = np.arange(1, horizon + 1)
    model = x[:n, None] * phi**steps + noise * rng.standard_normal((n, horizon))
    persistence = np.repeat(x[:n, None], horizon, axis=1)
    return actual, model, persistence


def dm_table(o, paths, years, rng, horizon: int = 7) -> dict:
    """The model is the AR forecast plus noise 0 (its MSE is 0.62 of persistence's, as the
    weather GRU's validation RMSE 3.2 vs 4.15) or 0.5 (MSE ratio 0.80)."""
    out = {}
    for noise in (0.0, 0.5):
        rates, ratios, first = 0, [], []
        for _ in range(paths):
            a, m, p = dm_forecasts(temperatures(years * YEAR + horizon, rng), horizon, noise, rng)
            lm, lp = origin_losses(a, m), origin_losses(a, p)
            ratios.append(lm.mean() / lp.mean())
            pv = drift.dm_pvalues(lm, lp, o.dm_n, horizon)
            rates += len(drift.windowed_alarms(pv, o.dm_n, o.dm_p))
            # a persistent bias of 4/3 sd of the 1-step error from origin WARM on
            bias = np.zeros(len(a))
            bias[WARM:] = 4 / 3 * math.sqrt(1 - 0.7**2 + noise**2)
            lb = origin_losses(a[: WARM + 60], m[: WARM + 60] - bias[: WARM + 60, None])
            pv = drift.dm_pvalues(lb, lp[: WARM + 60], o.dm_n, horizon)
            hits = [t for t in drift.windowed_alarms(pv, o.dm_n, o.dm_p) if t >= WARM]
            first.append(hits[0] if hits else np.inf)
        out[f"mse_ratio_{np.mean(ratios):.2f}"] = {
            "false_per_year": rates / (paths * years),
            "delay_1.33sd": delays(np.array(first, dtype="float64")),
        }
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--paths", type=int, default=2000)
    parser.add_argument("--years", type=int, default=10)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    rng = np.random.default_rng(args.seed)
    o = drift.DriftOptions()
    check_same_as_module(o, rng)
    few = max(args.paths // 10, 20)
    report = {
        "options": o.__dict__,
        "cusum": cusum_table(o, args.paths, args.years, rng),
        "coverage": coverage_table(o, few, args.years, rng),
        "dm": dm_table(o, max(few // 4, 10), args.years, rng),
    }
    print(json.dumps(report, indent=1))


if __name__ == "__main__":
    main()
