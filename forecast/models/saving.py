"""Loading saved Keras models safely (safe_mode, no code layers)."""

from __future__ import annotations

import importlib
import json
import zipfile
from pathlib import Path

from forecast.errors import ForecastError

CODE_LAYERS = {"Lambda", "TFOpLambda"}

# Every module that registers Keras layers (``register_keras_serializable``): the loader imports
# them all, so a saved model deserialises in a fresh process whatever layers it uses. A new layer
# module goes here; tests/test_reload.py fails if one is missing.
LAYER_MODULES = ("forecast.models.layers", "forecast.models.segment")


def register_layers() -> None:
    """Import every module of :data:`LAYER_MODULES`, registering its layers with Keras."""
    for name in LAYER_MODULES:
        importlib.import_module(name)


def has_code_layer(path: Path) -> bool:
    """Whether the ``.keras`` archive's config.json names a layer that carries Python code.

    Only the JSON inside the zip is read; nothing is deserialised. An unreadable archive is left
    to the loader, which reports it.
    """

    def walk(node) -> bool:
        if isinstance(node, dict):
            if node.get("class_name") in CODE_LAYERS:
                return True
            return any(walk(v) for v in node.values())
        if isinstance(node, list):
            return any(walk(v) for v in node)
        return False

    try:
        with zipfile.ZipFile(path) as archive:
            config = json.loads(archive.read("config.json"))
    except (zipfile.BadZipFile, KeyError, OSError, ValueError):
        return False
    return walk(config)


LOADED: dict = {}  # file identity -> model, for ``load_for_prediction``
LOADED_MAX = 8


def file_identity(path: Path) -> tuple:
    """What changes when a file is replaced or rewritten: device, inode, size, mtime."""
    st = Path(path).stat()
    return st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns


def load_for_prediction(path: Path):
    """``load_keras_model`` for callers that only predict, reusing a model this process loaded
    from the same file (same inode, size and mtime: a hard link in a staged copy counts as the
    same file). ``update`` replaying a year of days traces each model's predict function once
    instead of every day. Never train or change the returned model."""
    path = Path(path)
    key = file_identity(path) if path.is_file() else None
    if key is not None and key in LOADED:
        return LOADED[key]
    model = load_keras_model(path)
    if key is not None:
        if len(LOADED) >= LOADED_MAX:
            LOADED.pop(next(iter(LOADED)))
        LOADED[key] = model
    return model


def load_keras_model(path: Path, compile: bool = False):
    """Load a ``.keras`` file with ``safe_mode=True``; a missing or corrupt file is an error.

    ``safe_mode`` refuses anything that would run code on load (a ``Lambda`` layer's bytecode);
    only layers of Keras and of :data:`LAYER_MODULES` are deserialised.
    """
    import keras

    register_layers()

    if not path.is_file() or path.stat().st_size == 0:
        raise ForecastError(f"{path} is missing or empty; re-run `forecast fit` to recreate it")
    if has_code_layer(path):
        raise ForecastError(
            f"{path} contains code (e.g. a Lambda layer) that would run on loading; refused "
            "(Keras safe_mode). Only load run directories made by `forecast fit`"
        )
    try:
        return keras.saving.load_model(path, compile=compile, safe_mode=True)
    except Exception as e:  # keras raises many types for a damaged zip
        if "safe_mode" in str(e):
            raise ForecastError(
                f"{path} contains code (e.g. a Lambda layer) that would run on loading; refused "
                "(Keras safe_mode). Only load run directories made by `forecast fit`"
            ) from None
        detail = str(e).strip().splitlines()[0][:120] if str(e).strip() else type(e).__name__
        raise ForecastError(f"{path} cannot be loaded ({detail}); re-run `forecast fit`") from None
