# syntax=docker/dockerfile:1
# One Route In — production image. Configure with environment variables (see README: Production).
# Two stages: wheels are built with the compilers in `builder`; the runtime image has only the service's
# runtime dependencies (requirements.txt, hash-checked), no compilers, no test tools, and runs as a user of
# its own. Migrations are not run here: `flask db upgrade` is a one-off (compose.yaml's `migrate`) that
# takes a lock, so several replicas never run them at once.

FROM python:3.11-slim AS builder
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
RUN apt-get update && apt-get install -y --no-install-recommends build-essential \
    && rm -rf /var/lib/apt/lists/*
COPY requirements.txt /tmp/requirements.txt
RUN pip wheel --require-hashes --wheel-dir /wheels -r /tmp/requirements.txt

FROM python:3.11-slim AS runtime
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1 \
    FLASK_APP=wsgi APP_ENV=production MPLCONFIGDIR=/tmp/matplotlib GUNICORN_ACCESS_LOG=
WORKDIR /app
COPY requirements.txt .
# --no-index: only the wheels built above, each checked against its hash in requirements.txt.
RUN --mount=type=bind,from=builder,source=/wheels,target=/wheels \
    pip install --no-index --find-links /wheels --require-hashes -r requirements.txt
COPY . .
RUN useradd --system --uid 10001 --home-dir /app --no-create-home oneroute \
    && mkdir -p /app/instance && chown oneroute /app/instance
USER oneroute

EXPOSE 5000
# Liveness only (the process answers); readiness (database, migrations, Redis) is /healthz/ready.
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen(f\"http://127.0.0.1:{os.environ.get('PORT', '5000')}/healthz/live\", timeout=4)"]
# exec form: gunicorn is PID 1 and receives signals directly.
CMD ["gunicorn", "-c", "config/gunicorn.py", "wsgi:app"]
