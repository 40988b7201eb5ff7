"""Which errors mean "the database is briefly unavailable" (`db/faults.py`), and the worker's one line per
outage (`api/worker.py`)."""

import logging
import sqlite3

import psycopg
import pytest
from sqlalchemy.exc import IntegrityError, OperationalError, PendingRollbackError
from sqlalchemy.exc import TimeoutError as PoolTimeout

from api.worker import OutageWatch, run_pass
from db.faults import first_line, is_unavailable


def wrapped(driver_error: Exception) -> OperationalError:
    return OperationalError("SELECT 1", {}, driver_error)


@pytest.mark.parametrize(
    ("error", "unavailable"),
    [
        (wrapped(psycopg.OperationalError("connection failed: Connection refused")), True),
        (wrapped(psycopg.errors.AdminShutdown("terminating connection due to administrator command")), True),
        (wrapped(psycopg.errors.CannotConnectNow("the database system is starting up")), True),
        (
            wrapped(
                psycopg.errors.ReadOnlySqlTransaction("cannot execute INSERT in a read-only transaction")
            ),
            True,
        ),
        (wrapped(psycopg.errors.TooManyConnections("sorry, too many clients already")), True),
        (wrapped(sqlite3.OperationalError("database is locked")), True),
        (PoolTimeout("QueuePool limit of size 5 overflow 10 reached"), True),
        (IntegrityError("INSERT", {}, psycopg.errors.UniqueViolation("duplicate key")), False),
        (wrapped(psycopg.errors.SyntaxError("syntax error at or near")), False),
        (wrapped(sqlite3.OperationalError("no such table: referral")), False),
        (RuntimeError("a bug"), False),
    ],
)
def test_which_errors_are_an_outage(error, unavailable):
    assert is_unavailable(error) is unavailable


def test_an_outage_hidden_behind_a_later_error_is_found():
    cut = wrapped(psycopg.errors.AdminShutdown("terminating connection"))
    later = PendingRollbackError("Can't reconnect until invalid transaction is rolled back")
    later.__cause__ = cut
    assert is_unavailable(later)
    assert first_line(later) == "AdminShutdown: terminating connection"


def test_the_worker_logs_one_line_when_an_outage_starts_and_one_when_it_ends(caplog):
    now = [100.0]
    watch = OutageWatch(clock=lambda: now[0])
    caplog.set_level(logging.INFO, logger="api.worker")

    def cut():
        raise wrapped(psycopg.OperationalError("connection failed: Connection refused"))

    assert [run_pass(cut, watch) for _ in range(5)] == [False] * 5
    now[0] = 112.5
    assert run_pass(lambda: None, watch) is True
    assert run_pass(lambda: None, watch) is True
    assert [r.getMessage() for r in caplog.records] == [
        "worker: the database is unavailable (OperationalError: connection failed: Connection refused); "
        "trying again every pass, nothing is lost",
        "worker: the database is back after 12.5 s (5 pass(es) cut short)",
    ]


def test_any_other_error_still_stops_the_worker():
    def bug():
        raise KeyError("a bug")

    with pytest.raises(KeyError):
        run_pass(bug, OutageWatch())
