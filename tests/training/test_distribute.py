"""--distribute and --mixed-precision: mirrored training on two logical CPU devices (with a
checkpoint and --resume), two workers as two local processes on loopback ports, float32 outputs
under mixed_float16, and the messages for a CPU and for a bad TF_CONFIG."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys

import numpy as np
import pytest

from forecast.errors import ForecastError
from forecast.training import distribute
from tests.conftest import ROOT, synthetic_frame

FAST = ["--model", "gru", "--window", "6", "--horizon", "2", "--units", "4", "--batch-size", "16"]
FAST += ["--patience", "10", "--quiet"]
HELPER = ROOT / "tests" / "distributed_fit.py"


@pytest.fixture
def csv(tmp_path):
    path = tmp_path / "data.csv"
    synthetic_frame(120).to_csv(path, index=False)
    return path


def env(**extra) -> dict:
    return {**os.environ, "PYTHONPATH": str(ROOT), "TF_CPP_MIN_LOG_LEVEL": "3", **extra}


def forecast_process(args, cpus=1, interrupt=-1, **extra):
    """``forecast ARGS`` in a fresh process with the CPU split into ``cpus`` logical devices."""
    cmd = [sys.executable, str(HELPER), str(cpus), str(interrupt), "--", *map(str, args)]
    return subprocess.Popen(
        cmd, env=env(**extra), cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )


def finish(process, timeout=300) -> tuple[int, str, str]:
    try:
        out, err = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        out, err = process.communicate()
        pytest.fail(f"timed out after {timeout}s: {err[-2000:]}")
    return process.returncode, out, err


def test_mirrored_on_two_cpu_devices_checkpoints_and_resumes(tmp_path, csv):
    out = tmp_path / "run"
    args = ["fit", csv, *FAST, "--epochs", "3", "--distribute", "mirrored", "--out", out]
    code, _, err = finish(forecast_process(args, cpus=2, interrupt=2))
    assert code == 130, err
    assert "MirroredStrategy, 2 replica(s)" in err
    assert f"--resume {out}" in err
    assert not out.exists()
    state = json.loads((tmp_path / "run.partial" / "state.json").read_text())
    assert state["epoch"] == 2

    resume = ["fit", csv, "--resume", out, "--quiet"]
    code, stdout, err = finish(forecast_process(resume, cpus=2))
    assert code == 0, err
    assert "resuming gru after epoch 2" in err
    assert "MirroredStrategy, 2 replica(s)" in err
    metrics = json.loads((out / "metrics.json").read_text())
    config = json.loads((out / "config.json").read_text())
    assert metrics["epochs_run"] == 3
    assert config["distribute"] == "mirrored"
    assert not (tmp_path / "run.partial").exists()
    assert not (tmp_path / "run.lock").exists()


def free_ports(n: int) -> list[int]:
    sockets = [socket.socket() for _ in range(n)]
    for s in sockets:
        s.bind(("127.0.0.1", 0))
    ports = [s.getsockname()[1] for s in sockets]
    for s in sockets:
        s.close()
    return ports


def test_two_workers_on_loopback_ports(tmp_path, csv):
    workers = [f"127.0.0.1:{p}" for p in free_ports(2)]
    out = tmp_path / "run"
    args = ["fit", csv, *FAST, "--epochs", "2", "--distribute", "multiworker", "--out", out]
    processes = [
        forecast_process(
            args,
            TF_CONFIG=json.dumps(
                {"cluster": {"worker": workers}, "task": {"type": "worker", "index": i}}
            ),
        )
        for i in range(2)
    ]
    results = [finish(p) for p in processes]
    for code, _, err in results:
        assert code == 0, err
        assert "MultiWorkerMirroredStrategy, 2 replica(s)" in err
    assert "this worker is not the chief" in results[1][2]
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["epochs_run"] == 2
    assert json.loads((out / "config.json").read_text())["distribute"] == "multiworker"


def test_keras_20585_still_needs_the_workaround():
    """When this fails, Keras fixed #20585: let distribute.multi_worker_strategy return the
    plain tf.distribute.MultiWorkerMirroredStrategy."""
    workers = [f"127.0.0.1:{p}" for p in free_ports(2)]
    processes = [
        subprocess.Popen(
            [sys.executable, str(ROOT / "tests" / "keras_20585.py")],
            env=env(
                TF_CONFIG=json.dumps(
                    {"cluster": {"worker": workers}, "task": {"type": "worker", "index": i}}
                )
            ),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for i in range(2)
    ]
    for _code, out, err in [finish(p) for p in processes]:
        assert out.strip().splitlines()[-1] == "fails", err[-2000:]


def test_keras_19246_still_needs_the_workaround():
    """When this fails, Keras fixed #19246: delete distribute.steps_per_execution."""
    done = subprocess.run(
        [sys.executable, str(ROOT / "tests" / "keras_19246.py")],
        env=env(),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.stdout.strip().splitlines()[-1] == "fails", done.stderr[-2000:]
    assert distribute.steps_per_execution(16, "mirrored") == 1
    assert distribute.steps_per_execution(16, "none") == 16


@pytest.mark.parametrize(
    "norm, highway, calendar", [("window", False, ()), ("global", True, (24.0,))]
)
def test_mixed_float16_model_keeps_a_float32_output(norm, highway, calendar):
    import keras

    from forecast.models.registry import Architecture, build_model
    from forecast.training.train import train

    def build():
        return build_model(
            Architecture("gru", 8, 2, 3, 4, -1, norm, calendar_periods=calendar, highway=highway)
        )

    n_inputs = 2 + 2 * len(calendar)
    rng = np.random.default_rng(0)
    x = rng.normal(size=(64, 8, n_inputs)).astype("float32")
    y = rng.normal(size=(64, 3)).astype("float32")
    import tensorflow as tf

    ds = tf.data.Dataset.from_tensor_slices((x, y)).batch(16)
    keras.config.set_dtype_policy("mixed_float16")
    try:
        model = build()
        assert model.get_layer("gru").compute_dtype == "float16"
        assert model.get_layer("gru").variable_dtype == "float32"
        assert model.outputs[0].dtype == "float32"
        result = train(model, ds, ds, 64, epochs=1, patience=1, learning_rate=1e-3, verbose=0)
    finally:
        keras.config.set_dtype_policy("float32")
    assert type(model.optimizer).__name__ == "LossScaleOptimizer"
    assert np.isfinite(result.history["loss"][0])
    assert model(x[:4]).dtype == "float32"
    plain = distribute.plain_copy(model, build)
    assert all(layer.compute_dtype == "float32" for layer in plain.layers)
    np.testing.assert_allclose(plain(x[:4]), model(x[:4]), atol=0.05)


def test_mixed_precision_on_a_cpu_trains_in_float32_with_a_note(tmp_path, csv):
    from click.testing import CliRunner

    from forecast.cli import cli

    out = tmp_path / "run"
    args = ["fit", str(csv), *FAST, "--epochs", "1", "--mixed-precision", "--out", str(out)]
    result = CliRunner().invoke(cli, args, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert f"note: {distribute.CPU_NOTE}" in result.stderr
    assert json.loads((out / "config.json").read_text())["mixed_precision"] is True
    import keras

    assert keras.config.dtype_policy().name == "float32"


def test_multiworker_without_tf_config_is_a_clear_error(monkeypatch):
    monkeypatch.delenv("TF_CONFIG", raising=False)
    with pytest.raises(ForecastError, match="--distribute multiworker needs TF_CONFIG"):
        distribute.check_distribute("multiworker")


@pytest.mark.parametrize(
    "value, message",
    [("{not json", "TF_CONFIG is not valid JSON"), ('{"cluster": {}}', "TF_CONFIG needs")],
)
def test_bad_tf_config_is_one_line(monkeypatch, value, message):
    monkeypatch.setenv("TF_CONFIG", value)
    with pytest.raises(ForecastError, match=message):
        distribute.tf_config()


@pytest.mark.parametrize(
    "task, cluster, chief",
    [
        ({"type": "worker", "index": 0}, {"worker": ["a:1", "b:1"]}, True),
        ({"type": "worker", "index": 1}, {"worker": ["a:1", "b:1"]}, False),
        ({"type": "worker", "index": 0}, {"chief": ["c:1"], "worker": ["a:1"]}, False),
        ({"type": "chief", "index": 0}, {"chief": ["c:1"], "worker": ["a:1"]}, True),
    ],
)
def test_only_the_chief_writes(monkeypatch, task, cluster, chief):
    monkeypatch.setenv("TF_CONFIG", json.dumps({"cluster": cluster, "task": task}))
    assert distribute.is_chief("multiworker") is chief
    assert distribute.is_chief("mirrored") is True
