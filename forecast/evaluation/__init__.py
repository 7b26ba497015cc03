"""Evaluation: metrics, baselines, significance, intervals, diagnostics, scoring."""
