"""Numbered versions of the model a run forecasts with: ``update --refit`` never overwrites a model
without keeping the previous one, and ``update --rollback`` returns to it.

``RUN/versions/vK/`` holds version K's ``final_model.keras`` (and ``final_linear.keras`` when the
run has a linear baseline); ``RUN/versions.json`` lists them with when and why each was made and
which is current. The current one is also at ``RUN/final_model.keras``, where ``predict`` looks.
Version 1 is what the run forecast with before its first refit: its final model, or the scored
model.keras when it had none. Nothing is ever deleted: a rollback only moves ``current``.

Every function writes into a directory given to it (``update`` passes its staged copy of the run
directory, whose files may be hard links to the live ones: files are replaced, never rewritten in
place).
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from forecast import runs
from forecast.errors import ForecastError

VERSIONS_FILE = "versions.json"
VERSIONS_DIR = "versions"
FILES = (runs.FINAL_FILE, runs.FINAL_LINEAR_FILE)


def read_versions(run_dir: Path) -> dict | None:
    """versions.json of ``run_dir``, or ``None`` before the first refit."""
    path = Path(run_dir) / VERSIONS_FILE
    if not path.is_file():
        return None
    data = runs.read_json(Path(run_dir), VERSIONS_FILE)
    if not isinstance(data.get("current"), int) or not isinstance(data.get("versions"), list):
        raise ForecastError(f"{path} has no current version list; restore it from a backup")
    return data


def current_label(run_dir: Path) -> str | None:
    """``"vK"`` of the current version, or ``None`` before the first refit."""
    data = read_versions(run_dir)
    return None if data is None else f"v{data['current']}"


def place(src: Path, dst: Path) -> None:
    """``dst`` becomes a new file with ``src``'s bytes (a hard link where possible); an existing
    ``dst`` is replaced, not written into."""
    tmp = dst.with_name(f".{dst.name}.tmp")
    tmp.unlink(missing_ok=True)
    try:
        os.link(src, tmp)
    except OSError:
        shutil.copyfile(src, tmp)
    os.replace(tmp, dst)


def first_version(run_dir: Path, made_at: str) -> dict:
    """versions.json with version 1: the model the run forecast with so far, copied into
    ``versions/v1``."""
    run_dir = Path(run_dir)
    target = run_dir / VERSIONS_DIR / "v1"
    target.mkdir(parents=True, exist_ok=True)
    has_final = (run_dir / runs.FINAL_FILE).is_file()
    sources = {
        runs.FINAL_FILE: run_dir / (runs.FINAL_FILE if has_final else runs.MODEL_FILE),
        runs.FINAL_LINEAR_FILE: run_dir
        / (runs.FINAL_LINEAR_FILE if has_final else runs.LINEAR_FILE),
    }
    files = []
    for name, src in sources.items():
        if src.is_file():
            place(src, target / name)
            files.append(name)
    entry = {
        "version": 1,
        "made_at": made_at,
        "reason": "fit (final model)" if has_final else "fit (the scored model.keras)",
        "files": files,
    }
    return {"current": 1, "versions": [entry]}


def add_version(run_dir: Path, models: dict[str, object], made_at: str, reason: str, **facts):
    """Save ``models`` (``{file name: Keras model}``) as a new version and make it current.

    Returns:
        The new version's number.
    """
    run_dir = Path(run_dir)
    data = read_versions(run_dir) or first_version(run_dir, made_at)
    number = max(v["version"] for v in data["versions"]) + 1
    target = run_dir / VERSIONS_DIR / f"v{number}"
    target.mkdir(parents=True, exist_ok=True)
    for name, model in models.items():
        model.save(target / name)
    entry = {"version": number, "made_at": made_at, "reason": reason, "files": list(models)}
    data["versions"].append({**entry, **facts})
    data["current"] = number
    install(run_dir, data)
    return number


def rollback(run_dir: Path, made_at: str, shown: Path | None = None) -> tuple[int, int]:
    """Make the version before the current one current again (``shown``: the run directory
    as messages name it).

    Returns:
        ``(from, to)`` version numbers.

    Raises:
        ForecastError: the run has no earlier version.
    """
    data = read_versions(run_dir)
    numbers = sorted(v["version"] for v in data["versions"]) if data else []
    earlier = [n for n in numbers if data and n < data["current"]]
    if not earlier:
        have = f"only version {data['current']}" if data else "no versions yet"
        raise ForecastError(
            f"{shown or run_dir} has {have}: nothing to roll back to (versions are made by "
            "`forecast update --refit on-alert|always`)"
        )
    was = data["current"]
    data["current"] = earlier[-1]
    data.setdefault("rollbacks", []).append({"from": was, "to": earlier[-1], "at": made_at})
    install(run_dir, data)
    return was, earlier[-1]


def install(run_dir: Path, data: dict) -> None:
    """Put the current version's files at ``RUN/final_model.keras`` (``final_linear.keras``) and
    write versions.json."""
    entry = next(v for v in data["versions"] if v["version"] == data["current"])
    source = Path(run_dir) / VERSIONS_DIR / f"v{entry['version']}"
    for name in FILES:
        if name in entry["files"]:
            place(source / name, Path(run_dir) / name)
        else:
            (Path(run_dir) / name).unlink(missing_ok=True)
    runs.write_text_atomic(Path(run_dir) / VERSIONS_FILE, runs.json_text(data))
