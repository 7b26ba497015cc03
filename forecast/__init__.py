"""forecast: train and compare recurrent forecasters on a CSV time series, honestly."""

__version__ = "0.1.0"
