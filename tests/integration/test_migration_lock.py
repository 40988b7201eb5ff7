"""`flask db upgrade` on PostgreSQL takes an advisory lock, so replicas started together cannot run the
migrations at once: one waits for the other, and both end with the schema at head."""

import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import inspect, make_url, text

from db import make_engine
from db.migrate import MIGRATION_LOCK, load_models, upgrade
from tests.conftest import is_postgres

WAIT_SECONDS = 60  # a bound on waiting for the other side; nothing here is timed
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def fresh_database(engine, database_url):
    """An empty PostgreSQL database next to the test database, dropped afterwards."""
    if not is_postgres(engine):
        pytest.skip("the migration lock is PostgreSQL's advisory lock")
    name = f"{make_url(database_url).database}_migrate_lock"
    admin = make_engine(database_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(database_url).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def start_upgrade(url: str) -> subprocess.Popen:
    """`flask db upgrade` as a replica's one-off runs it: a process of its own (Alembic's context is global
    to a process, so separate processes are also the only honest way to race two)."""
    return subprocess.Popen(
        [sys.executable, "-c", "import sys; from db.migrate import upgrade; upgrade(sys.argv[1])", url],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def finished(process: subprocess.Popen) -> str:
    output, _ = process.communicate(timeout=WAIT_SECONDS * 2)
    assert process.returncode == 0, output
    return output


def waiting_for_the_lock(connection) -> int:
    return connection.execute(
        text("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted")
    ).scalar_one()


def at_head(url: str) -> bool:
    from api.health import migration_heads

    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            versions = set(connection.execute(text("SELECT version_num FROM alembic_version")).scalars())
        tables = set(inspect(engine).get_table_names())
    finally:
        engine.dispose()
    return versions == migration_heads() and set(load_models().tables) <= tables


def test_an_upgrade_waits_while_another_holds_the_lock(fresh_database):
    holder = make_engine(fresh_database, isolation_level="AUTOCOMMIT")
    with holder.connect() as connection:
        connection.execute(text("SELECT pg_advisory_lock(:key)"), {"key": MIGRATION_LOCK})
        process = start_upgrade(fresh_database)
        for _ in range(WAIT_SECONDS * 10):
            if waiting_for_the_lock(connection) or process.poll() is not None:
                break
            time.sleep(0.1)
        assert waiting_for_the_lock(connection) == 1
        assert process.poll() is None
        assert "alembic_version" not in inspect(connection).get_table_names()
        connection.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": MIGRATION_LOCK})
    holder.dispose()
    finished(process)
    assert at_head(fresh_database)


def test_two_upgrades_started_together_both_end_at_head(fresh_database):
    replicas = [start_upgrade(fresh_database) for _ in range(2)]
    for replica in replicas:
        finished(replica)
    assert at_head(fresh_database)


def test_the_lock_is_free_again_after_an_upgrade(fresh_database):
    upgrade(fresh_database)
    engine = make_engine(fresh_database, isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        assert connection.execute(text("SELECT pg_try_advisory_lock(:key)"), {"key": MIGRATION_LOCK}).scalar()
    engine.dispose()
