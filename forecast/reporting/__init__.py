"""Reporting: plots, report.html, terminal text, the predictions table."""
