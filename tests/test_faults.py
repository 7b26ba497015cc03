"""Faults: Ctrl-C or a crash mid-training leaves no run directory and no staging directory, the
checkpoint lets the fit continue with --resume, and disk-full / permission errors are one line."""

from __future__ import annotations

import errno
import json
import os

import pandas as pd
import pytest
from click.testing import CliRunner

import forecast.reporting.plots
import forecast.runs
import forecast.training.train
from forecast.cli import cli
from tests.conftest import synthetic_frame

FAST = ["--model", "gru", "--window", "6", "--horizon", "2", "--units", "4", "--quiet"]
FAST += ["--patience", "10", "--batch-size", "16"]


def invoke(*args):
    return CliRunner().invoke(cli, [str(a) for a in args], catch_exceptions=False)


@pytest.fixture
def csv(tmp_path):
    path = tmp_path / "data.csv"
    synthetic_frame(80).to_csv(path, index=False)
    return path


def left_in(parent) -> list[str]:
    return sorted(p.name for p in parent.iterdir() if p.name != "data.csv")


def interrupt_before_epoch(monkeypatch, k: int, error=KeyboardInterrupt):
    """Make training raise ``error`` as epoch ``k`` (0-based) begins, after k checkpoints."""
    original = forecast.training.train.epoch_clock

    def clock():
        base = original()
        begin = base.on_epoch_begin

        def on_epoch_begin(epoch, logs=None):
            if epoch == k:
                raise error()
            begin(epoch, logs)

        base.on_epoch_begin = on_epoch_begin
        return base

    monkeypatch.setattr(forecast.training.train, "epoch_clock", clock)


def test_ctrl_c_in_the_first_epoch_leaves_nothing(tmp_path, csv, monkeypatch):
    interrupt_before_epoch(monkeypatch, 0)
    result = invoke("fit", csv, *FAST, "--epochs", "3", "--out", tmp_path / "run")
    assert result.exit_code == 130
    assert result.stderr.endswith("interrupted: no run directory was written\n")
    assert "Traceback" not in result.output
    assert left_in(tmp_path) == []


def test_crash_mid_training_leaves_no_run_directory(tmp_path, csv, monkeypatch):
    interrupt_before_epoch(monkeypatch, 1, error=RuntimeError)
    with pytest.raises(RuntimeError):
        invoke("fit", csv, *FAST, "--epochs", "3", "--out", tmp_path / "run")
    assert left_in(tmp_path) == ["run.partial"]  # the checkpoint of epoch 1 only
    assert sorted(p.name for p in (tmp_path / "run.partial").iterdir()) == [
        "best.weights.h5",
        "model.keras",
        "state.json",
    ]


def test_crash_while_writing_the_run_leaves_no_staging_directory(tmp_path, csv, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("plotting failed")

    monkeypatch.setattr(forecast.reporting.plots, "save_run_plots", broken)
    with pytest.raises(RuntimeError, match="plotting failed"):
        invoke("fit", csv, *FAST, "--epochs", "1", "--out", tmp_path / "run")
    assert left_in(tmp_path) == ["run.partial"]


def test_interrupted_fit_resumes_to_the_same_epoch_count(tmp_path, csv, monkeypatch):
    full = tmp_path / "full"
    assert invoke("fit", csv, *FAST, "--epochs", "4", "--out", full).exit_code == 0
    out = tmp_path / "run"
    interrupt_before_epoch(monkeypatch, 2)
    result = invoke("fit", csv, *FAST, "--epochs", "4", "--out", out)
    assert result.exit_code == 130
    assert result.stderr.splitlines()[-1] == (
        f"interrupted: no run directory was written; checkpoint kept in {out}.partial; "
        f"continue with: forecast fit {csv} --resume {out}"
    )
    assert left_in(tmp_path) == ["full", "run.partial"]
    state = json.loads((tmp_path / "run.partial" / "state.json").read_text())
    assert state["epoch"] == 2 and len(state["history"]["val_loss"]) == 2
    monkeypatch.undo()

    again = invoke("fit", csv, *FAST, "--epochs", "4", "--out", out)
    assert again.exit_code == 2
    assert f"holds a checkpoint of an interrupted fit; continue it with --resume {out}" in (
        again.stderr
    )
    other = invoke("fit", csv, "--resume", out, "--units", "8")
    assert other.exit_code == 2
    assert f"--resume {out}: the interrupted run used units=4; resume with the same" in (
        other.stderr
    )
    changed = tmp_path / "changed.csv"
    synthetic_frame(80, seed=1).to_csv(changed, index=False)
    other = invoke("fit", changed, "--resume", out)
    assert other.exit_code == 2 and "SHA-256 differs" in other.stderr

    resumed = invoke("fit", csv, "--resume", out, "--quiet")
    assert resumed.exit_code == 0, resumed.output
    assert "resuming gru after epoch 2" in resumed.stderr
    assert left_in(tmp_path) == ["changed.csv", "full", "run"]
    m_full = json.loads((full / "metrics.json").read_text())
    m_resumed = json.loads((out / "metrics.json").read_text())
    assert m_resumed["epochs_run"] == m_full["epochs_run"] == 4
    history = pd.read_csv(out / "history.csv")
    assert history["epoch"].tolist() == [1, 2, 3, 4]
    assert history["val_loss"].iloc[:2].tolist() == pytest.approx(state["history"]["val_loss"])
    assert json.loads((out / "config.json").read_text())["units"] == 4


def test_resume_without_a_checkpoint_is_a_clear_error(tmp_path, csv):
    result = invoke("fit", csv, "--resume", tmp_path / "run")
    assert result.exit_code == 2
    assert result.stderr == (
        f"error: --resume {tmp_path / 'run'}: no checkpoint at {tmp_path / 'run.partial'} (it is "
        "written after each epoch of an interrupted fit); run fit without --resume\n"
    )


def test_disk_full_at_the_final_rename_is_one_line(tmp_path, csv, monkeypatch):
    out = tmp_path / "run"
    real = os.replace

    def full_disk(src, dst):
        if str(dst) == str(out):
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        return real(src, dst)

    monkeypatch.setattr(forecast.runs.os, "replace", full_disk)
    result = invoke("fit", csv, *FAST, "--epochs", "1", "--out", out)
    assert result.exit_code == 2 and result.stderr.count("error:") == 1
    assert result.stderr.splitlines()[-1] + "\n" == (
        f"error: cannot write run directory {out} (No space left on device); check free space "
        f"and permissions; the trained model is kept in {out}.partial: fix that and run "
        f"forecast fit {csv} --resume {out}\n"
    )
    assert left_in(tmp_path) == ["run.partial"]


def test_disk_full_while_checkpointing_is_one_line(tmp_path, csv, monkeypatch):
    out = tmp_path / "run"

    def full_disk(src, dst):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(forecast.runs.os, "replace", full_disk)
    result = invoke("fit", csv, *FAST, "--epochs", "1", "--out", out)
    assert result.exit_code == 2 and result.stderr.count("error:") == 1
    assert result.stderr.splitlines()[-1] + "\n" == (
        f"error: cannot write checkpoint {out}.partial (No space left on device); check free "
        "space and permissions\n"
    )
    assert not out.exists() and not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]


def test_read_only_parent_is_refused_before_training(tmp_path, csv, monkeypatch):
    parent = tmp_path / "locked"
    parent.mkdir()
    if os.geteuid() == 0:  # root ignores chmod: simulate the permission check failing
        real = os.access
        monkeypatch.setattr(
            forecast.runs.os, "access", lambda path, mode: path != parent and real(path, mode)
        )
    else:
        parent.chmod(0o555)
    try:
        result = invoke("fit", csv, *FAST, "--epochs", "1", "--out", parent / "run")
    finally:
        parent.chmod(0o755)
    assert result.exit_code == 2
    assert result.stderr == (
        f"error: --out {parent / 'run'}: cannot write in {parent} (permission denied); choose "
        "another --out\n"
    )
    assert list(parent.iterdir()) == []
