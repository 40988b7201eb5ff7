"""gunicorn settings; every value can be overridden by an environment variable.

With WARM_DIRECTORY=1 the app is loaded in the master (`preload_app`), which builds the matching index once
before it forks the workers: they share its pages copy-on-write, start warm, and a worker that replaces one
that died is forked warm too; each then catches up from the directory change log before its first request.
"""

import gc
import os
import time

from config.settings import ConfigError, load_settings, refuse_to_start

try:  # in the master, before any worker starts: bad settings stop gunicorn with one line per bad value
    load_settings()
except ConfigError as error:
    refuse_to_start(error)

bind = os.environ.get("BIND", f"0.0.0.0:{os.environ.get('PORT', '5000')}")
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
threads = int(os.environ.get("GUNICORN_THREADS", "1"))
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "30"))
graceful_timeout = 20
# The app writes a JSON line per request with its request id (api/logs.py); gunicorn's own access line can
# be turned off with GUNICORN_ACCESS_LOG= (empty), as compose.yaml does.
accesslog = os.environ.get("GUNICORN_ACCESS_LOG", "-") or None
# No personal data in the access log: the path without its query string (which may hold a name searched
# for, /search?q=…) and no Referer (the previous page's address, query and all); see README, production.
access_log_format = '%(h)s %(l)s %(u)s %(t)s "%(m)s %(U)s %(H)s" %(s)s %(b)s "%(a)s" %(M)sms'
errorlog = "-"
# gunicorn's own lines (starting, a worker that died) as JSON too, like the app's (api/logs.py), unless
# LOG_FORMAT=text.
if os.environ.get("LOG_FORMAT", "json") == "json":
    logconfig_dict = {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {
            "json": {
                "()": "pythonjsonlogger.json.JsonFormatter",
                "fmt": "%(asctime)s %(levelname)s %(name)s %(message)s",
                "rename_fields": {"asctime": "time", "levelname": "level", "name": "logger"},
                "datefmt": "%Y-%m-%dT%H:%M:%S%z",
            }
        },
        "handlers": {
            "error_console": {
                "class": "logging.StreamHandler",
                "formatter": "json",
                "stream": "ext://sys.stderr",
            },
            "console": {"class": "logging.StreamHandler", "formatter": "json", "stream": "ext://sys.stdout"},
        },
        "root": {"level": "INFO", "handlers": []},  # the app's own handler (api/logs.py) writes the rest
        "loggers": {
            "gunicorn.error": {"level": "INFO", "handlers": ["error_console"], "propagate": False},
            "gunicorn.access": {"level": "INFO", "handlers": ["console"], "propagate": False},
        },
    }
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")
WARM_DIRECTORY = os.environ.get("WARM_DIRECTORY") == "1"
# With PROMETHEUS_MULTIPROC_DIR set (compose.yaml's web does), every worker's metrics are added up at /metrics
# whichever worker a scrape reaches (api/metrics.py); without it each worker answers with its own.
METRICS_DIR = os.environ.get("PROMETHEUS_MULTIPROC_DIR", "")
preload_app = WARM_DIRECTORY


def when_ready(server):
    """Preloaded: build the index in the master, then close its database connections (a connection must not
    cross a fork) and move everything alive now out of the garbage collector's sight, so collections in the
    workers do not write to, and so copy, the pages they share."""
    if not WARM_DIRECTORY:
        return
    started = time.monotonic()
    services = server.app.wsgi().extensions["oneroute"]
    services.rules  # compiled once in the master too, shared with the workers  # noqa: B018
    directory = services.routing.snapshot.current()
    services.engine.dispose()
    gc.freeze()
    server.log.info(
        "matching index built in the master: %d volunteers in %.1f s; workers share it",
        len(directory.volunteers),
        time.monotonic() - started,
    )


def post_worker_init(worker):
    """A worker compiles the triage rules before it takes requests (the app loads them on first use, so that
    `flask` commands start fast). With WARM_DIRECTORY=1 it is warm too: the master's index, patched from the
    change log (or rebuilt, when the master's is older than the log reaches back)."""
    services = worker.app.wsgi().extensions["oneroute"]
    services.rules  # noqa: B018
    if WARM_DIRECTORY:
        services.routing.snapshot.current()


def on_starting(_server):
    """Start the metrics directory empty: files a previous run left would be added to this run's counts."""
    if METRICS_DIR:
        os.makedirs(METRICS_DIR, exist_ok=True)
        for name in os.listdir(METRICS_DIR):
            if name.endswith(".db"):
                os.remove(os.path.join(METRICS_DIR, name))


def child_exit(_server, worker):
    """A worker that exits leaves its gauges to be dropped; its counters and histograms are kept."""
    if not METRICS_DIR:
        return
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)
