"""gunicorn settings; every value can be overridden by an environment variable."""

import os

bind = os.environ.get("BIND", f"0.0.0.0:{os.environ.get('PORT', '5000')}")
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
threads = int(os.environ.get("GUNICORN_THREADS", "1"))
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "30"))
graceful_timeout = 20
accesslog = "-"
errorlog = "-"
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")


def post_worker_init(worker):
    """With WARM_DIRECTORY=1, each worker builds its matching index before taking requests."""
    if os.environ.get("WARM_DIRECTORY") == "1":
        worker.app.wsgi().extensions["oneroute"].routing.snapshot.current()
