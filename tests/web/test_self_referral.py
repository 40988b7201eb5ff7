"""A resident's own request on the public "Ask for help" page: saved, triaged and audited but offered to
no one until the helpline reviews it; emergency and safeguarding words get advice at once (and go to the
safety-net team); limits per address, the hidden field only programs fill, and nothing about anyone else
is shown."""

import re

from sqlalchemy import func, select

from referrals.models import AuditEvent, Offer, Referral
from referrals.requests import REVIEW, REVIEWED
from tests.web.conftest import csrf_token, post_form

REFERENCE = re.compile(r'confirmation-reference">([A-Z0-9]{5}-[A-Z0-9]{5})<')
REQUEST = {
    "details": "I need help with food shopping this week, I cannot get out since my operation",
    "name": "Rita Selfsend",
    "postcode": "SM1 1AA",
    "phone": "07700 900111",
    "address": "3 Rose Walk",
    "safe_to_contact": "yes",
    "consent": "yes",
}


def ask(client, **changes):
    return post_form(client, "/ask-for-help", {**REQUEST, **changes})


def referrals_of(session_factory, name: str) -> list[Referral]:
    with session_factory() as session:
        return list(
            session.scalars(select(Referral).join(Referral.resident).where(Referral.resident.has(name=name)))
        )


def test_a_request_is_saved_for_review_and_nothing_is_offered(client, session_factory):
    page = client.get("/ask-for-help")
    assert page.status_code == 200, "no sign-in"
    assert "What do you need help with?" in page.get_data(as_text=True)

    sent = ask(client)
    assert sent.status_code == 302
    assert sent.location.endswith("/ask-for-help/sent")
    thanks = client.get(sent.location).get_data(as_text=True)
    reference = REFERENCE.search(thanks).group(1)
    assert "What happens next" in thanks
    assert client.get("/ask-for-help/sent").status_code == 302, (
        "shown once: the reference is not kept in a page"
    )

    with session_factory() as session:
        referral = session.scalars(select(Referral).where(Referral.public_ref == reference)).one()
        assert referral.channel == "self_referral"
        assert referral.status == "triaged"
        assert referral.needs == ["shopping"]
        assert referral.owner_org_id is not None, "the area's safety-net team holds it meanwhile"
        assert session.scalar(select(func.count()).select_from(Offer)) == 0, "nothing offered before review"
        kinds = set(session.scalars(select(AuditEvent.kind).where(AuditEvent.referral_id == referral.id)))
        assert {"referral.received", "triage.decided", REVIEW} <= kinds
        assert reference != str(referral.id)
        assert f"Referral {referral.id}" not in thanks


def test_the_helpline_reviews_and_confirms_then_it_is_routed(client, session_factory, signed_in):
    ask(client)
    browser = signed_in("helpline")
    page = browser.get("/requests").get_data(as_text=True)
    assert "Rita Selfsend" in page
    assert "cannot get out since my operation" in page
    (referral,) = referrals_of(session_factory, "Rita Selfsend")

    confirmed = post_form(
        browser,
        f"/requests/{referral.id}/confirm",
        {"summary": "Weekly food shop after an operation", "needs": ["shopping"]},
        "/requests",
    )
    assert confirmed.status_code == 302
    assert confirmed.location.endswith(f"/referrals/{referral.id}")
    with session_factory() as session:
        row = session.get(Referral, referral.id)
        assert row.status == "offered"
        assert row.summary == "Weekly food shop after an operation"
        reviewed = session.scalars(
            select(AuditEvent).where(AuditEvent.referral_id == row.id, AuditEvent.kind == REVIEWED)
        ).one()
        assert reviewed.payload == {"outcome": "confirmed", "edited": ["summary"]}
    assert "Nothing to review" in browser.get("/requests").get_data(as_text=True)
    again = post_form(browser, f"/requests/{referral.id}/confirm", {"needs": ["shopping"]}, "/requests")
    assert "could not be confirmed" in browser.get(again.location).get_data(as_text=True)


def test_a_request_not_taken_forward_is_cancelled_with_the_reason(client, session_factory, signed_in):
    ask(client)
    (referral,) = referrals_of(session_factory, "Rita Selfsend")
    browser = signed_in("officer")
    one_word = post_form(
        browser, f"/requests/{referral.id}/not-taken-forward", {"reason": "test"}, "/requests"
    )
    assert "few words" in browser.get(one_word.location).get_data(as_text=True)
    post_form(browser, f"/requests/{referral.id}/not-taken-forward", {"reason": "a test by IT"}, "/requests")
    with session_factory() as session:
        assert session.get(Referral, referral.id).status == "cancelled"


def test_hub_coordinators_and_people_signed_out_cannot_review(client, session_factory, signed_in):
    ask(client)
    (referral,) = referrals_of(session_factory, "Rita Selfsend")
    assert signed_in("hub").get("/requests").status_code == 403
    assert client.get("/requests").status_code == 302
    assert client.post(f"/requests/{referral.id}/confirm", data={}).status_code in (302, 400)


def test_emergency_words_get_advice_at_once_and_go_to_the_safety_net(client, session_factory, signed_in):
    words = "my dad has collapsed and is not breathing"
    check = client.post(
        "/ask-for-help/check",
        data={"details": words},
        headers={"X-CSRFToken": csrf_token(client, "/ask-for-help")},
    )
    assert check.get_json() == {"emergency": True, "safeguarding": False}

    mistaken = ask(client, details=words, name="")  # sent without the script: the server shows the advice
    assert mistaken.status_code == 400
    body = mistaken.get_data(as_text=True)
    assert "call <strong>999</strong>" in body
    assert 'id="urgent-advice" data-urgent-advice hidden' not in body
    assert "020 7946 0900" in body, "the council's safeguarding number (config/areas.yaml)"

    thanks = client.get(ask(client, details=words).location).get_data(as_text=True)
    assert "999" in thanks
    assert "safety-net team sees it straight away" in thanks
    (referral,) = referrals_of(session_factory, "Rita Selfsend")
    officer = signed_in("officer")
    assert f"/referrals/{referral.id}" in officer.get("/safety-net").get_data(as_text=True)
    assert "Urgent: with the safety-net team" in officer.get("/requests").get_data(as_text=True)
    assert referral.status == "escalated"
    post_form(officer, f"/requests/{referral.id}/confirm", {"needs": referral.needs}, "/requests")
    (referral,) = referrals_of(session_factory, "Rita Selfsend")
    assert referral.status == "escalated", "confirmed, it stays with the safety-net team that holds it"
    assert "Nothing to review" in officer.get("/requests").get_data(as_text=True)
    with session_factory() as session:
        reads = session.scalars(
            select(AuditEvent).where(
                AuditEvent.kind == "resident.read", AuditEvent.resident_id == referral.resident_id
            )
        ).all()
        assert any(event.payload.get("door") == "requests to review" for event in reads)
    assert referral.urgency == "emergency"


def test_the_hidden_field_gets_the_same_page_and_saves_nothing(client, session_factory, caplog):
    sent = ask(client, website="http://spam.example")
    assert sent.status_code == 302
    thanks = client.get(sent.location).get_data(as_text=True)
    assert REFERENCE.search(thanks), "looks the same as a person's thank-you page"
    assert referrals_of(session_factory, "Rita Selfsend") == []
    assert "hidden field was filled" in caplog.text


def test_requests_per_address_are_limited(database_url, session_factory):
    from api import create_app

    app = create_app({"DATABASE_URL": database_url, "TESTING": True, "RATELIMIT_SELF_REFERRAL": "2 per hour"})
    try:
        client = app.test_client()
        assert ask(client).status_code == 302
        assert ask(client, name="Rita Second").status_code == 302
        refused = ask(client, name="Rita Third")
        assert refused.status_code == 429
        assert "999" in refused.get_data(as_text=True)
        assert referrals_of(session_factory, "Rita Third") == []
    finally:
        app.extensions["oneroute"].engine.dispose()


def test_the_global_limit_stops_everyone(database_url, session_factory):
    from api import create_app

    app = create_app(
        {"DATABASE_URL": database_url, "TESTING": True, "RATELIMIT_SELF_REFERRAL_GLOBAL": "1 per hour"}
    )
    try:
        first = app.test_client()
        assert ask(first).status_code == 302
        second = app.test_client()
        refused = second.post(
            "/ask-for-help",
            data={**REQUEST, "name": "Rita Other", "csrf_token": csrf_token(second, "/ask-for-help")},
            environ_base={"REMOTE_ADDR": "192.0.2.9"},
        )
        assert refused.status_code == 429
    finally:
        app.extensions["oneroute"].engine.dispose()


def test_a_known_person_is_not_revealed_and_goes_to_the_repeat_callers_list(
    client, session_factory, signed_in
):
    ask(client)
    again = ask(client, name="Rita Selfsend", details="still need shopping help please")
    page = client.get(again.location).get_data(as_text=True)
    assert "already" not in page
    assert "known" not in page
    browser = signed_in("helpline")
    assert "may be someone already known" in browser.get("/requests").get_data(as_text=True)


def test_bad_input_is_named_field_by_field(client):
    answer = ask(client, phone="12", safe_to_contact="", details="x" * 2001)
    body = answer.get_data(as_text=True)
    assert answer.status_code == 400
    for message in ("2000 characters or fewer", "Enter a UK phone number", "safe for us to contact you"):
        assert message in body


def test_the_helpline_finds_a_request_by_the_reference_the_resident_was_shown(client, signed_in):
    reference = REFERENCE.search(client.get(ask(client).location).get_data(as_text=True)).group(1)
    found = signed_in("helpline").get(f"/search?q={reference.lower()}").get_data(as_text=True)
    assert "Rita Selfsend" in found
    assert "Rita Selfsend" not in signed_in("hub").get(f"/search?q={reference}").get_data(as_text=True)


def test_a_double_barrelled_name_that_looks_like_a_reference_is_still_found_by_name(client, signed_in):
    ask(client, name="Rita Smyth-Baker")
    found = signed_in("helpline").get("/search?q=Smyth-Baker").get_data(as_text=True)
    assert "Rita Smyth-Baker" in found
