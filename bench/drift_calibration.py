"""Calibrate forecast.evaluation.drift's defaults on synthetic errors (no real data, no tuning on
test data): false alarms per year of daily origins, and origins from a shift to its alarm.

Error sequences (standardised by the "validation" sd, so sd 1 when the scale is right):
gauss (iid N(0,1)), t4 (t with 4 df / sqrt 2), ar.15 and ar.3 (Gaussian AR(1), phi 0.15 / 0.3),
gauss*1.15 (the validation sd 15 % too small). The CUSUM is run vectorised over paths with the
recursion of ``drift.cusum_path`` (checked equal on one path); the windowed tests use the module's
own p-value functions. Delays: 100 in-control origins, then a shift of ``delta`` sd from origin 1;
the delay is the number of shifted origins seen when the first alarm in the shift's direction
fires (an alarm on the first shifted error is delay 1).

replay_ridge: detect() itself on synthetic replay years of a ridge that, like the weather GRU
(``--norm window``), forecasts relative to the last row (see ``ridge_year``), clean and with +4 °C.

Usage: python bench/drift_calibration.py [--paths 2000] [--years 10]   (2000 paths: writes
bench/drift_calibration.json)
"""

from __future__ import annotations

import argparse
import json
import math
from pathlib import Path

import numpy as np

from forecast.evaluation import drift
from forecast.evaluation.significance import origin_losses

HERE = Path(__file__).resolve().parent
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
        "median": float(np.quantile(d, 0.5, method="inverted_cdf")),
        "p90": float(np.quantile(d, 0.9, method="inverted_cdf")),
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
            end = WARM + 2 * o.dm_n
            lb = origin_losses(a[:end], m[:end] - bias[:end, None])
            pv = drift.dm_pvalues(lb, lp[:end], o.dm_n, horizon)
            hits = [t for t in drift.windowed_alarms(pv, o.dm_n, o.dm_p) if t >= WARM]
            first.append(hits[0] if hits else np.inf)
        out[f"mse_ratio_{np.mean(ratios):.2f}"] = {
            "false_per_year": rates / (paths * years),
            "delay_1.33sd": delays(np.array(first, dtype="float64")),
        }
    return out


def seasonal_temperatures(n: int, rng, sd: float = 4.0, phi: float = 0.7) -> np.ndarray:
    """Daily maxima: 15 + 8 sin(day of year) °C plus an AR(1) anomaly (sd 4, lag-1 0.7)."""
    t = np.arange(n)
    return 15 + 8 * np.sin(2 * np.pi * t / 365.25) + sd * ar1(phi, (1, n), rng)[0]


def ridge_windows(x: np.ndarray, first_row: int, window: int = 30, horizon: int = 7):
    """Inputs relative to the window's last value (``--norm window``) plus sin/cos of the day of
    year and 1; targets: the next ``horizon`` values relative to it; the last values."""
    n = len(x) - window - horizon + 1
    rows = np.arange(n)[:, None]
    inputs = x[rows + np.arange(window)]
    last = inputs[:, -1:]
    day = 2 * np.pi * (first_row + np.arange(n) + window - 1) / 365.25
    features = np.c_[inputs - last, np.sin(day), np.cos(day), np.ones(n)]
    return features, x[rows + window + np.arange(horizon)] - last, last[:, 0]


def ridge_year(rng, shift_day: int | None, window: int = 30, horizon: int = 7):
    """A stand-in for the weather GRU (which re-anchors on the last row: ``--norm window``): a
    ridge on 3 synthetic years, its validation residuals from the 4th, its forecasts over the
    5th, with +4 °C added from ``shift_day`` of that year on. Returns the joined rows and the
    per-step validation sd."""
    import pandas as pd

    x = seasonal_temperatures(5 * YEAR + window + horizon, rng)
    if shift_day is not None:
        x[4 * YEAR + window + shift_day :] += 4.0
    cut = [0, 3 * YEAR, 4 * YEAR, 5 * YEAR]
    parts = [
        ridge_windows(x[a : b + window + horizon - 1], a)
        for a, b in zip(cut[:-1], cut[1:], strict=True)
    ]
    (f, y, _), (fv, yv, _), (fr, yr, last) = parts
    coef = np.linalg.solve(f.T @ f + 0.1 * np.eye(f.shape[1]), f.T @ y)
    val = yv - fv @ coef
    width = np.quantile(np.abs(val), 0.8, axis=0)
    predicted = fr @ coef + last[:, None]
    actual = yr + last[:, None]
    n = len(actual)
    origin = pd.Timestamp("2030-01-01") + pd.to_timedelta(np.arange(n) + window - 1, "D")
    step = np.tile(np.arange(1, horizon + 1), n)
    rows = pd.DataFrame(
        {
            "origin": np.repeat(origin, horizon),
            "step": step,
            "timestamp": np.repeat(origin, horizon) + pd.to_timedelta(step, "D"),
            "predicted": predicted.reshape(-1),
            "persistence": np.repeat(last, horizon),
            "lower_80": (predicted - width).reshape(-1),
            "upper_80": (predicted + width).reshape(-1),
            "actual": actual.reshape(-1),
        }
    )
    return rows, val.std(axis=0), origin[0] + pd.Timedelta(days=shift_day or 0)


def replay_table(o, years: int, rng) -> dict:
    """detect() itself on ``years`` clean synthetic replay years and as many shifted ones
    (+4 °C from a day drawn in 60…300): alerts per clean year by kind, and days from the first
    shifted value's arrival to the first alert (0: that same day)."""
    import pandas as pd

    false = {"cusum": 0, "coverage": 0, "dm": 0}
    days, sds = [], []
    for _ in range(years):
        rows, scale, _ = ridge_year(rng, None)
        sds.append(scale[0])
        for alert in drift.detect(rows, scale, o):
            false[alert.kind] += 1
        rows, scale, shift = ridge_year(rng, int(rng.integers(60, 300)))
        after = [a for a in drift.detect(rows, scale, o) if a.at >= shift]
        days.append((after[0].at - shift) / pd.Timedelta("1D") if after else np.inf)
    days = np.array(days)
    return {
        "step1_val_sd": float(np.mean(sds)),
        "false_per_year": {k: v / years for k, v in false.items()},
        "days_to_alert": {
            "median": float(np.median(days)),
            "within_10": float(np.mean(days <= 10)),
            "within_30": float(np.mean(days <= 30)),
        },
    }


def date_statistic(rows, scale: np.ndarray, kind: str):
    """Per target day: the step-1 z (``step1``), the last step's (``last``) or the mean z of all
    steps that target it (``mean``; days with every step only). Returns (days, values)."""
    z = (rows["actual"] - rows["predicted"]) / scale[rows["step"].to_numpy() - 1]
    frame = rows.assign(z=z.to_numpy())
    if kind != "mean":
        step = 1 if kind == "step1" else len(scale)
        part = frame[frame["step"] == step].sort_values("timestamp")
        return part["timestamp"].to_numpy(), part["z"].to_numpy()
    by_day = frame.groupby("timestamp")["z"].agg(["mean", "count"])
    by_day = by_day[by_day["count"] == len(scale)]
    return by_day.index.to_numpy(), by_day["mean"].to_numpy()


ALTERNATIVES = (("step1", 0.5, 5.5), ("mean", 1.0, 6.0), ("mean", 0.75, 8.0), ("last", 1.0, 9.0))


def alternatives_table(years: int, rng) -> dict:
    """Other errors fed to the same CUSUM on the ridge stand-in: autocorrelation, false alarms a
    year and the share of +4 °C steps found within 10 days (upward alarms only)."""
    import pandas as pd

    runs = [
        (ridge_year(rng, None), ridge_year(rng, int(rng.integers(60, 300)))) for _ in range(years)
    ]
    out = {}
    for kind, k, h in ALTERNATIVES:
        false, found, lag1 = 0, 0, []
        for (clean, scale, _), (shifted, scale_s, shift) in runs:
            _, v = date_statistic(clean, scale, kind)
            lag1.append(np.corrcoef(v[1:], v[:-1])[0, 1])
            false += len(drift.cusum_path(np.clip(v, -3, 3), k, h)[2])
            days, v = date_statistic(shifted, scale_s, kind)
            up, _, alarms = drift.cusum_path(np.clip(v, -3, 3), k, h)
            hits = [days[t] for t in alarms if up[t] > h and days[t] >= shift]
            found += bool(hits) and (pd.Timestamp(hits[0]) - shift).days <= 10
        out[f"{kind} k={k} h={h}"] = {
            "lag1_autocorrelation": float(np.mean(lag1)),
            "false_per_year": false / years,
            "within_10": found / years,
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
        "replay_ridge": replay_table(o, few, rng),
        "replay_alternatives": alternatives_table(few, rng),
    }
    text = json.dumps(report, indent=1).replace("Infinity", "null")  # never alarmed
    print(text)
    if args.paths >= 2000:  # the recorded run, not a quick look
        (HERE / "drift_calibration.json").write_text(text + "\n")


if __name__ == "__main__":
    main()
