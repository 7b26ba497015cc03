"""MLflow's "models from code" entry point: MLflow runs this file to build the pyfunc of a
logged run (``forecast.tracking.pyfunc``), so the model is code plus files, never a pickle."""

from mlflow.models import set_model

from forecast.tracking.pyfunc import ForecastModel

set_model(ForecastModel())
