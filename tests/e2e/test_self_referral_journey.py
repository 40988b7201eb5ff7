"""Requests from outside in headless Chromium (issue 24): a resident asks for help on the public page, on a
phone-sized screen and with the keyboard; emergency words get advice as they are typed (and without
JavaScript when the form is sent); the limit per address; the hidden field only programs fill; a mutual-aid
lead refers someone through the link their REFER text returns and follows it on the status page; the
helpline confirms a request from the Requests page. axe-core checks every page, at 320 px too."""

import re
from datetime import timedelta

from sqlalchemy import select

from referrals.models import Referral
from referrals.policy import load_lifecycle_policy
from tests.e2e.conftest import web_check, web_sign_in
from texting.replies import InboundText, ReferLinks, handle_inbound

try:
    from playwright.sync_api import expect
except ImportError:  # the web_browser fixture then skips these tests with the reason (or fails when CI=true)
    expect = None

REFERENCE = re.compile(r"^[A-Z0-9]{5}-[A-Z0-9]{5}$")
LEAD = "+447700900600"  # the Sutton mutual-aid group's lead (tests.builders.small_directory)


def fill_request(page, name="Rita Browser", details="I need help with my food shopping this week"):
    page.goto("/ask-for-help")
    page.fill("#details", details)
    page.fill("#name", name)
    page.fill("#postcode", "SM1 1AA")
    page.fill("#phone", "07700 900444")
    page.check("#safe_to_contact-yes")
    page.check("#consent-yes")


def send(page) -> None:
    with page.expect_navigation():
        page.click("button:has-text('Send my request')")


def saved(session_factory, name: str) -> list[Referral]:
    with session_factory() as session:
        query = select(Referral).where(Referral.resident.has(name=name))
        return list(session.scalars(query))


def test_a_resident_asks_for_help_and_the_helpline_confirms_it(web_context, web_server, session_factory):
    page = web_context().new_page()
    page.set_viewport_size({"width": 375, "height": 740})  # a phone
    page.goto("/ask-for-help")
    expect(page.get_by_role("heading", level=1)).to_have_text("Ask the council for help")
    web_check(page, "ask-for-help")

    send(page)  # nothing filled in: every problem named, the summary focused
    expect(page.locator(".error-summary")).to_contain_text("Tell us what you need help with")
    expect(page.locator(".error-summary")).to_be_focused()
    web_check(page, "ask-for-help-errors")

    fill_request(page)
    send(page)
    expect(page.get_by_role("heading", level=1)).to_have_text("Request sent")
    reference = page.locator(".confirmation-reference").inner_text()
    assert REFERENCE.match(reference)
    expect(page.locator("main")).to_contain_text("What happens next")
    web_check(page, "ask-for-help-sent")
    (referral,) = saved(session_factory, "Rita Browser")
    assert referral.channel == "self_referral"
    assert referral.status == "triaged"

    staff = web_context().new_page()
    web_sign_in(staff, "helpline")
    staff.get_by_role("link", name="Requests").click()
    card = staff.locator(f"#request-{referral.id}")
    expect(card).to_contain_text("Rita Browser")
    expect(card).to_contain_text(reference)
    web_check(staff, "requests-to-review")
    card.get_by_label("Summary for whoever helps").fill("Weekly food shop")
    with staff.expect_navigation():
        card.get_by_role("button", name=f"Confirm referral {referral.id}").click()
    expect(staff.locator(".banner").first).to_contain_text("confirmed")
    (referral,) = saved(session_factory, "Rita Browser")
    assert referral.status == "offered"


def test_emergency_words_get_advice_as_they_are_typed_and_without_javascript(web_context, web_server):
    page = web_context().new_page()
    page.goto("/ask-for-help")
    advice = page.locator("#urgent-advice")
    expect(advice).to_be_hidden()
    page.fill("#details", "")
    page.locator("#details").press_sequentially("my husband collapsed and is not breathing", delay=5)
    expect(advice).to_be_visible()
    expect(advice).to_contain_text("call 999")
    expect(advice).to_contain_text("020 7946 0900")  # the council's safeguarding number (config/areas.yaml)
    web_check(page, "ask-for-help-emergency-advice")

    plain = web_context(javascript=False).new_page()
    fill_request(plain, name="Nora Noscript", details="my husband collapsed and is not breathing")
    send(plain)
    expect(plain.get_by_role("heading", level=1)).to_have_text("Request sent")
    expect(plain.locator("#urgent-advice")).to_be_visible()
    expect(plain.locator("main")).to_contain_text("safety-net team sees it straight away")
    web_check(plain, "ask-for-help-sent-emergency")


def test_requests_from_one_address_are_limited(web_context, web_server, session_factory):
    page = web_context(javascript=False).new_page()
    for number in range(5):  # RATELIMIT_SELF_REFERRAL: 5 per hour by default
        fill_request(page, name=f"Rita Number{number}")
        send(page)
        expect(page.get_by_role("heading", level=1)).to_have_text("Request sent")
    fill_request(page, name="Rita Toomany")
    send(page)
    expect(page.get_by_role("heading", level=1)).to_have_text("Too many requests")
    expect(page.locator("main")).to_contain_text("call 999")
    web_check(page, "ask-for-help-too-many")
    assert saved(session_factory, "Rita Toomany") == []


def test_a_filled_hidden_field_looks_sent_but_saves_nothing(web_context, web_server, session_factory):
    page = web_context().new_page()
    fill_request(page, name="Robo Filler")
    page.evaluate("document.getElementById('website').value = 'http://spam.example'")
    send(page)
    expect(page.get_by_role("heading", level=1)).to_have_text("Request sent")
    assert REFERENCE.match(page.locator(".confirmation-reference").inner_text())
    assert saved(session_factory, "Robo Filler") == []


def test_a_group_lead_refers_someone_and_sees_how_it_is_going(web_context, web_server, session_factory):
    links = ReferLinks(web_server.url, timedelta(hours=24))
    with session_factory() as session:
        answer = handle_inbound(
            session,
            InboundText("SMe2e1", LEAD, "+447700900000", "REFER"),
            load_lifecycle_policy(),
            links=links,
        )
    link = re.search(r"http://\S+/refer/\S+", answer).group(0)

    page = web_context().new_page()
    page.set_viewport_size({"width": 375, "height": 740})
    page.goto(link)
    expect(page.get_by_role("heading", level=1)).to_have_text("Refer someone to the council")
    expect(page.locator("main")).to_contain_text("SM1 Mutual Aid")
    web_check(page, "group-refer")
    page.fill("#details", "Met her at the pantry: she needs her prescriptions collected")
    page.fill("#name", "Gwen Groupmet")
    page.fill("#postcode", "SM1 1AA")
    page.fill("#phone", "07700 900555")
    page.check("#safe_to_contact-yes")
    page.check("#consent-yes")
    page.check("#agreed-yes")
    with page.expect_navigation():
        page.click("button:has-text('Send the referral')")
    expect(page.get_by_role("heading", level=1)).to_have_text("Referral sent")
    web_check(page, "group-refer-sent")
    (referral,) = saved(session_factory, "Gwen Groupmet")
    assert referral.channel == "mutual_aid_referral"

    page.get_by_role("link", name="See how the referral").click()
    expect(page.locator("main")).to_contain_text("checking it")
    expect(page.locator("main")).not_to_contain_text("Gwen")
    web_check(page, "group-refer-status")

    assert page.goto(link).status == 404, "the link works once"
