"""The verdict line that ``fit``, ``evaluate`` and ``compare`` end with (and report.html's
banner, ``Run.verdict``, ``Comparison.verdict``): a ``forecast.evaluation.verdict.Verdict``
rendered as one sentence. The decision itself is made in ``forecast.evaluation.verdict``."""

from __future__ import annotations

import math

from forecast.evaluation.verdict import (
    ALPHA,
    TRAINED_BASELINES,
    Verdict,
    decide,
    decide_compare,
    favoured,
    significant,
)


def p_text(p: float | None) -> str:
    """``p=0.012`` / ``p<0.001`` / ``p=n/a``."""
    if p is None or (isinstance(p, float) and math.isnan(p)):
        return "p=n/a"
    return "p<0.001" if p < 0.001 else f"p={p:.3g}"


def fit_verdict(metrics: dict) -> str:
    """The last line of ``fit`` (and ``evaluate``): ``decide(metrics)`` rendered."""
    return render_fit(decide(metrics))


def compare_verdict(rows: list[dict], alpha: float = ALPHA) -> str:
    """The last line of ``compare``: ``decide_compare(rows)`` rendered."""
    return render_compare(decide_compare(rows, alpha), alpha)


def measure(v: Verdict, x: float) -> str:
    """A score as the verdict prints it: ``RMSE 3.557`` or ``mean MASE 0.873``."""
    return f"RMSE {x:.4g}" if v.metric == "rmse" else f"mean MASE {x:.3f}"


def score(v: Verdict, x: float) -> str:
    return f"{x:.4g}" if v.metric == "rmse" else f"{x:.3f}"


def over(v: Verdict) -> str:
    """``" over 5 series"`` when the mean MASE decided a fit, else ``""``."""
    return f" over {v.series[2]} series" if v.metric != "rmse" and v.series else ""


def rmse_note(v: Verdict) -> str:
    """When the mean MASE decided and the pooled RMSE would have chosen another forecaster:
    which, and why it did not decide."""
    if not v.pooled_rmse:
        return ""
    by_rmse = min(v.pooled_rmse, key=v.pooled_rmse.get)
    if by_rmse == v.choice:
        return ""
    return (
        f"; the pooled RMSE in target units ranks {by_rmse} first ({v.pooled_rmse[by_rmse]:.4g} "
        f"vs {v.pooled_rmse[v.choice]:.4g}): it weighs the series by their units"
    )


def render_fit(v: Verdict) -> str:
    """A fit's verdict: the winner with its score and DM tests; for a ``--series`` run (decided
    by the mean MASE) what the pooled RMSE would have chosen and on how many series the model
    beats persistence; the thin-evidence hint last."""
    text = fit_sentence(v) + rmse_note(v)
    if v.series is not None:
        won, significantly, n = v.series
        text += (
            f"; per series {v.model} beats persistence on {won} of {n} ({significantly} "
            "significantly), see the per-series table"
            if v.metric != "rmse"
            else f"; pooled over {n} series: per series {v.model} beats persistence on "
            f"{won} of {n} ({significantly} significantly), see the per-series table"
        )
    return f"{text}; {v.hint}" if v.hint else text


def against(v: Verdict, a: str, b: str) -> str:
    """When the mean MASE decided and the DM test of ``a`` against ``b`` on the pooled squared
    errors significantly favours the side not chosen: ``", pooled errors favour linear"``."""
    better = favoured(v, f"{a} vs {b}")
    if v.metric == "rmse" or better in (None, v.choice) or not significant(v.p(a, b)):
        return ""
    return f", pooled errors favour {better}"


def tie(v: Verdict, a: str, b: str) -> str:
    """``", not significant"`` when ``a`` was tested against ``b`` and the test does not reject
    at 5 %."""
    return ", not significant" if v.tested(a, b) and not significant(v.p(a, b)) else ""


def leads(v: Verdict) -> str:
    """``RMSE 3.5, skill +12.5% vs persistence; next best linear 3.6`` (mean MASE: ``mean MASE
    0.873 over 5 series; next best linear 0.912``)."""
    skill = f", skill {v.skill:+.1%} vs persistence" if v.metric == "rmse" else over(v)
    return f"{measure(v, v.value)}{skill}; next best {v.runner_up} {score(v, v.runner_up_value)}"


def fit_sentence(v: Verdict) -> str:
    """``render_fit``'s first sentence: who wins, by how much, and the DM tests."""
    model = v.model
    if v.kind == "model":
        text = f"verdict: {model} is the best forecaster here ({leads(v)})"
        if model != "linear":
            text += (
                f"; vs linear DM {p_text(v.p(model, 'linear'))}{against(v, model, 'linear')}, vs "
                f"persistence DM {p_text(v.p(model, 'persistence'))}"
                f"{against(v, model, 'persistence')}"
            )
            if v.tested(model, "gbm"):
                text += f", vs gbm DM {p_text(v.p(model, 'gbm'))}{against(v, model, 'gbm')}"
            if not significant(v.p(model, "linear")):
                text += ": not significantly better than the linear baseline"
        return text
    if v.kind == "combination":
        return combination_sentence(v)
    versus = f"{measure(v, v.value)} vs {score(v, v.model_value)}{over(v)}"
    if v.choice in TRAINED_BASELINES:
        return (
            f"verdict: the {v.choice} baseline beats {model} ({versus}, DM "
            f"{p_text(v.p(model, v.choice))}{tie(v, model, v.choice)}"
            f"{against(v, model, v.choice)}); use it"
        )
    p = ""
    if v.choice == "persistence":
        p = f", DM {p_text(v.p(model, 'persistence'))}{tie(v, model, 'persistence')}"
        p += against(v, model, "persistence")
    return (
        f"verdict: {v.choice} beats {model} and every other forecaster ({versus}{p}); "
        "use the naive forecast"
    )


def combination_sentence(v: Verdict) -> str:
    """The verdict when ``w·model + (1 − w)·linear`` wins."""
    w, model = v.weight, v.model
    text = (
        f"verdict: the combination {w:.2f}·{model} + {1 - w:.2f}·linear (weight fit on "
        f"validation) is the best forecaster here ({leads(v)}); "
        f"vs linear DM {p_text(v.p(v.choice, 'linear'))}{against(v, v.choice, 'linear')}, "
        f"vs {model} DM {p_text(v.p(v.choice, model))}{against(v, v.choice, model)}"
    )
    if not significant(v.p(v.choice, "linear")):
        text += ": not significantly better than the linear baseline"
    return text + "; `forecast predict` writes it as the `combined` column"


def render_compare(v: Verdict, alpha: float = ALPHA) -> str:
    """A comparison's verdict: the best row among models and baselines (by RMSE; a ``--series``
    comparison by mean MASE), the rows it does not significantly beat; when a baseline wins,
    against the best architecture."""
    ties = f"; not significantly better than {', '.join(v.ties)} (DM p >= {alpha:g})"
    ties = (ties if v.ties else "") + rmse_note(v)
    if v.kind == "model":
        return f"verdict: {v.choice} is the best forecaster ({measure(v, v.value)}){ties}"
    if v.kind == "combination":
        return (
            f"verdict: {v.choice} (the model averaged with the linear baseline, weight "
            f"{v.weight:.2f} fit on validation) is the best forecaster "
            f"({measure(v, v.value)}){ties}"
        )
    p_value = v.p(v.model, v.choice)
    p = p_text(p_value) + (", not significant" if p_value is not None and p_value >= alpha else "")
    against = f"({measure(v, v.value)} vs {v.model} {score(v, v.model_value)}, DM {p})"
    if v.choice in TRAINED_BASELINES:
        return f"verdict: the {v.choice} baseline beats every recurrent model {against}; use it"
    return f"verdict: {v.choice} beats every model {against}; use the naive forecast"
