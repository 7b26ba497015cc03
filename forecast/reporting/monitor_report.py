"""What ``update`` shows: monitor.png (forecasts against what happened, rolling error beside
persistence's, rolling interval coverage) and the "since training" section of report.html."""

from __future__ import annotations

import io
import os
import re
from pathlib import Path

import pandas as pd

from forecast.reporting.html import REPORT_FILE, esc, image, number, table

MONITOR_PNG = "monitor.png"
ROLLING = 30  # origins in the rolling error and coverage
START, END = "<!-- since-training -->", "<!-- /since-training -->"


def first_series(joined: pd.DataFrame) -> pd.DataFrame:
    """The realised rows of the first series (all rows for a single series)."""
    if "series" not in joined.columns or joined["series"].isna().all():
        return joined
    return joined[joined["series"] == joined["series"].iloc[0]]


def alert_times(alerts: list, rows: pd.DataFrame) -> list:
    """The times (``at``) of the alerts about the series ``rows`` shows, as its time values."""
    shown = rows["series"].iloc[0] if "series" in rows.columns and len(rows) else None
    shown = None if pd.isna(shown) else shown
    times = []
    for alert in alerts:
        if alert.get("series") != shown or alert.get("at") is None:
            continue
        at = alert["at"]
        times.append(pd.Timestamp(at) if isinstance(at, str) else at)
    return times


def monitor_figure(joined: pd.DataFrame, target: str, alerts: list | None = None):
    """Three panels over the origins since training, step 1: the forecast with its 80 % band
    against the actual; the rolling RMSE of the model and of persistence; the rolling coverage of
    the 80 % band; a red dotted line at each alert (monitor.json ``alerts``). Returns the
    Figure."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows = first_series(joined)
    one = rows[rows["step"] == 1].sort_values("timestamp")
    fig, axes = plt.subplots(3, 1, figsize=(10, 8), sharex=True)
    t = one["timestamp"]
    ax = axes[0]
    if {"lower_80", "upper_80"} <= set(one.columns):
        ax.fill_between(t, one["lower_80"], one["upper_80"], alpha=0.25, label="80% interval")
    ax.plot(t, one["actual"], color="black", lw=1.2, label="actual")
    ax.plot(t, one["predicted"], color="tab:blue", lw=1.2, label="model, 1 step ahead")
    ax.plot(t, one["persistence"], color="tab:gray", lw=1, ls="--", label="persistence")
    ax.set_ylabel(target)
    ax.legend(loc="upper left", fontsize=8)
    ax.set_title("forecasts since training against what happened (step 1)")
    err = (one["actual"] - one["predicted"]).to_numpy()
    per = (one["actual"] - one["persistence"]).to_numpy()
    roll = lambda x: pd.Series(x**2).rolling(ROLLING, min_periods=1).mean() ** 0.5  # noqa: E731
    axes[1].plot(t, roll(err), color="tab:blue", label="model")
    axes[1].plot(t, roll(per), color="tab:gray", ls="--", label="persistence")
    axes[1].set_ylabel(f"RMSE, last {ROLLING}")
    axes[1].legend(loc="upper left", fontsize=8)
    if {"lower_80", "upper_80"} <= set(one.columns):
        inside = (one["actual"] >= one["lower_80"]) & (one["actual"] <= one["upper_80"])
        axes[2].plot(t, inside.astype(float).rolling(ROLLING, min_periods=1).mean(), lw=1.2)
    axes[2].axhline(0.8, color="tab:green", ls=":", label="nominal 80%")
    axes[2].set_ylim(0, 1.05)
    axes[2].set_ylabel(f"coverage, last {ROLLING}")
    for k, at in enumerate(alert_times(alerts or [], rows)):
        for ax in axes:
            ax.axvline(at, color="tab:red", ls=":", lw=1.2, label="alert" if k == 0 else None)
    axes[2].legend(loc="lower left", fontsize=8)
    if isinstance(t.iloc[0] if len(t) else None, pd.Timestamp):
        import matplotlib.dates as mdates

        locator = mdates.AutoDateLocator()
        axes[2].xaxis.set_major_locator(locator)
        axes[2].xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator))
    fig.tight_layout()
    return fig


def png_bytes(fig) -> bytes:
    import matplotlib.pyplot as plt

    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=90)
    plt.close(fig)
    return buffer.getvalue()


def scores_table(realised: dict) -> str:
    """The realised scores (overall) as a table: forecaster, RMSE, MAE."""
    realised = realised if isinstance(realised, dict) else {}
    rows = [
        [name, number(s.get("rmse")), number(s.get("mae"))]
        for name, s in realised.items()
        if isinstance(s, dict) and "rmse" in s and name != "per_series"
    ]
    if not rows or not realised.get("n"):
        return '<p class="note">no forecast has come true yet</p>'
    cov = [
        f"{k[-2:]}% interval coverage {number(realised.get(k), '.1%')}"
        for k in ("coverage_80", "coverage_95")
    ]
    facts = (
        f"{realised.get('n_origins')} origin(s), {realised.get('n')} forecast(s) come true; "
        f"skill vs persistence {number(realised.get('skill_vs_persistence'), '+.1%')}; "
    )
    note = f'<p class="note">{esc(facts + "; ".join(cov))}</p>'
    return table(["forecaster", "RMSE", "MAE"], rows) + note


def realised_line(realised: dict) -> str | None:
    """One line on the forecasts that came true: the model's RMSE beside persistence's and the
    linear baseline's, the coverage, and whether the model beats persistence; ``None`` before
    any came true."""
    if not isinstance(realised, dict) or not realised.get("n"):
        return None
    model = realised.get("model", {}).get("rmse")
    pers = realised.get("persistence", {}).get("rmse")
    parts = [f"model RMSE {number(model)}", f"persistence {number(pers)}"]
    for name in ("linear", "combined"):
        if isinstance(realised.get(name), dict):
            parts.append(f"{name} {number(realised[name].get('rmse'))}")
    beats = model is not None and pers is not None and model < pers
    verdict = "beats persistence" if beats else "does NOT beat persistence"
    return (
        f"since training ({realised.get('n_origins')} origin(s), {realised.get('n')} forecasts "
        f"come true): {', '.join(parts)}; the model {verdict}; 80% interval coverage "
        f"{number(realised.get('coverage_80'), '.1%')}"
    )


def section(monitor: dict, png: bytes | None) -> str:
    """The "since training" section's HTML, between markers so the next update replaces it."""
    alerts = monitor.get("alerts", [])
    alert_html = (
        "".join(
            f'<p class="note warn">{esc(a.get("raised_at", ""))}: {esc(a.get("message"))}</p>'
            for a in alerts
        )
        or '<p class="note">no alerts</p>'
    )
    facts = (
        f"updated {monitor.get('updated_at')}, {monitor.get('n_updates')} update(s); data through "
        f"{', '.join(f'{v}' for v in list(monitor.get('observed_through', {}).values())[:3])}; "
        f"forecasting with model version {monitor.get('model_version')}"
    )
    line = realised_line(monitor.get("realised", {}))
    good = line is not None and "does NOT" not in line
    body = [
        f'<p class="meta">{esc(facts)}</p>',
        f'<p class="verdict {"good" if good else "bad"}">{esc(line)}</p>' if line else "",
        scores_table(monitor.get("realised", {})),
        "<h3>alerts</h3>",
        alert_html,
    ]
    if png is not None:
        body.append(image(MONITOR_PNG, png, "forecasts since training, rolling error and coverage"))
    return f"{START}<section><h2>since training</h2>{''.join(body)}</section>{END}"


def with_section(page: str, html_section: str) -> str:
    """``page`` with its "since training" section replaced (or added before ``</body>``)."""
    page = re.sub(re.escape(START) + ".*?" + re.escape(END), "", page, flags=re.S)
    return page.replace("</body>", html_section + "\n</body>", 1)


def write_monitor_report(run_dir: Path, monitor: dict, joined: pd.DataFrame, prep) -> None:
    """monitor.png and report.html's "since training" section in ``run_dir`` (files replaced,
    not rewritten in place)."""
    png = None
    if not joined.empty:
        png = png_bytes(monitor_figure(joined, prep.target, monitor.get("alerts", [])))
        replace_bytes(Path(run_dir) / MONITOR_PNG, png)
    report = Path(run_dir) / REPORT_FILE
    page = report.read_text() if report.is_file() else "<html><body></body></html>"
    replace_bytes(report, with_section(page, section(monitor, png)).encode())


def replace_bytes(path: Path, data: bytes) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)
