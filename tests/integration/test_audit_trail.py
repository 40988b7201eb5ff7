"""The audit trail is append-only and tamper-evident: edits, deletions, insertions and reordering made
directly in the database are found at the first bad event."""

import hashlib
import json

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from accounts.tokens import Principal
from referrals import audit
from referrals.audit import records, verify_trail
from referrals.audit_chain import GENESIS, utc_text, walk
from referrals.models import AuditEvent
from tests.builders import small_directory
from tests.integration.intake_helpers import log_calls


@pytest.fixture
def trail(session_factory) -> int:
    small_directory(session_factory)
    log_calls(session_factory, 3)
    with session_factory() as session:
        result = verify_trail(session)
    assert result.ok
    assert result.count >= 15
    return result.count


def tamper(engine, *statements: str) -> None:
    """Change rows as someone with database access could; on PostgreSQL that means switching triggers off."""
    with engine.begin() as connection:
        if engine.dialect.name == "postgresql":
            connection.execute(text("SET LOCAL session_replication_role = replica"))
        for statement in statements:
            connection.execute(text(statement))


@pytest.fixture(autouse=True)
def small_batches(monkeypatch):
    """PostgreSQL's rows are read a few at a time here, so each tamper also meets the batches' edges."""
    monkeypatch.setattr(audit, "STORED_BATCH", 4)


@pytest.fixture(params=[1, 3], ids=["one process", "three processes"])
def workers(request) -> int:
    """Each tamper is found the same by one walk and by stretches verified in processes and joined (on
    PostgreSQL; SQLite always walks in one)."""
    return request.param


@pytest.fixture
def first_bad(session_factory, workers):
    def verified():
        with session_factory() as session:
            result = verify_trail(session, workers=workers, parallel_from=0)
        with session_factory() as session:
            assert result == verify_trail(session), "the same count, head, first bad seq and problem"
        with session_factory() as session:
            assert result == exact_walk(session), "what `walk` finds over `records` (the exact way)"
        return result

    return verified


def exact_walk(session):
    """The chain walked the exact way: `records` (every event's canonical JSON from its values) and `walk`,
    against which PostgreSQL's fast walk over stored rows (`audit_chain.fast_walk`) is held."""
    return walk(records(session), 0, GENESIS, {})


def payload_text(engine, seq: int) -> str:
    with engine.connect() as connection:
        cast = "::text" if engine.dialect.name == "postgresql" else ""
        return connection.execute(text(f"SELECT payload{cast} FROM audit_event WHERE seq = {seq}")).scalar()


def store_payload_text(engine, seq: int, stored: str) -> None:
    with engine.begin() as connection:
        if engine.dialect.name == "postgresql":
            connection.execute(text("SET LOCAL session_replication_role = replica"))
        connection.execute(
            text("UPDATE audit_event SET payload = :p WHERE seq = :s"), {"p": stored, "s": seq}
        )


def test_clean_trail_verifies_with_count_and_head(session_factory, trail, first_bad):
    result = first_bad()
    assert (result.ok, result.count, len(result.head_hash)) == (True, trail, 64)


def test_edited_event_is_found(engine, session_factory, trail, first_bad):
    tamper(engine, "UPDATE audit_event SET reason = 'nothing to see' WHERE seq = 5")
    result = first_bad()
    assert not result.ok
    assert result.first_bad_seq == 5


def test_deleted_event_is_found(engine, session_factory, trail, first_bad):
    tamper(engine, "DELETE FROM audit_event WHERE seq = 7")
    assert first_bad().first_bad_seq == 7


def test_inserted_event_is_found(engine, session_factory, trail, first_bad):
    tamper(
        engine,
        "UPDATE audit_event SET seq = seq + 1000 WHERE seq >= 4",
        "UPDATE audit_event SET seq = seq - 999 WHERE seq >= 1004",
        "INSERT INTO audit_event "
        "(seq, kind, actor, actor_role, reason, payload, created_at, prev_hash, hash) "
        "SELECT 4, 'referral.accepted', 'token:9:mallory', 'hub_coordinator', '', '{}', created_at, hash, "
        "'f00d' || substr(hash, 5) FROM audit_event WHERE seq = 3",
    )
    assert first_bad().first_bad_seq == 4


def test_reordered_events_are_found(engine, session_factory, trail, first_bad):
    tamper(
        engine,
        "UPDATE audit_event SET seq = -6 WHERE seq = 6",
        "UPDATE audit_event SET seq = 6 WHERE seq = 8",
        "UPDATE audit_event SET seq = 8 WHERE seq = -6",
    )
    assert first_bad().first_bad_seq == 6


def test_a_payload_stored_as_other_text_of_the_same_json_still_verifies(engine, trail, first_bad):
    """Stored text not as the writer wrote it (keys in another order, spaces), meaning the same: the fast
    walk's bytes do not hash to the row's hash, and the exact way finds it sound."""
    payload = json.loads(payload_text(engine, 5))
    assert payload, "an event with something in its payload"
    store_payload_text(engine, 5, json.dumps(dict(reversed(list(payload.items()))), indent=3))
    result = first_bad()
    assert (result.ok, result.count) == (True, trail)


def test_stored_payload_text_of_other_json_is_found(engine, trail, first_bad):
    payload = json.loads(payload_text(engine, 6))
    store_payload_text(engine, 6, json.dumps({**payload, "added": True}))
    result = first_bad()
    assert (result.ok, result.first_bad_seq) == (False, 6)
    assert "hash does not match the event" in result.problem


def test_a_payload_that_is_not_an_object_is_found(engine, trail, first_bad):
    """Read again by the exact reader (the ORM's event), as it always was: its hash does not match."""
    store_payload_text(engine, 7, "[1, 2]")
    result = first_bad()
    assert (result.ok, result.first_bad_seq) == (False, 7)
    assert "hash does not match the event" in result.problem


def test_a_payload_rehashed_over_its_text_as_stored_is_found_at_its_row(
    engine, session_factory, trail, first_bad
):
    """Someone rewrites a hash over the document with the payload text as they stored it, not canonical
    JSON (keys unsorted, a float as written): the row itself is reported, as the exact way reports it."""
    stored = '{"to":"x","from":1.5}'
    with session_factory() as session:
        event = session.get(AuditEvent, 4)
        document = {**audit.event_document(event), "payload": "@payload@"}
        document["created_at"] = utc_text(document["created_at"])
        prev_hash = event.prev_hash
    verbatim = json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    verbatim = verbatim.replace('"@payload@"', stored)
    digest = hashlib.sha256(f"{prev_hash}\n4\n{verbatim}".encode()).hexdigest()
    store_payload_text(engine, 4, stored)
    tamper(engine, f"UPDATE audit_event SET hash = '{digest}' WHERE seq = 4")
    result = first_bad()
    assert (result.ok, result.first_bad_seq) == (False, 4)
    assert "hash does not match the event" in result.problem


def test_events_with_floats_and_long_integers_verify(session_factory, trail, first_bad):
    """Payloads the fast walk leaves to the exact way (a float's canonical text is a string) verify."""
    with session_factory() as session:
        principal = Principal(token_id=None, name="system:test", role="hub_coordinator", org_id=None)
        audit.record(session, "test.floats", principal, payload={"km": 1.5, "big": 2**70, "whole": 2.0})
        audit.record(session, "test.plain", principal, payload={"n": 1})
        session.commit()
    result = first_bad()
    assert (result.ok, result.count) == (True, trail + 2)


def test_postgresql_verifies_a_sound_trail_from_its_stored_rows(engine, session_factory, trail, monkeypatch):
    """On PostgreSQL the rows are read as stored and hashed by `fast_walk` itself: none goes the exact way."""
    if engine.dialect.name != "postgresql":
        pytest.skip("the fast walk reads PostgreSQL")
    exact, sent = audit._exact_record, []
    monkeypatch.setattr(
        audit, "_exact_record", lambda session, row: sent.append(row[0]) or exact(session, row)
    )
    with session_factory() as session:
        assert verify_trail(session).ok
    assert sent == []
    tamper(engine, "UPDATE audit_event SET reason = 'nothing to see' WHERE seq = 5")
    with session_factory() as session:
        assert verify_trail(session).first_bad_seq == 5
    assert sent == [5]


def test_postgresql_refuses_updates_and_deletes(engine, trail):
    if engine.dialect.name != "postgresql":
        pytest.skip("the append-only trigger is PostgreSQL's")
    for statement in (
        "UPDATE audit_event SET reason = 'x' WHERE seq = 1",
        "DELETE FROM audit_event WHERE seq = 1",
        "TRUNCATE audit_event",
    ):
        with pytest.raises(DBAPIError, match="append-only"), engine.begin() as connection:
            connection.execute(text(statement))


def test_cli_verify(app, engine, trail):
    """Signed checkpoints: tests/integration/test_audit_checkpoints.py."""
    runner = app.test_cli_runner()
    ok = runner.invoke(args=["audit", "verify"])
    assert ok.exit_code == 0
    assert f"ok: {trail} events" in ok.output

    tamper(engine, "UPDATE audit_event SET actor = 'someone else' WHERE seq = 2")
    broken = runner.invoke(args=["audit", "verify"])
    assert broken.exit_code == 1
    assert "BROKEN at event 2" in broken.output


def test_api_reports_the_trail_and_a_referrals_events(client, session_factory, trail, engine):
    from tests.builders import auth, token_for

    officer = auth(token_for(session_factory, "safety_net_officer"))
    assert client.get("/api/v1/audit/verify", headers=officer).get_json()["ok"] is True
    events = client.get("/api/v1/audit?referral=1", headers=officer).get_json()
    assert events[0]["kind"] == "referral.received"
    assert [e["seq"] for e in events] == sorted(e["seq"] for e in events)
    helpline = auth(token_for(session_factory, "helpline_staff"))
    assert client.get("/api/v1/audit/verify", headers=helpline).status_code == 403
    tamper(engine, "DELETE FROM audit_event WHERE seq = 3")
    body = client.get("/api/v1/audit/verify", headers=officer).get_json()
    assert (body["ok"], body["first_bad_seq"]) == (False, 3)
