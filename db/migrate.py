"""Alembic, driven from code: the CLI's `db` commands and the tests use the same functions.

`upgrade` on PostgreSQL holds a session-level advisory lock (`MIGRATION_LOCK`) for the whole upgrade, so
several replicas (or a deploy's `migrate` one-off started twice) cannot run the migrations at once: the
second waits for the first, then finds the schema at head and does nothing.
"""

import contextlib
import importlib
from collections.abc import Iterator
from pathlib import Path

MIGRATIONS_DIR = Path(__file__).resolve().parent.parent / "migrations"
MODEL_MODULES = (
    "accounts.models",
    "directory.models",
    "directory.version",
    "referrals.models",
    "geo.models",
    "web.models",
    "notify.models",
    "reports.facts",
)


def load_models():
    """Import every package's models so Base.metadata knows all tables."""
    for module in MODEL_MODULES:
        importlib.import_module(module)
    from db.base import Base

    return Base.metadata


def alembic_config(database_url: str):
    from alembic.config import Config  # alembic loads in a third of a second: only for the `db` commands

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
    return config


# pg_advisory_lock's key: any 64-bit number no other code of this database uses ("oneroute" in ASCII).
MIGRATION_LOCK = int.from_bytes(b"oneroute", "big") - 2**63


def upgrade(database_url: str, revision: str = "head") -> None:
    from alembic import command

    with migration_lock(database_url):
        command.upgrade(alembic_config(database_url), revision)


@contextlib.contextmanager
def migration_lock(database_url: str) -> Iterator[None]:
    """On PostgreSQL, hold the migration advisory lock (waiting for whoever holds it) on a connection of its
    own, in autocommit so it never sits idle in a transaction; released when the block ends, or by the server
    if this process dies. SQLite (one file on one machine, development) takes no lock."""
    if not database_url.startswith("postgresql"):
        yield
        return
    from sqlalchemy import text
    from sqlalchemy.pool import NullPool

    from db.session import make_engine

    engine = make_engine(database_url, isolation_level="AUTOCOMMIT", poolclass=NullPool)
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT pg_advisory_lock(:key)"), {"key": MIGRATION_LOCK})
            try:
                yield
            finally:
                connection.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": MIGRATION_LOCK})
    finally:
        engine.dispose()


def downgrade(database_url: str, revision: str) -> None:
    from alembic import command

    command.downgrade(alembic_config(database_url), revision)
