"""A run directory as an MLflow pyfunc model: ``load_model(uri).predict(rows)`` is
``forecast predict RUN_DIR rows.csv``.

The model is logged from code (``model_code.py``, MLflow's "models from code"), so nothing is
pickled: its artifacts are the files ``predict`` reads (the Keras models, preprocessing.json,
config.json, metrics.json), and ``predict`` hands the rows to ``forecast.results.Run.predict``,
the function behind ``forecast predict``. Loading and serving need ``forecast`` installed in
the environment (``mlflow models serve --env-manager local``).
"""

from __future__ import annotations

import shutil
import tempfile
import warnings
from pathlib import Path

import mlflow
import pandas as pd
from mlflow.pyfunc import PythonModel

from forecast import runs

MODEL_CODE = Path(__file__).with_name("model_code.py")

ARTIFACT = "run"  # the artifacts key: a copy of the run directory's forecasting files

PREDICT_FILES = (
    runs.MODEL_FILE,
    runs.FINAL_FILE,
    runs.LINEAR_FILE,
    runs.FINAL_LINEAR_FILE,
    "preprocessing.json",
    "config.json",
    "metrics.json",
)

# config.json "versions" key → the requirement it pins in the logged model
PINNED = ("tensorflow", "keras", "numpy", "pandas", "scikit-learn", "matplotlib")


class ForecastModel(PythonModel):
    """The pyfunc: recent rows in, the next ``horizon`` steps out (``forecast predict``'s
    table)."""

    def load_context(self, context) -> None:
        """Remember where MLflow put the run's files, and import Keras now: a served model's
        first request would otherwise wait for TensorFlow to load."""
        import keras  # noqa: F401

        self.run_dir = Path(context.artifacts[ARTIFACT])

    def predict(self, context, model_input: pd.DataFrame, params=None) -> pd.DataFrame:
        """Forecast past the last row of ``model_input``.

        Args:
            context: MLflow's model context (unused; the files were found in ``load_context``).
            model_input: rows with the run's CSV columns: its time column and feature columns
                (and the series column of a ``--series`` run), at least ``window`` rows (per
                series), oldest first.
            params: unused.

        Returns:
            ``forecast predict``'s table: ``timestamp``, ``step``, ``predicted``,
            ``model_version`` and the interval bounds (a ``--series`` run: the series first).
        """
        from forecast.results import Run

        frame = model_input if isinstance(model_input, pd.DataFrame) else pd.DataFrame(model_input)
        return Run(self.run_dir).predict(frame, record=False)  # a served copy logs nothing


def requirements(config: dict) -> list[str]:
    """The pinned requirements of the logged model: MLflow and the libraries config.json says
    trained the run (``forecast`` itself is not on an index: serve with ``--env-manager
    local``). Given explicitly, MLflow does not load the model to infer them."""
    versions = config.get("versions") if isinstance(config.get("versions"), dict) else {}
    pins = [f"mlflow=={mlflow.__version__}"]
    pins += [f"{name}=={versions[name]}" for name in PINNED if isinstance(versions.get(name), str)]
    return pins


def signature(prep: dict):
    """The model's signature: the forecast table it returns. The input is left free: its
    columns are the run's CSV's, and MLflow's strict input schema would refuse a float column
    whose values all happen to be integers (JSON ``0``)."""
    from mlflow.models import ModelSignature
    from mlflow.types import ColSpec, Schema

    series = prep.get("series") if isinstance(prep.get("series"), dict) else None
    columns = [ColSpec("string", str(series["column"]))] if series else []
    columns += [
        ColSpec("datetime", "timestamp", required=False),  # step numbers without a time column
        ColSpec("long", "step"),
        ColSpec("double", "predicted"),
        ColSpec("double", "combined", required=False),
        ColSpec("string", "model_version"),
    ]
    columns += [
        ColSpec("double", f"{side}_{level}", required=False)
        for level in (80, 95)
        for side in ("lower", "upper")
    ]
    return ModelSignature(inputs=None, outputs=Schema(columns))


def log_forecast_model(run_dir: Path) -> str:
    """Log ``run_dir``'s model as the active MLflow run's ``model`` (a pyfunc that carries its
    preprocessing); returns its URI (``runs:/<run id>/model``)."""
    config = runs.read_json(run_dir, "config.json") if (run_dir / "config.json").is_file() else {}
    with tempfile.TemporaryDirectory(prefix="forecast-pyfunc-") as tmp:
        staged = Path(tmp) / ARTIFACT
        staged.mkdir()
        for name in PREDICT_FILES:
            if (run_dir / name).is_file():
                shutil.copy2(run_dir / name, staged / name)
        with warnings.catch_warnings():
            # an input example would make MLflow load TensorFlow and forecast at logging time;
            # the input is the run's CSV rows, documented in docs/mlflow.md
            warnings.filterwarnings("ignore", ".*An input example was not provided", UserWarning)
            mlflow.pyfunc.log_model(
                name="model",
                python_model=str(MODEL_CODE),
                artifacts={ARTIFACT: str(staged)},
                pip_requirements=requirements(config),
                signature=signature(runs.read_json(run_dir, "preprocessing.json")),
            )
    return f"runs:/{mlflow.active_run().info.run_id}/model"
