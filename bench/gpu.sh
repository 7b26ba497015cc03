#!/usr/bin/env bash
# What to run when a GPU is lent (a few minutes on one H100): the kernel forecast's recurrent
# layers get, and training throughput with and without --mixed-precision, beside plain Keras.
#
#   bash bench/gpu.sh [ROWS]        # default 200000 rows x 8 columns; results also in $OUT or /tmp
#
# Prints: nvidia-smi summary; bench/gpu_check.py (cuDNN op in the traced graph per model and
# precision); then per model x batch x precision the steady-state windows/s of `forecast fit`
# (median of the epochs after the first, from history.csv) and the plain-Keras reference.
set -euo pipefail
cd "$(dirname "$0")/.."
export TF_CPP_MIN_LOG_LEVEL=3 PYTHONPATH="$PWD"
ROWS="${1:-200000}"
WORK="${OUT:-$(mktemp -d)}"
mkdir -p "$WORK"
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv || echo "no nvidia-smi"
python bench/gpu_check.py
python bench/synth.py "$ROWS" 8 "$WORK/synth.csv"
echo
echo "model  batch  precision  forecast_windows_per_s  (fit: window 96, horizon 24, 64 units, 4 epochs)"
for model in gru lstm; do
  for batch in 256 1024; do
    for mp in --no-mixed-precision --mixed-precision; do
      run="$WORK/run-$model-$batch$mp"
      python -m forecast fit "$WORK/synth.csv" --model "$model" --window 96 --horizon 24 \
        --units 64 --epochs 4 --patience 10 --batch-size "$batch" $mp --out "$run" \
        --overwrite --quiet > "$run.log" 2>&1 || { echo "fit failed: $run.log"; tail -5 "$run.log"; continue; }
      python - "$run" "$model" "$batch" "$mp" <<'PY'
import json, statistics, sys
import pandas as pd
run, model, batch, mp = sys.argv[1:]
m = json.load(open(f"{run}/metrics.json"))
seconds = pd.read_csv(f"{run}/history.csv")["train_epoch_seconds"].tolist()
steady = m["n_train_windows"] / statistics.median(seconds[1:])
precision = "mixed16" if mp == "--mixed-precision" else "float32"
print(f"{model:6} {batch:>5}  {precision:9}  {steady:12,.0f}   epochs {[round(s, 2) for s in seconds]}")
PY
    done
    keras=$(python bench/keras_ref.py "$WORK/synth.csv" --cell "$model" --batch-size "$batch" --epochs 3)
    echo "$model $batch plain-keras (last of 3 epochs): $keras windows/s"
  done
done
echo
echo "two GPUs or more: python -m forecast fit $WORK/synth.csv --distribute mirrored --epochs 2"
