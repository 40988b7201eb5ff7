"""Signed checkpoints kept outside the database prove the audit chain: a rewrite of the whole chain or events
cut from its end fail against them, an event forged after the last one is reported as not yet covered; the
worker writes them on a schedule to a file or a URL."""

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from sqlalchemy import select, text

from db.base import utcnow
from referrals import audit
from referrals.audit_chain import chain_hash
from referrals.models import AuditEvent, AuditHead
from tests.builders import small_directory
from tests.conftest import RELAXED_LIMITS, is_postgres
from tests.integration.intake_helpers import log_calls


@pytest.fixture
def key_file(tmp_path) -> str:
    return str(tmp_path / "audit-key.pem")


@pytest.fixture
def checkpoints_file(tmp_path) -> str:
    return str(tmp_path / "checkpoints.jsonl")


def make_app(database_url, **settings):
    from api import create_app

    return create_app({"DATABASE_URL": database_url, "TESTING": True, **RELAXED_LIMITS, **settings})


@pytest.fixture
def audit_app(database_url, session_factory, key_file, checkpoints_file):
    small_directory(session_factory)
    log_calls(session_factory, 2)
    app = make_app(
        database_url, AUDIT_CHECKPOINT_KEY_FILE=key_file, AUDIT_CHECKPOINT_DESTINATION=checkpoints_file
    )
    keygen = app.test_cli_runner().invoke(args=["audit", "keygen", "--out", key_file])
    assert keygen.exit_code == 0, keygen.output
    yield app
    app.extensions["oneroute"].engine.dispose()


def cli(app, *args: str):
    return app.test_cli_runner().invoke(args=list(args))


def head(session_factory) -> tuple[int, str]:
    with session_factory() as session:
        row = session.get(AuditHead, audit.HEAD_ID)
        return row.seq, row.hash


def as_dba(session):
    """Switch PostgreSQL's triggers off for this transaction, as someone with full database access could."""
    if is_postgres(session.get_bind()):
        session.execute(text("SET LOCAL session_replication_role = replica"))


def rewrite_whole_chain(session_factory) -> None:
    """Edit an early event and recompute every hash after it, and the head: the chain verifies on its own."""
    with session_factory() as session:
        as_dba(session)
        events = session.scalars(select(AuditEvent).order_by(AuditEvent.seq)).all()
        events[1].reason = "rewritten"
        prev = events[0].hash
        for event in events[1:]:
            event.prev_hash, event.hash = prev, chain_hash(prev, event.seq, audit.event_document(event))
            prev = event.hash
        row = session.get(AuditHead, audit.HEAD_ID)
        row.hash = prev
        session.commit()


def cut_the_end(session_factory, count: int) -> None:
    with session_factory() as session:
        as_dba(session)
        last = session.get(AuditHead, audit.HEAD_ID).seq
        session.execute(AuditEvent.__table__.delete().where(AuditEvent.seq > last - count))
        kept = session.get(AuditEvent, last - count)
        row = session.get(AuditHead, audit.HEAD_ID)
        row.seq, row.hash = kept.seq, kept.hash
        session.commit()


def forge_event_at_the_end(session_factory) -> int:
    """Append a well-chained event behind the service's back (no trigger stops an append that moves the head
    forward to it: only a checkpoint made later would)."""
    with session_factory() as session:
        row = session.scalars(select(AuditHead).with_for_update()).one()
        forged = AuditEvent(
            seq=row.seq + 1,
            kind="referral.completed",
            actor="token:9:mallory",
            actor_role="hub_coordinator",
            reason="",
            payload={},
            created_at=utcnow(),
            prev_hash=row.hash,
        )
        forged.hash = chain_hash(row.hash, forged.seq, audit.event_document(forged))
        session.add(forged)
        session.flush()
        row.seq, row.hash = forged.seq, forged.hash
        session.commit()
        return forged.seq


def test_keygen_writes_a_private_key_once_and_prints_the_public_key(audit_app, key_file):
    printed = cli(audit_app, "audit", "public-key")
    assert printed.exit_code == 0
    assert printed.stdout.strip().startswith("ed25519:")
    again = cli(audit_app, "audit", "keygen", "--out", key_file)
    assert again.exit_code == 1
    assert "refusing to overwrite" in again.stderr
    import os
    import stat

    assert stat.S_IMODE(os.stat(key_file).st_mode) == 0o600


def test_checkpoints_are_appended_and_prove_the_chain_with_only_the_public_key(
    audit_app, session_factory, checkpoints_file, tmp_path
):
    first = cli(audit_app, "audit", "checkpoint")
    assert first.exit_code == 0, first.output
    log_calls(session_factory, 1)
    assert cli(audit_app, "audit", "checkpoint").exit_code == 0
    lines = Path(checkpoints_file).read_text().splitlines()
    assert len(lines) == 2
    assert json.loads(lines[1])["seq"] == head(session_factory)[0]
    assert json.loads(lines[1])["head"] == head(session_factory)[1]

    public = tmp_path / "audit.pub"
    public.write_text(cli(audit_app, "audit", "public-key").stdout)
    auditor = make_app(audit_app.config["DATABASE_URL"])  # no private key: the auditor has none
    try:
        for key in (str(public), public.read_text().strip()):
            result = cli(auditor, "audit", "verify", "--checkpoints", checkpoints_file, "--public-key", key)
            assert result.exit_code == 0, result.output
            assert f"ok: {head(session_factory)[0]} events" in result.stdout
            assert f"covered by 2 signed checkpoint(s) up to seq {head(session_factory)[0]}" in result.stdout
            assert "not yet covered" not in result.stdout
        no_key = cli(auditor, "audit", "verify", "--checkpoints", checkpoints_file)
        assert no_key.exit_code == 2
        assert "AUDIT_CHECKPOINT_KEY_FILE" in no_key.stderr
    finally:
        auditor.extensions["oneroute"].engine.dispose()


def test_a_rewrite_of_the_whole_chain_fails_against_the_checkpoints(
    audit_app, session_factory, checkpoints_file
):
    assert cli(audit_app, "audit", "checkpoint").exit_code == 0
    seq, _ = head(session_factory)
    rewrite_whole_chain(session_factory)

    assert cli(audit_app, "audit", "verify").exit_code == 0, "the rewritten chain holds together on its own"
    result = cli(audit_app, "audit", "verify", "--checkpoints", checkpoints_file)
    assert result.exit_code == 1
    assert f"BROKEN at event {seq}: seq {seq}: hash differs from the signed checkpoint" in result.stdout


def test_events_cut_from_the_end_fail_against_the_checkpoints(audit_app, session_factory, checkpoints_file):
    assert cli(audit_app, "audit", "checkpoint").exit_code == 0
    seq, _ = head(session_factory)
    cut_the_end(session_factory, 3)

    assert cli(audit_app, "audit", "verify").exit_code == 0
    result = cli(audit_app, "audit", "verify", "--checkpoints", checkpoints_file)
    assert result.exit_code == 1
    assert f"chain ends at seq {seq - 3}" in result.stdout
    assert "events were cut from the end" in result.stdout


def test_an_event_forged_after_the_last_checkpoint_is_reported_not_yet_covered(
    audit_app, session_factory, checkpoints_file
):
    assert cli(audit_app, "audit", "checkpoint").exit_code == 0
    seq, _ = head(session_factory)
    forged = forge_event_at_the_end(session_factory)

    result = cli(audit_app, "audit", "verify", "--checkpoints", checkpoints_file)
    assert result.exit_code == 0
    assert f"events {seq + 1} to {forged} are after the last checkpoint: not yet covered" in result.stdout

    assert cli(audit_app, "audit", "checkpoint").exit_code == 0
    covered = cli(audit_app, "audit", "verify", "--checkpoints", checkpoints_file)
    assert "not yet covered" not in covered.stdout, "once checkpointed, the forgery is part of what is pinned"


def test_a_forged_or_foreign_checkpoint_line_is_rejected(audit_app, checkpoints_file, tmp_path):
    assert cli(audit_app, "audit", "checkpoint").exit_code == 0
    line = json.loads(Path(checkpoints_file).read_text())
    with open(checkpoints_file, "a") as file:
        file.write(json.dumps({**line, "seq": line["seq"] + 5}) + "\n")
    result = cli(audit_app, "audit", "verify", "--checkpoints", checkpoints_file)
    assert result.exit_code == 1
    assert "checkpoints rejected: line 2: signature does not verify" in result.stderr

    other = str(tmp_path / "other.pem")
    other_public = cli(audit_app, "audit", "keygen", "--out", other).stdout.strip()
    foreign = cli(
        audit_app, "audit", "verify", "--checkpoints", checkpoints_file, "--public-key", other_public
    )
    assert foreign.exit_code == 1
    assert "line 1: signed with another key" in foreign.stderr


def test_checkpoint_needs_a_destination_and_a_key(database_url, session_factory, key_file):
    bare = make_app(database_url)
    try:
        no_destination = cli(bare, "audit", "checkpoint")
        assert no_destination.exit_code == 2
        assert "no destination" in no_destination.stderr
        no_key = cli(bare, "audit", "checkpoint", "--to", "-")
        assert no_key.exit_code == 2
        assert "AUDIT_CHECKPOINT_KEY_FILE" in no_key.stderr
    finally:
        bare.extensions["oneroute"].engine.dispose()


class Receiver(BaseHTTPRequestHandler):
    bodies: list[tuple[str, bytes]] = []
    status = 201

    def do_POST(self):
        length = int(self.headers["Content-Length"])
        Receiver.bodies.append((self.headers["Content-Type"], self.rfile.read(length)))
        self.send_response(Receiver.status)
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture
def receiver() -> Iterator[str]:
    Receiver.bodies, Receiver.status = [], 201
    server = ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/checkpoints"
    server.shutdown()
    server.server_close()


def test_a_checkpoint_can_be_posted_to_a_url(audit_app, session_factory, receiver):
    result = cli(audit_app, "audit", "checkpoint", "--to", receiver)
    assert result.exit_code == 0, result.output
    [(content_type, body)] = Receiver.bodies
    assert content_type == "application/json"
    assert json.loads(body)["seq"] == head(session_factory)[0]

    Receiver.status = 503
    refused = cli(audit_app, "audit", "checkpoint", "--to", receiver)
    assert refused.exit_code == 1
    assert "answered HTTP 503" in refused.stderr


def test_the_worker_writes_checkpoints_when_a_destination_is_configured(
    audit_app, database_url, session_factory, checkpoints_file, receiver, key_file
):
    ran = cli(audit_app, "worker", "--once")
    assert ran.exit_code == 0, ran.output
    assert "writing a signed audit checkpoint" in ran.stdout
    [line] = Path(checkpoints_file).read_text().splitlines()
    assert json.loads(line)["seq"] == head(session_factory)[0]
    assert f"worker: audit checkpoint written: {line}" in ran.stdout

    off = make_app(database_url, AUDIT_CHECKPOINT_KEY_FILE=key_file)
    down = make_app(database_url, AUDIT_CHECKPOINT_KEY_FILE=key_file, AUDIT_CHECKPOINT_DESTINATION=receiver)
    try:
        assert "checkpoint" not in cli(off, "worker", "--once").stdout
        Receiver.status = 500
        survived = cli(down, "worker", "--once")
        assert survived.exit_code == 0, "a destination that is down does not stop the timers and texts"
        assert "audit checkpoint not written" in survived.stderr
    finally:
        off.extensions["oneroute"].engine.dispose()
        down.extensions["oneroute"].engine.dispose()
    assert len(Path(checkpoints_file).read_text().splitlines()) == 1


def test_the_scheduled_checkpoints_follow_their_interval(audit_app, session_factory, checkpoints_file):
    from api.cli import ScheduledCheckpoints

    scheduled = ScheduledCheckpoints.from_settings(
        {**audit_app.config, "AUDIT_CHECKPOINT_INTERVAL_SECONDS": 600}
    )
    found = audit_app.extensions["oneroute"]
    assert [scheduled.write_if_due(found, t) for t in (0.0, 599.0, 600.0, 700.0)] == [True, None, True, None]
    assert len(Path(checkpoints_file).read_text().splitlines()) == 2
    assert (
        ScheduledCheckpoints.from_settings({**audit_app.config, "AUDIT_CHECKPOINT_DESTINATION": ""}) is None
    )
