"""The keras-tuner side of ``forecast tune``: the Bayesian oracle that runs the starting options
first, its fast proposal step, and the ``Tuner`` whose trials call back into ``forecast``.

The same oracle serves an in-process search and, on the chief of a distributed search, the
workers' gRPC requests (``forecast.commands.tune_cluster``); the same tuner runs an in-process
search and, on a worker, the trials the chief hands out.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from pathlib import Path

import numpy as np

from forecast.commands.tune_space import COLUMNS, hyperparameters, options_for
from forecast.config import FitOptions

CANDIDATES = 2000  # random points on which the acquisition is evaluated (see ``propose``)

METRICS = ("val_rmse", "epochs", "seconds")  # what a trial reports to the oracle


def propose(oracle) -> dict | None:
    """The untried point that minimises the Gaussian process's lower confidence bound
    ``mu - beta * sigma`` over ``CANDIDATES`` random points of the space, or ``None``.

    keras-tuner's own ``populate_space`` minimises the same bound with 50 L-BFGS-B restarts on
    numerical gradients: 50-60 s per proposal on 2 busy CPU cores, a large share of a budget of
    a few minutes. One vectorised prediction over random candidates takes milliseconds, and the
    space is mostly discrete anyway. Proposals already tried (or running on a worker) are
    skipped; running trials enter the fit with a pessimistic hallucinated score.
    """
    import warnings

    from sklearn.exceptions import ConvergenceWarning

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)  # a few points, a flat likelihood
        x, y = oracle._vectorize_trials()
        x = np.nan_to_num(x, posinf=0, neginf=0)
        y = np.nan_to_num(y, posinf=0, neginf=0)
        bounds = oracle._get_hp_bounds()
        candidates = oracle._random_state.uniform(
            bounds[:, 0], bounds[:, 1], size=(CANDIDATES, bounds.shape[0])
        )
        oracle.gpr.fit(x, y)
        mu, sigma = oracle.gpr.predict(candidates, return_std=True)
    for i in np.argsort(mu - oracle.beta * sigma):
        values = oracle._vector_to_values(candidates[i])
        if not oracle._duplicate(values):
            return values
    return None


def progress_line(i: int, n: int, rmse: float, best: float, left_seconds: float) -> str:
    """``trial i/N  val RMSE x  best so far y  (time left ~m:ss)``."""
    left = max(0, int(round(left_seconds)))
    return (
        f"trial {i}/{n}  val RMSE {rmse:.4g}  best so far {best:.4g}  "
        f"(time left ~{left // 60}:{left % 60:02d})"
    )


def make_row(trial: int, options: FitOptions, rmse: float, epochs, seconds: float) -> dict:
    """A ``trials.csv`` row: the trial's number, the options a trial sets, its validation
    RMSE, epochs run and seconds."""
    return {
        "trial": trial,
        **{k: getattr(options, k) for k in COLUMNS},
        "val_rmse": rmse,
        "epochs": epochs,
        "seconds": round(seconds, 2),
    }


def trial_metrics(row: dict) -> dict[str, float]:
    """The metrics a trial reports to the oracle: enough for the chief to rebuild its
    ``trials.csv`` row (the options come from the trial's hyper-parameters)."""
    return {k: float(row[k]) for k in METRICS}


def make_oracle(
    start: FitOptions,
    choices: dict[str, list],
    trials: int,
    keep_going: Callable[[], bool],
    on_end: Callable[[object, str | None], None] | None = None,
):
    """A ``BayesianOptimizationOracle`` that runs the starting options first and stops proposing
    trials once ``keep_going()`` is false; ``on_end(trial, tuner_id)`` is called (under the
    oracle's lock) after each trial ended, with the id of the tuner that ran it."""
    import keras_tuner

    start = start.plain()  # options left to the data start from the fixed defaults
    from keras_tuner.engine.trial import TrialStatus

    class StartFirstOracle(keras_tuner.oracles.BayesianOptimizationOracle):
        def populate_space(self, trial_id):
            if not keep_going():
                return {"status": TrialStatus.STOPPED, "values": None}
            if not self.trials:
                values = {k: getattr(start, k) for k in choices}
                return {"status": TrialStatus.RUNNING, "values": values}
            done = [t for t in self.trials.values() if t.status == TrialStatus.COMPLETED]
            if len(done) < self.num_initial_points:
                return self._random_populate_space()
            values = propose(self)
            if values is None:
                return self._random_populate_space()
            return {"status": TrialStatus.RUNNING, "values": values}

        def _retry(self, trial):
            """keras-tuner's retry rule without its print: a trial ended ``INVALID`` (only a
            worker that was interrupted ends one so) goes to the next worker, once."""
            if trial.status != TrialStatus.INVALID:
                return False
            if self._run_times[trial.trial_id] > self.max_retries_per_trial:
                trial.status = TrialStatus.FAILED
                return False
            self._retry_queue.append(trial.trial_id)
            return True

        @keras_tuner.synchronized
        def end_trial(self, trial):
            ran_by = [k for k, t in self.ongoing_trials.items() if t.trial_id == trial.trial_id]
            super().end_trial(trial)
            if on_end is not None:
                on_end(self.trials[trial.trial_id], ran_by[0] if ran_by else None)

    oracle = StartFirstOracle(
        objective=keras_tuner.Objective("val_rmse", direction="min"),
        max_trials=trials,
        num_initial_points=max(2, math.ceil(trials / 3)),
        hyperparameters=hyperparameters(choices, start),
        seed=start.seed,
        max_retries_per_trial=1,
        max_consecutive_failed_trials=trials + 1,
    )
    oracle.verbose = 0  # our own progress line replaces keras-tuner's tables
    return oracle


def make_tuner(
    oracle,
    start: FitOptions,
    on_trial: Callable[[FitOptions, str], dict],
    directory: Path,
    worker: bool = False,
):
    """A keras-tuner ``Tuner`` on ``oracle`` whose trials call ``on_trial(options, trial_id)``
    (which returns the trial's row, ``val_rmse`` included).

    An error ends the search and a non-finite RMSE fails the trial. On a worker
    (``KERASTUNER_TUNER_ID=tunerN``: keras-tuner swaps the oracle for a gRPC client of the
    chief's) every result goes to the chief as ``trial_metrics``, a non-finite one included; an
    error first ends the trial as failed on the chief (so that the chief does not wait for it),
    and a Ctrl-C (or SIGTERM) as invalid, which the chief hands to the next worker.
    """
    import keras_tuner
    from keras_tuner.engine.trial import TrialStatus

    class ForecastTuner(keras_tuner.Tuner):
        def run_trial(self, trial, *args, **kwargs):
            try:
                row = on_trial(options_for(start, trial.hyperparameters.values), trial.trial_id)
            except KeyboardInterrupt:
                if worker:  # the chief hands the trial to another worker
                    self.tell_chief(trial, TrialStatus.INVALID, f"interrupted on {self.tuner_id}")
                raise
            except Exception as e:  # keras-tuner would log and swallow it
                self.error = e
                if worker:  # so that the chief does not wait for this trial
                    self.tell_chief(trial, TrialStatus.FAILED, f"{type(e).__name__}: {e}")
                raise keras_tuner.errors.FatalError(str(e)) from e
            if not math.isfinite(row["val_rmse"]):
                if worker:  # the chief's trials.csv keeps the row
                    self.oracle.update_trial(trial.trial_id, trial_metrics(row))
                raise keras_tuner.errors.FailedTrialError("validation RMSE is not finite")
            return trial_metrics(row) if worker else row["val_rmse"]

        def tell_chief(self, trial, status: str, message: str) -> None:
            trial.status, trial.message = status, message
            self.oracle.end_trial(trial)

    tuner = ForecastTuner(
        oracle=oracle, directory=str(directory), project_name="keras_tuner", overwrite=True
    )
    tuner.error = None
    return tuner
