"""Scale check: ``forecast fit`` on a synthetic N rows x F columns CSV (default 1 M x 8, window
96, horizon 24, batch 256, one epoch); prints peak RSS, run-directory size and wall time.

    python bench/scale.py                       # 1,000,000 rows (a few minutes to ~20 on 2 CPUs)
    python bench/scale.py --rows 200000 --units 16
    python bench/scale.py --csv big.csv         # reuse a CSV

Targets (issue 11): peak RSS <= 1.5 GiB and run directory < 100 MB at 1 M rows. The fit runs in
a subprocess (``os.wait4`` gives its own peak RSS); its log goes to ``<tmp>/fit.log``, which also
shows the progress lines a long epoch prints when stdout is not a terminal.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
TARGET_RSS_GIB = 1.5
TARGET_DIR_MB = 100


def current_rss_mib(pid: int) -> float:
    """Resident memory of ``pid`` now (Linux ``/proc``), 0 when unavailable."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def run_measured(cmd: list[str], log: Path) -> tuple[int, float, float, str]:
    """Run ``cmd``; copy its output to ``log``, each line prefixed with the elapsed seconds and
    the process's RSS at that moment (which phase holds the memory); return (status, wall s,
    peak RSS MiB from ``os.wait4``, when the sampled RSS (every 0.2 s) peaked: after which line)."""
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3", PYTHONPATH=str(ROOT))
    start = time.perf_counter()
    p = subprocess.Popen(
        cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=env, cwd=ROOT, text=True
    )
    last = ["(start)"]
    peak = [0.0, 0.0, ""]  # RSS MiB, elapsed s, the last log line then

    def copy() -> None:
        with open(log, "w") as f:
            for line in p.stdout:
                elapsed = time.perf_counter() - start
                f.write(f"{elapsed:7.1f}s {current_rss_mib(p.pid):6.0f} MiB | {line}")
                f.flush()
                last[0] = line.strip()

    def sample() -> None:
        while p.poll() is None:
            rss = current_rss_mib(p.pid)
            if rss > peak[0]:
                peak[:] = [rss, time.perf_counter() - start, last[0]]
            time.sleep(0.2)

    reader = threading.Thread(target=copy)
    reader.start()
    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    _, status, usage = os.wait4(p.pid, 0)
    reader.join()
    when = f"{peak[0]:.0f} MiB at {peak[1]:.1f} s, after the line {peak[2][:80]!r}"
    return (
        os.waitstatus_to_exitcode(status),
        time.perf_counter() - start,
        usage.ru_maxrss / 1024,
        when,
    )


def dir_sizes(path: Path) -> dict[str, int]:
    return {p.name: p.stat().st_size for p in sorted(path.iterdir()) if p.is_file()}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--cols", type=int, default=8)
    ap.add_argument("--csv", type=Path, help="use this CSV instead of generating one")
    ap.add_argument("--model", default="gru")
    ap.add_argument("--window", type=int, default=96)
    ap.add_argument("--horizon", type=int, default=24)
    ap.add_argument("--batch-size", type=int, default=256)
    ap.add_argument("--units", type=int, default=64)
    ap.add_argument("--epochs", type=int, default=1)
    ap.add_argument("--keep", type=Path, help="keep the run directory here")
    a = ap.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="forecast-scale-"))
    csv = a.csv
    if csv is None:
        csv = tmp / f"synth_{a.rows}x{a.cols}.csv"
        t = time.perf_counter()
        subprocess.run(
            [sys.executable, str(HERE / "synth.py"), str(a.rows), str(a.cols), str(csv)], check=True
        )
        print(
            f"generated {csv} ({csv.stat().st_size / 2**20:.0f} MiB) in "
            f"{time.perf_counter() - t:.1f}s"
        )
    out = a.keep or tmp / "run"
    cmd = [sys.executable, "-m", "forecast", "fit", str(csv), "--model", a.model]
    cmd += ["--window", str(a.window), "--horizon", str(a.horizon), "--epochs", str(a.epochs)]
    cmd += ["--batch-size", str(a.batch_size), "--units", str(a.units), "--out", str(out)]
    cmd += ["--overwrite"]
    log = tmp / "fit.log"
    code, wall, rss, when = run_measured(cmd, log)
    if code != 0:
        sys.exit(f"fit failed ({code}); see {log}:\n{log.read_text()[-2000:]}")
    sizes = dir_sizes(out)
    total = sum(sizes.values())
    print(" ".join(cmd[2:]))
    print(f"rows {a.rows if a.csv is None else 'from ' + str(csv)}, {a.cols} columns")
    print(
        f"peak RSS      {rss:8.0f} MiB  ({rss / 1024:.2f} GiB; target <= {TARGET_RSS_GIB} GiB: "
        f"{'PASS' if rss / 1024 <= TARGET_RSS_GIB else 'MISS'})"
    )
    print(f"sampled peak  {when}")
    print(
        f"run directory {total / 1e6:8.1f} MB   (target < {TARGET_DIR_MB} MB: "
        f"{'PASS' if total / 1e6 < TARGET_DIR_MB else 'MISS'})"
    )
    for name, size in sizes.items():
        print(f"    {name:24} {size / 1e6:8.2f} MB")
    print(f"wall time     {wall:8.1f} s")
    progress = [line for line in log.read_text().splitlines() if "windows/s" in line]
    print(
        f"progress lines in the log: {len(progress)}"
        + (f", e.g. {progress[0]!r}" if progress else "")
    )
    print(f"log (elapsed, RSS at each line): {log}")
    for line in log.read_text().splitlines():
        if not any(k in line for k in ("windows/s", "Epoch", "/step", "I0000", "WARNING: All")):
            print("   ", line[:110])


if __name__ == "__main__":
    main()
