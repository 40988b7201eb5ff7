"""On PostgreSQL the audit chain's head row only moves forward, to an event written with it (migration 0016):
setting it back, deleting it, or pointing it at an event that is not there or does not follow it is refused,
and audited writes go on."""

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from referrals import audit
from referrals.models import AuditHead
from tests.builders import small_directory
from tests.conftest import is_postgres
from tests.integration.intake_helpers import log_calls


def head(session_factory) -> tuple[int, str]:
    with session_factory() as session:
        row = session.get(AuditHead, audit.HEAD_ID)
        return row.seq, row.hash


def in_one_transaction(engine, *statements) -> None:
    with engine.begin() as connection:
        for statement, values in statements:
            connection.execute(statement, values)


@pytest.fixture
def postgres_trail(engine, session_factory):
    if not is_postgres(engine):
        pytest.skip("the audit_head trigger is PostgreSQL's (migration 0016)")
    small_directory(session_factory)
    log_calls(session_factory, 1)


@pytest.mark.parametrize(
    ("statement", "message"),
    [
        ("UPDATE audit_head SET seq = seq - 1", "moves only forward: seq"),
        ("UPDATE audit_head SET seq = 0, hash = repeat('0', 64)", "moves only forward: seq"),
        ("UPDATE audit_head SET hash = repeat('f', 64)", "moves only forward: seq"),
        ("DELETE FROM audit_head", "DELETE refused"),
        ("TRUNCATE audit_head", "TRUNCATE refused"),
        ("INSERT INTO audit_head (id, seq, hash) VALUES (2, 0, repeat('0', 64))", "INSERT refused"),
        ("UPDATE audit_head SET seq = seq + 1", "no event"),
        ("UPDATE audit_head SET seq = seq + 5, hash = repeat('f', 64)", "no event"),
    ],
)
def test_postgresql_lets_the_head_move_only_forward_with_the_chain(
    engine, session_factory, postgres_trail, statement, message
):
    before = head(session_factory)
    with pytest.raises(DBAPIError, match=message):
        in_one_transaction(engine, (text(statement), {}))
    assert head(session_factory) == before
    log_calls(session_factory, 1)
    after = head(session_factory)
    assert after[0] > before[0], "audited writes go on as before"
    with session_factory() as session:
        assert audit.verify_trail(session).ok


def test_postgresql_refuses_a_head_moved_to_an_event_that_does_not_follow_it(
    engine, session_factory, postgres_trail
):
    """An event inserted with a gap, or not linked to the old head, cannot carry the head with it."""
    seq, hash_ = head(session_factory)
    gap = text(
        "INSERT INTO audit_event (seq, kind, actor, actor_role, reason, payload, created_at, prev_hash, hash)"
        " VALUES (:seq, 'x', 'mallory', 'admin', '', '{}', now(), :prev, :hash)"
    )
    move = text("UPDATE audit_head SET seq = :seq, hash = :hash")
    values = {"seq": seq + 2, "prev": hash_, "hash": "e" * 64}
    with pytest.raises(DBAPIError, match="does not follow the old head"):
        in_one_transaction(engine, (gap, values), (move, values))
    assert head(session_factory) == (seq, hash_)
