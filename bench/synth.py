# Copy of ../shared/bench/synth.py so the bench is self-contained.
"""Write a synthetic hourly CSV: N rows, F columns (y = target), daily + weekly seasonality, trend, noise."""
import sys
import numpy as np, pandas as pd
n, f, out = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
rng = np.random.default_rng(0)
t = np.arange(n)
base = 10 + 0.0005 * t + 3 * np.sin(2 * np.pi * t / 24) + 1.5 * np.sin(2 * np.pi * t / 168)
cols = {"date": pd.date_range("2000-01-01", periods=n, freq="h")}
for j in range(f - 1):
    cols[f"x{j}"] = base * (0.5 + 0.1 * j) + rng.normal(0, 1, n).cumsum() * 0.05 + rng.normal(0, 0.3, n)
cols["y"] = base + rng.normal(0, 0.5, n)
pd.DataFrame(cols).to_csv(out, index=False, float_format="%.4f")
