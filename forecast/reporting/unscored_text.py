"""The terminal text of a fit that scored nothing (``--split auto,VAL,0``: no test rows)."""

from __future__ import annotations


def unscored_report(metrics: dict) -> str:
    """What was trained and on what, the validation errors (labelled as such), and how to get
    the forecast; no scores, baselines or verdict: no rows were held out to judge the model."""
    validation = metrics["validation"]
    linear = validation.get("linear")
    errors = f"validation RMSE {validation['rmse']:.4g}, MAE {validation['mae']:.4g}"
    if linear is not None:
        errors += f" (linear baseline: RMSE {linear['rmse']:.4g}, MAE {linear['mae']:.4g})"
    return "\n".join(
        [
            f"{metrics['unscored_reason']} (no test RMSE, baselines or verdict)",
            f"{metrics['model']}: {metrics['epochs_run']} epoch(s) (best {metrics['best_epoch']}) "
            f"on {metrics['n_train_windows']} training windows, early stopping on "
            f"{metrics['n_val_windows']} validation windows",
            f"{errors}: optimistic, those windows chose the epoch",
            "forecast the next steps with: forecast predict RUN_DIR",
        ]
    )
