"""Build and train a registry model on prepared windows: single models, ensembles, the ridge
baseline."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from forecast.config import FitOptions
from forecast.data.prepared import Prepared
from forecast.data.preprocess import (
    Preprocessing,
)
from forecast.models.registry import Architecture, build_model
from forecast.training.inference import PREDICT_BATCH


def architecture_for(name: str, prep: Preprocessing, options: FitOptions) -> Architecture:
    """Registry model ``name`` shaped for ``prep`` with ``options``' architecture settings
    (unset ones: the fixed defaults)."""
    options = options.plain()
    return Architecture(
        name,
        prep.window,
        len(prep.columns),
        prep.horizon,
        options.units,
        prep.target_index,
        prep.norm,
        layers=options.layers,
        calendar_periods=tuple(prep.calendar_periods),
        highway=options.highway,
        segment=options.segment,
        level_rows=max(prep.level_rows, 1),
    )


def build_for(name: str, prep: Preprocessing, options: FitOptions):
    """The Keras model of ``architecture_for``."""
    return build_model(architecture_for(name, prep, options))


def train_one(
    name: str,
    prepared: Prepared,
    options: FitOptions,
    verbose: int,
    checkpoint=None,
    log_dir: Path | None = None,
):
    """Build and train registry model ``name`` on ``prepared``; return ``(model, TrainResult)``.

    With ``log_dir``, TensorBoard logs go there (ensemble members: ``log_dir/member<k>``).

    With ``options.ensemble`` = K > 1, K members (seeds ``seed … seed + K - 1``) are trained and
    averaged into one model. With a ``forecast.training.train.Checkpoint`` (single models only),
    a checkpoint
    is saved after every epoch, and training continues from ``checkpoint.state`` when it is set.
    """
    options = options.plain()  # unset options: the fixed defaults
    if name == "linear":  # exact least squares instead of SGD under the epoch budget
        return train_linear(prepared, options)
    if options.ensemble == 1:
        return train_member(name, prepared, options, verbose, checkpoint, log_dir)
    from forecast.models.registry import average_models
    from forecast.training.train import combine_results

    members, results = [], []
    for k in range(options.ensemble):
        member_log = log_dir / f"member{k}" if log_dir is not None else None
        member, result = train_member(
            name, prepared, options.replace(seed=options.seed + k), verbose, None, member_log
        )
        members.append(member)
        results.append(result)
    return average_models(members, name), combine_results(results)


def train_linear(prepared: Prepared, options: FitOptions, penalty: float | None = None):
    """The ``linear`` model with its head set to the ridge solution
    (``forecast.training.linear``); ``penalty``: this one, not one chosen on validation."""
    from forecast.training.linear import fit_linear
    from forecast.training.train import set_seed

    set_seed(options.seed)
    model = build_for("linear", prepared.prep, options)
    result = fit_linear(
        model,
        prepared.dataset("train", PREDICT_BATCH),
        prepared.dataset("val", PREDICT_BATCH),
        prepared.prep.target_index,
        prepared.prep.level_rows,
        penalty,
    )
    return model, result


def train_member(
    name: str,
    prepared: Prepared,
    options: FitOptions,
    verbose: int,
    checkpoint,
    log_dir: Path | None = None,
):
    """One recurrent model, seeded with ``options.seed``; a highway model starts from the ridge
    solution on its linear path (recurrent path weighted zero) so training starts where the
    linear baseline ends.

    With ``--distribute`` or ``--mixed-precision`` the model is built, restored and trained inside
    ``forecast.training.distribute.training_scope``, and a plain float32 copy is returned for
    scoring and saving."""
    from forecast.training.distribute import plain_copy, steps_per_execution, training_scope
    from forecast.training.train import load_checkpoint_model, set_seed, train

    set_seed(options.seed)
    best = None
    with training_scope(options.distribute, options.mixed_precision):
        if checkpoint is not None and checkpoint.state is not None:
            model, best = load_checkpoint_model(checkpoint)
        else:
            model = build_for(name, prepared.prep, options)
            if options.highway:
                start_highway_at_ridge(model, prepared, options)
                set_seed(options.seed)
        result = train(
            model,
            prepared.dataset("train", options.batch_size, shuffle_seed=options.seed),
            prepared.dataset("val", options.batch_size),
            n_train_windows=len(prepared.starts["train"]),
            epochs=options.epochs,
            patience=options.patience,
            learning_rate=options.learning_rate,
            loss=options.loss,
            steps_per_execution=steps_per_execution(
                options.steps_per_execution, options.distribute
            ),
            verbose=verbose,
            checkpoint=checkpoint,
            best_weights=best,
            batch_size=options.batch_size,
            log_dir=log_dir,
        )
    if options.distribute != "none" or options.mixed_precision:
        model = plain_copy(model, lambda: build_for(name, prepared.prep, options))
    return model, result


def start_highway_at_ridge(model, prepared: Prepared, options: FitOptions) -> None:
    """Set the highway head to the linear baseline's ridge solution, frozen, and the recurrent head
    to zero: the model starts as the linear baseline and the recurrent path learns what it misses.
    (Training the highway jointly from there was worse on validation: bench/defaults_choice.py.)"""
    linear, _ = train_linear(prepared, options)
    start_highway_at(model, linear)


def start_highway_at(model, linear) -> None:
    """``start_highway_at_ridge`` from a trained ``linear`` model of the same windows."""
    highway = model.get_layer("highway")
    highway.set_weights(linear.get_layer("forecast").get_weights())
    highway.trainable = False
    head = model.get_layer("forecast")
    head.set_weights([np.zeros_like(w) for w in head.get_weights()])
