"""A minimal PyTorch training loop of the same size as the Keras reference (for the CPU ratio).

Same data preparation as ``plain_keras_ref.py`` (global scaler on the first 70 % of rows, all
windows materialised), the same network (one recurrent layer of ``--units``, or LSTM -> GRU for
``hybrid``, then a linear head of ``--horizon``), Adam, MSE, shuffled batches. Prints training
windows per second of the last epoch. Run it with a Python that has torch
(e.g. /work/venv-torch/bin/python).
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import pandas as pd
import torch
from torch import nn


class Net(nn.Module):
    def __init__(self, cell: str, n_features: int, units: int, horizon: int):
        super().__init__()
        kinds = {"rnn": [nn.RNN], "gru": [nn.GRU], "lstm": [nn.LSTM], "hybrid": [nn.LSTM, nn.GRU]}
        sizes = [n_features] + [units] * len(kinds[cell])
        self.layers = nn.ModuleList(
            [k(sizes[i], units, batch_first=True) for i, k in enumerate(kinds[cell])]
        )
        self.head = nn.Linear(units, horizon)

    def forward(self, x):
        for layer in self.layers:
            x, _ = layer(x)
        return self.head(x[:, -1])


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("csv")
    ap.add_argument("--window", type=int, default=96)
    ap.add_argument("--horizon", type=int, default=24)
    ap.add_argument("--units", type=int, default=64)
    ap.add_argument("--batch-size", type=int, default=256)
    ap.add_argument("--epochs", type=int, default=2)
    ap.add_argument("--cell", default="gru")
    ap.add_argument("--threads", type=int, default=0, help="intra-op threads; 0: torch's default")
    a = ap.parse_args()
    if a.threads:
        torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    df = pd.read_csv(a.csv).drop(columns=["date"]).astype("float32")
    x = df.to_numpy()
    n = int(len(x) * 0.7)
    x = (x - x[:n].mean(0)) / x[:n].std(0)
    y = x[:, -1]
    idx = np.arange(n - a.window - a.horizon)
    X = torch.from_numpy(np.stack([x[i : i + a.window] for i in idx]))
    Y = torch.from_numpy(np.stack([y[i + a.window : i + a.window + a.horizon] for i in idx]))
    net = Net(a.cell, X.shape[2], a.units, a.horizon)
    opt = torch.optim.Adam(net.parameters(), 1e-3)
    loss_fn = nn.MSELoss()
    for _ in range(a.epochs):
        start = time.perf_counter()
        for b in torch.randperm(len(X)).split(a.batch_size):
            opt.zero_grad()
            loss = loss_fn(net(X[b]), Y[b])
            loss.backward()
            opt.step()
        seconds = time.perf_counter() - start
    print(round(len(X) / seconds, 1))


if __name__ == "__main__":
    main()
