"""The call form in headless Chromium: a session that ends while a call is being typed loses nothing (the
draft is kept in the tab and put back after signing in again, here or in another tab), an emergency call
says what to do now, the date of birth in three boxes, every problem in one pass, the triage preview before
the Save button at 320 px, and the page after saving. axe-core checks every page; screenshots are saved
under test-artifacts/screenshots."""

import re

from sqlalchemy import select

from referrals.models import Referral
from tests.e2e.conftest import NARROW, WEB_PASSWORD, web_check, web_sign_in, web_sign_out

try:
    from playwright.sync_api import expect
except ImportError:  # the web_browser fixture then skips these tests with the reason (or fails when CI=true)
    expect = None

SAVED = re.compile(r"/calls/(\d+)/saved$")
NOTES = "Needs her shopping picked up this week, her carer is off sick"
DRAFTS = "Object.keys(sessionStorage).filter(key => key.startsWith('oneroute.call-draft.')).length"


def start_a_call(page, name: str = "Nell Lostsession") -> None:
    page.goto("/calls/new")
    page.fill("#name", name)
    page.fill("#phone", "07700 900432")
    page.fill("#postcode", "SM1 1AA")
    expect(page.locator("#postcode-status")).to_contain_text("SM1 1AA, London Borough of Sutton")


def end_the_session_in_another_tab(context) -> None:
    other = context.new_page()
    other.goto("/calls/new")
    web_sign_out(other)
    other.close()


def sign_in_here(page, username: str = "helpline") -> None:
    page.fill("#username", username)
    page.fill("#password", WEB_PASSWORD)
    page.click("button:has-text('Sign in')")


def test_a_session_ended_mid_call_keeps_the_call_and_puts_it_back_after_signing_in(
    web_context, web_server, session_factory
):
    context = web_context()
    page = context.new_page()
    web_sign_in(page, "helpline")
    start_a_call(page)
    end_the_session_in_another_tab(context)

    page.fill("#notes", NOTES)
    banner = page.locator("#session-ended")
    expect(banner).to_be_visible()
    expect(banner).to_contain_text("Your session has ended")
    expect(banner).to_contain_text("Nothing is lost")
    web_check(page, "call-form-session-ended")
    page.check("#consent_to_share-yes")
    page.click("button:has-text('Save call')")
    expect(banner).to_be_focused()
    assert page.url.endswith("/calls/new"), "nothing is sent into a session that has ended"
    expect(page.locator("#notes")).to_have_value(NOTES)

    banner.locator("[data-sign-in-here]").click()
    page.wait_for_url(re.compile(r"/sign-in"))
    sign_in_here(page)
    page.wait_for_url(re.compile(r"/calls/new"))
    restored = page.locator("#draft-restored")
    expect(restored).to_be_visible()
    expect(page.locator("#notes")).to_have_value(NOTES)
    expect(page.locator("#name")).to_have_value("Nell Lostsession")
    expect(page.locator("#phone")).to_have_value("07700 900432")
    expect(page.locator("#consent_to_share-yes")).to_be_checked()
    expect(page.locator("#triage-preview")).to_contain_text("Why")
    web_check(page, "call-form-draft-restored")

    page.click("button:has-text('Save call')")
    page.wait_for_url(SAVED)
    referral_id = int(SAVED.search(page.url).group(1))
    assert page.evaluate(DRAFTS) == 0, "the draft goes once the call is saved"
    with session_factory() as session:
        assert session.get(Referral, referral_id).notes == NOTES
    page.goto("/calls/new")
    expect(page.locator("#draft-restored")).to_be_hidden()
    expect(page.locator("#notes")).to_have_value("")


def test_signing_in_again_in_a_new_tab_lets_the_call_on_the_page_be_saved(web_context, web_server):
    context = web_context()
    page = context.new_page()
    web_sign_in(page, "helpline")
    start_a_call(page, "Tab Twotabs")
    page.fill("#notes", NOTES)
    page.check("#consent_to_share-no")
    end_the_session_in_another_tab(context)
    page.click("button:has-text('Save call')")
    banner = page.locator("#session-ended")
    expect(banner).to_be_focused()

    with context.expect_page() as opened:
        banner.locator("a[target=_blank]").click()
    tab = opened.value
    tab.wait_for_load_state()
    sign_in_here(tab)
    expect(tab.locator("h1")).to_have_text("You are signed in again")
    web_check(tab, "call-signed-in-again")
    tab.close()

    page.bring_to_front()
    page.evaluate("window.dispatchEvent(new Event('focus'))")
    expect(page.locator("#session-back")).to_be_visible()
    expect(banner).to_be_hidden()
    page.click("button:has-text('Save call')")
    page.wait_for_url(SAVED)
    expect(page.locator("h1")).to_have_text("Call saved")


def test_signing_out_from_the_form_forgets_the_draft(web_page, web_server):
    page = web_page
    web_sign_in(page, "helpline")
    start_a_call(page, "Sig Nout")
    page.fill("#notes", NOTES)
    assert page.evaluate(DRAFTS) == 1
    web_sign_out(page)
    assert page.evaluate(DRAFTS) == 0
    web_sign_in(page, "helpline")
    expect(page.locator("#name")).to_have_value("")


def test_an_emergency_call_says_what_to_do_now(web_page, web_server):
    page = web_page
    web_sign_in(page, "helpline")
    guidance = page.locator("#call-guidance")
    expect(guidance).to_contain_text("If someone is in danger now")
    expect(guidance).to_contain_text("call 999 now")
    start_a_call(page, "Eric Emergency")
    expect(guidance).to_contain_text("020 7946 0901")
    expect(guidance).to_contain_text("Demo number")
    page.fill("#notes", "Her husband has collapsed on the floor and is not breathing")
    preview = page.locator("#triage-preview")
    expect(preview).to_contain_text("Emergency: what to do now")
    expect(preview).to_contain_text("Stay on the line")
    expect(preview.locator("dl .tag").first).to_have_text("Council safety net")
    web_check(page, "call-form-emergency")
    page.check("#consent_to_share-yes")
    page.click("button:has-text('Save call')")
    page.wait_for_url(SAVED)
    expect(page.locator("main")).to_contain_text("Emergency: what to do now")
    expect(page.locator(".tell-caller")).to_contain_text("within 30 minutes")
    web_check(page, "call-saved-emergency")
    page.click("a:has-text('Log another call')")
    expect(page.locator("h1")).to_have_text("Log a call")


def test_the_date_of_birth_is_three_boxes_and_a_wrong_part_is_named(web_page, web_server, session_factory):
    page = web_page
    web_sign_in(page, "helpline")
    start_a_call(page, "Dot Dates")
    page.fill("#notes", NOTES)
    page.check("#consent_to_share-yes")
    page.fill("#date_of_birth-day", "31")
    page.fill("#date_of_birth-month", "2")
    page.fill("#date_of_birth-year", "1950")
    page.click("button:has-text('Save call')")
    summary = page.locator(".error-summary")
    expect(summary).to_contain_text("Date of birth must be a real date")
    expect(page.locator("#date_of_birth-day")).to_have_class(re.compile("input-error"))
    web_check(page, "call-form-date-error")
    summary.locator("a[href='#date_of_birth-day']").click()
    expect(page.locator("#date_of_birth-day")).to_be_focused()
    page.fill("#date_of_birth-day", "28")
    page.fill("#date_of_birth-year", "")
    page.click("button:has-text('Save call')")
    expect(summary).to_contain_text("Date of birth must include a year")
    page.fill("#date_of_birth-year", "1950")
    page.click("button:has-text('Save call')")
    page.wait_for_url(SAVED)
    referral_id = int(SAVED.search(page.url).group(1))
    with session_factory() as session:
        born = session.get(Referral, referral_id).resident.date_of_birth
    assert born.isoformat() == "1950-02-28"


def test_every_problem_is_shown_at_once_each_once(web_page, web_server):
    page = web_page
    web_sign_in(page, "helpline")
    page.goto("/calls/new")
    page.fill("#phone", "12345")
    page.fill("#postcode", "M1 1AE")
    page.fill("#notes", NOTES)
    page.click("button:has-text('Save call')")
    summary = page.locator(".error-summary")
    expect(summary).to_be_focused()
    links = summary.locator("a")
    expect(links).to_have_count(4)
    texts = links.all_inner_texts()
    assert texts[0] == "Enter the caller's name"
    assert texts[1] == "Enter a phone number in the right format, like 07700 900123 or 020 7946 0000"
    assert "signpost the caller to their own council" in texts[2]
    assert texts[3] == "Choose whether the caller agrees to share their details"
    main = page.locator("main").inner_text()
    assert main.count("this service does not cover") == 2, "in the summary and at the field, nowhere else"
    web_check(page, "call-form-one-pass-errors")


def test_the_triage_preview_comes_before_the_save_button_on_a_narrow_screen(web_page, web_server):
    page = web_page
    web_sign_in(page, "helpline")
    page.set_viewport_size(NARROW)
    page.goto("/calls/new")
    page.fill("#notes", NOTES)
    expect(page.locator("#triage-preview")).to_contain_text("Why")
    preview = page.locator(".preview-panel").bounding_box()
    save = page.locator("button:has-text('Save call')").bounding_box()
    assert preview["y"] + preview["height"] <= save["y"], (preview, save)
    assert save["width"] <= NARROW["width"]
    web_check(page, "call-form-narrow-preview")


def test_a_call_for_someone_known_starts_filled_in(web_page, web_server, session_factory):
    page = web_page
    web_sign_in(page, "helpline")
    start_a_call(page, "Kim Known")
    page.fill("#notes", NOTES)
    page.fill("#date_of_birth-day", "2")
    page.fill("#date_of_birth-month", "5")
    page.fill("#date_of_birth-year", "1940")
    page.check("#safe_to_contact-no")
    page.fill("#safe_times", "Weekday mornings")
    page.check("#no_message-yes")
    page.check("#consent_to_share-yes")
    page.click("button:has-text('Save call')")
    page.wait_for_url(SAVED)
    expect(page.locator("main")).to_contain_text("Contacting them safely")
    expect(page.locator(".tell-caller")).to_contain_text("at a time you said is safe")
    first = int(SAVED.search(page.url).group(1))
    with session_factory() as session:
        resident_id = session.scalar(select(Referral.resident_id).where(Referral.id == first))
    page.goto(f"/calls/new?person={resident_id}")
    expect(page.locator(".known-person-banner")).to_contain_text("This call is for Kim Known")
    expect(page.locator("#phone")).to_have_value("07700 900432")
    expect(page.locator("#date_of_birth-year")).to_have_value("1940")
    expect(page.locator("#safe_times")).to_have_value("Weekday mornings")
    expect(page.locator("#known-people")).to_be_empty()
    web_check(page, "call-form-known-person-prefilled")
    page.fill("#notes", "Now needs a prescription collected from the chemist")
    page.check("#consent_to_share-yes")
    page.click("button:has-text('Save call')")
    page.wait_for_url(SAVED)
    second = int(SAVED.search(page.url).group(1))
    with session_factory() as session:
        assert session.get(Referral, second).resident_id == resident_id


def test_signing_out_from_another_page_forgets_the_draft_too(web_page, web_server):
    page = web_page
    web_sign_in(page, "helpline")
    start_a_call(page, "Sig Elsewhere")
    page.fill("#notes", NOTES)
    assert page.evaluate(DRAFTS) == 1
    page.goto("/repeat-callers")
    web_sign_out(page)
    assert page.evaluate(DRAFTS) == 0
