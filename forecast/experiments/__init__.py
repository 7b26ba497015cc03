"""Experiments of the classic comparison: the adding problem, memory, gradients."""
