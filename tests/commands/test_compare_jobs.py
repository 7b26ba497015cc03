"""``forecast compare --jobs N`` and Ctrl-C: what is refused, and what an interrupted comparison
keeps (the finished runs, compared, exit 130), in process and with worker processes.
(That ``--jobs 2`` gives the numbers of ``--jobs 1``: ``test_compare.py``.)"""

import json
import multiprocessing

import pytest
from click.testing import CliRunner

import forecast
import forecast.commands.compare
import forecast.training.fitting
from forecast.cli import cli
from forecast.commands.compare_runs import run_cost
from forecast.config import FitOptions
from forecast.errors import ForecastError

TINY = ["--epochs", "1", "--window", "8", "--horizon", "2", "--units", "4", "--quiet"]
FAST = [*TINY, "--seeds", "1", "--baselines", "-gbm"]


def invoke(*args):
    return CliRunner().invoke(cli, [str(a) for a in args], catch_exceptions=False)


def interrupt_training_at(monkeypatch, k: int) -> None:
    """Ctrl-C as the ``k``-th run (1-based) of this process starts training."""
    original, calls = forecast.training.fitting.train_one, []

    def train_one(name, *args, **kwargs):
        calls.append(name)
        if len(calls) == k:
            raise KeyboardInterrupt
        return original(name, *args, **kwargs)

    monkeypatch.setattr(forecast.training.fitting, "train_one", train_one)


@pytest.mark.parametrize(
    ("flags", "message"),
    [
        (["--jobs", "0"], "error: Invalid value for '--jobs': 0 is not in the range x>=1."),
        (
            ["--jobs", "2", "--distribute", "mirrored"],
            "error: --jobs 2 and --distribute mirrored do not mix (--distribute spreads one "
            "training over devices or machines, --jobs runs several trainings side by side); "
            "use --jobs 1 with --distribute, or drop --distribute",
        ),
    ],
)
def test_bad_jobs_are_one_line_errors(tmp_path, sine_csv, flags, message):
    out = tmp_path / "cmp"
    result = invoke("compare", sine_csv, "--models", "rnn", *FAST, *flags, "--out", out)
    assert result.exit_code == 2
    assert result.stderr == message + "\n"
    assert not out.exists()


def test_jobs_are_for_the_forecast_task_only(tmp_path):
    result = invoke(
        "compare", "--task", "memory", "--quick", "--jobs", "2", "--out", tmp_path / "m"
    )
    assert result.exit_code == 2
    assert "--jobs 2 applies to --task forecast" in result.stderr


def test_the_api_refuses_bad_jobs_too(tmp_path, sine_csv):
    with pytest.raises(ForecastError, match="--jobs -1 must be a positive integer"):
        forecast.compare(sine_csv, models="rnn", seeds=1, jobs=-1, out=tmp_path / "c")


def test_runs_are_ranked_by_their_gate_costs():
    """--jobs starts the costliest runs first: the hybrid, then LSTM, GRU, RNN, linear."""
    cost = {m: run_cost(FitOptions(model=m), 5) for m in ("hybrid", "lstm", "gru", "rnn", "linear")}
    assert list(cost) == sorted(cost, key=cost.get, reverse=True) and cost["linear"] == 0
    assert run_cost(FitOptions(model="gru", segment=6), 5) < cost["gru"]  # 5 steps, not 30
    assert run_cost(FitOptions(model="gru", ensemble=3), 5) == 3 * cost["gru"]


def read_comparison(out):
    data = json.loads((out / "comparison.json").read_text())
    return data, {r["model"] for r in data["rows"]}


def test_ctrl_c_keeps_the_finished_runs_compared(tmp_path, sine_csv, monkeypatch):
    interrupt_training_at(monkeypatch, 2)  # rnn finishes, gru is interrupted
    out = tmp_path / "cmp"
    result = invoke("compare", sine_csv, "--models", "rnn,gru", *FAST, "--out", out)
    assert result.exit_code == 130
    assert "interrupted: 1 of 2 run(s) had finished; comparing those" in result.stderr
    last = result.stderr.rstrip().splitlines()[-1]
    assert last == f"interrupted: the finished runs were kept and compared in {out}"
    assert "Traceback" not in result.output
    assert "rnn-seed42" in {p.name for p in out.iterdir()}
    assert not [p.name for p in out.iterdir() if p.name.startswith(("gru", "."))]
    data, rows = read_comparison(out)
    assert data["interrupted"] is True and data["runs"] == {"rnn": ["rnn-seed42"]}
    assert {"rnn", "rnn+linear", "linear", "persistence"} <= rows and "gru" not in rows
    assert "Interrupted" in (out / "comparison.md").read_text()
    assert (out / "report.html").is_file() and (out / "rnn-seed42" / "metrics.json").is_file()
    assert "verdict: " in result.stdout  # the table of what finished was printed
    assert forecast.load(out).interrupted


def test_ctrl_c_before_any_run_finished_writes_nothing(tmp_path, sine_csv, monkeypatch):
    interrupt_training_at(monkeypatch, 1)
    out = tmp_path / "cmp"
    result = invoke("compare", sine_csv, "--models", "rnn,gru", *FAST, "--out", out)
    assert result.exit_code == 130
    assert result.stderr.rstrip().splitlines()[-1] == (
        "interrupted: no run directory was written; no run had finished"
    )
    assert sorted(p.name for p in tmp_path.iterdir()) == ["data.csv"]


def test_ctrl_c_with_jobs_stops_the_workers_and_keeps_the_finished_run(
    tmp_path, sine_csv, monkeypatch
):
    """Two runs in two worker processes; Ctrl-C (in the parent) as the first one finishes."""
    original = forecast.commands.compare.progress

    def progress(tasks, started, log):
        report = original(tasks, started, log)

        def on_done(i, outcome):
            report(i, outcome)
            raise KeyboardInterrupt

        return on_done

    monkeypatch.setattr(forecast.commands.compare, "progress", progress)
    out = tmp_path / "cmp"
    args = ["--models", "rnn,gru", *FAST, "--jobs", "2", "--out", out]
    result = invoke("compare", sine_csv, *args)
    assert result.exit_code == 130, result.output
    assert multiprocessing.active_children() == []  # the workers were stopped and reaped
    assert "interrupted: 1 of 2 run(s) had finished; comparing those" in result.stderr
    data, rows = read_comparison(out)
    (cell, names), *others = data["runs"].items()  # the one run that finished first
    assert others == [] and data["interrupted"] is True and names == [f"{cell}-seed42"]
    assert cell in rows and ({"rnn", "gru"} - {cell}).isdisjoint(rows)
    assert sorted(p.name for p in out.iterdir() if "seed" in p.name) == names
    assert not [p.name for p in out.iterdir() if p.name.startswith(".")]
