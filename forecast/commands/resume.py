"""A fit that survives interruption: the per-epoch checkpoint ``<out>.partial``, what it must
match to be resumed (the same options and data), and training that keeps it."""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

from forecast import runs
from forecast.config import FitOptions
from forecast.data.prepared import Prepared
from forecast.errors import ForecastError
from forecast.training.fitting import train_one
from forecast.training.selection import is_auto


def checkpoint_dir(out: Path) -> Path:
    """The resumable checkpoint of run ``out``: ``<out>.partial`` beside it."""
    return out.with_name(f"{out.name}.partial")


def tensorboard_dir(out: Path, options: FitOptions) -> Path | None:
    """Where ``--tensorboard`` logs go while training: ``.<out>.tensorboard`` beside ``out``
    (kept with the checkpoint for ``--resume``; moved to ``RUN_DIR/tensorboard`` at the end)."""
    return out.with_name(f".{out.name}.tensorboard") if options.tensorboard else None


def read_checkpoint(out: Path) -> dict:
    """``state.json`` of ``out``'s checkpoint, or an error saying there is nothing to resume."""
    path = checkpoint_dir(out)
    if not (path / "state.json").is_file():
        raise ForecastError(
            f"--resume {out}: no checkpoint at {path} (it is written after each epoch of an "
            "interrupted fit); run fit without --resume"
        )
    state = runs.read_json(path, "state.json")
    keys = {"options": dict, "sha256": str, "epoch": int, "history": dict, "best": float | int}
    bad = [k for k, t in keys.items() if not isinstance(state.get(k), t)]
    if bad:
        raise ForecastError(
            f"{path / 'state.json'} is damaged ({', '.join(bad)}); delete {path} and fit again"
        )
    return state


def resume_options(out: Path, overrides: dict, flags: dict) -> FitOptions:
    """The interrupted run's options, with ``--config`` / flag values that must not change them."""
    saved = read_checkpoint(out)["options"]
    options = FitOptions.from_dict({**saved, **overrides}).replace(**flags)
    changed = [k for k, v in options.to_dict().items() if saved.get(k) != v]
    if changed:
        old = ", ".join(f"{k}={saved.get(k)!r}" for k in changed)
        raise ForecastError(
            f"--resume {out}: the interrupted run used {old}; resume with the same options, or "
            "fit again without --resume"
        )
    return options


@dataclass
class Resumable:
    """Where a fit keeps its per-epoch checkpoint and what it must match to be resumed.

    Attributes:
        out: the run directory (the checkpoint is ``<out>.partial``).
        csv: the data file; sha256: its digest.
        state: the checkpoint's ``state.json`` when resuming, else ``None``.
        chief: whether this process writes (the non-chief workers of a multi-worker run do not).
    """

    out: Path
    csv: Path
    sha256: str
    state: dict | None
    chief: bool


def checked_state(resumable: Resumable, options: FitOptions, resume: bool, overwrite: bool):
    """The checkpoint state to resume from (``None`` for a fresh fit), after checking that the
    options and the data are the interrupted run's, or that no checkpoint is in the way."""
    out, partial = resumable.out, checkpoint_dir(resumable.out)
    if not resume:
        if partial.exists() and not overwrite:
            raise ForecastError(
                f"{partial} holds a checkpoint of an interrupted fit; continue it with --resume "
                f"{out}, or pass --overwrite to start again"
            )
        return None
    if is_auto(options):
        raise ForecastError(
            f"--resume {out}: a fit with --window/--segment auto trains several candidates and "
            "keeps no checkpoint; fit again"
        )
    state = read_checkpoint(out)
    if state["options"] != options.to_dict():
        raise ForecastError(f"--resume {out}: the options differ from the interrupted run's")
    if state["sha256"] != resumable.sha256:
        raise ForecastError(
            f"--resume {out}: {resumable.csv} is not the CSV the interrupted run trained on "
            "(SHA-256 differs); pass the same file, or fit again without --resume"
        )
    return state


def train_resumable(options: FitOptions, prepared: Prepared, resumable: Resumable, verbose, log):
    """``train_one`` with a checkpoint ``<out>.partial`` after every epoch (continued from
    ``resumable.state``); Ctrl-C keeps it and says how to resume."""
    from forecast.training.train import Checkpoint

    out, partial, state = resumable.out, checkpoint_dir(resumable.out), resumable.state
    if state is not None:
        log(f"resuming {options.model} after epoch {state['epoch']} from {partial} ...")
    else:
        if resumable.chief:
            shutil.rmtree(partial, ignore_errors=True)
            if options.tensorboard:  # logs of an earlier, abandoned fit
                shutil.rmtree(tensorboard_dir(out, options), ignore_errors=True)
        log(f"training {options.model} ...")
    meta = {"options": options.to_dict(), "sha256": resumable.sha256}
    checkpoint = Checkpoint(partial, meta, state, write=resumable.chief)
    try:
        board = tensorboard_dir(out, options) if resumable.chief else None  # the chief logs
        return train_one(options.model, prepared, options, verbose, checkpoint, board)
    except KeyboardInterrupt:
        if (partial / "state.json").is_file():
            raise KeyboardInterrupt(
                f"checkpoint kept in {partial}; continue with: forecast fit {resumable.csv} "
                f"--resume {out}"
            ) from None
        raise
