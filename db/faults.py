"""Which database errors mean "the database is briefly unavailable" rather than "this request is wrong".

A restart, a failover or a network cut shows up as a refused or broken connection, an administrator's
shutdown, or (connected to a server that is now a standby, or a primary being demoted) a refusal to write in a
read-only transaction. None of them says anything about the request: the transaction they cut is rolled back
whole by the server, and the same request sent again a moment later will do its work once. The API answers
them 503 with Retry-After, the pages keep what was typed, and the worker waits them out (`db.faults` is asked
by all three).
"""

import sqlite3

from sqlalchemy import exc as sa_exc

# SQLSTATE classes and codes (PostgreSQL appendix A) that mean the server cannot do work right now.
UNAVAILABLE_CLASSES = ("08",)  # connection exception: refused, reset, lost
UNAVAILABLE_CODES = frozenset(
    {
        "57P01",  # admin_shutdown: a fast shutdown or pg_terminate_backend
        "57P02",  # crash_shutdown: another backend crashed and the server is restarting
        "57P03",  # cannot_connect_now: the server is starting up or shutting down
        "57P05",  # idle_session_timeout
        "25006",  # read_only_sql_transaction: connected to a standby, or to the old primary after a failover
        "53300",  # too_many_connections
        "53100",  # disk_full: nothing can be written until space is freed
        "55000",  # object_not_in_prerequisite_state: "database ... is not currently accepting connections"
    }
)
# Which of them leave a connection that must not be used again: the pool replaces every connection it holds.
RECONNECT_CODES = frozenset({"57P01", "57P02", "57P03", "57P05", "25006"})
SQLITE_BUSY_OR_FULL = ("database is locked", "database or disk is full", "disk i/o error", "unable to open")


def sqlstate(error: BaseException) -> str | None:
    """The SQLSTATE of a driver error (psycopg's `sqlstate`), None if it has none."""
    original = getattr(error, "orig", error)
    code = getattr(original, "sqlstate", None) or getattr(original, "pgcode", None)
    return code if isinstance(code, str) else None


def _one_is_unavailable(error: BaseException) -> bool:
    if isinstance(error, sa_exc.TimeoutError):  # no connection free in the pool within its timeout
        return True
    if isinstance(error, sa_exc.DBAPIError) and error.connection_invalidated:
        return True
    code = sqlstate(error)
    if code is not None:
        return code in UNAVAILABLE_CODES or code[:2] in UNAVAILABLE_CLASSES
    original = getattr(error, "orig", error)
    if isinstance(original, sqlite3.OperationalError):
        return str(original).lower().startswith(SQLITE_BUSY_OR_FULL)
    # psycopg's OperationalError without a SQLSTATE: the connection could not be made or broke mid-way
    module = type(original).__module__ or ""
    return module.startswith("psycopg") and type(original).__name__ == "OperationalError"


def unavailable_cause(error: BaseException | None) -> BaseException | None:
    """The error in `error`'s chain (itself, what it was raised from or while handling) that says the
    database is unavailable, or None. The chain is followed because a later error can hide the first: a
    session whose connection was cut answers the next statement with `PendingRollbackError`."""
    seen: set[int] = set()
    while error is not None and id(error) not in seen:
        seen.add(id(error))
        if _one_is_unavailable(error):
            return error
        error = error.__cause__ or error.__context__
    return None


def is_unavailable(error: BaseException | None) -> bool:
    """True if `error` means the database is briefly unavailable (see `unavailable_cause`)."""
    return unavailable_cause(error) is not None


def first_line(error: BaseException) -> str:
    """One line for a log, naming the database's own error when there is one: the driver's message without
    the SQL statement SQLAlchemy appends."""
    error = unavailable_cause(error) or error
    original = getattr(error, "orig", None) or error
    text = str(original).strip().splitlines()
    return f"{type(original).__name__}: {text[0] if text else ''}"
