"""forecast: train and compare recurrent forecasters on a time series, honestly.

The public API is what ``__all__`` lists; every submodule is private. Start with::

    import forecast
    run = forecast.fit("data/weather.csv", model="gru")
    run.table

Names are imported on first use, so ``import forecast`` (and ``forecast --help``) stays fast.
"""

from __future__ import annotations

import importlib

from forecast.version import __version__

# public name -> (module, name there)
_PUBLIC = {
    "Backtest": ("forecast.results", "Backtest"),
    "BacktestComparison": ("forecast.results", "BacktestComparison"),
    "Comparison": ("forecast.results", "Comparison"),
    "FitOptions": ("forecast.config", "FitOptions"),
    "ForecastError": ("forecast.errors", "ForecastError"),
    "Run": ("forecast.results", "Run"),
    "architectures": ("forecast.api", "architectures"),
    "backtest": ("forecast.api", "backtest"),
    "compare": ("forecast.api", "compare"),
    "dm_test": ("forecast.evaluation.significance", "dm_test"),
    "fit": ("forecast.api", "fit"),
    "inspect": ("forecast.api", "inspect"),
    "load": ("forecast.api", "load"),
    "load_memory": ("forecast.experiments.memory_report", "load_memory"),
    "memory_summary": ("forecast.experiments.memory_report", "summarise"),
    "memory_table": ("forecast.experiments.memory_report", "memory_table"),
    "memory_test": ("forecast.api", "memory_test"),
    "merge_backtests": ("forecast.api", "merge_backtests"),
    "origin_losses": ("forecast.evaluation.significance", "origin_losses"),
    "plot_gradients": ("forecast.experiments.gradients", "plot_gradients"),
    "plot_memory": ("forecast.experiments.memory_report", "plot_memory"),
    "prepare": ("forecast.training.preparation", "prepare"),
    "quiet_tensorflow_import": ("forecast.quiet", "quiet_tensorflow_import"),
    "read_series": ("forecast.data.io", "read_series"),
    "score": ("forecast.commands.score", "score"),
    "split_rows": ("forecast.data.split", "split_rows"),
    "tune": ("forecast.api", "tune"),
    "update": ("forecast.commands.update", "update"),
}

__all__ = ["__version__", *sorted(_PUBLIC)]


def __getattr__(name: str):
    if name not in _PUBLIC:
        raise AttributeError(f"module 'forecast' has no attribute {name!r}")
    module, attribute = _PUBLIC[name]
    value = getattr(importlib.import_module(module), attribute)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
