"""Shared fixtures: one migrated database per run (SQLite by default, PostgreSQL when TEST_DATABASE_URL
says so), cleaned between tests; the app and its test client."""

import os
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from sqlalchemy import Engine, inspect, make_url, text
from sqlalchemy.orm import Session, sessionmaker

from db import make_engine, make_session_factory
from db.migrate import load_models, upgrade

KEEP_TABLES = {"postcode", "alembic_version"}
# The pages' tests sign admins and safety-net officers in with a password alone; the second factor those roles
# need by default is tested with it asked for (tests/web/test_second_factor.py passes TOTP_REQUIRED_ROLES).
os.environ["TOTP_REQUIRED_ROLES"] = ""
# What TRUNCATE ... RESTART IDENTITY restarts: the sequences owned by the tables' serial or identity columns.
RESTART_SEQUENCES = text(
    "SELECT setval(s.seqrelid, s.seqstart, false) FROM pg_sequence s"
    " JOIN pg_depend d ON d.classid = 'pg_class'::regclass AND d.objid = s.seqrelid"
    " AND d.deptype IN ('a', 'i')"
    " JOIN pg_class t ON t.oid = d.refobjid WHERE t.relname = ANY(:tables)"
)
# Tests other than the rate-limit tests make many requests from one address and token.
RELAXED_LIMITS = {
    "RATELIMIT_API": "10000 per minute",
    "RATELIMIT_INTAKE": "10000 per minute",
    "RATELIMIT_ORUK": "10000 per minute",
    "AUTH_FREE_FAILURES_PER_ADDRESS": 100000,
}


@contextmanager
def _worker_database(url: str, worker: str) -> Iterator[str]:
    """A fresh PostgreSQL database for one xdist worker, next to TEST_DATABASE_URL's, dropped afterwards."""
    name = f"{make_url(url).database}_{worker}"
    admin = make_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(url).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(scope="session")
def database_url(tmp_path_factory) -> Iterator[str]:
    """TEST_DATABASE_URL's database, or a SQLite file. Under pytest-xdist (`make test` runs the suite on
    several workers) each worker has a database of its own: a SQLite file in its own temporary directory, or
    a PostgreSQL database named after TEST_DATABASE_URL's with the worker's id appended."""
    url = os.environ.get("TEST_DATABASE_URL")
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    if not url:
        url = f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.db'}"
    elif worker:
        with _worker_database(url, worker) as worker_url:
            upgrade(worker_url)
            yield worker_url
        return
    upgrade(url)
    yield url


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
            # The audit trail refuses DELETE and TRUNCATE; tests empty it as a DBA would, with triggers (and
            # so foreign-key checks) off. DELETE and a restart of the tables' sequences leave the database as
            # TRUNCATE ... RESTART IDENTITY did, in some 4 ms instead of 120 ms on these few rows.
            connection.execute(text("SET LOCAL session_replication_role = replica"))
        for table in tables:
            connection.execute(table.delete())
        if is_postgres(engine):
            connection.execute(RESTART_SEQUENCES, {"tables": [t.name for t in tables]})
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
