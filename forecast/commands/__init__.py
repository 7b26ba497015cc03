"""The commands behind the CLI and the Python API: fit, compare, tune, predict, evaluate,
inspect."""
