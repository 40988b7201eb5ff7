import logging

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import ExceptionContext
from sqlalchemy.orm import Session, sessionmaker

from db.faults import RECONNECT_CODES, first_line, is_unavailable, sqlstate

log = logging.getLogger(__name__)

READONLY = "oneroute_readonly"


def make_engine(url: str, **kwargs) -> Engine:
    """An engine that never puts a row's values (a person's name, phone, postcode, coordinates) into an
    error's message, and so into a log line: `hide_parameters` leaves the statement's parameters out, and
    the database's own DETAIL and CONTEXT lines ("Failing row contains (…)") are cut from the message."""
    kwargs.setdefault("hide_parameters", True)
    if url.startswith("sqlite"):
        engine = _sqlite_engine(url, **kwargs)
    else:
        kwargs.setdefault("pool_pre_ping", True)  # a connection is checked before use and replaced if dead
        engine = create_engine(url, **kwargs)
        event.listen(engine, "handle_error", _reconnect_after_failover)
    if kwargs["hide_parameters"]:
        event.listen(engine, "handle_error", _without_row_values)
    return engine


def _without_row_values(context: ExceptionContext) -> None:
    """Keep the first line of the driver's message (what went wrong, naming the table, column or
    constraint); PostgreSQL's DETAIL, CONTEXT and HINT lines that follow may quote the row's values. The
    error's SQLSTATE (`orig.sqlstate`, `orig.diag`) is untouched."""
    for error in (context.original_exception, context.sqlalchemy_exception):
        if error is not None and error.args and isinstance(error.args[0], str) and "\n" in error.args[0]:
            error.args = (error.args[0].split("\n", 1)[0], *error.args[1:])


def _reconnect_after_failover(context: ExceptionContext) -> None:
    """An administrator's shutdown, a server restarting, or a refusal to write (connected to a standby, or to
    a primary being demoted) means this connection, and every other the pool holds, may point at a server
    that will not do the work: count it as a disconnect, so SQLAlchemy drops the whole pool and the next
    checkout connects afresh (to the new primary, once the address points there). A read-only refusal is not
    caught by `pool_pre_ping`, which only asks whether the connection answers."""
    if context.original_exception is not None and sqlstate(context.original_exception) in RECONNECT_CODES:
        context.is_disconnect = True


def _sqlite_engine(url: str, **kwargs) -> Engine:
    """SQLite with real transactions: every transaction starts with BEGIN IMMEDIATE.

    pysqlite's own transaction handling begins lazily (after a SELECT has already read stale data), so
    read-then-write races would slip through. Taking the write lock up front makes SQLite transactions
    serial, which is what the guarded updates and the audit chain rely on there. Sessions from
    `make_session_factory(engine, readonly=True)` begin a plain (deferred) transaction instead, so a
    reader inside a request (the geocoder) never waits for the request's own write lock.
    """
    kwargs.setdefault("connect_args", {"timeout": 30, "check_same_thread": False})
    engine = create_engine(url, **kwargs)

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection):
        readonly = connection.get_execution_options().get(READONLY, False)
        connection.exec_driver_sql("BEGIN" if readonly else "BEGIN IMMEDIATE")

    return engine


def make_session_factory(engine: Engine, readonly: bool = False) -> sessionmaker[Session]:
    bind = engine.execution_options(**{READONLY: True}) if readonly else engine
    return sessionmaker(bind=bind, expire_on_commit=False)


def close_session(session: Session) -> None:
    """Close a request's session at its end. If the database went away meanwhile, closing (a ROLLBACK on a
    dead connection) fails too; the server has already rolled the transaction back, so the connection is
    dropped and the request's answer stands, rather than turning into a 500 after it was decided."""
    try:
        session.close()
    except Exception as exc:
        if not is_unavailable(exc):
            raise
        log.warning("session closed on a lost connection: %s", first_line(exc))
        session.invalidate()
