"""A mutual-aid lead's journey by text, end to end: the app serving HTTP on a real port, the real twilio
client talking to the fake Twilio, signed status callbacks and inbound texts from the fake back to the app."""

from collections.abc import Iterator

import pytest
import requests

from referrals.audit import verify_trail
from tests.builders import auth, call, token_for
from tests.e2e.conftest import LiveApp, live_sms_app
from tests.integration.notify.sms_builders import (
    LEAD_PHONE,
    coventry_directory,
    pending_offer,
    referral,
    texts,
    wait_until,
)

RESIDENT = {
    "name": "Winifred Journey",
    "phone": "07700 900432",
    "postcode": "CV1 1AH",
    "address": "7 Testing Lane, Coventry",
}


@pytest.fixture
def live_app(database_url, session_factory, fake) -> Iterator[LiveApp]:
    with live_sms_app(database_url, fake) as live:
        yield live


def test_a_lead_accepts_and_completes_a_task_by_text(live_app, fake, session_factory, session):
    directory = coventry_directory(session_factory)
    helpline = auth(token_for(session_factory, "helpline_staff"))
    logged = requests.post(
        f"{live_app.url}/api/v1/referrals", json=call(resident=RESIDENT), headers=helpline, timeout=10
    )
    assert logged.status_code == 201, logged.text
    referral_id = logged.json()["id"]
    offer = pending_offer(session, referral_id)
    assert offer.volunteer_id == directory["volunteer1"]

    assert "1 sent" in live_app.cli("sms", "send-once")
    wait_until(lambda: [t.status for t in texts(session)] == ["delivered"])
    [offer_text] = fake.messages(to=LEAD_PHONE)
    assert offer.task_code in offer_text.body
    for personal in ("Winifred", "Journey", "900432", "07700", "Testing Lane", "CV1 1AH"):
        assert personal not in offer_text.body, f"the offer text leaks {personal!r}"

    accepted = fake.send_inbound(LEAD_PHONE, f"yes {offer.task_code}", f"{live_app.url}/sms/inbound")
    assert accepted.status == 200
    assert f"Task {offer.task_code} is yours" in accepted.body
    assert "<Response><Message>" in accepted.body
    row = referral(session, referral_id)
    assert (row.status, row.volunteer_id) == ("accepted", directory["volunteer1"])

    assert "1 sent" in live_app.cli("sms", "send-once")
    wait_until(lambda: [t.status for t in texts(session)] == ["delivered", "delivered"])
    details = fake.messages(to=LEAD_PHONE)[1].body
    assert all(part in details for part in ("Winifred Journey", "+447700900432", "7 Testing Lane"))

    done = fake.send_inbound(LEAD_PHONE, "DONE", f"{live_app.url}/sms/inbound")
    assert f"Task {offer.task_code} is marked done" in done.body
    row = referral(session, referral_id)
    assert (row.status, row.outcome_code) == ("completed", "done_by_sms")

    timeline = requests.get(
        f"{live_app.url}/api/v1/referrals/{referral_id}", headers=helpline, timeout=10
    ).json()
    kinds = [event["kind"] for event in timeline["timeline"]]
    for kind in ("sms.sent", "sms.delivered", "sms.received", "referral.accepted", "referral.completed"):
        assert kind in kinds
    assert verify_trail(session).ok


def test_the_worker_sends_texts_queued_while_twilio_was_down(live_app, fake, session_factory, session):
    coventry_directory(session_factory)
    helpline = auth(token_for(session_factory, "helpline_staff"))
    fake.set_outage(True)
    for n in range(3):
        resident = {**RESIDENT, "name": f"Person {n}", "phone": ""}
        response = requests.post(
            f"{live_app.url}/api/v1/referrals", json=call(resident=resident), headers=helpline, timeout=10
        )
        assert response.status_code == 201, response.text
    assert "3 retry" in live_app.cli("worker", "--once")
    fake.set_outage(False)
    wait_until(lambda: "sent" in live_app.cli("worker", "--once") and not texts(session, status="queued"))
    wait_until(lambda: {t.status for t in texts(session)} == {"delivered"})
    assert sorted(m.to for m in fake.messages()) == sorted(t.to for t in texts(session))
    assert fake.create_attempts == 6, "three refused during the outage, then each text once"
