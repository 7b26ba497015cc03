"""forecast.png's example panels: the date tick labels never run into each other (issue 22: the
day ticks 29 and the next month's name were drawn on top of each other, "29May")."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402

from forecast.reporting.plots import plot_example  # noqa: E402


def label_boxes(ax):
    """Screen boxes of the x tick labels that are drawn (non-empty), left to right."""
    fig = ax.figure
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    labels = [t for t in ax.get_xticklabels() if t.get_visible() and t.get_text()]
    return sorted((t.get_window_extent(renderer) for t in labels), key=lambda b: b.x0), labels


@pytest.mark.parametrize("first", pd.date_range("2015-01-20", periods=12, freq="31D"))
def test_example_panel_date_labels_do_not_overlap(first):
    """A weather panel: 30 days of input and 7 forecast days, a third of a 12-inch figure, over
    every month's end."""
    history = pd.date_range(first, periods=30, freq="D")
    times = pd.date_range(history[-1] + pd.Timedelta(days=1), periods=7, freq="D")
    fig, ax = plt.subplots(figsize=(4, 3))
    values = np.sin(np.arange(37))
    plot_example(ax, history, values[:30], times, values[30:], values[30:], {}, "gru")
    boxes, labels = label_boxes(ax)
    assert len(boxes) >= 3, [t.get_text() for t in labels]
    for left, right in zip(boxes, boxes[1:], strict=False):
        assert left.x1 + 2 <= right.x0, [t.get_text() for t in labels]
