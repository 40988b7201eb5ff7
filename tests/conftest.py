"""Shared fixtures: one migrated database per run (SQLite by default, PostgreSQL when TEST_DATABASE_URL
says so), cleaned between tests; the app and its test client."""

import os
from collections.abc import Iterator

import pytest
from sqlalchemy import Engine, inspect, text
from sqlalchemy.orm import Session, sessionmaker

from db import make_engine, make_session_factory
from db.migrate import load_models, upgrade

KEEP_TABLES = {"postcode", "alembic_version"}
# Tests other than the rate-limit tests make many requests from one address and token.
RELAXED_LIMITS = {
    "RATELIMIT_API": "10000 per minute",
    "RATELIMIT_INTAKE": "10000 per minute",
    "RATELIMIT_AUTH_FAILURES": "10000 per minute",
}


def _test_database_url(tmp_path_factory) -> str:
    url = os.environ.get("TEST_DATABASE_URL")
    if url:
        return url
    return f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.db'}"


@pytest.fixture(scope="session")
def database_url(tmp_path_factory) -> str:
    url = _test_database_url(tmp_path_factory)
    upgrade(url)
    return url


@pytest.fixture(scope="session")
def engine(database_url) -> Iterator[Engine]:
    engine = make_engine(database_url)
    yield engine
    engine.dispose()


def is_postgres(engine: Engine) -> bool:
    return engine.dialect.name == "postgresql"


def clean_database(engine: Engine) -> None:
    metadata = load_models()
    existing = set(inspect(engine).get_table_names())  # a model without a migration fails the drift test
    tables = [t for t in reversed(metadata.sorted_tables) if t.name not in KEEP_TABLES and t.name in existing]
    with engine.begin() as connection:
        if is_postgres(engine):
            # The audit trail refuses TRUNCATE; tests empty it as a DBA would, with triggers off.
            connection.execute(text("SET LOCAL session_replication_role = replica"))
            names = ", ".join(f'"{t.name}"' for t in tables)
            connection.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
        else:
            for table in tables:
                connection.execute(table.delete())
        connection.execute(
            text("INSERT INTO audit_head (id, seq, hash) VALUES (1, 0, :genesis)"), {"genesis": "0" * 64}
        )
        connection.execute(text("INSERT INTO directory_state (id, version) VALUES (1, 0)"))


@pytest.fixture
def session_factory(engine) -> sessionmaker[Session]:
    clean_database(engine)
    return make_session_factory(engine)


@pytest.fixture
def session(engine, session_factory) -> Iterator[Session]:
    """A session for arranging and checking data. On SQLite it begins deferred transactions (a WAL reader),
    so holding it open never blocks the app's writes; call `session.rollback()` to see newer commits."""
    with make_session_factory(engine, readonly=True)() as session:
        yield session


@pytest.fixture
def app(database_url, session_factory):
    from api import create_app

    app = create_app({"DATABASE_URL": database_url, "TESTING": True, **RELAXED_LIMITS})
    yield app
    app.extensions["oneroute"].engine.dispose()


@pytest.fixture
def client(app):
    return app.test_client()
