"""Regenerate data/weather.csv, data/stock.csv and data/stocks_long.csv from data shipped inside
PyPI packages.

    pip install "vega_datasets==0.9.0" "arch>=7"    # or: pip install -e ".[data]"
    python data/make_data.py

No network access is needed: both packages carry their CSVs.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pandas as pd

HERE = Path(__file__).resolve().parent


def weather() -> pd.DataFrame:
    """Daily Seattle weather 2012–2015 (NOAA, via vega_datasets); target temp_max last."""
    from vega_datasets import data

    df = data.seattle_weather()  # date, precipitation, temp_max, temp_min, wind, weather
    df["date"] = pd.to_datetime(df["date"]).dt.strftime("%Y-%m-%d")
    return df[["date", "precipitation", "wind", "temp_min", "temp_max"]]


def stock() -> pd.DataFrame:
    """S&P 500 daily OHLCV 1999–2018 (via arch); target close last. Adj Close equals Close for
    an index, so it is dropped."""
    from arch.data import sp500

    df = sp500.load().reset_index()
    df.columns = [str(c).lower().replace(" ", "_") for c in df.columns]
    df["date"] = pd.to_datetime(df["date"]).dt.strftime("%Y-%m-%d")
    return df[["date", "open", "high", "low", "volume", "close"]]


def stocks_long() -> pd.DataFrame:
    """Monthly closing prices of five tickers 2000–2010 in one long table (symbol, date, price;
    via vega_datasets, which ships it offline): the ``--series symbol`` example."""
    from vega_datasets import local_data

    df = local_data.stocks()
    df["date"] = pd.to_datetime(df["date"]).dt.strftime("%Y-%m-%d")
    return df[["symbol", "date", "price"]]


def main() -> int:
    for name, make in (("weather", weather), ("stock", stock), ("stocks_long", stocks_long)):
        frame = make()
        path = HERE / f"{name}.csv"
        frame.to_csv(path, index=False, float_format="%.6g")
        print(f"wrote {path} ({len(frame)} rows, columns: {', '.join(frame.columns)})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
