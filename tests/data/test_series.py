"""Many series in one long table (``--series COL``): windows never cross series, splits and
scalers per series, per-series and pooled metrics, predict/evaluate per series; synthetic series
and the real long table data/stocks_long.csv (five tickers, vega_datasets)."""

import json

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from forecast.cli import cli
from forecast.config import FitOptions
from forecast.data.io import read_series
from forecast.data.panel import read_panel
from forecast.data.prepared import load_series_for
from forecast.data.preprocess import Preprocessing
from forecast.errors import ForecastError
from forecast.evaluation.baselines import naive_baselines
from forecast.training.preparation import prepare
from tests.conftest import ROOT

STOCKS = ROOT / "data" / "stocks_long.csv"
TINY = ["--epochs", "1", "--window", "12", "--horizon", "3", "--units", "4", "--quiet"]
TINY += ["--norm", "window", "--loss", "mse"]  # not chosen on validation: one training per fit


def invoke(*args):
    return CliRunner().invoke(cli, [str(a) for a in args], catch_exceptions=False)


def long_frame(lengths=None, seed: int = 0) -> pd.DataFrame:
    """Series ``a``, ``b``, ``c`` (levels 10, 1000, -50; different lengths), rows interleaved by
    date as long tables usually are."""
    lengths = lengths or {"a": 120, "b": 90, "c": 150}
    levels = {"a": 10.0, "b": 1000.0, "c": -50.0}
    rng = np.random.default_rng(seed)
    parts = []
    for name, n in lengths.items():
        t = np.arange(n)
        y = levels[name] + abs(levels[name]) * 0.1 * np.sin(t / 3) + rng.normal(0, 0.1, n)
        dates = pd.date_range("2021-01-01", periods=n, freq="D")
        parts.append(pd.DataFrame({"date": dates, "site": name, "y": y}))
    return pd.concat(parts).sort_values(["date", "site"], kind="stable")


@pytest.fixture
def long_csv(write_csv):
    return write_csv(long_frame(), "long.csv")


def test_duplicate_timestamps_explained_by_a_text_column_suggest_series(long_csv):
    with pytest.raises(ForecastError, match="pass --series site to train one model"):
        read_series(long_csv)


def test_read_panel_keeps_each_series_contiguous_and_sorted(long_csv):
    series = read_panel(long_csv, "site")
    layout = series.layout
    assert layout.names == ("a", "b", "c")
    assert list(layout.lengths()) == [120, 90, 150]
    for k in range(3):
        index = series.frame.index[layout.rows(k)]
        assert index.is_monotonic_increasing and index.is_unique
    assert series.freq == "D" and list(series.frame.columns) == ["y"]


def test_only_selects_series_and_names_unknown_ones(long_csv):
    assert read_panel(long_csv, "site", only="c,a").layout.names == ("a", "c")
    with pytest.raises(ForecastError, match=r"--only names series zz .* it holds: a, b, c"):
        read_panel(long_csv, "site", only="a,zz")
    with pytest.raises(ForecastError, match="--series 'nope' is not a column"):
        read_panel(long_csv, "nope")
    with pytest.raises(ForecastError, match="give --series COL with it"):
        FitOptions(only="a")


def test_series_of_different_frequencies_are_refused(write_csv):
    hourly = pd.DataFrame(
        {"date": pd.date_range("2021-01-01", periods=50, freq="h"), "site": "h", "y": 1.0}
    )
    daily = pd.DataFrame(
        {"date": pd.date_range("2021-01-01", periods=50, freq="D"), "site": "d", "y": 2.0}
    )
    path = write_csv(pd.concat([hourly, daily]))
    with pytest.raises(ForecastError, match="different frequencies"):
        read_panel(path, "site")


@pytest.mark.parametrize("part", ["train", "val", "test"])
def test_windows_never_cross_series_and_splits_are_per_series(long_csv, part):
    options = FitOptions(series="site", window=10, horizon=4)
    prepared = prepare(load_series_for(long_csv, options), options)
    layout, starts = prepared.layout, prepared.starts[part]
    first_ids = layout.ids(starts)
    last_ids = layout.ids(starts + options.window + options.horizon - 1)
    np.testing.assert_array_equal(first_ids, last_ids)
    assert set(first_ids) == {0, 1, 2}  # every series contributes windows to every part
    for k, split in enumerate(prepared.parts):
        n = int(layout.lengths()[k])
        assert (split.train_end, split.val_end) == (round(0.7 * n), round(0.85 * n))
        targets = starts[first_ids == k] + options.window - layout.bounds[k]
        lo, hi = {"train": (0, split.train_end), "val": (split.train_end, split.val_end)}.get(
            part, (split.val_end, n)
        )
        assert targets.min() >= lo and targets.max() + options.horizon <= hi


def test_scalers_are_per_series_and_fit_on_training_rows_only(long_csv):
    options = FitOptions(series="site", window=10, horizon=4, calendar="none")
    prepared = prepare(load_series_for(long_csv, options), options)
    saved = prepared.prep.series
    assert saved["names"] == ["a", "b", "c"] and saved["n_rows"] == [120, 90, 150]
    for k, split in enumerate(prepared.parts):
        rows = prepared.values[prepared.layout.rows(k)][: split.train_end, -1]
        assert abs(rows.mean()) < 1e-4 and abs(rows.std() - 1) < 1e-3
    # per-series means differ by two orders of magnitude; a pooled scaler would not centre them
    assert saved["mean"][1][0] > 900 and saved["mean"][2][0] < -40


def test_baselines_use_each_series_own_last_value(long_csv):
    options = FitOptions(series="site", window=10, horizon=4)
    prepared = prepare(load_series_for(long_csv, options), options)
    persistence = naive_baselines(prepared)["persistence"]
    starts = prepared.starts["test"]
    np.testing.assert_array_equal(persistence[:, 0], prepared.target[starts + 9])
    ids = prepared.series_ids("test")
    # series b lives near 1000, a near 10: each window's persistence is its own series' value
    assert (persistence[ids == 1] > 800).all() and (persistence[ids == 0] < 20).all()


def test_series_too_short_for_the_window_are_skipped_with_a_note(write_csv):
    path = write_csv(long_frame({"a": 120, "b": 25, "c": 150}))
    options = FitOptions(series="site", window=20, horizon=4)
    series = load_series_for(path, options)
    prepared = prepare(series, options)
    assert prepared.layout.names == ("a", "c")
    assert any("skipped 1 series shorter than" in n and "b (25)" in n for n in series.notes)
    with pytest.raises(ForecastError, match="every series of --series site is too short"):
        prepare(load_series_for(path, options), options.replace(window=200))


def test_preprocessing_json_round_trip_and_single_series_format_unchanged(long_csv, sine_csv):
    options = FitOptions(series="site", window=10, horizon=4)
    prep = prepare(load_series_for(long_csv, options), options).prep
    d = json.loads(json.dumps(prep.to_dict()))
    assert Preprocessing.from_dict(d) == prep
    d["series"]["scale"][0] = [-1.0]
    with pytest.raises(ForecastError, match="invalid value for series"):
        Preprocessing.from_dict(d)
    single = prepare(read_series(sine_csv), FitOptions(window=10, horizon=4)).prep
    assert "series" not in single.to_dict()  # a run without --series writes what it always did
    assert Preprocessing.from_dict(single.to_dict()).series is None


@pytest.fixture(scope="module")
def stocks_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("runs") / "stocks"
    result = invoke("fit", STOCKS, "--series", "symbol", "--model", "gru", *TINY, "--out", out)
    assert result.exit_code == 0, result.output
    return out, result


def test_fit_on_a_real_long_table_scores_every_series_and_pools(stocks_run):
    out, result = stocks_run
    m = json.loads((out / "metrics.json").read_text())
    names = ["MSFT", "AMZN", "IBM", "GOOG", "AAPL"]
    assert list(m["per_series"]) == names and m["series"]["column"] == "symbol"
    total, squares = 0, 0.0
    for name in names:
        s = m["per_series"][name]
        assert {"rmse", "mae", "smape", "mase", "skill_vs_persistence", "baselines"} <= set(s)
        # each series' own Diebold-Mariano test: the model's sign, a probability
        dm = s["significance"]["vs_persistence"]
        assert 0 <= dm["p_value"] <= 1 and (dm["dm_stat"] < 0) == (s["skill_vs_persistence"] > 0)
        # M4's Naive2 and Theta: positive monthly prices, several series
        assert set(s["baselines"]) == {"persistence", "seasonal_naive", "naive2", "theta", "linear"}
        persistence = s["baselines"]["persistence"]["rmse"]
        assert s["skill_vs_persistence"] == pytest.approx(1 - s["rmse"] / persistence)
        n = s["n_test_windows"]
        total += n
        squares += n * s["rmse"] ** 2
        # the printed table: series, windows, RMSE and persistence RMSE on one line
        line = next(ln for ln in result.stdout.splitlines() if ln.startswith(name + " "))
        assert line.split()[1] == str(n)
        assert float(line.split()[3]) == pytest.approx(persistence, rel=1e-3)
    # pooled numbers are over every series' windows: MSE is the window-weighted mean
    assert total == m["n_test_windows"]
    assert m["rmse"] == pytest.approx(np.sqrt(squares / total), rel=1e-9)
    assert m["per_series"]["GOOG"]["n_test_windows"] < m["per_series"]["IBM"]["n_test_windows"]
    predictions = pd.read_csv(out / "predictions.csv")
    assert list(predictions.columns[:2]) == ["symbol", "timestamp"]
    assert sorted(predictions["symbol"].unique()) == sorted(names)
    assert "per series (symbol" in result.stdout
    wins = sum(m["per_series"][n]["skill_vs_persistence"] > 0 for n in names)
    assert m["series"]["beats_persistence"] == wins
    significant = sum(
        m["per_series"][n]["skill_vs_persistence"] > 0
        and m["per_series"][n]["significance"]["vs_persistence"]["p_value"] < 0.05
        for n in names
    )
    assert f"beats persistence on {wins} of 5 series, {significant} significantly" in result.stdout


def test_each_series_gets_its_own_diebold_mariano_test(stocks_run):
    """per_series significance is the DM test on that series' windows alone (recomputed here
    from predictions.csv), not the pooled one."""
    from forecast.evaluation.significance import dm_forecasts

    out, _ = stocks_run
    m = json.loads((out / "metrics.json").read_text())
    rows = pd.read_csv(out / "predictions.csv")
    for name in ["GOOG", "MSFT"]:
        mine = rows[rows["symbol"] == name]

        def grid(column, mine=mine):
            return mine.pivot(index="origin", columns="step", values=column).to_numpy()

        expected = dm_forecasts(grid("actual"), grid("predicted"), grid("persistence"))
        saved = m["per_series"][name]["significance"]["vs_persistence"]
        assert saved["dm_stat"] == pytest.approx(expected.dm_stat, rel=1e-3)
        assert saved["p_value"] == pytest.approx(expected.p_value, rel=1e-2, abs=1e-4)
    assert m["per_series"]["GOOG"]["significance"] != m["significance"]


def test_predict_forecasts_every_series(stocks_run, tmp_path):
    out, _ = stocks_run
    target = tmp_path / "future.csv"
    result = invoke("predict", out, STOCKS, "--out", target)
    assert result.exit_code == 0, result.output
    future = pd.read_csv(target)
    assert list(future.columns[:4]) == ["symbol", "timestamp", "step", "predicted"]
    assert len(future) == 5 * 3 and future.groupby("symbol").size().eq(3).all()
    assert (future["timestamp"].unique() == ["2010-04-01", "2010-05-01", "2010-06-01"]).all()
    assert (future["lower_80"] <= future["predicted"]).all()
    assert target.with_suffix(".png").is_file()
    only = invoke("predict", out, STOCKS, "--out", tmp_path / "two.csv", "--only", "IBM,GOOG")
    assert sorted(pd.read_csv(tmp_path / "two.csv")["symbol"].unique()) == ["GOOG", "IBM"]
    assert only.exit_code == 0


def test_evaluate_reproduces_each_series_metrics(stocks_run):
    out, _ = stocks_run
    saved = json.loads((out / "metrics.json").read_text())["per_series"]
    result = invoke("evaluate", out, STOCKS, "--only", "MSFT,GOOG")
    assert result.exit_code == 0, result.output
    for name in ("MSFT", "GOOG"):
        line = next(ln for ln in result.stdout.splitlines() if ln.startswith(name + " "))
        assert float(line.split()[2]) == pytest.approx(saved[name]["rmse"], rel=1e-3)
    assert "AMZN " not in result.stdout


def test_a_series_run_refuses_a_single_series_csv(stocks_run, sine_csv):
    out, _ = stocks_run
    result = invoke("evaluate", out, sine_csv)
    assert result.exit_code == 2
    assert "--series 'symbol' is not a column" in result.stderr


def test_compare_with_series_reports_rmse_per_series(tmp_path):
    out = tmp_path / "cmp"
    args = ["compare", STOCKS, "--series", "symbol", "--only", "IBM,GOOG", "--models", "rnn"]
    result = invoke(*args, "--seeds", "1", *TINY, "--out", out)
    assert result.exit_code == 0, result.output
    data = json.loads((out / "comparison.json").read_text())
    assert data["series"]["names"] == ["IBM", "GOOG"]
    run = json.loads((out / "rnn-seed42" / "metrics.json").read_text())
    for name in ("IBM", "GOOG"):
        row = data["per_series"][name]
        assert row["rnn"] == pytest.approx(run["per_series"][name]["rmse"])
        assert row["persistence"] == run["per_series"][name]["baselines"]["persistence"]["rmse"]
    assert "RMSE per series (symbol)" in (out / "report.html").read_text(encoding="utf-8")


def test_tune_searches_only_windows_that_keep_every_series():
    from forecast.commands.tune_space import space

    start = FitOptions(series="symbol", window=12, horizon=3)
    series = load_series_for(STOCKS, start)
    windows = space(start, series)["window"]
    assert len(windows) > 1  # the search still has windows to try
    for window in windows:  # GOOG (68 rows) stays in every trial: trials score the same series
        prepared = prepare(load_series_for(STOCKS, start), start.replace(window=window))
        assert len(prepared.series_names) == 5, window


def test_only_on_a_single_series_run_is_refused(tmp_path, sine_csv):
    out = tmp_path / "single"
    fitted = invoke("fit", sine_csv, "--model", "linear", *TINY, "--out", out)
    assert fitted.exit_code == 0, fitted.output
    result = invoke("evaluate", out, sine_csv, "--only", "a")
    assert result.exit_code == 2
    assert result.stderr == (
        "error: --only a selects series, but the run was trained on one series (no --series); "
        "drop --only\n"
    )


def test_errors_in_one_series_name_it_and_the_file_line(write_csv):
    frame = long_frame({"a": 40, "b": 40})
    frame["y"] = frame["y"].astype(object)
    frame.iloc[7, frame.columns.get_loc("y")] = "oops"  # file line 9, the 4th row of its series
    with pytest.raises(ForecastError) as caught:
        read_panel(write_csv(frame), "site")
    site = frame.iloc[7]["site"]
    assert str(caught.value).startswith(f"series '{site}' of --series site: column 'y' line 9:")
