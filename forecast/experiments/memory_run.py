"""The adding-problem experiment end to end: every cell trained, gradients recorded, memory.json
written."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

from forecast import runs
from forecast.errors import ForecastError
from forecast.experiments.memory import (
    DEFAULT_LENGTHS,
    QUICK_LENGTHS,
    MemoryResult,
    MemorySettings,
    run_cells,
)


def run_memory(
    models: list[str],
    lengths: list[int] | None = None,
    out: Path | None = None,
    seeds: int = 3,
    seed: int = 42,
    quick: bool = False,
    settings: MemorySettings | None = None,
    overwrite: bool = False,
    log: Callable[[str], None] = print,
) -> MemoryResult:
    """The memory experiment: every model × length × seed, then the gradient norms.

    Args:
        models: registry names.
        lengths: sequence lengths (default ``DEFAULT_LENGTHS``, or ``QUICK_LENGTHS`` if ``quick``).
        out: directory for memory.json, memory.png, gradients.json and gradients.png, written
            atomically; ``None`` writes nothing (e.g. from a notebook).
        seeds: seeds per cell: ``seed``, ``seed + 1``, …
        quick: tiny CI budget (``MemorySettings.quick()``) unless ``settings`` is given.

    Returns:
        A ``MemoryResult``; its ``gradients`` attribute holds the gradient-norm record.
    """
    from forecast.experiments.gradients import gradient_record, save_gradient_plot
    from forecast.experiments.memory_report import memory_json, save_memory_plot

    if seeds < 1:
        raise ForecastError(f"--seeds {seeds} must be at least 1; e.g. --seeds 3")
    if out is not None:
        runs.check_out_dir(out, overwrite)
    settings = settings or (MemorySettings.quick() if quick else MemorySettings())
    lengths = list(lengths or (QUICK_LENGTHS if quick else DEFAULT_LENGTHS))
    wall, cpu = time.perf_counter(), time.process_time()
    result = run_cells(models, lengths, [seed + k for k in range(seeds)], settings, log)
    log(f"gradients: d loss / d x_t at L={max(lengths)}, before and after training ...")
    result.gradients = gradient_record(result, n=256 if quick else 512)
    result.timing = {
        "wall_seconds": time.perf_counter() - wall,
        "cpu_seconds": time.process_time() - cpu,
    }
    if out is not None:
        with runs.staged_dir(out) as tmp:
            runs.write_json(tmp / "memory.json", memory_json(result))
            save_memory_plot(tmp / "memory.png", result)
            runs.write_json(tmp / "gradients.json", result.gradients)
            save_gradient_plot(tmp / "gradients.png", result.gradients)
    return result


def memory_settings(
    quick: bool = False,
    units: int | None = None,
    batch: int | None = None,
    max_steps: int | None = None,
) -> MemorySettings:
    """The default (or ``quick``) settings with the options given on the command line."""
    given = {"units": units, "batch": batch, "max_steps": max_steps}
    flag = {"units": "--units", "batch": "--batch-size", "max_steps": "--max-steps"}
    for key, value in given.items():
        if value is not None and value < 1:
            raise ForecastError(f"{flag[key]} {value} must be at least 1; e.g. {flag[key]} 32")
    base = MemorySettings.quick() if quick else MemorySettings()
    return replace(base, **{k: v for k, v in given.items() if v is not None})
