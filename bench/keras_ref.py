"""Replica of ../shared/bench/plain_keras_ref.py, unchanged except that --cell also takes rnn and hybrid
(LSTM(return_sequences) -> GRU), so every registry architecture has a plain-Keras reference, and
--steady prints the median rate of the epochs after the first (bench/steady.py).

Reference: the plain Keras way the seeds teach. Materialised NumPy windows, global scaler, model.fit.
Prints training samples/s of the last epoch (first epoch includes tracing)."""
import argparse, os, time
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
import numpy as np, pandas as pd
ap = argparse.ArgumentParser()
ap.add_argument("csv"); ap.add_argument("--window", type=int, default=96); ap.add_argument("--horizon", type=int, default=24)
ap.add_argument("--units", type=int, default=64); ap.add_argument("--batch-size", type=int, default=256)
ap.add_argument("--epochs", type=int, default=2); ap.add_argument("--cell", default="gru")
ap.add_argument("--steady", action="store_true", help="print the median rate of the epochs after the first")
a = ap.parse_args()
import keras
df = pd.read_csv(a.csv).drop(columns=["date"]).astype("float32")
x = df.to_numpy(); n = int(len(x) * 0.7); x = (x - x[:n].mean(0)) / x[:n].std(0)
y = x[:, -1]
idx = np.arange(n - a.window - a.horizon)
X = np.stack([x[i:i + a.window] for i in idx]); Y = np.stack([y[i + a.window:i + a.window + a.horizon] for i in idx])
Cells = {"gru": [keras.layers.GRU], "lstm": [keras.layers.LSTM], "rnn": [keras.layers.SimpleRNN],
         "hybrid": [lambda u: keras.layers.LSTM(u, return_sequences=True), keras.layers.GRU]}[a.cell]
m = keras.Sequential([keras.Input((a.window, x.shape[1])), *[C(a.units) for C in Cells], keras.layers.Dense(a.horizon)])
m.compile("adam", "mse")
class T(keras.callbacks.Callback):
    def on_epoch_begin(self, e, logs=None): self.s = time.perf_counter()
    def on_epoch_end(self, e, logs=None): self.d = time.perf_counter() - self.s; self.all = getattr(self, "all", []) + [self.d]
t = T(); m.fit(X, Y, batch_size=a.batch_size, epochs=a.epochs, verbose=0, callbacks=[t])
if a.steady:  # --steady: median of the epochs after the first (added here; not in the shared script)
    import statistics; print(round(len(X) / statistics.median(t.all[1:] or t.all), 1))
else:
    print(round(len(X) / t.d, 1))
