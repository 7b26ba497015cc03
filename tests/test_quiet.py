"""The first five minutes: a default fit prints no TensorFlow start-up chatter, real errors still
show, and --tensorboard writes event files into the run directory."""

from __future__ import annotations

import os
import subprocess
import sys

from click.testing import CliRunner

from forecast.cli import cli
from forecast.quiet import filtered_stderr, keep_lines
from tests.conftest import ROOT, synthetic_frame

CHATTER_LINES = [
    "WARNING: All log messages before absl::InitializeLog() is called are written to STDERR",
    "I0000 00:00:1795509611.481761   20559 port.cc:153] oneDNN custom operations are on. You may "
    "see slightly different numerical results due to floating-point round-off errors.",
    "I0000 00:00:1795509611.489887   20559 cudart_stub.cc:31] Could not find cuda drivers on your "
    "machine, GPU will not be used.",
    "E0000 00:00:1795509671.245191   22037 cuda_platform.cc:52] failed call to cuInit: INTERNAL: "
    "CUDA error: Failed call to cuInit: UNKNOWN ERROR (303)",
]
MARKERS = ["absl::InitializeLog", "oneDNN custom operations", "cuda drivers", "cuInit"]
TINY = ["--epochs", "1", "--window", "8", "--horizon", "2", "--units", "4", "--quiet"]


def test_keep_lines_drops_only_the_known_notices():
    real = "ImportError: libcudnn.so.9: cannot open shared object file\n"
    text = "\n".join(CHATTER_LINES) + "\n" + real
    assert keep_lines(text) == real


def test_filtered_stderr_captures_the_file_descriptor_and_replays_the_rest(capfd):
    with filtered_stderr():
        os.write(2, (CHATTER_LINES[1] + "\n").encode())
        os.write(2, b"E0000 something real went wrong\n")
    err = capfd.readouterr().err
    assert err == "E0000 something real went wrong\n"


def event_files(directory):
    return sorted(p for p in directory.rglob("events.out.tfevents.*") if p.stat().st_size > 0)


def test_fit_prints_no_tensorflow_chatter_and_writes_tensorboard_logs(tmp_path):
    csv = tmp_path / "tiny.csv"
    synthetic_frame(120).to_csv(csv, index=False)
    out = tmp_path / "run"
    env = {k: v for k, v in os.environ.items() if not k.startswith("TF_CPP")}
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "forecast",
            "fit",
            str(csv),
            *TINY,
            "--out",
            str(out),
            "--tensorboard",
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stderr
    assert not [m for m in MARKERS if m in result.stderr], result.stderr
    assert "training gru" in result.stderr  # our own progress lines still arrive
    assert event_files(out / "tensorboard" / "train") and event_files(
        out / "tensorboard" / "validation"
    )
    assert not (tmp_path / ".run.tensorboard").exists()


def test_compare_writes_tensorboard_logs_per_run(tmp_path):
    csv = tmp_path / "tiny.csv"
    synthetic_frame(120).to_csv(csv, index=False)
    out = tmp_path / "cmp"
    result = CliRunner().invoke(
        cli,
        [
            "compare",
            str(csv),
            "--models",
            "gru",
            "--seeds",
            "1",
            *TINY,
            "--out",
            str(out),
            "--tensorboard",
        ],
    )
    assert result.exit_code == 0, result.output
    assert event_files(out / "tensorboard" / "gru-seed42" / "train")
