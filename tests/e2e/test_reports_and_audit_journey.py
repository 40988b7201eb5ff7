"""A safety-net officer reads the reports signed in (the needs table, the map, how organisations answer
offers) and checks a referral's audit trail from its page, in headless Chromium with axe-core on every page.
Screenshots: test-artifacts/screenshots, and the reports page, the map and the audit page in /tmp."""

import re

import pytest

from db.base import utcnow
from tests.e2e.conftest import web_check, web_sign_in
from tests.integration.reports.history import (
    SHIPPED_POSTCODES,
    add_shipped_postcodes,
    build_known_history,
    remove_postcodes,
)

try:
    from playwright.sync_api import expect
except ImportError:  # the web_browser fixture then skips these tests with the reason (or fails when CI=true)
    expect = None


def test_a_report_viewed_signed_in(web_page, web_server, session_factory):
    history = build_known_history(session_factory, web_server.directory, utcnow())
    page = web_page
    web_sign_in(page, "officer")
    page.click("nav[aria-label='Main'] a:has-text('Reports')")

    expect(page.locator("h1")).to_have_text("Needs against provision")
    expect(page.locator(".report-period")).to_contain_text("London Borough of Sutton")
    table = page.locator("section, main").locator("table").first
    expect(table).to_contain_text("Duplicated: 2 providers of this need here")
    picture = page.locator(".report-map img")
    expect(picture).to_have_attribute("alt", re.compile(r"^Map of the wards of London Borough of Sutton\."))
    page.wait_for_function("document.querySelector('.report-map img').naturalWidth === 900")
    expect(page.locator("#response + p + .table-wrap")).to_contain_text("Usually accepts within")
    weeks = page.locator("#trend ~ .table-wrap table").first
    expect(weeks.locator("caption")).to_have_text("London Borough of Sutton: people who asked, week by week")
    expect(weeks.locator("tr.total-row")).to_contain_text("The whole period")
    web_check(page, "reports")
    page.screenshot(path="/tmp/reports.png", full_page=True)
    picture.screenshot(path="/tmp/reports-map.png")
    weeks.screenshot(path="/tmp/reports-weeks.png")
    with page.expect_download() as download:
        page.click("a:has-text('Download the weeks for every need (CSV)')")
    assert download.value.suggested_filename == "needs-trend.csv"

    page.select_option("#group", "outcode")
    page.fill("#since", history.since.isoformat())
    page.check("#open_data")
    page.click("button:has-text('Show the report')")
    expect(page).to_have_url(re.compile(r"group=outcode"))
    expect(page.locator("#needs-table")).to_have_text("Needs against provision by postcode district")
    expect(page.locator("table").first).to_contain_text("SM1")
    expect(page.locator("table").first).to_contain_text("<5")
    expect(page.locator("table").first).to_contain_text("Gap: ")
    web_check(page, "reports-districts")
    page.screenshot(path="/tmp/reports-districts.png", full_page=True)

    page.goto("/reports?since=last+week")
    expect(page.locator(".error-summary")).to_contain_text("Enter the first day as a date")
    expect(page.locator(".error-summary")).to_be_focused()
    web_check(page, "reports-error")

    response = page.goto("/reports?area=coventry")
    assert response.status == 403
    expect(page.locator("main")).to_contain_text("sees reports for sutton only")


@pytest.fixture
def shipped_wards(session_factory):
    add_shipped_postcodes(session_factory)
    yield
    remove_postcodes(session_factory, SHIPPED_POSTCODES)


def test_the_ward_map_explored_by_mouse_and_keyboard(web_page, web_server, session_factory, shipped_wards):
    build_known_history(session_factory, web_server.directory, utcnow())
    page = web_page
    web_sign_in(page, "officer")
    page.goto("/reports")
    page.click("a:has-text('Explore the map ward by ward')")
    expect(page.locator("h1")).to_have_text("Unmet need by ward: London Borough of Sutton")
    central = page.locator("a.ward[aria-label^='Sutton Central:']")
    expect(central.locator("title")).to_have_text(re.compile(r"^Sutton Central: 4 referred"))
    web_check(page, "reports-wards")
    page.locator(".ward-map-svg").first.screenshot(path="/tmp/reports-wards.png")
    central.click()
    expect(page.locator("#ward-E05013765")).to_have_attribute("open", "")
    expect(page.locator("#ward-E05013765 table")).to_contain_text("Shopping")
    expect(central).to_have_class(re.compile(r"\bselected\b"))
    north_cheam = page.locator("a.ward[aria-label^='North Cheam:']")
    north_cheam.focus()  # the keyboard: each ward is a link in the tab order; Enter selects it
    expect(page.locator("a.ward:focus")).to_have_attribute(
        "aria-label", re.compile(r"^North Cheam: 1 referred")
    )
    page.keyboard.press("Enter")
    expect(page.locator("#ward-E05013760")).to_have_attribute("open", "")
    expect(page.locator("#ward-E05013760 table")).to_contain_text(
        "Gap: 1 person whose need no provider could take"
    )
    page.screenshot(path="/tmp/reports-wards-page.png", full_page=True)


def test_audit_verify_from_the_page(web_page, web_server, session_factory):
    history = build_known_history(session_factory, web_server.directory, utcnow())
    declined = history.ids[3]
    page = web_page
    web_sign_in(page, "officer")
    page.goto(f"/referrals/{declined}/audit")

    expect(page.locator("h1")).to_have_text("Audit trail")
    sentences = page.locator(".audit-sentence")
    expect(sentences.first).to_contain_text("logged the call")
    expect(page.locator("main")).to_contain_text(
        "Hub test (hub coordinator, Sutton Central Hub) declined the offer: no volunteers free."
    )
    expect(page.locator("main")).to_contain_text("Automatically moved it up from")
    hash_code = page.locator(".audit-raw code.hash").first
    expect(hash_code).to_be_hidden()
    page.locator(".audit-raw summary").first.click()
    expect(hash_code).to_be_visible()
    expect(hash_code).to_have_text(re.compile(r"^[0-9a-f]{64}$"))
    web_check(page, "audit-plain-words")

    page.click("button:has-text('Verify the audit trail')")
    result = page.locator("#audit-check-result")
    expect(result).to_contain_text("The audit trail checks out:")
    expect(result).to_contain_text(
        re.compile(r"entries for this referral, unbroken, in a chain of \d+ up to entry #\d+ at")
    )
    expect(page.locator("button:has-text('Check again')")).to_be_visible()
    web_check(page, "audit-verified")
    page.screenshot(path="/tmp/audit.png", full_page=True)
