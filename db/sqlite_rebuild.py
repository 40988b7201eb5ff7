"""A table rebuild on SQLite with other tables' foreign keys pointing at it, for migrations.

SQLite cannot change a check constraint or drop a column a check names in place: Alembic's batch mode copies
the table, and dropping the old copy fails while foreign keys are on and rows of other tables refer to it
(SQLite's own recipe for a rebuild turns them off, which it ignores inside a transaction). So on SQLite the
migrations so far are committed, the rebuild runs in its own transaction with foreign keys off and checked
before its commit, and they are turned on again. PostgreSQL alters tables in place, in the one transaction."""

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy.engine import Connection


@contextmanager
def foreign_keys_off_on_sqlite(bind: Connection, table: str) -> Iterator[None]:
    if bind.dialect.name != "sqlite":
        yield
        return
    bind.exec_driver_sql("COMMIT")
    bind.exec_driver_sql("PRAGMA foreign_keys = OFF")
    bind.exec_driver_sql("BEGIN IMMEDIATE")
    try:
        yield
        broken = bind.exec_driver_sql("PRAGMA foreign_key_check").all()
        if broken:
            raise RuntimeError(f"foreign keys broken by the rebuild of {table}: {broken[:5]}")
        bind.exec_driver_sql("COMMIT")
    except BaseException:
        bind.exec_driver_sql("ROLLBACK")
        raise
    finally:
        bind.exec_driver_sql("PRAGMA foreign_keys = ON")
        bind.exec_driver_sql("BEGIN IMMEDIATE")
