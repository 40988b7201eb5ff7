"""A hub passes a referral it holds to one of its volunteers, in a real browser, and the volunteer says YES by
text through the fake Twilio: the app serving HTTP on a real port, the real twilio client sending the offer,
the signed inbound webhook from the fake back to the app; the page then says who is doing it. axe-core checks
each page."""

from collections.abc import Iterator

import pytest
import requests

from accounts.passwords import create_user
from tests.builders import auth, call, small_directory, token_for, volunteer
from tests.e2e.conftest import DESKTOP, WEB_PASSWORD, LiveApp, live_sms_app, web_check, web_sign_in
from tests.integration.notify.sms_builders import wait_until

try:
    from playwright.sync_api import expect
except ImportError:  # the web_browser fixture then skips these tests with the reason (or fails when CI=true)
    expect = None

VERA_PHONE = "+447700900701"


@pytest.fixture
def live_app(web_browser, database_url, session_factory, fake, web_fast_hashing) -> Iterator[LiveApp]:
    directory = small_directory(session_factory)
    directory["vera"] = volunteer(
        session_factory, name="Vera Volunteer", phone=VERA_PHONE, org_id=directory["hub"]
    )
    with session_factory() as session:
        create_user(
            session,
            username="hub",
            display_name="Cole Coordinator",
            password=WEB_PASSWORD,
            role="hub_coordinator",
            org_id=directory["hub"],
        )
    with live_sms_app(database_url, fake, directory, AUTH_FREE_FAILURES_PER_ADDRESS=1000) as live:
        yield live


def test_a_hub_passes_a_referral_to_its_volunteer_who_says_yes_by_text(
    live_app, fake, web_browser, session_factory
):
    directory = live_app.directory
    helpline = auth(token_for(session_factory, "helpline_staff"))
    hub = auth(token_for(session_factory, "hub_coordinator", directory["hub"]))
    logged = requests.post(f"{live_app.url}/api/v1/referrals", json=call(), headers=helpline, timeout=10)
    assert logged.status_code == 201, logged.text
    referral_id = logged.json()["id"]
    accepted = requests.post(
        f"{live_app.url}/api/v1/referrals/{referral_id}/accept", json={}, headers=hub, timeout=10
    )
    assert accepted.status_code == 200, accepted.text

    context = web_browser.new_context(
        base_url=live_app.url, viewport=DESKTOP, locale="en-GB", bypass_csp=True
    )
    context.set_default_timeout(15_000)
    try:
        page = context.new_page()
        web_sign_in(page, "hub")
        page.goto(f"/referrals/{referral_id}")
        expect(page.locator("h1")).to_contain_text("Accepted")
        page.click("summary:has-text('Pass it on to a volunteer or group')")
        page.select_option("#pass_on-pass_to", f"volunteer:{directory['vera']}")
        page.fill("#pass_on-note", "She lives round the corner and has done this before.")
        page.click("form[action$='/actions/pass_on'] button[type=submit]")
        expect(page.locator("main")).to_contain_text("Passed on: they are texted the offer")
        expect(page.locator("main")).to_contain_text("Passed on to Vera Volunteer, who is texted the offer")
        web_check(page, "referral-passed-on")

        assert "1 sent" in live_app.cli("sms", "send-once")
        wait_until(lambda: fake.messages(to=VERA_PHONE))
        [offer_text] = fake.messages(to=VERA_PHONE)
        assert "Margaret" not in offer_text.body
        code = offer_text.body.split("Reply YES ")[1].split(" ")[0]

        said_yes = fake.send_inbound(VERA_PHONE, f"YES {code}", f"{live_app.url}/sms/inbound")
        assert said_yes.status == 200
        assert f"Task {code} is yours" in said_yes.body

        page.goto(f"/referrals/{referral_id}")
        being_done = page.locator(".being-done-by")
        expect(being_done).to_contain_text("Vera Volunteer (accepted by text at")
        expect(being_done).to_contain_text("for Sutton Central Hub")
        expect(page.locator("#timeline + ol")).to_contain_text("Taken on by the volunteer or group")
        web_check(page, "referral-being-done-by-volunteer")
        page.screenshot(path="/tmp/pass-on-being-done.png", full_page=True)
    finally:
        context.close()
