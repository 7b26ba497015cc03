"""Where training runs: one device, several devices of one machine (``--distribute mirrored``) or
several machines (``--distribute multiworker``, configured by ``TF_CONFIG``), and in which
precision (``--mixed-precision``).

Only the training model lives inside the strategy and the precision policy. Scoring, saving and
``forecast predict`` use a plain float32 copy with the trained weights (``plain_copy``), so a run
directory trained on eight GPUs in float16 loads and predicts the same way on a laptop CPU.

TensorFlow is imported inside the functions; ``TF_CONFIG`` is read without it.
"""

from __future__ import annotations

import contextlib
import functools
import json
import os

from forecast.config import STRATEGIES
from forecast.errors import ForecastError


def tf_config() -> dict:
    """The parsed ``TF_CONFIG`` environment variable (``{}`` when unset).

    Raises:
        ForecastError: when it is set but is not a JSON object with ``cluster`` and ``task``.
    """
    text = os.environ.get("TF_CONFIG", "").strip()
    if not text:
        return {}
    try:
        config = json.loads(text)
    except json.JSONDecodeError as e:
        raise ForecastError(
            f"TF_CONFIG is not valid JSON ({e}); see docs/scaling.md 'Several machines'"
        ) from None
    ok = (
        isinstance(config, dict)
        and isinstance(config.get("cluster"), dict)
        and isinstance(config.get("task"), dict)
        and "type" in config["task"]
        and "index" in config["task"]
    )
    if not ok:
        raise ForecastError(
            'TF_CONFIG needs {"cluster": {"worker": ["host:port", ...]}, "task": {"type": '
            '"worker", "index": i}}; see docs/scaling.md \'Several machines\''
        )
    return config


def is_chief(distribute: str = "none") -> bool:
    """Whether this process writes files: always, except a non-chief ``multiworker`` worker
    (the chief is ``task.type == "chief"``, or worker 0 when the cluster has no chief)."""
    if distribute != "multiworker":
        return True
    config = tf_config()
    task = config.get("task", {})
    if task.get("type") == "chief":
        return True
    has_chief = bool(config.get("cluster", {}).get("chief"))
    return not has_chief and task.get("type") == "worker" and int(task.get("index", 0)) == 0


def check_distribute(distribute: str) -> None:
    """Refuse an unknown strategy name, or ``multiworker`` without a usable ``TF_CONFIG``."""
    if distribute not in STRATEGIES:
        raise ForecastError(f"--distribute {distribute!r} is not one of {', '.join(STRATEGIES)}")
    if distribute == "multiworker" and not tf_config():
        raise ForecastError(
            "--distribute multiworker needs TF_CONFIG describing the cluster and this task; "
            "set it on every machine (docs/scaling.md 'Several machines') or use mirrored"
        )


@functools.cache
def get_strategy(distribute: str):
    """The ``tf.distribute`` strategy for ``distribute`` (one per process: TensorFlow allows a
    single collective configuration), or ``None`` for ``"none"``.

    ``mirrored`` uses every GPU; on a machine without one, every logical CPU device (one unless
    the process split the CPU with ``tf.config.set_logical_device_configuration``).
    """
    check_distribute(distribute)
    if distribute == "none":
        return None
    import tensorflow as tf

    if distribute == "multiworker":
        return multi_worker_strategy()
    if tf.config.list_physical_devices("GPU"):
        return tf.distribute.MirroredStrategy()
    cpus = [d.name for d in tf.config.list_logical_devices("CPU")]
    return tf.distribute.MirroredStrategy(devices=cpus)


def multi_worker_strategy():
    """``tf.distribute.MultiWorkerMirroredStrategy`` whose public ``reduce`` also accepts what
    Keras 3's ``fit`` passes it.

    Workaround for keras-team/keras#20585 (also tensorflow/tensorflow#72388), open: Keras 3 calls
    ``strategy.reduce`` with an ``(x, y)`` tuple when it builds the model and with ``axis=0`` on
    scalar losses, which only ``MirroredStrategy`` tolerates, so ``fit`` fails with "Attempt to
    convert a value (PerReplica ...)" under multi-worker training. Here a tuple is reduced leaf by
    leaf and a scalar with ``axis=None``. ``tests/test_distribute.py::
    test_keras_20585_still_needs_the_workaround`` fails once Keras fixes it; then return the
    plain strategy.
    """
    import tensorflow as tf

    class MultiWorkerMirroredStrategy(tf.distribute.MultiWorkerMirroredStrategy):
        def reduce(self, reduce_op, value, axis):
            if isinstance(value, (tuple, list, dict)):
                return tf.nest.map_structure(lambda v: self.reduce(reduce_op, v, axis), value)
            if axis is not None and self.experimental_local_results(value)[0].shape.rank == 0:
                axis = None
            return super().reduce(reduce_op, value, axis)

    return MultiWorkerMirroredStrategy()


def replicas(distribute: str) -> int:
    """Replicas that share each global batch (1 without a strategy)."""
    strategy = get_strategy(distribute)
    return 1 if strategy is None else int(strategy.num_replicas_in_sync)


def precision_policy(mixed_precision: bool) -> str:
    """The Keras dtype policy for training: ``mixed_float16`` on a GPU, else ``float32``.

    On a CPU, float16 matmuls are emulated and ``mixed_bfloat16`` made our recurrent layers
    slower than float32 (bench/README.md), so mixed precision is a GPU feature: the caller prints
    ``CPU_NOTE`` and trains in float32.
    """
    if not mixed_precision:
        return "float32"
    import tensorflow as tf

    return "mixed_float16" if tf.config.list_physical_devices("GPU") else "float32"


CPU_NOTE = "--mixed-precision needs a GPU; no GPU found, training in float32"


@contextlib.contextmanager
def training_scope(distribute: str = "none", mixed_precision: bool = False):
    """Build, compile, load and fit the training model inside this block.

    Sets the Keras dtype policy (restored afterwards) and enters the strategy's scope, so that
    variables, the optimizer and checkpoints restored with ``keras.saving.load_model`` are all
    placed by the strategy.
    """
    import keras

    strategy = get_strategy(distribute)
    previous = keras.config.dtype_policy()
    keras.config.set_dtype_policy(precision_policy(mixed_precision))
    try:
        with strategy.scope() if strategy is not None else contextlib.nullcontext():
            yield strategy
    finally:
        keras.config.set_dtype_policy(previous)


def plain_copy(trained, build):
    """A float32, single-device copy of ``trained`` with the same weights.

    Args:
        trained: a model built inside ``training_scope``.
        build: zero-argument function building the same architecture (uncompiled).
    """
    model = build()
    model.set_weights([w.numpy() if hasattr(w, "numpy") else w for w in trained.get_weights()])
    return model


def describe(distribute: str, mixed_precision: bool) -> list[str]:
    """Lines for the log saying where and in which precision training runs (creating the
    strategy now, before TensorFlow starts any computation, as multi-worker training requires).
    """
    lines = []
    strategy = get_strategy(distribute)
    if strategy is not None:
        n = int(strategy.num_replicas_in_sync)
        kind = {"mirrored": "MirroredStrategy", "multiworker": "MultiWorkerMirroredStrategy"}[
            distribute
        ]
        lines.append(f"distribute: {kind}, {n} replica(s) share each batch of --batch-size")
    if mixed_precision and precision_policy(True) == "float32":
        lines.append(f"note: {CPU_NOTE}")
    elif mixed_precision:
        lines.append("mixed precision: mixed_float16 (float32 output; model.keras saved float32)")
    return lines


def steps_per_execution(requested: int, distribute: str) -> int:
    """``--steps-per-execution``, or 1 under a strategy.

    Workaround for keras-team/keras#19246 (open): Keras 3's multi-step training function fails
    under a ``tf.distribute`` strategy ("You must feed a value for placeholder tensor ...").
    ``tests/test_distribute.py::test_keras_19246_still_needs_the_workaround`` fails once Keras
    fixes it; then delete this function.
    """
    return 1 if distribute != "none" else requested
