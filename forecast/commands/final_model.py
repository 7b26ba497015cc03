"""The model a run forecasts with: after scoring, the same configuration refit on every row
(``final_model.keras``, and the linear baseline likewise, ``final_linear.keras``), with the facts
of that refit in metrics.json ``final``.

``fit`` refits its model; ``compare`` refits the first seed of its best architecture only
(``refit_best``: one training more, not one per run). ``predict`` uses the final model unless
told ``--use scored``; ``evaluate`` keeps the scored model, since the final one has trained on
the test rows.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from forecast import runs
from forecast.config import FitOptions
from forecast.data.prepared import Prepared
from forecast.training.refit import EPOCH_RULE, on_rows_through, refit, refit_epochs

EPOCH_RULE_TEXT = {
    "epochs": "the scored fit's best epoch (each window seen as often as in the scored fit)",
    "steps": "the scored fit's best epoch scaled to the same number of gradient steps",
}
INTERVALS_TEXT = (
    "calibrated on the scored model's validation residuals (no held-out rows remain for the "
    "refit model)"
)


@dataclass
class FinalModels:
    """The refit models and metrics.json ``final``.

    Attributes:
        model: the run's configuration refit on every row.
        linear: the linear baseline refit on every row (``None`` when the run is the linear
            model itself, or the run has no linear baseline).
        record: metrics.json ``final``.
    """

    model: object
    linear: object | None
    record: dict


def fit_final(
    options: FitOptions,
    prepared: Prepared,
    result,
    linear_result,
    verbose: int = 0,
    log=print,
) -> FinalModels | None:
    """Refit ``options``' configuration on every row of ``prepared`` (``options.final`` is
    ``"all"``; ``None`` for ``"none"``).

    Args:
        options: the scored run's options (window, segment resolved).
        prepared: the scored run's prepared series (its scaler is kept).
        result: the scored training's ``TrainResult`` (its best epoch per member).
        linear_result: the linear baseline's ``TrainResult`` (its ridge penalty, chosen on
            validation); ``None`` when the run is the linear model (its own penalty is used).
        verbose: Keras verbosity.
        log: where the progress line goes.
    """
    if options.final == "none":
        return None
    everything = on_rows_through(prepared, "test")
    n_train, n_all = len(prepared.starts["train"]), len(everything.starts["train"])
    linear_penalty = linear_result.ridge_penalty if linear_result is not None else None
    penalty = result.ridge_penalty if options.model == "linear" else linear_penalty
    bests = list(result.member_best_epochs) or [result.best_epoch]
    epochs = [refit_epochs(b, n_train, n_all) for b in bests]
    what = "the ridge solution" if options.model == "linear" else f"{epochs[0]} epoch(s)"
    log(
        f"refitting {options.model} on every row for predict: {n_all} windows (scored on "
        f"{n_train}), {what}, no early stopping ..."
    )
    final = refit(everything, options, epochs, penalty, verbose)
    linear = None
    if options.model != "linear" and penalty is not None:
        linear_options = options.replace(model="linear", ensemble=1, highway=False)
        linear = refit(everything, linear_options, [], penalty).model
    record = final_record(options, final, n_train, linear is not None)
    return FinalModels(final.model, linear, record)


def final_record(options: FitOptions, final, n_train: int, with_linear: bool) -> dict:
    """metrics.json ``final``: which file, what it trained on and how, and what it reuses from
    the scored fit."""
    record = {
        "file": runs.FINAL_FILE,
        "from": "all rows",
        "n_windows": final.n_windows,
        "n_scored_train_windows": n_train,
        "epochs": final.epochs[0] if final.epochs else None,
        "epoch_rule": EPOCH_RULE_TEXT[EPOCH_RULE] if final.epochs else "ridge, same penalty",
        "seconds": final.seconds,
        "scaler": "fitted on the training rows (preprocessing.json), as for the scored model",
        "intervals": INTERVALS_TEXT,
    }
    if len(final.epochs) > 1:
        record["member_epochs"] = final.epochs
    if with_linear:
        record["linear_file"] = runs.FINAL_LINEAR_FILE
    if options.combine == "linear":
        record["combination"] = (
            "weight fit on validation with the scored model and linear baseline, applied to the "
            "final ones"
        )
    return record


def save_final(directory: Path, final: FinalModels | None) -> None:
    """``final_model.keras`` (and ``final_linear.keras``) into ``directory``."""
    if final is None:
        return
    final.model.save(directory / runs.FINAL_FILE)
    if final.linear is not None:
        final.linear.save(directory / runs.FINAL_LINEAR_FILE)


def refit_best(
    directory: Path, results: dict, prepared: Prepared, linear_result, verbose: int = 0, log=print
) -> str | None:
    """``compare``: refit the first seed of the best architecture (comparison.json
    ``best_model``) on every row, into its run directory (final_model.keras, final_linear.keras,
    metrics.json ``final``); the other runs keep their scored model only. Returns the run's name,
    or ``None`` when its options say ``--final none`` or Ctrl-C stopped the refit.

    Args:
        directory: the comparison directory being written (comparison.json already in it).
        results: the comparison's ``ModelRuns`` per cell.
        prepared: the series every run was trained on.
        linear_result: the shared linear baseline's ``TrainResult`` (its ridge penalty).
    """
    from types import SimpleNamespace

    cell = runs.read_json(directory, "comparison.json")["best_model"]
    name = f"{cell}-seed{results[cell].metrics[0]['seed']}"
    metrics = runs.read_json(directory / name, "metrics.json")
    config = runs.read_json(directory / name, "config.json")
    options = FitOptions.from_dict({k: v for k, v in config.items() if k not in NOT_OPTIONS})
    scored = SimpleNamespace(
        best_epoch=metrics["best_epoch"],
        member_best_epochs=tuple(metrics.get("member_best_epochs", ())),
        ridge_penalty=linear_result.ridge_penalty,  # the linear model is the shared baseline
    )
    try:
        final = fit_final(options, prepared, scored, linear_result, verbose, log)
    except KeyboardInterrupt:
        log(f"interrupted: {name} keeps its scored model only (no {runs.FINAL_FILE})")
        return None
    if final is None:
        return None
    save_final(directory / name, final)
    runs.write_json(directory / name / "metrics.json", {**metrics, "final": final.record})
    log(f"{name}: {runs.FINAL_FILE} written (the best architecture, refit on every row)")
    return name


NOT_OPTIONS = ("data", "versions")  # config.json keys beside FitOptions.to_dict()
