"""The verdict names the true winner among models and baselines; warnings concern models only."""

import numpy as np

from forecast.config import FitOptions
from forecast.evaluation.comparison import ALPHA, add_significance
from forecast.reporting.tables import NEAR_BEST, marks
from forecast.reporting.terminal import (
    compare_verdict,
    compare_warnings,
    diagnostics_lines,
    fit_verdict,
    significance_line,
)


def fit_metrics(model_rmse, linear_rmse, persistence_rmse=4.0, p_linear=0.02):
    return {
        "model": "gru",
        "rmse": model_rmse,
        "skill_vs_persistence": 1 - model_rmse / persistence_rmse,
        "baselines": {
            "persistence": {"rmse": persistence_rmse},
            "seasonal_naive": {"rmse": 5.0, "season": 7},
            "linear": {"rmse": linear_rmse},
        },
        "significance": {
            "vs_persistence": {"dm_stat": -3.0, "p_value": 0.0004},
            "vs_linear": {"dm_stat": 2.3, "p_value": p_linear},
        },
    }


def test_fit_verdict_names_the_linear_baseline_when_it_wins():
    line = fit_verdict(fit_metrics(3.8, 3.557))
    assert line == "verdict: the linear baseline beats gru (RMSE 3.557 vs 3.8, DM p=0.02); use it"
    line = fit_verdict(fit_metrics(3.8, 3.557, p_linear=0.447))
    assert line.endswith("(RMSE 3.557 vs 3.8, DM p=0.447, not significant); use it")


def test_fit_verdict_names_the_model_and_flags_a_non_significant_lead():
    line = fit_verdict(fit_metrics(3.5, 3.6, p_linear=0.3))
    assert line.startswith("verdict: gru is the best forecaster here (RMSE 3.5, skill +12.5%")
    assert "next best linear 3.6" in line and "vs persistence DM p<0.001" in line
    assert line.endswith("not significantly better than the linear baseline")
    assert not fit_verdict(fit_metrics(3.5, 3.6, p_linear=0.01)).endswith("linear baseline")


def test_fit_verdict_names_the_gbm_baseline_when_it_wins():
    m = fit_metrics(3.8, 3.7)
    m["baselines"]["gbm"] = {"rmse": 3.5}
    m["significance"]["vs_gbm"] = {"dm_stat": 2.9, "p_value": 0.004}
    line = fit_verdict(m)
    assert line == "verdict: the gbm baseline beats gru (RMSE 3.5 vs 3.8, DM p=0.004); use it"
    m["rmse"], m["baselines"]["gbm"]["rmse"] = 3.4, 3.9
    assert "vs gbm DM p=0.004" in fit_verdict(m)
    rows = [row("gru", 3.8), row("linear", 3.7, "baseline"), row("gbm", 3.5, "baseline")]
    assert compare_verdict(rows).startswith("verdict: the gbm baseline beats every recurrent")


def test_fit_verdict_names_persistence_when_it_wins():
    line = fit_verdict(fit_metrics(4.5, 4.2, persistence_rmse=4.0))
    assert line == (
        "verdict: persistence beats gru and every other forecaster (RMSE 4 vs 4.5, DM p<0.001); "
        "use the naive forecast"
    )


def test_significance_and_diagnostics_lines():
    m = fit_metrics(3.5, 3.6)
    assert "vs persistence: DM -3.00, p<0.001; vs linear: DM +2.30, p=0.02" in significance_line(m)
    m["diagnostics"] = {"best_lag": 1, "directional_accuracy": 0.5, "corr_with_persistence": 0.99}
    lines = diagnostics_lines(m)
    assert lines[-1].startswith("WARNING: the forecast mostly repeats the last value")
    m["diagnostics"]["corr_with_persistence"] = 0.8
    assert len(diagnostics_lines(m)) == 1


def row(model, rmse, kind="model", loses=False):
    return {"model": model, "kind": kind, "rmse": rmse, "loses_to_persistence": loses,
            "best": False}  # fmt: skip


def rows_with_losses(linear_scale):
    rng = np.random.default_rng(0)
    n = 200
    base = rng.gamma(2.0, size=n)
    losses = {
        "gru": base * 1.00,
        "rnn": base * 1.00 + rng.normal(scale=0.02, size=n),  # indistinguishable from gru
        "persistence": base * 1.6,
        "seasonal_naive": base * 2.0,
        "linear": base * linear_scale,
    }
    rows = [
        row("gru", float(np.sqrt(losses["gru"].mean()))),
        row("rnn", float(np.sqrt(losses["rnn"].mean()))),
        row("persistence", float(np.sqrt(losses["persistence"].mean())), "baseline"),
        row("seasonal_naive(7)", float(np.sqrt(losses["seasonal_naive"].mean())), "baseline",
            loses=True),
        row("linear", float(np.sqrt(losses["linear"].mean())), "baseline"),
    ]  # fmt: skip
    min(rows, key=lambda r: r["rmse"])["best"] = True
    add_significance(rows, losses, FitOptions(horizon=3))
    return {r["model"]: r for r in rows}


def test_compare_marks_near_best_and_names_linear_when_it_wins():
    rows = rows_with_losses(linear_scale=0.7)
    assert rows["linear"]["best"] and rows["linear"]["dm_p_vs_best"] == 1.0
    assert rows["gru"]["dm_p_vs_best"] < ALPHA and not rows["gru"]["near_best"]
    assert rows["persistence"]["dm_p_vs_persistence"] == 1.0
    line = compare_verdict(list(rows.values()))
    assert line.startswith("verdict: the linear baseline beats every recurrent model (RMSE")
    assert line.endswith("DM p<0.001); use it")


def test_compare_verdict_reports_ties_and_warnings_skip_baselines():
    rows = rows_with_losses(linear_scale=1.3)
    best = next(r for r in rows.values() if r["best"])
    other = "rnn" if best["model"] == "gru" else "gru"
    assert rows[other]["near_best"] and marks(rows[other]) == NEAR_BEST
    line = compare_verdict(list(rows.values()))
    assert line.startswith(f"verdict: {best['model']} is the best forecaster")
    assert line.endswith(f"not significantly better than {other} (DM p >= 0.05)")
    assert compare_warnings(list(rows.values())) == []  # seasonal_naive is a baseline
    rows["rnn"]["loses_to_persistence"] = True
    assert compare_warnings(list(rows.values())) == ["WARNING: rnn does NOT beat persistence"]


def test_compare_verdict_names_persistence():
    rows = [row("gru", 2.0), row("persistence", 1.0, "baseline"), row("linear", 1.5, "baseline")]
    rows[1]["best"] = True
    assert compare_verdict(rows).startswith("verdict: persistence beats every model (RMSE 1 vs")


def test_missing_significance_is_not_an_error():
    m = fit_metrics(3.8, 3.557)
    m["significance"] = {}
    assert fit_verdict(m).endswith("DM p=n/a); use it")
    assert significance_line(m) == ""
