"""The directory in the browser: an admin adds a volunteer, who is offered the next call they fit; then
deactivates them, and the next call passes them by. axe-core checks every page; screenshots of the forms are
saved under test-artifacts/screenshots (and /tmp, to look at)."""

import re

from tests.builders import auth, call, token_for
from tests.e2e.conftest import web_check, web_sign_in

try:
    from playwright.sync_api import expect
except ImportError:  # the web_browser fixture then skips these tests with the reason (or fails when CI=true)
    expect = None

COVENTRY_CALLER = {"name": "Albert Journey", "postcode": "CV1 1AH", "address": "3 Hill Street, Coventry"}
VOLUNTEER_PAGE = re.compile(r"/admin/volunteers/(\d+)$")


def offered_to(page, session_factory) -> int | None:
    """Helpline staff log a shopping call in Coventry (multi-agency cell: volunteers are asked first)."""
    helpline = auth(token_for(session_factory, "helpline_staff"))
    made = page.request.post("/api/v1/referrals", data=call(resident=COVENTRY_CALLER), headers=helpline)
    assert made.status == 201, made.text()
    return made.json()["current_offer"]["volunteer_id"]


def add_volunteer(page) -> int:
    page.goto("/admin/volunteers")
    page.click("a:has-text('Add a volunteer')")
    expect(page.locator("h1")).to_have_text("Add a volunteer")
    web_check(page, "volunteer-form")
    page.screenshot(path="/tmp/volunteer-form.png", full_page=True)

    page.fill("#name", "Dev Journey")
    page.fill("#postcode", "CV99 9ZZ")
    page.click("button:has-text('Add the volunteer')")
    expect(page.locator(".error-summary")).to_contain_text("Enter a phone number or an email address")
    expect(page.locator("#postcode-error")).to_contain_text("not a known postcode")
    expect(page.locator("#name")).to_have_value("Dev Journey")
    web_check(page, "volunteer-form-errors")
    page.screenshot(path="/tmp/volunteer-form-errors.png", full_page=True)

    page.fill("#phone", "07700 900444")
    page.fill("#postcode", "CV1 1AH")
    page.fill("#travel_radius_km", "5")
    page.check("#skills-shopping")
    page.check("#skills-befriending")
    page.check("#dbs_level-enhanced")
    page.fill("#dbs_checked_on", "10/01/2025")
    page.fill("#dbs_expires_on", "10/01/2099")
    page.check("#driver-yes")
    for box in page.locator("input[name='availability']").all():
        box.check()
    page.click("button:has-text('Add the volunteer')")
    page.wait_for_url(VOLUNTEER_PAGE)
    expect(page.locator(".banner")).to_contain_text("Dev Journey has been added to the directory.")
    expect(page.locator("main")).to_contain_text("Enhanced, checked 10 January 2025")
    expect(page.locator("main")).to_contain_text("Drives and can give lifts")
    web_check(page, "volunteer-added")
    return int(VOLUNTEER_PAGE.search(page.url).group(1))


def test_an_admin_adds_a_volunteer_who_is_then_matched(web_page, web_server, session_factory):
    page = web_page
    web_sign_in(page, "admin")
    assert offered_to(page, session_factory) is None, "no volunteer in Coventry yet"

    volunteer_id = add_volunteer(page)

    assert offered_to(page, session_factory) == volunteer_id


def test_an_admin_deactivates_a_volunteer_who_is_then_skipped(web_page, web_server, session_factory):
    page = web_page
    web_sign_in(page, "admin")
    volunteer_id = add_volunteer(page)
    assert offered_to(page, session_factory) == volunteer_id

    page.click("a:has-text('Deactivate')")
    expect(page.locator("h1")).to_have_text("Deactivate Dev Journey?")
    expect(page.locator("main")).to_contain_text("1 offer waiting for an answer")
    expect(page.locator("main")).to_contain_text("They are doing no referrals for another organisation now.")
    web_check(page, "volunteer-deactivate")
    page.screenshot(path="/tmp/volunteer-deactivate.png", full_page=True)
    page.click("button:has-text('Deactivate Dev Journey')")
    page.wait_for_url(VOLUNTEER_PAGE)
    expect(page.locator(".banner")).to_contain_text("Dev Journey is deactivated")
    expect(page.locator("main")).to_contain_text("Deactivated: matching offers them no new work.")
    web_check(page, "volunteer-deactivated")

    assert offered_to(page, session_factory) != volunteer_id


def test_an_admin_adds_and_changes_an_organisation(web_page, web_server):
    page = web_page
    web_sign_in(page, "admin")
    page.click("a:has-text('Add an organisation')")
    expect(page.locator("h1")).to_have_text("Add an organisation")
    page.click("button:has-text('Add the organisation')")
    expect(page.locator(".error-summary")).to_contain_text("Enter a name")
    web_check(page, "organisation-form-errors")
    page.fill("#name", "Journey Pantry")
    page.select_option("#kind", "vcs")
    page.select_option("#area", "coventry")
    page.check("#services-food")
    page.fill("#coverage_outcodes", "CV1, CV2")
    page.fill("#capacity", "3")
    page.click("button:has-text('Add the organisation')")
    expect(page.locator(".banner")).to_contain_text("Journey Pantry has been added to the directory.")
    expect(page.locator("main")).to_contain_text("Holds up to 3 referrals at once")
    page.click("a:has-text('Change its details')")
    web_check(page, "organisation-form")
    page.screenshot(path="/tmp/organisation-form.png", full_page=True)
    page.fill("#capacity", "5")
    page.click("button:has-text('Save changes')")
    expect(page.locator(".banner")).to_contain_text("Your changes to Journey Pantry are saved.")
    expect(page.locator("main")).to_contain_text("Holds up to 5 referrals at once")
    page.goto("/admin/imports/new")
    expect(page.locator("#columns-volunteers")).to_be_visible()
    web_check(page, "import-form-columns")
