"""Signing in in a real browser: through the council's provider (the local OpenID provider's own page, on a
port of its own) and out of it again, with the site's Content Security Policy in force; a person the
provider knows but nobody has given a role; and an admin's password sign-in that sets up an authenticator
app, keeps the recovery codes and then gives a code. axe-core checks each of our pages."""

import re
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta

import pyotp
import pytest
from werkzeug.serving import make_server

from accounts.fake_oidc import FakeOidc, FakeUser
from accounts.passwords import create_user
from db.base import utcnow
from tests.builders import small_directory
from tests.e2e.conftest import DESKTOP, WEB_PASSWORD, web_check, web_sign_in, web_sign_out

try:
    from playwright.sync_api import expect
except ImportError:  # the web_browser fixture then skips these tests with the reason (or fails when CI=true)
    expect = None

ANN = FakeUser("sub-ann", "ann.admin@sutton.example", "Ann Admin", ["g-admins"])
NIA = FakeUser("sub-nia", "nia.new@sutton.example", "Nia Newstarter", [])


@dataclass(frozen=True)
class Served:
    url: str
    idp: FakeOidc


@pytest.fixture
def served(web_browser, database_url, session_factory, web_fast_hashing) -> Iterator[Served]:
    from api import create_app

    small_directory(session_factory)
    with session_factory() as session:
        create_user(session, username="admin", display_name="Ada Admin", password=WEB_PASSWORD, role="admin")
    with FakeOidc(users=[ANN, NIA]) as idp:
        app = create_app(
            {
                "DATABASE_URL": database_url,
                "TESTING": True,
                "AUTH_FREE_FAILURES_PER_ADDRESS": 1000,
                "OIDC_ISSUER": idp.url,
                "OIDC_CLIENT_ID": idp.client_id,
                "OIDC_CLIENT_SECRET": idp.client_secret,
                "OIDC_ALLOWED_DOMAINS": "sutton.example",
                "OIDC_GROUP_ROLES": "g-admins=admin",
                "TOTP_REQUIRED_ROLES": "admin,safety_net_officer",
            }
        )
        server = make_server("127.0.0.1", 0, app, threaded=True)
        thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        thread.start()
        try:
            yield Served(f"http://127.0.0.1:{server.server_port}", idp)
        finally:
            server.shutdown()
            thread.join()
            app.extensions["oneroute"].engine.dispose()


def new_page(web_browser, served: Served, *, enforce_csp: bool = False):
    """A fresh profile. axe-core needs the CSP bypassed to be injected; the round trip to the provider and
    back is also driven with it in force, as people's browsers have it."""
    context = web_browser.new_context(
        base_url=served.url, viewport=DESKTOP, locale="en-GB", bypass_csp=not enforce_csp
    )
    context.set_default_timeout(15_000)
    return context, context.new_page()


def test_staff_sign_in_and_out_through_the_council_provider(web_browser, served):
    context, page = new_page(web_browser, served)
    try:
        page.goto("/")
        expect(page.get_by_role("link", name="Sign in with your council account")).to_be_visible()
        web_check(page, "sign-in-with-council-account")
        page.get_by_role("link", name="Sign in with your council account").click()
        expect(page).to_have_url(re.compile(re.escape(served.idp.url) + "/authorize"))
        page.get_by_role("button", name=re.compile("Nia Newstarter")).click()
        expect(page.locator("h1")).to_have_text("You have signed in, but have no role here yet")
        web_check(page, "sso-no-role")
    finally:
        context.close()

    context, page = new_page(web_browser, served, enforce_csp=True)
    try:
        page.goto("/sign-in")
        page.get_by_role("link", name="Sign in with your council account").click()
        page.get_by_role("button", name=re.compile("Ann Admin")).click()
        expect(page.locator("h1")).to_have_text("Organisations")
        expect(page.locator(".account-name")).to_contain_text("Ann Admin (admin)")
        web_sign_out(page)  # through the provider's end_session page and back to ours
        expect(page.locator(".banner-success")).to_contain_text("You have signed out")
        assert served.idp.ended_sessions[-1]["sub"] == "sub-ann"
        page.goto("/admin/organisations")
        expect(page).to_have_url(re.compile(r"/sign-in"))
    finally:
        context.close()


def test_an_admin_sets_up_an_authenticator_app_then_gives_a_code(web_browser, served):
    context, page = new_page(web_browser, served)
    try:
        page.goto("/sign-in")
        page.fill("#username", "admin")
        page.fill("#password", WEB_PASSWORD)
        page.get_by_role("button", name="Sign in", exact=True).click()
        expect(page.locator("h1")).to_have_text("Set up your authenticator app")
        web_check(page, "enrol-authenticator-app")
        key = page.locator("[data-totp-key]").inner_text().replace(" ", "")
        app = pyotp.TOTP(key)
        page.fill("#code", "111111" if app.now() != "111111" else "222222")
        page.get_by_role("button", name="Turn on the second step").click()
        expect(page.locator(".error-summary")).to_contain_text("The code is not right")
        page.fill("#code", app.now())
        page.get_by_role("button", name="Turn on the second step").click()
        expect(page.locator("h1")).to_have_text("Your authenticator app is set up")
        assert page.locator("[data-recovery-codes] li").count() == 10
        web_check(page, "recovery-codes")
        page.get_by_role("link", name="I have kept them: continue").click()
        expect(page.locator("h1")).to_have_text("Organisations")
        web_sign_out(page)

        web_sign_in(page, "admin")
        expect(page.locator("h1")).to_have_text("Enter the code from your authenticator app")
        web_check(page, "enter-code")
        page.fill("#code", app.at(utcnow() + timedelta(seconds=30)))
        page.get_by_role("button", name="Continue").click()
        expect(page.locator("h1")).to_have_text("Organisations")
    finally:
        context.close()
