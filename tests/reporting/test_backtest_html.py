"""report.html of ``forecast backtest``: built from a small synthetic backtest.json, checked by
parsing (numbers of the result, K fold columns, best per fold, the red flag of a model that loses
to persistence) and, where Chromium is installed, rendered."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from forecast.reporting import backtest_html as bh
from forecast.reporting.backtest_plots import backtest_verdict, plot_backtest
from tests.reporting.test_html import Page, check_rendered, check_self_contained, tiny_png


def fold(k: int, rmse: float, persistence: float, linear: float, coverage: float) -> dict:
    return {
        "fold": k,
        "train_end": f"2020-0{k}-01 00:00:00",
        "test_start": f"2020-0{k}-15 00:00:00",
        "test_end": f"2020-0{k}-28 00:00:00",
        "n_windows": 10 + k,
        "rmse": rmse,
        "mae": rmse * 0.8,
        "baselines": {
            "persistence": {"rmse": persistence, "mae": persistence * 0.8},
            "seasonal_naive": {"rmse": 9.0, "mae": 7.0},
            "linear": {"rmse": linear, "mae": linear * 0.8},
        },
        "coverage_80": coverage,
        "trained": True,
    }


def backtest_result(rmse: list[float], persistence: list[float], linear: list[float]) -> dict:
    """backtest.json of a gru backtest with these RMSEs per fold (summary as ``summarise``)."""
    folds = [
        fold(k + 1, *scores, coverage=0.7 + 0.05 * k)
        for k, scores in enumerate(zip(rmse, persistence, linear, strict=True))
    ]
    n = len(folds)
    wins_p = sum(a < b for a, b in zip(rmse, persistence, strict=True))
    wins_l = sum(a < b for a, b in zip(rmse, linear, strict=True))
    return {
        "model": "gru",
        "refit": "every",
        "fold_size": 14,
        "window": 30,
        "horizon": 3,
        "folds": folds,
        "summary": {
            "rmse_mean": sum(rmse) / n,
            "rmse_sd": 0.123,
            "baselines_rmse_mean": {"persistence": sum(persistence) / n, "linear": sum(linear) / n},
            "wins_vs_persistence": f"{wins_p} of {n}",
            "wins_vs_linear": f"{wins_l} of {n}",
            "significance": {
                "vs_persistence": {"dm_stat": -2.5, "p_value": 0.0123},
                "vs_linear": {"dm_stat": 0.75, "p_value": 0.4567},
            },
        },
    }


WINNER = backtest_result([1.234, 1.111, 1.5, 1.4], [2.0, 2.1, 2.2, 2.3], [1.3, 1.2, 1.6, 1.45])
LOSER = backtest_result([2.5, 1.9, 2.7], [2.0, 2.1, 2.2], [1.8, 1.7, 1.9])


def test_page_holds_the_results_numbers_and_k_fold_columns():
    text = bh.backtest_page(WINNER, {"backtest.png": tiny_png()}, ["gaps filled: 2 rows"])
    page = Page(text)
    assert page.title == (
        "forecast backtest: gru, refit every, 4 folds of 14 rows, window 30, horizon 3"
    )
    assert page.verdict == backtest_verdict(WINNER)
    rmse, against, folds = page.tables
    assert rmse[0] == ["forecaster", "fold 1", "fold 2", "fold 3", "fold 4", "mean ± sd"]
    assert [row[0] for row in rmse[1:]] == ["gru", "persistence", "seasonal_naive", "linear"]
    assert rmse[1][1:5] == ["1.234 *", "1.111 *", "1.5 *", "1.4 *"]  # the lowest of each fold
    assert rmse[1][5].startswith("1.311 ± ")
    assert against[1] == ["persistence", "4 of 4", "2.15", "-2.50", "0.0123"]
    assert against[2] == ["linear", "4 of 4", "1.387", "+0.75", "0.457"]
    assert folds[0][:5] == [
        "fold",
        "test period",
        "trained up to",
        "test windows",
        "80 % interval coverage",
    ]
    assert [row[0] for row in folds[1:]] == ["1", "2", "3", "4"]  # one row per fold
    assert folds[1][1:3] == ["2020-01-15 – 2020-01-28", "2020-01-01"]
    assert [row[3] for row in folds[1:]] == ["11", "12", "13", "14"]
    assert [row[4] for row in folds[1:]] == ["70%", "75%", "80%", "85%"]
    assert "gaps filled: 2 rows" in text and "WARNING" not in text
    assert 'class="verdict good"' in text
    assert [i["alt"] for i in page.images] == ["backtest.png"]
    check_self_contained(page)


def test_a_model_losing_to_persistence_is_flagged_red():
    text = bh.backtest_page(LOSER, {}, [])
    page = Page(text)
    assert 'class="verdict bad"' in text and 'class="verdict good"' not in text
    assert "WARNING: gru does NOT beat persistence on 2 of 3 folds" in text
    assert '<p class="note warn">WARNING' in text
    assert text.count('class="lose"') == 2  # folds 1 and 3; fold 2 (1.9 < 2.1) is not red
    rmse = page.tables[0]
    assert rmse[4][1:4] == ["1.8 *", "1.7 *", "1.9 *"]  # linear is best on every fold
    assert page.images == []


def test_lowest_mean_is_needed_for_a_green_banner():
    # beats persistence on every fold, but linear is lower on average: not green
    result = backtest_result([1.5, 1.5, 1.5], [2.0, 2.0, 2.0], [1.4, 1.6, 1.3])
    assert not bh.is_good(result)
    assert bh.is_good(backtest_result([1.2, 1.5, 1.2], [2.0, 2.0, 2.0], [1.4, 1.6, 1.3]))


def test_title_names_the_data_and_a_part_of_the_folds():
    part = {**LOSER, "csv": "/data/<w>.csv", "folds_total": 5}
    page = Page(bh.backtest_page(part, {}, []))
    assert page.title == (
        "forecast backtest: gru on <w>.csv, refit every, 3 of 5 folds of 14 rows, window 30, "
        "horizon 3"
    )


def test_text_is_escaped():
    result = {**WINNER, "model": "<b>gru</b>"}
    text = bh.backtest_page(result, {}, ["<script>x</script>"])
    assert "<script>" not in text and "<b>gru</b>" not in text
    assert "&lt;script&gt;x&lt;/script&gt;" in text


@pytest.mark.parametrize(
    "stamp, shown", [("2020-01-15 00:00:00", "2020-01-15"), ("2020-01-15 06:00:00", None)]
)
def test_midnight_is_dropped_from_fold_dates(stamp, shown):
    assert bh.when(stamp) == (shown or stamp)


def test_write_backtest_report_embeds_the_plot(tmp_path):
    index = pd.date_range("2019-11-01", "2020-04-01", freq="D")
    target = np.sin(np.arange(len(index)) / 5.0)
    plot_backtest(tmp_path / "backtest.png", index, target, LOSER)
    path = bh.write_backtest_report(tmp_path, LOSER, ["a note"])
    assert path == tmp_path / "report.html"
    page = Page(path.read_text(encoding="utf-8"))
    assert [i["alt"] for i in page.images] == ["backtest.png"]
    assert len(page.tables[0][0]) == 1 + 3 + 1  # forecaster, K folds, mean ± sd
    check_self_contained(page)
    check_rendered(path, tmp_path)
