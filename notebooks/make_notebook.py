"""Build notebooks/walkthrough.ipynb (outputs cleared) from the cells below, so the notebook stays
reviewable as code: ``python notebooks/make_notebook.py``."""

from pathlib import Path

import nbformat

md = nbformat.v4.new_markdown_cell
code = nbformat.v4.new_code_cell

CELLS = [
    md(
        "# forecast walkthrough\n"
        "Weather (daily Seattle max temperature) and a stock index (S&P 500 close): the raw "
        "series, "
        "windowing and scaling, four recurrent architectures against persistence, seasonal-naive "
        "and linear baselines, the comparison table and plots, and conformal prediction intervals."
    ),
    code(
        "# parameters: CI sets FORECAST_NB_EPOCHS=1 and FORECAST_NB_SEEDS=1 to keep this fast\n"
        "import os\n"
        "EPOCHS = int(os.environ.get('FORECAST_NB_EPOCHS', 30))\n"
        "SEEDS = int(os.environ.get('FORECAST_NB_SEEDS', 2))\n"
        "UNITS = int(os.environ.get('FORECAST_NB_UNITS', 32))\n"
        "MODELS = os.environ.get('FORECAST_NB_MODELS', 'rnn,lstm,gru,hybrid').split(',')\n"
        "WINDOW, HORIZON = 30, 7"
    ),
    code(
        "import tempfile\n"
        "from pathlib import Path\n"
        "import matplotlib\n"
        "matplotlib.use('Agg')\n"
        "import matplotlib.pyplot as plt\n"
        "from IPython.display import Image, Markdown, display\n"
        "from forecast.config import FitOptions\n"
        "from forecast.io import read_series\n"
        "from forecast.pipeline import prepare\n"
        "from forecast.compare import compare, markdown_table\n"
        "ROOT = Path.cwd() if (Path.cwd() / 'data').is_dir() else Path.cwd().parent\n"
        "OUT = Path(tempfile.mkdtemp(prefix='forecast-nb-'))\n"
        "series = read_series(ROOT / 'data' / 'weather.csv')\n"
        "print(series.frame.shape, series.freq)\n"
        "series.frame.tail(3)"
    ),
    md("## The raw series"),
    code(
        "fig, ax = plt.subplots(figsize=(10, 3))\n"
        "series.frame['temp_max'].plot(ax=ax, lw=0.8)\n"
        "ax.set_ylabel('temp_max (°C)')\n"
        "plt.show()"
    ),
    md(
        "## Windowing and scaling\n"
        "Chronological split 70/15/15; the scaler is fit on the training rows only. Each window "
        "holds `WINDOW` rows of every column; the model predicts the next `HORIZON` values of the "
        "target. With `norm='window'` the inputs are taken relative to the window's last row and "
        "the model predicts the change."
    ),
    code(
        "options = FitOptions(window=WINDOW, horizon=HORIZON, epochs=EPOCHS, units=UNITS)\n"
        "prepared = prepare(series, options)\n"
        "print({part: len(s) for part, s in prepared.starts.items()}, 'windows per split')\n"
        "x, y = next(iter(prepared.dataset('train', 4)))\n"
        "print('input batch', tuple(x.shape), 'targets', tuple(y.shape))\n"
        "print('train-only scaler: mean', [round(v, 2) for v in prepared.prep.mean],\n"
        "      'scale', [round(v, 2) for v in prepared.prep.scale])"
    ),
    md("## Train and compare the four architectures (identical windows, several seeds)"),
    code(
        "weather = compare(ROOT / 'data' / 'weather.csv', options, MODELS, SEEDS,\n"
        "                  OUT / 'weather', log=lambda m: None)\n"
        "display(Markdown(markdown_table(weather.rows)))"
    ),
    code("display(Image(filename=str(weather.out / 'rmse_by_model.png'), width=600))"),
    code("display(Image(filename=str(weather.out / 'forecasts_overlay.png'), width=700))"),
    code("display(Image(filename=str(weather.out / 'loss_curves.png'), width=500))"),
    code("display(Image(filename=str(weather.out / 'per_horizon_by_model.png'), width=500))"),
    md(
        "## Prediction intervals\n"
        "Split conformal: per horizon step, the corrected quantile of |validation residual|. "
        "Coverage is measured on the test split, which calibration never sees."
    ),
    code(
        "import json\n"
        "models = [r for r in weather.rows if r['kind'] == 'model']\n"
        "best = min(models, key=lambda r: r['rmse'])['model']\n"
        "run = sorted(weather.out.glob(f'{best}-seed*'))[0]\n"
        "m = json.loads((run / 'metrics.json').read_text())\n"
        "print('half-widths 80%:', [round(w, 2) for w in m['intervals']['80']])\n"
        "print('half-widths 95%:', [round(w, 2) for w in m['intervals']['95']])\n"
        "print(f\"test coverage: 80% -> {m['coverage_80']:.1%}, 95% -> {m['coverage_95']:.1%}\")\n"
        "display(Image(filename=str(run / 'forecast.png'), width=700))"
    ),
    md("## A stock example: S&P 500 close (business days)"),
    code(
        "stock = compare(ROOT / 'data' / 'stock.csv', options.replace(window=20, horizon=5),\n"
        "                MODELS, SEEDS, OUT / 'stock', log=lambda m: None)\n"
        "display(Markdown(markdown_table(stock.rows)))\n"
        "display(Image(filename=str(stock.out / 'rmse_by_model.png'), width=600))"
    ),
    md(
        "Daily index levels are close to a random walk: expect persistence to be hard to beat, "
        "and the table to say so when it is not beaten."
    ),
]


def build() -> nbformat.NotebookNode:
    nb = nbformat.v4.new_notebook(cells=CELLS)
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    return nb


if __name__ == "__main__":
    path = Path(__file__).with_name("walkthrough.ipynb")
    nbformat.write(build(), path)
    print(f"wrote {path}")
