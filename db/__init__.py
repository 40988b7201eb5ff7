"""Persistence plumbing shared by every package that owns tables: the declarative base and sessions.

Nothing here knows about Flask; the web app and the CLI build a session factory with `make_session_factory`.
"""

from db.base import Base, utcnow
from db.session import close_session, make_engine, make_session_factory

__all__ = ["Base", "close_session", "make_engine", "make_session_factory", "utcnow"]
