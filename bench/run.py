"""forecast's benchmark suite: ``python bench/run.py --quick|--full``.

Measures, side by side in one run on this machine, and prints a table (PASS/MISS per target):

1. training throughput (windows/s of the fastest epoch, validation excluded, as metrics.json) of
   forecast's own pipeline for rnn / lstm / gru / hybrid at batch 64 and 256, against the
   plain-Keras reference (../shared/bench/plain_keras_ref.py, or its replica bench/keras_ref.py for
   rnn and hybrid) and, where torch is importable, a minimal PyTorch loop of the same size;
2. peak RSS of a real ``forecast fit`` subprocess as the CSV grows (x 8 columns);
3. ``forecast --help`` cold-start time;
4. inference latency per window and per batch.

Every measurement runs in its own subprocess so no library state is shared. Results also go to
bench/results.json. The targets live here only, never in unit tests.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
SHARED_REF = ROOT.parent / "shared" / "bench" / "plain_keras_ref.py"
TORCH_PYTHONS = (os.environ.get("FORECAST_BENCH_TORCH_PYTHON"), "/work/venv-torch/bin/python")

MODES = {
    "quick": {
        "rows": 3000,
        "epochs": 2,
        "models": ("rnn", "lstm", "gru", "hybrid"),
        "batches": (64, 256),
        "rss_rows": (10_000, 100_000),
        "cold_repeats": 5,
    },
    "full": {
        "rows": 20_000,
        "epochs": 3,
        "models": ("rnn", "lstm", "gru", "hybrid"),
        "batches": (64, 256),
        "rss_rows": (10_000, 100_000, 1_000_000),
        "cold_repeats": 10,
    },
}
SHAPE = {"window": 96, "horizon": 24, "units": 64}
# A real `forecast fit`, small enough for 1e6 rows on a laptop CPU: memory is what is measured.
RSS_FIT = ["--model", "gru", "--window", "24", "--horizon", "6", "--units", "8"]
RSS_FIT += ["--batch-size", "1024", "--epochs", "1", "--quiet"]
TARGETS = {
    "vs_keras": 2.0,  # forecast samples/s / plain-Keras samples/s
    "vs_torch": 1.0,  # forecast samples/s / PyTorch samples/s
    "rss_1e6_gib": 1.5,
    "cold_start_s": 0.5,
}


def env() -> dict[str, str]:
    e = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3", PYTHONPATH=str(ROOT))
    return e


def run(cmd: list[str], timeout: float = 1200) -> str:
    """Run ``cmd``; return its stdout; raise with its stderr tail on failure."""
    done = subprocess.run(cmd, capture_output=True, text=True, env=env(), timeout=timeout)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd[:4])} ... failed: {done.stderr.strip()[-800:]}")
    return done.stdout


def last_number(text: str) -> float:
    return float(text.strip().splitlines()[-1])


def torch_python() -> str | None:
    for python in TORCH_PYTHONS:
        if python and Path(python).exists():
            ok = subprocess.run([python, "-c", "import torch"], capture_output=True)
            if ok.returncode == 0:
                return python
    return None


def synth(rows: int, path: Path) -> Path:
    if not path.exists():
        run([sys.executable, str(HERE / "synth.py"), str(rows), "8", str(path)])
    return path


def throughput(csv: Path, model: str, batch: int, epochs: int, torch_py: str | None) -> dict:
    """forecast, plain Keras and PyTorch on the same CSV and shapes, one after the other."""
    shape = [f"--{k}={v}" for k, v in SHAPE.items()]
    common = [str(csv), *shape, f"--batch-size={batch}", f"--epochs={epochs}"]
    ours = json.loads(
        run([sys.executable, str(HERE / "fit_throughput.py"), *common, f"--model={model}"])
    )
    ref_script = SHARED_REF if model in ("gru", "lstm") and SHARED_REF.exists() else None
    ref_script = ref_script or HERE / "keras_ref.py"
    keras_sps = last_number(run([sys.executable, str(ref_script), *common, f"--cell={model}"]))
    row = {
        "model": model,
        "batch_size": batch,
        "forecast": ours["train_samples_per_second"],
        "keras_ref": keras_sps,
        "keras_ref_script": str(ref_script.relative_to(ROOT.parent)),
        "vs_keras": round(ours["train_samples_per_second"] / keras_sps, 2),
        "forecast_epoch_seconds": ours["epoch_seconds"],
    }
    if torch_py:
        # torch's OpenMP threads spin-wait; on an oversubscribed machine (load >= CPUs) that
        # collapses its throughput by 10x, so it then gets one thread (recorded in the row).
        threads = 1 if os.getloadavg()[0] >= (os.cpu_count() or 1) else 0
        torch_cmd = [torch_py, str(HERE / "torch_ref.py"), *common, "--cell", model]
        torch_sps = last_number(run([*torch_cmd, f"--threads={threads}"]))
        row["torch_threads"] = threads or "default"
        row["torch"] = torch_sps
        row["vs_torch"] = round(ours["train_samples_per_second"] / torch_sps, 2)
    return row


def peak_rss_fit(csv: Path, out: Path) -> dict:
    """Peak RSS (MiB) and wall time of one ``forecast fit`` subprocess."""
    cmd = [sys.executable, "-m", "forecast", "fit", str(csv), *RSS_FIT, "--out", str(out)]
    start = time.perf_counter()
    with tempfile.TemporaryFile() as log:
        proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, env=env())
        _, status, usage = os.wait4(proc.pid, 0)
        proc.returncode = os.waitstatus_to_exitcode(status)
        if proc.returncode != 0:
            log.seek(0)
            raise RuntimeError(f"forecast fit failed: {log.read().decode()[-800:]}")
    metrics = json.loads((out / "metrics.json").read_text())
    return {
        "peak_rss_mib": round(usage.ru_maxrss / 1024, 1),  # Linux: KiB
        "wall_seconds": round(time.perf_counter() - start, 1),
        "train_seconds": round(metrics["train_seconds"], 1),
        "n_train_windows": metrics["n_train_windows"],
    }


def cold_start(repeats: int) -> dict:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        run([sys.executable, "-m", "forecast", "--help"])
        times.append(time.perf_counter() - start)
    return {"median_s": round(statistics.median(times), 3), "min_s": round(min(times), 3)}


def verdict(ok: bool | None) -> str:
    return "n/a" if ok is None else ("PASS" if ok else "MISS")


def report(results: dict) -> str:
    lines = [
        f"forecast bench ({results['mode']}) on {results['machine']['cpus']} CPU(s), "
        f"load average at start {results['machine']['loadavg_start']}, "
        f"end {results['machine']['loadavg_end']}",
        "",
        f"training throughput, windows/s (window {SHAPE['window']}, horizon {SHAPE['horizon']}, "
        f"units {SHAPE['units']}, {results['throughput_rows']} rows x 8 cols)",
        f"{'model':8}{'batch':>6}{'forecast':>10}{'keras':>9}{'torch':>9}"
        f"{'x keras':>9}{'x torch':>9}  target >=2x keras / >=1x torch",
    ]
    for r in results["throughput"]:
        torch_sps = f"{r['torch']:>9.0f}" if "torch" in r else f"{'-':>9}"
        vs_torch = f"{r['vs_torch']:>9.2f}" if "vs_torch" in r else f"{'-':>9}"
        ok_k = verdict(r["vs_keras"] >= TARGETS["vs_keras"])
        ok_t = verdict(r["vs_torch"] >= TARGETS["vs_torch"] if "vs_torch" in r else None)
        lines.append(
            f"{r['model']:8}{r['batch_size']:>6}{r['forecast']:>10.0f}{r['keras_ref']:>9.0f}"
            f"{torch_sps}{r['vs_keras']:>9.2f}{vs_torch}  {ok_k} / {ok_t}"
        )
    lines += ["", f"peak RSS of `forecast fit CSV {' '.join(RSS_FIT)}` (x 8 columns)"]
    lines.append(f"{'rows':>10}{'peak MiB':>10}{'wall s':>8}{'train s':>8}")
    sizes = results["rss"]
    for r in sizes:
        lines.append(
            f"{r['rows']:>10,}{r['peak_rss_mib']:>10.0f}{r['wall_seconds']:>8.1f}"
            f"{r['train_seconds']:>8.1f}"
        )
    if len(sizes) >= 2:
        a, b = sizes[0], sizes[-1]
        per_row = (b["peak_rss_mib"] - a["peak_rss_mib"]) * 2**20 / (b["rows"] - a["rows"])
        window = int(RSS_FIT[RSS_FIT.index("--window") + 1])
        lines.append(
            f"growth {per_row:.0f} bytes/row; N*F float32 is {8 * 4} bytes/row, "
            f"N*window*F float32 would be {window * 8 * 4} bytes/row"
        )
    big = [r for r in sizes if r["rows"] >= 1_000_000]
    rss_ok = big[0]["peak_rss_mib"] / 1024 <= TARGETS["rss_1e6_gib"] if big else None
    lines.append(f"1e6 rows within {TARGETS['rss_1e6_gib']} GiB: {verdict(rss_ok)}")
    c = results["cold_start"]
    cold_ok = verdict(c["median_s"] < TARGETS["cold_start_s"])
    lines += [
        "",
        f"`forecast --help` cold start: median {c['median_s']:.3f}s, min {c['min_s']:.3f}s "
        f"(target < {TARGETS['cold_start_s']}s): {cold_ok}",
    ]
    lat = results.get("latency")
    if lat:
        lines.append(
            f"inference ({lat['model']}, window {lat['window']}): one window "
            f"{lat['ms_per_window_predict']:.1f} ms (model.predict, as `forecast predict`), "
            f"{lat['ms_per_window_eager_call']:.1f} ms (eager call); batch of {lat['batch']} "
            f"{lat['ms_per_batch_predict']:.1f} ms ({lat['ms_per_window_in_batch']:.3f} ms/window)"
        )
    lines.append(f"bench wall time: {results['wall_seconds']:.0f}s")
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    group = ap.add_mutually_exclusive_group()
    group.add_argument("--quick", action="store_true", help="small sizes, < 10 min on 2 CPUs")
    group.add_argument("--full", action="store_true", help="bigger sizes, 1e6-row RSS point")
    ap.add_argument("--out", type=Path, default=HERE / "results.json")
    ap.add_argument("--no-torch", action="store_true", help="skip the PyTorch comparison")
    a = ap.parse_args()
    mode = "full" if a.full else "quick"
    cfg = MODES[mode]
    start = time.perf_counter()
    results = {
        "mode": mode,
        "machine": {
            "cpus": os.cpu_count(),
            "platform": platform.platform(),
            "python": platform.python_version(),
            "loadavg_start": [round(x, 2) for x in os.getloadavg()],
        },
        "shape": SHAPE,
        "throughput_rows": cfg["rows"],
        "epochs": cfg["epochs"],
        "targets": TARGETS,
        "rss_fit_options": RSS_FIT,
    }
    torch_py = None if a.no_torch else torch_python()
    results["torch_python"] = torch_py
    work = Path(tempfile.mkdtemp(prefix="forecast-bench-"))
    try:
        results["cold_start"] = cold_start(cfg["cold_repeats"])
        csv = synth(cfg["rows"], work / f"synth_{cfg['rows']}.csv")
        results["throughput"] = []
        for model in cfg["models"]:
            for batch in cfg["batches"]:
                row = throughput(csv, model, batch, cfg["epochs"], torch_py)
                print(json.dumps(row), file=sys.stderr, flush=True)
                results["throughput"].append(row)
        results["rss"] = []
        for rows in cfg["rss_rows"]:
            big = synth(rows, work / f"synth_{rows}.csv")
            r = {"rows": rows, **peak_rss_fit(big, work / f"run_{rows}")}
            print(json.dumps(r), file=sys.stderr, flush=True)
            results["rss"].append(r)
        smallest = work / f"run_{cfg['rss_rows'][0]}"
        results["latency"] = json.loads(
            run([sys.executable, str(HERE / "latency.py"), str(smallest)])
        )
    finally:
        shutil.rmtree(work, ignore_errors=True)
    results["machine"]["loadavg_end"] = [round(x, 2) for x in os.getloadavg()]
    results["wall_seconds"] = round(time.perf_counter() - start, 1)
    text = report(results)
    results["table"] = text
    a.out.write_text(json.dumps(results, indent=2) + "\n")
    print(text)
    print(f"\nwrote {a.out}")


if __name__ == "__main__":
    main()
