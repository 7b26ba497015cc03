"""Build notebooks/walkthrough.ipynb from the cells below, so the notebook stays reviewable as code.

    python notebooks/make_notebook.py            # sources only, outputs cleared
    python notebooks/make_notebook.py --execute  # run it at the realistic settings, keep outputs

The committed notebook is the ``--execute`` one, so it reads on a code host without running.
Every number in its prose comes from an executed cell (Markdown built from the results), never
typed in here. CI executes a copy with tiny ``FORECAST_NB_*`` settings (tests/test_notebook.py).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
import time
from pathlib import Path
from textwrap import dedent

import nbformat

NB_DIR = Path(__file__).resolve().parent
ROOT = NB_DIR.parent
NOTEBOOK = NB_DIR / "walkthrough.ipynb"

# CI: tiny and fast (tests/test_notebook.py); it checks the plumbing, not the claims.
FAST_ENV = {
    "FORECAST_NB_EPOCHS": "1",
    "FORECAST_NB_SEEDS": "1",
    "FORECAST_NB_UNITS": "4",
    "FORECAST_NB_MODELS": "rnn,gru",
    "FORECAST_NB_MEMORY_LENGTH": "10",
    "FORECAST_NB_MEMORY_STEPS": "20",
}


def md(text: str) -> nbformat.NotebookNode:
    return nbformat.v4.new_markdown_cell(dedent(text).strip("\n"))


def code(text: str) -> nbformat.NotebookNode:
    return nbformat.v4.new_code_cell(dedent(text).strip("\n"))


CELLS = [
    md(
        """
        # forecast walkthrough: recurrent forecasters, honestly compared

        This notebook walks through what `forecast` does and what it found, on the two shipped
        series: **daily Seattle weather** (max temperature, 2012–2015) and the **S&P 500** daily
        close (1999–2018).

        1. the data; 2. how a window is built and scaled (and why nothing leaks);
        3. the gate equations of RNN, LSTM and GRU next to what they cost in parameters;
        4. one model with `forecast.fit`, then the comparison (`forecast.compare`) on weather
        and stock data, every architecture point-wise and segment-wise, with the baselines as
        rows and Diebold–Mariano significance;
        5. prediction intervals and their coverage on the test split; 6. the adding problem and
        the vanishing gradient; 7. the LSTM→GRU hybrid; 8. what to use when.

        Every number in the text below is computed by the cell above it, from this execution.
        The cells use only the package's public API (`import forecast`, `forecast.__all__`).
        The committed copy was executed with the settings printed by the next cell
        (`python notebooks/make_notebook.py --execute`); CI re-executes it with tiny settings
        (1 epoch, 1 seed, 2 models), whose numbers mean nothing.
        """
    ),
    code(
        """
        # Settings: the defaults are the ones the committed notebook was executed with.
        # CI sets the FORECAST_NB_* variables to tiny values (tests/test_notebook.py).
        import os

        EPOCHS = int(os.environ.get('FORECAST_NB_EPOCHS', 30))  # at most; early stopping
        SEEDS = int(os.environ.get('FORECAST_NB_SEEDS', 2))  # training runs per architecture
        UNITS = int(os.environ.get('FORECAST_NB_UNITS', 32))  # recurrent units per layer
        MODELS = os.environ.get('FORECAST_NB_MODELS', 'rnn,lstm,gru,hybrid').split(',')
        MEMORY_LENGTH = int(os.environ.get('FORECAST_NB_MEMORY_LENGTH', 50))  # adding problem
        MEMORY_STEPS = int(os.environ.get('FORECAST_NB_MEMORY_STEPS', 1500))  # its step budget
        WINDOW, HORIZON = 30, 7  # weather; the stock series uses 20 and 5 (four weeks -> one)
        # fit's options, as keywords of forecast.fit / forecast.compare
        FIT = dict(window=WINDOW, horizon=HORIZON, epochs=EPOCHS, units=UNITS)
        STOCK_FIT = {**FIT, 'window': 20, 'horizon': 5}
        print(f'epochs <= {EPOCHS}, {SEEDS} seed(s), {UNITS} units, models {MODELS}; '
              f'adding problem L = {MEMORY_LENGTH}, <= {MEMORY_STEPS} steps, 1 seed')
        """
    ),
    code(
        """
        import atexit
        import io
        import math
        import shutil
        import tempfile
        from pathlib import Path

        import forecast  # the public API only: everything below is forecast.<name>

        forecast.quiet_tensorflow_import()  # TensorFlow's start-up notices stay out of the outputs
        import matplotlib.dates as mdates
        import matplotlib.pyplot as plt
        import numpy as np
        import pandas as pd
        import tensorflow as tf
        from IPython.display import Image, Markdown, display

        tf.get_logger().setLevel('ERROR')  # no tf.function retracing chatter
        plt.rcParams.update({'font.size': 9})


        def show(fig, dpi=90):
            \"\"\"The figure as a PNG output (whatever backend the forecast package selected).\"\"\"
            buffer = io.BytesIO()
            fig.savefig(buffer, format='png', dpi=dpi)
            plt.close(fig)
            display(Image(data=buffer.getvalue()))


        def p_text(p):
            \"\"\"A p-value as the CLI prints it: p=0.012, p<0.001, or p=n/a.\"\"\"
            if p is None or math.isnan(p):
                return 'p=n/a'
            return 'p<0.001' if p < 0.001 else f'p={p:.3g}'


        ROOT = Path.cwd() if (Path.cwd() / 'data').is_dir() else Path.cwd().parent
        OUT = Path(tempfile.mkdtemp(prefix='forecast-nb-'))  # run directories; not shown
        atexit.register(shutil.rmtree, OUT, ignore_errors=True)  # removed with the kernel
        SPLIT = (0.7, 0.15, 0.15)
        """
    ),
    md(
        """
        ## 1. The data

        Both files ship in `data/` (sources and licences in `data/README.md`). The target is the
        last column: `temp_max` (°C) for the weather, `close` (index points) for the stock
        series. Every split below is chronological: the first 70 % of rows train, the next 15 %
        validate (early stopping, interval calibration), the last 15 % test.
        """
    ),
    code(
        """
        weather = forecast.read_series(ROOT / 'data' / 'weather.csv')
        stock = forecast.read_series(ROOT / 'data' / 'stock.csv')
        for name, s in [('weather', weather), ('stock', stock)]:
            f = s.frame
            print(f'{name}: {len(f):,} rows, {f.index[0]:%Y-%m-%d} to {f.index[-1]:%Y-%m-%d}, '
                  f'frequency {s.freq}, columns {list(f.columns)}')
            for note in s.notes:
                print('  note:', note)

        fig, axes = plt.subplots(2, 1, figsize=(10, 5), layout='constrained')
        for ax, s, col, unit in [(axes[0], weather, 'temp_max', '°C'),
                                 (axes[1], stock, 'close', 'index points')]:
            f = s.frame
            sp = forecast.split_rows(len(f), SPLIT)
            ax.plot(f.index, f[col], lw=0.7, color='black')
            ax.axvspan(f.index[sp.train_end], f.index[sp.val_end - 1], color='tab:orange',
                       alpha=0.15, label='validation')
            ax.axvspan(f.index[sp.val_end], f.index[-1], color='tab:red', alpha=0.15,
                       label='test')
            ax.set_ylabel(f'{col} ({unit})')
            ax.legend(loc='upper left', fontsize=8)
        axes[0].set_title('the two series and their chronological split (70 / 15 / 15 %)')
        show(fig)
        """
    ),
    code(
        """
        sp = forecast.split_rows(len(stock.frame), SPLIT)
        close = stock.frame['close']
        display(Markdown(
            f"The stock index's test period starts at {close.iloc[sp.val_end]:,.0f} points, "
            f"above every one of the {sp.train_end:,} training rows (maximum "
            f"{close.iloc[:sp.train_end].max():,.0f}): a level the training data never showed. "
            "A model fed globally scaled levels must extrapolate there; one fed each window "
            "relative to its last value (next section) need not."
        ))
        """
    ),
    md(
        """
        ## 2. Windows and scaling

        A **window** is `WINDOW` consecutive rows of every input column; its **targets** are the
        next `HORIZON` values of the target column. The *origin* of a window is its last input
        row $t$: inputs $x_{t-W+1}, \\dots, x_t$, targets $y_{t+1}, \\dots, y_{t+H}$. Windows are
        index arithmetic on one array (`forecast/data/windows.py`: an array of start rows, slices
        gathered on the fly by `tf.data`), never an $N \\times W \\times F$ copy in memory. Every
        origin (stride 1) of the test split is scored, and a window belongs to the split in
        which **all its targets** lie; its inputs may reach back into the previous split (that is
        the past, not a leak).

        **Scaling.** A z-score scaler is fit on the *training rows only*; validation and test rows
        are transformed with the training mean and standard deviation.

        **`norm='window'`** (the default): inside the model, each window is taken relative to its
        own last row, $\\tilde x_{t-k} = x_{t-k} - x_t$, and the network predicts the *change*
        $\\hat y_{t+j} - y_t$, to which $y_t$ is added back (layers `SubtractLast` and
        `AddLastTarget` in `forecast/models/layers.py`). Only values at or before the origin
        enter, so this adds no leakage, and a level never seen in training (the stock test
        period) looks like any other window.
        """
    ),
    code(
        """
        options = forecast.FitOptions(**FIT)
        prepared = forecast.prepare(weather, options)  # what fit and compare train on
        p, split = prepared.prep, prepared.split
        print({part: len(s) for part, s in prepared.starts.items()}, 'windows per split')
        x, y = next(iter(prepared.dataset('train', 4)))
        print('one batch: inputs', tuple(x.shape), '(batch, window, input columns), targets',
              tuple(y.shape), '(batch, horizon)')
        if p.calendar:
            print('input columns: the data columns', p.columns, '+ calendar sin/cos of',
                  p.calendar)

        rows = weather.frame[p.columns]
        train_rows, test_rows = rows.iloc[:split.train_end], rows.iloc[split.val_end:]
        scaler = pd.DataFrame({'scaler mean': p.mean, 'train rows mean': train_rows.mean(),
                               'test rows mean': test_rows.mean(), 'scaler sd': p.scale},
                              index=p.columns).round(3)
        assert np.allclose(p.mean, train_rows.mean())  # fit on the training rows only
        display(scaler)
        """
    ),
    code(
        """
        # One test window: in the data's units, and as the recurrent layers see it (scaled, then
        # relative to the window's last row).
        start = int(prepared.starts['test'][0])
        idx = weather.frame.index
        inputs = weather.frame[p.columns].iloc[start:start + WINDOW]
        targets = prepared.actual('test')[0]
        scaled = prepared.values[start:start + WINDOW, :len(p.columns)]
        relative = scaled - scaled[-1]

        fig, axes = plt.subplots(1, 2, figsize=(11, 3.6), layout='constrained')
        axes[0].plot(inputs.index, inputs[p.target], 'o-', ms=3,
                     label=f'input window ({WINDOW} rows)')
        axes[0].plot(idx[start + WINDOW:start + WINDOW + HORIZON], targets, 's-', ms=4,
                     color='tab:red', label=f'targets (next {HORIZON} rows)')
        axes[0].axvline(inputs.index[-1], color='grey', ls=':', label='origin t')
        axes[0].set_ylabel(f'{p.target} (°C)')
        axes[0].set_title('one window in the data\\'s units')
        axes[0].legend(fontsize=8)
        locator = mdates.AutoDateLocator(maxticks=6)
        axes[0].xaxis.set_major_locator(locator)
        axes[0].xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator))
        for k, col in enumerate(p.columns):
            axes[1].plot(np.arange(-WINDOW + 1, 1), relative[:, k], label=col)
        axes[1].axhline(0, color='grey', lw=0.8)
        axes[1].set_xlabel('row relative to the origin')
        axes[1].set_ylabel('z-score minus the last row')
        axes[1].set_title("what the model sees with norm='window'")
        axes[1].legend(fontsize=8, ncol=2)
        show(fig)
        """
    ),
    md(
        r"""
        ## 3. The gates and what they cost

        With input $x_t \in \mathbb{R}^f$, hidden state $h_t \in \mathbb{R}^u$, $\sigma$ the
        logistic function (values in $(0, 1)$: a gate is a soft switch per unit) and $\odot$ the
        element-wise product (Keras's conventions):

        **SimpleRNN** — one tanh state:
        $$h_t = \tanh(W x_t + U h_{t-1} + b)$$
        The hidden state $h_t$ is the whole memory and is rewritten at every step, so the
        gradient reaching step $t-k$ is a product of $k$ factors $\mathrm{diag}(1-h^2)\,U$ and
        shrinks geometrically when they are contractive: the *vanishing gradient*.
        $W$ is $u\times f$, $U$ is $u\times u$, $b$ has $u$ entries: $u(u+f+1)$ weights.

        **LSTM** — three gates, a candidate and a cell state $c_t$ that is updated *additively*:
        $$\begin{aligned}
        f_t &= \sigma(W_f x_t + U_f h_{t-1} + b_f) && \text{forget gate}\\
        i_t &= \sigma(W_i x_t + U_i h_{t-1} + b_i) && \text{input gate}\\
        o_t &= \sigma(W_o x_t + U_o h_{t-1} + b_o) && \text{output gate}\\
        \tilde c_t &= \tanh(W_c x_t + U_c h_{t-1} + b_c) && \text{candidate}\\
        c_t &= f_t \odot c_{t-1} + i_t \odot \tilde c_t && \text{cell state}\\
        h_t &= o_t \odot \tanh(c_t) && \text{hidden state}
        \end{aligned}$$

        - The **forget gate** $f_t$ decides how much of the previous cell state $c_{t-1}$ is
          kept. Where it stays near 1 the cell state, and its gradient
          ($\partial c_t / \partial c_{t-1} = \mathrm{diag}(f_t)$: no weight matrix, no tanh),
          passes many steps unchanged. This is the LSTM's answer to the vanishing gradient.
          Keras starts its bias at 1 (`unit_forget_bias`), so that a new cell mostly remembers.
        - The **input gate** $i_t$ decides how much of the candidate is written into the cell.
        - The **candidate** $\tilde c_t$ is the new content on offer: a SimpleRNN step of its own.
        - The **cell state** $c_t$ is the long memory: the kept part of the old one plus the
          admitted part of the candidate.
        - The **output gate** $o_t$ decides how much of the squashed cell state becomes the
          **hidden state** $h_t$, which is what the next step's gates and the next layer see.

        Four blocks, each the size of a SimpleRNN: $4u(u+f+1)$.

        **GRU** (`reset_after=True`, Keras's default and the cuDNN form) — two gates and no
        separate cell state; input and recurrent parts have separate biases:
        $$\begin{aligned}
        z_t &= \sigma(W_z x_t + b_z + U_z h_{t-1} + b'_z) && \text{update gate}\\
        r_t &= \sigma(W_r x_t + b_r + U_r h_{t-1} + b'_r) && \text{reset gate}\\
        \tilde h_t &= \tanh\big(W_h x_t + b_h + r_t \odot (U_h h_{t-1} + b'_h)\big)
          && \text{candidate}\\
        h_t &= z_t \odot h_{t-1} + (1 - z_t) \odot \tilde h_t && \text{hidden state}
        \end{aligned}$$

        - The **update gate** $z_t$ decides how much of the previous state is kept and how much
          is replaced by the candidate. It is the LSTM's forget and input gates in one, tied to
          sum to 1. Where $z_t \approx 1$, $h_{t-1}$ is copied forward, with its gradient.
        - The **reset gate** $r_t$ decides how much of the previous state enters the
          candidate. Near 0, the candidate is computed from the input alone, as if the sequence
          started afresh.
        - The **candidate** $\tilde h_t$ is the proposed new state; the **hidden state** $h_t$
          lies between the old state and it, unit by unit.

        Three blocks with two biases each: $3u(u+f+2)$, about 3/4 of an LSTM of the same width.

        **Hybrid** — an LSTM on the $f$ inputs feeding a GRU on its $u$ outputs:
        $4u(u+f+1) + 3u(2u+2)$. Every model ends in a `Dense(horizon)` head, $(u+1)h$ weights;
        the linear baseline is one `Dense(horizon)` on the flattened window, $(Wf+1)h$.

        `forecast.architectures(window, horizon, units, features)` puts these formulas beside
        the count Keras reports for the built model; here for this notebook's sizes, then for
        widths from 4 to 256 units.
        """
    ),
    code(
        """
        f = len(p.columns)
        costs = forecast.architectures(WINDOW, HORIZON, UNITS, features=f).rename(
            columns={'formula_params': 'formula count', 'keras_params': 'Keras count'})
        costs.insert(3, 'x RNN', (costs['Keras count'] / costs.loc['rnn', 'Keras count']).round(2))
        assert (costs['formula count'] == costs['Keras count']).all()
        print(f'u = {UNITS} units, f = {f} input columns, window {WINDOW}, horizon {HORIZON}')
        if p.calendar:
            print(f'(the weather models of section 4 also read the {2 * len(p.calendar)} calendar '
                  'columns, and their head the calendar of the forecast times: more weights)')
        display(costs)

        widths = [4, 8, 16, 32, 64, 128, 256]
        keras_count = pd.DataFrame(  # one row per width, one column per architecture
            {u: forecast.architectures(WINDOW, HORIZON, u, features=f)['keras_params']
             for u in widths}).T
        fig, ax = plt.subplots(figsize=(7, 3.8), layout='constrained')
        for n in ['rnn', 'gru', 'lstm', 'hybrid']:
            ax.plot(widths, keras_count[n], 'o-', ms=3, label=f"{n}: {costs.loc[n, 'formula']}")
        ax.axhline(keras_count['linear'].iloc[0], color='grey', ls='--',
                   label=f"linear: {costs.loc['linear', 'formula']}")
        ax.set(xscale='log', yscale='log', xlabel='units u', ylabel='trainable parameters (Keras)',
               title=f'the price of the gates (f = {f} inputs, horizon {HORIZON})')
        ax.set_xticks(widths, [str(w) for w in widths])
        ax.legend(fontsize=8)
        show(fig)
        """
    ),
    md(
        """
        ## 4. The comparison, with significance

        From Python, one model at a time is `forecast.fit`: it trains one architecture with one
        seed, scores it and the three baselines on the same test windows and writes a run
        directory. `run.table` is that scoring (skill is relative to persistence) and
        `run.plot()` the run's forecast figure. The run also scores the model averaged with the
        linear baseline, $w \\cdot \\text{model} + (1-w) \\cdot \\text{linear}$ with $w$ fit on
        validation (`run.metrics['combination']`); the verdict names it when it wins.
        """
    ),
    code(
        """
        run = forecast.fit(ROOT / 'data' / 'weather.csv', model='gru', out=OUT / 'weather-gru',
                           **FIT)
        display(run.table.round(3))
        combo = run.metrics.get('combination')
        if combo:
            print(f"{run.metrics['model']}+linear (w = {combo['weight']:.2f}): RMSE "
                  f"{combo['rmse']:.3f}")
        print(run.verdict)
        show(run.plot(), dpi=100)
        """
    ),
    md(
        """
        One fit with one seed says little about an architecture. `forecast.compare` prepares the
        windows once, trains the linear baseline once (ridge regression in closed form, penalty
        chosen on validation) and a gradient-boosting baseline (`gbm`) once, and trains every
        architecture with `SEEDS` seeds on the same windows, with Adam and early stopping on the
        validation loss. Every architecture is trained twice over: **point-wise** (one recurrent
        step per row: `gru`) and, since the window spans two seasons, **segment-wise** (the
        window cut into segments of one season, each embedded and fed to the cell as one step:
        `gru-seg7`, 30 rows in 5 steps). Each one averaged with the linear baseline is a row of
        its own (`gru+linear`, kind `combination`). Every row is scored on the same test
        windows, in the target's units; **the baselines are rows of the table**: persistence
        (tomorrow = today), seasonal naive, linear, gbm.

        Marks: `BEST` is the lowest RMSE among models *and* baselines; `≈ BEST` marks every row
        whose difference from it is not significant (Diebold–Mariano test, HLN small-sample
        correction, two-sided p ≥ 0.05; a model's per-origin losses averaged over its seeds);
        `LOSES TO PERSISTENCE` marks rows no better than repeating the last value.
        """
    ),
    code(
        """
        def significant(p_value, alpha=0.05):
            \"\"\"p < alpha; a missing or undefined p-value is not significant.\"\"\"
            return p_value is not None and not math.isnan(p_value) and p_value < alpha


        def significance(rows):
            \"\"\"RMSE and the two DM p-values of every row, as a table.\"\"\"
            table = pd.DataFrame([{
                'row': r['model'], 'kind': r['kind'], 'RMSE': round(r['rmse'], 3),
                'skill vs persistence': f"{r['skill_vs_persistence']:+.1%}",
                'DM p vs best': '-' if r['best'] else p_text(r['dm_p_vs_best']),
                'DM p vs persistence': '-' if r['model'] == 'persistence'
                else p_text(r['dm_p_vs_persistence']),
                'mark': 'BEST' if r['best'] else ('≈ BEST' if r['near_best'] else ''),
            } for r in rows])
            return table.set_index('row')


        def story(rows, data):
            \"\"\"What the table says, in words built from its numbers.\"\"\"
            by = {r['model']: r for r in rows}
            best = next(r for r in rows if r['best'])
            models = sorted((r for r in rows if r['kind'] == 'model'), key=lambda r: r['rmse'])
            top, pers, lin = models[0], by['persistence'], by['linear']
            near = [r['model'] for r in rows if r.get('near_best')]
            winners = [r['model'] for r in models if r['rmse'] < pers['rmse']
                       and significant(r['dm_p_vs_persistence'])]
            lines = [f"On the {data} data the lowest RMSE is **{best['model']}**'s "
                     f"({best['rmse']:.4g}, a {best['kind']})."]
            lines.append(
                f"Rows not significantly worse than it: {', '.join(near)}." if near
                else 'Every other row is significantly worse.')
            lines.append(
                f"The best architecture, {top['model']} ({top['rmse']:.4g}), "
                + (f"beats persistence ({pers['rmse']:.4g}) by {top['skill_vs_persistence']:.1%} "
                   if top['rmse'] < pers['rmse'] else
                   f"does **not** beat persistence ({pers['rmse']:.4g}; skill "
                   f"{top['skill_vs_persistence']:+.1%}) ")
                + f"(DM {p_text(top['dm_p_vs_persistence'])}); against the linear baseline "
                f"({lin['rmse']:.4g}) the difference is {top['rmse'] - lin['rmse']:+.3g}.")
            lines.append(
                f"Architectures significantly better than persistence: {', '.join(winners)}."
                if winners else
                '**No architecture is significantly better than persistence.**')
            if lin['best'] or lin.get('near_best'):
                lines.append('The linear baseline is '
                             + ('the best row.' if lin['best'] else
                                'as good as the best row, within noise: it is the cheaper choice.'))
            if pers['best'] or pers.get('near_best'):
                lines.append('Persistence itself is ' + ('the best row.' if pers['best'] else
                             'within noise of the best row.'))
            return ' '.join(lines)


        def cell(name, segments):
            \"\"\"A row's name: 'gru' point-wise (segments ''), 'gru-seg7' segment-wise.\"\"\"
            return f'{name}-{segments}' if segments else name


        def seed_mean_loss(res, name, combined=False):
            \"\"\"Per-origin test losses of a row, averaged over its seeds (as compare does).\"\"\"
            runs = res.models[name]
            return np.mean(runs.combined_losses if combined else runs.losses, axis=0)


        def classic_ranking(res, data, horizon):
            \"\"\"Do the gated cells (LSTM, GRU) beat the simple RNN, point-wise and segment-wise?
            Then: does averaging with the linear baseline help, and where does gbm land?\"\"\"
            by = {r['model']: r for r in res.rows}
            ways = sorted({n.partition('-')[2] for n in res.models}, key=lambda w: (w != '', w))
            lines = [f'**The classic ranking on the {data} data** (the gated cells beat the simple '
                     'RNN; RMSE mean over seeds, DM p of each gated cell against the RNN):']
            for way in ways:
                how = (f"segment-wise ({way.removeprefix('seg')}-row segments)" if way
                       else 'point-wise')
                rnn = cell('rnn', way)
                gated = [cell(n, way) for n in ('lstm', 'gru') if cell(n, way) in res.models]
                if rnn not in res.models or not gated:
                    lines.append(f'- {how}: not measured (it needs rnn and lstm or gru).')
                    continue
                parts, better, worse = [], [], []
                for g in gated:
                    p_value = forecast.dm_test(seed_mean_loss(res, g), seed_mean_loss(res, rnn),
                                               horizon).p_value
                    parts.append(f"{g} {by[g]['rmse']:.4g} (DM {p_text(p_value)})")
                    if significant(p_value):
                        (better if by[g]['rmse'] < by[rnn]['rmse'] else worse).append(g)
                if len(better) == len(gated):
                    verdict = '**holds**'
                elif better:
                    verdict = f"**holds only for {', '.join(better)}**"
                elif worse:
                    verdict = (f"**is reversed**: {rnn} is significantly better than "
                               + ', '.join(worse))
                else:
                    verdict = '**does not hold**: no gated cell is significantly better'
                lines.append(f"- {how}: {rnn} {by[rnn]['rmse']:.4g} vs " + ', '.join(parts)
                             + f'; the ranking {verdict}.')
            combos = [r for r in res.rows if r['kind'] == 'combination']
            if combos:
                helped = [r['model'] for r in combos
                          if r['rmse'] < by[r['model'].removesuffix('+linear')]['rmse']]
                top = min(combos, key=lambda r: r['rmse'])
                alone = min((r for r in res.rows if r['kind'] == 'model'), key=lambda r: r['rmse'])
                p_value = forecast.dm_test(
                    seed_mean_loss(res, top['model'].removesuffix('+linear'), combined=True),
                    seed_mean_loss(res, alone['model']), horizon).p_value
                lines.append(
                    f"- averaged with the linear baseline ({by['linear']['rmse']:.4g}): the RMSE "
                    f"fell for {len(helped)} of {len(combos)} cells; the best combination, "
                    f"{top['model']} (w = {top['weight']:.2f}), {top['rmse']:.4g} vs the best "
                    f"cell alone, {alone['model']}, {alone['rmse']:.4g} (DM {p_text(p_value)}).")
            if 'gbm' in by:
                g = by['gbm']
                rank = sorted(res.rows, key=lambda r: r['rmse']).index(g) + 1
                lines.append(
                    f"- gbm: RMSE {g['rmse']:.4g}, row {rank} of {len(res.rows)} by RMSE ("
                    + ('the best row' if g['best']
                       else f"DM vs the best {p_text(g['dm_p_vs_best'])}")
                    + ').')
            return '\\n'.join(lines)
        """
    ),
    md(
        """
        ### Weather: Seattle daily max temperature, window 30 days, horizon 7 days
        """
    ),
    code(
        """
        res_weather = forecast.compare(ROOT / 'data' / 'weather.csv', models=MODELS, seeds=SEEDS,
                                       out=OUT / 'weather', log=lambda m: None, **FIT)
        display(Markdown(res_weather.markdown()))
        print(res_weather.verdict)
        """
    ),
    code(
        """
        display(significance(res_weather.rows))
        display(Markdown(story(res_weather.rows, 'weather')))
        display(Markdown(classic_ranking(res_weather, 'weather', HORIZON)))
        """
    ),
    code(
        """
        display(Image(filename=str(res_weather.path / 'rmse_by_model.png'), width=640))
        display(Image(filename=str(res_weather.path / 'forecasts_overlay.png'), width=800))
        """
    ),
    md(
        """
        ### Stock: S&P 500 daily close, window 20 business days, horizon 5

        Daily index levels are close to a random walk: expect persistence to be hard to beat,
        and the table to say so when it is not beaten.
        """
    ),
    code(
        """
        res_stock = forecast.compare(ROOT / 'data' / 'stock.csv', models=MODELS, seeds=SEEDS,
                                     out=OUT / 'stock', log=lambda m: None, **STOCK_FIT)
        display(Markdown(res_stock.markdown()))
        print(res_stock.verdict)
        display(significance(res_stock.rows))
        display(Markdown(story(res_stock.rows, 'stock')))
        display(Markdown(classic_ranking(res_stock, 'stock', STOCK_FIT['horizon'])))
        """
    ),
    code(
        """
        display(Image(filename=str(res_stock.path / 'rmse_by_model.png'), width=640))
        display(Image(filename=str(res_stock.path / 'forecasts_overlay.png'), width=800))
        """
    ),
    md(
        """
        ## 5. Prediction intervals

        Each run calibrates conformal intervals on its **validation** windows: per horizon step,
        the $\\lceil (n+1)(1-\\alpha) \\rceil$-th smallest absolute validation residual. Because a
        series' error level drifts (validation in summer, test in winter; calm and volatile
        markets), $\\alpha$ then follows **adaptive conformal inference** (Gibbs & Candès 2021)
        along the test period: when the step-$j$ outcome of an origin is observed ($j$ origins
        later, never earlier) $\\alpha$ moves by $\\gamma(1 - \\text{level} - \\text{miss})$,
        $\\gamma = 0.02$, widening the band after misses and narrowing it after hits. The
        coverage below is measured on the test windows, each with the band it had *before* its
        outcome was known.
        """
    ),
    code(
        """
        def best_run(res):
            \"\"\"The Run of the lowest-RMSE architecture (its first seed).\"\"\"
            models = [r for r in res.rows if r['kind'] == 'model']
            return res.run(min(models, key=lambda r: r['rmse'])['model'])


        cover, runs_shown = [], {}
        for data, res in [('weather', res_weather), ('stock', res_stock)]:
            for r in res.rows:
                if r['kind'] == 'model':
                    cover.append({'data': data, 'model': r['model'],
                                  'coverage 80 %': f"{r['coverage_80']:.1%}",
                                  'coverage 95 %': f"{r['coverage_95']:.1%}"})
            runs_shown[data] = best_run(res)
        display(pd.DataFrame(cover).set_index(['data', 'model']))

        fig, axes = plt.subplots(2, 1, figsize=(10, 6), layout='constrained')
        lines = []
        for ax, (data, best) in zip(axes, runs_shown.items()):
            m = best.metrics
            one = best.predictions.query('step == 1').tail(150)
            ax.fill_between(one['timestamp'], one['lower_95'], one['upper_95'], color='tab:blue',
                            alpha=0.15, label='95 %')
            ax.fill_between(one['timestamp'], one['lower_80'], one['upper_80'], color='tab:blue',
                            alpha=0.3, label='80 %')
            ax.plot(one['timestamp'], one['actual'], 'k.-', ms=3, lw=0.8, label='actual')
            ax.plot(one['timestamp'], one['predicted'], color='tab:blue', lw=1, label=m['model'])
            ax.set_title(f"{data}: {m['model']} (seed {m['seed']}), one-step forecasts and "
                         'conformal bands, last 150 test origins')
            ax.set_ylabel(m['target'])
            ax.legend(fontsize=8, ncol=4, loc='upper left')
            lines.append(
                f"- **{data}**, {m['model']}: nominal 80 % → {m['coverage_80']:.1%} of the "
                f"{m['n_test_windows']} test windows' outcomes inside the band (mean half-width "
                f"±{m['interval_mean_width']['80']:.3g}); nominal 95 % → {m['coverage_95']:.1%} "
                f"(±{m['interval_mean_width']['95']:.3g}).")
        show(fig)
        display(Markdown('Test coverage of the best architecture of each comparison:\\n\\n'
                         + '\\n'.join(lines)))
        """
    ),
    md(
        """
        ## 6. Long memory: the adding problem and the vanishing gradient

        Each sequence of $L$ steps has a value channel (uniform in $[0, 1]$) and a marker
        channel with exactly two 1s, one in each half; the target, read after the last step, is
        the sum of the two marked values. Predicting 1.0 (no memory) scores MSE $1/6 \\approx
        0.167$; a run counts as **solved** when its test MSE falls below 0.01. Training draws
        fresh sequences at every step (Adam, lr 0.01, gradient clipping at 1.0;
        `forecast/experiments/memory.py`).

        First a **small live run**: one length, one seed, a capped step budget (the cell prints
        them), so it executes in a minute or two. It checks that the effect shows, nothing more.
        """
    ),
    code(
        """
        live = forecast.memory_test(MODELS, [MEMORY_LENGTH], seeds=1, units=UNITS,
                                    max_steps=MEMORY_STEPS, log=lambda m: None)
        settings = live.settings
        print(forecast.memory_table(live))

        fig, axes = plt.subplots(1, 2, figsize=(11, 3.8), layout='constrained')
        for name in live.models:
            h = live.histories[f'{name}/{MEMORY_LENGTH}/{live.seeds[0]}']
            axes[0].plot([c['step'] for c in h], [c['val_mse'] for c in h], 'o-', ms=3,
                         label=name)
        axes[0].axhline(1 / 6, color='grey', ls=':', label='no memory: 1/6')
        axes[0].axhline(settings.threshold, color='black', ls='--', label='solved')
        axes[0].set(yscale='log', xlabel='training step', ylabel='validation MSE',
                    title=f'live: adding problem, L = {MEMORY_LENGTH}, 1 seed')
        axes[0].legend(fontsize=8)
        forecast.plot_gradients(axes[1], live.gradients, 'trained')
        axes[1].set_title('live: gradient reaching each input step, after training')
        show(fig)

        rows = {r['model']: r for r in live.rows}
        solved = [n for n, r in rows.items() if r['solved']] or ['none']
        failed = [f"{n} (test MSE {r['mse']:.3f})" for n, r in rows.items() if not r['solved']]
        ratio = {n: g['trained_first_over_last'] for n, g in live.gradients['models'].items()}
        display(Markdown(
            f"Live, L = {MEMORY_LENGTH}, at most {MEMORY_STEPS} steps, seed {live.seeds[0]}: "
            f"solved by {', '.join(solved)}; not solved by {', '.join(failed) or 'none'}. "
            'Gradient at the first input step over the gradient at the last, after training: '
            + ', '.join(f'{n} {v:.2g}' for n, v in ratio.items()) + '.'
        ))
        """
    ),
    md(
        """
        ### The full benchmark (committed in `bench/memory/`)

        The claims rest on the full run, not on the live cell: four lengths, three seeds per
        cell, up to 4,000 steps each (`forecast compare --task memory --out bench/memory`). It is
        read back from its JSON here, not re-run; the cell prints its budget.
        """
    ),
    code(
        """
        bench = forecast.load_memory(ROOT / 'bench' / 'memory')
        s = bench.settings
        print(f'budget: {len(bench.seeds)} seeds {bench.seeds}, lengths {bench.lengths}, '
              f'{s.units} units, batch {s.batch}, <= {s.max_steps} steps, plateau after '
              f'{s.patience} checks of {s.eval_every} steps; '
              f"{bench.timing['cpu_seconds'] / 60:.1f} CPU-minutes, "
              f"{bench.timing['wall_seconds'] / 60:.1f} wall-minutes on a shared 2-core machine")
        print(forecast.memory_table(bench))

        fig, ax = plt.subplots(figsize=(8.5, 4), layout='constrained')
        forecast.plot_memory(ax, bench).set_title(
            f'bench/memory: test MSE by length ({len(bench.seeds)} seeds per cell)')
        show(fig)
        fig, axes = plt.subplots(1, 2, figsize=(11, 4), layout='constrained', sharey=True)
        for ax, stage in zip(axes, ('init', 'trained')):
            forecast.plot_gradients(ax, bench.gradients, stage)
        fig.suptitle(f"bench/memory: gradient reaching each input step, L = "
                     f"{bench.gradients['length']}, seed {bench.gradients['seed']}")
        show(fig)
        """
    ),
    code(
        """
        cells = {(c['model'], c['length']): c for c in forecast.memory_summary(bench.rows)}
        longest = max(bench.lengths)

        def solved_up_to(name):
            ok = [n for n in bench.lengths
                  if cells[(name, n)]['solved'] == cells[(name, n)]['seeds']]
            return max(ok) if ok else None

        grads = bench.gradients['models']
        text = []
        for name in bench.models:
            c = cells[(name, longest)]
            upto = solved_up_to(name)
            text.append(
                f"- **{name}**: every seed solved up to L = {upto}" if upto else
                f"- **{name}**: no length solved by every seed")
            text[-1] += (f"; at L = {longest} {c['solved']}/{c['seeds']} seeds solved, median test "
                         f"MSE {c['median_mse']:.3g}"
                         + (f", median {c['median_steps_to_solve']:.0f} steps to solve"
                            if c['median_steps_to_solve'] else '')
                         + f"; gradient ratio first/last step "
                         f"{grads[name]['init_first_over_last']:.2g} at initialisation, "
                         f"{grads[name]['trained_first_over_last']:.2g} after training.")
        tiny = 1e-3  # the first step gets less than a thousandth of the last step's gradient
        vanished = {stage: [n for n, g in grads.items() if g[f'{stage}_first_over_last'] < tiny]
                    for stage in ('init', 'trained')}
        text.append(
            f"\\nGradient ratio below {tiny:g} (vanished) at initialisation: "
            f"{', '.join(vanished['init']) or 'none'}; after training: "
            f"{', '.join(vanished['trained']) or 'none'}.")
        display(Markdown('\\n'.join(text)))
        """
    ),
    md(
        """
        A ratio far below 1 means the loss hardly reaches the early inputs: the gradient has
        vanished on the way back (a ratio of 0 is a gradient that underflowed float32). Where a
        gated architecture's ratio is tiny at initialisation and near 1 after training, the
        gates did not prevent vanishing by themselves: training *learned* to keep the gradient
        alive.
        """
    ),
    md(
        """
        ## 7. The hybrid: an LSTM feeding a GRU

        The hybrid stacks an LSTM layer (its cell state carries long memory) under a GRU layer
        (fewer weights per unit). Does the combination buy anything over its parents? The cell
        compares it with each parent on every measurement above: parameters, seconds per
        epoch, test RMSE and a Diebold–Mariano test of their per-origin losses (mean over
        seeds), and the adding problem's steps to solve.
        """
    ),
    code(
        """
        def hybrid_vs_parents(res, data, horizon):
            \"\"\"One bullet per way the hybrid was trained (point-wise, segment-wise).\"\"\"
            ways = sorted({n.partition('-')[2] for n in res.models if n.startswith('hybrid')},
                          key=lambda w: (w != '', w))
            if not ways:
                return [f'- {data}: the hybrid was not among the models of this execution.']
            by = {r['model']: r for r in res.rows}
            bullets = []
            for way in ways:
                hybrid = cell('hybrid', way)
                h = by[hybrid]
                out = [f"- **{data}**, {hybrid}: RMSE {h['rmse']:.4g}, {h['params']:,} parameters, "
                       f"{h['seconds_per_epoch']:.2f} s/epoch"]
                better = []
                for parent in (cell('lstm', way), cell('gru', way)):
                    if parent in by:
                        q = by[parent]
                        p_value = forecast.dm_test(seed_mean_loss(res, hybrid),
                                                   seed_mean_loss(res, parent), horizon).p_value
                        out.append(f"{parent} {q['rmse']:.4g} ({q['params']:,} parameters, "
                                   f"{q['seconds_per_epoch']:.2f} s/epoch; DM {p_text(p_value)})")
                        better.append(h['rmse'] < q['rmse'] and significant(p_value))
                verdict = ('significantly better than both parents' if len(better) == 2
                           and all(better) else 'not significantly better than both parents')
                bullets.append('; vs '.join(out) + f'. The hybrid is **{verdict}** here.')
            return bullets


        text = [*hybrid_vs_parents(res_weather, 'weather', HORIZON),
                *hybrid_vs_parents(res_stock, 'stock', STOCK_FIT['horizon'])]
        steps = {n: cells[(n, longest)]['median_steps_to_solve'] for n in ('lstm', 'gru', 'hybrid')}
        secs = {n: cells[(n, longest)]['median_seconds'] for n in ('lstm', 'gru', 'hybrid')}
        text.append(f"- **adding problem** (bench, L = {longest}): median steps to solve "
                    + ', '.join(f'{n} {v:.0f}' if v else f'{n} unsolved' for n, v in steps.items())
                    + '; median seconds per seed '
                    + ', '.join(f'{n} {v:.0f}' for n, v in secs.items()) + '.')
        display(Markdown('\\n'.join(text)))
        """
    ),
    md(
        """
        ## 8. What to use when

        A recurrent model is worth its training only where it beats **both** baselines and the
        Diebold–Mariano test says the gap is more than noise; otherwise the cheapest row that is
        within noise of the best is the one to use. The advice below applies that rule to the
        numbers of this execution (and of the committed memory benchmark); it is generated from
        them, so it says no more than they show.
        """
    ),
    code(
        """
        SIMPLEST_FIRST = ['persistence', 'seasonal_naive', 'linear', 'gbm']


        def cost(row, by):
            \"\"\"What a row costs, for ordering: the baselines first (simplest first), then the
            trained rows by parameters (a combination: its model's plus the linear one's).\"\"\"
            if row['kind'] == 'baseline':
                name = row['model'].split('(')[0]  # seasonal_naive(7)
                return (0, SIMPLEST_FIRST.index(name) if name in SIMPLEST_FIRST else 99)
            if row['kind'] == 'combination':
                return (1, by[row['model'].removesuffix('+linear')]['params']
                        + by['linear']['params'])
            return (1, row['params'])


        def advice(rows, data):
            by = {r['model']: r for r in rows}
            best = next(r for r in rows if r['best'])
            equal = [r for r in rows if r['best'] or r.get('near_best')]
            cheapest = min(equal, key=lambda r: cost(r, by))
            others = ', '.join(r['model'] for r in equal if r is not best) or 'nothing'
            text = (f"- **{data}**: best row {best['model']} (RMSE {best['rmse']:.4g}); within "
                    f"noise of it: {others}. ")
            if cheapest['kind'] == 'baseline':
                text += (f"**Use {cheapest['model']}**: no recurrent model (alone or averaged with "
                         'the linear baseline) is significantly better than it on these test '
                         'windows.')
            elif cheapest is best:
                text += f"**Use {best['model']}**: it is significantly better than every baseline."
            else:
                what = ("parameters, its model's and the linear baseline's"
                        if cheapest['kind'] == 'combination' else 'parameters')
                text += (f"No baseline is within noise of the best; the cheapest equivalent row "
                         f"is **{cheapest['model']}** ({cost(cheapest, by)[1]:,} {what}).")
            return text


        def coverage_text():
            parts = []
            for data, best in runs_shown.items():
                m = best.metrics
                parts.append(
                    f"{data} ({m['model']}) {m['coverage_80']:.1%} / {m['coverage_95']:.1%}")
            return ('- **intervals**: test coverage of the nominal 80 % / 95 % bands: '
                    + '; '.join(parts) + '. Judge the bands by these numbers, per data set: '
                    'coverage is measured on one test period, not guaranteed.')


        rnn_limit = solved_up_to('rnn')
        gated = [n for n in ('lstm', 'gru', 'hybrid') if solved_up_to(n) == longest]
        quickest = min((steps[n] for n in gated if steps[n]), default=None)
        fastest = [n for n in gated if steps[n] == quickest]
        ratio_to_lstm = costs['Keras count'] / costs.loc['lstm', 'Keras count']
        display(Markdown('\\n'.join([
            advice(res_weather.rows, 'weather'),
            advice(res_stock.rows, 'stock'),
            f"- **long memory**: in the benchmark the plain RNN solved every seed only up to "
            f"L = {rnn_limit}; {', '.join(gated) or 'no gated model'} solved every seed up to "
            f"L = {longest}"
            + (f", {' and '.join(fastest)} in the fewest steps (median {quickest:.0f}). "
               if fastest else '. ')
            + 'For dependencies many steps back, use a gated cell.',
            f"- **cost**: at {UNITS} units a GRU has {ratio_to_lstm['gru']:.2f}x an LSTM's "
            f"parameters and the hybrid {ratio_to_lstm['hybrid']:.2f}x; "
            'keep the hybrid only where its bullet in section 7 shows a significant gain.',
            coverage_text(),
        ])))
        """
    ),
]


def build() -> nbformat.NotebookNode:
    """The notebook with every cell's source and no outputs."""
    nb = nbformat.v4.new_notebook(cells=[nbformat.from_dict(c) for c in CELLS])
    for k, cell in enumerate(nb.cells):
        cell.id = f"cell-{k:02d}"  # stable ids: a rebuilt notebook differs only where it changed
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    nb.metadata["language_info"] = {"name": "python"}
    return nb


@contextlib.contextmanager
def environment(overrides: dict[str, str]):
    """``os.environ`` with ``overrides`` (and this checkout first on PYTHONPATH, so the kernel
    imports it), restored afterwards; the kernel inherits it."""
    saved = dict(os.environ)
    path = os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))
    os.environ.update({"PYTHONPATH": path, "TF_CPP_MIN_LOG_LEVEL": "3", **overrides})
    try:
        yield
    finally:
        os.environ.clear()
        os.environ.update(saved)


def execute(nb: nbformat.NotebookNode, env: dict[str, str] | None = None, timeout: int = 1800):
    """Run ``nb`` in a fresh python3 kernel from notebooks/ (in place) and return it with its
    volatile metadata stripped."""
    import nbclient

    with environment(env or {}):
        client = nbclient.NotebookClient(
            nb,
            timeout=timeout,
            kernel_name="python3",
            resources={"metadata": {"path": str(NB_DIR)}},
        )
        client.execute()
    return strip(nb)


def strip(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """Drop what changes from one execution to the next without meaning anything: execution
    timestamps, the Python patch version."""
    for cell in nb.cells:
        cell.metadata.pop("execution", None)
    nb.metadata["language_info"] = {"name": "python"}
    return nb


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--execute", action="store_true", help="execute and keep the outputs")
    parser.add_argument("--fast", action="store_true", help="with --execute: the CI settings")
    parser.add_argument("--out", type=Path, default=NOTEBOOK, help="where to write the notebook")
    args = parser.parse_args(argv)
    nb = build()
    if args.execute:
        start = time.perf_counter()
        execute(nb, FAST_ENV if args.fast else None)
        print(f"executed in {time.perf_counter() - start:.0f} s", file=sys.stderr)
    nbformat.write(nb, args.out)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
