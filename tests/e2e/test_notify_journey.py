"""A mutual-aid lead's journey by text through GOV.UK Notify, end to end: the app serving HTTP on a real port,
the real notifications-python-client talking to the fake Notify, which posts its delivery receipts and the
lead's reply to the app's callbacks with the service's bearer token."""

from collections.abc import Iterator

import pytest
import requests

from referrals.audit import verify_trail
from tests.builders import auth, call, token_for
from tests.e2e.conftest import LiveApp, live_sms_app
from tests.integration.notify.notify_builders import fake_notify, notify_settings
from tests.integration.notify.sms_builders import (
    LEAD_PHONE,
    coventry_directory,
    pending_offer,
    referral,
    texts,
    wait_until,
)

RESIDENT = {
    "name": "Winifred Notify",
    "phone": "07700 900433",
    "postcode": "CV1 1AH",
    "address": "9 Testing Lane, Coventry",
}


@pytest.fixture
def notify():
    with fake_notify() as server:
        yield server


@pytest.fixture
def live_app(database_url, fake, notify) -> Iterator[LiveApp]:
    with live_sms_app(database_url, fake, **notify_settings(notify.url)) as live:
        notify.status_callback_url = f"{live.url}/sms/notify/status"
        notify.inbound_callback_url = f"{live.url}/sms/notify/inbound"
        yield live


def test_a_lead_accepts_a_task_by_text_through_notify(live_app, fake, notify, session_factory, session):
    directory = coventry_directory(session_factory)
    helpline = auth(token_for(session_factory, "helpline_staff"))
    logged = requests.post(
        f"{live_app.url}/api/v1/referrals", json=call(resident=RESIDENT), headers=helpline, timeout=10
    )
    assert logged.status_code == 201, logged.text
    referral_id = logged.json()["id"]
    offer = pending_offer(session, referral_id)

    assert "1 sent" in live_app.cli("sms", "send-once")
    wait_until(lambda: [t.status for t in texts(session)] == ["delivered"])
    [offer_text] = notify.messages(to=LEAD_PHONE)
    assert offer.task_code in offer_text.body
    assert offer_text.reference == f"outbox-{texts(session)[0].id}-1"
    assert fake.messages() == [], "nothing goes through Twilio"

    answered = notify.send_inbound(LEAD_PHONE, f"yes {offer.task_code}")
    assert answered.status_code == 204
    row = referral(session, referral_id)
    assert (row.status, row.volunteer_id) == ("accepted", directory["volunteer1"])

    assert "2 sent" in live_app.cli("sms", "send-once")
    wait_until(lambda: {t.status for t in texts(session)} == {"delivered"})
    bodies = [m.body for m in notify.messages(to=LEAD_PHONE)]
    assert any(f"Task {offer.task_code} is yours" in body for body in bodies[1:])
    assert any("Winifred Notify" in body for body in bodies[1:])

    timeline = requests.get(
        f"{live_app.url}/api/v1/referrals/{referral_id}", headers=helpline, timeout=10
    ).json()
    kinds = [event["kind"] for event in timeline["timeline"]]
    for kind in ("sms.sent", "sms.delivered", "sms.received", "referral.accepted"):
        assert kind in kinds
    assert verify_trail(session).ok


def test_notifys_test_number_for_a_permanent_failure_moves_the_offer_on(
    live_app, notify, session_factory, session
):
    directory = coventry_directory(session_factory)
    notify.configure({"outcomes": {LEAD_PHONE: "permanent-failure"}})
    helpline = auth(token_for(session_factory, "helpline_staff"))
    referral_id = requests.post(
        f"{live_app.url}/api/v1/referrals", json=call(resident=RESIDENT), headers=helpline, timeout=10
    ).json()["id"]
    assert "1 sent" in live_app.cli("sms", "send-once")
    wait_until(lambda: pending_offer(session, referral_id).volunteer_id == directory["volunteer2"])
    assert [t.status for t in texts(session)][:1] == ["failed"]
