"""Erasure and retention: personal data goes, the audit chain still verifies, nothing in it is readable."""

from datetime import timedelta

from sqlalchemy import select, text

from db.base import utcnow
from referrals.audit import verify_trail
from referrals.erasure import load_retention_policy, run_retention
from referrals.models import AuditEvent, Referral, Resident, ResidentSecret
from referrals.policy import load_lifecycle_policy
from referrals.sealing import unseal
from tests.builders import call

DISCLOSURE = "Her nephew Desmond takes her pension every Friday and she is frightened of him."


def audit_text(session) -> str:
    rows = session.execute(text("SELECT kind, actor, reason, CAST(payload AS TEXT) FROM audit_event")).all()
    return " ".join(" ".join(map(str, row)) for row in rows)


def test_erasure_keeps_the_chain_and_leaves_nothing_readable(
    client, helpline, headers_for, session, session_factory
):
    created = client.post(
        "/api/v1/referrals",
        json=call(notes=DISCLOSURE, resident={"name": "Winifred Quill"}),
        headers=helpline,
    ).get_json()
    resident_id = created["resident"]["id"]
    sealed = [
        e.payload["evidence"]
        for e in session.scalars(select(AuditEvent).where(AuditEvent.kind == "triage.decided"))
    ]
    assert "takes her pension" in str(unseal(session, resident_id, sealed[0]))
    assert "pension" not in audit_text(session), "quoted words are sealed, not plain"
    session.rollback()

    officer = headers_for("safety_net_officer")
    assert client.post(f"/api/v1/residents/{resident_id}/erase", json={}, headers=officer).status_code == 422
    response = client.post(
        f"/api/v1/residents/{resident_id}/erase",
        json={"reason": "erasure request by phone, ref 41"},
        headers=officer,
    )
    assert response.status_code == 200, response.get_json()

    resident = session.get(Resident, resident_id)
    assert (resident.name, resident.phone, resident.address, resident.erased_at is not None) == (
        "(erased)",
        "",
        "",
        True,
    )
    referral = session.get(Referral, created["id"])
    assert referral.notes == "(erased)"
    assert referral.status == "cancelled"
    assert "pension" not in str(referral.triage)
    assert session.get(ResidentSecret, resident_id) is None
    assert unseal(session, resident_id, sealed[0]) is None
    everything = audit_text(session)
    for personal in ("Winifred", "Quill", "pension", "Desmond", "07700", "Example Road"):
        assert personal not in everything
    result = verify_trail(session)
    assert result.ok, result.problem


def test_only_admins_and_safety_net_officers_may_erase(client, helpline):
    created = client.post("/api/v1/referrals", json=call(), headers=helpline).get_json()
    response = client.post(
        f"/api/v1/residents/{created['resident']['id']}/erase", json={"reason": "x"}, headers=helpline
    )
    assert response.status_code == 403


def test_retention_erases_only_closed_people_past_their_period(client, helpline, session_factory):
    old = client.post(
        "/api/v1/referrals", json=call(resident={"name": "Old Closed"}), headers=helpline
    ).get_json()
    client.post(
        f"/api/v1/referrals/{old['id']}/cancel", json={"reason": "no longer needed"}, headers=helpline
    )
    still_open = client.post(
        "/api/v1/referrals",
        json=call(resident={"name": "Still Open", "phone": "07700900777"}),
        headers=helpline,
    ).get_json()
    retention = load_retention_policy()
    later = utcnow() + retention.periods["mutual_aid"] + timedelta(days=1)
    with session_factory() as session:
        assert run_retention(session, retention, load_lifecycle_policy(), now=utcnow()) == []
        erased = run_retention(session, retention, load_lifecycle_policy(), now=later)
        assert erased == [old["resident"]["id"]]
        assert session.get(Resident, still_open["resident"]["id"]).erased_at is None
        assert verify_trail(session).ok


def test_retention_command(app):
    result = app.test_cli_runner().invoke(args=["retention", "run"])
    assert result.exit_code == 0
    assert "erased 0 resident(s)" in result.output


def test_reads_of_personal_data_by_officers_are_audited(client, helpline, headers_for, session):
    created = client.post("/api/v1/referrals", json=call(), headers=helpline).get_json()
    client.get(f"/api/v1/referrals/{created['id']}", headers=headers_for("safety_net_officer"))
    reads = session.scalars(select(AuditEvent).where(AuditEvent.kind == "resident.read")).all()
    assert [event.referral_id for event in reads] == [created["id"]]
