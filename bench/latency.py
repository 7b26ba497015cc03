"""Inference latency of a saved run's model: one window through ``model.predict`` (what
``forecast predict`` does), one window through a direct eager call, and one batch through
``model.predict``. Prints one JSON line."""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def best_of(fn, repeats: int) -> float:
    fn()  # warm up: tracing
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> None:
    run_dir, batch = Path(sys.argv[1]), int(sys.argv[2]) if len(sys.argv) > 2 else 256
    import keras
    import numpy as np

    import forecast.models.layers  # noqa: F401  (registers the custom layers)

    model = keras.saving.load_model(run_dir / "model.keras", safe_mode=True)
    _, window, n_features = model.input_shape
    rng = np.random.default_rng(0)
    one = rng.normal(size=(1, window, n_features)).astype("float32")
    many = rng.normal(size=(batch, window, n_features)).astype("float32")
    per_window = best_of(lambda: model.predict(one, verbose=0), 20)
    eager = best_of(lambda: model(one, training=False), 5)
    per_batch = best_of(lambda: model.predict(many, batch_size=batch, verbose=0), 5)
    print(
        json.dumps(
            {
                "model": model.name,
                "window": window,
                "n_features": n_features,
                "batch": batch,
                "ms_per_window_predict": round(per_window * 1e3, 3),
                "ms_per_window_eager_call": round(eager * 1e3, 3),
                "ms_per_batch_predict": round(per_batch * 1e3, 3),
                "ms_per_window_in_batch": round(per_batch * 1e3 / batch, 4),
            }
        )
    )


if __name__ == "__main__":
    main()
