"""gunicorn entry point: `gunicorn -c config/gunicorn.py wsgi:app` (and `flask --app wsgi ...`).
Settings the app refuses are printed, one line each, and the process exits with status 3."""

from api import create_app
from config.settings import ConfigError, refuse_to_start

try:
    app = create_app()
except ConfigError as error:
    refuse_to_start(error)
