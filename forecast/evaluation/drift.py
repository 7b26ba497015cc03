"""Has the model gone stale? Three tests on the realised forecast errors, alerts as data.

``detect`` is a pure function of the whole realised history (``realised.join_actuals``' rows):
``forecast update`` recomputes it at every update and reports the alerts whose ``at`` is one of
the times observed for the first time in that update. No state is kept between updates, so a
killed update, a rollback or an edited history cannot leave a monitor out of step with its log.
Every test restarts after an alarm (a CUSUM from zero, a windowed test with a fresh window of
``n`` origins), so one episode raises one alert, not one per day.

(a) ``cusum``: a two-sided CUSUM (two one-sided CUSUMs, reference ``k``, threshold ``h``) on the
    step-1 errors standardised by the validation residuals' step-1 standard deviation,
    ``z = (actual - predicted) / scale[0]``, one per origin in origin order, clipped to
    ``[-clip, clip]``. Why step 1: it arrives first (the day after its origin), and a good
    model's step-1 errors are close to white, so the CUSUM's false-alarm rate is the simulated
    one. The mean error of all steps that target a day, or the last step's error, carry more of
    a level step when the model re-anchors on the last row (``--norm window``), but they are
    autocorrelated (lag 1: 0.58 and 0.72 in bench/drift_calibration.py's stand-in, step 1:
    0.0), and at the same false-alarm rate (0.4-0.5 a year) they found a +4 °C step within 10
    days no more often (8-9 % of replays, step 1 too). Why clipping at 3: a single heavy-tailed
    error (t with 4 degrees of freedom) otherwise fires the CUSUM on its own; a shift of 4/3 sd
    is hardly clipped.
    What no test can do: a model that re-anchors on the last row absorbs most of a level step.
    For +4 °C in an AR(1) anomaly (sd 4 °C, lag 1 0.7) the evidence in a perfect model's errors
    after 10 days is about 1.9 sd (1.4 sd the first day, 0.42 sd a day after that), so finding
    it within 10 days at under one false alarm a year is a coin toss at best; the stand-in
    (step-1 sd 2.9 °C) found it within 10 days in 1 % of replays with these defaults. A bias
    that persists (a sensor offset; a model that does not re-anchor) of 4/3 sd is found after
    a median of 8 origins.
(b) ``coverage``: the 80 % band's coverage of the step-1 targets over the last ``n`` origins is
    too low: one-sided binomial ``P(X <= covered | n, 0.80) < p``. Too-wide bands are not alerted.
(c) ``dm``: persistence has beaten the model over the last ``n`` complete origins (every step
    observed): the Diebold–Mariano test of ``significance.dm_test`` on per-origin mean squared
    errors, ``dm_stat > 0`` (the model's loss larger) and its two-sided ``p < dm_p``.

The defaults come from simulations on Gaussian, t(4) and AR(1) errors: bench/drift_calibration.py
prints the false-alarm rates and detection delays. Pure NumPy / pandas / SciPy.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from forecast.errors import ForecastError
from forecast.evaluation.significance import dm_test, origin_losses


@dataclass(frozen=True)
class DriftOptions:
    """The tests' settings; the numbers quoted are bench/drift_calibration.py's (2,000 simulated
    10-year paths of daily origins; "sd" is the step-1 validation residuals' sd).

    Attributes:
        k: CUSUM reference (sd): half the shift it is tuned for, 1.5 sd.
        h: CUSUM threshold (sd). With ``k=0.75, h=5``: 0.07 false alarms a year on iid Gaussian
            or t(4) errors, 0.31 on AR(1) phi=0.15, 0.94 on AR(1) phi=0.3 (the stress case),
            0.38 when the validation sd is 15 % too small; a bias of 4/3 sd (+4 °C on a 3 °C
            sd) alarms after a median of 8 origins (71 % within 10, 90 % within 15), one of
            1.6 sd within 10 origins in 91 %. No CUSUM does much better: Lorden's bound for
            one false alarm in 14 years is a delay of 2 log(ARL0) / delta^2 = 9.6 origins at
            4/3 sd.
        clip: standardised errors are clipped to ``[-clip, clip]`` before the CUSUM.
        coverage_n: step-1 origins in the coverage window.
        coverage_level: the band tested (``"80"`` or ``"95"``).
        coverage_p: alert below this one-sided binomial p-value: at most 16 of 30 inside the
            80 % band. 0.06 false alarms a year on calibrated bands (0.11 with AR(1) phi=0.3;
            0.67 on bands 15 % too narrow, which is no false alarm); p=0.01 gives 0.45. Slow for a
            bias (median 23 origins at 4/3 sd): the CUSUM is the fast test; this one catches
            bands that have become too narrow.
        dm_n: complete origins in the Diebold–Mariano window. 60, not 30: a model whose MSE is
            0.8 of persistence's is "beaten" 0.6 times a year over 30 origins (the test is
            oversized on 30 overlapping 7-step origins), 0.07 times over 60; never in 10
            simulated years for one as good as the weather GRU (MSE 0.62 of persistence's).
        dm_p: alert when persistence is more accurate and the two-sided DM p-value is below it.

    All three together on the re-anchoring stand-in's clean replays: 0.17 false alerts a year.
    """

    k: float = 0.75
    h: float = 5.0
    clip: float = 3.0
    coverage_n: int = 30
    coverage_level: str = "80"
    coverage_p: float = 0.001
    dm_n: int = 60
    dm_p: float = 0.05


@dataclass(frozen=True)
class Alert:
    """One drift alert: what fired, where, on what evidence, and what to do next.

    Attributes:
        kind: ``"cusum"``, ``"coverage"`` or ``"dm"``.
        series: the series' name (``--series`` runs), else ``None``.
        at: the time label (the data index's dtype) of the observation whose arrival raised the
            alert; ``update`` reports the alerts whose ``at`` it has just observed.
        statistic: the CUSUM's value (in sd; alarms above ``threshold``), or the coverage
            test's binomial p-value or the DM test's p-value (alarm below ``threshold``).
        threshold: ``h``, ``coverage_p`` or ``dm_p``.
        message: one line: what happened and what to do next.
        origin: the origin whose forecast completed the evidence.
    """

    kind: str
    series: str | None
    at: object
    statistic: float
    threshold: float
    message: str
    origin: object = None

    def to_dict(self) -> dict:
        """JSON-ready: times as ISO text, steps as integers."""
        return {
            "kind": self.kind,
            "series": self.series,
            "at": label(self.at),
            "origin": label(self.origin),
            "statistic": float(self.statistic),
            "threshold": float(self.threshold),
            "message": self.message,
        }


def label(value):
    """A time label as JSON: ISO text for a Timestamp, an int for a step, ``None`` stays."""
    if value is None:
        return None
    if isinstance(value, pd.Timestamp):
        return value.isoformat()
    return int(value)


def cusum_path(z: np.ndarray, k: float, h: float) -> tuple[np.ndarray, np.ndarray, list[int]]:
    """Two one-sided CUSUMs restarted from zero after each alarm.

    ``S+_t = max(0, S+_{t-1} + z_t - k)``, ``S-_t = max(0, S-_{t-1} - z_t - k)``; an alarm at
    ``t`` when either exceeds ``h``, after which both restart at 0.

    Args:
        z: ``(n,)`` standardised errors in time order.

    Returns:
        ``(s_plus, s_minus, alarms)``: the ``(n,)`` statistics before any restart (an alarm's
        value is the one that crossed ``h``) and the indices of the alarms.
    """
    s_plus, s_minus = np.zeros(len(z)), np.zeros(len(z))
    up = down = 0.0
    alarms = []
    for t, x in enumerate(np.asarray(z, dtype="float64")):
        up, down = max(0.0, up + x - k), max(0.0, down - x - k)
        s_plus[t], s_minus[t] = up, down
        if up > h or down > h:
            alarms.append(t)
            up = down = 0.0
    return s_plus, s_minus, alarms


def run_start(s: np.ndarray, t: int, floor: int) -> int:
    """The first index of the run of positive CUSUM values that ends at ``t``, not before
    ``floor`` (the origin after the previous alarm, where the CUSUM restarted)."""
    start = t
    while start > floor and s[start - 1] > 0:
        start -= 1
    return start


def windowed_alarms(p: np.ndarray, window: int, alpha: float) -> list[int]:
    """Indices ``i`` where ``p[i]``, the p-value of the window of points ``i-window+1 … i``, is
    below ``alpha``; after an alarm the next window starts after it (a fresh window), so one
    episode alarms once. NaN p-values never alarm."""
    out, first = [], 0
    for i in range(len(p)):
        if i - first + 1 >= window and p[i] < alpha:
            out.append(i)
            first = i + 1
    return out


def coverage_pvalues(inside: np.ndarray, window: int, nominal: float) -> np.ndarray:
    """``P(X <= covered)`` for ``X ~ Binomial(window, nominal)`` and ``covered`` the number of
    ``inside`` points in each window ending at ``i`` (NaN before the first full window)."""
    from scipy import stats

    counts = np.concatenate([[0], np.cumsum(np.asarray(inside, dtype="int64"))])
    p = np.full(len(inside), np.nan)
    if len(inside) >= window:
        covered = counts[window:] - counts[:-window]
        p[window - 1 :] = stats.binom.cdf(covered, window, nominal)
    return p


def dm_pvalues(loss_model: np.ndarray, loss_other: np.ndarray, window: int, horizon: int):
    """The two-sided DM p-value of each window of ``window`` origins ending at ``i`` when the
    model's loss is the larger (``dm_stat > 0``), else 1; NaN before the first full window."""
    p = np.full(len(loss_model), np.nan)
    for i in range(window - 1, len(loss_model)):
        r = dm_test(loss_model[i + 1 - window : i + 1], loss_other[i + 1 - window : i + 1], horizon)
        p[i] = r.p_value if r.dm_stat > 0 else 1.0  # a NaN statistic (too few origins) -> 1
    return p


NEXT = "run `forecast update {run} --refit always` or refit with `forecast fit`"


def named(series: str | None) -> str:
    return "" if series is None else f"series {series!r}: "


def cusum_alerts(rows, scale, o: DriftOptions, series, run) -> list[Alert]:
    """(a) on the step-1 rows of one series, in origin order."""
    z = np.clip((rows["actual"] - rows["predicted"]).to_numpy("float64") / scale, -o.clip, o.clip)
    s_plus, s_minus, alarms = cusum_path(z, o.k, o.h)
    out = []
    for before, t in zip(([-1] + alarms)[:-1], alarms, strict=True):
        upward = s_plus[t] > o.h
        s = s_plus if upward else s_minus
        start = run_start(s, t, before + 1)
        shift = float(np.mean(z[start : t + 1]) * scale)
        row = rows.iloc[t]
        what = "above" if upward else "below"
        message = (
            f"{named(series)}the model's 1-step errors have drifted (CUSUM {s[t]:.1f} > {o.h:g} "
            f"at {label(row['timestamp'])}): actuals ran {abs(shift):.3g} {what} the forecasts "
            f"over the last {t - start + 1} origins; {NEXT.format(run=run)}"
        )
        out.append(
            Alert("cusum", series, row["timestamp"], float(s[t]), o.h, message, row["origin"])
        )
    return out


def coverage_alerts(rows, o: DriftOptions, series, run) -> list[Alert]:
    """(b) on the step-1 rows of one series whose band is known, in origin order."""
    lo, hi = rows[f"lower_{o.coverage_level}"], rows[f"upper_{o.coverage_level}"]
    rows = rows[(lo.notna() & hi.notna()).to_numpy()]
    a = rows["actual"].to_numpy("float64")
    inside = (a >= rows[f"lower_{o.coverage_level}"].to_numpy("float64")) & (
        a <= rows[f"upper_{o.coverage_level}"].to_numpy("float64")
    )
    n = o.coverage_n
    p = coverage_pvalues(inside, n, int(o.coverage_level) / 100)
    out = []
    for i in windowed_alarms(p, n, o.coverage_p):
        covered, row = int(inside[i + 1 - n : i + 1].sum()), rows.iloc[i]
        message = (
            f"{named(series)}the {o.coverage_level} % intervals held {covered} of the last {n} "
            f"1-step actuals ({covered / n:.0%}, binomial p {p[i]:.2g} < {o.coverage_p:g}) at "
            f"{label(row['timestamp'])}: they are too narrow for the recent errors; "
            f"{NEXT.format(run=run)}"
        )
        out.append(
            Alert(
                "coverage",
                series,
                row["timestamp"],
                float(p[i]),
                o.coverage_p,
                message,
                row["origin"],
            )
        )
    return out


def complete_origins(rows: pd.DataFrame, horizon: int) -> pd.DataFrame:
    """One series' rows of the origins whose ``horizon`` steps are all observed, sorted by
    origin then step."""
    steps = rows.groupby("origin")["step"].transform("nunique")
    done = rows[(steps == horizon) & rows["persistence"].notna()]
    return done.sort_values(["origin", "step"], kind="stable")


def dm_alerts(rows, horizon: int, o: DriftOptions, series, run) -> list[Alert]:
    """(c) on one series' complete origins, in origin order."""
    done = complete_origins(rows, horizon)
    shape = (-1, horizon)
    actual = done["actual"].to_numpy("float64").reshape(shape)
    loss_model = origin_losses(actual, done["predicted"].to_numpy("float64").reshape(shape))
    loss_pers = origin_losses(actual, done["persistence"].to_numpy("float64").reshape(shape))
    p = dm_pvalues(loss_model, loss_pers, o.dm_n, horizon)
    last = done.groupby("origin", sort=True)["timestamp"].max()
    out = []
    for i in windowed_alarms(p, o.dm_n, o.dm_p):
        sl = slice(i + 1 - o.dm_n, i + 1)
        message = (
            f"{named(series)}persistence beat the model over the last {o.dm_n} origins (mean "
            f"squared error {loss_pers[sl].mean():.3g} vs {loss_model[sl].mean():.3g}, DM p "
            f"{p[i]:.2g} < {o.dm_p:g}) at {label(last.iloc[i])}; {NEXT.format(run=run)}"
        )
        out.append(Alert("dm", series, last.iloc[i], float(p[i]), o.dm_p, message, last.index[i]))
    return out


def detect_one(rows, scale: np.ndarray, o: DriftOptions, series, run) -> list[Alert]:
    """All three tests on one series' realised rows."""
    first = rows[rows["step"] == 1].sort_values("origin", kind="stable")
    out = cusum_alerts(first, float(scale[0]), o, series, run)
    if f"lower_{o.coverage_level}" in rows.columns:
        out += coverage_alerts(first, o, series, run)
    if "persistence" in rows.columns:
        out += dm_alerts(rows, len(scale), o, series, run)
    return out


def check_scale(scale, series) -> np.ndarray:
    """``scale`` as a positive finite ``(horizon,)`` array, or a one-line ``ForecastError``."""
    s = np.asarray(scale, dtype="float64").reshape(-1)
    if not len(s) or not np.all(np.isfinite(s) & (s > 0)):
        raise ForecastError(
            f"{named(series)}the validation residuals' scale {s.tolist()} must be positive and "
            "finite at every step; refit the run (its validation split is too short or constant)"
        )
    return s


def detect(
    joined: pd.DataFrame,
    scale: np.ndarray | dict[str, np.ndarray],
    options: DriftOptions | None = None,
    series_col: str | None = None,
    run: str = "RUN_DIR",
) -> list[Alert]:
    """Every drift alert over the whole realised history, ordered by ``at``.

    Args:
        joined: ``realised.join_actuals``' rows (origin, step, timestamp, actual, predicted,
            persistence, band bounds).
        scale: ``(horizon,)`` standard deviation of the model's validation residuals per step;
            for a ``--series`` run a dict ``{series name: (horizon,)}``.
        options: the tests' settings (``DriftOptions()`` by default).
        series_col: the series column of a ``--series`` run.
        run: the run directory as the user names it, for the messages.

    Returns:
        The alerts, oldest first. Pure: the same history gives the same alerts.
    """
    o = options or DriftOptions()
    if series_col is None:
        out = detect_one(joined, check_scale(scale, None), o, None, run)
    else:
        if not isinstance(scale, dict):
            raise ForecastError("a --series run needs one scale per series: {name: (horizon,)}")
        out = []
        for name, rows in joined.groupby(series_col, sort=True):
            name = str(name)
            if name not in scale:
                raise ForecastError(
                    f"series {name!r} has no validation scale; refit the run to monitor it"
                )
            out += detect_one(rows, check_scale(scale[name], name), o, name, run)
    return sorted(out, key=lambda a: (a.at, a.series or "", a.kind))
