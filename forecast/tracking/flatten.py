"""JSON documents and tables of a run directory as MLflow params and metrics: pure functions,
no MLflow import.

MLflow keeps params as strings and metrics as ``(key, value, step)``; keys may hold letters,
digits and ``_ - . / : space`` only. Nested keys are joined with ``.``
(``baselines.persistence.rmse``); a list of numbers becomes one metric over steps 1, 2, …
(``per_horizon_rmse`` by horizon step); a list of tables becomes one metric per name when each
has a ``model`` (``baseline.gbm.rmse``) and one over steps otherwise (backtest folds by
``fold``).
"""

from __future__ import annotations

import json
import math
import re

import pandas as pd

PARAM_VALUE_MAX = 6000  # MLflow's limit on a param's value (characters)

_BAD_KEY = re.compile(r"[^A-Za-z0-9_\-./: ]")


def clean_key(key: str) -> str:
    """``key`` with every character MLflow refuses in a key replaced by ``_``
    (``seasonal_naive(7)`` → ``seasonal_naive_7_``)."""
    return _BAD_KEY.sub("_", key)


def join(prefix: str, key) -> str:
    """``prefix.key`` (``key`` alone without a prefix), cleaned."""
    return clean_key(f"{prefix}.{key}" if prefix else str(key))


def is_number(value) -> bool:
    """An int or float that is finite; booleans are flags, not numbers."""
    return (
        isinstance(value, int | float)
        and not isinstance(value, bool)
        and math.isfinite(float(value))
    )


def params(data: dict, prefix: str = "") -> dict[str, str]:
    """Every leaf of ``data`` as ``{dotted.key: text}``: strings as they are, lists and other
    values as JSON; ``None`` (an option left to its default) is left out.

    >>> params({"window": 7, "split": [0.7, 0.3], "data": {"path": "a.csv"}, "season": None})
    {'window': '7', 'split': '[0.7, 0.3]', 'data.path': 'a.csv'}
    """
    out: dict[str, str] = {}
    for key, value in data.items():
        name = join(prefix, key)
        if isinstance(value, dict):
            out.update(params(value, name))
        elif value is not None:
            text = value if isinstance(value, str) else json.dumps(value, default=str)
            out[name] = text[:PARAM_VALUE_MAX]
    return out


def metrics(data, prefix: str = "", step: int = 0) -> list[tuple[str, float, int]]:
    """Every finite number in ``data`` (a JSON document) as ``(key, value, step)``.

    >>> metrics({"rmse": 2.0, "per_horizon_rmse": [1.0, 3.0], "ok": True, "model": "gru"})
    [('rmse', 2.0, 0), ('per_horizon_rmse', 1.0, 1), ('per_horizon_rmse', 3.0, 2)]
    """
    if is_number(data):
        return [(clean_key(prefix), float(data), step)] if prefix else []
    if isinstance(data, dict):
        out = []
        for key, value in data.items():
            out += metrics(value, join(prefix, key), step)
        return out
    if isinstance(data, list) and prefix and step == 0:  # lists within a list are left out
        return list_metrics(data, prefix)
    return []


def list_metrics(items: list, prefix: str) -> list[tuple[str, float, int]]:
    """A list's numbers: by name when its items are tables with a ``model``, else over steps
    (an item's ``fold`` when it has one, else its position from 1)."""
    out = []
    for k, item in enumerate(items, start=1):
        if isinstance(item, dict) and isinstance(item.get("model"), str):
            kind = item.get("kind", "model")
            name = item["model"] if kind == "model" else f"{kind}.{item['model']}"
            rest = {key: v for key, v in item.items() if key not in ("model", "kind")}
            out += metrics(rest, join(prefix, name))
        elif isinstance(item, dict):
            fold = item.get("fold")
            rest = {key: v for key, v in item.items() if key != "fold"}
            out += metrics(rest, prefix, fold if is_number(fold) and fold >= 1 else k)
        elif is_number(item):
            out.append((clean_key(prefix), float(item), k))
    return out


def table_metrics(table: pd.DataFrame, step_column: str) -> list[tuple[str, float, int]]:
    """Every numeric column of ``table`` (history.csv by ``epoch``, trials.csv by ``trial``) as a
    metric over the steps of ``step_column``; rows without a step and non-finite cells are
    left out.

    >>> table_metrics(pd.DataFrame({"epoch": [1, 2], "loss": [0.5, 0.25]}), "epoch")
    [('loss', 0.5, 1), ('loss', 0.25, 2)]
    """
    if step_column not in table.columns:
        return []
    steps = pd.to_numeric(table[step_column], errors="coerce")
    out = []
    for column in table.columns:
        if column == step_column or not pd.api.types.is_numeric_dtype(table[column]):
            continue
        for step, value in zip(steps, table[column], strict=True):
            if is_number(step) and is_number(value):
                out.append((clean_key(str(column)), float(value), int(step)))
    return out
