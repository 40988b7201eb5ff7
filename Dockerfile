# One Route In — production image. Configure with environment variables (see README: Production).
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1 FLASK_APP=wsgi APP_ENV=production \
    MPLCONFIGDIR=/tmp/matplotlib
WORKDIR /app

COPY requirements.txt .
RUN pip install -r requirements.txt

COPY . .
RUN useradd --system --uid 10001 --home /app oneroute && mkdir -p /app/instance && chown -R oneroute /app/instance
USER oneroute

EXPOSE 5000
# Migrate, then hand the process over to gunicorn so it receives signals directly.
CMD ["sh", "-c", "flask db upgrade && exec gunicorn -c config/gunicorn.py wsgi:app"]
