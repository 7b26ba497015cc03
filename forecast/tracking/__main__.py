"""``python -m forecast.tracking KIND DIR``: log a directory that a command already wrote (after
a tracking failure, or one made without ``--mlflow``) to ``MLFLOW_TRACKING_URI``."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from forecast.errors import ForecastError
from forecast.tracking import KINDS, check, track


def main(argv: list[str] | None = None) -> int:
    """Log ``DIR`` as a ``KIND`` run; exit status 0 when logged, 1 when not, 2 without MLflow."""
    parser = argparse.ArgumentParser(prog="python -m forecast.tracking", description=__doc__)
    parser.add_argument("kind", choices=KINDS)
    parser.add_argument("dir")
    args = parser.parse_args(argv)
    try:
        check(True)
        if not Path(args.dir).is_dir():
            raise ForecastError(f"{args.dir} is not a directory; pass one a command wrote")
    except ForecastError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    run_id = track(args.kind, args.dir, {}, True, lambda line: print(line, file=sys.stderr))
    if run_id is None:
        return 1
    print(run_id)
    return 0


if __name__ == "__main__":
    sys.exit(main())
