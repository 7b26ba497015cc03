"""The verdict: which forecaster to use, judged on the test windows, and why.

A decision, not a sentence. ``decide`` (a fit's metrics.json) and ``decide_compare`` (a
comparison's rows) return a ``Verdict``: the forecaster chosen (the model, its combination with
the linear baseline, or a baseline), the score it was judged on, the runner-up, the
Diebold–Mariano evidence and the reasons, as data. The terminal, report.html and the Python API
only render it (``forecast.reporting.verdict_text``); metrics.json and comparison.json store it
(``Verdict.to_dict``).

The rule: the lowest test RMSE wins, models and baselines alike (a combination counts only with a
weight strictly between 0 and 1: otherwise it is the model or the linear baseline itself). For a
``--series`` run the lowest **mean MASE** wins instead (each series' MAE over its in-sample
seasonal-naive error, averaged over the series, M4's scale-free headline: metrics.json
``headline``): a pooled RMSE in the target's units is decided by the series with the largest
values. The DM tests do not change the choice; they qualify it ("not significantly better than
..."), on the pooled errors as before.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field, replace

from forecast.evaluation.combination import label as combined_label

ALPHA = 0.05  # significance level of "not significant" / "not significantly better"

TRAINED_BASELINES = ("linear", "gbm")  # the baselines fit on the windows: "use it"

# ties go to the simpler forecaster: a baseline, then a model, then a combination
SIMPLER = {"baseline": 0, "model": 1, "combination": 2}


@dataclass(frozen=True)
class Verdict:
    """Which forecaster to use and why.

    Attributes:
        choice: the forecaster to use, by its row name (``gru``, ``gru+linear(w=0.62)``,
            ``linear``, ``persistence``, ``seasonal_naive(7)``).
        kind: ``"model"``, ``"combination"`` or ``"baseline"``.
        metric: the score it was judged on (``"rmse"``).
        value: the choice's score.
        model: the model judged (a fit's model; a comparison's best architecture).
        model_value: the model's score.
        runner_up: the next best forecaster (``None`` when there is none).
        runner_up_value: its score.
        skill: the choice's skill against persistence (a fit's model or combination), else
            ``None``.
        weight: the model's weight in a combination (``None`` otherwise).
        evidence: Diebold–Mariano p-values by ``"A vs B"`` (``None``: the test exists but is
            undefined); a comparison the tests did not make is absent.
        dm_stats: a fit's DM statistics by the same keys (< 0 favours A).
        ties: a comparison's rows not significantly different from the choice.
        series: a ``--series`` fit: ``(series the model beats persistence on, of those
            significantly, series)``.
        hint: a fit's thin-evidence hint (metrics.json ``verdict_hint``).
        reasons: why, one sentence each.
        scale: a ``--series`` fit: what each series' MASE is scaled by (``"seasonal naive,
            m=12, training rows"``), else ``None``.
        pooled_rmse: a ``--series`` fit: every candidate's pooled RMSE in the target's units
            (what would have decided without the headline), else empty.
    """

    choice: str
    kind: str
    metric: str
    value: float
    model: str
    model_value: float
    runner_up: str | None = None
    runner_up_value: float | None = None
    skill: float | None = None
    weight: float | None = None
    evidence: dict[str, float | None] = field(default_factory=dict)
    dm_stats: dict[str, float | None] = field(default_factory=dict)
    ties: tuple[str, ...] = ()
    series: tuple[int, int, int] | None = None
    hint: str | None = None
    reasons: tuple[str, ...] = ()
    scale: str | None = None
    pooled_rmse: dict[str, float] = field(default_factory=dict)

    def p(self, a: str, b: str) -> float | None:
        """The DM p-value of ``a`` against ``b`` (``None``: not tested or undefined)."""
        return self.evidence.get(f"{a} vs {b}")

    def tested(self, a: str, b: str) -> bool:
        return f"{a} vs {b}" in self.evidence

    def to_dict(self) -> dict:
        """The JSON form (metrics.json / comparison.json ``verdict``)."""
        out = asdict(self)
        out["ties"] = list(self.ties)
        out["series"] = (
            None
            if self.series is None
            else dict(zip(("won", "significantly", "of"), self.series, strict=True))
        )
        out["reasons"] = list(self.reasons)
        return out


def significant(p: float | None, alpha: float = ALPHA) -> bool:
    return p is not None and p < alpha


def combination_label(metrics: dict) -> str:
    """``gru+linear(w=0.62)``: the combination's row name in a fit."""
    return combined_label(metrics["model"], metrics["combination"]["weight"])


def baseline_name(name: str, scores: dict) -> str:
    """``seasonal_naive`` → ``seasonal_naive(7)``: a baseline's row name."""
    return f"{name}({scores['season']})" if "season" in scores else name


def headline_metric(metrics: dict) -> str:
    """What decides a fit: ``"mean_mase"`` for a ``--series`` run that has it (metrics.json
    ``headline``; NaN when no series has a positive scale), else ``"rmse"``."""
    metric = (metrics.get("headline") or {}).get("metric")
    value = metrics.get(metric) if metric else None
    return metric if isinstance(value, int | float) and math.isfinite(value) else "rmse"


def candidates(metrics: dict, metric: str = "rmse") -> dict[str, float]:
    """``metric`` of the model, its combination with the linear baseline and every baseline of a
    fit, by row name."""
    out = {metrics["model"]: metrics[metric]}
    combo = metrics.get("combination")
    if combo and 0 < combo["weight"] < 1 and metric in combo:
        # (a weight of 0 or 1 is the linear baseline or the model itself, not a forecaster)
        out[combination_label(metrics)] = combo[metric]
    for name, scores in metrics["baselines"].items():
        if name != metrics["model"]:  # --model linear: the linear baseline is the model itself
            out[baseline_name(name, scores)] = scores[metric]
    return out


def series_p(scores: dict) -> float | None:
    """The DM p-value of one ``per_series`` entry against persistence (``None`` for runs saved
    before it was recorded)."""
    return scores.get("significance", {}).get("vs_persistence", {}).get("p_value")


def series_wins(metrics: dict) -> tuple[int, int, int] | None:
    """``(series where the model beats persistence, of those significantly at 5 %, series)``
    of a ``--series`` run; ``None`` for a single series."""
    per = metrics.get("per_series")
    if not per:
        return None
    won = [s for s in per.values() if s["skill_vs_persistence"] > 0]
    return len(won), sum(significant(series_p(s)) for s in won), len(per)


def fit_tests(metrics: dict, choice: str, kind: str) -> dict[str, dict]:
    """The DM tests that bear on a fit's choice (``{dm_stat, p_value}``), by ``"A vs B"``."""
    model = metrics["model"]
    if kind == "combination":
        sig = metrics["combination"]["significance"]
        return {
            f"{choice} vs {'linear' if k == 'vs_linear' else model}": t
            for k, t in sig.items()
            if k in ("vs_linear", "vs_model") and t
        }
    sig = metrics.get("significance") or {}
    return {f"{model} vs {k.removeprefix('vs_')}": t for k, t in sig.items() if t}


def decide(metrics: dict) -> Verdict:
    """The verdict of a fit (or evaluate): the lowest test RMSE among the model, its combination
    and every baseline; for a ``--series`` run also on how many series the model beats
    persistence; the thin-evidence hint of metrics.json ``verdict_hint``.

    Args:
        metrics: metrics.json (``model``, ``rmse``, ``baselines``, optionally ``combination``,
            ``significance``, ``skill_vs_persistence``, ``per_series``, ``verdict_hint``).
    """
    model, metric = metrics["model"], headline_metric(metrics)
    scores = candidates(metrics, metric)
    ranked = sorted(scores, key=scores.get)
    choice = ranked[0]
    kind = "model" if choice == model else "baseline"
    skill = None
    if choice == model:
        skill = metrics.get("skill_vs_persistence")
    elif "combination" in metrics and choice == combination_label(metrics):
        kind, skill = "combination", metrics["combination"]["skill_vs_persistence"]
    runner = ranked[1] if len(ranked) > 1 else None
    tests = fit_tests(metrics, choice, kind)
    verdict = Verdict(
        choice=choice,
        kind=kind,
        metric=metric,
        value=scores[choice],
        model=model,
        model_value=metrics[metric],
        runner_up=runner,
        runner_up_value=None if runner is None else scores[runner],
        skill=skill,
        weight=metrics["combination"]["weight"] if kind == "combination" else None,
        evidence={pair: t.get("p_value") for pair, t in tests.items()},
        dm_stats={pair: t.get("dm_stat") for pair, t in tests.items()},
        series=series_wins(metrics),
        hint=metrics.get("verdict_hint"),
        scale=metrics["headline"]["scale"] if metric != "rmse" else None,
        pooled_rmse=candidates(metrics) if metric != "rmse" else {},
    )
    return with_reasons(verdict, len(scores))


def with_reasons(v: Verdict, n: int) -> Verdict:
    """``v`` with its reasons: what decided, what the DM tests say, the series won, the hint."""
    reasons = [f"lowest {metric_text(v)} of {n} forecasters: {v.choice} {v.value:.4g}"]
    if v.runner_up is not None:
        reasons[0] += f", next {v.runner_up} {v.runner_up_value:.4g}"
    if v.pooled_rmse:
        by_rmse = min(v.pooled_rmse, key=v.pooled_rmse.get)
        reasons.append(
            "the pooled RMSE in the target's units agrees"
            if by_rmse == v.choice
            else f"the pooled RMSE in the target's units would choose {by_rmse} "
            f"({v.pooled_rmse[by_rmse]:.4g} vs {v.choice} {v.pooled_rmse[v.choice]:.4g}): it "
            "weighs the series by their units"
        )
        reasons.append("the DM tests compare the pooled squared errors of every series")
    for pair, p in v.evidence.items():
        sense = "n/a" if p is None else ("significant" if significant(p) else "not significant")
        better = favoured(v, pair)
        sense += " at 5 %" + (f"; favours {better}" if better and significant(p) else "")
        reasons.append(f"{pair}: DM p {'n/a' if p is None else format(p, '.3g')} ({sense})")
    if v.ties:
        reasons.append(f"not significantly different from {', '.join(v.ties)}")
    if v.series is not None:
        won, sig, of = v.series
        reasons.append(f"{v.model} beats persistence on {won} of {of} series ({sig} significantly)")
    if v.hint:
        reasons.append(v.hint)
    return replace(v, reasons=tuple(reasons))


def favoured(v: Verdict, pair: str) -> str | None:
    """The side of ``"A vs B"`` its DM statistic favours (``None`` without one)."""
    stat = v.dm_stats.get(pair)
    if stat is None or not math.isfinite(stat) or stat == 0:
        return None
    a, b = pair.split(" vs ", 1)
    return a if stat < 0 else b


def metric_text(v: Verdict) -> str:
    """``test RMSE`` / ``mean MASE over 5 series (seasonal naive, m=12, training rows)``."""
    if v.metric == "rmse":
        return "test RMSE"
    over = f" over {v.series[2]} series" if v.series else " over the series"
    return f"mean MASE{over}" + (f" ({v.scale})" if v.scale else "")


def best_row(rows: list[dict], metric: str = "rmse") -> dict:
    """The row with the lowest ``metric`` (ties to the simpler kind: baseline, model,
    combination)."""
    return min(rows, key=lambda r: (r[metric], SIMPLER.get(r["kind"], 1)))


def rows_metric(rows: list[dict]) -> str:
    """What decides a comparison: ``"mean_mase"`` when every row has a finite one (a
    ``--series`` comparison), else ``"rmse"``."""
    values = [r.get("mean_mase") for r in rows]
    finite = all(isinstance(x, int | float) and math.isfinite(x) for x in values)
    return "mean_mase" if rows and finite else "rmse"


def decide_compare(rows: list[dict], alpha: float = ALPHA) -> Verdict:
    """The verdict of a comparison: the row with the lowest RMSE (a ``--series`` comparison: mean
    MASE) among the models, their combinations AND the baselines, and the rows not significantly
    different from it.

    Args:
        rows: comparison rows (``model``, ``kind`` "model" / "combination" / "baseline",
            ``rmse``, optionally ``mean_mase``, ``dm_p_vs_best`` and a combination's ``weight``).
        alpha: significance level for "not significantly different".
    """
    metric = rows_metric(rows)
    winner = best_row(rows, metric)
    models = sorted((r for r in rows if r["kind"] == "model"), key=lambda r: r[metric])
    others = sorted((r for r in rows if r is not winner), key=lambda r: r[metric])
    best_model = models[0] if models else winner
    near = tuple(
        r["model"]
        for r in rows
        if r is not winner and r.get("dm_p_vs_best") is not None and r["dm_p_vs_best"] >= alpha
    )
    evidence = {
        f"{r['model']} vs {winner['model']}": r["dm_p_vs_best"]
        for r in rows
        if r is not winner and "dm_p_vs_best" in r
    }
    verdict = Verdict(
        choice=winner["model"],
        kind=winner["kind"],
        metric=metric,
        value=winner[metric],
        model=best_model["model"],
        model_value=best_model[metric],
        runner_up=others[0]["model"] if others else None,
        runner_up_value=others[0][metric] if others else None,
        weight=winner.get("weight") if winner["kind"] == "combination" else None,
        evidence=evidence,
        ties=near,
        pooled_rmse={r["model"]: r["rmse"] for r in rows} if metric != "rmse" else {},
    )
    return with_reasons(verdict, len(rows))
