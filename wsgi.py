"""gunicorn entry point: `gunicorn -c config/gunicorn.py wsgi:app` (and `flask --app wsgi ...`).
Settings the app refuses are printed, one line each, and the process exits with status 3.

When the `flask` command line loads this module to find or list the app's commands (`flask db upgrade`,
`flask --help`), the app's HTTP side (API blueprints, schemas, OpenAPI document, pages) is installed only if
the command needs it (`api/app.py`). Flask's own `routes`, `run` and `shell` and the commands of installed
packages (Flask-Limiter's `limiter`) load the app from inside the command, and get it whole, as gunicorn,
the tests and anything else that imports this module do."""

import click
from flask.cli import FlaskGroup

from api import create_app
from config.settings import ConfigError, refuse_to_start


def _finding_a_command() -> bool:
    """True while the `flask` command line itself (not one of its commands) is loading the app."""
    context = click.get_current_context(silent=True)
    return context is not None and isinstance(context.command, FlaskGroup)


try:
    app = create_app(defer_http=_finding_a_command())
except ConfigError as error:
    refuse_to_start(error)
