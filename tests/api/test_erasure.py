"""Erasure and retention: personal data goes, the audit chain still verifies, nothing in it is readable."""

import itertools
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


WINIFRED = {
    "name": "Winifred Quill",
    "phone": "07700 900987",
    "postcode": "SM1 2AB",
    "address": "14 Larch Crescent, Sutton",
    "flags": {},
}
# The same person logged again by someone else: a title, an initial, the international form of her phone.
WINIFRED_AGAIN = {**WINIFRED, "name": "Mrs W. Quill", "phone": "+44 7700 900987"}
# Her husband: same phone and address, a different person.
ALBERT = {**WINIFRED, "name": "Albert Quill"}
# What must not be left anywhere once she is erased.
HER_DETAILS = (
    "Winifred",
    "Quill",
    "+447700900987",
    "07700 900987",
    "07700900987",
    "7700 900987",
    "Larch Crescent",
)


def _log(client, helpline, resident: dict, **fields) -> dict:
    response = client.post("/api/v1/referrals", json=call(resident=resident, **fields), headers=helpline)
    assert response.status_code == 201, response.get_json()
    return response.get_json()


_SIDS = itertools.count(1)


def _text_in(session_factory, body: str, from_phone: str = "+447700900444") -> str:
    from texting.replies import InboundText, handle_inbound

    text = InboundText(
        sid=f"SM{next(_SIDS):032x}",
        from_phone=from_phone,
        to_phone="+447700900000",
        body=body,
    )
    with session_factory() as writer:
        return handle_inbound(writer, text, load_lifecycle_policy())


def test_a_person_logged_twice_is_listed_for_the_officer_and_erased_in_one_request(
    client, helpline, headers_for, directory, session_factory
):
    first = _log(client, helpline, WINIFRED)
    second = _log(client, helpline, WINIFRED_AGAIN, notes="Wants a prescription collected")
    husband = _log(client, helpline, ALBERT, notes="Wants a prescription collected")
    ids = [record["resident"]["id"] for record in (first, second, husband)]
    assert len(set(ids)) == 3, "three resident records"
    officer = headers_for("safety_net_officer", directory["sutton_safety_net"])

    found = client.get(f"/api/v1/residents/{ids[0]}/erasure", headers=officer)

    assert found.status_code == 200, found.get_json()
    body = found.get_json()
    assert body["resident"]["id"] == ids[0]
    assert [(c["id"], c["name"], c["postcode"]) for c in body["candidates"]] == [
        (ids[1], "Mrs W. Quill", "SM1 2AB")
    ], "her other record, not her husband's"
    assert {"name", "phone"} <= set(body["candidates"][0]["matched_fields"])
    elsewhere = headers_for("safety_net_officer", directory["coventry_safety_net"])
    assert client.get(f"/api/v1/residents/{ids[0]}/erasure", headers=elsewhere).status_code == 404
    assert client.get(f"/api/v1/residents/{ids[0]}/erasure", headers=helpline).status_code == 403

    wrong = client.post(
        f"/api/v1/residents/{ids[0]}/erase",
        json={"reason": "asked by phone", "also_erase": [ids[1], ids[2]]},
        headers=officer,
    )
    assert wrong.status_code == 422, wrong.get_json()
    assert wrong.mimetype == "application/problem+json"
    assert "also_erase" in wrong.get_json()["errors"]
    with session_factory() as session:
        assert session.get(Resident, ids[0]).erased_at is None, "nothing erased by a refused request"

    erased = client.post(
        f"/api/v1/residents/{ids[0]}/erase",
        json={"reason": "asked by phone", "also_erase": [ids[1]]},
        headers=officer,
    )

    assert erased.status_code == 200, erased.get_json()
    assert erased.get_json()["also_erased"] == [ids[1]]
    with session_factory() as session:
        names = [session.get(Resident, rid).name for rid in ids]
        assert names == ["(erased)", "(erased)", "Albert Quill"]
        statuses = [session.get(Referral, r["id"]).status for r in (first, second, husband)]
        assert statuses[:2] == ["cancelled", "cancelled"]
        assert statuses[2] != "cancelled"
        events = session.scalars(select(AuditEvent).where(AuditEvent.kind == "resident.erased")).all()
        assert sorted(event.resident_id for event in events) == ids[:2], "each record's erasure is audited"
        assert verify_trail(session).ok


def test_a_text_that_named_the_person_but_matched_no_task_is_blanked(
    client, helpline, headers_for, directory, session_factory
):
    from notify.models import InboundMessage

    created = _log(client, helpline, WINIFRED)
    about_her = [
        "Hello its winifred quill, can someone ring me back",
        "my number is 07700900987 please call",
        "Please call +44 (0)7700 900-987",
        "I live at 14 Larch Cres sutton",
        "help needed at sm12ab",
    ]
    unrelated = "Is this the number for the food bank? Albert"
    for body in [*about_her, unrelated]:
        _text_in(session_factory, body)
    _text_in(session_factory, "hello?", from_phone="+447700900987")  # from her own phone

    response = client.post(
        f"/api/v1/residents/{created['resident']['id']}/erase",
        json={"reason": "asked by phone"},
        headers=headers_for("safety_net_officer", directory["sutton_safety_net"]),
    )

    assert response.status_code == 200
    with session_factory() as session:
        stored = session.execute(
            select(InboundMessage.body, InboundMessage.from_phone).order_by(InboundMessage.id)
        ).all()
    assert [body for body, _phone in stored] == ["(erased)"] * len(about_her) + [unrelated, "(erased)"]
    assert "+447700900987" not in [phone for _body, phone in stored]


def dump_database(engine) -> dict[str, str]:
    """Every table, every column, every row, as lower-case text."""
    from sqlalchemy import MetaData

    metadata = MetaData()
    metadata.reflect(engine)
    dumped = {}
    with engine.connect() as connection:
        for table in metadata.sorted_tables:
            rows = connection.execute(select(table)).all()
            dumped[table.name] = "\n".join(" | ".join(map(str, row)) for row in rows).lower()
    return dumped


def test_after_erasure_no_table_holds_her_name_phone_or_address(
    client, helpline, headers_for, session_factory, engine
):
    """Two records of her, the helper's summary, a retried intake's stored answer, offers a lead took by text
    (the details text names her), the lead's replies naming her (one with her name where the task code
    goes), a text that matched no task, one from her own phone: after one erasure request the whole
    database, read as text, holds none of her details."""
    from notify.models import OutboxMessage
    from tests.integration.notify.sms_builders import coventry_directory

    directory = coventry_directory(session_factory)  # a mutual-aid group whose volunteers take tasks by text
    in_coventry = {"postcode": "CV1 1AJ", "address": "14 Larch Crescent, Coventry"}
    first = _log(
        client,
        {**helpline, "Idempotency-Key": "call-20261207-0001"},
        {**WINIFRED, **in_coventry},
        notes="Needs shopping picked up this week.",
        summary="Winifred Quill is hard of hearing: knock loudly at 14 Larch Crescent",
    )
    second = _log(client, helpline, {**WINIFRED_AGAIN, **in_coventry}, notes="Needs a prescription collected")
    for referral in (first, second):
        offer = referral["current_offer"]
        with session_factory() as session:
            lead = session.scalar(select(OutboxMessage.to).where(OutboxMessage.offer_id == offer["id"]))
        assert "is yours" in _text_in(session_factory, f"YES {offer['task_code']}", from_phone=lead)
        _text_in(session_factory, f"DONE {offer['task_code']} Winifred was fine", from_phone=lead)
        _text_in(session_factory, "Done Winifred", from_phone=lead)  # a name where the task code goes
    _text_in(session_factory, "This is Winifred Quill of 14 Larch Crescent CV1 1AJ, 07700 900987")
    _text_in(session_factory, "hello?", from_phone="+447700900987")
    officer = headers_for("safety_net_officer", directory["safety_net"])
    before = dump_database(engine)
    assert "winifred" in before["resident"]
    assert "larch crescent" in before["sms_outbox"]
    assert "larch crescent" in before["sms_inbound"]
    candidates = client.get(f"/api/v1/residents/{first['resident']['id']}/erasure", headers=officer)
    other_ids = [c["id"] for c in candidates.get_json()["candidates"]]
    assert other_ids == [second["resident"]["id"]]

    response = client.post(
        f"/api/v1/residents/{first['resident']['id']}/erase",
        json={"reason": "asked by phone", "also_erase": other_ids},
        headers=officer,
    )

    assert response.status_code == 200, response.get_json()
    left = [
        f"{detail!r} in {table}"
        for table, text_ in dump_database(engine).items()
        for detail in (*HER_DETAILS, *(("CV1 1AJ", "CV11AJ") if table != "postcode" else ()))
        if detail.lower() in text_
    ]
    assert left == []
    with session_factory() as session:
        assert verify_trail(session).ok


def test_an_erasure_reason_that_names_the_person_is_refused_as_it_stays_in_the_trail(
    client, helpline, headers_for
):
    referral = client.post("/api/v1/referrals", json=call(), headers=helpline).get_json()
    admin = headers_for("admin")

    refused = client.post(
        f"/api/v1/residents/{referral['resident']['id']}/erase",
        json={"reason": "Margaret Test asked by phone"},
        headers=admin,
    )

    assert refused.status_code == 422
    assert "must not name the person" in refused.get_json()["errors"]["reason"][0]
    assert client.get(f"/api/v1/referrals/{referral['id']}", headers=helpline).get_json()["resident"][
        "name"
    ] == ("Margaret Test")
