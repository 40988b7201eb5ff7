"""Erasure and retention: personal data goes, the audit chain still verifies, nothing in it is readable."""

from datetime import timedelta

from sqlalchemy import func, select, text

from db.base import utcnow
from referrals.audit import verify_trail
from referrals.erasure import load_retention_policy, run_retention
from referrals.models import AuditEvent, IdempotentRequest, Referral, Resident, ResidentSecret
from referrals.policy import load_lifecycle_policy
from referrals.sealing import unseal
from tests.builders import call, organisation

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


def test_what_staff_write_about_a_person_is_readable_until_the_person_is_erased(
    client, helpline, headers_for, directory, session_factory
):
    """Reasons and notes people write go into the audit trail sealed with the person's key: the timeline reads
    them back for those who may see the person, an organisation only offered the referral sees a placeholder,
    and after erasure nobody can read them, while the trail still verifies."""
    second_hub = organisation(session_factory, name="Sutton North Hub", services=["shopping", "food"])
    created = client.post("/api/v1/referrals", json=call(), headers=helpline).get_json()
    first_hub = created["current_offer"]["org_id"]
    declined = client.post(
        f"/api/v1/referrals/{created['id']}/decline",
        json={"reason": "Desmond answered and said she is frightened"},
        headers=headers_for("hub_coordinator", first_hub),
    ).get_json()
    assert declined["current_offer"]["org_id"] == second_hub
    other = headers_for("hub_coordinator", second_hub)
    officer = headers_for("safety_net_officer", directory["sutton_safety_net"])

    def decline_reason(headers) -> str:
        timeline = client.get(f"/api/v1/referrals/{created['id']}", headers=headers).get_json()["timeline"]
        return next(e["reason"] for e in timeline if e["kind"] == "referral.declined")

    assert decline_reason(officer) == "Desmond answered and said she is frightened"
    assert decline_reason(other) == "(withheld until accepted)"
    client.post(f"/api/v1/referrals/{created['id']}/accept", json={}, headers=other)
    assert decline_reason(other) == "Desmond answered and said she is frightened"
    client.post(f"/api/v1/referrals/{created['id']}/start", json={}, headers=other)
    done = client.post(
        f"/api/v1/referrals/{created['id']}/complete",
        json={"outcome_code": "shopping_delivered", "note": "Desmond was there again"},
        headers=other,
    ).get_json()
    assert next(e for e in done["timeline"] if e["kind"] == "referral.completed")["data"]["note"] == (
        "Desmond was there again"
    )
    with session_factory() as session:
        assert "Desmond" not in audit_text(session)

    erased = client.post(
        f"/api/v1/residents/{created['resident']['id']}/erase",
        json={"reason": "asked by phone"},
        headers=officer,
    )
    assert erased.status_code == 200
    assert decline_reason(officer) == "(erased)"
    with session_factory() as session:
        assert verify_trail(session).ok


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


def test_erasing_a_person_blanks_the_answers_stored_for_retries(client, helpline, headers_for, session):
    """An intake's stored answer (for an Idempotency-Key retry) repeats the person's name and phone; after
    erasure a retry gets neither the details back nor a new record of the person."""
    headers = {**helpline, "Idempotency-Key": "call-to-erase"}
    created = client.post(
        "/api/v1/referrals", json=call(resident={"name": "Winifred Quill"}), headers=headers
    ).get_json()
    stored = session.scalar(select(IdempotentRequest).where(IdempotentRequest.key == "call-to-erase"))
    assert stored.referral_id == created["id"]
    assert "Winifred" in str(stored.response)
    session.rollback()

    officer = headers_for("safety_net_officer")
    erased = client.post(
        f"/api/v1/residents/{created['resident']['id']}/erase", json={"reason": "asked"}, headers=officer
    )

    assert erased.status_code == 200
    session.rollback()
    stored = session.scalar(select(IdempotentRequest).where(IdempotentRequest.key == "call-to-erase"))
    assert "Winifred" not in str(stored.response)
    retried = client.post(
        "/api/v1/referrals", json=call(resident={"name": "Winifred Quill"}), headers=headers
    )
    assert retried.status_code == 410
    assert session.scalar(select(func.count()).select_from(Resident)) == 1


def test_a_reason_typed_for_a_triage_override_is_sealed_and_goes_with_erasure(
    client, helpline, headers_for, session_factory
):
    created = client.post("/api/v1/referrals", json=call(), headers=helpline).get_json()
    officer = headers_for("safety_net_officer")
    typed = "Desmond rang again and she sounded frightened"
    overridden = client.post(
        f"/api/v1/referrals/{created['id']}/triage",
        json={"tier": "statutory", "reason": typed},
        headers=officer,
    )
    assert overridden.status_code == 200, overridden.get_json()
    event = next(e for e in overridden.get_json()["timeline"] if e["kind"] == "triage.overridden")
    assert event["reason"] == typed
    with session_factory() as session:
        assert "Desmond" not in audit_text(session)

    client.post(
        f"/api/v1/residents/{created['resident']['id']}/erase", json={"reason": "asked"}, headers=officer
    )

    with session_factory() as session:
        assert "Desmond" not in str(session.get(Referral, created["id"]).triage)
        assert verify_trail(session).ok
