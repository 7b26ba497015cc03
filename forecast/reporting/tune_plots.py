"""tuning.png: validation RMSE per trial against the linear baseline."""

from __future__ import annotations

import math

import numpy as np


def plot_tuning(ax, val_rmse: list[float], linear_rmse: float, model: str):
    """Validation RMSE per trial, the best so far, and the linear baseline as a reference."""
    trials = np.arange(1, len(val_rmse) + 1)
    values = np.asarray(val_rmse, dtype=float)
    ax.plot(trials, values, "o", label=f"{model} trial")
    ax.step(trials, np.fmin.accumulate(values), where="post", label="best so far")
    ax.annotate("given options", (1, values[0]), xytext=(6, -12), textcoords="offset points")
    if math.isfinite(linear_rmse):
        ax.axhline(linear_rmse, color="grey", ls="--", label="linear baseline")
    ax.set_xlabel("trial")
    ax.set_ylabel("validation RMSE (target units)")
    ax.set_xticks(trials)
    ax.legend()
    return ax
