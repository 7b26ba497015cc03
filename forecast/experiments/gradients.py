"""Vanishing gradients, measured: how strongly does the loss at the end of an adding-problem
sequence reach back to each input step?

For a batch of sequences, ``norm[t]`` is the mean over sequences of ``‖∂ loss_i / ∂ x_{i,t}‖₂``
(``loss_i`` the squared error of sequence ``i``, ``x_{i,t}`` its two input channels at step ``t``).
A plain tanh RNN multiplies the gradient by the recurrent Jacobian once per step back, so its norm
falls geometrically from ``t = T`` towards ``t = 1``; the LSTM's additive cell state (and the GRU's
interpolating update) let it pass back nearly undamped. Each architecture is measured at
initialisation (the exact weights its training started from) and after training. A gradient can
underflow float32 inside backpropagation (below ~1e-45) and read exactly 0; the plot leaves such
steps out.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from forecast.experiments.adding import adding_batch


def input_gradient_norms(model, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """``(length,)`` float64: mean over sequences of ``‖∂ (ŷ_i - y_i)² / ∂ x_{i,t}‖₂``.

    Args:
        model: maps ``(n, length, 2)`` to ``(n, 1)``.
        x: ``(n, length, 2)`` inputs.
        y: ``(n, 1)`` targets.
    """
    import tensorflow as tf

    x = tf.convert_to_tensor(x, dtype=tf.float32)
    with tf.GradientTape() as tape:
        tape.watch(x)
        loss = tf.reduce_sum(tf.square(model(x, training=False) - y))
    grad = tf.cast(tape.gradient(loss, x), tf.float64)  # float64: tiny norms must not underflow
    return tf.reduce_mean(tf.norm(grad, axis=-1), axis=0).numpy()


def gradient_record(result, n: int = 512) -> dict:
    """Gradient norms of every model of a memory run, at initialisation and after training.

    Uses the longest length and last seed of ``result`` (a
    ``forecast.experiments.memory.MemoryResult``) and
    one batch of ``n`` fresh sequences, the same for every model.

    Returns:
        The gradients.json document: ``{"length", "seed", "n_sequences", "measure", "models":
        {name: {"init": [length floats], "trained": [...], "init_first_over_last",
        "trained_first_over_last"}}}``.
    """
    from forecast.experiments.memory import data_rng, init_model

    length, seed = max(result.lengths), result.seeds[-1]
    x, y = adding_batch(data_rng(seed, length, 3), n, length)
    models = {}
    for name in result.models:
        norms = {
            "init": input_gradient_norms(
                init_model(name, length, seed, result.settings.units), x, y
            ),
            "trained": input_gradient_norms(result.trained[name], x, y),
        }
        models[name] = {stage: v.tolist() for stage, v in norms.items()} | {
            f"{stage}_first_over_last": float(v[0] / v[-1]) for stage, v in norms.items()
        }
    return {
        "length": length,
        "seed": seed,
        "n_sequences": n,
        "measure": "mean over sequences of ||d (y_hat - y)^2 / d x_t||_2, t = 1..length",
        "models": models,
    }


def plot_gradients(ax, record: dict, stage: str = "init"):
    """``‖∂ loss / ∂ x_t‖`` against ``t`` (log scale), one line per model, for ``stage``
    ``"init"`` or ``"trained"``."""
    t = np.arange(1, record["length"] + 1)
    for name, norms in record["models"].items():
        values = np.asarray(norms[stage], dtype=float)
        ax.plot(t, np.where(values > 0, values, np.nan), label=name)
    ax.set_yscale("log")
    ax.set_xlabel("input step t (the loss is read after step T)")
    ax.set_ylabel("‖∂ loss / ∂ x_t‖")
    ax.set_title("at initialisation" if stage == "init" else "after training")
    ax.legend(fontsize="small")
    return ax


def save_gradient_plot(path: Path, record: dict) -> None:
    from forecast.reporting.plots import plt, save

    fig, axes = plt.subplots(1, 2, figsize=(11, 4.5), layout="constrained", sharey=True)
    for ax, stage in zip(axes, ("init", "trained"), strict=True):
        plot_gradients(ax, record, stage)
    fig.suptitle(f"adding problem, T = {record['length']}: gradient reaching each input step")
    save(fig, path)
