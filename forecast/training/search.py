"""The staged search on validation behind ``forecast.training.selection``: score one candidate,
then norm, loss, and ``(window, segment)`` in turn. The test split is never read."""

from __future__ import annotations

import time
from dataclasses import replace

import numpy as np

from forecast.config import AUTO, FitOptions
from forecast.data.io import Series
from forecast.data.prepared import Prepared
from forecast.training import selection as grid
from forecast.training.selection import Selection


def validation_scores(model, prepared: Prepared) -> dict[str, float]:
    """``val_rmse`` (original units) and, for several series, ``val_mase``: the mean over series
    of each series' validation MAE divided by its in-sample seasonal-naive MAE (training rows,
    the run's season; M4's scale, ``forecast.evaluation.scoring.seasonal_scales``)."""
    from forecast.evaluation.scoring import seasonal_scales
    from forecast.training.inference import predict_part

    error = prepared.actual("val") - predict_part(model, prepared, "val")
    scores = {"val_rmse": float(np.sqrt(np.mean(error**2)))}
    if prepared.layout is None:
        return scores
    ids, scales, ratios = prepared.series_ids("val"), seasonal_scales(prepared), []
    for k in np.unique(ids):
        scale = scales[k]
        if scale > 0:
            ratios.append(float(np.mean(np.abs(error[ids == k]))) / scale)
    scores["val_mase"] = float(np.mean(ratios)) if ratios else float("nan")
    return scores


class Search:
    """Candidates trained on (possibly thinned) prepared data, each scored once.

    Args:
        series: the data.
        options: the options with ``auto`` where a choice is to be made.
        verbose, log: Keras verbosity and where a line per candidate goes.
    """

    def __init__(self, series: Series, options: FitOptions, verbose: int, log):
        self.series, self.options, self.verbose, self.log = series, options, verbose, log
        self.metric = "val_mase" if series.layout is not None else "val_rmse"
        self.prepared: dict[tuple, Prepared] = {}
        self.notes: dict[tuple, list[str]] = {}
        self.scored: dict[tuple, dict] = {}
        self.trained: dict[tuple, tuple] = {}
        self.thin: dict | None = None

    def prepare(self, window: int, norm: str) -> Prepared:
        """The data prepared for ``window`` and ``norm`` (cached; notes kept per key)."""
        from forecast.training.preparation import prepare

        key = (window, norm)
        if key not in self.prepared:
            before = list(self.series.notes)
            self.prepared[key] = prepare(
                self.series, self.options.replace(window=window, segment=1, norm=norm)
            )
            self.notes[key] = self.series.notes[len(before) :]  # e.g. the calendar check
            self.series.notes[:] = before
        return self.prepared[key]

    def searched(self, prepared: Prepared) -> Prepared:
        """``prepared`` thinned for the search when its training windows are many."""
        from forecast.training.preparation import thinned

        if len(prepared.starts["train"]) <= grid.SEARCH_WINDOWS:
            return prepared
        small = thinned(prepared, grid.SEARCH_WINDOWS)
        self.thin = {
            "train_windows": len(small.starts["train"]),
            "val_windows": len(small.starts["val"]),
            "epochs": min(self.options.epochs, grid.SEARCH_EPOCHS),
        }
        return small

    def score(self, window: int, segment: int, norm: str, loss: str) -> float:
        """Train and score one candidate (once); its score under ``self.metric``."""
        from forecast.training.fitting import train_one

        key = (window, segment, norm, loss)
        if key in self.scored:
            return self.decisive(self.scored[key])
        trial = self.options.replace(window=window, segment=segment, norm=norm, loss=loss)
        full = self.prepare(window, norm)
        data = self.searched(full)
        if data is not full:
            trial = trial.replace(
                epochs=min(trial.epochs, grid.SEARCH_EPOCHS),
                patience=min(trial.patience, grid.SEARCH_PATIENCE),
            )
        start = time.perf_counter()
        model, result = train_one(trial.model, data, trial, self.verbose)
        seconds = time.perf_counter() - start
        scores = validation_scores(model, data)
        row = {"window": window, "segment": segment, "norm": norm, "loss": loss}
        self.scored[key] = {**row, **scores, "seconds": round(seconds, 2)}
        if data is full:  # trained as fit trains: the winner is kept, not trained again
            self.trained[key] = (model, result)
        shown = ", ".join(f"{k} {v:.4g}" for k, v in scores.items())
        self.log(
            f"  window {window}, segment {segment}, norm {norm}, loss {loss}: {shown} "
            f"({seconds:.1f}s)"
        )
        return self.decisive(scores)

    def decisive(self, scores: dict) -> float:
        """The score that decides: ``self.metric``, or the RMSE where the mean MASE is undefined
        (every series forecast exactly by its seasonal naive in-sample: a scale of 0, for every
        candidate alike)."""
        value = scores[self.metric]
        return value if np.isfinite(value) else scores["val_rmse"]

    def best_of(self, keys: list[tuple]) -> tuple:
        """The key with the lowest score among ``keys`` (each scored if it was not)."""
        return min(keys, key=lambda k: (self.score(*k), keys.index(k)))


def provisional(pairs: list[tuple], season: int) -> tuple:
    """The ``(window, segment)`` at which norm and loss are chosen: the longest window of the
    grid up to a week of seasons, segment-wise when the grid has it."""
    short = [p for p in pairs if p[0] <= 7 * max(season, 1)] or pairs
    longest = max(w for w, _ in short)
    return max((p for p in short if p[0] == longest), key=lambda p: p[1])


def choose_on_validation(series: Series, options: FitOptions, verbose: int, log) -> Selection:
    """Resolve every ``auto`` among window, segment, norm and loss on validation; return the
    winner trained as ``fit`` trains, with the grid of every candidate."""
    from forecast.training.defaults import positive_target
    from forecast.training.fitting import train_one

    options = options.plain()  # unset options (not auto): the fixed defaults
    season = grid.season_of(series, options)
    pairs = grid.candidates(options, season, series.freq, grid.largest_window(series, options))
    norms = list(grid.NORMS_TRIED) if options.norm == AUTO else [options.norm]
    if options.norm == AUTO and not positive_target(series, options):
        norms = ["window"]
    losses = list(grid.LOSSES_TRIED) if options.loss == AUTO else [options.loss]
    search = Search(series, options, verbose, log)
    for w in dict.fromkeys(w for w, _ in pairs):  # bad input fails before anything is printed
        search.prepare(w, norms[0])
    pairs = affordable(pairs, search.prepare(pairs[0][0], norms[0]))
    chosen = [name for name in ("window", "segment", "norm", "loss") if options_auto(options, name)]
    n = len(pairs) + len(norms) - 1 + len(losses) - 1
    what = " and ".join([", ".join(chosen[:-1]), chosen[-1]] if len(chosen) > 1 else chosen)
    log(f"choosing {what} on validation: {n} candidate(s) ({search.metric}, season {season})")
    window, segment = provisional(pairs, season)
    norm = search.best_of([(window, segment, n, losses[0]) for n in norms])[2]
    loss = search.best_of([(window, segment, norm, x) for x in losses])[3]
    window, segment = search.best_of([(w, s, norm, loss) for w, s in pairs])[:2]
    key = (window, segment, norm, loss)
    winner = options.replace(window=window, segment=segment, norm=norm, loss=loss)
    log(
        f"chose window {window}, segment {segment}, norm {norm}, loss {loss} (lowest "
        f"{search.metric})"
    )
    prepared = search.prepare(window, norm)
    if key in search.trained:
        model, result = search.trained[key]
    else:
        log("training the chosen candidate on every training window ...")
        model, result = train_one(winner.model, prepared, winner, verbose)
    series.notes.extend(search.notes[(window, norm)])
    best = Selection(winner, list(search.scored.values()), search.metric, search.thin)
    return replace(best, prepared=prepared, model=model, result=result)


def affordable(pairs: list[tuple], prepared: Prepared) -> list[tuple]:
    """``pairs`` without the point-wise ones when the data is large (a thinned search) and
    segment-wise ones exist: a point-wise window of W rows costs W recurrent steps per window
    (24 to 48 here, against 2 to 14 segment-wise), and on hourly data segments won
    (docs/choices.md)."""
    if len(prepared.starts["train"]) <= grid.SEARCH_WINDOWS:
        return pairs
    return [p for p in pairs if p[1] > 1] or pairs


def options_auto(options: FitOptions, name: str) -> bool:
    return getattr(options, name) == AUTO
