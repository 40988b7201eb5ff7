"""gunicorn entry point: `gunicorn -c config/gunicorn.py wsgi:app`."""

from api import create_app

app = create_app()
