"""Does keras-team/keras#20585 still break ``model.fit`` under a plain
``tf.distribute.MultiWorkerMirroredStrategy``? One worker of a two-worker cluster (``TF_CONFIG``
set by tests/test_distribute.py); prints ``fails`` or ``works``."""

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

strategy = tf.distribute.MultiWorkerMirroredStrategy()
import keras  # noqa: E402

x = np.random.default_rng(0).normal(size=(64, 5, 1)).astype("float32")
y = x[:, -1]
with strategy.scope():
    model = keras.Sequential([keras.Input((5, 1)), keras.layers.GRU(2), keras.layers.Dense(1)])
    model.compile("adam", "mse")
try:
    model.fit(tf.data.Dataset.from_tensor_slices((x, y)).batch(8), epochs=1, verbose=0)
except ValueError as e:
    print("fails" if "PerReplica" in str(e) else f"other error: {e}")
else:
    print("works")
