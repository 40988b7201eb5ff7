"""One database session per request, closed when the request ends. Views never commit; services do."""

from flask import Flask, current_app, g
from sqlalchemy.orm import Session

from db import close_session


def get_session() -> Session:
    if "db_session" not in g:
        g.db_session = current_app.extensions["oneroute"].session_factory()
    return g.db_session


def init_app(app: Flask) -> None:
    @app.teardown_appcontext
    def _close_session(_exc):
        session = g.pop("db_session", None)
        if session is not None:
            close_session(session)
