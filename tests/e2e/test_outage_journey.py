"""A call saved while the database is briefly unavailable, in headless Chromium: the form comes back with
everything typed and a plain message, and the same call is saved with one more press once the database is
back. The outage is raised where the page saves the call, as the driver raises it (the real thing on
PostgreSQL is tests/integration/test_faults.py). axe-core checks the page."""

import re

import psycopg
from sqlalchemy import func, select
from sqlalchemy.exc import OperationalError

import web.calls
from referrals.models import Referral
from tests.e2e.conftest import web_check, web_sign_in
from tests.e2e.test_call_form_journeys import start_a_call

try:
    from playwright.sync_api import expect
except ImportError:  # the web_browser fixture then skips these tests with the reason (or fails when CI=true)
    expect = None

NOTES = "Needs her prescription collected from the chemist, her daughter is away"


def connection_lost(*_args, **_kwargs):
    raise OperationalError(
        "COMMIT", {}, psycopg.OperationalError("server closed the connection unexpectedly")
    )


def test_a_call_saved_during_a_database_outage_is_kept_and_saved_once_after(
    web_page, web_server, session_factory, monkeypatch
):
    page = web_page
    web_sign_in(page, "helpline")
    start_a_call(page, name="Olive Outage")
    page.fill("#notes", NOTES)
    page.check("#consent_to_share-yes")
    monkeypatch.setattr(web.calls, "log_call", connection_lost)
    page.click("button:has-text('Save call')")
    banner = page.locator("#service-unavailable")
    expect(banner).to_be_visible()
    expect(banner).to_contain_text("The service is briefly unavailable")
    expect(banner).to_contain_text("Your form is kept")
    expect(page.locator("#name")).to_have_value("Olive Outage")
    expect(page.locator("#notes")).to_have_value(NOTES)
    expect(page.locator("#consent_to_share-yes")).to_be_checked()
    web_check(page, "call-form-database-unavailable")
    with session_factory() as session:
        assert session.scalar(select(func.count()).select_from(Referral)) == 0

    monkeypatch.undo()
    page.click("button:has-text('Save call')")
    page.wait_for_url(re.compile(r"/calls/\d+/saved$"))
    with session_factory() as session:
        assert session.scalar(select(func.count()).select_from(Referral)) == 1
