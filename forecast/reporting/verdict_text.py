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


def render_fit(v: Verdict) -> str:
    """A fit's verdict: the winner with its score and DM tests; for a ``--series`` run also on
    how many series the model beats persistence (a pooled win can come from one series with
    large values); the thin-evidence hint last."""
    text = fit_sentence(v)
    if v.series is not None:
        won, significantly, n = v.series
        text += (
            f"; pooled over {n} series: per series {v.model} beats persistence on "
            f"{won} of {n} ({significantly} significantly), see the per-series table"
        )
    return f"{text}; {v.hint}" if v.hint else text


def tie(v: Verdict, a: str, b: str) -> str:
    """``", not significant"`` when ``a`` was tested against ``b`` and the test does not reject
    at 5 %."""
    return ", not significant" if v.tested(a, b) and not significant(v.p(a, b)) else ""


def fit_sentence(v: Verdict) -> str:
    """``render_fit`` without the per-series part and the hint."""
    model = v.model
    if v.kind == "model":
        text = (
            f"verdict: {model} is the best forecaster here (RMSE {v.value:.4g}, skill "
            f"{v.skill:+.1%} vs persistence; next best {v.runner_up} {v.runner_up_value:.4g})"
        )
        if model != "linear":
            text += (
                f"; vs linear DM {p_text(v.p(model, 'linear'))}, vs persistence DM "
                f"{p_text(v.p(model, 'persistence'))}"
            )
            if v.tested(model, "gbm"):
                text += f", vs gbm DM {p_text(v.p(model, 'gbm'))}"
            if not significant(v.p(model, "linear")):
                text += ": not significantly better than the linear baseline"
        return text
    if v.kind == "combination":
        return combination_sentence(v)
    if v.choice in TRAINED_BASELINES:
        return (
            f"verdict: the {v.choice} baseline beats {model} (RMSE {v.value:.4g} vs "
            f"{v.model_value:.4g}, DM {p_text(v.p(model, v.choice))}{tie(v, model, v.choice)}); "
            "use it"
        )
    p = ""
    if v.choice == "persistence":
        p = f", DM {p_text(v.p(model, 'persistence'))}{tie(v, model, 'persistence')}"
    return (
        f"verdict: {v.choice} beats {model} and every other forecaster (RMSE {v.value:.4g} "
        f"vs {v.model_value:.4g}{p}); use the naive forecast"
    )


def combination_sentence(v: Verdict) -> str:
    """The verdict when ``w·model + (1 − w)·linear`` wins."""
    w, model = v.weight, v.model
    text = (
        f"verdict: the combination {w:.2f}·{model} + {1 - w:.2f}·linear (weight fit on "
        f"validation) is the best forecaster here (RMSE {v.value:.4g}, skill "
        f"{v.skill:+.1%} vs persistence; next best {v.runner_up} {v.runner_up_value:.4g}); "
        f"vs linear DM {p_text(v.p(v.choice, 'linear'))}, vs {model} DM "
        f"{p_text(v.p(v.choice, model))}"
    )
    if not significant(v.p(v.choice, "linear")):
        text += ": not significantly better than the linear baseline"
    return text + "; `forecast predict` writes it as the `combined` column"


def render_compare(v: Verdict, alpha: float = ALPHA) -> str:
    """A comparison's verdict: the best row among models and baselines, the rows it does not
    significantly beat; when a baseline wins, against the best architecture."""
    ties = f"; not significantly better than {', '.join(v.ties)} (DM p >= {alpha:g})"
    ties = ties if v.ties else ""
    if v.kind == "model":
        return f"verdict: {v.choice} is the best forecaster (RMSE {v.value:.4g}){ties}"
    if v.kind == "combination":
        return (
            f"verdict: {v.choice} (the model averaged with the linear baseline, weight "
            f"{v.weight:.2f} fit on validation) is the best forecaster (RMSE "
            f"{v.value:.4g}){ties}"
        )
    p_value = v.p(v.model, v.choice)
    p = p_text(p_value) + (", not significant" if p_value is not None and p_value >= alpha else "")
    against = f"(RMSE {v.value:.4g} vs {v.model} {v.model_value:.4g}, DM {p})"
    if v.choice in TRAINED_BASELINES:
        return f"verdict: the {v.choice} baseline beats every recurrent model {against}; use it"
    return f"verdict: {v.choice} beats every model {against}; use the naive forecast"
