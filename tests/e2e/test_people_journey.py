"""Find a person in headless Chromium, with the keyboard: "/" from any page to the search box in the header
(but a slash typed in a field stays a slash), a name with typos, the first result, the person's page, and
"Log a new call for this person". axe-core checks each page, at desktop width and at 320 px; screenshots are
saved under test-artifacts/screenshots."""

import json
import re
import urllib.request

from referrals.models import Resident
from tests.builders import call, token_for
from tests.e2e.conftest import web_check, web_sign_in, web_sign_out

try:
    from playwright.sync_api import expect
except ImportError:  # the web_browser fixture then skips these tests with the reason (or fails when CI=true)
    expect = None

CONTACT = {
    "safe_to_contact": "no",
    "safe_times": "Weekday mornings, when her son is out",
    "safe_phone": "+447700900999",
    "no_message": True,
    "access_notes": "Key safe by the back door; a friendly dog",
    "emergency_contact": "Tom Journey (son) 07700 900111",
    "language": "Welsh",
}


def log_call(web_server, token: str, **overrides) -> dict:
    """A call logged through the API of the running server, as another door would."""
    request = urllib.request.Request(
        f"{web_server.url}/api/v1/referrals",
        data=json.dumps(call(**overrides)).encode(),
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request) as response:
        assert response.status == 201
        return json.loads(response.read())


def focused(page) -> str:
    return page.evaluate("document.activeElement.id || document.activeElement.textContent.trim()")


def test_a_caller_ringing_back_is_found_with_the_keyboard_and_a_new_call_logged_for_them(
    web_page, web_server, session_factory
):
    token = token_for(session_factory, "helpline_staff")
    margaret = log_call(
        web_server,
        token,
        resident={
            "name": "Margaret Journey",
            "phone": "07700 900321",
            "postcode": "SM1 1AA",
            "address": "2 Journey Close, Sutton",
            "date_of_birth": "1948-03-27",
        },
    )
    log_call(
        web_server,
        token,
        resident={
            "name": "Albert Other",
            "phone": "07700 900654",
            "postcode": "SM2 5AA",
            "address": "4 Road",
        },
        notes="Could someone collect his prescription from the chemist",
    )
    person_id = margaret["resident"]["id"]
    with session_factory() as session:
        session.get(Resident, person_id).contact = CONTACT
        session.commit()

    page = web_page
    web_sign_in(page, "helpline")
    expect(page.locator("h1")).to_have_text("Log a call")
    search_box = page.locator("#header-search-q")
    expect(page.get_by_role("searchbox", name="Find a person")).to_be_visible()
    # A slash typed in a field is a slash (the call form starts in the name field).
    expect(page.locator("#name")).to_be_focused()
    page.keyboard.type("Anne/Ann")
    expect(page.locator("#name")).to_have_value("Anne/Ann")
    expect(search_box).not_to_be_focused()
    page.keyboard.press("Control+A")
    page.keyboard.press("Backspace")
    # Anywhere else, "/" goes to the search box: here from the header's Search button, just before the form.
    page.keyboard.press("Shift+Tab")
    assert focused(page) == "Search"
    page.keyboard.press("/")
    expect(search_box).to_be_focused()
    page.keyboard.type("Margret Journy")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/search\?q=Margret"))
    expect(page.locator("h1")).to_have_text("Find a person")
    expect(page.locator("#results-heading")).to_have_text("1 person found")
    expect(page.locator("#results-heading")).to_be_focused()
    results = page.locator("ol.results")
    expect(results).to_contain_text("Margaret Journey")
    expect(results).to_contain_text("07700 900321")
    expect(results).not_to_contain_text("+44")
    expect(results).to_contain_text("Born 27 March 1948")
    expect(results).not_to_contain_text("Albert Other")
    web_check(page, "search-results")

    page.keyboard.press("Tab")
    assert focused(page) == "Margaret Journey"
    page.keyboard.press("Enter")
    page.wait_for_url(f"**/people/{person_id}")
    expect(page.locator("h1")).to_have_text("Margaret Journey")
    main = page.locator("main")
    warning = page.locator("#contact-warning")
    expect(warning).to_contain_text("It is not safe to contact them as usual.")
    expect(warning).to_contain_text("Use 07700 900999.")
    expect(warning).to_contain_text("Do not leave a voicemail or a text that says who called.")
    expect(page.locator("#contacting + dl")).to_contain_text("Weekday mornings, when her son is out")
    expect(page.locator("#at-the-door + dl")).to_contain_text("Key safe by the back door")
    expect(main).to_contain_text(f"Referral {margaret['id']}")
    expect(main).to_contain_text("Offered to Sutton Central Hub: waiting for an answer")
    expect(page.locator("#timeline + ol")).to_contain_text("Call logged")
    web_check(page, "person-page")

    # From the person page (nothing focused), "/" again: find her by phone number in another format.
    page.wait_for_load_state()
    page.keyboard.press("/")
    expect(search_box).to_be_focused()
    page.keyboard.type("+44 7700 900321")
    page.keyboard.press("Enter")
    expect(page.locator("ol.results")).to_contain_text("Margaret Journey")

    page.goto(f"/people/{person_id}")
    new_call = page.get_by_role("link", name="Log a new call for this person")
    new_call.focus()
    page.keyboard.press("Enter")
    page.wait_for_url(f"**/calls/new?person={person_id}")
    expect(page.locator("h1")).to_have_text("Log a call")


def test_what_a_coordinator_finds_before_and_after_accepting(web_page, web_server, session_factory):
    token = token_for(session_factory, "helpline_staff")
    margaret = log_call(web_server, token, resident={"name": "Margaret Journey", "phone": "07700 900321"})
    page = web_page
    web_sign_in(page, "hub")
    expect(page.locator("h1")).to_have_text("Queue")
    page.wait_for_load_state()  # "/" is the deferred find-person.js's: wait until it has run
    page.keyboard.press("/")
    expect(page.locator("#header-search-q")).to_be_focused()
    page.keyboard.type("Margaret Journey")
    page.keyboard.press("Enter")
    expect(page.locator("#results-heading")).to_have_text("No one found")
    expect(page.locator("main")).to_contain_text("No one you may see matches")
    expect(page.locator("main")).to_contain_text("your organisation has accepted")
    web_check(page, "search-nothing-found")

    page.goto(f"/referrals/{margaret['id']}")
    page.click("button:has-text('Accept this referral')")
    expect(page.locator(".banner")).to_contain_text("Accepted")
    page.fill("#header-search-q", "07700 900321")
    page.keyboard.press("Enter")
    page.get_by_role("link", name="Margaret Journey").click()
    expect(page.locator("h1")).to_have_text("Margaret Journey")
    expect(page.get_by_role("link", name="Log a new call for this person")).to_have_count(0)
    web_check(page, "person-page-coordinator")
    web_sign_out(page)
