"""Does keras-team/keras#19246 still break ``model.fit`` with ``steps_per_execution > 1`` under a
MirroredStrategy? Prints ``fails`` or ``works``; run in its own process by
tests/test_distribute.py (the CPU is split into two logical devices before TensorFlow starts)."""

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

cpu = tf.config.list_physical_devices("CPU")[0]
tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * 2)
import keras  # noqa: E402

strategy = tf.distribute.MirroredStrategy([d.name for d in tf.config.list_logical_devices("CPU")])
x = np.random.default_rng(0).normal(size=(64, 5, 1)).astype("float32")
y = x[:, -1]
with strategy.scope():
    model = keras.Sequential([keras.Input((5, 1)), keras.layers.GRU(2), keras.layers.Dense(1)])
    model.compile("adam", "mse", steps_per_execution=2)
try:
    model.fit(tf.data.Dataset.from_tensor_slices((x, y)).batch(8), epochs=1, verbose=0)
except tf.errors.InvalidArgumentError as e:
    print("fails" if "placeholder" in str(e) else f"other error: {e}")
else:
    print("works")
