"""Issue 24 in headless Chromium: helpline staff find an email to the helpline on the "Emails" page, make a
call of it (the call form filled from it) and save it; a coordinator closes a follow-up of a check-in nobody
answered from the queue, and the officer sees it gone from the dashboard. axe-core checks every page."""

import json
import urllib.request

from accounts.tokens import SYSTEM
from referrals.email_drafts import save_draft
from referrals.email_reading import from_fields
from tests.builders import call, token_for
from tests.e2e.api_calls import post_call
from tests.e2e.conftest import web_check, web_sign_in, web_sign_out

try:
    from playwright.sync_api import expect
except ImportError:  # the web_browser fixture then skips these tests with the reason (or fails when CI=true)
    expect = None


def api_post(web_server, token: str, path: str, body: dict) -> dict:
    request = urllib.request.Request(
        f"{web_server.url}/api/v1/referrals/{path}",
        data=json.dumps(body).encode(),
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request) as response:
        return json.loads(response.read())


def test_an_email_becomes_a_call_and_a_follow_up_is_closed(web_page, web_server, session_factory):
    page = web_page
    email = from_fields(
        sender="Pat Person <pat@example.org>",
        subject="Shopping for my mum, Margaret",
        text="Mum can't get out this week and needs shopping.\nShe lives at 1 Example Road, SM1 1AA.",
        attachments=["shopping-list.jpg"],
        message_id="<e2e-1@example.org>",
    )
    with session_factory() as session:
        draft, _new = save_draft(session, email, "webhook", SYSTEM)

    web_sign_in(page, "helpline")
    page.click("nav a:has-text('Emails')")
    expect(page.locator(f"#email-{draft.id}")).to_contain_text("Shopping for my mum")
    expect(page.locator(".summary-list").first).to_contain_text("Refused, not opened: shopping-list.jpg")
    web_check(page, "emails")

    page.click(f"a:has-text('Make a call of email {draft.id}')")
    expect(page.locator("#notes")).to_have_value(
        "Shopping for my mum, Margaret\n\nMum can't get out this week and needs shopping.\n"
        "She lives at 1 Example Road, SM1 1AA.\n\n(They attached a file, which was refused: "
        "ask them to say in words what it showed.)"
    )
    page.fill("#name", "Margaret Test")
    page.fill("#phone", "07700 900123")
    page.fill("#postcode", "SM1 1AA")
    page.fill("#address", "1 Example Road, Sutton")
    page.check("#consent_to_share-yes")
    web_check(page, "call-from-email")
    page.click("button:has-text('Save call')")
    expect(page.locator("h1")).to_contain_text("Call saved")
    page.goto("/emails")
    expect(page.locator("main")).to_contain_text("No emails are waiting.")
    web_sign_out(page)

    helpline = token_for(session_factory, "helpline_staff")
    hub = token_for(session_factory, "hub_coordinator", web_server.directory["hub"])
    weekly = post_call(
        web_server,
        helpline,
        {
            **call(resident={"name": "Edna Weekly"}, notes="Lonely, would like a weekly check-in call"),
            "recurrence": {"every_days": 7, "count": 3},
        },
    )
    for path, body in (("accept", {}), ("start", {}), ("occurrences/0", {"outcome_code": "no_answer"})):
        api_post(web_server, hub, f"{weekly['id']}/{path}", body)

    web_sign_in(page, "hub")
    page.goto("/queue")
    section = page.locator("#section-follow_ups").locator("xpath=..")
    expect(section).to_contain_text("No answer on a check-in call or visit: try again today (time 1 of 3)")
    web_check(page, "queue-follow-ups")
    section.get_by_label("What did you do?").fill("Rang again at 3pm: she had been in the garden")
    section.locator("button:has-text('Close follow-up')").click()
    expect(page.locator(".banner")).to_contain_text("is closed")
    expect(page.locator("#section-follow_ups").locator("xpath=..")).to_contain_text("No follow-ups are open.")
    web_sign_out(page)

    web_sign_in(page, "officer")
    page.goto("/safety-net")
    expect(page.locator("#section-follow_ups").locator("xpath=..")).to_contain_text("No follow-ups are open.")
    web_check(page, "safety-net-follow-ups")


def test_a_one_off_check_in_nobody_answered_twice_goes_to_the_safety_net(
    web_page, web_server, session_factory
):
    page = web_page
    helpline = token_for(session_factory, "helpline_staff")
    hub = token_for(session_factory, "hub_coordinator", web_server.directory["hub"])
    once = post_call(
        web_server,
        helpline,
        call(resident={"name": "Edna Once"}, notes="Lonely, would like a check-in call today"),
    )
    for path, body in (("accept", {}), ("start", {}), ("complete", {"outcome_code": "no_answer"})):
        api_post(web_server, hub, f"{once['id']}/{path}", body)

    web_sign_in(page, "hub")
    page.goto("/queue")
    section = page.locator("#section-follow_ups").locator("xpath=..")
    expect(section).to_contain_text("No answer on a check-in call or visit: try again today (one-off call)")
    web_check(page, "queue-one-off-follow-up")
    section.get_by_label("No answer again: pass it to the safety net").check()
    section.get_by_label("What did you do?").fill("Rang at 5pm and at 7pm")
    section.locator("button:has-text('Close follow-up')").click()
    expect(page.locator(".banner")).to_contain_text("goes to the safety net")
    expect(page.locator("#section-follow_ups").locator("xpath=..")).to_contain_text("No follow-ups are open.")
    web_sign_out(page)

    web_sign_in(page, "officer")
    page.goto("/safety-net")
    section = page.locator("#section-follow_ups").locator("xpath=..")
    expect(section).to_contain_text("No answer twice in a row: the safety net takes it on")
    web_check(page, "safety-net-escalated-follow-up")
    section.get_by_label("What did you do?").fill("Welfare visit: she was at her sister's")
    section.locator("button:has-text('Close follow-up')").click()
    expect(page.locator(".banner")).to_contain_text("is closed")
    expect(page.locator("#section-follow_ups").locator("xpath=..")).to_contain_text("No follow-ups are open.")
