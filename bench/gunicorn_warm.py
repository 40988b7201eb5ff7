"""config/gunicorn.py unchanged (settings and the WARM_DIRECTORY warm-up), plus a marker file per worker once
its warm-up has finished, so a benchmark can wait until every worker is ready: BENCH_WARM_DIR=<dir>."""

import os
from pathlib import Path

from config import gunicorn as production
from config.gunicorn import *  # noqa: F403


def post_worker_init(worker):
    production.post_worker_init(worker)
    marker_dir = os.environ.get("BENCH_WARM_DIR")
    if marker_dir:
        Path(marker_dir, str(os.getpid())).touch()
